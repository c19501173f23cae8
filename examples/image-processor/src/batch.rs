//! One batch, run and measured: the [`Strategy`] it runs with, the
//! [`BatchReport`] of what it did and cost (wall time, CPU, threads, peak
//! memory, every [`Failure`] with its reason), and [`run`], which runs the
//! exercise library's batch functions inside a pool of the right size.
//!
//! The folder run ([`process`](crate::process)) runs one batch, the
//! comparison ([`compare`](fn@crate::compare)) one per strategy and round.

use crate::{SUBJECT, kata};
use anyhow::{Context, Result};
use harness::{cpu, memory};
use indicatif::ProgressBar;
use kata::{Job, Outcome, Progress, Settings};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// How to process a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One image at a time, on one thread.
    Sequential,
    /// One OS thread per image, all at once.
    ThreadPerImage,
    /// rayon's pool: one thread per core, each taking the next image.
    Rayon,
}

impl Strategy {
    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential",
            Strategy::ThreadPerImage => "thread-per-image",
            Strategy::Rayon => "rayon",
        }
    }
}

/// One failed input, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// The input file.
    pub input: PathBuf,
    /// The kind of failure (`corrupt`, `truncated`, `too-large`...).
    pub kind: &'static str,
    /// The reason, in words.
    pub error: String,
}

/// What one batch run did and cost.
#[derive(Clone, Debug, Serialize)]
pub struct BatchReport {
    /// Whose code ran.
    pub subject: &'static str,
    /// How.
    pub strategy: Strategy,
    /// Threads in the pool (rayon), or 1 (sequential), or one per image.
    pub jobs: usize,
    /// Inputs considered (processed + failed + skipped).
    pub images: usize,
    /// Written successfully.
    pub processed: usize,
    /// Failed (including the inputs refused before any work).
    pub failed: usize,
    /// Not processed because their output already existed (no
    /// `--overwrite`).
    pub skipped: usize,
    /// Elapsed time.
    pub wall_s: f64,
    /// CPU time of the whole process over the run.
    pub cpu_s: f64,
    /// processed ÷ wall.
    pub images_per_s: f64,
    /// cpu ÷ wall.
    pub cores_used: f64,
    /// The most threads this process had at once, beyond those it had
    /// before the run.
    pub peak_extra_threads: usize,
    /// The most heap memory the program held at once during the run
    /// (counted by the global allocator: what was in use, not what the
    /// allocator kept cached).
    pub peak_heap_bytes: Option<u64>,
    /// High-water mark of resident memory during the run (Linux); includes
    /// freed memory the allocator kept for reuse.
    pub peak_rss_bytes: Option<u64>,
    /// Input bytes read.
    pub input_bytes: u64,
    /// Output bytes written.
    pub output_bytes: u64,
    /// Every failure, with its reason.
    pub failures: Vec<Failure>,
}

/// Run `jobs` with `strategy` (rayon with `threads` threads), measuring
/// wall time, CPU time, peak threads and peak memory. `refused` are the
/// inputs [`kata::job::plan`] refused; they count as failures. `skipped`
/// inputs were left alone (their output exists): counted, not run.
pub fn run(
    strategy: Strategy,
    threads: usize,
    jobs: &[Job],
    refused: Vec<Outcome>,
    skipped: usize,
    settings: &Settings,
    bar: &ProgressBar,
) -> Result<BatchReport> {
    // Sequential runs inside a one-thread pool: the JPEG decoder hands part
    // of its work to the rayon pool it runs in, and the baseline must stay
    // on one core. The rayon run gets a pool of exactly `threads`.
    let pool_threads = match strategy {
        Strategy::Sequential => 1,
        Strategy::ThreadPerImage | Strategy::Rayon => threads,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(pool_threads)
        .thread_name(|i| format!("rayon-{i}"))
        .build()
        .context("starting the thread pool")?;
    // Let the pool's threads start before counting, so they are not
    // counted as the batch's own.
    pool.install(|| rayon::join(|| (), || ()));
    let input_bytes = jobs
        .iter()
        .filter_map(|j| std::fs::metadata(&j.input).ok())
        .map(|m| m.len())
        .sum();
    // Only counted here: each failure is reported once, in the report's
    // list, not also as a log line while the batch runs.
    let tick = |_: &Outcome| bar.inc(1);
    let progress = Progress::new(&tick);
    let before = memory::thread_count().unwrap_or(0);
    let sampler = memory::ThreadSampler::start(Duration::from_millis(2));
    harness::alloc::reset_peak();
    let ((outcomes, usage), peak) = memory::measure_peak(|| {
        cpu::measure(|| match strategy {
            Strategy::Sequential => {
                pool.install(|| kata::batch::sequential(jobs, settings, progress))
            }
            Strategy::ThreadPerImage => {
                pool.install(|| kata::unbounded::thread_per_image(jobs, settings, progress))
            }
            Strategy::Rayon => pool.install(|| kata::batch::parallel(jobs, settings, progress)),
        })
    });
    let peak_extra_threads = sampler.stop().saturating_sub(before);
    let peak_heap_bytes = harness::alloc::peak_live_bytes();
    let mut failures = Vec::new();
    let mut output_bytes = 0;
    let images = outcomes.len() + refused.len() + skipped;
    for outcome in outcomes.iter().chain(&refused) {
        match &outcome.result {
            Ok(done) => output_bytes += done.bytes,
            Err(e) => failures.push(Failure {
                input: outcome.input.clone(),
                kind: e.kind(),
                error: e.to_string(),
            }),
        }
    }
    let wall_s = usage.wall.as_secs_f64();
    let processed = images - failures.len() - skipped;
    Ok(BatchReport {
        subject: SUBJECT,
        strategy,
        jobs: match strategy {
            Strategy::ThreadPerImage => jobs.len(),
            _ => pool_threads,
        },
        images,
        processed,
        failed: failures.len(),
        skipped,
        wall_s,
        cpu_s: usage.cpu.as_secs_f64(),
        images_per_s: if wall_s > 0.0 {
            processed as f64 / wall_s
        } else {
            0.0
        },
        cores_used: usage.cores_used(),
        peak_extra_threads,
        peak_heap_bytes,
        peak_rss_bytes: peak,
        input_bytes,
        output_bytes,
        failures,
    })
}
