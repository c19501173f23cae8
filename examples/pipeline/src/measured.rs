//! One strategy, run and measured: wall time, CPU, the threads and heap it
//! added, what it stored, and its timeline of queue depths.

use crate::SUBJECT;
use crate::kata::{Db, Meter, Source};
use crate::live::{Busy, Live};
use crate::strategy::{Setup, Strategy};
use anyhow::Result;
use harness::{cpu, memory};
use indicatif::ProgressBar;
use serde::Serialize;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use crate::live::Sample;

/// What one strategy's run did and cost.
#[derive(Clone, Debug, Serialize)]
pub struct Measured {
    /// Whose code ran the answer strategy.
    pub subject: &'static str,
    /// How.
    pub strategy: Strategy,
    /// Inputs stored as done.
    pub done: usize,
    /// Inputs stored as failed: name and error.
    pub failed: Vec<(String, String)>,
    /// Inputs skipped (done by an earlier run).
    pub skipped: usize,
    /// Inputs not finished (the run was cancelled).
    pub abandoned: usize,
    /// Transactions committed.
    pub batches: usize,
    /// Elapsed time.
    pub wall_s: f64,
    /// CPU time of the whole process over the run (the log server's
    /// threads included: they are in this process).
    pub cpu_s: f64,
    /// cpu ÷ wall.
    pub cores_used: f64,
    /// Stored inputs (done and failed) ÷ wall.
    pub files_per_s: f64,
    /// Uncompressed megabytes parsed ÷ wall.
    pub mb_per_s: f64,
    /// Bytes downloaded.
    pub downloaded_bytes: u64,
    /// Uncompressed bytes parsed.
    pub plain_bytes: u64,
    /// Lines read, and how many of them were malformed.
    pub lines: u64,
    /// Malformed lines among them.
    pub malformed: u64,
    /// The most threads the run added to the process at once (its
    /// runtime, pool, writer and any blocking threads).
    pub peak_threads: usize,
    /// The most heap the run added at once (counted by the global
    /// allocator).
    pub peak_heap_bytes: Option<u64>,
    /// The most downloads in flight at once, as sampled.
    pub peak_downloads: u64,
    /// Each stage's share of the run in which it had work.
    pub busy: Busy,
    /// Queue depths over time, every [`crate::live::PERIOD`].
    pub timeline: Vec<Sample>,
}

/// Run `strategy` over `sources` into `db`, measured, showing progress on
/// `bar`. The setup's meter is replaced by a fresh one: counts start at
/// zero.
pub fn measure(
    strategy: Strategy,
    sources: Vec<Source>,
    db: Db,
    setup: &Setup,
    cancel: &CancellationToken,
    bar: &ProgressBar,
) -> Result<Measured> {
    let mut setup = setup.clone();
    setup.options.meter = Meter::default();
    let live = Live::start(setup.options.meter.clone(), bar.clone())?;
    let before = memory::thread_count().unwrap_or(0);
    let heap_before = harness::alloc::live_bytes();
    let sampler = memory::ThreadSampler::start(Duration::from_millis(2));
    harness::alloc::reset_peak();
    let (report, usage) = cpu::measure(|| strategy.run(sources, db, &setup, cancel));
    let peak_threads = sampler.stop().saturating_sub(before);
    let peak_heap_bytes = harness::alloc::peak_live_bytes()
        .zip(heap_before)
        .map(|(peak, before)| peak.saturating_sub(before));
    let timeline = live.stop();
    let report = report?;
    let wall_s = usage.wall.as_secs_f64();
    let per_s = |n: f64| if wall_s > 0.0 { n / wall_s } else { 0.0 };
    Ok(Measured {
        subject: SUBJECT,
        strategy,
        done: report.done,
        skipped: report.skipped,
        abandoned: report.abandoned,
        batches: report.batches,
        wall_s,
        cpu_s: usage.cpu.as_secs_f64(),
        cores_used: usage.cores_used(),
        files_per_s: per_s((report.done + report.failed.len()) as f64),
        mb_per_s: per_s(report.plain_bytes as f64 / 1e6),
        downloaded_bytes: report.downloaded_bytes,
        plain_bytes: report.plain_bytes,
        lines: report.lines,
        malformed: report.malformed,
        failed: report.failed,
        peak_threads,
        peak_heap_bytes,
        peak_downloads: timeline.iter().map(|s| s.downloading).max().unwrap_or(0),
        busy: Busy::of(&timeline),
        timeline,
    })
}
