//! The pipeline as a tool: compare four strategies on a local log server,
//! run the answer over real logs into a database that a re-run resumes,
//! report what the database holds, or serve generated logs to other tools.
//!
//! The pipeline itself is the `pipeline` exercise's library: the reference
//! solution by default, your own with `cargo xtask run pipeline --mine`.
//! This crate adds what a user of the tool needs around it: the three
//! strategies it is compared with, each stage timed alone, measurements
//! (wall, cores, threads, heap), a live display of where the items are,
//! Ctrl-C that commits what finished, and the report.
//!
//! Run: `cargo run -p pipeline` (the comparison), `cargo run -p pipeline
//! --release -- --input LIST_OR_DIR --db logs.db`, `cargo run -p pipeline
//! -- report --db logs.db`, `cargo run -p pipeline -- serve`.
//!
//! One job a module: `strategy.rs` (the four ways to run the job),
//! `writer.rs` (the one writer the three alternatives share), `alone.rs`
//! (each stage on its own), `measured.rs` (one strategy, run and measured,
//! with its timeline), `live.rs` (the per-stage display), `compare.rs`
//! (the comparison and its table), `run.rs` (a run over real inputs),
//! `report.rs` (what a database answers), `serve.rs` (the log server as a
//! program).

#[cfg(feature = "mine")]
pub use pipeline_exercise as kata;
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub use pipeline_solution as kata;

/// Whose code runs the pipeline, for the report.
#[cfg(feature = "mine")]
pub const SUBJECT: &str = "your code (exercises/pipeline)";
/// Whose code runs the pipeline, for the report.
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub const SUBJECT: &str = "the reference solution (solutions/pipeline)";
#[cfg(not(any(feature = "reference", feature = "mine")))]
compile_error!("enable the `reference` feature (the default) or `mine`");

mod alone;
mod compare;
mod live;
mod measured;
mod report;
mod run;
mod serve;
mod signals;
mod strategy;
mod writer;

pub use alone::{StagesAlone, measure_alone};
pub use compare::{Comparison, compare};
pub use measured::{Measured, Sample};
pub use report::{ReportArgs, report};
pub use run::{RealRun, run_real};
pub use serve::{ServeArgs, serve};
pub use strategy::{Setup, Strategy};

/// A library error as one line for `anyhow`: the store's errors already
/// name their cause in their message (`opening logs.db: unable to open
/// database file`), and `{:#}` would print the source chain a second time.
pub(crate) fn flat(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}
