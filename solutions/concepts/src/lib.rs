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
//! Each `mutant-*` feature swaps one module for a known-wrong variant from
//! `mutants/`, to prove that the suite catches it (`cargo xtask grade --mutants`).

#[cfg_attr(feature = "mutant-racy-counter", path = "../mutants/racy_counter.rs")]
pub mod counter;
#[cfg_attr(feature = "mutant-busy-block-on", path = "../mutants/busy_block_on.rs")]
pub mod executor;
#[cfg_attr(
    feature = "mutant-sequential-fetch",
    path = "../mutants/sequential_fetch.rs"
)]
pub mod fetch;
#[cfg_attr(
    feature = "mutant-blocking-offload",
    path = "../mutants/blocking_offload.rs"
)]
pub mod offload;
#[cfg_attr(
    feature = "mutant-sequential-count",
    path = "../mutants/sequential_count.rs"
)]
#[cfg_attr(
    feature = "mutant-sequential-rayon",
    path = "../mutants/sequential_rayon.rs"
)]
pub mod primes;
#[cfg_attr(
    feature = "mutant-spinning-queue",
    path = "../mutants/spinning_queue.rs"
)]
#[cfg_attr(
    feature = "mutant-overfull-queue",
    path = "../mutants/overfull_queue.rs"
)]
#[cfg_attr(
    feature = "mutant-lost-wakeup-queue",
    path = "../mutants/lost_wakeup_queue.rs"
)]
pub mod queue;
pub mod sync;
