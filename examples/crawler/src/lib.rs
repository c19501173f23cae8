//! The crawler as a tool: compare the strategies on a local site, crawl a
//! real one, or serve the local site for other crawlers.
//!
//! The crawling itself is the `crawler` exercise's library: the reference
//! solution by default, your own with `cargo xtask run crawler --mine`.
//! This crate adds what a user of the tool needs around it: progress, a
//! summary table of what each crawl cost (wall time, threads, heap, CPU),
//! the line that says what the table shows, JSON output, a JSON-lines
//! report written atomically.
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
use indicatif::ProgressBar;
use kata::{Options, PageRecord, Report};
use serde::Serialize;
use site::{Site, SiteConfig};
use std::collections::BTreeMap;
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

/// One row of a comparison: a strategy at a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// How it crawls.
    pub strategy: Strategy,
    /// Worker threads (threads) or requests in flight (async); 1 for
    /// sequential.
    pub limit: usize,
}

impl Row {
    /// `sequential`, `threads (16)`, `async (64)`: a row names its limit,
    /// since a comparison of two strategies at two limits compares limits.
    pub fn label(self) -> String {
        match self.strategy {
            Strategy::Sequential => "sequential".into(),
            other => format!("{} ({})", other.name(), self.limit),
        }
    }
}

/// The rows of a comparison: sequential first (the base of the speed-ups),
/// then, from the smallest limit up, every concurrent strategy given that
/// limit, in the order of `strategies`, so that threads and async at one
/// limit sit side by side.
pub fn rows(strategies: &[Strategy], threads: &[usize], tasks: &[usize]) -> Vec<Row> {
    let limits_of = |strategy: Strategy| match strategy {
        Strategy::Sequential => &[][..],
        Strategy::Threads => threads,
        Strategy::Async => tasks,
    };
    let mut rows = Vec::new();
    if strategies.contains(&Strategy::Sequential) {
        rows.push(Row {
            strategy: Strategy::Sequential,
            limit: 1,
        });
    }
    let mut limits: Vec<usize> = strategies
        .iter()
        .flat_map(|&s| limits_of(s).iter().copied())
        .collect();
    limits.sort_unstable();
    limits.dedup();
    for limit in limits {
        for &strategy in strategies {
            let row = Row { strategy, limit };
            if limits_of(strategy).contains(&limit) && !rows.contains(&row) {
                rows.push(row);
            }
        }
    }
    rows
}

/// What one crawl cost, measured around it.
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    /// Wall time.
    pub wall: Duration,
    /// The most threads it ran on at once: the calling thread and those it
    /// started (workers, runtime threads, the HTTP client's own). `None`
    /// where threads cannot be watched.
    pub threads: Option<usize>,
    /// The most heap it held at once beyond what was live when it began
    /// (the local site's share included: it serves from the same process).
    /// `None` unless the program counts its allocations.
    pub peak_heap_bytes: Option<u64>,
    /// CPU time of the whole process meanwhile (every thread).
    pub cpu: Duration,
}

/// One crawl's figures.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
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
    /// See [`Probe::threads`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// See [`Probe::peak_heap_bytes`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_heap_bytes: Option<u64>,
    /// CPU time the crawl used (on the local site, the site's own threads
    /// left out).
    pub cpu_seconds: f64,
}

impl Run {
    fn new(report: &Report, probe: &Probe) -> Run {
        let seconds = probe.wall.as_secs_f64();
        Run {
            pages: report.pages.len(),
            ok: report.ok(),
            failures: report.failures(),
            outcomes: report.outcomes(),
            bytes: report.bytes(),
            seconds,
            pages_per_s: report.pages.len() as f64 / seconds.max(1e-9),
            peak_in_flight: None,
            threads: probe.threads,
            peak_heap_bytes: probe.peak_heap_bytes,
            cpu_seconds: probe.cpu.as_secs_f64(),
        }
    }
}

/// One row's figures: what the summary table and `--json` show. With
/// several runs, the figures are the median run's (by wall time; of an
/// even number, the faster of the middle two), and `runs` holds them all.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// How it crawled.
    pub strategy: Strategy,
    /// Threads or requests in flight allowed (1 for sequential).
    pub concurrency: usize,
    /// The row's name, its limit included: `threads (16)`.
    pub label: String,
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
    /// See [`Probe::threads`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// See [`Probe::peak_heap_bytes`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_heap_bytes: Option<u64>,
    /// See [`Run::cpu_seconds`].
    pub cpu_seconds: f64,
    /// Every run, in the order they ran.
    pub runs: Vec<Run>,
}

