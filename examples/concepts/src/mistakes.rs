//! Lesson `mistakes`: three classic ways to hurt an async program, each
//! measured beside its fix.
//!
//! 1. `std::thread::sleep` (or any blocking call) inside async code: it
//!    blocks the runtime thread, so every other task waits. Measured with a
//!    heartbeat task that should wake every 5 ms.
//! 2. A `std::sync::Mutex` guard held across `.await`. Where the future must
//!    be `Send` (anything given to `tokio::spawn`), it does not compile:
//!
//!    ```compile_fail
//!    let shared = std::sync::Arc::new(std::sync::Mutex::new(0));
//!    let _ = tokio::spawn(async move {
//!        let guard = shared.lock().unwrap();
//!        tokio::task::yield_now().await; // error: the guard is not `Send`
//!        drop(guard);
//!    });
//!    ```
//!
//!    On a single-threaded runtime it compiles, and two tasks that want the
//!    lock deadlock: the second blocks the only thread while the first,
//!    holding the lock, waits to be polled on that same thread. This lesson
//!    runs it under a time limit and reports the hang; the fix is
//!    `tokio::sync::Mutex`, whose `lock().await` lets other tasks run.
//! 3. An unbounded channel in front of a slow consumer: the backlog, and the
//!    memory it holds, grow as long as the producer is faster. A bounded
//!    channel makes the producer wait instead.
//!
//! Run: `cargo run -p concepts -- mistakes`.

use crate::{Lesson, row};
use cli::human::{bytes, count, duration};
use harness::alloc::live_bytes;
use harness::cpu::measure;
use harness::heartbeat::Heartbeat;
use std::sync::Arc;
use std::time::Duration;

const BEAT: Duration = Duration::from_millis(5);

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("cannot build a tokio runtime")
}

/// Run `work` on a fresh single-threaded runtime beside a heartbeat; how
/// late the heartbeat got.
fn lateness<F: Future<Output = ()>>(work: impl FnOnce() -> F) -> Duration {
    current_thread().block_on(async {
        let heartbeat = Heartbeat::spawn(BEAT);
        tokio::time::sleep(BEAT * 4).await;
        work().await;
        tokio::time::sleep(BEAT * 4).await;
        heartbeat.worst_lateness()
    })
}

fn ms(d: Duration) -> String {
    duration(d)
}

// ANCHOR: deadlock
/// Two tasks on one thread, each taking a std Mutex and holding it across
/// an `.await`. `None` if they did not finish within `limit` (deadlock).
/// The deadlocked thread is left behind, blocked, until the program exits.
// The lint that warns about exactly this mistake, silenced: it is the point.
#[allow(clippy::await_holding_lock)]
fn std_mutex_across_await(limit: Duration) -> Option<()> {
    harness::watchdog::try_run(limit, || {
        let runtime = current_thread();
        let local = tokio::task::LocalSet::new();
        let shared = Arc::new(std::sync::Mutex::new(0u64));
        local.block_on(&runtime, async move {
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let shared = Arc::clone(&shared);
                    tokio::task::spawn_local(async move {
                        let mut count = shared.lock().expect("not poisoned");
                        // The mistake: awaiting while holding the guard.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        *count += 1;
                    })
                })
                .collect();
            for task in tasks {
                let _ = task.await;
            }
        });
    })
}
// ANCHOR_END: deadlock

