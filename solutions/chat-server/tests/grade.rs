//! Grades the reference solution with the exercise's suite
//! (`exercises/chat-server/tests/suite/graded.rs`): `cargo test -p chat-server-solution`.

use chat_server_solution as kata;

#[path = "../../../exercises/chat-server/tests/suite/graded.rs"]
mod graded;
