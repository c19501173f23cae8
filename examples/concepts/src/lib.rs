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
//! A figure beyond what it can physically be — more cores used than the
//! CPUs this program may run on, or than the threads a strategy runs on; a
//! backlog above its channel's bound — is a wrong measurement, not a
//! result: its [`Row`] is flagged (`over_bound`) and the program exits
//! with 1 instead of printing it as if it were one.
//!
//! Run: `cargo run -p concepts` (all lessons), `cargo run -p concepts -- gil`,
//! `--runs 3` for the median and spread of three runs, `--json` for
//! machine-readable output. Use `--release` for figures worth comparing
//! between machines.

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
pub mod measure;
pub mod mistakes;
pub mod overhead;
pub mod processes;
mod python;
pub mod runtimes;
pub mod sync;

use cli::human::{count, duration, times};
use harness::cpu::{Usage, measure};
use harness::gauge::InFlight;
use harness::heartbeat::Heartbeat;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One way of doing a lesson's job, and what it cost.
///
/// With several runs (`--runs N`) the figures are those of the median run
/// (by wall time: the run in the middle, a real run rather than an average
/// of two), the speed-up is the median of the runs' own speed-ups, and
/// `runs` keeps every run's figures.
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
    /// The fastest and the slowest run's wall time.
    pub wall_min_ms: f64,
    pub wall_max_ms: f64,
    /// Every run, in the order they ran.
    pub runs: Vec<Run>,
    /// Figures of this row, in any run, beyond what they can physically be
    /// (more cores used than the machine has, a backlog above its bound):
    /// a wrong measurement, never a result. Empty when all is well.
    pub over_bound: Vec<String>,
}

/// One run of one strategy.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub wall_ms: f64,
    pub speedup: Option<f64>,
    pub cores_used: f64,
    pub detail: String,
    /// As [`Row::over_bound`], for this run alone.
    pub over_bound: Vec<String>,
}

/// A lesson's measured table.
#[derive(Debug, Clone, Serialize)]
pub struct Lesson {
    pub name: &'static str,
    pub question: &'static str,
    pub rows: Vec<Row>,
    pub takeaway: &'static str,
    /// How many times each strategy ran.
    pub runs: usize,
}

impl Run {
    /// A run's figures, checked against their bounds.
    fn new(wall_ms: f64, speedup: Option<f64>, cores_used: f64, detail: String) -> Run {
        let mut run = Run {
            wall_ms,
            speedup,
            cores_used,
            detail,
            over_bound: Vec::new(),
        };
        run.over_bound = run.check();
        run
    }

    /// What in this run is beyond its bound. The CPUs are a hard bound on
    /// cores used (see [`measure::cpus`]); a speed-up is not bounded by
    /// them (a faster algorithm, a warmer cache), only by being positive.
    fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let cpus = measure::cpus();
        let limit = cpus as f64 + measure::cores_tolerance(cpus);
        if !(self.cores_used.is_finite() && self.cores_used >= 0.0) {
            problems.push(format!(
                "cores used {} is not a measurement",
                self.cores_used
            ));
        } else if self.cores_used > limit {
            problems.push(format!(
                "{:.2} cores used, on {}",
                self.cores_used,
                count(cpus, "CPU", "CPUs")
            ));
        }
        if !(self.wall_ms.is_finite() && self.wall_ms >= 0.0) {
            problems.push(format!(
                "wall time {} ms is not a measurement",
                self.wall_ms
            ));
        }
        if let Some(s) = self.speedup
            && !(s.is_finite() && s > 0.0)
        {
            problems.push(format!("speed-up {s} is not a measurement"));
        }
        problems
    }
}

impl Row {
    /// A row of one run.
    pub fn new(
        strategy: impl Into<String>,
        wall_ms: f64,
        speedup: Option<f64>,
        cores_used: f64,
        detail: String,
    ) -> Row {
        Row::of_runs(
            strategy.into(),
            vec![Run::new(wall_ms, speedup, cores_used, detail)],
        )
    }

    /// A row from its runs (at least one): the median run's figures.
    fn of_runs(strategy: String, runs: Vec<Run>) -> Row {
        assert!(!runs.is_empty(), "a row has at least one run");
        let mut by_wall: Vec<&Run> = runs.iter().collect();
        by_wall.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
        let median = by_wall[(by_wall.len() - 1) / 2];
        let mut speedups: Vec<f64> = runs.iter().filter_map(|r| r.speedup).collect();
        speedups.sort_by(f64::total_cmp);
        let several = runs.len() > 1;
        let over_bound = runs
            .iter()
            .enumerate()
            .flat_map(|(i, run)| {
                run.over_bound.iter().map(move |p| {
                    if several {
                        format!("run {}: {p}", i + 1)
                    } else {
                        p.clone()
                    }
                })
            })
            .collect();
        Row {
            strategy,
            wall_ms: median.wall_ms,
            speedup: (!speedups.is_empty()).then(|| speedups[(speedups.len() - 1) / 2]),
            cores_used: median.cores_used,
            detail: median.detail.clone(),
            wall_min_ms: by_wall[0].wall_ms,
            wall_max_ms: by_wall[by_wall.len() - 1].wall_ms,
            over_bound,
            runs,
        }
    }

