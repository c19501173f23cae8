//! Batch image processing, sequential and in parallel with rayon — the
//! reference solution.
//!
//! The modules that are not about concurrency (codec, ops, blur, job,
//! error, synth, unbounded) are the exercise's own files, included from
//! `exercises/image-processor/src`: one copy, so the learner and the
//! reference decode, resize and encode identically, and a graded test can
//! compare their outputs byte for byte.
//!
//! | module | what |
//! |---|---|
//! | [`write`] | write a file atomically (temp file + rename) |
//! | [`one`] | one image: read, decode, apply ops, encode, write |
//! | [`batch`] | a batch: [`batch::sequential`], [`batch::parallel`] (rayon) |
//! | [`tiles`] | one huge image's blur, rows in parallel |
//!
//! Each file in `mutants/` declares a known-wrong variant: this crate plus
//! one mistake, which the grader builds and grades to prove that the suite
//! catches it (`cargo xtask grade --mutants`).
//!
//! Run it: `cargo run -p image-processor`. Grade your own version: `cargo
//! xtask grade image-processor`.

pub mod batch;
pub mod one;
pub mod tiles;
pub mod write;

#[path = "../../../exercises/image-processor/src/given/mod.rs"]
mod given;
pub use given::{blur, codec, error, job, ops, stages, synth, unbounded};

pub use codec::OutputFormat;
pub use error::ProcessError;
pub use job::{Job, Outcome, Processed, Progress, Settings};
pub use ops::Op;
