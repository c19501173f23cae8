//! The grading protocol: how a test tells the grader *what* went wrong.
//!
//! A failing test normally says "assertion failed" and a line number. A
//! learner needs "kept 1.00 cores busy; expected at least 1.60 — is the work split
//! across threads?", and the grader needs to know which known mistake that is
//! (to prove that each mutant fails for its own reason). So graded tests fail
//! through [`fail`] with a short *diagnosis code* and a sentence for the
//! learner. Before panicking, it writes one line to stderr:
//!
//! ```text
//! ::grade:: {"kind":"fail","diagnosis":"not-parallel","message":"kept 1.00 cores busy; ..."}
//! ```
//!
//! `cargo xtask grade` reads those lines; `cargo test` shows the same words in
//! the panic message. [`skip`] and [`note`] use the same channel for "this
//! check cannot run here" and "passed, and here is what was measured".
//!
//! A graded test wraps its body in [`step`], which holds the CPU lock (no
//! other graded test measures at the same time) and the watchdog (a hang
//! becomes a failure with the diagnosis `timeout`).

use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::time::Duration;

/// Marks a protocol line on stderr. The grader ignores every other line.
pub const PREFIX: &str = "::grade::";

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The step failed for a known reason.
    Fail {
        /// Short machine-readable name of the mistake, like `not-parallel`.
        diagnosis: String,
        /// What went wrong, in words a learner understands.
        message: String,
    },
    /// The step (or one of its checks) cannot be judged on this machine.
    Skip {
        /// Why, for example "only 1 core available".
        reason: String,
    },
    /// A check could not reach a verdict: what it measures was disturbed
    /// (another program held the cores), and re-measuring did not help.
    /// Neither passed nor failed.
    Inconclusive {
        /// What could not be judged, with the figures.
        message: String,
    },
    /// Something measured while passing, for the report.
    Note {
        /// The measurement, like "1.94 cores of 2".
        message: String,
    },
}

impl Event {
    /// The line written to stderr for this event.
    pub fn to_line(&self) -> String {
        format!(
            "{PREFIX} {}",
            serde_json::to_string(self).expect("events always serialise")
        )
    }

    /// Parse one line of test output; `None` for lines that are not protocol
    /// lines (the learner's own prints, panic messages, libtest's chatter).
    pub fn from_line(line: &str) -> Option<Event> {
        let json = line.trim_start().strip_prefix(PREFIX)?;
        serde_json::from_str(json.trim()).ok()
    }

    fn emit(&self) {
        eprintln!("{}", self.to_line());
    }
}

/// Fail the current step with a diagnosis code and an explanation.
///
/// Callable from any thread of the test: the watchdog carries the panic back
/// to the test thread.
// ANCHOR: fail
pub fn fail(diagnosis: &str, message: impl Display) -> ! {
    let message = message.to_string();
    Event::Fail {
        diagnosis: diagnosis.to_owned(),
        message: message.clone(),
    }
    .emit();
    panic!("{message} [diagnosis: {diagnosis}]");
}
// ANCHOR_END: fail

/// Fail with `diagnosis` unless `condition` holds. The message is only built
/// when needed.
pub fn ensure<M: Display>(condition: bool, diagnosis: &str, message: impl FnOnce() -> M) {
    if !condition {
        fail(diagnosis, message());
    }
}

/// Fail with the diagnosis `wrong-answer` unless `actual == expected`.
/// `call` names what was computed, e.g. `count_primes_threads(100, 3)`.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(actual: T, expected: T, call: impl Display) {
    if actual != expected {
        fail(
            "wrong-answer",
            format!("{call} returned {actual:?}; expected {expected:?}"),
        );
    }
}

/// Record that a check was not run, and why. The test itself still passes;
/// the grader reports the step as skipped.
pub fn skip(reason: impl Display) {
    Event::Skip {
        reason: reason.to_string(),
    }
    .emit();
}

/// Record that a check could not reach a verdict on this machine now
/// (see [`crate::busy`]). The test itself goes on and passes unless
/// another check fails; the grader reports the step as inconclusive.
///
/// Under plain `cargo test` the message also goes straight to the
/// terminal — past the test harness's output capture, which would hide it
/// for a passing test — so a run that could not judge says so.
pub fn inconclusive(message: impl Display) {
    use std::io::Write;
    let message = message.to_string();
    Event::Inconclusive {
        message: message.clone(),
    }
    .emit();
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "watched" && *n != "main")
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    // io::stderr() is not captured by libtest (only the print macros are).
    let _ = writeln!(std::io::stderr(), "note{test}: {message}");
}

/// Record a measurement of a passing step, shown beside "passed".
pub fn note(message: impl Display) {
    Event::Note {
        message: message.to_string(),
    }
    .emit();
}

/// Run one graded step: exclusive use of the CPU (see [`crate::exclusive`])
/// and a deadline (see [`crate::watchdog`]).
pub fn step<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let _cpu = crate::exclusive::cpu();
    crate::watchdog::run(limit, body)
}

/// Like [`step`], for async code: `make` builds the future, which runs on a
/// fresh `current_thread` tokio runtime (with timers) inside the watchdog.
pub fn step_async<F, Fut>(limit: Duration, make: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    let _cpu = crate::exclusive::cpu();
    crate::watchdog::run_async(limit, make)
}

/// Does the machine have at least two cores? If not, record a skip naming
/// `check` and return false.
pub fn needs_two_cores(check: &str) -> bool {
    let cores = crate::cpu::available_cores();
    if cores < 2 {
        skip(format!(
            "{check}: only {cores} core available, so parallel speed-up cannot be measured"
        ));
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_a_line() {
        for event in [
            Event::Fail {
                diagnosis: "not-parallel".into(),
                message: "ran on 1.0 cores — \"quoted\"\nand a second line".into(),
            },
            Event::Skip {
                reason: "one core".into(),
            },
            Event::Note {
                message: "1.9 cores".into(),
            },
            Event::Inconclusive {
                message: "busy".into(),
            },
        ] {
            let line = event.to_line();
            assert!(!line.contains('\n'), "one event is one line: {line}");
            assert_eq!(Event::from_line(&line), Some(event));
        }
    }

    #[test]
    fn other_lines_are_not_events() {
        assert_eq!(Event::from_line("test foo ... ok"), None);
        assert_eq!(Event::from_line("::grade:: not json"), None);
        assert_eq!(
            Event::from_line("thread 'x' panicked at src/lib.rs:1:1:"),
            None
        );
    }

    #[test]
    fn fail_panics_with_the_diagnosis_in_the_message() {
        let err = std::panic::catch_unwind(|| fail("lost-updates", "lost 3 of 10")).unwrap_err();
        let text = err.downcast_ref::<String>().unwrap();
        assert_eq!(text, "lost 3 of 10 [diagnosis: lost-updates]");
    }

    #[test]
    fn expect_eq_names_the_call_and_both_values() {
        expect_eq(4, 4, "same");
        let err = std::panic::catch_unwind(|| expect_eq(3, 4, "count(10)")).unwrap_err();
        let text = err.downcast_ref::<String>().unwrap();
        assert!(text.contains("count(10) returned 3; expected 4"), "{text}");
        assert!(text.contains("wrong-answer"), "{text}");
    }

    #[test]
    fn ensure_builds_its_message_only_on_failure() {
        ensure(true, "never", || -> String { unreachable!("not built") });
        let err = std::panic::catch_unwind(|| ensure(false, "code", || "why")).unwrap_err();
        assert!(err.downcast_ref::<String>().unwrap().contains("why"));
    }
}
