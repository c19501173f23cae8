//! Reference solution of the `pipeline` exercises: async downloads feeding
//! CPU work on a rayon pool feeding one SQLite writer — bounded,
//! overlapped, cancellable and resumable.
//!
//! Graded by the same suite as the learner's code:
//! `cargo test -p pipeline-solution`, or `cargo xtask grade --solutions
//! pipeline`. The program built on it: `cargo run -p pipeline`.

pub mod offload;
pub mod parse;
pub mod pipeline;
pub mod store;

#[path = "../../../exercises/pipeline/src/given/mod.rs"]
mod given;
pub use given::{answer, db, input, meter, options, work};

pub use answer::{Entry, FileStats};
pub use db::{Db, Dump, StoreError};
pub use input::{Fetched, Fetcher, InputError, Location, Processed, Source};
pub use meter::{Meter, Snapshot};
pub use options::{Options, PipelineError, Report, Sink};
pub use pipeline::run;
