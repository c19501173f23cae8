//! The four ways the comparison runs the same job — download every log,
//! parse it, store its answer — side by side under parallel names. Only
//! [`Strategy::Pipeline`] is the exercise's code (`kata::run`); the other
//! three are the mistakes the chapter measures, written here so that they
//! can be measured.
//!
//! Each strategy builds its own runtime (and pool) inside the measured
//! run, so that the threads it costs are counted as its own.

use crate::kata::{self, Db, Fetcher, Options, Processed, Report, Sink, Source};
use crate::writer::Writer;
use anyhow::{Context, Result};
use futures::StreamExt;
use serde::Serialize;
use std::sync::Arc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How to run the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One file at a time: download it, process it, store it (a commit
    /// each), then the next.
    Sequential,
    /// Async downloads; each file processed inside its task, on the
    /// runtime's threads.
    CpuOnRuntime,
    /// Async downloads; each file processed with `spawn_blocking` as soon
    /// as it arrives, with no bound; an unbounded channel to the writer.
    SpawnBlocking,
    /// The answer: async downloads → a rayon pool → one writer, joined by
    /// bounded channels (the exercise's `run`).
    Pipeline,
}

/// The shape of a run, shared by every strategy.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Downloads in flight, channel capacity, batch size, timeout, meter.
    pub options: Options,
    /// Threads of the runtime, and of the pool: one per core by default.
    pub threads: usize,
}

impl Strategy {
    /// Every strategy, in the order the table shows them.
    pub const ALL: [Strategy; 4] = [
        Strategy::Sequential,
        Strategy::CpuOnRuntime,
        Strategy::SpawnBlocking,
        Strategy::Pipeline,
    ];

    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential",
            Strategy::CpuOnRuntime => "cpu-on-runtime",
            Strategy::SpawnBlocking => "spawn-blocking",
            Strategy::Pipeline => "pipeline",
        }
    }

    /// Run over `sources` into `db`, skipping what `db` holds as done.
    /// Cancelling `cancel` starts nothing new; what finished is stored.
    pub fn run(
        self,
        sources: Vec<Source>,
        db: Db,
        setup: &Setup,
        cancel: &CancellationToken,
    ) -> Result<Report> {
        match self {
            Strategy::Sequential => sequential(sources, db, setup, cancel),
            Strategy::CpuOnRuntime => cpu_on_runtime(sources, db, setup, cancel),
            Strategy::SpawnBlocking => spawn_blocking(sources, db, setup, cancel),
            Strategy::Pipeline => pipeline(sources, db, setup, cancel),
        }
    }
}

/// A multi-threaded runtime of `threads` workers.
fn runtime(threads: usize) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name("runtime")
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The sources `db` does not hold as done yet, and how many it does.
fn todo(sources: Vec<Source>, db: &mut Db) -> Result<(Vec<Source>, usize)> {
    let done = Sink::done(db).map_err(crate::flat)?;
    let total = sources.len();
    let todo: Vec<Source> = sources
        .into_iter()
        .filter(|s| !done.contains(&s.name))
        .collect();
    let skipped = total - todo.len();
    Ok((todo, skipped))
}

fn sequential(
    sources: Vec<Source>,
    mut db: Db,
    setup: &Setup,
    cancel: &CancellationToken,
) -> Result<Report> {
    let (todo, skipped) = todo(sources, &mut db)?;
    // One thread does everything, so a runtime of one thread: the
    // download is async only because the client is.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let meter = &setup.options.meter;
    let fetcher = Fetcher::new(setup.options.timeout, meter.clone());
    let mut report = Report {
        skipped,
        ..Report::default()
    };
    for source in todo {
        if cancel.is_cancelled() {
            report.abandoned += 1;
            continue;
        }
        // Each step waits for the one before: while a file downloads the
        // CPU is idle, while it is parsed the network is.
        let fetched = runtime.block_on(fetcher.fetch(&source));
        let item = kata::work::process(fetched, meter);
        db.write(std::slice::from_ref(&item)).map_err(crate::flat)?;
        meter.stored(1);
        report.batches += 1;
        report.add(&item);
    }
    report.cancelled = cancel.is_cancelled();
    Ok(report)
}

