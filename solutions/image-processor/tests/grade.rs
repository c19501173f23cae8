//! Grades the reference solution with the exercise's suite
//! (`exercises/image-processor/tests/suite/graded.rs`): `cargo test -p
//! image-processor-solution`.

use image_processor_solution as kata;

#[path = "../../../exercises/image-processor/tests/suite/graded.rs"]
mod graded;
