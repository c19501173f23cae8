//! Turning one step's test run into a verdict a learner can act on.
//!
//! The test's output is read in this order of precedence:
//! 1. killed by the grader's own time limit → timed out;
//! 2. a `todo!()` was reached → not started (with where);
//! 3. a protocol `fail` line (`harness::grade`) → failed with its diagnosis,
//!    or timed out when the diagnosis is the watchdog's `timeout`;
//! 4. any other failure → failed with the panic message (diagnosis `panic`);
//! 5. success with an `inconclusive` line → inconclusive: a measurement
//!    was disturbed by other programs and could not be judged (neither
//!    passed nor failed; see `harness::busy`);
//! 6. success with a `skip` line → skipped, with the reason;
//! 7. success → passed, with the step's notes (what was measured).
//!
//! A mutant is judged the same way, with one more rule ([`judge_mutant`]):
//! a failure with another diagnosis than its own, after a check came out
//! inconclusive, is inconclusive — the check written for it was not shown
//! to work.

use harness::grade::Event;
use serde::Serialize;

/// The verdict on one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Passed {
        notes: Vec<String>,
    },
    Failed {
        diagnosis: String,
        message: String,
    },
    NotStarted {
        /// Where the `todo!()` is, like `src/primes.rs:61`.
        location: String,
    },
    TimedOut {
        message: String,
    },
    Skipped {
        reason: String,
    },
    /// A measurement the verdict needs was disturbed (the machine was
    /// busy) and re-measuring did not help: neither passed nor failed.
    Inconclusive {
        message: String,
    },
    /// The code did not compile, so nothing could run.
    NotBuilt,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed { .. } => "passed",
            Outcome::Failed { .. } => "failed",
            Outcome::NotStarted { .. } => "not started",
            Outcome::TimedOut { .. } => "timed out",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Inconclusive { .. } => "inconclusive",
            Outcome::NotBuilt => "does not compile",
        }
    }

    /// Is this step fine as far as the exit status goes?
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Passed { .. } | Outcome::Skipped { .. })
    }

    /// Did the step show a fault (failed, timed out, not started, not
    /// built)? Passed, skipped and inconclusive steps did not.
    pub fn is_fault(&self) -> bool {
        !matches!(
            self,
            Outcome::Passed { .. } | Outcome::Skipped { .. } | Outcome::Inconclusive { .. }
        )
    }

    /// The diagnosis code, for failures and time-outs.
    pub fn diagnosis(&self) -> Option<&str> {
        match self {
            Outcome::Failed { diagnosis, .. } => Some(diagnosis),
            Outcome::TimedOut { .. } => Some("timeout"),
            _ => None,
        }
    }

    /// The one sentence that explains the verdict.
    pub fn detail(&self) -> String {
        match self {
            Outcome::Passed { notes } => notes.join("; "),
            Outcome::Failed { message, .. } | Outcome::TimedOut { message } => message.clone(),
            Outcome::NotStarted { location } => format!("todo!() reached at {location}"),
            Outcome::Skipped { reason } => reason.clone(),
            Outcome::Inconclusive { message } => message.clone(),
            // Said once, in the report's footer, not under every step.
            Outcome::NotBuilt => String::new(),
        }
    }
}

/// How a step's process ended.
#[derive(Debug)]
pub struct Run {
    pub success: bool,
    /// How the process ended ("exit code 101", "killed by signal 6 ..."),
    /// empty when the grader killed it.
    pub ended: String,
    /// Killed by the grader's hard limit, after this many seconds.
    pub killed_after: Option<u64>,
    /// stdout and stderr, in that order.
    pub output: String,
}

