//! The crawler as a tool: compare the strategies on a local site, crawl a
//! real one, or serve the local site for other crawlers.
//!
//! The crawling itself is the `crawler` exercise's library: the reference
//! solution by default, your own with `cargo xtask run crawler --mine`.
//! This crate adds what a user of the tool needs around it: a progress bar,
//! a summary table, JSON output, a JSON-lines report written atomically.
//!
//! Run: `cargo run -p crawler` (the comparison), `cargo run -p crawler --
//! https://example.org/`, `cargo run -p crawler -- serve`.

#[cfg(feature = "mine")]
pub use crawler_exercise as kata;
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub use crawler_solution as kata;

/// Whose code crawls, for the report.
#[cfg(feature = "mine")]
pub const SUBJECT: &str = "your code (exercises/crawler)";
/// Whose code crawls, for the report.
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub const SUBJECT: &str = "the reference solution (solutions/crawler)";
#[cfg(not(any(feature = "reference", feature = "mine")))]
compile_error!("enable the `reference` feature (the default) or `mine`");

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use kata::{Options, PageRecord, Report};
use serde::Serialize;
use site::{Site, SiteConfig};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// How to crawl.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// One request at a time, blocking client.
    Sequential,
    /// A fixed pool of threads with blocking clients.
    Threads,
    /// tokio tasks, at most N requests in flight.
    Async,
}

impl Strategy {
    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential",
            Strategy::Threads => "threads",
            Strategy::Async => "async",
        }
    }
}

/// One crawl's figures: what the summary table and `--json` show.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// How it crawled.
    pub strategy: Strategy,
    /// Threads or requests in flight allowed (1 for sequential).
    pub concurrency: usize,
    /// URLs fetched (or tried).
    pub pages: usize,
    /// 2xx answers read whole.
    pub ok: usize,
    /// Everything else.
    pub failures: usize,
    /// How many pages ended each way: "ok", "HTTP 404", "timeout"...
    pub outcomes: BTreeMap<String, usize>,
    /// Body bytes read.
    pub bytes: u64,
    /// Wall time of the crawl.
    pub seconds: f64,
    /// pages / seconds.
    pub pages_per_s: f64,
    /// The most requests the server saw at once (local site only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_in_flight: Option<usize>,
    /// Wall time of the sequential crawl ÷ this one's (comparisons only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
}

impl Outcome {
    fn new(strategy: Strategy, options: &Options, report: &Report, wall: Duration) -> Outcome {
        let seconds = wall.as_secs_f64();
        Outcome {
            strategy,
            concurrency: if strategy == Strategy::Sequential {
                1
            } else {
                options.concurrency
            },
            pages: report.pages.len(),
            ok: report.ok(),
            failures: report.failures(),
            outcomes: report.outcomes(),
            bytes: report.bytes(),
            seconds,
            pages_per_s: report.pages.len() as f64 / seconds.max(1e-9),
            peak_in_flight: None,
            speedup: None,
        }
    }
}

/// Crawl `start` with `strategy`, showing progress on `bar` (hidden when
/// stderr is not a terminal). Returns the report and its wall time.
pub fn crawl(
    strategy: Strategy,
    start: &Url,
    options: &Options,
    bar: &ProgressBar,
) -> Result<(Report, Duration)> {
    let mut options = options.clone();
    let ticker = bar.clone();
    options.observer = Some(Arc::new(move |_: &PageRecord| ticker.inc(1)));
    let began = Instant::now();
    let report = match strategy {
        Strategy::Sequential => kata::crawl_sequential(start, &options)?,
        Strategy::Threads => kata::crawl_threads(start, &options)?,
        Strategy::Async => {
            // A multi-threaded runtime: the tasks' link extraction spreads
            // over the cores; the waiting costs no thread at all.
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the tokio runtime")?;
            runtime.block_on(kata::crawl_async(start, &options))?
        }
    };
    let wall = began.elapsed();
    bar.finish_and_clear();
    Ok((report, wall))
}

