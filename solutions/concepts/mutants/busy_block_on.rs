//! MUTANT of `src/executor.rs`: polls the future over and over with a waker
//! that does nothing. It returns the right value, but a core spins at 100%
//! the whole time the future is waiting.
//! Expected diagnosis: `busy-polling` in step `block-on`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Run `future` to completion by polling it in a loop.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    // BUG: nobody will ever be woken, so the only way to notice progress is
    // to keep asking.
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::hint::spin_loop();
    }
}