/// Judge one run. Locations are as rustc wrote them: relative to the
/// workspace root, which is what a learner's editor opens.
pub fn judge(run: &Run) -> Outcome {
    if let Some(secs) = run.killed_after {
        return Outcome::TimedOut {
            message: format!(
                "timed out after {secs} s: deadlock or blocked executor? (the step's process \
                 was stopped by the grader)"
            ),
        };
    }
    let events: Vec<Event> = run.output.lines().filter_map(Event::from_line).collect();
    if !run.success {
        if let Some(location) = todo_location(&run.output) {
            return Outcome::NotStarted {
                location: tidy(location),
            };
        }
        let failure = events.iter().find_map(|e| match e {
            Event::Fail { diagnosis, message } => Some((diagnosis.clone(), message.clone())),
            _ => None,
        });
        return match failure {
            Some((diagnosis, message)) if diagnosis == "timeout" => Outcome::TimedOut { message },
            Some((diagnosis, message)) => Outcome::Failed { diagnosis, message },
            None => match panic_message(&run.output) {
                Some(message) => Outcome::Failed {
                    diagnosis: "panic".into(),
                    message,
                },
                None => Outcome::Failed {
                    diagnosis: "crash".into(),
                    message: crash_message(run),
                },
            },
        };
    }
    // A pass must be a pass of exactly the one test that was asked for: an
    // ignored or filtered-out test also "succeeds".
    if !run.output.contains("test result: ok. 1 passed") {
        return Outcome::Failed {
            diagnosis: "not-run".into(),
            message: "the step's test did not run (is it marked #[ignore], or renamed?)".into(),
        };
    }
    let mut notes = Vec::new();
    let mut skipped = None;
    let mut inconclusive = None;
    for event in events {
        match event {
            Event::Skip { reason } => {
                skipped.get_or_insert(reason);
            }
            Event::Inconclusive { message } => {
                inconclusive.get_or_insert(message);
            }
            Event::Note { message } => notes.push(message),
            // A failure reported, then swallowed (say, by a catch_unwind in
            // the code under test), is still a failure.
            Event::Fail { diagnosis, message } => {
                return Outcome::Failed { diagnosis, message };
            }
        }
    }
    // A check that could not judge outweighs one that could not run: the
    // step may still be wrong, and grading again on a quieter machine
    // will tell.
    if let Some(message) = inconclusive {
        return Outcome::Inconclusive { message };
    }
    if let Some(reason) = skipped {
        return Outcome::Skipped { reason };
    }
    Outcome::Passed { notes }
}

/// Why a step that died without a panic message died.
fn crash_message(run: &Run) -> String {
    let why = if run.output.contains("has overflowed its stack") {
        "a stack overflow (endless recursion?)".to_owned()
    } else if run.output.contains("memory allocation") && run.output.contains("failed") {
        "running out of memory".to_owned()
    } else {
        format!("the process ended: {}", run.ended)
    };
    format!("the test process died without a panic message: {why}")
}

/// The panics in an output: (location, first line of the message).
fn panics(output: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut lines = output.lines();
    std::iter::from_fn(move || {
        for line in lines.by_ref() {
            // "thread 'name' (1234) panicked at src/lib.rs:10:5:"
            if let Some(rest) = line.split_once(" panicked at ").map(|(_, r)| r) {
                let location = rest.trim_end_matches(':');
                // Drop the column: "src/lib.rs:10:5" → "src/lib.rs:10".
                let location = location.rsplit_once(':').map_or(location, |(l, _)| l);
                let message = lines.next().unwrap_or_default();
                return Some((location, message));
            }
        }
        None
    })
}

