//! The graded suite of the `concepts` exercises.
//!
//! Written once, run against three things: the learner's code
//! (`exercises/concepts/tests/grade.rs`), the reference solution
//! (`solutions/concepts/tests/grade.rs`) and every mutant of it. Each `#[test]`
//! is one graded step; its name is the step's `test` in
//! `exercises/concepts/Cargo.toml`.
//!
//! A step checks the answer *and* the behaviour a concurrency grader cares
//! about: cores really used, waits really overlapped, no CPU burnt while
//! blocked, the runtime never stalled. Every failure goes through
//! `harness::grade::fail` with a diagnosis code and a sentence for the
//! learner; every step runs under the watchdog and the CPU lock.
//!
//! Run it with `cargo xtask grade concepts` (your code) or
//! `cargo test -p concepts-solution` (the reference).

use crate::kata;
use harness::busy::{self, Reading};
use harness::cpu::{Meter, Timeline, Usage, available_cores, measure, measure_timeline};
use harness::gauge::InFlight;
use harness::grade::{self, ensure, expect_eq, fail, note};
use harness::heartbeat::Heartbeat;
use harness::memory;
use harness::threads;
use harness::watchdog;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

// This test binary's own pthread_create, counting every thread the code
// under test starts: sampling misses threads when the cores are crowded,
// which is when a thread count matters most (harness::threads).
harness::observe_threads!();

/// The watchdog's limit for one step. The reference needs about a second in a
/// debug build; a step still running after this is stuck.
const LIMIT: Duration = Duration::from_secs(10);

/// How long a check waits for a thread that should have been woken.
const WAKE_LIMIT: Duration = Duration::from_secs(2);

/// How long the contention test may take before it counts as stuck.
const CONTENTION_LIMIT: Duration = Duration::from_secs(5);

/// How long the queue's blocked threads are watched: a poller with a
/// 10 ms timeout wakes 30 times in it, a sleeping waiter not at all.
const WAIT_WINDOW: Duration = Duration::from_millis(300);

/// This thread's kernel id, where the platform has one (for
/// [`wakeups_of`]).
fn thread_id() -> Option<i32> {
    #[cfg(target_os = "linux")]
    return Some(harness::cpu::current_tid());
    #[cfg(not(target_os = "linux"))]
    None
}

/// How often thread `tid` has been woken so far (None where unknown).
fn wakeups_of(tid: Option<i32>) -> Option<u64> {
    harness::cpu::thread_wakeups(tid?)
}

// ---------------------------------------------------------------- primes --

/// (limit, primes below limit), including the edges: nothing below 2, and
/// 7919, the 1000th prime.
const SMALL_COUNTS: &[(u64, u64)] = &[
    (0, 0),
    (1, 0),
    (2, 0),
    (3, 1),
    (10, 4),
    (100, 25),
    (7919, 999),
    (7920, 1000),
    (10_000, 1229),
];

/// A count long enough (tens of milliseconds) for the threads it uses to be
/// counted: there are 25,997 primes below 300,000.
const MID: (u64, u64) = (300_000, 25_997);

/// A count big enough that starting threads is noise next to the work, small
/// enough for a debug build: there are 148,933 primes below two million.
const BIG: (u64, u64) = (2_000_000, 148_933);

/// Measured attempts at most: a correct solution passes at the first one
/// the rest of the machine leaves room for; after a measurement disturbed
/// by other programs the check waits for quiet and measures again, and
/// after this many says "inconclusive" rather than guess.
const ATTEMPTS: usize = 3;

/// The timeline's resolution: cores used are sampled this often (a whole
/// number of scheduler ticks at 100, 250, 300 and 1000 Hz).
const SAMPLE: Duration = Duration::from_millis(20);

/// The most of a run that may pass with only one core busy: a correct split
/// keeps every core busy until its last piece, a few percent of the run;
/// code that runs a fifth of its work alone spends a third of its time on
/// one core — and still averages 1.67 cores of 2.
const ALONE_AT_MOST: f64 = 0.2;

/// What one measured run of the big count showed.
struct Run {
    usage: Usage,
    timeline: Timeline,
    /// The threads it used, if they could be counted.
    threads: Option<ThreadUse>,
}

/// The threads a count used.
#[derive(Clone, Copy, Debug)]
struct ThreadUse {
    /// Most threads of its own alive at once.
    peak: usize,
    /// Threads of its own started in all.
    started: usize,
    /// Did the calling thread count too? A caller that only waits for its
    /// threads uses next to no CPU; one that takes a slice of the work —
    /// even the cheapest, first slice of the range — uses at least a
    /// tenth of an even share.
    caller_worked: bool,
}

impl ThreadUse {
    /// Threads counting at once: those it started, and the caller if it
    /// counted beside them (a correct way to use `threads`).
    fn working(&self) -> usize {
        self.peak + usize::from(self.caller_worked)
    }
}

