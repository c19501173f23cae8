//! Grades the reference queue under explored thread schedules
//! (`exercises/concepts/tests/suite/explored.rs`):
//! `cargo test -p concepts-solution --test explore`.
//!
//! Shuttle can only schedule its own Mutex and Condvar, so this test
//! compiles `src/queue.rs` a second time, here, where `crate::sync` is
//! shuttle's.

// What `src/queue.rs` imports as `crate::sync`, in this test: shuttle's
// Mutex and Condvar (see the suite file).
use explored::sync;

// Not every method of the queue is used by the exploration.
#[allow(dead_code)]
#[path = "../src/queue.rs"]
mod queue;

#[path = "../../../exercises/concepts/tests/suite/explored.rs"]
mod explored;
