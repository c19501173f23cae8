//! The `concepts` exercises: the basics behind "when to use what".
//!
//! Each module is one lesson with functions to fill in. Replace each
//! `todo!()` with real code, then grade:
//!
//! ```text
//! cargo xtask grade concepts        # every step: passed / failed and why / not started
//! cargo xtask hint concepts         # a hint for the first step not passed yet
//! cargo xtask watch concepts        # re-grade every time you save
//! ```
//!
//! | step | file | what you build | what the grader checks besides the answer |
//! |---|---|---|---|
//! | `primes-threads` | `src/primes.rs` | count primes on scoped threads | cores used ≥ 0.8 × free, all through the run; as many threads as asked |
//! | `primes-rayon` | `src/primes.rs` | the same with rayon | cores used ≥ 0.8 × free, all through the run |
//! | `counters` | `src/counter.rs` | an atomic and a Mutex counter | exact under 8 contending threads |
//! | `queue` | `src/queue.rs` | a bounded blocking queue | never over capacity, at any moment; no CPU and no wake-ups while blocked; no lost wake-up |
//! | `queue-explored` | `src/queue.rs` | (same queue) | no deadlock, never over capacity, in 2000 explored schedules |
//! | `fetch-all` | `src/fetch.rs` | await many requests at once | all in flight together, ≈ 1 latency |
//! | `offload` | `src/offload.rs` | CPU work from async | the runtime's heartbeat stays on time; its thread sleeps while it waits |
//! | `block-on` | `src/executor.rs` | a tiny executor | sleeps until woken, never busy-polls |
//!
//! On a busy machine (a build, an indexer, a browser holding a core) a step
//! whose measurements cannot tell right from wrong says *inconclusive*
//! rather than fail: close what you can and grade again.
//!
//! Stuck? The reference is in `solutions/concepts/`, and the book's
//! "Concepts" chapter explains each step.

// The stubs ignore their arguments until you fill them in.
#![allow(unused_variables)]

pub mod counter;
pub mod executor;
pub mod fetch;
pub mod offload;
pub mod primes;
pub mod queue;

// Given (src/given/): the lock-counting Mutex and Condvar.
mod given;
pub use given::sync;