    /// Flag the row if it kept more than `threads` cores busy: a strategy
    /// that runs on one thread (a serial loop, a single-threaded runtime)
    /// cannot use more than one core, however many the machine has. What
    /// it shows beyond that is some other thread's CPU time counted in its
    /// window.
    pub fn cores_at_most(mut self, threads: usize) -> Row {
        let limit = threads as f64 + measure::cores_tolerance(threads);
        let problems: Vec<String> = self
            .runs
            .iter_mut()
            .filter(|run| run.cores_used > limit)
            .map(|run| {
                let problem = format!(
                    "{:.2} cores used by {}",
                    run.cores_used,
                    count(threads, "thread", "threads")
                );
                run.over_bound.push(problem.clone());
                problem
            })
            .collect();
        self.over_bound.extend(problems);
        self
    }

    /// Check one of the lesson's own figures against its bound (a peak of
    /// requests in flight against the pool's size, a backlog against the
    /// channel's capacity): beyond it, the row is flagged.
    pub fn at_most(mut self, what: &str, value: u64, bound: u64) -> Row {
        if value > bound {
            let problem = format!("{what} {value}, above its bound of {bound}");
            if let Some(run) = self.runs.last_mut() {
                run.over_bound.push(problem.clone());
            }
            self.over_bound.push(problem);
        }
        self
    }
}

pub(crate) fn row(
    strategy: impl Into<String>,
    usage: Usage,
    baseline: Option<Duration>,
    detail: String,
) -> Row {
    Row::new(
        strategy,
        usage.wall.as_secs_f64() * 1e3,
        baseline.map(|b| b.as_secs_f64() / usage.wall.as_secs_f64().max(1e-9)),
        usage.cores_used(),
        detail,
    )
}

/// One lesson from several runs of it (`--runs N`): each strategy's row
/// with every run's figures, shown as its median run. Rows are matched by
/// strategy, in the order they first appear.
pub fn merge(runs: Vec<Lesson>) -> Lesson {
    let mut runs = runs.into_iter();
    let first = runs.next().expect("a lesson ran at least once");
    let mut count = 1;
    let mut rows: Vec<(String, Vec<Run>)> = first
        .rows
        .into_iter()
        .map(|r| (r.strategy, r.runs))
        .collect();
    for lesson in runs {
        count += 1;
        for row in lesson.rows {
            match rows.iter_mut().find(|(s, _)| *s == row.strategy) {
                Some((_, seen)) => seen.extend(row.runs),
                None => rows.push((row.strategy, row.runs)),
            }
        }
    }
    Lesson {
        rows: rows
            .into_iter()
            .map(|(strategy, runs)| Row::of_runs(strategy, runs))
            .collect(),
        runs: count,
        ..first
    }
}

/// "5.10× the latency": a wall time in latencies.
pub(crate) fn latencies(wall: Duration, latency: Duration) -> String {
    format!(
        "{} the latency",
        times(wall.as_secs_f64() / latency.as_secs_f64().max(1e-9))
    )
}