/// Run `count` on this thread and see which threads it used. `helpers` is
/// how many threads of the test's own (samplers) run meanwhile.
fn with_threads<T>(helpers: usize, count: impl FnOnce() -> T) -> (T, Option<ThreadUse>) {
    let countable = threads::observing() || memory::thread_count().is_some();
    let watch = threads::Watch::start();
    let process = Meter::start();
    let cpu = harness::cpu::thread_cpu_time();
    let value = count();
    let caller_cpu = harness::cpu::thread_cpu_time().saturating_sub(cpu);
    let total_cpu = process.stop().cpu;
    let counts = watch.stop();
    let threads = countable.then(|| {
        let peak = counts.peak.saturating_sub(helpers);
        let fair_share = total_cpu.as_secs_f64() / (peak + 1) as f64;
        ThreadUse {
            peak,
            started: counts.started.saturating_sub(helpers),
            caller_worked: caller_cpu.as_secs_f64() >= (0.1 * fair_share).max(0.002),
        }
    });
    (value, threads)
}

/// How many threads of its own the code under test may start.
#[derive(Clone, Copy)]
enum Threads {
    /// Exactly the number it was asked for.
    Exactly(usize),
    /// None beyond rayon's pool, give or take a pool of its own: at most
    /// the cores plus two.
    Pool,
}

impl Threads {
    /// The diagnosis and sentence when the threads `seen` broke the rule.
    fn fault(self, call: &str, seen: ThreadUse) -> Option<(&'static str, String)> {
        let cores = available_cores();
        let working = seen.working();
        match self {
            // Rounds: more threads over the run than were ever alive at
            // once, and no more at once than asked for.
            Threads::Exactly(asked) if seen.started > asked && seen.peak <= asked => Some((
                "waves",
                format!(
                    "{call} started {} threads in all, at most {} at a time, for {asked} asked \
                     for: it hands out work in rounds, starting threads for each and joining \
                     them before the next, and every round waits for its slowest thread. Start \
                     the {asked} threads once, and let each take more work until none is left",
                    seen.started, seen.peak
                ),
            )),
            // Counting on one thread at a time is the sequential mistake,
            // judged by the cores it used, except when one was asked for.
            Threads::Exactly(asked) if (working >= 2 || asked == 1) && working != asked => Some((
                "ignored-argument",
                format!(
                    "{call} counted on {working} threads at once ({} of its own{}); it was asked \
                     for {asked}. Use exactly the number of threads you are given — the caller \
                     chose it (to leave cores free, or to match a pool), and code that quietly \
                     picks its own number breaks that contract",
                    seen.peak,
                    if seen.caller_worked {
                        ", and the calling thread"
                    } else {
                        ""
                    }
                ),
            )),
            Threads::Pool if seen.peak > cores + 2 => Some((
                "oversubscribed",
                format!(
                    "{call} started {} threads of its own for {cores} cores: rayon's global \
                     pool already has one thread per core, and more threads than cores add \
                     switching, not speed. Use a parallel iterator on the global pool, not a \
                     pool (or threads) of your own per call",
                    seen.peak
                ),
            )),
            _ => None,
        }
    }
}

/// Run the big count, check its answer, and fail unless it kept the free
/// cores busy (`not-parallel`), all through its run (`idle-cores`), with
/// the threads `threads` allows (`ignored-argument`, `oversubscribed`). Judged against the cores other programs left free;
/// when too few were free to tell, measured again, and finally reported
/// inconclusive. `advice` is the question to ask yourself when it failed.
fn check_parallel(call: &str, advice: &str, threads: Threads, mut count: impl FnMut() -> u64) {
    let cores = available_cores();
    if !grade::needs_two_cores("cores used") {
        expect_eq(count(), BIG.1, call);
        return;
    }
    let reading = busy::retry(ATTEMPTS, |_| {
        // The timeline's sampler is one thread of the test's own.
        let ((found, usage, timeline), seen_threads) =
            with_threads(1, || measure_timeline(SAMPLE, &mut count));
        expect_eq(found, BIG.1, call);
        let run = Run {
            usage,
            timeline,
            threads: seen_threads,
        };
        // A thread count is a fact, however busy the machine.
        if run
            .threads
            .and_then(|seen| threads.fault(call, seen))
            .is_some()
        {
            return Reading::Fail(run);
        }
        let Some(bar) = busy::parallel_bar(&run.usage) else {
            return Reading::Unclear(run);
        };
        if run.usage.cores_used() < bar {
            return Reading::Fail(run);
        }
        if alone_share(&run) > ALONE_AT_MOST {
            // Another program's burst looks like ours running alone.
            return if busy::is_quiet(&run.usage) {
                Reading::Fail(run)
            } else {
                Reading::Unclear(run)
            };
        }
        Reading::Pass(run)
    });
    let failed = matches!(reading, Reading::Fail(_));
    let unclear = reading.is_unclear();
    let run = reading.into_inner();
    let used = run.usage.cores_used();
    if unclear {
        grade::inconclusive(busy::inconclusive_message(
            &format!("{call} ran"),
            &run.usage,
            ATTEMPTS,
        ));
        return;
    }
    if failed {
        if let Some((diagnosis, message)) = run.threads.and_then(|seen| threads.fault(call, seen)) {
            fail(diagnosis, message);
        }
        let bar = busy::parallel_bar(&run.usage).unwrap_or(0.8 * cores as f64);
        // Too few cores on average, but every core busy for much of the
        // run: parallel in bursts, with part of the work alone.
        let in_bursts = alone_share(&run) <= 0.7 && busy::is_quiet(&run.usage);
        if used < bar && in_bursts {
            idle_cores(call, &run);
        }
        ensure(used >= bar, "not-parallel", || {
            format!(
                "{call} kept {used:.2} cores busy; expected at least {bar:.2} of the {cores} \
                 available — {advice}"
            )
        });
        idle_cores(call, &run);
    }
    note(format!(
        "{used:.2} cores of {cores} busy, {:.0}% of the run with one core idle, {:.2} s{}",
        alone_share(&run) * 100.0,
        run.usage.wall.as_secs_f64(),
        run.threads
            .map(|t| match threads {
                Threads::Exactly(_) => format!(", {} threads counting", t.working()),
                Threads::Pool => format!(", {} threads of its own", t.peak),
            })
            .unwrap_or_default()
    ));
}

