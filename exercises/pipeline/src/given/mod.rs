//! Given code: the per-file answer, the inputs and their download, the
//! work of the CPU stage, the database's schema, the counters, the run's
//! options and report.
//!
//! Not yours to edit: the reference solution compiles these same files, so
//! the reference and your code download, decompress and read the database
//! exactly alike, and `cargo xtask grade pipeline` warns when they differ
//! from what was handed out (their checksums are in
//! `[package.metadata.grade.given]` of `Cargo.toml`).
//! `git checkout exercises/pipeline/src/given` restores them.

pub mod answer;
pub mod db;
pub mod input;
pub mod meter;
pub mod options;
pub mod work;
