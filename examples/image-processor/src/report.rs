//! What a run prints for people: the settings in words ([`describe`]), the
//! comparison table ([`table`]: medians and ranges over the runs) and the
//! folder run's [`summary`] (each failure once).
//!
//! The unit tests below run with `cargo test -p image-processor --lib`.

use crate::batch::{BatchReport, Strategy};
use crate::kata;
use cli::human;
use cli::table::Table;
use kata::{OutputFormat, Settings};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

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
        "workers",
        "wall",
        "images/s",
        "speed-up",
        "cores used",
        "threads started",
        "peak heap",
        "peak RSS",
    ])
    .numeric(1..=8);
    for runs in strategies {
        let walls: Vec<f64> = runs.iter().map(|r| r.wall_s).collect();
        let rates = rates(runs);
        let typical = typical(runs);
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

/// The run of median wall time of each strategy.
fn typical(runs: &[BatchReport]) -> &BatchReport {
    let mut by_wall: Vec<&BatchReport> = runs.iter().collect();
    by_wall.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    by_wall[(by_wall.len() - 1) / 2]
}

/// The comparison's one-line takeaway, worked out from the typical runs in
/// `strategies` (never a claim the figures do not show): what rayon gained
/// over one image at a time on this machine's cores, and what a thread per
/// image cost for the same work. `None` when there is no rayon row, or
/// nothing to compare it with.
pub fn takeaway(strategies: &[Vec<BatchReport>]) -> Option<String> {
    let find = |strategy: Strategy| {
        strategies
            .iter()
            .find(|runs| runs.first().is_some_and(|r| r.strategy == strategy))
            .map(|runs| typical(runs))
    };
    let rayon = find(Strategy::Rayon)?;
    let mut parts = Vec::new();
    if let Some(sequential) = find(Strategy::Sequential).filter(|s| s.images_per_s > 0.0) {
        parts.push(format!(
            "rayon processed {} the rate of one image at a time, keeping {} cores busy with {}",
            human::times(rayon.images_per_s / sequential.images_per_s),
            human::sig3(rayon.cores_used),
            human::count(rayon.jobs, "thread", "threads"),
        ));
    }
    if let Some(each) = find(Strategy::ThreadPerImage).filter(|t| t.images_per_s > 0.0) {
        let speed = each.images_per_s / rayon.images_per_s.max(f64::MIN_POSITIVE);
        let pace = if (0.9..=1.1).contains(&speed) {
            "about as fast".to_owned()
        } else if speed > 1.0 {
            format!("{} faster", human::times(speed))
        } else {
            format!("{} slower", human::times(1.0 / speed))
        };
        let memory = match (each.peak_heap_bytes, rayon.peak_heap_bytes) {
            (Some(each_heap), Some(rayon_heap)) if each_heap > rayon_heap + rayon_heap / 4 => {
                format!(
                    " and held {} at once against rayon's {}",
                    human::bytes(each_heap),
                    human::bytes(rayon_heap)
                )
            }
            _ => String::new(),
        };
        parts.push(format!(
            "a thread per image was {pace} but started {}{memory}: a pool the size of the \
             cores bounds both, whatever the folder holds",
            human::count(each.jobs, "thread", "threads"),
        ));
    }
    if parts.is_empty() {
        return None;
    }
    let mut line = parts.join("; ");
    if let Some(first) = line.get(..1) {
        line = first.to_uppercase() + &line[1..];
    }
    Some(format!("{line}."))
}

/// The summary of a folder run: what was done, how fast, what was left
/// alone, and every failure with its reason, each once.
pub fn summary(report: &BatchReport, output: &Path) -> String {
    if report.processed == 0 && report.failed == 0 && report.skipped > 0 {
        // Nothing ran: no time, rate or cores to speak of.
        return format!(
            "Nothing to do: {} already in {} (add --overwrite to redo {})",
            if report.skipped == 1 {
                "the 1 output is".to_owned()
            } else {
                format!("all {} outputs are", report.skipped)
            },
            output.display(),
            if report.skipped == 1 { "it" } else { "them" }
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SUBJECT;

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
    fn the_takeaway_says_what_the_figures_show() {
        let mut each = report(Strategy::ThreadPerImage, 19.0);
        each.jobs = 100;
        each.peak_heap_bytes = Some(1_050_000_000);
        let mut rayon = report(Strategy::Rayon, 20.0);
        rayon.cores_used = 1.96;
        let line = takeaway(&[
            vec![report(Strategy::Sequential, 10.0)],
            vec![each.clone()],
            vec![rayon.clone()],
        ])
        .expect("a takeaway");
        assert!(line.starts_with("Rayon processed 2.00× the rate"), "{line}");
        assert!(line.contains("1.96 cores busy with 2 threads"), "{line}");
        assert!(line.contains("was about as fast but started 100 threads and held 1.05 GB at once against rayon's 41.9 MB"), "{line}");
        // A thread per image that used no more memory is not said to.
        each.peak_heap_bytes = rayon.peak_heap_bytes;
        each.images_per_s = 30.0;
        let line = takeaway(&[vec![each], vec![rayon]]).expect("a takeaway");
        assert!(
            line.contains("was 1.50× faster but started 100 threads:"),
            "{line}"
        );
        assert!(!line.contains("held"), "{line}");
        assert_eq!(takeaway(&[vec![report(Strategy::Sequential, 1.0)]]), None);
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
    fn a_run_with_everything_done_says_so_without_figures() {
        let mut done = report(Strategy::Rayon, 0.0);
        done.processed = 0;
        done.skipped = 3;
        let text = summary(&done, Path::new("out"));
        assert_eq!(
            text,
            "Nothing to do: all 3 outputs are already in out (add --overwrite to redo them)"
        );
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
