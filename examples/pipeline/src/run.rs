//! A run over real inputs (`--input`): a folder of logs, a file listing
//! URLs, or the URL of such a list, into a database that a re-run resumes.
//! Ctrl-C stops new downloads and commits what finished; the next run
//! does only the rest.

use crate::kata::{Db, Sink, Source, input};
use crate::live::Live;
use crate::strategy::{Setup, Strategy};
use crate::{SUBJECT, signals};
use anyhow::{Context, Result, bail};
use cli::human;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A run over real inputs.
#[derive(Clone, Debug)]
pub struct RealRun {
    /// A folder, a file of URLs, or an `http(s)://` URL of such a list.
    pub input: String,
    /// The database (created when missing).
    pub db: PathBuf,
    /// The shape of the run.
    pub setup: Setup,
    /// Print one JSON object instead of text.
    pub json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Summary {
    subject: &'static str,
    db: PathBuf,
    inputs: usize,
    done: usize,
    failed: Vec<Failure>,
    skipped: usize,
    abandoned: usize,
    cancelled: bool,
    batches: usize,
    downloaded_bytes: u64,
    plain_bytes: u64,
    lines: u64,
    malformed: u64,
    wall_s: f64,
}

#[derive(Debug, Serialize)]
struct Failure {
    name: String,
    error: String,
}

/// The inputs `input` names.
fn sources(input: &str, setup: &Setup) -> Result<Vec<Source>> {
    if input.starts_with("http://") || input.starts_with("https://") {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        return runtime
            .block_on(input::list_from_url(input, setup.options.timeout))
            .with_context(|| format!("reading the list at {input}"));
    }
    let path = PathBuf::from(input);
    input::list_inputs(&path).with_context(|| format!("reading --input {input}"))
}

/// Run the answer over the inputs into the database. Exit 1 when an input
/// failed (each is listed), 2 when interrupted.
pub fn run_real(run: RealRun, out: &cli::Output) -> Result<cli::Finished> {
    let sources = sources(&run.input, &run.setup)?;
    if sources.is_empty() {
        bail!("--input {}: no inputs found", run.input);
    }
    let mut db = Db::open(&run.db).map_err(crate::flat)?;
    let already = Sink::done(&mut db).map_err(crate::flat)?.len();
    let cancel = CancellationToken::new();
    let noter = *out;
    signals::cancel_on_signal(cancel.clone(), move |text| {
        noter.note(format_args!("{text}"))
    })?;
    out.note(format_args!(
        "{} into {} ({} done already), {} downloads at once, {} …",
        human::count(sources.len(), "input", "inputs"),
        run.db.display(),
        already,
        run.setup.options.downloads,
        human::count(run.setup.threads, "CPU thread", "CPU threads"),
    ));
    let total = sources.len();
    let bar = cli::progress::Progress::new("pipeline", "files", Some((total - already) as u64))
        .start(out);
    let live = Live::start(run.setup.options.meter.clone(), bar.clone())?;
    let began = Instant::now();
    let report = Strategy::Pipeline.run(sources, db, &run.setup, &cancel);
    let wall = began.elapsed();
    live.stop();
    bar.finish_and_clear();
    let report = report?;
    let summary = Summary {
        subject: SUBJECT,
        db: run.db.clone(),
        inputs: total,
        done: report.done,
        failed: report
            .failed
            .iter()
            .map(|(name, error)| Failure {
                name: name.clone(),
                error: error.clone(),
            })
            .collect(),
        skipped: report.skipped,
        abandoned: report.abandoned,
        cancelled: report.cancelled,
        batches: report.batches,
        downloaded_bytes: report.downloaded_bytes,
        plain_bytes: report.plain_bytes,
        lines: report.lines,
        malformed: report.malformed,
        wall_s: wall.as_secs_f64(),
    };
    if run.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary, wall);
    }
    if summary.cancelled && summary.abandoned > 0 {
        bail!(
            "interrupted: {} not processed; every committed file is kept — run the same \
             command again to do only the rest",
            human::count(summary.abandoned, "input", "inputs")
        );
    }
    out.note(format_args!(
        "next: pipeline report --db {}",
        run.db.display()
    ));
    Ok(cli::Finished::with_failures(!summary.failed.is_empty()))
}

fn print_summary(s: &Summary, wall: Duration) {
    println!(
        "{}: {} done, {} failed, {} skipped (done before){}",
        human::count(s.inputs, "input", "inputs"),
        s.done,
        s.failed.len(),
        s.skipped,
        if s.abandoned > 0 {
            format!(", {} not processed", s.abandoned)
        } else {
            String::new()
        }
    );
    println!(
        "{} lines ({} malformed), {} downloaded, {} parsed in {} ({}/s), {}",
        s.lines,
        s.malformed,
        human::bytes(s.downloaded_bytes),
        human::bytes(s.plain_bytes),
        human::duration(wall),
        human::bytes((s.plain_bytes as f64 / wall.as_secs_f64().max(1e-9)) as u64),
        human::count(s.batches, "transaction", "transactions"),
    );
    for failure in &s.failed {
        println!("failed: {}: {}", failure.name, failure.error);
    }
}
