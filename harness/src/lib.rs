//! Shared support for graded tests, demos and benchmarks.
//!
//! A concurrency grader has to check more than the answer: did the code run
//! on several cores, did it overlap its waiting, did it stay within its bound,
//! did it leave the async runtime free to run other tasks, did it finish at
//! all? Each module here turns one of those questions into a measured fact:
//!
//! | question | probe |
//! |---|---|
//! | did it finish? | [`watchdog`]: run under a deadline, report a hang instead of hanging |
//! | did it use the cores? | [`cpu`]: process CPU time ÷ wall time around a closure |
//! | did it block the runtime? | [`heartbeat`]: a task that records how late it woke up |
//! | did it sleep or poll while blocked? | [`lockcount`]: a Mutex that counts its locks |
//! | did it respect its bound? did it overlap? | [`gauge`]: peak number of operations in flight |
//! | did it flush a file to disk before renaming it? | [`durability`]: the binary's own fsync and rename, recorded |
//! | how much memory does it hold? how many threads? | [`memory`]: resident, virtual and peak size, PSS of a child, thread count; [`alloc`]: live heap bytes |
//! | can I trust the CPU numbers? | [`exclusive`]: one CPU-measuring test at a time, across processes; [`busy`]: what other programs used meanwhile, and verdicts that say "inconclusive" rather than fail correct code on a busy machine |
//! | how does the grader learn what went wrong? | [`grade`]: diagnoses, notes and skips in a line protocol |
//!
//! The worlds those questions are asked in — the local website a crawler
//! is graded against, and the like — are crates of their own under
//! `fixtures/`, so that the grader, which depends on this crate, never
//! builds an HTTP server.
//!
//! Run its own tests with `cargo test -p harness`.

pub mod alloc;
pub mod busy;
pub mod cpu;
pub mod durability;
pub mod exclusive;
pub mod gauge;
pub mod grade;
pub mod heartbeat;
pub mod lockcount;
pub mod memory;
pub mod threads;
pub mod watchdog;
