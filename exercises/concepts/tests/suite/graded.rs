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
use harness::cpu::{Meter, Usage, available_cores, measure};
use harness::gauge::InFlight;
use harness::grade::{self, ensure, expect_eq, fail, note};
use harness::heartbeat::Heartbeat;
use harness::watchdog;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// The watchdog's limit for one step. The reference needs about a second in a
/// debug build; a step still running after this is stuck.
const LIMIT: Duration = Duration::from_secs(10);

/// How long a check waits for a thread that should have been woken.
const WAKE_LIMIT: Duration = Duration::from_secs(2);

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

/// A count big enough that starting threads is noise next to the work, small
/// enough for a debug build: there are 148,933 primes below two million.
const BIG: (u64, u64) = (2_000_000, 148_933);

/// Measured attempts at most: a correct solution passes at the first one
/// that is not disturbed by other work on the machine; a sequential one
/// fails every one of them.
const ATTEMPTS: usize = 3;

/// Run the big count, check its answer, and fail with `not-parallel` unless
/// one of up to [`ATTEMPTS`] runs kept 0.8 × the available cores busy.
/// `advice` is the question to ask yourself when it did not.
fn check_parallel(call: &str, advice: &str, mut count: impl FnMut() -> u64) {
    let cores = available_cores();
    if !grade::needs_two_cores("cores used") {
        expect_eq(count(), BIG.1, call);
        return;
    }
    let wanted = 0.8 * cores as f64;
    let mut best: Option<Usage> = None;
    for _ in 0..ATTEMPTS {
        let (found, usage) = measure(&mut count);
        expect_eq(found, BIG.1, call);
        if best.is_none_or(|b| usage.cores_used() > b.cores_used()) {
            best = Some(usage);
        }
        if usage.cores_used() >= wanted {
            break;
        }
    }
    let best = best.expect("at least one attempt ran");
    let used = best.cores_used();
    ensure(used >= wanted, "not-parallel", || {
        format!(
            "{call} kept {used:.2} cores busy (best of {ATTEMPTS} runs); expected at least \
             {wanted:.2} of the {cores} available — {advice}"
        )
    });
    note(format!(
        "{used:.2} cores of {cores} busy, {:.2} s",
        best.wall.as_secs_f64()
    ));
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
        queue_is_fifo();
        queue_blocks_without_spinning_and_wakes();
        queue_survives_contention();
        note("FIFO, bounded, sleeps while blocked, 8000 items through 8 threads");
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
    thread::spawn({
        let (full, pushed) = (Arc::clone(&full), Arc::clone(&pushed));
        move || {
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
            let _ = popped_tx.send(empty.pop());
        }
    });

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
    // no CPU, and no locking (Condvar::wait re-takes the lock inside std,
    // without going through the counting Mutex of `kata::sync`).
    let locks_before = kata::sync::lock_count();
    let waiting = Meter::start();
    thread::sleep(Duration::from_millis(300));
    let usage = waiting.stop();
    let relocks = kata::sync::lock_count() - locks_before;
    ensure(usage.cores_used() < 0.25, "busy-wait", || {
        format!(
            "while one push waited for room and one pop waited for an item, the process kept \
             {:.2} cores busy — a waiting thread should sleep on a Condvar (wait releases the \
             lock and uses no CPU), not loop and re-check",
            usage.cores_used()
        )
    });
    // Two spare locks for a spurious wake-up of each waiter.
    ensure(relocks <= 2, "busy-wait", || {
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
    const PRODUCERS: u64 = 4;
    const CONSUMERS: u64 = 4;
    const EACH: u64 = 2000;
    let q = BoundedQueue::new(3);
    let mut received: Vec<u64> = thread::scope(|s| {
        for p in 0..PRODUCERS {
            let q = &q;
            s.spawn(move || {
                for i in 0..EACH {
                    q.push(p * EACH + i);
                }
            });
        }
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let q = &q;
                s.spawn(move || {
                    (0..PRODUCERS * EACH / CONSUMERS)
                        .map(|_| q.pop())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        consumers
            .into_iter()
            .flat_map(|c| c.join().expect("a consumer panicked"))
            .collect()
    });
    received.sort_unstable();
    let expected: Vec<u64> = (0..PRODUCERS * EACH).collect();
    if received != expected {
        let mut seen = std::collections::HashSet::new();
        let duplicated = received.iter().filter(|&&x| !seen.insert(x)).count();
        let missing = expected.iter().filter(|x| !seen.contains(x)).count();
        fail(
            "lost-items",
            format!(
                "{PRODUCERS} producers pushed {} items through a queue of capacity 3 to \
                 {CONSUMERS} consumers: {missing} never arrived and {duplicated} arrived twice — \
                 is every check-then-act done under the lock?",
                PRODUCERS * EACH
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
    let (offloaded, direct, serial, late) = grade::step_async(LIMIT, || async {
        // The same work done plainly first, both for the right answer and
        // for how long it blocks a thread.
        let (direct, serial) = measure(|| kata::offload::checksum(ROUNDS));
        let heartbeat = Heartbeat::spawn(BEAT);
        // Let the heartbeat start beating before the work begins.
        tokio::time::sleep(BEAT * 4).await;
        let offloaded = kata::offload::checksum_offloaded(ROUNDS).await;
        tokio::time::sleep(BEAT * 4).await;
        (offloaded, direct, serial, heartbeat.worst_lateness())
    });
    expect_eq(
        offloaded,
        direct,
        format_args!("checksum_offloaded({ROUNDS})"),
    );
    let work_ms = serial.wall.as_secs_f64() * 1e3;
    let late_ms = late.as_secs_f64() * 1e3;
    ensure(late_ms <= work_ms / 4.0, "blocked-runtime", || {
        format!(
            "while checksum_offloaded computed (about {work_ms:.0} ms of CPU work), a task on the \
             same runtime that wakes every {} ms was late by {late_ms:.0} ms — the work ran on \
             the runtime's own thread, so no other task could run. Move it off the runtime with \
             tokio::task::spawn_blocking (or rayon::spawn and a oneshot channel) and await the \
             result",
            BEAT.as_millis()
        )
    });
    note(format!(
        "heartbeat late by at most {late_ms:.1} ms during {work_ms:.0} ms of work"
    ));
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

        const WAIT: Duration = Duration::from_millis(300);
        let (polls, usage) = measure(|| kata::executor::block_on(Delay::new(WAIT)));
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