/// Fail with `idle-cores`: part of the run had cores idle.
fn idle_cores(call: &str, run: &Run) -> ! {
    let cores = available_cores();
    let (alone, stretches) = run.timeline.idle();
    fail(
        "idle-cores",
        format!(
            "{call} averaged {:.2} cores, but for {:.0} ms of its {:.0} ms ({:.0}%, in \
             {stretches} stretch(es)) fewer than {cores} were busy: part of the work ran alone \
             while the other cores waited. Hand out work so that every thread stays busy to the \
             end (small pieces taken from a shared counter, not one fixed slice each; all \
             threads started before any is joined)",
            run.usage.cores_used(),
            alone.as_secs_f64() * 1e3,
            run.timeline.wall().as_secs_f64() * 1e3,
            alone_share(run) * 100.0
        ),
    )
}

/// The share of the run during which fewer than all cores were busy.
fn alone_share(run: &Run) -> f64 {
    run.timeline.idle_share()
}

#[test]
fn primes_threads() {
    grade::step(LIMIT * 2, || {
        for &(limit, primes) in SMALL_COUNTS {
            for threads in [1, 2, 3, 8] {
                expect_eq(
                    kata::primes::count_primes_threads(limit, threads),
                    primes,
                    format_args!("count_primes_threads({limit}, {threads})"),
                );
            }
        }
        // The thread count is the caller's: one thread, and an odd number,
        // on a count long enough for every thread to be seen.
        for threads in [1, 3] {
            let call = format!("count_primes_threads({}, {threads})", MID.0);
            let (found, seen) =
                with_threads(0, || kata::primes::count_primes_threads(MID.0, threads));
            expect_eq(found, MID.1, &call);
            if let Some((diagnosis, message)) =
                seen.and_then(|seen| Threads::Exactly(threads).fault(&call, seen))
            {
                fail(diagnosis, message);
            }
        }
        // Twice as many threads as cores: any split that runs its threads
        // at the same time keeps every core busy until near the end, so the
        // check is about parallelism, not about how evenly the range was cut
        // (equal slices of 0..limit are uneven work; with one thread per
        // core they would land right at the threshold, passing or failing
        // by chance).
        let threads = 2 * available_cores();
        check_parallel(
            &format!("count_primes_threads({}, {threads})", BIG.0),
            "is the work split across threads that run at the same time? (spawn them all \
             before joining any)",
            Threads::Exactly(threads),
            || kata::primes::count_primes_threads(BIG.0, threads),
        );
    });
}

#[test]
fn primes_rayon() {
    grade::step(LIMIT * 2, || {
        for &(limit, primes) in SMALL_COUNTS {
            expect_eq(
                kata::primes::count_primes_rayon(limit),
                primes,
                format_args!("count_primes_rayon({limit})"),
            );
        }
        check_parallel(
            &format!("count_primes_rayon({})", BIG.0),
            "is the iterator a parallel one? (into_par_iter, from rayon::prelude)",
            Threads::Pool,
            || kata::primes::count_primes_rayon(BIG.0),
        );
    });
}

// -------------------------------------------------------------- counters --

const HAMMER_THREADS: u64 = 8;
const HAMMER_EACH: u64 = 200_000;

/// Many threads incrementing at once, as hard as they can: the contention
/// under which a non-atomic read-add-write loses updates. A barrier starts
/// them together: spawned one by one, each could finish its share before
/// the next is scheduled, and no update would ever be lost.
fn hammer(increment: impl Fn() + Sync) {
    let start = std::sync::Barrier::new(HAMMER_THREADS as usize);
    thread::scope(|s| {
        for _ in 0..HAMMER_THREADS {
            s.spawn(|| {
                start.wait();
                for _ in 0..HAMMER_EACH {
                    increment();
                }
            });
        }
    });
}

fn check_exact(counter: &str, got: u64) {
    let want = HAMMER_THREADS * HAMMER_EACH;
    if got < want {
        fail(
            "lost-updates",
            format!(
                "{counter}: {HAMMER_THREADS} threads each called increment() {HAMMER_EACH} times, \
                 but get() says {got}, not {want}: {} increments were lost. Two threads read the \
                 same value and both wrote value + 1 — make read, add and write one indivisible \
                 step (fetch_add, or hold the lock for all three)",
                want - got
            ),
        );
    }
    expect_eq(
        got,
        want,
        format_args!("{counter}::get() after {want} increments"),
    );
}

