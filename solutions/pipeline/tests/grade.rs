//! Grades the reference solution with the exercise's suite
//! (`exercises/pipeline/tests/suite/graded.rs`): `cargo test -p pipeline-solution`.

use pipeline_solution as kata;

#[path = "../../../exercises/pipeline/tests/suite/graded.rs"]
mod graded;
