//! Grades the reference solution with the exercise's suite
//! (`exercises/crawler/tests/suite/graded.rs`): `cargo test -p crawler-solution`.

use crawler_solution as kata;

#[path = "../../../exercises/crawler/tests/suite/graded.rs"]
mod graded;
