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
//!
//! One job a module: `strategy.rs` (what crawls: strategies and the rows of
//! a comparison), `compare.rs` (running them, measured), `outcome.rs` (what
//! a crawl cost and what a row shows), `table.rs` (the summary table),
//! `takeaway.rs` (the line under it), `jsonl.rs` (the `--out` report).

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

mod compare;
mod jsonl;
mod outcome;
mod strategy;
mod table;
mod takeaway;

pub use compare::{Comparison, compare, crawl};
pub use jsonl::write_report;
pub use outcome::{Outcome, Probe, Run, summarise};
pub use strategy::{Row, Strategy, rows};
pub use table::{failure_summary, table};
pub use takeaway::takeaway;
