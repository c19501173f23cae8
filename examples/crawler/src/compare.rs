//! Running the strategies: [`crawl`] crawls once with one strategy and
//! measures what it cost (wall time, threads, heap, CPU); [`compare`] starts
//! the local site and crawls it with every row of a [`Comparison`], round
//! by round.
//!
//! `main.rs` calls [`compare`] for the local comparison and [`crawl`] for a
//! real site.

use crate::kata::{self, Options, PageRecord, Report};
use crate::outcome::{Outcome, Probe, Run};
use crate::strategy::{Row, Strategy};
use anyhow::{Context, Result};
use indicatif::ProgressBar;
use site::{Site, SiteConfig};
use std::sync::Arc;
use std::time::Instant;
use url::Url;

/// Crawl `start` with `strategy`, showing progress on `bar`, and measure
/// what it cost.
pub fn crawl(
    strategy: Strategy,
    start: &Url,
    options: &Options,
    bar: &ProgressBar,
) -> Result<(Report, Probe)> {
    let mut options = options.clone();
    let ticker = bar.clone();
    options.observer = Some(Arc::new(move |_: &PageRecord| ticker.inc(1)));
    // The probes are read before and after, never during: the crawl runs
    // as it would unwatched, apart from the allocator's two atomic
    // additions per allocation.
    harness::alloc::reset_peak();
    let heap_before = harness::alloc::live_bytes();
    let cpu_before = harness::cpu::process_cpu_time();
    let watch = harness::threads::Watch::start();
    let began = Instant::now();
    let report = match strategy {
        Strategy::Sequential => kata::crawl_sequential(start, &options)?,
        Strategy::Threads => kata::crawl_threads(start, &options)?,
        Strategy::Async => {
            // A multi-threaded runtime: the tasks' link extraction spreads
            // over the cores; the waiting costs no thread at all. Built
            // inside the watch: its threads are the crawl's.
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the tokio runtime")?;
            let report = runtime.block_on(kata::crawl_async(start, &options));
            drop(runtime);
            report?
        }
    };
    let wall = began.elapsed();
    let threads = watch.stop();
    let probe = Probe {
        wall,
        // The calling thread crawls too (sequentially, as the threaded
        // crawler's coordinator, or blocked in `block_on`).
        threads: Some(threads.peak + 1),
        peak_heap_bytes: harness::alloc::peak_live_bytes()
            .zip(heap_before)
            .map(|(peak, before)| peak.saturating_sub(before)),
        cpu: harness::cpu::process_cpu_time().saturating_sub(cpu_before),
    };
    bar.finish_and_clear();
    Ok((report, probe))
}

/// What the local comparison crawls.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The local site to generate.
    pub site: SiteConfig,
    /// The rows, in order (see [`rows`](crate::rows)).
    pub rows: Vec<Row>,
    /// Crawls of each row.
    pub runs: usize,
    /// Everything else; `concurrency` is each row's limit.
    pub options: Options,
    /// At most this many requests to one host (async); `None`: the limit.
    pub per_host: Option<usize>,
    /// Show progress (as `cli::Output` decided).
    pub progress: bool,
}

/// Start the local site and crawl it with each row in turn, `runs` rounds
/// of every row (rather than every run of one row, then the next): a
/// machine that gets busier half-way slows every row alike.
pub fn compare(plan: &Comparison, out: &cli::Output) -> Result<(Vec<Outcome>, Site)> {
    let site = Site::start(plan.site.clone());
    let start = Url::parse(&site.root())?;
    let expected = site.pages().len();
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); plan.rows.len()];
    for round in 1..=plan.runs {
        for (row, runs) in plan.rows.iter().zip(&mut runs) {
            let mut options = plan.options.clone();
            options.concurrency = row.limit;
            options.per_host = plan.per_host.unwrap_or(row.limit);
            let total = expected.min(options.max_pages) as u64;
            let label = if plan.runs > 1 {
                format!("{} run {round}/{}", row.label(), plan.runs)
            } else {
                row.label()
            };
            let bar = if plan.progress {
                cli::progress::Progress::new(&label, "pages", Some(total)).start(out)
            } else {
                ProgressBar::hidden()
            };
            site.reset_stats();
            let (site_cpu, _) = site.thread_usage();
            let (report, mut probe) = crawl(row.strategy, &start, &options, &bar)?;
            // The site serves from this process: its threads' CPU is not
            // the crawler's.
            probe.cpu = probe
                .cpu
                .saturating_sub(site.thread_usage().0.saturating_sub(site_cpu));
            let mut run = Run::new(&report, &probe);
            run.peak_in_flight = Some(site.stats().peak_in_flight);
            tracing::info!(
                // Logged under the program's name (`INFO crawler: crawled`),
                // not this module's.
                target: "crawler",
                strategy = row.strategy.name(),
                limit = row.limit,
                round,
                pages = run.pages,
                seconds = run.seconds,
                "crawled"
            );
            runs.push(run);
        }
    }
    let mut outcomes: Vec<Outcome> = plan
        .rows
        .iter()
        .zip(runs)
        .map(|(&row, runs)| Outcome::new(row, runs))
        .collect();
    if let Some(base) = outcomes
        .iter()
        .find(|o| o.strategy == Strategy::Sequential)
        .map(|o| o.seconds)
    {
        for outcome in &mut outcomes {
            outcome.speedup = Some(base / outcome.seconds.max(1e-9));
        }
    }
    Ok((outcomes, site))
}
