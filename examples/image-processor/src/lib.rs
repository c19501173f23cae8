//! The image processor as a tool: compare the strategies on generated
//! photos, or thumbnail a real folder on every core.
//!
//! The processing itself is the `image-processor` exercise's library: the
//! reference solution by default, your own with `cargo xtask run
//! image-processor --mine`. This crate adds what a user of the tool needs
//! around it: the folders to read and where their results go, refused
//! before anything is written when they overlap ([`tree`]), progress, a
//! summary that lists each failure once, JSON output, an exit status that
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

pub mod tree;

use anyhow::{Context, Result};
use cli::human;
use cli::table::Table;
use harness::{cpu, memory};
use indicatif::ProgressBar;
use kata::{Job, Outcome, OutputFormat, Progress, Settings};
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

/// The settings in words, for people: `fit 512×512, JPEG quality 85`.
pub fn describe(settings: &Settings) -> String {
    let mut parts: Vec<String> = settings.ops.iter().map(describe_op).collect();
    parts.push(match settings.output {
        OutputFormat::Jpeg { quality } => format!("JPEG quality {quality}"),
        OutputFormat::Png => "PNG".into(),
    });
    parts.join(", ")
}

fn describe_op(op: &kata::Op) -> String {
    use kata::Op;
    match *op {
        Op::Fit { width, height } => format!("fit {width}×{height}"),
        Op::Thumbnail { width, height } => format!("fill {width}×{height} (cropped)"),
        Op::Grayscale => "grayscale".into(),
        Op::Blur { sigma } => format!("blur (sigma {sigma})"),
        Op::Sharpen { sigma } => format!("sharpen (sigma {sigma})"),
        Op::Crop {
            x,
            y,
            width,
            height,
        } => format!("crop {width}×{height} at {x},{y}"),
        Op::Rotate { degrees } => format!("rotate {degrees}°"),
    }
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

/// A size that may be unknown: `46.9 MB` or `?`.
fn size(bytes: Option<u64>) -> String {
    bytes.map_or("?".into(), human::bytes)
}

/// The smallest, the median and the largest of `values` (not empty).
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    (sorted[0], median, sorted[n - 1])
}

/// The median wall time, and with more than one run its range in the
/// median's unit: `1.25 s (1.20–1.31 s)`.
fn wall_cell(walls: &[f64]) -> String {
    let (min, median, max) = spread(walls);
    let text = human::duration(Duration::from_secs_f64(median));
    if walls.len() < 2 {
        return text;
    }
    let (scale, unit) = if median < 1e-3 {
        (1e6, "µs")
    } else if median < 1.0 {
        (1e3, "ms")
    } else {
        (1.0, "s")
    };
    format!(
        "{text} ({}–{} {unit})",
        human::sig3(min * scale),
        human::sig3(max * scale)
    )
}

/// The median rate, and with more than one run its range: `24.1 (22.9–25.0)`.
fn rate_cell(rates: &[f64]) -> String {
    let (min, median, max) = spread(rates);
    if rates.len() < 2 {
        return human::sig3(median);
    }
    format!(
        "{} ({}–{})",
        human::sig3(median),
        human::sig3(min),
        human::sig3(max)
    )
}

/// The comparison table: one row per strategy, from every run of it
/// (`strategies[i]` holds strategy i's runs, none empty). Wall time and
/// images/s are medians, with their range when there are several runs;
/// speed-up is against the first row's median; the other columns come
/// from the run of median wall time.
pub fn table(strategies: &[Vec<BatchReport>]) -> String {
    let rates =
        |runs: &[BatchReport]| -> Vec<f64> { runs.iter().map(|r| r.images_per_s).collect() };
    let base = strategies
        .first()
        .map_or(0.0, |runs| spread(&rates(runs)).1);
    let mut table = Table::new([
        "strategy",
        "threads",
        "wall",
        "images/s",
        "speed-up",
        "cores used",
        "added threads",
        "peak heap",
        "peak RSS",
    ])
    .numeric(1..=8);
    for runs in strategies {
        let walls: Vec<f64> = runs.iter().map(|r| r.wall_s).collect();
        let rates = rates(runs);
        let mut by_wall: Vec<&BatchReport> = runs.iter().collect();
        by_wall.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
        let typical = by_wall[(by_wall.len() - 1) / 2];
        let median_rate = spread(&rates).1;
        table.row([
            typical.strategy.name().to_owned(),
            typical.jobs.to_string(),
            wall_cell(&walls),
            rate_cell(&rates),
            if base > 0.0 {
                human::times(median_rate / base)
            } else {
                "—".into()
            },
            human::sig3(typical.cores_used),
            typical.peak_extra_threads.to_string(),
            size(typical.peak_heap_bytes),
            size(typical.peak_rss_bytes),
        ]);
    }
    table.to_string()
}