#[test]
fn counters() {
    grade::step(LIMIT, || {
        let atomic = kata::counter::AtomicCounter::new();
        expect_eq(atomic.get(), 0, "AtomicCounter::new().get()");
        atomic.increment();
        expect_eq(atomic.get(), 1, "AtomicCounter::get() after one increment");
        let atomic = kata::counter::AtomicCounter::new();
        hammer(|| atomic.increment());
        check_exact("AtomicCounter", atomic.get());

        let mutex = kata::counter::MutexCounter::new();
        expect_eq(mutex.get(), 0, "MutexCounter::new().get()");
        mutex.increment();
        expect_eq(mutex.get(), 1, "MutexCounter::get() after one increment");
        let mutex = kata::counter::MutexCounter::new();
        hammer(|| mutex.increment());
        check_exact("MutexCounter", mutex.get());
        note(format!(
            "both exact after {} concurrent increments",
            HAMMER_THREADS * HAMMER_EACH
        ));
    });
}

// ----------------------------------------------------------------- queue --

use kata::queue::BoundedQueue;

#[test]
fn queue() {
    grade::step(LIMIT, || {
        let timed_before = kata::sync::timed_waits();
        queue_is_fifo();
        queue_blocks_without_spinning_and_wakes();
        // Eight threads hammering a queue of three finish in well under a
        // second; stopped for this long, they are all waiting for a
        // notification that nobody sent.
        if watchdog::try_run(CONTENTION_LIMIT, queue_survives_contention).is_none() {
            fail(
                "lost-wakeup",
                format!(
                    "producers and consumers passing items through a small queue \
                     stopped making progress for {} s: every thread is waiting, each for a \
                     notification nobody sent. Notify on *every* push (not_empty) and *every* \
                     pop (not_full) — not only when the queue was empty or full: a waiter you \
                     skip stays asleep",
                    CONTENTION_LIMIT.as_secs()
                ),
            );
        }
        let timed = kata::sync::timed_waits() - timed_before;
        ensure(timed == 0, "polling", || {
            format!(
                "the queue waited with a timeout {timed} times (wait_timeout): a timed wait wakes \
                 up every period to look again — polling, however long the period — and it \
                 hides a missing notification instead of fixing it. Wait with plain wait() in \
                 a while loop; whoever changes the queue notifies"
            )
        });
        note("FIFO, bounded at every moment, sleeps while blocked, 8000 items through 8 threads");
    });
}

fn queue_is_fifo() {
    let q = BoundedQueue::new(3);
    expect_eq(q.capacity(), 3, "BoundedQueue::new(3).capacity()");
    expect_eq(q.len(), 0, "len() of a new queue");
    expect_eq(q.is_empty(), true, "is_empty() of a new queue");
    for item in 1..=3 {
        q.push(item);
    }
    expect_eq(q.len(), 3, "len() after three pushes");
    let popped = [q.pop(), q.pop(), q.pop()];
    expect_eq(
        popped,
        [1, 2, 3],
        "three pops after push(1), push(2), push(3)",
    );
    expect_eq(q.is_empty(), true, "is_empty() after popping everything");
}

