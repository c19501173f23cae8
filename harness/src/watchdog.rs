//! The watchdog: run code under a deadline, and report a hang instead of
//! hanging.
//!
//! Concurrency mistakes often don't fail, they *stop*: a deadlock, a lost
//! wake-up, a task that blocks the only runtime thread. A test that simply
//! calls the learner's code would then sit forever and the learner would see
//! a frozen terminal. [`run`] executes the code on a separate thread and
//! waits for it with a timeout. When the deadline passes it fails the step
//! with the diagnosis `timeout` and the message "timed out after N s:
//! deadlock or blocked executor?".
//!
//! The stuck thread cannot be killed (Rust has no safe way to stop a thread),
//! so it is left behind — but it does not keep the test binary alive: when the
//! test harness's `main` returns, the process exits and takes every remaining
//! thread with it. The grader additionally runs each step in its own process
//! with a hard time limit, so a stuck thread cannot disturb the next step's
//! CPU measurements either.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Run `body` on its own thread; return its result, re-raise its panic, or
/// fail with the diagnosis `timeout` once `limit` has passed.
// ANCHOR: run
pub fn run<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    try_run(limit, body).unwrap_or_else(|| {
        crate::grade::fail(
            "timeout",
            format!(
                "timed out after {}: deadlock or blocked executor?",
                seconds(limit)
            ),
        )
    })
}
// ANCHOR_END: run

/// Run `body` on its own thread and wait at most `limit` for it: `Some`
/// with its result, or `None` if it is still running (it is left behind, as
/// in [`run`]). A panic in `body` is passed on.
///
/// For checks that want their own diagnosis for a hang, such as "a waiting
/// push was never woken" (`lost-wakeup`) rather than a generic `timeout`.
pub fn try_run<T: Send + 'static>(
    limit: Duration,
    body: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    // A rendezvous would make the watched thread wait for us; a channel with
    // room for the one result lets it finish and exit on its own.
    let (done, result) = mpsc::sync_channel(1);
    // Named after the test that runs it, so that messages from inside
    // (panics, inconclusive notes) say which test they come from.
    let name = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("watched")
        .to_owned();
    let watched = std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(body));
            // The receiver is gone only if we already timed out; nobody is
            // left to tell.
            let _ = done.send(outcome);
        })
        .expect("cannot spawn the watchdog's thread");
    match result.recv_timeout(limit) {
        Ok(Ok(value)) => {
            // It has sent its result, so it is about to exit: join is quick.
            let _ = watched.join();
            Some(value)
        }
        // The panic message was already printed by the watched thread; pass
        // the panic on so the test fails with the same payload.
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(RecvTimeoutError::Timeout) => None,
        Err(RecvTimeoutError::Disconnected) => {
            unreachable!("the watched thread always sends before it exits")
        }
    }
}

/// Run a future on a fresh `current_thread` tokio runtime (with timers),
/// under [`run`]'s deadline. `make` builds the future on the watched thread,
/// so the future itself need not be `Send`.
pub fn run_async<F, Fut>(limit: Duration, make: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    run(limit, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("cannot build a tokio runtime");
        runtime.block_on(make())
    })
}

/// "3 s", "0.5 s": whole seconds without a fraction.
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    #[test]
    fn returns_the_value_of_code_that_finishes() {
        assert_eq!(run(Duration::from_secs(5), || 6 * 7), 42);
    }

    #[test]
    fn a_deadlock_becomes_a_timeout_failure_on_time() {
        let start = Instant::now();
        let payload = panic::catch_unwind(|| {
            run(Duration::from_millis(300), || {
                // A thread that waits for a wake-up that never comes. It is
                // left behind, parked, and dies with the process.
                loop {
                    std::thread::park();
                }
            })
        })
        .unwrap_err();
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(300));
        assert!(waited < Duration::from_secs(3), "took {waited:?}");
        let text = panic_text(payload);
        assert!(
            text.contains("timed out after 0.3 s: deadlock or blocked executor?"),
            "{text}"
        );
        assert!(text.contains("[diagnosis: timeout]"), "{text}");
    }

    #[test]
    fn try_run_gives_none_for_a_hang() {
        assert_eq!(try_run(Duration::from_secs(5), || 1), Some(1));
        let hang = try_run(Duration::from_millis(100), || {
            loop {
                std::thread::park();
            }
        });
        assert_eq!(hang, None::<()>);
    }

    #[test]
    fn a_panic_in_the_watched_code_is_passed_on() {
        let payload =
            panic::catch_unwind(|| run(Duration::from_secs(5), || panic!("boom"))).unwrap_err();
        assert_eq!(panic_text(payload), "boom");
    }

    #[test]
    fn a_blocked_runtime_is_a_timeout_too() {
        let payload = panic::catch_unwind(|| {
            run_async(Duration::from_millis(300), || async {
                // Blocks the only runtime thread for longer than the limit.
                std::thread::sleep(Duration::from_secs(2));
            })
        })
        .unwrap_err();
        assert!(panic_text(payload).contains("timed out after 0.3 s"));
    }

    #[test]
    fn async_code_runs_to_completion() {
        let v = run_async(Duration::from_secs(5), || async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            7
        });
        assert_eq!(v, 7);
    }

    #[test]
    fn seconds_are_printed_without_noise() {
        assert_eq!(seconds(Duration::from_secs(10)), "10 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