/// `exercises/concepts/tests/../src/queue.rs:46` as the learner would
/// write it: `exercises/concepts/src/queue.rs:46` (a suite includes its
/// files by relative paths, and the compiler keeps them in its locations).
fn tidy(location: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in location.split('/') {
        match part {
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            "." => {}
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// Where the first `todo!()` (or `unimplemented!()`) was reached, if any.
fn todo_location(output: &str) -> Option<&str> {
    panics(output)
        .find(|(_, message)| {
            message.starts_with("not yet implemented") || message.starts_with("not implemented")
        })
        .map(|(location, _)| location)
}

/// The first panic's message, with where it happened.
fn panic_message(output: &str) -> Option<String> {
    panics(output)
        .next()
        .map(|(location, message)| format!("panicked at {location}: {message}"))
}

/// [`judge`], for a mutant expected to fail with `expected`: a step whose
/// check for that mistake came out inconclusive (the machine was busy),
/// and which then failed a *later* check with another diagnosis, has not
/// shown the check it was written for to work. It is inconclusive, not a
/// mutant missed (nor one caught); grading again on a quiet machine tells.
pub fn judge_mutant(run: &Run, expected: &str) -> Outcome {
    let outcome = judge(run);
    let Outcome::Failed { diagnosis, message } = &outcome else {
        return outcome;
    };
    if diagnosis == expected {
        return outcome;
    }
    let unjudged = run
        .output
        .lines()
        .filter_map(Event::from_line)
        .take_while(|e| !matches!(e, Event::Fail { .. }))
        .find_map(|e| match e {
            Event::Inconclusive { message } => Some(message),
            _ => None,
        });
    match unjudged {
        Some(unjudged) => Outcome::Inconclusive {
            message: format!("{unjudged} (a later check then failed [{diagnosis}]: {message})"),
        },
        None => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_shown_without_detours() {
        assert_eq!(
            tidy("exercises/concepts/tests/../src/queue.rs:46"),
            "exercises/concepts/src/queue.rs:46"
        );
        assert_eq!(tidy("./src/a/../b.rs:1"), "src/b.rs:1");
        assert_eq!(tidy("../x/y.rs:2"), "../x/y.rs:2");
    }

    fn run(success: bool, output: &str) -> Run {
        Run {
            success,
            ended: if success {
                "exit code 0"
            } else {
                "exit code 101"
            }
            .into(),
            killed_after: None,
            output: output.into(),
        }
    }

    const TODO: &str = "running 1 test\n\
        thread 'watched' (42) panicked at exercises/concepts/src/primes.rs:61:5:\n\
        not yet implemented: count primes below 0 on 1 scoped threads\n\
        note: run with `RUST_BACKTRACE=1`\n";

    #[test]
    fn a_reached_todo_is_not_started_with_its_place() {
        let outcome = judge(&run(false, TODO));
        assert_eq!(
            outcome,
            Outcome::NotStarted {
                location: "exercises/concepts/src/primes.rs:61".into()
            }
        );
    }

    #[test]
    fn a_protocol_failure_keeps_its_diagnosis() {
        let output = format!(
            "{}\nthread 'watched' panicked at tests/x.rs:1:1:\nran on 1.0 cores [diagnosis: not-parallel]\n",
            Event::Fail {
                diagnosis: "not-parallel".into(),
                message: "ran on 1.0 cores".into()
            }
            .to_line()
        );
        let outcome = judge(&run(false, &output));
        assert_eq!(outcome.diagnosis(), Some("not-parallel"));
        assert_eq!(outcome.detail(), "ran on 1.0 cores");
    }

    #[test]
    fn the_watchdog_diagnosis_is_a_time_out() {
        let line = Event::Fail {
            diagnosis: "timeout".into(),
            message: "timed out after 10 s: deadlock or blocked executor?".into(),
        }
        .to_line();
        let outcome = judge(&run(false, &line));
        assert_eq!(outcome.label(), "timed out");
        assert!(!outcome.is_ok());
    }

    #[test]
    fn a_kill_by_the_grader_is_a_time_out() {
        let outcome = judge(&Run {
            success: false,
            ended: String::new(),
            killed_after: Some(120),
            output: String::new(),
        });
        assert!(outcome.detail().starts_with("timed out after 120 s"));
    }

    #[test]
    fn an_unexplained_panic_is_shown_with_its_place() {
        let output = "thread 'watched' (7) panicked at src/queue.rs:40:9:\nindex out of bounds\n";
        let outcome = judge(&run(false, output));
        assert_eq!(
            outcome,
            Outcome::Failed {
                diagnosis: "panic".into(),
                message: "panicked at src/queue.rs:40: index out of bounds".into()
            }
        );
    }

    #[test]
    fn success_collects_notes_and_skips_win() {
        let note = Event::Note {
            message: "1.9 cores".into(),
        }
        .to_line();
        let skip = Event::Skip {
            reason: "one core".into(),
        }
        .to_line();
        let passed = "test result: ok. 1 passed; 0 failed";
        assert_eq!(
            judge(&run(true, &format!("{note}\n{passed}"))),
            Outcome::Passed {
                notes: vec!["1.9 cores".into()]
            }
        );
        assert_eq!(
            judge(&run(true, &format!("{note}\n{skip}\n{passed}"))),
            Outcome::Skipped {
                reason: "one core".into()
            }
        );
    }

    #[test]
    fn an_inconclusive_check_is_neither_passed_nor_failed() {
        let note = Event::Note {
            message: "answers right".into(),
        }
        .to_line();
        let unclear = Event::Inconclusive {
            message: "inconclusive: the machine was busy".into(),
        }
        .to_line();
        let skip = Event::Skip {
            reason: "one core".into(),
        }
        .to_line();
        let passed = "test result: ok. 1 passed; 0 failed";
        let outcome = judge(&run(true, &format!("{note}\n{skip}\n{unclear}\n{passed}")));
        assert_eq!(outcome.label(), "inconclusive");
        assert!(!outcome.is_ok() && !outcome.is_fault());
        assert_eq!(outcome.diagnosis(), None);
        // A failure in the same step still wins.
        let fail = Event::Fail {
            diagnosis: "wrong-answer".into(),
            message: "3, not 4".into(),
        }
        .to_line();
        let outcome = judge(&run(false, &format!("{unclear}\n{fail}")));
        assert_eq!(outcome.diagnosis(), Some("wrong-answer"));
    }

    #[test]
    fn a_mutant_whose_own_check_could_not_judge_is_not_missed() {
        let unclear = Event::Inconclusive {
            message: "inconclusive: the machine was busy".into(),
        }
        .to_line();
        let fail = |diagnosis: &str| {
            Event::Fail {
                diagnosis: diagnosis.into(),
                message: "peak 1 in flight".into(),
            }
            .to_line()
        };
        // Its check was inconclusive, then another one failed: unsure.
        let other = run(false, &format!("{unclear}\n{}", fail("sequential-awaits")));
        assert_eq!(
            judge_mutant(&other, "blocked-runtime").label(),
            "inconclusive"
        );
        // Its own diagnosis, or a failure with nothing unjudged before it,
        // stands as it is.
        let own = run(false, &format!("{unclear}\n{}", fail("blocked-runtime")));
        assert_eq!(
            judge_mutant(&own, "blocked-runtime").diagnosis(),
            Some("blocked-runtime")
        );
        let plain = run(false, &fail("sequential-awaits"));
        assert_eq!(
            judge_mutant(&plain, "blocked-runtime").diagnosis(),
            Some("sequential-awaits")
        );
    }

    #[test]
    fn success_without_the_test_running_is_not_a_pass() {
        let ignored = "test graded::x ... ignored\ntest result: ok. 0 passed; 0 failed; 1 ignored";
        assert_eq!(judge(&run(true, ignored)).diagnosis(), Some("not-run"));
    }

    #[test]
    fn a_swallowed_failure_is_still_a_failure() {
        let fail = Event::Fail {
            diagnosis: "busy-wait".into(),
            message: "spun".into(),
        }
        .to_line();
        let output = format!("{fail}\ntest result: ok. 1 passed; 0 failed");
        assert_eq!(judge(&run(true, &output)).diagnosis(), Some("busy-wait"));
    }

    #[test]
    fn a_silent_death_is_a_crash_with_its_cause() {
        let outcome = judge(&Run {
            success: false,
            ended: "killed by signal 6 (SIGABRT: aborted)".into(),
            killed_after: None,
            output: "thread 'watched' has overflowed its stack\nfatal runtime error".into(),
        });
        assert_eq!(outcome.diagnosis(), Some("crash"));
        assert!(
            outcome.detail().contains("stack overflow"),
            "{}",
            outcome.detail()
        );
    }
}
