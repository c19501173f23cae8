//! Step `block-on`: a minimal executor, to see how tokio works inside.
//!
//! A future does nothing until polled. `poll` either finishes (`Ready`) or
//! returns `Pending` after arranging for `cx.waker()` to be called when it
//! can make progress: a timer firing, a socket becoming readable, another
//! thread sending a message. An executor's job is to poll, and between polls
//! to *sleep until woken*. Polling in a loop also "works", at the cost of a
//! core spinning at 100% — the grader counts polls and CPU time.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

// ANCHOR: block_on
/// Wakes the thread that is blocked in [`block_on`].
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // `unpark` leaves a token if the thread is not parked yet, so a
        // wake-up that arrives *before* we park is not lost: the next
        // `park` returns at once.
        self.0.unpark();
    }
}

/// Run `future` to completion on the current thread, sleeping whenever it
/// is not ready.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // Polling requires a pinned future: it may hold references into itself.
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            // Sleep until a waker unparks us. `park` may also return
            // spuriously; polling again is then merely wasted, not wrong.
            Poll::Pending => thread::park(),
        }
    }
}
// ANCHOR_END: block_on
