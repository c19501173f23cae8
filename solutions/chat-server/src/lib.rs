//! A WebSocket chat server that holds 10,000 connections on two cores.
//!
//! The decision table's row "I/O-bound, many" at its extreme: thousands of
//! connections, nearly all of them idle at any moment. A thread each would
//! spend a stack and a kernel thread per idle client; a task each spends a
//! few hundred bytes, and what dominates is what the server *buffers* per
//! connection — which is why [`config`] sets tungstenite's buffers small.
//!
//! | module | step | what it teaches |
//! |---|---|---|
//! | [`protocol`] | protocol | hostile input is a typed error, never a panic |
//! | [`hub`] | rooms, slow consumers | fan-out under a lock never held across `.await`; bounded queues per client |
//! | [`connection`] | broadcast, limits | one task per connection, `select!` over everything it waits for |
//! | [`server`] | broadcast, limits, shutdown | an accept loop with a connection limit; graceful shutdown, every task counted |
//!
//! Given, not the lesson: the settings ([`config`]), the events sent back
//! ([`event`]) and the HTTP front door that serves the page and upgrades
//! `/ws` ([`http`]).
//!
//! Each file in `mutants/` declares a known-wrong variant: this crate plus
//! one mistake, which the grader builds and grades to prove that the suite
//! catches it (`cargo xtask grade --mutants`).
//!
//! Run it: `cargo run -p chat-server` (the chat and its page on
//! 127.0.0.1:8080), `cargo run -p chat-server -- load` (10,000 clients).
//! Grade your own version: `cargo xtask grade chat-server`.

pub mod connection;
pub mod hub;
pub mod protocol;
pub mod server;

// The given modules are the exercise's own files, compiled here too: one
// copy, so the reference and the learner's code answer HTTP and encode
// events exactly alike.
#[path = "../../../exercises/chat-server/src/given/mod.rs"]
mod given;
pub use given::{config, event, http};

pub use config::Config;
pub use connection::Ending;
pub use hub::{Hub, HubStats};
pub use server::{Server, Stats, Summary};
