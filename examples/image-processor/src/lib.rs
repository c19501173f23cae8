//! The image processor as a tool: compare the strategies on generated
//! photos, or thumbnail a real folder on every core.
//!
//! The processing itself is the `image-processor` exercise's library: the
//! reference solution by default, your own with `cargo xtask run
//! image-processor --mine`. This crate adds what a user of the tool needs
//! around it: a progress bar, a summary, JSON output, an exit status that
//! says whether every file made it, and the measurements (wall time, cores
//! used, threads, peak memory) behind the comparison table.
//!
//! Run: `cargo run -p image-processor` (the comparison), `cargo run -p
//! image-processor --release -- --input ~/Pictures --output /tmp/thumbs`.

#[cfg(feature = "mine")]
pub use image_processor_exercise as kata;
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub use image_processor_solution as kata;

/// Whose code processes the images, for the report.
#[cfg(feature = "mine")]
pub const SUBJECT: &str = "your code (exercises/image-processor)";
/// Whose code processes the images, for the report.
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub const SUBJECT: &str = "the reference solution (solutions/image-processor)";
#[cfg(not(any(feature = "reference", feature = "mine")))]
compile_error!("enable the `reference` feature (the default) or `mine`");

use anyhow::{Context, Result};
use harness::{cpu, memory};
use indicatif::{ProgressBar, ProgressStyle};
use kata::{Job, Outcome, Progress, Settings};
use rayon::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
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
    /// Inputs considered.
    pub images: usize,
    /// Written successfully.
    pub processed: usize,
    /// Failed (including the inputs refused before any work).
    pub failed: usize,
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

/// A progress bar for `len` images on stderr (hidden when `hidden`, or
/// when stderr is not a terminal).
pub fn progress_bar(len: usize, prefix: &str, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64).with_prefix(prefix.to_owned());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>16} [{bar:30}] {pos}/{len} images, {per_sec}, {elapsed} {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// Run `jobs` with `strategy` (rayon with `threads` threads), measuring
/// wall time, CPU time, peak threads and peak memory. `refused` are the
/// inputs [`kata::job::plan`] refused; they count as failures.
pub fn run(
    strategy: Strategy,
    threads: usize,
    jobs: &[Job],
    refused: Vec<Outcome>,
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
    let tick = |outcome: &Outcome| {
        if let Err(e) = &outcome.result {
            bar.suspend(|| {
                tracing::warn!("{}: {e}", outcome.input.display());
            });
        }
        bar.inc(1);
    };
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
    let images = outcomes.len() + refused.len();
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
    let processed = images - failures.len();
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

fn megabytes(bytes: Option<u64>) -> String {
    bytes.map_or("?".into(), |b| {
        format!("{:.0} MB", b as f64 / (1 << 20) as f64)
    })
}

/// The comparison table, speed-up relative to the first row.
pub fn table(reports: &[BatchReport]) -> String {
    let base = reports.first().map_or(1.0, |r| r.images_per_s);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<17} {:>8} {:>9} {:>9} {:>8} {:>6} {:>13} {:>10} {:>10}",
        "strategy",
        "threads",
        "wall",
        "images/s",
        "speedup",
        "cores",
        "extra threads",
        "peak heap",
        "peak RSS"
    );
    for r in reports {
        let _ = writeln!(
            out,
            "{:<17} {:>8} {:>8.2}s {:>9.1} {:>7.2}× {:>6.2} {:>13} {:>10} {:>10}",
            r.strategy.name(),
            r.jobs,
            r.wall_s,
            r.images_per_s,
            if base > 0.0 {
                r.images_per_s / base
            } else {
                0.0
            },
            r.cores_used,
            r.peak_extra_threads,
            megabytes(r.peak_heap_bytes),
            megabytes(r.peak_rss_bytes),
        );
    }
    out
}

/// A one-paragraph summary of a folder run.
pub fn summary(report: &BatchReport, output: &Path) -> String {
    let mut out = format!(
        "{} of {} images processed into {} in {:.2}s ({:.1} images/s, {:.2} cores busy of {} \
         threads, peak {}); {} → {} bytes",
        report.processed,
        report.images,
        output.display(),
        report.wall_s,
        report.images_per_s,
        report.cores_used,
        report.jobs,
        megabytes(report.peak_heap_bytes),
        report.input_bytes,
        report.output_bytes,
    );
    if !report.failures.is_empty() {
        let _ = write!(out, "\n{} failed:", report.failures.len());
        for f in &report.failures {
            let _ = write!(out, "\n  {}: {}", f.input.display(), f.error);
        }
    }
    out
}

/// The demo's folder of generated photos: reused when a previous run left
/// it complete (generating takes longer than processing), otherwise
/// (re)written. Returns the paths.
pub fn demo_photos(dir: &Path, count: usize, seed: u64, quiet: bool) -> Result<Vec<PathBuf>> {
    let specs = kata::synth::specs(count, seed, kata::synth::PHOTO_SIZES);
    let stamp = dir.join(".complete");
    let expected = format!("{count} {seed} {}\n", specs.len());
    let paths: Vec<PathBuf> = specs.iter().map(|s| dir.join(&s.name)).collect();
    let complete = std::fs::read_to_string(&stamp).ok().as_deref() == Some(expected.as_str())
        && paths.iter().all(|p| p.is_file());
    if complete {
        return Ok(paths);
    }
    let _ = std::fs::remove_dir_all(dir);
    let paths = write_photos(dir, &specs, quiet)?;
    // Written last: a folder without it is regenerated next time.
    std::fs::write(&stamp, expected)?;
    Ok(paths)
}

/// Write the generated images of `specs` into `dir` (created if missing),
/// each atomically, with a progress bar unless `quiet`; their paths in
/// order. Generating is itself a CPU-bound batch: the same `par_iter`.
pub fn write_photos(dir: &Path, specs: &[kata::synth::Spec], quiet: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bar = progress_bar(specs.len(), "generating", quiet);
    let paths = specs
        .par_iter()
        .map(|spec| {
            let path = dir.join(&spec.name);
            kata::write::write_atomically(&path, &kata::synth::encode(spec))
                .with_context(|| format!("writing {}", path.display()))?;
            bar.inc(1);
            Ok(path)
        })
        .collect::<Result<Vec<PathBuf>>>()?;
    bar.finish_and_clear();
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(strategy: Strategy, images_per_s: f64) -> BatchReport {
        BatchReport {
            subject: SUBJECT,
            strategy,
            jobs: 2,
            images: 10,
            processed: 10,
            failed: 0,
            wall_s: 10.0 / images_per_s,
            cpu_s: 1.0,
            images_per_s,
            cores_used: 1.0,
            peak_extra_threads: 0,
            peak_heap_bytes: Some(40 << 20),
            peak_rss_bytes: Some(50 << 20),
            input_bytes: 0,
            output_bytes: 0,
            failures: vec![],
        }
    }

    #[test]
    fn the_table_measures_speedup_against_the_first_row() {
        let text = table(&[
            report(Strategy::Sequential, 10.0),
            report(Strategy::Rayon, 19.0),
        ]);
        assert!(text.contains("1.90×"), "{text}");
        assert!(text.contains("50 MB"), "{text}");
    }
}
