//! The chat server as a tool: serve the chat and its page, or measure what
//! 10,000 connections cost with one task each against one thread each.
//!
//! The server itself is the `chat-server` exercise's library: the reference
//! solution by default, your own with `cargo xtask run chat-server --mine`.
//! This crate adds what a user of the tool needs around it: the port it
//! binds, a live status line, a graceful stop on Ctrl-C or SIGTERM, and the
//! `load` comparison, which runs the server and a load generator as two
//! processes (10,000 server sockets and 10,000 client sockets do not fit
//! under one process's open-file limit) and measures the server from the
//! outside.
//!
//! Run: `cargo run -p chat-server` (the chat on 127.0.0.1:8080), `cargo run
//! --release -p chat-server -- load` (the comparison).
//!
//! One job a module: `serve.rs` (the tokio server as a program), `threaded.rs`
//! (the same chat with a thread per connection, the comparison's other
//! side), `load.rs` (the two processes, run and measured), `report.rs` (the
//! table, the takeaway and the JSON), `page.rs` (the page's files),
//! `relay.rs` (several servers' rooms joined through Redis, `serve --redis`),
//! `broker.rs` (a `redis-server` of its own, for the two-server load run).

#[cfg(feature = "mine")]
pub use chat_server_exercise as kata;
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub use chat_server_solution as kata;

/// Whose code serves, for the notes.
#[cfg(feature = "mine")]
pub const SUBJECT: &str = "your code (exercises/chat-server)";
/// Whose code serves, for the notes.
#[cfg(all(feature = "reference", not(feature = "mine")))]
pub const SUBJECT: &str = "the reference solution (solutions/chat-server)";
#[cfg(not(any(feature = "reference", feature = "mine")))]
compile_error!("enable the `reference` feature (the default) or `mine`");

pub mod broker;
pub mod load;
pub mod page;
pub mod relay;
pub mod report;
pub mod serve;
pub mod swarm;
pub mod threaded;

pub use load::{LoadPlan, Strategy};
pub use report::{Report, Row};
pub use serve::{Announce, ServeOptions};

/// A field of `/proc/<pid>/status` given in kB (`VmRSS`), in bytes, or a
/// plain count (`Threads`). `None` off Linux or once the process is gone.
pub fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let value = line[field.len()..].trim_start_matches(':').trim();
    let mut parts = value.split_whitespace();
    let number: u64 = parts.next()?.parse().ok()?;
    Some(match parts.next() {
        Some("kB") => number * 1024,
        _ => number,
    })
}

/// The resident memory of process `pid` (`VmRSS`), in bytes.
pub fn resident_bytes(pid: u32) -> Option<u64> {
    proc_status(pid, "VmRSS")
}

/// The threads of process `pid`.
pub fn threads(pid: u32) -> Option<u64> {
    proc_status(pid, "Threads")
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_a_resident_size_and_threads() {
        let pid = std::process::id();
        assert!(super::resident_bytes(pid).is_some_and(|b| b > 100_000));
        assert!(super::threads(pid).is_some_and(|t| t >= 1));
        assert_eq!(super::proc_status(pid, "NoSuchField"), None);
    }
}
