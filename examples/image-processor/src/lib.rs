//! The image processor as a tool: compare the strategies on generated
//! photos, or thumbnail a real folder on every core.
//!
//! The processing itself is the `image-processor` exercise's library: the
//! reference solution by default, your own with `cargo xtask run
//! image-processor --mine`. This crate adds what a user of the tool needs
//! around it: the folders to read and where their results go, refused
//! before anything is written when they overlap ([`tree`]), progress, a
//! summary that lists each failure once, JSON output, an exit status that
//! says whether every file made it, and the measurements (wall time, cores
//! used, threads, peak memory) behind the comparison table.
//!
//! Run: `cargo run -p image-processor` (the comparison), `cargo run -p
//! image-processor --release -- --input ~/Pictures --output /tmp/thumbs`.
//!
//! One job a module: `batch.rs` (one batch, run and measured), `report.rs`
//! (the settings in words, the table, the summary), `photos.rs` (generated
//! photos on disk), [`tree`] (the folders and where their results go),
//! `plan.rs` (what a folder run will do, and `--dry-run`), `folder_run.rs`
//! (the folder run), `compare.rs` (the comparison). `main.rs` is the
//! command line over them.

#[cfg(feature = "mine")]
pub use image_processor_exercise as kata;
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub use image_processor_solution as kata;

/// Whose code processes the images, for the report.
#[cfg(feature = "mine")]
pub const SUBJECT: &str = "your code (exercises/image-processor)";
/// Whose code processes the images, for the report.
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub const SUBJECT: &str = "the reference solution (solutions/image-processor)";
#[cfg(not(any(feature = "reference", feature = "mine")))]
compile_error!("enable the `reference` feature (the default) or `mine`");

mod batch;
mod compare;
mod folder_run;
mod photos;
mod plan;
mod report;
pub mod tree;

pub use batch::{BatchReport, Failure, Strategy, run};
pub use compare::{Comparison, compare};
pub use folder_run::{FolderRun, process};
pub use photos::{demo_photos, write_photos};
pub use report::{describe, summary, table};

use cli::human;

/// The pool's size; a `--jobs` above the cores is allowed (it is how
/// oversubscription is measured) but warned about.
pub fn threads(jobs: Option<u16>) -> usize {
    // At the crate's root, so that the warning is logged under the
    // program's name (`WARN image_processor: --jobs ...`).
    let cores = harness::cpu::available_cores();
    match jobs.map(usize::from) {
        Some(jobs) if jobs > cores => {
            tracing::warn!(
                "--jobs {jobs} is more threads than the {} available: they will take \
                 turns, and hold more images at once",
                human::count(cores, "core", "cores")
            );
            jobs
        }
        Some(jobs) => jobs,
        None => cores,
    }
}