fn queue_blocks_without_spinning_and_wakes() {
    // A full queue, and a producer that tries to add one more.
    let full = Arc::new(BoundedQueue::new(2));
    full.push(1);
    full.push(2);
    let pushed = Arc::new(AtomicBool::new(false));
    let (push_done, push_returned) = mpsc::channel();
    // The blocked threads say who they are, so that their own wake-ups can
    // be counted while they should be asleep.
    let (tid_tx, tids) = mpsc::channel();
    thread::spawn({
        let (full, pushed) = (Arc::clone(&full), Arc::clone(&pushed));
        let tid_tx = tid_tx.clone();
        move || {
            let _ = tid_tx.send(thread_id());
            full.push(3);
            pushed.store(true, Ordering::SeqCst);
            let _ = push_done.send(());
        }
    });
    // An empty queue, and a consumer that tries to take an item.
    let empty = Arc::new(BoundedQueue::new(2));
    let (popped_tx, popped) = mpsc::channel();
    thread::spawn({
        let empty = Arc::clone(&empty);
        move || {
            let _ = tid_tx.send(thread_id());
            let _ = popped_tx.send(empty.pop());
        }
    });
    let blocked: Vec<Option<i32>> = (0..2).filter_map(|_| tids.recv().ok()).collect();

    // Give the producer time to get through, if it (wrongly) can.
    thread::sleep(Duration::from_millis(150));
    let held = full.len();
    ensure(!pushed.load(Ordering::SeqCst), "over-capacity", || {
        format!(
            "push returned although the queue already held 2 items (capacity 2); it now holds \
             {held} — push must wait while the queue is full"
        )
    });

    // Both threads are blocked now. Waiting should cost (almost) nothing:
    // no CPU, no wake-ups, no locking (Condvar::wait re-takes the lock
    // inside std, without going through the counting Mutex of
    // `kata::sync`).
    let locks_before = kata::sync::lock_count();
    let woken_before: Vec<Option<u64>> = blocked.iter().map(|t| wakeups_of(*t)).collect();
    let waiting = Meter::start();
    thread::sleep(WAIT_WINDOW);
    let usage = waiting.stop();
    let relocks = kata::sync::lock_count() - locks_before;
    let woken: Option<u64> = blocked
        .iter()
        .zip(&woken_before)
        .map(|(t, before)| Some(wakeups_of(*t)? - (*before)?))
        .sum();
    let cores = usage.cores_used();
    ensure(cores < 0.25, "busy-wait", || {
        format!(
            "while one push waited for room and one pop waited for an item, the process kept \
             {cores:.2} cores busy — a waiting thread should sleep on a Condvar (wait releases the \
             lock and uses no CPU), not loop and re-check"
        )
    });
    // A spinner takes any free core: little CPU means no spinning only if
    // a core was free to spin on.
    if !busy::burn_judgeable(&usage) {
        grade::inconclusive(busy::inconclusive_message(
            "the queue's threads waited",
            &usage,
            1,
        ));
    }
    // One spare wake-up per waiter, for a spurious one.
    if let Some(woken) = woken {
        ensure(woken <= 2, "polling", || {
            format!(
                "while one push waited for room and one pop waited for an item, the two woke \
                 up {woken} times in {} ms with nothing changed — they are polling (a timed \
                 wait_timeout, or lock, look, unlock, nap, lock again) instead of sleeping on a \
                 Condvar until another thread notifies it. A timeout hides a lost wake-up \
                 instead of fixing it, and costs a wake-up every period in every waiter",
                usage.wall.as_millis()
            )
        });
    }
    // Where wake-ups cannot be counted, the Mutex's own count still shows
    // a waiter that re-locks to look (two spare for spurious wake-ups).
    ensure(relocks <= 2, "polling", || {
        format!(
            "while one push waited for room and one pop waited for an item, they locked the \
             queue's Mutex {relocks} times in {} ms — they are polling (lock, look, unlock, \
             nap, lock again) instead of sleeping on a Condvar until another thread notifies \
             it",
            usage.wall.as_millis()
        )
    });

    // Room appears: the waiting producer must be woken.
    expect_eq(full.pop(), 1, "pop() of a full queue holding [1, 2]");
    if push_returned.recv_timeout(WAKE_LIMIT).is_err() {
        fail(
            "lost-wakeup",
            "a push waiting on a full queue was not woken after pop() made room — pop must \
             notify the Condvar that producers wait on",
        );
    }
    // An item appears: the waiting consumer must be woken.
    empty.push(7);
    match popped.recv_timeout(WAKE_LIMIT) {
        Ok(item) => expect_eq(item, 7, "the pop that waited for push(7)"),
        Err(_) => fail(
            "lost-wakeup",
            "a pop waiting on an empty queue was not woken after push() added an item — push \
             must notify the Condvar that consumers wait on",
        ),
    }
    let rest = [full.pop(), full.pop()];
    expect_eq(
        rest,
        [2, 3],
        "the items left after the blocked push(3) completed",
    );
}

fn queue_survives_contention() {
    // Balanced, then crowded with producers: with one slot and six
    // producers, one is usually arriving just as a pop wakes another, and
    // takes the slot first.
    contend(4, 4, 2000, 3);
    contend(6, 2, 1000, 1);
}