/// A progress bar for a crawl of at most `total` pages (a spinner with a
/// count when the total is unknown).
pub fn progress(label: &str, total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {pos}/{len} pages, {per_sec}, {elapsed}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template(
                "{prefix:>10} {spinner} {pos} pages, {per_sec}, {elapsed}",
            )
            .expect("a valid template"),
        ),
    };
    bar.set_prefix(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// What the local comparison crawls.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The local site to generate.
    pub site: SiteConfig,
    /// The strategies, in order (sequential first gives the speed-ups a base).
    pub strategies: Vec<Strategy>,
    /// Worker threads for `threads`.
    pub threads: usize,
    /// Requests in flight for `async`.
    pub tasks: usize,
    /// Everything else.
    pub options: Options,
    /// Show progress bars.
    pub progress: bool,
}

/// Start the local site and crawl it with each strategy in turn.
pub fn compare(plan: &Comparison) -> Result<(Vec<Outcome>, Site)> {
    let site = Site::start(plan.site.clone());
    let start = Url::parse(&site.root())?;
    let expected = site.pages().len();
    let mut outcomes: Vec<Outcome> = Vec::new();
    for &strategy in &plan.strategies {
        let mut options = plan.options.clone();
        options.concurrency = match strategy {
            Strategy::Sequential => 1,
            Strategy::Threads => plan.threads,
            Strategy::Async => plan.tasks,
        };
        site.reset_stats();
        let bar = if plan.progress {
            progress(
                strategy.name(),
                Some(expected.min(options.max_pages) as u64),
            )
        } else {
            ProgressBar::hidden()
        };
        let (report, wall) = crawl(strategy, &start, &options, &bar)?;
        let mut outcome = Outcome::new(strategy, &options, &report, wall);
        outcome.peak_in_flight = Some(site.stats().peak_in_flight);
        tracing::info!(
            strategy = strategy.name(),
            pages = outcome.pages,
            seconds = outcome.seconds,
            "crawled"
        );
        outcomes.push(outcome);
    }
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

/// The summary table, one row per crawl.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<11} {:>6} {:>7} {:>9} {:>10} {:>10} {:>10} {:>8}",
        "strategy", "limit", "pages", "failures", "wall", "pages/s", "in flight", "speedup"
    );
    for o in outcomes {
        let _ = writeln!(
            out,
            "{:<11} {:>6} {:>7} {:>9} {:>9.2}s {:>10.0} {:>10} {:>8}",
            o.strategy.name(),
            o.concurrency,
            o.pages,
            o.failures,
            o.seconds,
            o.pages_per_s,
            o.peak_in_flight.map_or("-".into(), |p| p.to_string()),
            o.speedup.map_or("-".into(), |s| format!("{s:.1}×")),
        );
    }
    out
}

/// The failures, grouped: "HTTP 404: 3, timeout: 1".
pub fn failure_summary(outcome: &Outcome) -> Option<String> {
    let failed: Vec<String> = outcome
        .outcomes
        .iter()
        .filter(|(what, _)| what.as_str() != "ok")
        .map(|(what, n)| format!("{what}: {n}"))
        .collect();
    (!failed.is_empty()).then(|| failed.join(", "))
}

/// One line of the `--out` report.
#[derive(Serialize)]
struct Line<'a> {
    url: &'a str,
    depth: usize,
    status: Option<u16>,
    bytes: u64,
    html: bool,
    links: usize,
    ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Write one JSON line per page to `path` (url, depth, status, bytes, html,
/// links, ms, error): first to a temporary file beside
/// it, then renamed over it, so a crash never leaves half a report.
pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().context("--out needs a file name")?;
    let temporary = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let written = (|| -> Result<()> {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&temporary)
                .with_context(|| format!("cannot create {}", temporary.display()))?,
        );
        for page in &report.pages {
            let line = Line {
                url: page.url.as_str(),
                depth: page.depth,
                status: page.status,
                bytes: page.bytes,
                html: page.html,
                links: page.links,
                ms: page.elapsed.as_secs_f64() * 1e3,
                error: page.error.as_ref().map(|e| e.to_string()),
            };
            serde_json::to_writer(&mut file, &line)?;
            file.write_all(b"\n")?;
        }
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error.context(format!("cannot write the report {}", path.display())));
    }
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot move the report into place at {}", path.display()))
}

/// A crawl of a real site: its summary figures.
pub fn summarise(
    strategy: Strategy,
    options: &Options,
    report: &Report,
    wall: Duration,
) -> Outcome {
    Outcome::new(strategy, options, report, wall)
}
