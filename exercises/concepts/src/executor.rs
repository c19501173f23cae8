//! Step `block-on`: a minimal executor, to see how tokio works inside.
//!
//! A future does nothing until polled. `poll` either finishes
//! (`Poll::Ready(value)`) or returns `Poll::Pending` after arranging for
//! `cx.waker()` to be called when it can make progress — a timer fires, a
//! socket becomes readable, another thread sends a message. An executor
//! polls, and between polls *sleeps until woken*.
//!
//! The grader gives your `block_on` a future that is woken by another thread
//! after 300 ms, and counts the polls and the CPU time: a loop that polls
//! again and again "works", with a core spinning at 100%.
//!
//! The pieces, all in `std`:
//! - `std::pin::pin!(future)` pins the future so it can be polled;
//! - a waker: implement `std::task::Wake` for a small struct holding the
//!   blocked thread's `std::thread::Thread` handle (`thread::current()`),
//!   whose `wake` calls `unpark()`; turn an `Arc` of it into a `Waker` with
//!   `Waker::from`;
//! - `Context::from_waker(&waker)`, then loop: poll; on `Pending`,
//!   `std::thread::park()`.
//!
//! `park`/`unpark` keep a token: an `unpark` that happens *before* `park`
//! makes the next `park` return at once, so a wake-up that arrives during
//! `poll` is not lost.

use std::future::Future;

/// Run `future` to completion on the current thread, sleeping whenever it is
/// not ready, and return its output.
pub fn block_on<F: Future>(future: F) -> F::Output {
    todo!("poll, park until woken, repeat")
}
