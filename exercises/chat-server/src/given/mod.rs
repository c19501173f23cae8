//! Given code: the server's settings and its HTTP front door.
//!
//! Not yours to edit: the reference solution compiles these same files, so
//! the reference and your code read requests, answer the page and upgrade
//! to WebSocket exactly alike, and `cargo xtask grade chat-server` warns
//! when they differ from what was handed out (their checksums are in
//! `[package.metadata.grade.given]` of `Cargo.toml`).
//! `git checkout exercises/chat-server/src/given` restores them.

pub mod config;
pub mod event;
pub mod http;
