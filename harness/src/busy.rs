//! Verdicts that hold on a busy machine.
//!
//! "Cores used" is this process's CPU time ÷ wall time. On a quiet machine
//! a correct parallel count of primes scores about 2.0 of 2 and a
//! sequential one 1.0, so a bar at 1.6 tells them apart. On a laptop with
//! an IDE indexing, a browser and a build running, another program may hold
//! a whole core: the correct code then scores about 1.0 too, and a verdict
//! "not parallel" would tell a learner with right code to rewrite it.
//!
//! So every CPU-measuring check here also asks what the *rest* of the
//! machine did during its window ([`Usage::others_cores`]: the machine's
//! busy time from `/proc/stat` less this process's own) and judges against
//! what was really available. When too little was available to tell right
//! from wrong, the check waits for the machine to calm down
//! ([`wait_for_quiet`]) and measures again, a bounded number of times
//! ([`retry`]). If it still cannot tell, its verdict is neither passed nor
//! failed but *inconclusive*, with the figures
//! ([`crate::grade::inconclusive`]).
//!
//! Which measurements can be trusted on a busy machine depends on the
//! check:
//!
//! - **kept the cores busy** ([`parallel_bar`]): only when enough cores were
//!   free that a one-core run could not reach the bar;
//! - **waited without burning CPU** ([`burn_judgeable`]): a low reading
//!   only when there was CPU to burn — a spinning thread takes any free
//!   core, so little CPU use with a core free means it did not spin; a
//!   high reading is a fact however busy the machine was;
//! - **timing** (lateness, speed-up, requests kept in flight): a failure
//!   only when the machine was quiet ([`is_quiet`]), since another program
//!   taking the core delays correct code too.

use crate::cpu::{Meter, Usage, available_cores};
use std::time::{Duration, Instant};

/// How much of its cores other programs may take for a measurement to
/// count as taken on a quiet machine: a desktop at rest uses a few
/// hundredths of a core.
pub const QUIET: f64 = 0.25;

/// How long [`retry`] waits at most for a quiet machine between attempts.
pub const QUIET_WAIT: Duration = Duration::from_secs(3);

/// One measurement's reading, as a check judges it.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading<T> {
    /// The code did what the check asks, and the measurement can show it.
    Pass(T),
    /// The code did not, and the measurement proves it.
    Fail(T),
    /// The measurement cannot tell: the machine was too busy.
    Unclear(T),
}

impl<T> Reading<T> {
    /// The measurement, whatever it showed.
    pub fn into_inner(self) -> T {
        match self {
            Reading::Pass(t) | Reading::Fail(t) | Reading::Unclear(t) => t,
        }
    }

    /// The same reading of something derived from the measurement.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reading<U> {
        match self {
            Reading::Pass(t) => Reading::Pass(f(t)),
            Reading::Fail(t) => Reading::Fail(f(t)),
            Reading::Unclear(t) => Reading::Unclear(f(t)),
        }
    }

    /// Was the reading unclear?
    pub fn is_unclear(&self) -> bool {
        matches!(self, Reading::Unclear(_))
    }

    /// Pass, fail or unclear, without the measurement.
    pub fn kind(&self) -> &'static str {
        match self {
            Reading::Pass(_) => "pass",
            Reading::Fail(_) => "fail",
            Reading::Unclear(_) => "unclear",
        }
    }
}

/// Measure up to `attempts` times: a clear reading (pass or fail) ends it
/// at once; after an unclear one, wait for the machine to be quiet (at
/// most [`QUIET_WAIT`]) and measure again. Returns the last reading.
/// `measure` gets the attempt's number, from 0.
pub fn retry<T>(attempts: usize, mut measure: impl FnMut(usize) -> Reading<T>) -> Reading<T> {
    let mut attempt = 0;
    loop {
        let reading = measure(attempt);
        attempt += 1;
        match reading {
            Reading::Unclear(_) if attempt < attempts => {
                wait_for_quiet(QUIET_WAIT);
            }
            other => return other,
        }
    }
}

/// The reading of a *timing* check (lateness, speed-up, slots left empty)
/// that came out `ok` or not during `usage`: a pass is a pass; a miss is a
/// failure only on a quiet machine, since another program holding the
/// core delays correct code too; otherwise it is unclear.
pub fn timing<T>(ok: bool, usage: &Usage, seen: T) -> Reading<T> {
    if ok {
        Reading::Pass(seen)
    } else if is_quiet(usage) {
        Reading::Fail(seen)
    } else {
        Reading::Unclear(seen)
    }
}

/// Wait until the machine has been quiet (see [`is_quiet`]) for a fifth of
/// a second, or until `limit` has passed. Returns what other programs used
/// in the last fifth of a second, in cores (0 where the platform cannot
/// tell).
pub fn wait_for_quiet(limit: Duration) -> f64 {
    let started = Instant::now();
    loop {
        let meter = Meter::start();
        std::thread::sleep(Duration::from_millis(200));
        let usage = meter.stop();
        if is_quiet(&usage) || started.elapsed() >= limit {
            return others(&usage);
        }
    }
}

