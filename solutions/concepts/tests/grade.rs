//! Grades the reference solution with the exercise's suite
//! (`exercises/concepts/tests/suite/graded.rs`): `cargo test -p concepts-solution`.

use concepts_solution as kata;

#[path = "../../../exercises/concepts/tests/suite/graded.rs"]
mod graded;
