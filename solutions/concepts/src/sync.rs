//! The Mutex and Condvar that [`crate::queue`] is built from.
//!
//! Normally these are std's. With the `explore` feature they are shuttle's
//! drop-in replacements, which let a test run the queue under thousands of
//! different thread interleavings (`tests/explore.rs`) and report a deadlock
//! — a lost wake-up — the moment one schedule produces it. Ordinary tests
//! only see the schedules the OS happens to pick.

#[cfg(feature = "explore")]
pub use shuttle::sync::{Condvar, Mutex};
#[cfg(not(feature = "explore"))]
pub use std::sync::{Condvar, Mutex};
