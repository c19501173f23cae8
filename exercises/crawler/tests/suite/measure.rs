//! Measurements behind the crawler steps' behaviour checks: what a crawl
//! cost the crawler itself (CPU, wake-ups), and how well it kept its
//! requests in flight.
//!
//! The site runs in the same process as the crawler (on threads of its
//! own), so the process's CPU time and wake-ups include the site's. Each
//! measurement here subtracts what the site's threads used, leaving the
//! crawler's share.
//!
//! Included by `graded.rs`; run with the crawler suite.

use super::ms;
use harness::busy::{self, Reading};
use harness::cpu::{Meter, Usage};
use harness::grade::{self, ensure, fail};
use site::Site;
use std::time::Duration;

/// What a crawl cost, the site's share taken out.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// The whole process (and what other programs used meanwhile).
    pub usage: Usage,
    /// CPU time of the crawler: the process less the site's threads.
    pub cpu: Duration,
    /// Wake-ups of the crawler's threads (ended ones included), less the
    /// site's.
    pub wakeups: u64,
}

impl Cost {
    /// Cores the crawler kept busy on average.
    pub fn cores(&self) -> f64 {
        self.cpu.as_secs_f64() / self.usage.wall.as_secs_f64().max(1e-9)
    }
}

/// Run `crawl` and measure what it cost beside `site`.
pub fn measure_beside<T>(site: &Site, crawl: impl FnOnce() -> T) -> (T, Cost) {
    let (site_cpu, site_wakes) = site.thread_usage();
    let meter = Meter::start();
    let value = crawl();
    let usage = meter.stop();
    let (site_cpu_after, site_wakes_after) = site.thread_usage();
    let cost = Cost {
        usage,
        cpu: usage
            .cpu
            .saturating_sub(site_cpu_after.saturating_sub(site_cpu)),
        wakeups: usage
            .wakeups
            .saturating_sub(site_wakes_after.saturating_sub(site_wakes)),
    };
    (value, cost)
}

/// The most of a core a crawl may keep busy while it mostly waits for a
/// server: a correct one needs a few percent (parsing pages, starting
/// requests); one that asks "done yet?" in a loop takes a whole core.
pub const WAITING_CORES: f64 = 0.5;

/// Fail with `busy-wait` if the crawl burnt CPU while it waited. A high
/// reading is a fact whatever else the machine did; a low one proves
/// nothing if no core was free to burn: then this returns false, for the
/// caller to measure again or say inconclusive (see [`spinning_unjudged`]).
#[must_use = "a low reading on a busy machine proves nothing: say so"]
pub fn check_no_spinning(call: &str, cost: &Cost, requests: usize) -> bool {
    let cores = cost.cores();
    ensure(cores <= WAITING_CORES, "busy-wait", || {
        format!(
            "{call} kept {cores:.2} cores busy for {requests} requests in {:.0} ms, although it \
             spends nearly all of its time waiting for the server: it waits by asking again and \
             again (a loop on try_join_next, try_recv or is_finished, perhaps with yield_now) \
             instead of awaiting — join_next().await, recv() — which sleeps until something \
             has finished",
            ms(cost.usage.wall)
        )
    });
    busy::burn_judgeable(&cost.usage)
}

/// Say that [`check_no_spinning`] could not judge `call`.
pub fn spinning_unjudged(call: &str, cost: &Cost, attempts: usize) {
    grade::inconclusive(busy::inconclusive_message(
        &format!("{call} ran"),
        &cost.usage,
        attempts,
    ));
}

/// Wake-ups are a count the rest of the machine cannot raise (another
/// program taking the core adds involuntary switches, not voluntary ones),
/// so [`check_no_napping`] judges them at once, busy machine or not.
/// Fail with `polling` if a slow crawl woke its threads far more often than
/// its requests explain: it checks for finished requests on a timer
/// instead of sleeping until one finishes. `per_request` is what a request
/// may cost: a few wake-ups with threads (the job handed to a worker, the
/// answer arriving through the blocking client's own thread, the result
/// handed back: about 4 measured), under one async. A loop that checks
/// every millisecond on a server taking 100 ms adds fifteen or more.
pub fn check_no_napping(
    call: &str,
    cost: &Cost,
    requests: usize,
    waiting_for: &str,
    per_request: f64,
) {
    let budget = per_request * requests as f64 + 20.0;
    let woken = cost.wakeups;
    ensure(woken as f64 <= budget, "polling", || {
        format!(
            "{call} made {requests} requests, waiting for {waiting_for}, and its threads woke up \
             {woken} times in {:.0} ms — {:.0} per request, where a crawl that sleeps until \
             there is something to do needs a few. It checks on a timer (a short sleep, then \
             look again: at try_join_next, try_recv, or the clock) instead of waiting for the \
             thing itself: join_next().await, a blocking recv(), one sleep for the whole \
             backoff",
            ms(cost.usage.wall),
            woken as f64 / requests.max(1) as f64
        )
    });
}

/// The most of its usable slot-time a crawl may leave idle while pages
/// it knows of wait: a correct one refills a slot within a millisecond of
/// its answer (parsing the page takes that long), a few percent in all;
/// waves leave about half.
pub const IDLE_AT_MOST: f64 = 0.2;

/// Judge how well `bound` slots were kept busy: a [`Reading`] for
/// [`busy::retry`]. Idle slots on a busy machine may be another program's
/// doing (the crawler had no CPU to parse and refill), so a high idle
/// share is a failure only on a quiet one.
pub fn judge_slots(site: &Site, bound: usize, cost: &Cost) -> Reading<f64> {
    let idle = site.slot_use(bound).idle_share();
    busy::timing(idle <= IDLE_AT_MOST, &cost.usage, idle)
}

/// Report what [`judge_slots`] concluded (after its retries): fail with
/// `waves`, say inconclusive, or return the idle share for the note.
pub fn report_slots(call: &str, bound: usize, reading: Reading<f64>, cost: &Cost) -> f64 {
    match reading {
        Reading::Pass(idle) => idle,
        Reading::Unclear(idle) => {
            grade::inconclusive(busy::inconclusive_message(
                &format!("{call} ran"),
                &cost.usage,
                3,
            ));
            idle
        }
        Reading::Fail(idle) => fail(
            "waves",
            format!(
                "{call} left {:.0}% of its {bound} request slots empty while pages it had \
                 already found waited to be fetched. Usually it starts requests in waves and \
                 waits for the whole wave before starting more, so every wave waits for its \
                 slowest request (latencies here vary from 5 to 80 ms): start a new request as \
                 soon as any one finishes — join_next() on a JoinSet you top up, or workers \
                 that each take the next job as they finish. (Or something holds each request \
                 back before it reaches the server: a sleep before the first attempt, a lock.)",
                idle * 100.0
            ),
        ),
    }
}
