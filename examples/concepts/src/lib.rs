//! The lessons behind the decision table, measured on this machine.
//!
//! Each lesson runs the same job several ways — the serial baseline beside
//! the concurrent versions — and returns one [`Row`] per way, with figures
//! measured in this run: wall time, speed-up over the baseline, cores used,
//! and what else the lesson is about (requests in flight, runtime stalls).
//!
//! The concurrent code is the `concepts` exercise's: the reference solution
//! by default, your own with `cargo xtask run concepts --mine`.
//!
//! Run: `cargo run -p concepts` (all lessons), `cargo run -p concepts -- gil`,
//! `--json` for machine-readable output. Use `--release` for figures worth
//! comparing between machines.

#[cfg(feature = "mine")]
pub(crate) use concepts_exercise as kata;
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub(crate) use concepts_solution as kata;

/// Whose code the lessons run, for the report.
#[cfg(feature = "mine")]
pub const SUBJECT: &str = "your code (exercises/concepts)";
/// Whose code the lessons run, for the report.
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub const SUBJECT: &str = "the reference solution (solutions/concepts)";
#[cfg(not(any(feature = "reference", feature = "mine")))]
compile_error!("enable the `reference` feature (the default) or `mine`");

pub mod gil;
pub mod io;
pub mod mistakes;
pub mod overhead;
pub mod processes;
mod python;
pub mod runtimes;
pub mod sync;

use harness::cpu::{Usage, measure};
use harness::gauge::InFlight;
use harness::heartbeat::Heartbeat;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One way of doing a lesson's job, and what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub strategy: String,
    pub wall_ms: f64,
    /// Baseline wall time ÷ this wall time, where comparing speed is the
    /// point of the lesson.
    pub speedup: Option<f64>,
    /// CPU time ÷ wall time over the run.
    pub cores_used: f64,
    /// The lesson's own figure, e.g. "20 in flight" or "late by 412 ms".
    pub detail: String,
}

/// A lesson's measured table.
#[derive(Debug, Clone, Serialize)]
pub struct Lesson {
    pub name: &'static str,
    pub question: &'static str,
    pub rows: Vec<Row>,
    pub takeaway: &'static str,
}

pub(crate) fn row(
    strategy: impl Into<String>,
    usage: Usage,
    baseline: Option<Duration>,
    detail: String,
) -> Row {
    Row {
        strategy: strategy.into(),
        wall_ms: usage.wall.as_secs_f64() * 1e3,
        speedup: baseline.map(|b| b.as_secs_f64() / usage.wall.as_secs_f64().max(1e-9)),
        cores_used: usage.cores_used(),
        detail,
    }
}

/// How often each way is run; the fastest run is shown.
pub(crate) const RUNS: usize = 3;

/// I/O-bound, many: `requests` simulated requests of `latency` each,
/// awaited one by one versus all at once.
pub fn fetch(requests: u32, latency: Duration) -> Lesson {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("cannot build a tokio runtime");
    let in_flight = InFlight::new();
    let request = |id: u32| {
        let in_flight = in_flight.clone();
        async move {
            let _request = in_flight.enter();
            tokio::time::sleep(latency).await;
            id
        }
    };
    let ids = || (0..requests).collect::<Vec<_>>();
    let ((), one_by_one) = measure(|| {
        runtime.block_on(async {
            for id in ids() {
                request(id).await;
            }
        })
    });
    let serial_peak = in_flight.peak();
    let together = InFlight::new();
    let (_, all_at_once) = measure(|| {
        runtime.block_on(kata::fetch::fetch_all(ids(), |id| {
            let together = together.clone();
            async move {
                let _request = together.enter();
                tokio::time::sleep(latency).await;
                id
            }
        }))
    });
    let latencies = |u: Usage| u.wall.as_secs_f64() / latency.as_secs_f64();
    let (released, cancelled) = measure(|| runtime.block_on(cancel_with_timeout(latency)));
    let (peak, bounded) = measure(|| runtime.block_on(async_bounded_queue(100, 8)));
    Lesson {
        name: "async",
        question: "I/O-bound, many: what do overlapping waits buy?",
        rows: vec![
            row(
                "await one by one",
                one_by_one,
                Some(one_by_one.wall),
                format!(
                    "{serial_peak} in flight, {:.1} × latency",
                    latencies(one_by_one)
                ),
            ),
            row(
                "fetch_all (join_all)",
                all_at_once,
                Some(one_by_one.wall),
                format!(
                    "{} in flight, {:.1} × latency",
                    together.peak(),
                    latencies(all_at_once)
                ),
            ),
            row(
                "timeout cancels a request",
                cancelled,
                None,
                format!(
                    "gave up after {:.1} × latency; its Drop ran {released} time(s)",
                    latencies(cancelled)
                ),
            ),
            row(
                "async bounded channel (8)",
                bounded,
                None,
                format!("100 items; backlog never above {peak}: the producer waited"),
            ),
        ],
        takeaway: "Waits that overlap cost one latency, not N: with many requests, async \
                   keeps them all in flight on one thread. Cancelling a future drops it, so \
                   Drop releases its resources (there is no async Drop: clean-up that must \
                   await has to happen before); a bounded channel makes producers wait.",
    }
}

