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
mod python;
pub mod sync;

use harness::cpu::{Usage, measure};
use harness::gauge::InFlight;
use harness::heartbeat::Heartbeat;
use serde::Serialize;
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
    Lesson {
        name: "fetch",
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
        ],
        takeaway: "Waits that overlap cost one latency, not N: with many requests, async \
                   keeps them all in flight on one thread.",
    }
}

/// Mixed: CPU work called from async code, directly on the runtime versus
/// offloaded, with a heartbeat task measuring how long the runtime stalled.
pub fn offload(rounds: u64) -> Lesson {
    const BEAT: Duration = Duration::from_millis(5);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("cannot build a tokio runtime");
    let stalled = |offloaded: bool| {
        runtime.block_on(async {
            let heartbeat = Heartbeat::spawn(BEAT);
            tokio::time::sleep(BEAT * 4).await;
            let start = Instant::now();
            let sum = if offloaded {
                kata::offload::checksum_offloaded(rounds).await
            } else {
                // The mistake, on purpose: CPU work with no `.await`.
                kata::offload::checksum(rounds)
            };
            let took = start.elapsed();
            tokio::time::sleep(BEAT * 4).await;
            (sum, took, heartbeat.worst_lateness())
        })
    };
    let ((_, took_direct, late_direct), direct) = measure(|| stalled(false));
    let ((_, took_offloaded, late_offloaded), offloaded) = measure(|| stalled(true));
    let late = |took: Duration, late: Duration| {
        format!(
            "work {:.0} ms, heartbeat late by {:.1} ms",
            took.as_secs_f64() * 1e3,
            late.as_secs_f64() * 1e3
        )
    };
    Lesson {
        name: "offload",
        question: "Mixed: what happens to other tasks while async code computes?",
        rows: vec![
            row(
                "on the runtime thread",
                direct,
                None,
                late(took_direct, late_direct),
            ),
            row(
                "spawn_blocking",
                offloaded,
                None,
                late(took_offloaded, late_offloaded),
            ),
        ],
        takeaway: "CPU work inside async code stalls every task on that thread; hand it to \
                   spawn_blocking or rayon and await the result.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_overlaps_only_in_the_concurrent_row() {
        let lesson = fetch(8, Duration::from_millis(20));
        assert!(lesson.rows[0].detail.starts_with("1 in flight"));
        assert!(lesson.rows[1].detail.starts_with("8 in flight"));
        assert!(lesson.rows[1].speedup > Some(2.0), "{:?}", lesson.rows);
    }

    #[test]
    fn offload_reports_both_ways() {
        let lesson = offload(1_000_000);
        assert_eq!(lesson.rows.len(), 2);
        assert!(
            lesson
                .rows
                .iter()
                .all(|r| r.detail.contains("heartbeat late by"))
        );
    }
}
