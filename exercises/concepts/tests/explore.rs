//! Grades your queue under explored thread schedules
//! (`tests/suite/explored.rs`). Needs the `explore` feature; run it through
//! `cargo xtask grade concepts`.
#![cfg(feature = "explore")]

use concepts_exercise as kata;

#[path = "suite/explored.rs"]
mod explored;
