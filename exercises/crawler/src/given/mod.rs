//! Given code: the options and report types, one HTTP fetch, robots.txt.
//!
//! Not yours to edit: the reference solution compiles these same files, so
//! the reference and your code fetch, record and read robots.txt exactly
//! alike, and `cargo xtask grade crawler` warns when they differ from what
//! was handed out (their checksums are in `[package.metadata.grade.given]`
//! of `Cargo.toml`). `git checkout exercises/crawler/src/given` restores
//! them.

pub mod crawl;
pub mod fetch;
pub mod robots;
