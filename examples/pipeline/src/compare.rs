//! The comparison (`pipeline` with no `--input`): start the local log
//! server, time each stage alone, run every strategy into its own database
//! in a temporary folder, check that all the databases hold the same
//! answers, and show what each strategy cost.

use crate::alone::{StagesAlone, measure_alone};
use crate::kata::{Db, Source};
use crate::measured::{Measured, measure};
use crate::strategy::{Setup, Strategy};
use crate::{SUBJECT, signals};
use anyhow::{Context, Result, bail};
use cli::human;
use logsite::{LogSite, LogSiteConfig};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What to compare, and on what.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The generated site.
    pub site: LogSiteConfig,
    /// The shape every strategy runs with.
    pub setup: Setup,
    /// Which strategies (all when empty).
    pub strategies: Vec<Strategy>,
    /// Print JSON instead of the table.
    pub json: bool,
}

/// The comparison's result, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Outcome {
    subject: &'static str,
    files: usize,
    lines_per_file: usize,
    latency_ms: u64,
    bandwidth: Option<u64>,
    downloads: usize,
    threads: usize,
    alone: StagesAlone,
    runs: Vec<Measured>,
    /// Every strategy's database equals the first one's.
    same_answers: bool,
}

/// A temporary folder, removed when dropped (also after an error).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run the comparison. Exit 1 when a strategy's database differs from the
/// others' or a file failed.
pub fn compare(comparison: Comparison, out: &cli::Output) -> Result<cli::Finished> {
    let strategies = if comparison.strategies.is_empty() {
        Strategy::ALL.to_vec()
    } else {
        comparison.strategies.clone()
    };
    let cancel = CancellationToken::new();
    let noter = *out;
    signals::cancel_on_signal(cancel.clone(), move |text| {
        noter.note(format_args!("{text}"))
    })?;
    let scratch =
        Scratch(std::env::temp_dir().join(format!("pipeline-compare-{}", std::process::id())));
    std::fs::create_dir_all(&scratch.0)
        .with_context(|| format!("creating {}", scratch.0.display()))?;

    let config = &comparison.site;
    out.note(format_args!(
        "generating {} of {} lines ({} latency{}), served on 127.0.0.1 …",
        human::count(config.files + config.traps.len(), "log file", "log files"),
        config.lines_per_file,
        human::duration(config.latency),
        config
            .bandwidth
            .map_or(String::new(), |b| format!(", {}/s each", human::bytes(b))),
    ));
    let site = LogSite::start(config.clone());
    let sources: Vec<Source> = site.urls().into_iter().map(Source::url).collect();
    let setup = &comparison.setup;

    out.note(format_args!("timing each stage alone …"));
    let alone = measure_alone(&sources, setup, &scratch.0.join("alone.db"))?;
    let mut runs = Vec::new();
    let mut first_dump = None;
    let mut same_answers = true;
    for strategy in strategies {
        if cancel.is_cancelled() {
            bail!(
                "interrupted: the comparison stopped before {}",
                strategy.name()
            );
        }
        let path = scratch.0.join(format!("{}.db", strategy.name()));
        let db = Db::open(&path).map_err(crate::flat)?;
        let bar =
            cli::progress::Progress::new(strategy.name(), "files", Some(sources.len() as u64))
                .start(out);
        let measured = measure(strategy, sources.clone(), db, setup, &cancel, &bar)?;
        bar.finish_and_clear();
        if measured.abandoned > 0 {
            bail!(
                "interrupted: {} stopped with {} not stored",
                strategy.name(),
                human::count(measured.abandoned, "file", "files")
            );
        }
        let dump = Db::open(&path)
            .and_then(|db| db.dump())
            .map_err(crate::flat)?;
        match &first_dump {
            None => first_dump = Some((strategy, dump)),
            Some((first, expected)) => {
                if let Some(difference) = dump.difference(expected) {
                    same_answers = false;
                    tracing::error!(
                        "{}'s database differs from {}'s: {difference}",
                        strategy.name(),
                        first.name()
                    );
                }
            }
        }
        runs.push(measured);
    }
    let failed = runs.iter().any(|r| !r.failed.is_empty());
    let outcome = Outcome {
        subject: SUBJECT,
        files: sources.len(),
        lines_per_file: config.lines_per_file,
        latency_ms: config.latency.as_millis() as u64,
        bandwidth: config.bandwidth,
        downloads: setup.options.downloads,
        threads: setup.threads,
        alone,
        runs,
        same_answers,
    };
    if comparison.json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        print_table(&outcome, out);
    }
    Ok(cli::Finished::with_failures(failed || !same_answers))
}

fn print_table(outcome: &Outcome, out: &cli::Output) {
    println!(
        "{} log files, {} downloads at once, {} on {}:",
        outcome.files,
        outcome.downloads,
        human::count(outcome.threads, "thread", "threads"),
        outcome.subject
    );
    let mut table = cli::table::Table::new([
        "strategy",
        "wall",
        "files/s",
        "MB/s parsed",
        "cores used",
        "peak threads",
        "peak heap",
        "busiest stage",
    ])
    .numeric(1..7);
    for run in &outcome.runs {
        let (stage, share) = run.busy.busiest();
        table.row([
            run.strategy.name().to_owned(),
            human::duration(Duration::from_secs_f64(run.wall_s)),
            human::sig3(run.files_per_s),
            human::sig3(run.mb_per_s),
            format!("{:.2}", run.cores_used),
            run.peak_threads.to_string(),
            run.peak_heap_bytes.map_or("-".into(), human::bytes),
            format!("{stage} ({:.0}% of the run)", share * 100.0),
        ]);
    }
    print!("{table}");
    let alone = &outcome.alone;
    let (slowest, slowest_s) = alone.slowest();
    println!(
        "each stage alone: downloads {}, cpu {}, store {}; the slowest is {slowest}",
        human::duration(Duration::from_secs_f64(alone.downloads_s)),
        human::duration(Duration::from_secs_f64(alone.cpu_s)),
        human::duration(Duration::from_secs_f64(alone.store_s)),
    );
    let ratios: Vec<String> = outcome
        .runs
        .iter()
        .map(|run| {
            format!(
                "{} {}",
                run.strategy.name(),
                human::times(run.wall_s / slowest_s.max(1e-9))
            )
        })
        .collect();
    println!("wall ÷ the slowest stage alone: {}", ratios.join(", "));
    let failures: Vec<&(String, String)> = outcome
        .runs
        .first()
        .map(|r| r.failed.iter().collect())
        .unwrap_or_default();
    for (name, error) in &failures {
        println!("failed: {name}: {error}");
    }
    if outcome.same_answers {
        out.note(format_args!(
            "every strategy's database holds the same answers ({} done, {} failed)",
            outcome.runs.first().map_or(0, |r| r.done),
            failures.len()
        ));
    } else {
        println!("the databases differ: see the errors above");
    }
}
