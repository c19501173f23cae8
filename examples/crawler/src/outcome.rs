//! What a crawl cost and what a row of the table shows: the [`Probe`]
//! taken around one crawl, the [`Run`] made of it, and the [`Outcome`] of a
//! row (its median run, every run kept).
//!
//! [`compare`](fn@crate::compare) builds them for the local comparison,
//! [`summarise`] for a crawl of a real site; the table, the takeaway and
//! `--json` read them. The unit test below runs with `cargo test -p
//! crawler --lib`.

use crate::kata::{Options, Report};
use crate::strategy::{Row, Strategy};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

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
    pub(crate) fn new(report: &Report, probe: &Probe) -> Run {
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
    /// The median run's figures: pages, failures, wall time, pages/s, peak
    /// in flight, threads, heap, CPU (in the JSON, beside the fields above,
    /// as they always were).
    #[serde(flatten)]
    pub median: Run,
    /// Wall time of the sequential crawl ÷ this one's (comparisons only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    /// Every run, in the order they ran.
    pub runs: Vec<Run>,
}

impl Outcome {
    /// The row `row` from its runs (at least one).
    pub(crate) fn new(row: Row, runs: Vec<Run>) -> Outcome {
        let mut order: Vec<&Run> = runs.iter().collect();
        order.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let median = order[(order.len() - 1) / 2].clone();
        Outcome {
            strategy: row.strategy,
            concurrency: row.limit,
            label: row.label(),
            median,
            speedup: None,
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

/// `outcome.pages` and the like read the median run's figures.
impl std::ops::Deref for Outcome {
    type Target = Run;
    fn deref(&self) -> &Run {
        &self.median
    }
}

impl std::ops::DerefMut for Outcome {
    fn deref_mut(&mut self) -> &mut Run {
        &mut self.median
    }
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
pub(crate) mod tests {
    use super::*;
    use crate::table::table;

    pub(crate) fn row(strategy: Strategy, limit: usize) -> Row {
        Row { strategy, limit }
    }

    /// A run of 1000 pages at `pages_per_s`, on `threads` threads.
    pub(crate) fn run(pages_per_s: f64, threads: usize) -> Run {
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
}
