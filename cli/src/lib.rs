//! What every program of the workspace, and `cargo xtask`, does the same way
//! at its edge, so that a user who learned one knows them all:
//!
//! - [`exit`]: one exit-code convention (0 done, 1 found failures, 2 could
//!   not be done), with the error printed once, causes included;
//! - [`Common`]: the flags every program takes (`--color`, `--quiet`), and
//!   [`Output`], what they decide: logs (tracing) without escape codes when
//!   they go to a file, notes that `--quiet` silences;
//! - [`progress`]: a bar on a terminal, a line every few seconds in a log;
//! - [`table`]: tables whose columns fit their content;
//! - [`human`]: sizes, durations, rates and counts as people write them
//!   (`46.9 MB`, `1.25 s`, `3.53 images/s`, `1 thread`), never Debug output;
//! - [`completions`]: shell completions for a program's own flags;
//! - [`explain_todo_panics`]: a learner's unwritten `todo!()` explained in
//!   one line, not a backtrace.
//!
//! ```no_run
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! #[command(version)]
//! struct Args {
//!     #[command(flatten)]
//!     common: cli::Common,
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     let args = Args::parse();
//!     let out = args.common.init();
//!     cli::exit(run(&out))
//! }
//!
//! fn run(out: &cli::Output) -> anyhow::Result<cli::Finished> {
//!     out.note(format_args!("working on {}", cli::human::count(3, "file", "files")));
//!     Ok(cli::Finished::Clean)
//! }
//! ```

mod exit;
pub mod human;
mod output;
pub mod progress;
pub mod table;
mod todo;

pub use exit::{DONE, ERROR, FAILURES, Finished, exit};
pub use output::{ColorChoice, Common, Output, completions};
pub use todo::explain_todo_panics;
