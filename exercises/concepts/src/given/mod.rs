//! Given code: what the steps build on but do not teach.
//!
//! Not yours to edit: the reference solution compiles these same files, and
//! `cargo xtask grade concepts` warns when they differ from what was handed
//! out (their checksums are in `[package.metadata.grade.given]` of
//! `Cargo.toml`). `git checkout exercises/concepts/src/given` restores them.

pub mod sync;