fn cpu_on_runtime(
    sources: Vec<Source>,
    mut db: Db,
    setup: &Setup,
    cancel: &CancellationToken,
) -> Result<Report> {
    let (todo, skipped) = todo(sources, &mut db)?;
    let options = &setup.options;
    let runtime = runtime(setup.threads)?;
    let writer = Writer::spawn(
        db,
        Some(options.capacity),
        options.batch,
        options.meter.clone(),
    )?;
    let fetcher = Fetcher::new(options.timeout, options.meter.clone());
    let abandoned = runtime.block_on(async {
        let mut todo = todo.into_iter();
        let mut tasks = JoinSet::new();
        loop {
            // Keep `downloads` tasks going, each a download then its CPU
            // work.
            while tasks.len() < options.downloads.max(1) && !cancel.is_cancelled() {
                let Some(source) = todo.next() else { break };
                let (fetcher, meter, input) =
                    (fetcher.clone(), options.meter.clone(), writer.input.clone());
                tasks.spawn(async move {
                    let fetched = fetcher.fetch(&source).await;
                    // The mistake: tens of milliseconds of CPU inside a
                    // task. The runtime thread running it polls nothing
                    // else meanwhile — not the other downloads' sockets,
                    // not their timers.
                    let item = kata::work::process(fetched, &meter);
                    input.send(item).await
                });
            }
            match tasks.join_next().await {
                Some(joined) => {
                    joined.context("a task of the runtime panicked")?;
                }
                None => break,
            }
        }
        anyhow::Ok(todo.count())
    })?;
    let mut report = writer.finish().map_err(crate::flat)?;
    report.skipped = skipped;
    report.abandoned = abandoned;
    report.cancelled = cancel.is_cancelled();
    Ok(report)
}

fn spawn_blocking(
    sources: Vec<Source>,
    mut db: Db,
    setup: &Setup,
    cancel: &CancellationToken,
) -> Result<Report> {
    let (todo, skipped) = todo(sources, &mut db)?;
    let total = todo.len();
    let options = &setup.options;
    let runtime = runtime(setup.threads)?;
    let writer = Writer::spawn(db, None, options.batch, options.meter.clone())?;
    let fetcher = Fetcher::new(options.timeout, options.meter.clone());
    let sent = runtime.block_on(async {
        let mut downloads = futures::stream::iter(todo)
            .map(|source| {
                let fetcher = fetcher.clone();
                async move { fetcher.fetch(&source).await }
            })
            .buffer_unordered(options.downloads.max(1));
        let mut work = JoinSet::new();
        let (mut fetching, mut sent) = (true, 0);
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled(), if fetching => fetching = false,
                joined = work.join_next(), if !work.is_empty() => {
                    let item: Processed = joined
                        .expect("only polled while not empty")
                        .context("a blocking task panicked")?;
                    writer.input.send(item).await;
                    sent += 1;
                }
                next = downloads.next(), if fetching => match next {
                    Some(fetched) => {
                        // The mistake: a thread of tokio's blocking pool
                        // for every file that has arrived, however many
                        // are already running. The pool grows to 512
                        // threads; two cores run them in turns.
                        let meter = options.meter.clone();
                        work.spawn_blocking(move || kata::work::process(fetched, &meter));
                    }
                    None => fetching = false,
                },
                else => break,
            }
        }
        anyhow::Ok(sent)
    })?;
    let mut report = writer.finish().map_err(crate::flat)?;
    report.skipped = skipped;
    report.abandoned = total - sent;
    report.cancelled = cancel.is_cancelled();
    Ok(report)
}

fn pipeline(
    sources: Vec<Source>,
    db: Db,
    setup: &Setup,
    cancel: &CancellationToken,
) -> Result<Report> {
    let runtime = runtime(setup.threads)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(setup.threads.max(1))
        .thread_name(|i| format!("rayon-{i}"))
        .build()
        .context("starting the thread pool")?;
    let report = runtime
        .block_on(kata::run(
            sources,
            db,
            Arc::new(pool),
            &setup.options,
            cancel.clone(),
        ))
        .map_err(crate::flat)?;
    Ok(report)
}