/// "26.5 M increments/s": large rates in millions (three figures).
pub(crate) fn millions_per_second(n: u64, wall: Duration, unit: &str) -> String {
    let per_second = n as f64 / wall.as_secs_f64().max(1e-9);
    format!("{} M {unit}/s", cli::human::sig3(per_second / 1e6))
}

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
    let (released, cancelled) = measure(|| runtime.block_on(cancel_with_timeout(latency)));
    const ITEMS: u32 = 100;
    const BOUND: usize = 8;
    let (peak, bounded) = measure(|| runtime.block_on(async_bounded_queue(ITEMS, BOUND)));
    let requests_u64 = u64::from(requests);
    Lesson {
        name: "async",
        question: "I/O-bound, many: what do overlapping waits buy?",
        rows: vec![
            row(
                "await one by one",
                one_by_one,
                Some(one_by_one.wall),
                format!(
                    "{serial_peak} in flight, {}",
                    latencies(one_by_one.wall, latency)
                ),
            )
            .at_most("requests in flight", serial_peak as u64, 1)
            .cores_at_most(1),
            row(
                "fetch_all (join_all)",
                all_at_once,
                Some(one_by_one.wall),
                format!(
                    "{} in flight, {}",
                    together.peak(),
                    latencies(all_at_once.wall, latency)
                ),
            )
            .at_most("requests in flight", together.peak() as u64, requests_u64)
            .cores_at_most(1),
            row(
                "timeout cancels a request",
                cancelled,
                None,
                format!(
                    "gave up after {}; its Drop ran {}",
                    latencies(cancelled.wall, latency),
                    count(released, "time", "times")
                ),
            )
            .cores_at_most(1),
            row(
                format!("async bounded channel ({BOUND})"),
                bounded,
                None,
                format!(
                    "{}; backlog never above {peak}: the producer waited",
                    count(ITEMS as usize, "item", "items")
                ),
            )
            .at_most("backlog", peak as u64, BOUND as u64)
            .cores_at_most(1),
        ],
        takeaway: "Waits that overlap cost one latency, not N: with many requests, async \
                   keeps them all in flight on one thread. Cancelling a future drops it, so \
                   Drop releases its resources (there is no async Drop: clean-up that must \
                   await has to happen before); a bounded channel makes producers wait.",
        runs: 1,
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
            "work {}, heartbeat late by {}",
            duration(took),
            duration(late)
        );
        let row = row(name, usage, None, detail);
        match how {
            // The work and the heartbeat share the runtime's one thread.
            Offload::Direct => row.cores_at_most(1),
            Offload::SpawnBlocking | Offload::Rayon => row,
        }
    })
    .collect();
    Lesson {
        name: "mixed",
        question: "Mixed: what happens to other tasks while async code computes?",
        rows,
        takeaway: "CPU work inside async code stalls every task on that thread; hand it to \
                   spawn_blocking or rayon and await the result.",
        runs: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson_of(rows: Vec<Row>) -> Lesson {
        Lesson {
            name: "test",
            question: "?",
            rows,
            takeaway: "!",
            runs: 1,
        }
    }

    #[test]
    fn cores_used_beyond_the_cpus_is_flagged_and_within_them_is_not() {
        let cpus = measure::cpus() as f64;
        let within = Row::new("within", 10.0, Some(2.0), cpus + 0.05, "ok".into());
        assert!(within.over_bound.is_empty(), "{within:?}");
        let over = Row::new("over", 10.0, None, cpus + 0.33, "ok".into());
        assert_eq!(over.over_bound.len(), 1, "{over:?}");
        assert!(over.over_bound[0].contains("cores used"), "{over:?}");
        let negative = Row::new("negative", 10.0, None, -0.5, "ok".into());
        assert_eq!(negative.over_bound.len(), 1, "{negative:?}");
        let nan = Row::new("nan", f64::NAN, Some(0.0), 1.0, "ok".into());
        assert_eq!(nan.over_bound.len(), 2, "wall and speed-up: {nan:?}");
        let backlog = Row::new("b", 1.0, None, 1.0, "ok".into()).at_most("backlog", 9, 8);
        assert_eq!(backlog.over_bound, ["backlog 9, above its bound of 8"]);
        assert_eq!(backlog.runs[0].over_bound.len(), 1);
        assert!(
            Row::new("b", 1.0, None, 1.0, "ok".into())
                .at_most("backlog", 8, 8)
                .over_bound
                .is_empty()
        );
        // One thread keeps at most one core busy, on any machine.
        let serial = Row::new("serial", 10.0, None, 1.32, "ok".into()).cores_at_most(1);
        assert_eq!(serial.over_bound, ["1.32 cores used by 1 thread"]);
        let serial = Row::new("serial", 10.0, None, 1.05, "ok".into()).cores_at_most(1);
        assert!(serial.over_bound.is_empty(), "{serial:?}");
    }

    #[test]
    fn runs_merge_into_the_median_run_with_the_spread_and_every_run_kept() {
        let cpus = measure::cpus() as f64;
        let runs = [
            (30.0, 1.0, "slow"),
            (10.0, 3.0, "fast"),
            (20.0, 2.0, "middle"),
        ]
        .into_iter()
        .map(|(wall, speedup, detail)| {
            lesson_of(vec![
                Row::new("a", wall, Some(speedup), 1.5, detail.into()),
                Row::new(
                    "b",
                    wall * 2.0,
                    None,
                    if detail == "fast" { cpus + 1.0 } else { 1.0 },
                    detail.into(),
                ),
            ])
        })
        .collect();
        let lesson = merge(runs);
        assert_eq!(lesson.runs, 3);
        let a = &lesson.rows[0];
        assert_eq!(
            (a.wall_ms, a.wall_min_ms, a.wall_max_ms),
            (20.0, 10.0, 30.0)
        );
        assert_eq!((a.speedup, a.detail.as_str()), (Some(2.0), "middle"));
        assert_eq!(
            a.runs.iter().map(|r| r.wall_ms).collect::<Vec<_>>(),
            [30.0, 10.0, 20.0]
        );
        let b = &lesson.rows[1];
        assert_eq!((b.strategy.as_str(), b.speedup), ("b", None));
        // The median run is within bounds, the fastest is not: still flagged,
        // and which run it was is said.
        assert_eq!(b.cores_used, 1.0);
        assert_eq!(b.over_bound.len(), 1, "{b:?}");
        assert!(b.over_bound[0].starts_with("run 2: "), "{b:?}");
    }

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
        assert!(
            lesson.rows[2].detail.ends_with("Drop ran 1 time"),
            "{:?}",
            lesson.rows[2]
        );
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