impl Outcome {
    /// The row `row` from its runs (at least one).
    fn new(row: Row, runs: Vec<Run>) -> Outcome {
        let mut order: Vec<&Run> = runs.iter().collect();
        order.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let median = order[(order.len() - 1) / 2].clone();
        Outcome {
            strategy: row.strategy,
            concurrency: row.limit,
            label: row.label(),
            pages: median.pages,
            ok: median.ok,
            failures: median.failures,
            outcomes: median.outcomes,
            bytes: median.bytes,
            seconds: median.seconds,
            pages_per_s: median.pages_per_s,
            peak_in_flight: median.peak_in_flight,
            speedup: None,
            threads: median.threads,
            peak_heap_bytes: median.peak_heap_bytes,
            cpu_seconds: median.cpu_seconds,
            runs,
        }
    }

    /// The lowest and the highest pages/s of its runs.
    pub fn pages_per_s_range(&self) -> (f64, f64) {
        self.runs
            .iter()
            .map(|r| r.pages_per_s)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            })
    }
}

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
    /// The rows, in order (see [`rows`]).
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

/// The summary table, one row per outcome; the columns of figures nobody
/// measured (speed-up without a sequential row, peak in flight on a real
/// site) left out.
pub fn table(outcomes: &[Outcome]) -> String {
    use cli::human;
    let several = outcomes.iter().any(|o| o.runs.len() > 1);
    let any = |f: fn(&Outcome) -> bool| outcomes.iter().any(f);
    let columns: [(&str, bool); 11] = [
        ("strategy", true),
        ("pages", true),
        ("failures", true),
        (if several { "wall (median)" } else { "wall" }, true),
        (
            if several {
                "pages/s (median)"
            } else {
                "pages/s"
            },
            true,
        ),
        ("pages/s (min–max)", several),
        ("speed-up", any(|o| o.speedup.is_some())),
        ("peak in flight", any(|o| o.peak_in_flight.is_some())),
        ("threads", any(|o| o.threads.is_some())),
        ("peak heap", any(|o| o.peak_heap_bytes.is_some())),
        ("CPU", true),
    ];
    let shown = |i: usize| columns[i].1;
    let header = columns.iter().filter(|c| c.1).map(|c| c.0);
    let figures = 1..columns.iter().filter(|c| c.1).count();
    let mut table = cli::table::Table::new(header).numeric(figures);
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".into());
    for o in outcomes {
        let (lo, hi) = o.pages_per_s_range();
        let cells = [
            o.label.clone(),
            o.pages.to_string(),
            o.failures.to_string(),
            human::duration(Duration::from_secs_f64(o.seconds)),
            human::sig3(o.pages_per_s),
            format!("{}–{}", human::sig3(lo), human::sig3(hi)),
            or_dash(o.speedup.map(human::times)),
            or_dash(o.peak_in_flight.map(|p| p.to_string())),
            or_dash(o.threads.map(|t| t.to_string())),
            or_dash(o.peak_heap_bytes.map(human::bytes)),
            human::duration(Duration::from_secs_f64(o.cpu_seconds)),
        ];
        table.row(
            cells
                .into_iter()
                .enumerate()
                .filter(|&(i, _)| shown(i))
                .map(|(_, cell)| cell),
        );
    }
    table.to_string()
}

/// Are two rates the same within what this run can tell? With several
/// runs each, when their ranges overlap or their medians are within 5%;
/// with one run each, within 10% (what two runs of one crawler commonly
/// differ by on a shared machine).
fn alike(a: &Outcome, b: &Outcome) -> bool {
    let (x, y) = (a.pages_per_s, b.pages_per_s);
    let gap = (x - y).abs() / x.max(y).max(1e-9);
    if a.runs.len() > 1 && b.runs.len() > 1 {
        let (a_lo, a_hi) = a.pages_per_s_range();
        let (b_lo, b_hi) = b.pages_per_s_range();
        gap < 0.05 || (a_lo <= b_hi && b_lo <= a_hi)
    } else {
        gap < 0.10
    }
}