/// The summary of a folder run: what was done, how fast, what was left
/// alone, and every failure with its reason, each once.
pub fn summary(report: &BatchReport, output: &Path) -> String {
    let mut out = format!(
        "{} of {} processed into {} in {} ({}; {} cores busy, {}; peak heap {}); {} read → {} \
         written",
        report.processed,
        human::count(report.images, "image", "images"),
        output.display(),
        human::duration(Duration::from_secs_f64(report.wall_s)),
        human::rate(report.images_per_s, "images"),
        human::sig3(report.cores_used),
        human::count(report.jobs, "thread", "threads"),
        size(report.peak_heap_bytes),
        human::bytes(report.input_bytes),
        human::bytes(report.output_bytes),
    );
    if report.skipped == 1 {
        out.push_str("\n1 skipped: its output already exists (add --overwrite to redo it)");
    } else if report.skipped > 1 {
        let _ = write!(
            out,
            "\n{} skipped: their outputs already exist (add --overwrite to redo them)",
            report.skipped
        );
    }
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
/// (re)written, with progress as `out` allows. Returns the paths.
pub fn demo_photos(dir: &Path, count: usize, seed: u64, out: &cli::Output) -> Result<Vec<PathBuf>> {
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
    let paths = write_photos(dir, &specs, out)?;
    // Written last: a folder without it is regenerated next time.
    std::fs::write(&stamp, expected)?;
    Ok(paths)
}

/// Write the generated images of `specs` into `dir` (created if missing),
/// each atomically, with progress as `out` allows; their paths in order.
/// Generating is itself a CPU-bound batch: the same `par_iter`.
pub fn write_photos(
    dir: &Path,
    specs: &[kata::synth::Spec],
    out: &cli::Output,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bar =
        cli::progress::Progress::new("generating", "images", Some(specs.len() as u64)).start(out);
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
            skipped: 0,
            wall_s: 10.0 / images_per_s,
            cpu_s: 1.0,
            images_per_s,
            cores_used: 1.0,
            peak_extra_threads: 0,
            peak_heap_bytes: Some(40 << 20),
            peak_rss_bytes: Some(50 << 20),
            input_bytes: 46_946_075,
            output_bytes: 751_192,
            failures: vec![],
        }
    }

    #[test]
    fn the_table_measures_speedup_against_the_first_row() {
        let text = table(&[
            vec![report(Strategy::Sequential, 10.0)],
            vec![report(Strategy::Rayon, 19.0)],
        ]);
        assert!(text.contains("1.90×"), "{text}");
        assert!(text.contains("52.4 MB"), "{text}");
        assert!(text.contains("526 ms"), "{text}");
        // One run: no range.
        assert!(!text.contains('('), "{text}");
    }

    #[test]
    fn several_runs_show_the_median_and_the_range() {
        let runs = |rates: &[f64]| -> Vec<BatchReport> {
            rates.iter().map(|&r| report(Strategy::Rayon, r)).collect()
        };
        let text = table(&[runs(&[10.0, 8.0, 12.5]), runs(&[20.0, 40.0, 25.0])]);
        let rayon = text.lines().nth(3).expect("a second row");
        // Walls 0.5, 0.4, 0.25 s: median 400 ms; rates 20, 25, 40: median 25.
        assert!(rayon.contains("400 ms (250–500 ms)"), "{text}");
        assert!(rayon.contains("25.0 (20.0–40.0)"), "{text}");
        assert!(rayon.contains("2.50×"), "{text}");
        assert_eq!(spread(&[4.0, 1.0, 2.0, 3.0]), (1.0, 2.5, 4.0));
    }

    #[test]
    fn the_summary_speaks_in_units_and_plurals() {
        let mut one = report(Strategy::Rayon, 10.0);
        one.jobs = 1;
        one.skipped = 1;
        let text = summary(&one, Path::new("out"));
        assert!(text.contains("46.9 MB read → 751 kB written"), "{text}");
        assert!(text.contains("1 thread;"), "{text}");
        assert!(text.contains("1 skipped: its output"), "{text}");
        assert!(!text.contains("failed"), "{text}");
    }

    #[test]
    fn settings_are_described_in_words() {
        assert_eq!(
            describe(&Settings::default()),
            "fit 512×512, JPEG quality 85"
        );
        let settings = Settings {
            ops: kata::ops::parse_list("thumbnail=64x48,grayscale,rotate=90").unwrap(),
            output: OutputFormat::Png,
            max_pixels: 1,
        };
        assert_eq!(
            describe(&settings),
            "fill 64×48 (cropped), grayscale, rotate 90°, PNG"
        );
    }
}