/// Cores other programs used during `usage` (0 where unknown).
pub fn others(usage: &Usage) -> f64 {
    usage.others_cores().unwrap_or(0.0)
}

/// Was the machine quiet during `usage`: did other programs leave this
/// process all its cores but [`QUIET`] of one? (Relative to what this
/// process may use: in a container with a quota on a big host, what the
/// other tenants do on the other CPUs does not count.)
pub fn is_quiet(usage: &Usage) -> bool {
    usage.free_cores() > available_cores() as f64 - QUIET
}

/// The bar a check of "kept the cores busy" should hold `usage` to:
/// 0.8 × the cores that were free. `None` when fewer than 1.5 were free:
/// a run on one core could then come within noise of the bar, so the
/// measurement cannot tell parallel code from sequential.
pub fn parallel_bar(usage: &Usage) -> Option<f64> {
    let free = usage.free_cores();
    (free >= 1.5).then_some(0.8 * free)
}

/// Can a check that code *did not* burn CPU trust a low reading of
/// `usage`? Only if at least half a core was free: a spinning thread takes
/// whatever CPU is free, so with that much free a spinner shows up; with
/// less, it may have been squeezed out by other programs.
pub fn burn_judgeable(usage: &Usage) -> bool {
    usage.free_cores() - usage.cores_used() >= 0.5 || usage.cores_used() >= 0.5
}

/// "other programs kept 1.10 of the 2 cores busy": for messages.
pub fn describe(usage: &Usage) -> String {
    match usage.others_cores() {
        Some(others) => format!(
            "other programs kept {others:.2} of the {} cores busy",
            available_cores()
        ),
        None => "this platform cannot say what other programs used".to_owned(),
    }
}

/// The standard explanation of an inconclusive verdict: what the machine
/// did `during` the measurement (a clause: "count_primes(2000000) ran"),
/// and what to do about it.
pub fn inconclusive_message(during: &str, usage: &Usage, attempts: usize) -> String {
    let measured = match attempts {
        1 => "measured once".to_owned(),
        n => format!("measured {n} times"),
    };
    format!(
        "inconclusive: the machine was busy — {} while {during} ({measured}), \
         too few were left to tell right from wrong. Close other programs (or wait for a build \
         to finish) and grade again",
        describe(usage)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(wall_ms: u64, cpu_ms: u64, machine_ms: Option<u64>) -> Usage {
        Usage {
            wall: Duration::from_millis(wall_ms),
            cpu: Duration::from_millis(cpu_ms),
            machine: machine_ms.map(Duration::from_millis),
            wakeups: 0,
        }
    }

    #[test]
    fn others_are_the_machine_less_this_process() {
        let u = usage(1000, 1000, Some(2000));
        assert!((u.others_cores().unwrap() - 1.0).abs() < 1e-9);
        // Tick rounding can make the machine look less busy than we were.
        assert_eq!(usage(1000, 1000, Some(990)).others_cores(), Some(0.0));
        assert_eq!(usage(1000, 1000, None).others_cores(), None);
    }

    #[test]
    fn the_parallel_bar_follows_the_free_cores() {
        let cores = available_cores() as f64;
        if cores < 2.0 {
            return;
        }
        // Quiet: 0.8 of every core.
        let quiet = usage(1000, 2000, Some(2000));
        assert!((parallel_bar(&quiet).unwrap() - 0.8 * cores).abs() < 1e-9);
        // Something else held all cores but half of one: nothing to judge.
        let busy_ms = ((cores - 0.5) * 1000.0) as u64;
        let busy = usage(1000, 500, Some(busy_ms + 500));
        assert_eq!(parallel_bar(&busy), None);
    }

    #[test]
    fn a_low_reading_counts_only_with_cpu_to_spare() {
        // Used nothing, the machine was idle: trustworthy.
        assert!(burn_judgeable(&usage(1000, 10, Some(20))));
        // Used nothing, but other programs held every core: a spinner
        // could have been squeezed out.
        let cores = available_cores() as u64;
        assert!(!burn_judgeable(&usage(1000, 10, Some(cores * 1000))));
        // A high reading is a fact whatever the machine did.
        assert!(burn_judgeable(&usage(1000, 900, Some(cores * 1000))));
    }

    #[test]
    fn retry_stops_at_the_first_clear_reading() {
        let mut calls = 0;
        let r = retry(5, |i| {
            calls += 1;
            if i == 0 {
                Reading::Pass(i)
            } else {
                Reading::Fail(i)
            }
        });
        assert_eq!((r, calls), (Reading::Pass(0), 1));
    }

    #[test]
    fn retry_gives_up_unclear_after_its_attempts() {
        let mut calls = 0;
        let r = retry(2, |i| {
            calls += 1;
            Reading::Unclear(i)
        });
        assert_eq!((r, calls), (Reading::Unclear(1), 2));
    }
}