/// The line under the table: what this run's figures say about the
/// choice, phrased from them (never a claim made in advance). `None` when
/// there is nothing to compare.
pub fn takeaway(outcomes: &[Outcome]) -> Option<String> {
    use cli::human::{sig3, times};
    let of = |strategy: Strategy| outcomes.iter().filter(move |o| o.strategy == strategy);
    // Like with like: threads and async at the same limit, the largest
    // such limit (where a difference between the models would show most).
    let pair = of(Strategy::Threads)
        .filter_map(|t| {
            of(Strategy::Async)
                .find(|a| a.concurrency == t.concurrency)
                .map(|a| (t, a))
        })
        .max_by_key(|(t, _)| t.concurrency);
    if let Some((t, a)) = pair {
        let limit = t.concurrency;
        if t.failures + a.failures > 0 {
            // Failed pages are not failed alike: async retries a 5xx or a
            // timeout after a backoff, threads do not, so the two did
            // different work and their speeds say nothing about the models.
            return Some(format!(
                "At {limit} in flight, pages failed ({} for threads, {} for async): the two \
                 handled them differently (async retries, after a backoff), so their speeds \
                 do not compare; the lines above say how each page ended.",
                t.failures, a.failures
            ));
        }
        let counted = match (t.threads, a.threads) {
            (Some(tt), Some(at)) => format!(
                " ({} against {} here)",
                cli::human::count(at, "thread", "threads"),
                tt
            ),
            _ => String::new(),
        };
        let cost = format!("a task per waiting request instead of a thread{counted}");
        let gain = match (t.speedup, a.speedup) {
            (Some(ts), Some(at)) => format!(
                "the gain over one request at a time ({} and {}) comes from overlapping the \
                 waits, not from async",
                times(ts),
                times(at)
            ),
            _ => "at one limit, the model makes no difference to speed here".into(),
        };
        // A gap seen in one run each may be the machine's, not the
        // models': say how to tell.
        let once = if t.runs.len() < 2 || a.runs.len() < 2 {
            "; one run each, --runs 5 shows whether the gap outlasts the noise"
        } else {
            ""
        };
        return Some(if alike(t, a) {
            let gap = (t.pages_per_s - a.pages_per_s).abs() / t.pages_per_s.max(a.pages_per_s);
            let within = (gap * 100.0).ceil().max(1.0);
            format!(
                "At {limit} in flight, threads and async crawl at {} and {} pages/s (within \
                 {within}%): {gain}; async's edge is {cost}, which matters at thousands in \
                 flight.",
                sig3(t.pages_per_s),
                sig3(a.pages_per_s),
            )
        } else if a.pages_per_s > t.pages_per_s {
            format!(
                "At {limit} in flight, async crawls {} as fast as threads ({} against {} \
                 pages/s{once}): here it gains beyond overlapping the waits, and it waits \
                 cheaper, {cost}.",
                times(a.pages_per_s / t.pages_per_s),
                sig3(a.pages_per_s),
                sig3(t.pages_per_s),
            )
        } else {
            format!(
                "At {limit} in flight, threads crawl {} as fast as async ({} against {} \
                 pages/s{once}): async is no faster at equal limits here; its edge is {cost}, \
                 which matters at thousands in flight.",
                times(t.pages_per_s / a.pages_per_s),
                sig3(t.pages_per_s),
                sig3(a.pages_per_s),
            )
        });
    }
    let best = |strategy| {
        of(strategy).max_by(|a: &&Outcome, b: &&Outcome| a.pages_per_s.total_cmp(&b.pages_per_s))
    };
    if let (Some(t), Some(a)) = (best(Strategy::Threads), best(Strategy::Async)) {
        let per_slot = |o: &Outcome| sig3(o.pages_per_s / o.concurrency as f64);
        let like = t.concurrency.max(a.concurrency);
        return Some(format!(
            "{} and {} ran at different limits ({} and {} pages/s per request allowed in \
             flight): for like with like, give them one, e.g. --threads {like} --concurrency \
             {like}.",
            t.label,
            a.label,
            per_slot(t),
            per_slot(a),
        ));
    }
    let fastest = outcomes
        .iter()
        .filter(|o| o.strategy != Strategy::Sequential)
        .max_by(|a, b| a.pages_per_s.total_cmp(&b.pages_per_s))?;
    let speedup = fastest.speedup?;
    Some(format!(
        "{} crawls {} as fast as sequential{}: the waits overlap.",
        fastest.label,
        times(speedup),
        fastest
            .peak_in_flight
            .map(|p| format!(", with {p} requests in flight at the peak against 1"))
            .unwrap_or_default(),
    ))
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
pub fn summarise(strategy: Strategy, options: &Options, report: &Report, probe: &Probe) -> Outcome {
    let limit = if strategy == Strategy::Sequential {
        1
    } else {
        options.concurrency
    };
    Outcome::new(Row { strategy, limit }, vec![Run::new(report, probe)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(strategy: Strategy, limit: usize) -> Row {
        Row { strategy, limit }
    }

    /// A run of 1000 pages at `pages_per_s`, on `threads` threads.
    fn run(pages_per_s: f64, threads: usize) -> Run {
        Run {
            pages: 1000,
            ok: 1000,
            failures: 0,
            outcomes: BTreeMap::from([("ok".to_owned(), 1000)]),
            bytes: 1 << 20,
            seconds: 1000.0 / pages_per_s,
            pages_per_s,
            peak_in_flight: Some(64),
            threads: Some(threads),
            peak_heap_bytes: Some(4_000_000),
            cpu_seconds: 0.1,
        }
    }

    /// Sequential at 45 pages/s, then threads and async at 64 in flight.
    fn outcomes(threads: f64, tasks: f64) -> Vec<Outcome> {
        let mut all = vec![
            Outcome::new(row(Strategy::Sequential, 1), vec![run(45.0, 2)]),
            Outcome::new(row(Strategy::Threads, 64), vec![run(threads, 66)]),
            Outcome::new(row(Strategy::Async, 64), vec![run(tasks, 3)]),
        ];
        for o in &mut all {
            o.speedup = Some(o.pages_per_s / 45.0);
        }
        all
    }

    #[test]
    fn rows_put_threads_and_async_side_by_side_at_each_limit() {
        let all = [Strategy::Sequential, Strategy::Threads, Strategy::Async];
        let labels = |rows: Vec<Row>| rows.into_iter().map(Row::label).collect::<Vec<_>>();
        assert_eq!(
            labels(rows(&all, &[64, 16], &[16, 64])),
            [
                "sequential",
                "threads (16)",
                "async (16)",
                "threads (64)",
                "async (64)"
            ]
        );
        assert_eq!(
            labels(rows(&all, &[16], &[64])),
            ["sequential", "threads (16)", "async (64)"]
        );
        assert_eq!(
            labels(rows(&[Strategy::Async, Strategy::Threads], &[8, 8], &[8])),
            ["async (8)", "threads (8)"]
        );
    }

    #[test]
    fn a_row_is_its_median_run_and_keeps_every_run() {
        let o = Outcome::new(
            row(Strategy::Async, 64),
            vec![run(2000.0, 3), run(1000.0, 3), run(3000.0, 3)],
        );
        assert_eq!(o.pages_per_s, 2000.0);
        assert_eq!(o.runs.len(), 3);
        assert_eq!(o.pages_per_s_range(), (1000.0, 3000.0));
        let text = table(&[o]);
        assert!(
            text.contains("pages/s (median)") && text.contains("1000–3000"),
            "{text}"
        );
    }

    #[test]
    fn the_takeaway_says_what_the_figures_say() {
        let alike = takeaway(&outcomes(2250.0, 2213.0)).unwrap();
        assert!(
            alike.contains("At 64 in flight, threads and async crawl at 2250 and 2213 pages/s")
                && alike.contains("within 2%")
                && alike.contains("(50.0× and 49.2×)")
                && alike.contains("3 threads against 66"),
            "{alike}"
        );
        let faster = takeaway(&outcomes(2000.0, 3000.0)).unwrap();
        assert!(
            faster.contains(
                "async crawls 1.50× as fast as threads (3000 against 2000 pages/s; one run each"
            ),
            "{faster}"
        );
        let slower = takeaway(&outcomes(3000.0, 2000.0)).unwrap();
        assert!(
            slower.contains("threads crawl 1.50× as fast as async"),
            "{slower}"
        );

        let apart = vec![
            Outcome::new(row(Strategy::Threads, 16), vec![run(700.0, 18)]),
            Outcome::new(row(Strategy::Async, 64), vec![run(2200.0, 3)]),
        ];
        let line = takeaway(&apart).unwrap();
        assert!(
            line.contains("threads (16) and async (64) ran at different limits")
                && line.contains("--threads 64 --concurrency 64"),
            "{line}"
        );
        assert_eq!(takeaway(&outcomes(1.0, 1.0)[..1]), None);

        let mut failed = outcomes(3000.0, 2000.0);
        failed[2].failures = 3;
        let line = takeaway(&failed).unwrap();
        assert!(
            line.contains("pages failed (0 for threads, 3 for async)") && !line.contains("as fast"),
            "{line}"
        );
        // Without a sequential row there is no speed-up to explain.
        let mut concurrent = outcomes(2250.0, 2213.0).split_off(1);
        concurrent.iter_mut().for_each(|o| o.speedup = None);
        let line = takeaway(&concurrent).unwrap();
        assert!(
            line.contains("the model makes no difference to speed here"),
            "{line}"
        );
    }

    #[test]
    fn runs_whose_ranges_overlap_are_alike_and_apart_are_not() {
        let of = |rates: &[f64], strategy| {
            Outcome::new(
                row(strategy, 64),
                rates.iter().map(|&r| run(r, 3)).collect(),
            )
        };
        let threads = of(&[1800.0, 2000.0, 2300.0], Strategy::Threads);
        assert!(alike(
            &threads,
            &of(&[2250.0, 2400.0, 2500.0], Strategy::Async)
        ));
        assert!(!alike(
            &threads,
            &of(&[2400.0, 2500.0, 2600.0], Strategy::Async)
        ));
    }
}
