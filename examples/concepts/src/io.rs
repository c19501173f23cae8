//! Lesson `io`: I/O-bound work, few — blocking requests one after another
//! versus on a pool of threads.
//!
//! A blocking request holds its thread while it waits for the other side. One
//! thread doing N requests therefore waits N × latency; W threads doing them
//! wait about N / W × latency, and use almost no CPU while they do. This is
//! the row of the decision table where Python's threads *do* help (the GIL
//! is released while a thread waits), and Rust's help the same way.
//!
//! The requests are simulated with `std::thread::sleep`, which blocks a
//! thread exactly as a blocking socket read does. (A real program would
//! also bound how many requests go to one server: the `crawler` problem.)
//!
//! Run: `cargo run -p concepts -- io` (add `--python` for CPython's threads).

use crate::{Lesson, Row, latencies, row};
use cli::human::count;
use harness::cpu::measure;
use harness::gauge::InFlight;
use std::thread;
use std::time::Duration;

/// One simulated blocking request: in flight for `latency`, then its id
/// back as the "response".
fn request(id: u32, latency: Duration, in_flight: &InFlight) -> u32 {
    let _request = in_flight.enter();
    thread::sleep(latency);
    id
}

/// `requests` requests on this thread, one after another.
pub fn sequential(requests: u32, latency: Duration, in_flight: &InFlight) -> Vec<u32> {
    (0..requests)
        .map(|id| request(id, latency, in_flight))
        .collect()
}

// ANCHOR: pool
/// `requests` requests on a pool of `workers` threads fed by a channel;
/// the responses come back in request order.
pub fn pool(requests: u32, workers: usize, latency: Duration, in_flight: &InFlight) -> Vec<u32> {
    // A bounded channel of jobs: workers take the next id when free. All the
    // ids fit, so queueing them never blocks this thread.
    let (jobs, next_job) = crossbeam::channel::bounded(requests as usize);
    for id in 0..requests {
        jobs.send(id).expect("the workers have not started yet");
    }
    // Closing the sending side lets each worker's loop end once the queue
    // is empty.
    drop(jobs);
    let mut responses = vec![0; requests as usize];
    thread::scope(|s| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let next_job = next_job.clone();
                s.spawn(move || {
                    next_job
                        .iter()
                        .map(|id| (id, request(id, latency, in_flight)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (id, response) in handle.join().expect("a worker panicked") {
                responses[id as usize] = response;
            }
        }
    });
    responses
}
// ANCHOR_END: pool

/// The lesson's measured table: sequential, a small pool, and a thread per
/// request.
pub fn lesson(requests: u32, workers: usize, latency: Duration) -> Lesson {
    let expected: Vec<u32> = (0..requests).collect();
    let detail = |gauge: &InFlight, wall: Duration, responses: &[u32]| {
        assert_eq!(responses, expected, "every response, in order");
        format!("{} in flight, {}", gauge.peak(), latencies(wall, latency))
    };
    let one = InFlight::new();
    let (responses, serial) = measure(|| sequential(requests, latency, &one));
    let serial_detail = detail(&one, serial.wall, &responses);
    let few = InFlight::new();
    let (responses, on_pool) = measure(|| pool(requests, workers, latency, &few));
    let pool_detail = detail(&few, on_pool.wall, &responses);
    let many = InFlight::new();
    let per_request = requests as usize;
    let (responses, on_many) = measure(|| pool(requests, per_request, latency, &many));
    let many_detail = detail(&many, on_many.wall, &responses);
    let base = Some(serial.wall);
    Lesson {
        name: "io",
        question: "I/O-bound, few: do threads help with waiting?",
        rows: vec![
            row("sequential", serial, base, serial_detail)
                .at_most("requests in flight", one.peak() as u64, 1)
                .cores_at_most(1),
            row(
                format!("pool of {}", count(workers, "thread", "threads")),
                on_pool,
                base,
                pool_detail,
            )
            .at_most("requests in flight", few.peak() as u64, workers as u64),
            row("a thread per request", on_many, base, many_detail).at_most(
                "requests in flight",
                many.peak() as u64,
                u64::from(requests),
            ),
        ],
        takeaway: "Waiting threads use no CPU: a pool of W threads overlaps W waits, so \
                   blocking I/O scales with threads, in Python too. For thousands of \
                   connections each thread's memory adds up: that is the async row.",
        runs: 1,
    }
}

/// CPython's sequential requests and thread pool, from `python/io.py`.
pub fn python(requests: u32, workers: usize, latency: Duration) -> Result<Vec<Row>, String> {
    crate::python::rows(
        "io.py",
        &[
            "--requests".into(),
            requests.to_string(),
            "--workers".into(),
            workers.to_string(),
            "--latency-ms".into(),
            latency.as_millis().to_string(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATENCY: Duration = Duration::from_millis(20);

    #[test]
    fn sequential_requests_never_overlap() {
        let gauge = InFlight::new();
        assert_eq!(sequential(5, LATENCY, &gauge), [0, 1, 2, 3, 4]);
        assert_eq!((gauge.peak(), gauge.total()), (1, 5));
    }

    #[test]
    fn the_pool_overlaps_as_many_as_it_has_threads_and_keeps_order() {
        let gauge = InFlight::new();
        let responses = pool(12, 4, LATENCY, &gauge);
        assert_eq!(responses, (0..12).collect::<Vec<_>>());
        assert_eq!((gauge.peak(), gauge.total()), (4, 12));
    }

    #[test]
    fn the_lesson_shows_the_overlap() {
        let lesson = lesson(8, 4, LATENCY);
        let names: Vec<_> = lesson.rows.iter().map(|r| r.strategy.as_str()).collect();
        assert_eq!(
            names,
            ["sequential", "pool of 4 threads", "a thread per request"]
        );
        assert!(lesson.rows[0].detail.starts_with("1 in flight"));
        assert!(lesson.rows[1].detail.starts_with("4 in flight"));
        assert!(lesson.rows[2].detail.starts_with("8 in flight"));
    }

    #[test]
    fn the_python_rows_come_back_or_say_why_not() {
        match python(6, 3, LATENCY) {
            Ok(rows) => {
                let names: Vec<_> = rows.iter().map(|r| r.strategy.as_str()).collect();
                assert_eq!(names, ["python: serial", "python: threads"]);
                assert!(rows[1].detail.starts_with("3 in flight"), "{rows:?}");
            }
            Err(why) => assert!(why.contains("python3"), "{why}"),
        }
    }
}
