//! Reference solutions to the `concepts` exercises: the basics behind the
//! "when to use what" table.
//!
//! | module | lesson | model |
//! |---|---|---|
//! | [`primes`] | CPU-bound work scales with threads in Rust (no GIL) | scoped threads, rayon |
//! | [`counter`] | shared state: atomics vs a Mutex | `AtomicU64`, `Mutex` |
//! | [`queue`] | blocking without burning CPU | `Mutex` + `Condvar` |
//! | [`fetch`] | waiting concurrently costs one latency, not N | `join_all` |
//! | [`offload`] | CPU work must not block the async runtime | `spawn_blocking` |
//! | [`executor`] | what `block_on` does inside: wakers, not polling loops | `std::task` |
//!
//! The same suite grades this crate and the learner's `concepts-exercise`:
//! `cargo test -p concepts-solution`, or `cargo xtask grade --solutions`.
//! Each file in `mutants/` declares a known-wrong variant: this crate plus
//! one mistake, which the grader builds and grades to prove that the suite
//! catches it (`cargo xtask grade --mutants`).

pub mod counter;
pub mod executor;
pub mod fetch;
pub mod offload;
pub mod primes;
pub mod queue;
// The exercise's given files, compiled here too: the reference builds on
// the same primitives.
#[path = "../../../exercises/concepts/src/given/mod.rs"]
mod given;
pub use given::sync;
