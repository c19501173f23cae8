//! The Mutex and Condvar that the queue is built from.
//!
//! Normally the Condvar is std's and the Mutex is std's plus a count of how
//! often it is locked (`harness::lockcount`): that lets the grader tell a
//! thread that *sleeps* until notified from one that *polls* — locks, looks,
//! unlocks, naps, locks again — which can use very little CPU and still be
//! the wrong design.
//!
//! With the `explore` feature both are shuttle's drop-in replacements, which
//! let a test run the queue under thousands of different thread
//! interleavings (`tests/explore.rs`) and report a deadlock — a lost
//! wake-up — the moment one schedule produces it. Ordinary tests only see
//! the schedules the OS happens to pick.

#[cfg(not(feature = "explore"))]
pub use harness::lockcount::{Mutex, lock_count};
#[cfg(feature = "explore")]
pub use shuttle::sync::{Condvar, Mutex};
#[cfg(not(feature = "explore"))]
pub use std::sync::Condvar;