/// `producers` threads pushing `each` items each through a queue of
/// `capacity` to `consumers` threads.
fn contend(producers: u64, consumers: u64, each: u64, capacity: usize) {
    let q = BoundedQueue::new(capacity);
    // The bound is an invariant: it must hold all through the run, not just
    // at the end. A watcher checks it two ways while the threads contend:
    // what len() says, and — not trusting len() — a count no queue can
    // argue with: pushes that have returned minus pops that have started
    // is a lower bound on the items inside.
    let pushes_done = AtomicUsize::new(0);
    let pops_started = AtomicUsize::new(0);
    let finished = AtomicBool::new(false);
    let (mut received, (most_len, most_inside)): (Vec<u64>, (usize, usize)) = thread::scope(|s| {
        let watcher = s.spawn(|| {
            let (mut most_len, mut most_inside) = (0, 0);
            while !finished.load(Ordering::SeqCst) {
                most_len = most_len.max(q.len());
                // Pushes first: both only grow, so reading pops later
                // can only make the bound smaller, never wrong.
                let pushed = pushes_done.load(Ordering::SeqCst);
                let popping = pops_started.load(Ordering::SeqCst);
                most_inside = most_inside.max(pushed.saturating_sub(popping));
            }
            (most_len, most_inside)
        });
        for p in 0..producers {
            let (q, pushes_done) = (&q, &pushes_done);
            s.spawn(move || {
                for i in 0..each {
                    q.push(p * each + i);
                    pushes_done.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let consumers: Vec<_> = (0..consumers)
            .map(|_| {
                let (q, pops_started) = (&q, &pops_started);
                s.spawn(move || {
                    (0..producers * each / consumers)
                        .map(|_| {
                            pops_started.fetch_add(1, Ordering::SeqCst);
                            q.pop()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let received = consumers
            .into_iter()
            .flat_map(|c| c.join().expect("a consumer panicked"))
            .collect();
        finished.store(true, Ordering::SeqCst);
        (received, watcher.join().expect("the watcher panicked"))
    });
    let most = most_len.max(most_inside);
    ensure(most <= capacity, "over-capacity", || {
        format!(
            "with {producers} producers and {consumers} consumers contending, the queue of \
             capacity {capacity} held {most} items at one moment (len() said up to {most_len}; \
             {most_inside} pushes had returned beyond the pops begun). push must wait for \
             room *before* it adds its item, and check again after every wake-up — a `while` \
             loop, not an `if`: another producer may have taken the free slot between the \
             notification and the wake-up"
        )
    });
    received.sort_unstable();
    let expected: Vec<u64> = (0..producers * each).collect();
    if received != expected {
        let mut seen = std::collections::HashSet::new();
        let duplicated = received.iter().filter(|&&x| !seen.insert(x)).count();
        let missing = expected.iter().filter(|x| !seen.contains(x)).count();
        fail(
            "lost-items",
            format!(
                "{producers} producers pushed {} items through a queue of capacity {capacity} to \
                 {consumers} consumers: {missing} never arrived and {duplicated} arrived twice — \
                 is every check-then-act done under the lock?",
                producers * each
            ),
        );
    }
}

// ------------------------------------------------------------- fetch_all --

#[test]
fn fetch_all() {
    const REQUESTS: u32 = 20;
    const LATENCY: Duration = Duration::from_millis(100);
    const STAGGER: Duration = Duration::from_millis(5);
    /// The first request is the slowest and the last the quickest, so they
    /// *finish* in reverse order: results gathered as they complete come
    /// back reversed.
    fn latency(id: u32) -> Duration {
        LATENCY + STAGGER * (REQUESTS - 1 - id)
    }
    let (pages, peak, wall) = grade::step_async(LIMIT, || async {
        let in_flight = InFlight::new();
        let start = Instant::now();
        // A simulated request: it is "in flight" while it waits out the
        // latency, like a real one waiting for a server.
        let pages = kata::fetch::fetch_all((0..REQUESTS).collect(), |id| {
            let in_flight = in_flight.clone();
            async move {
                let _request = in_flight.enter();
                tokio::time::sleep(latency(id)).await;
                format!("page {id}")
            }
        })
        .await;
        (pages, in_flight.peak(), start.elapsed())
    });
    let expected: Vec<String> = (0..REQUESTS).map(|id| format!("page {id}")).collect();
    let mut sorted = pages.clone();
    sorted.sort_by_key(|page| page[5..].parse::<u32>().unwrap_or(u32::MAX));
    if pages != expected && sorted == expected {
        fail(
            "wrong-order",
            format!(
                "fetch_all returned every page, but in the order the requests finished ({} \
                 first), not in the order of the ids — collect the results by position \
                 (join_all keeps the input order)",
                pages[0]
            ),
        );
    }
    expect_eq(
        pages,
        expected,
        format_args!("fetch_all(0..{REQUESTS}, fetch)"),
    );
    let slowest = latency(0);
    let latencies = wall.as_secs_f64() / slowest.as_secs_f64();
    ensure(peak <= 1 || peak == REQUESTS as usize, "waves", || {
        format!(
            "at most {peak} of {REQUESTS} requests were in flight at once, and the batch took \
             {:.2} s = {latencies:.1} × the slowest request's latency: the requests are awaited in \
             batches (join_all on a chunk, then the next), and each batch waits for its slowest \
             request. Nothing here asks for a bound: await all of them together with one \
             join_all",
            wall.as_secs_f64()
        )
    });
    ensure(peak == REQUESTS as usize, "sequential-awaits", || {
        format!(
            "at most {peak} of {REQUESTS} requests were in flight at once, and the batch took \
             {:.2} s = {latencies:.1} × the slowest request's latency; run together they take \
             about 1 × — a future does nothing until it is awaited, so awaiting them one by one (even \
             if all were created first) runs them one by one: await them all at once with \
             futures::future::join_all",
            wall.as_secs_f64()
        )
    });
    note(format!(
        "{REQUESTS} requests in {latencies:.1} × the slowest one's latency, {peak} in flight at once"
    ));
}

// --------------------------------------------------------------- offload --

#[test]
fn offload() {
    /// About a tenth of a second of CPU work in a debug build.
    const ROUNDS: u64 = 40_000_000;
    const BEAT: Duration = Duration::from_millis(5);
    /// What one attempt saw.
    struct Seen {
        offloaded: u64,
        direct: u64,
        /// The work done plainly: how long it holds a thread.
        serial: Usage,
        /// The heartbeat's worst lateness while the work was offloaded.
        late: Duration,
        /// The whole process during the offloaded call.
        during: Usage,
        /// The whole process during a second offloaded call, alone on the
        /// runtime, and the runtime thread's own CPU time and wake-ups in it.
        alone: Usage,
        runtime_cpu: Duration,
        runtime_wakeups: Option<u64>,
    }
    let reading = busy::retry(ATTEMPTS, |_| {
        let seen = grade::step_async(LIMIT, || async {
            // The same work done plainly first, both for the right answer
            // and for how long it blocks a thread.
            let (direct, serial) = measure(|| kata::offload::checksum(ROUNDS));
            let heartbeat = Heartbeat::spawn(BEAT);
            // Let the heartbeat start beating before the work begins.
            tokio::time::sleep(BEAT * 4).await;
            let meter = Meter::start();
            let offloaded = kata::offload::checksum_offloaded(ROUNDS).await;
            let during = meter.stop();
            // A blocked heartbeat records its lateness when it finally
            // wakes: give it the chance.
            tokio::time::sleep(BEAT * 4).await;
            let late = heartbeat.worst_lateness();
            drop(heartbeat);
            // Once more with nothing else on the runtime, to see how the
            // task waits. This async block runs on the runtime's only
            // thread: its CPU time and wake-ups are the runtime's. Awaiting
            // the result wakes it about once; asking again and again burns
            // it; checking on a timer wakes it every tick.
            let tid = thread_id();
            let (cpu0, wakes0) = (harness::cpu::thread_cpu_time(), wakeups_of(tid));
            let again = Meter::start();
            let _ = kata::offload::checksum_offloaded(ROUNDS).await;
            let alone = again.stop();
            let runtime_cpu = harness::cpu::thread_cpu_time().saturating_sub(cpu0);
            let runtime_wakeups = wakeups_of(tid).zip(wakes0).map(|(b, a)| b - a);
            Seen {
                offloaded,
                direct,
                serial,
                late,
                during,
                alone,
                runtime_cpu,
                runtime_wakeups,
            }
        });
        let work = seen.serial.wall.as_secs_f64();
        let wall = seen.alone.wall.as_secs_f64();
        let late = seen.late.as_secs_f64() > work / 4.0;
        let burning = seen.runtime_cpu.as_secs_f64() > 0.3 * wall;
        let polling = seen
            .runtime_wakeups
            .is_some_and(|w| w as f64 > wakeup_budget(wall));
        if seen.offloaded != seen.direct || burning || polling {
            // Wrong answers, CPU burnt and wake-ups are facts.
            Reading::Fail(seen)
        } else if late {
            // Lateness is timing: another program holding the core makes
            // a correct heartbeat late too.
            if busy::is_quiet(&seen.during) && busy::is_quiet(&seen.serial) {
                Reading::Fail(seen)
            } else {
                Reading::Unclear(seen)
            }
        } else if !runtime_burn_judgeable(&seen.alone, seen.runtime_cpu) {
            Reading::Unclear(seen)
        } else {
            Reading::Pass(seen)
        }
    });
    let unclear = reading.is_unclear();
    let seen = reading.into_inner();
    expect_eq(
        seen.offloaded,
        seen.direct,
        format_args!("checksum_offloaded({ROUNDS})"),
    );
    let work_ms = seen.serial.wall.as_secs_f64() * 1e3;
    let wall_ms = seen.alone.wall.as_secs_f64() * 1e3;
    let late_ms = seen.late.as_secs_f64() * 1e3;
    let beat_ms = BEAT.as_millis();
    if unclear {
        grade::inconclusive(busy::inconclusive_message(
            "checksum_offloaded computed beside a heartbeat",
            &seen.during,
            ATTEMPTS,
        ));
        return;
    }
    ensure(late_ms <= work_ms / 4.0, "blocked-runtime", || {
        format!(
            "while checksum_offloaded computed (about {work_ms:.0} ms of CPU work), a task on the \
             same runtime that wakes every {beat_ms} ms was late by {late_ms:.0} ms — the work ran \
             on the runtime's own thread, so no other task could run. Move it off the runtime \
             with tokio::task::spawn_blocking (or rayon::spawn and a oneshot channel) and await \
             the result"
        )
    });
    let runtime_ms = seen.runtime_cpu.as_secs_f64() * 1e3;
    ensure(runtime_ms <= 0.3 * wall_ms, "busy-wait", || {
        format!(
            "while checksum_offloaded ran ({wall_ms:.0} ms) with nothing else on the runtime, \
             the runtime's own thread was busy for {runtime_ms:.0} ms of it: either the work \
             itself runs there (in slices, with yield_now between them: the heartbeat stays on \
             time, but the runtime's thread is the one computing), or the task waits for the \
             result by asking again and again (a loop on is_finished() or try_recv() with \
             yield_now). Run the work on another thread (spawn_blocking) and await its \
             JoinHandle, which sleeps until the result is there"
        )
    });
    if let Some(woken) = seen.runtime_wakeups {
        ensure(
            woken as f64 <= wakeup_budget(wall_ms / 1e3),
            "polling",
            || {
                format!(
                    "while the work ran elsewhere ({wall_ms:.0} ms) with nothing else on the \
                 runtime, its thread woke up {woken} times: the task checks for the result on a \
                 timer (sleep, then is_finished()) instead of awaiting the JoinHandle, which \
                 wakes it once, when the result is there"
                )
            },
        );
    }
    note(format!(
        "heartbeat late by at most {late_ms:.1} ms during {work_ms:.0} ms of work; waiting alone, \
         the runtime's thread used {runtime_ms:.1} ms of CPU and woke {} times",
        seen.runtime_wakeups
            .map_or_else(|| "an unknown number of".to_owned(), |w| w.to_string())
    ));
}

/// Can little CPU on the runtime's thread be trusted? The process as a
/// whole is busy here (the offloaded work keeps a core), so what counts is
/// whether, besides it, a core was left for a spinning runtime thread to
/// take.
fn runtime_burn_judgeable(alone: &Usage, runtime_cpu: Duration) -> bool {
    let runtime = runtime_cpu.as_secs_f64() / alone.wall.as_secs_f64().max(1e-9);
    runtime >= 0.3 || alone.free_cores() - alone.cores_used() >= 0.5
}

/// The wake-ups an idle runtime thread may have in `wall` seconds while it
/// waits for one result: one when the result arrives (measured: 1), a few
/// to spare, and one per 100 ms. A task that checks every 20 ms wakes five
/// times as often; one that checks every millisecond, a hundred.
fn wakeup_budget(wall: f64) -> f64 {
    wall / 0.1 + 6.0
}

// -------------------------------------------------------------- block_on --

/// A future that is ready `after` a delay. A helper thread sleeps, then
/// calls the waker: exactly how a timer or a socket wakes a real future. It
/// counts how often it is polled.
struct Delay {
    after: Duration,
    started: bool,
    shared: Arc<DelayShared>,
}

#[derive(Default)]
struct DelayShared {
    done: AtomicBool,
    waker: Mutex<Option<Waker>>,
    polls: AtomicUsize,
}

impl Delay {
    fn new(after: Duration) -> Self {
        Delay {
            after,
            started: false,
            shared: Arc::default(),
        }
    }
}

impl Future for Delay {
    /// How many times it was polled.
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let polls = self.shared.polls.fetch_add(1, Ordering::SeqCst) + 1;
        // Store the waker *before* checking `done`: if the helper finishes in
        // between, it finds the waker and wakes us. Checked the other way
        // round, that wake-up could be lost.
        *self.shared.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.shared.done.load(Ordering::SeqCst) {
            return Poll::Ready(polls);
        }
        if !self.started {
            self.started = true;
            let (after, shared) = (self.after, Arc::clone(&self.shared));
            thread::spawn(move || {
                thread::sleep(after);
                shared.done.store(true, Ordering::SeqCst);
                if let Some(waker) = shared.waker.lock().unwrap().take() {
                    waker.wake();
                }
            });
        }
        Poll::Pending
    }
}

/// A future that wakes itself and returns `Pending` once: the waker is
/// called *during* the poll, before the executor goes to sleep. Executors
/// that only listen for wake-ups while asleep miss this one and hang.
#[derive(Default)]
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn block_on() {
    grade::step(LIMIT, || {
        expect_eq(
            kata::executor::block_on(async { 6 * 7 }),
            42,
            "block_on(async { 6 * 7 })",
        );

        // A hundred self-wakes: an executor that keeps such a wake-up finishes
        // in microseconds; one that loses it hangs, and one that sleeps a
        // fixed time between polls takes 100 naps.
        const SELF_WAKES: usize = 100;
        let woke_itself = watchdog::try_run(WAKE_LIMIT, || {
            kata::executor::block_on(async {
                for _ in 0..SELF_WAKES {
                    YieldOnce::default().await;
                }
                "done"
            })
        });
        if woke_itself.is_none() {
            fail(
                "lost-wakeup",
                format!(
                    "block_on did not finish, within {} s, {SELF_WAKES} futures that each call \
                     their waker during poll and return Pending once — a wake-up that arrives \
                     before the executor goes to sleep must make it poll again at once \
                     (thread::park/unpark keeps such a wake-up as a token); losing it hangs, \
                     and sleeping a fixed time between polls is far too slow",
                    WAKE_LIMIT.as_secs()
                ),
            );
        }

        // Long enough that a timed nap of up to a third of a second polls
        // more than the two polls a wake-up needs.
        const WAIT: Duration = Duration::from_secs(1);
        let tid = thread_id();
        let woken_before = wakeups_of(tid);
        let (polls, usage) = measure(|| kata::executor::block_on(Delay::new(WAIT)));
        let woken = wakeups_of(tid)
            .zip(woken_before)
            .map(|(after, before)| after - before);
        // A waker-driven executor polls twice: once to start, once after the
        // wake-up (a third poll is allowed for a spurious unpark).
        ensure(
            polls <= 3 && usage.cores_used() < 0.3,
            "busy-polling",
            || {
                format!(
                    "block_on polled a future {polls} times while it waited {} ms for a single \
                     wake-up, keeping {:.2} cores busy — between polls, sleep until the waker is \
                     called (a Waker whose wake() unparks the blocked thread), instead of polling \
                     again and again, with or without a pause",
                    WAIT.as_millis(),
                    usage.cores_used()
                )
            },
        );

        // Between the two polls the thread should sleep once, until the
        // waker: an executor that naps and looks at a flag wakes on every
        // nap, however few times it polls.
        if let Some(woken) = woken {
            ensure(woken <= 3, "polling", || {
                format!(
                    "while block_on waited {} ms for a single wake-up, its thread woke up \
                     {woken} times ({polls} polls): it naps and looks again (sleep or \
                     park_timeout in a loop, then check a flag) instead of parking until the \
                     waker unparks it",
                    WAIT.as_millis()
                )
            });
        }

        // Few polls and little CPU prove an executor asleep only if it had
        // a core to spin on (an executor spinning on a flag between two
        // polls keeps one busy).
        if !busy::burn_judgeable(&usage) {
            grade::inconclusive(busy::inconclusive_message(
                "block_on waited for a wake-up",
                &usage,
                1,
            ));
        }

        let both = kata::executor::block_on(async {
            let first = Delay::new(Duration::from_millis(30)).await;
            let second = Delay::new(Duration::from_millis(30)).await;
            first + second
        });
        ensure(both >= 4, "wrong-answer", || {
            format!("two delays awaited in one async block were polled {both} times in all")
        });
        note(format!(
            "{polls} polls and {:.2} cores during a {} ms wait",
            usage.cores_used(),
            WAIT.as_millis()
        ));
    });
}
