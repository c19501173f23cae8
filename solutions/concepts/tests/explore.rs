//! Grades the reference queue under explored thread schedules
//! (`exercises/concepts/tests/suite/explored.rs`):
//! `cargo test -p concepts-solution --features explore --test explore`.
#![cfg(feature = "explore")]

use concepts_solution as kata;

#[path = "../../../exercises/concepts/tests/suite/explored.rs"]
mod explored;
