//! The comparison: generated photos processed with every strategy, round
//! by round, `--runs` times each, then the table (medians and ranges), the
//! failures once each, or `--json` with every run.
//!
//! `main.rs` turns the command line into a [`Comparison`] and calls
//! [`compare`](fn@compare).

use crate::batch::{BatchReport, Strategy, run};
use crate::kata;
use crate::photos::demo_photos;
use crate::report::{describe, table, takeaway};
use anyhow::{Context, Result};
use cli::human;
use kata::Settings;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// The comparison, as the command line asks for it.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// How many photos to generate (`--count`).
    pub count: u16,
    /// The strategies to run, in order (`--strategy`); empty: all three.
    pub strategy: Vec<Strategy>,
    /// How many times to run each (`--runs`).
    pub runs: u16,
    /// One JSON array, a run an element, instead of text (`--json`).
    pub json: bool,
    /// What to do to each image.
    pub settings: Settings,
    /// `--jobs`: the pool's size (every core when `None`).
    pub jobs: Option<u16>,
}

/// A run of the comparison, as `--json` prints it: the batch's report and
/// which run of its strategy it was.
#[derive(Serialize)]
struct Run<'a> {
    /// 1 to `--runs`.
    run: u16,
    #[serde(flatten)]
    report: &'a BatchReport,
}

/// Run the comparison `args` asks for and print the table (or `--json`);
/// with failures when any photo failed in any run.
pub fn compare(args: Comparison, out: &cli::Output) -> Result<cli::Finished> {
    let count = usize::from(args.count);
    let seed = 1;
    let root = std::env::temp_dir().join(format!("image-processor-demo-{}", std::process::id()));
    let photos_dir = std::env::temp_dir().join(format!("image-processor-photos-{count}-{seed}"));
    out.note(format_args!(
        "{count} generated photos (2–12 megapixels, JPEG and PNG) in {}; reused next time",
        photos_dir.display()
    ));
    let inputs = demo_photos(&photos_dir, count, seed, out)?;
    let settings = args.settings;
    let threads = crate::threads(args.jobs);
    let strategies = if args.strategy.is_empty() {
        vec![
            Strategy::Sequential,
            Strategy::ThreadPerImage,
            Strategy::Rayon,
        ]
    } else {
        args.strategy.clone()
    };
    // Round by round, every strategy once per round: a machine that gets
    // busier during the comparison slows every strategy, not the last one.
    let mut reports: Vec<Vec<BatchReport>> = vec![Vec::new(); strategies.len()];
    let mut runs = Vec::new();
    for round in 1..=args.runs {
        for (i, &strategy) in strategies.iter().enumerate() {
            let dir = root.join(strategy.name());
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let (jobs, refused) = kata::job::plan(&inputs, &dir, &settings);
            let label = if args.runs > 1 {
                format!("{} (run {round} of {})", strategy.name(), args.runs)
            } else {
                strategy.name().to_owned()
            };
            let bar =
                cli::progress::Progress::new(&label, "images", Some(jobs.len() as u64)).start(out);
            let report = run(strategy, threads, &jobs, refused, 0, &settings, &bar)?;
            bar.finish_and_clear();
            reports[i].push(report);
            runs.push((round, i));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    let failed = reports.iter().flatten().any(|r| r.failed > 0);
    if args.json {
        let all: Vec<Run<'_>> = runs
            .iter()
            .map(|&(round, i)| Run {
                run: round,
                report: &reports[i][usize::from(round) - 1],
            })
            .collect();
        println!("{}", serde_json::to_string(&all)?);
        return Ok(cli::Finished::with_failures(failed));
    }
    println!(
        "{count} photos → {}; {}; {}",
        describe(&settings),
        human::count(harness::cpu::available_cores(), "core", "cores"),
        crate::SUBJECT
    );
    if args.runs > 1 {
        println!(
            "wall and images/s: the median of {} per strategy (the range in brackets)",
            human::count(usize::from(args.runs), "run", "runs")
        );
    }
    println!();
    print!("{}", table(&reports));
    if let Some(line) = takeaway(&reports) {
        println!("{line}");
    }
    // Each failed photo once, however many runs failed it.
    let failures: BTreeSet<(&Path, &str)> = reports
        .iter()
        .flatten()
        .flat_map(|r| &r.failures)
        .map(|f| (f.input.as_path(), f.error.as_str()))
        .collect();
    if !failures.is_empty() {
        println!(
            "\n{} failed:",
            human::count(failures.len(), "photo", "photos")
        );
        for (input, error) in failures {
            println!("  {}: {error}", input.display());
        }
    }
    if cfg!(debug_assertions) {
        out.note(format_args!(
            "(a debug build of this program; add --release for the speed the tool really has)"
        ));
    }
    out.note(format_args!(
        "next: cargo xtask grade image-processor — the exercise behind this table"
    ));
    Ok(cli::Finished::with_failures(failed))
}
