//! The Mutex and Condvar that the queue is built from.
//!
//! Both are std's, with counters (`harness::lockcount`): the Mutex counts
//! how often it is locked, the Condvar how often it is asked to wait with a
//! timeout. That lets the grader tell a thread that *sleeps* until notified
//! from one that *polls* — locks, looks, unlocks, naps, locks again; or
//! wakes on a timer to look again — which can use very little CPU and still
//! be the wrong design.
//!
//! For the `queue-explored` step the grader compiles `src/queue.rs` a
//! second time, inside its test, where `crate::sync` is shuttle's drop-in
//! Mutex and Condvar (see `tests/explore.rs`): shuttle then runs the queue
//! under a thousand thread interleavings of its own choosing and reports a
//! deadlock — a lost wake-up — the moment one schedule produces it.
//! Ordinary tests only see the schedules the OS happens to pick.

pub use harness::lockcount::{Condvar, Mutex, lock_count, timed_waits};
