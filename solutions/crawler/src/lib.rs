//! A bounded, polite, concurrent web crawler, three ways.
//!
//! The decision table's row "I/O-bound, many → async", made real: a crawler
//! spends nearly all its time waiting for servers, so what matters is how
//! many requests it keeps in flight, and how cheaply.
//!
//! | module | strategy | waits for many servers with |
//! |---|---|---|
//! | [`sequential`] | one request at a time, blocking client | nothing: it waits for each one in turn |
//! | [`threads`] | a fixed pool of OS threads + crossbeam channels | one blocked thread per request |
//! | [`asynchronous`] | tokio tasks, at most N requests in flight | one small future per request |
//!
//! All three share the pieces that are not about concurrency: link
//! extraction ([`links`]), the single HTTP fetch with its body cap
//! ([`fetch`]), robots.txt ([`robots`]), and the options and report types
//! ([`crawl`]).
//!
//! Each file in `mutants/` declares a known-wrong variant: this crate plus
//! one mistake, which the grader builds and grades to prove that the suite
//! catches it (`cargo xtask grade --mutants`).
//!
//! Run it: `cargo run -p crawler` (a local site, all strategies compared),
//! `cargo run -p crawler -- https://example.org/ --strategy async`.
//! Grade your own version: `cargo xtask grade crawler`.

pub mod asynchronous;
pub mod links;
pub mod sequential;
pub mod threads;

// The given modules are the exercise's own files, compiled here too: one
// copy, so the reference and the learner's code fetch, record and read
// robots.txt exactly alike.
#[path = "../../../exercises/crawler/src/given/mod.rs"]
mod given;
pub use given::{crawl, fetch, robots};

pub use asynchronous::crawl_async;
pub use crawl::{CrawlError, Options, PageRecord, Report};
pub use fetch::FetchError;
pub use sequential::crawl_sequential;
pub use threads::crawl_threads;
