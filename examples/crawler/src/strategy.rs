//! What crawls: a [`Strategy`], a [`Row`] (a strategy at a limit), and the
//! rows of a comparison in the order the table shows them ([`rows`]).
//!
//! `main.rs` turns `--strategy`, `--threads` and `--concurrency` into
//! rows; [`compare`](fn@crate::compare) crawls them. The unit test below
//! runs with `cargo test -p crawler --lib`.

use serde::Serialize;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