/// Counts how often it is dropped: stands for a resource (a connection, a
/// file) held by a future.
struct Resource(Arc<AtomicUsize>);

impl Drop for Resource {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// ANCHOR: cancel
/// A request holding a [`Resource`], cut short by `tokio::time::timeout`.
/// How many times the resource was released (1: dropping the future ran
/// its destructors).
async fn cancel_with_timeout(latency: Duration) -> usize {
    let released = Arc::new(AtomicUsize::new(0));
    let resource = Resource(Arc::clone(&released));
    let request = async move {
        let _held = resource;
        tokio::time::sleep(latency * 10).await;
    };
    // Times out after one latency: the request future is dropped mid-await.
    let _ = tokio::time::timeout(latency, request).await;
    released.load(Ordering::SeqCst)
}
// ANCHOR_END: cancel

/// A fast producer and a slower consumer through a tokio channel of
/// `bound` slots; the largest backlog the producer ever saw.
async fn async_bounded_queue(items: u32, bound: usize) -> usize {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(bound);
    let producer = tokio::spawn(async move {
        let mut peak = 0;
        for item in 0..items {
            // Waits (without blocking the thread) while the channel is full.
            if tx.send(item).await.is_err() {
                break;
            }
            peak = peak.max(tx.max_capacity() - tx.capacity());
        }
        peak
    });
    while let Some(item) = rx.recv().await {
        if item % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    producer.await.expect("the producer panicked")
}

/// Where the `mixed` lesson runs its CPU work.
#[derive(Debug, Clone, Copy)]
enum Offload {
    /// Right in the async function: the mistake.
    Direct,
    /// `tokio::task::spawn_blocking`: the exercise's answer.
    SpawnBlocking,
    /// `rayon::spawn`, the result sent back through a oneshot channel.
    Rayon,
}

/// Mixed: CPU work called from async code, directly on the runtime versus
/// offloaded to tokio's blocking pool or to rayon, with a heartbeat task
/// measuring how long the runtime stalled.
pub fn mixed(rounds: u64) -> Lesson {
    const BEAT: Duration = Duration::from_millis(5);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("cannot build a tokio runtime");
    let stalled = |how: Offload| {
        runtime.block_on(async {
            let heartbeat = Heartbeat::spawn(BEAT);
            tokio::time::sleep(BEAT * 4).await;
            let start = Instant::now();
            let sum = match how {
                // The mistake, on purpose: CPU work with no `.await`.
                Offload::Direct => kata::offload::checksum(rounds),
                Offload::SpawnBlocking => kata::offload::checksum_offloaded(rounds).await,
                // ANCHOR: rayon
                Offload::Rayon => {
                    let (done, result) = tokio::sync::oneshot::channel();
                    rayon::spawn(move || {
                        // The receiver only goes away if this task was
                        // cancelled; then nobody wants the sum.
                        let _ = done.send(kata::offload::checksum(rounds));
                    });
                    result.await.expect("the rayon job panicked")
                } // ANCHOR_END: rayon
            };
            let took = start.elapsed();
            tokio::time::sleep(BEAT * 4).await;
            (sum, took, heartbeat.worst_lateness())
        })
    };
    let rows = [
        ("on the runtime thread", Offload::Direct),
        ("spawn_blocking", Offload::SpawnBlocking),
        ("rayon::spawn + oneshot", Offload::Rayon),
    ]
    .into_iter()
    .map(|(name, how)| {
        let ((_, took, late), usage) = measure(|| stalled(how));
        let detail = format!(
            "work {:.0} ms, heartbeat late by {:.1} ms",
            took.as_secs_f64() * 1e3,
            late.as_secs_f64() * 1e3
        );
        row(name, usage, None, detail)
    })
    .collect();
    Lesson {
        name: "mixed",
        question: "Mixed: what happens to other tasks while async code computes?",
        rows,
        takeaway: "CPU work inside async code stalls every task on that thread; hand it to \
                   spawn_blocking or rayon and await the result.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_a_future_runs_its_drop_once() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        assert_eq!(
            runtime.block_on(cancel_with_timeout(Duration::from_millis(5))),
            1
        );
        assert!(runtime.block_on(async_bounded_queue(50, 4)) <= 4);
    }

    #[test]
    fn fetch_overlaps_only_in_the_concurrent_row() {
        let lesson = fetch(8, Duration::from_millis(20));
        assert_eq!(lesson.rows.len(), 4);
        assert!(lesson.rows[0].detail.starts_with("1 in flight"));
        assert!(lesson.rows[1].detail.starts_with("8 in flight"));
        assert!(lesson.rows[2].detail.ends_with("Drop ran 1 time(s)"));
        assert!(lesson.rows[1].speedup > Some(2.0), "{:?}", lesson.rows);
    }

    #[test]
    fn mixed_reports_every_way() {
        let lesson = mixed(1_000_000);
        assert_eq!(lesson.rows.len(), 3);
        assert!(
            lesson
                .rows
                .iter()
                .all(|r| r.detail.contains("heartbeat late by"))
        );
    }
}