/// The same with `tokio::sync::Mutex`: waiting for the lock is an `.await`.
async fn tokio_mutex_across_await() {
    let shared = Arc::new(tokio::sync::Mutex::new(0u64));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut count = shared.lock().await;
                tokio::time::sleep(Duration::from_millis(10)).await;
                *count += 1;
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

/// A fast producer and a slow consumer through `channel`; the largest
/// backlog seen and the heap growth at that moment.
fn backlog(
    items: usize,
    (tx, rx): (
        crossbeam::channel::Sender<Vec<u8>>,
        crossbeam::channel::Receiver<Vec<u8>>,
    ),
) -> (usize, Option<u64>) {
    let heap_before = live_bytes();
    std::thread::scope(|s| {
        let consumer = s.spawn(move || {
            for item in rx.iter() {
                // A slow consumer: a little work per item.
                std::hint::black_box(item.iter().map(|&b| u64::from(b)).sum::<u64>());
                std::thread::sleep(Duration::from_micros(20));
            }
        });
        let mut peak = 0;
        let mut heap_at_peak = None;
        for i in 0..items {
            tx.send(vec![i as u8; 1024]).expect("the consumer is alive");
            if tx.len() > peak {
                peak = tx.len();
                heap_at_peak = live_bytes();
            }
        }
        drop(tx);
        consumer.join().expect("the consumer panicked");
        let grown = match (heap_before, heap_at_peak) {
            (Some(before), Some(at_peak)) => Some(at_peak.saturating_sub(before)),
            _ => None,
        };
        (peak, grown)
    })
}

fn heap(grown: Option<u64>) -> String {
    match grown {
        Some(b) => format!("heap +{}", bytes(b)),
        None => "heap not measured".into(),
    }
}

/// The lesson's table.
pub fn lesson(items: usize) -> Lesson {
    let mut rows = Vec::new();
    // The first, second and fourth rows run on one single-threaded runtime:
    // at most one core.
    let (late, usage) =
        measure(|| lateness(|| async { std::thread::sleep(Duration::from_millis(100)) }));
    rows.push(
        row(
            "std::thread::sleep(100 ms) in async",
            usage,
            None,
            format!("heartbeat late by {}", ms(late)),
        )
        .cores_at_most(1),
    );
    let (late, usage) =
        measure(|| lateness(|| async { tokio::time::sleep(Duration::from_millis(100)).await }));
    rows.push(
        row(
            "tokio::time::sleep(100 ms)",
            usage,
            None,
            format!("heartbeat late by {}", ms(late)),
        )
        .cores_at_most(1),
    );

    const LIMIT: Duration = Duration::from_secs(1);
    let (finished, usage) = measure(|| std_mutex_across_await(LIMIT));
    rows.push(row(
        "std Mutex held across .await",
        usage,
        None,
        match finished {
            Some(()) => "finished (no contention this time)".into(),
            None => format!("deadlocked: no progress in {}", duration(LIMIT)),
        },
    ));
    let (late, usage) = measure(|| lateness(tokio_mutex_across_await));
    rows.push(
        row(
            "tokio Mutex held across .await",
            usage,
            None,
            format!("finished, heartbeat late by {}", ms(late)),
        )
        .cores_at_most(1),
    );

    let ((peak, grown), usage) = measure(|| backlog(items, crossbeam::channel::unbounded()));
    rows.push(row(
        "unbounded channel, slow consumer",
        usage,
        None,
        format!(
            "backlog up to {}, {}",
            count(peak, "item", "items"),
            heap(grown)
        ),
    ));
    const BOUND: usize = 100;
    let ((peak, grown), usage) = measure(|| backlog(items, crossbeam::channel::bounded(BOUND)));
    rows.push(
        row(
            format!("bounded channel ({BOUND}), slow consumer"),
            usage,
            None,
            format!(
                "backlog up to {}, {}",
                count(peak, "item", "items"),
                heap(grown)
            ),
        )
        .at_most("backlog", peak as u64, BOUND as u64),
    );

    Lesson {
        name: "mistakes",
        question: "What do the classic async mistakes cost?",
        rows,
        takeaway: "A blocking call stalls every task on its thread; a std Mutex held across \
                   .await deadlocks a single-threaded runtime (and does not compile for \
                   spawn); an unbounded channel turns a slow consumer into unbounded memory.",
        runs: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_std_mutex_across_await_deadlocks_a_single_thread() {
        assert_eq!(std_mutex_across_await(Duration::from_millis(500)), None);
    }

    #[test]
    fn a_blocking_sleep_is_seen_by_the_heartbeat_and_an_async_one_is_not() {
        let blocked = lateness(|| async { std::thread::sleep(Duration::from_millis(80)) });
        let awaited = lateness(|| async { tokio::time::sleep(Duration::from_millis(80)).await });
        assert!(blocked > awaited * 2, "{blocked:?} vs {awaited:?}");
    }

    #[test]
    fn a_bounded_channel_caps_the_backlog() {
        let (peak, _) = backlog(500, crossbeam::channel::bounded(10));
        assert!(peak <= 10, "{peak}");
        let (peak, _) = backlog(500, crossbeam::channel::unbounded());
        assert!(peak > 10, "the producer outruns the consumer: {peak}");
    }

    #[test]
    fn the_lesson_has_the_three_mistakes_and_their_fixes() {
        let lesson = lesson(300);
        assert_eq!(lesson.rows.len(), 6);
        assert!(lesson.rows[2].detail.starts_with("deadlocked"));
    }
}
