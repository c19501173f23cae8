//! Lesson `sync`: sharing data between threads, and what each tool costs.
//!
//! Safe Rust will not compile a counter that several threads change
//! without synchronisation — two threads holding `&mut` to the same integer
//! is exactly what the borrow checker forbids:
//!
//! ```compile_fail
//! let mut count = 0;
//! std::thread::scope(|s| {
//!     s.spawn(|| count += 1);
//!     s.spawn(|| count += 1); // error: `count` borrowed mutably twice
//! });
//! ```
//!
//! (`cargo test -p concepts --doc` checks that it still fails to compile.)
//! So the choice is between tools that do compile, and this lesson
//! measures them: a Mutex counter against an atomic one under contention,
//! and a producer–consumer hand-off through the exercise's Condvar queue, a
//! crossbeam bounded channel and std's `sync_channel`.
//!
//! Run: `cargo run -p concepts -- sync`.

use crate::{Lesson, kata, millions_per_second, row};
use harness::cpu::{Usage, measure};
use std::thread;

/// `threads` threads incrementing `counter` `each` times, all at once.
fn hammer(threads: usize, each: u64, increment: impl Fn() + Sync) {
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..each {
                    increment();
                }
            });
        }
    });
}

// ANCHOR: hand_off
/// Pass `items` numbers from `producers` to `consumers` threads through a
/// channel-like pair of functions; returns the sum received, as a check.
fn hand_off(
    producers: u64,
    consumers: u64,
    items: u64,
    send: impl Fn(u64) + Sync,
    receive: impl Fn() -> u64 + Sync,
) -> u64 {
    let each = items / producers;
    let per_consumer = producers * each / consumers;
    thread::scope(|s| {
        for p in 0..producers {
            let send = &send;
            s.spawn(move || {
                for i in 0..each {
                    send(p * each + i);
                }
            });
        }
        let receivers: Vec<_> = (0..consumers)
            .map(|_| s.spawn(|| (0..per_consumer).map(|_| receive()).sum::<u64>()))
            .collect();
        receivers
            .into_iter()
            .map(|r| r.join().expect("a consumer panicked"))
            .sum()
    })
}
// ANCHOR_END: hand_off

fn rate(count: u64, usage: Usage, unit: &str) -> String {
    millions_per_second(count, usage.wall, unit)
}

/// The lesson's table. `increments` per counter thread, `items` handed off.
pub fn lesson(threads: usize, increments: u64, items: u64) -> Result<Lesson, String> {
    let total = threads as u64 * increments;
    let mut rows = Vec::new();

    let mutex = kata::counter::MutexCounter::new();
    let ((), usage) = measure(|| hammer(threads, increments, || mutex.increment()));
    rows.push(row(
        format!("Mutex counter, {threads} threads"),
        usage,
        None,
        rate(total, usage, "increments"),
    ));
    let atomic = kata::counter::AtomicCounter::new();
    let ((), usage) = measure(|| hammer(threads, increments, || atomic.increment()));
    rows.push(row(
        format!("atomic counter, {threads} threads"),
        usage,
        None,
        rate(total, usage, "increments"),
    ));
    if mutex.get() != total || atomic.get() != total {
        return Err(format!(
            "a counter lost updates: Mutex {}, atomic {}, expected {total}",
            mutex.get(),
            atomic.get()
        ));
    }

    // Producer–consumer: 2 producers, 2 consumers, a bound of 64 items.
    const BOUND: usize = 64;
    let (producers, consumers) = (2, 2);
    let items = items / 4 * 4;
    let expected: u64 = (0..items).sum();
    let queue = kata::queue::BoundedQueue::new(BOUND);
    let (sum_q, on_queue) = measure(|| {
        hand_off(
            producers,
            consumers,
            items,
            |x| queue.push(x),
            || queue.pop(),
        )
    });
    let (tx, rx) = crossbeam::channel::bounded(BOUND);
    let (sum_cb, on_crossbeam) = measure(|| {
        hand_off(
            producers,
            consumers,
            items,
            |x| tx.send(x).expect("receivers are alive"),
            || rx.recv().expect("senders are alive"),
        )
    });
    let (tx, rx) = std::sync::mpsc::sync_channel(BOUND);
    // std's Receiver cannot be shared between threads: consumers take turns
    // through a Mutex, which is part of what this row measures.
    let rx = std::sync::Mutex::new(rx);
    let (sum_std, on_std) = measure(|| {
        hand_off(
            producers,
            consumers,
            items,
            |x| tx.send(x).expect("receivers are alive"),
            || {
                rx.lock()
                    .expect("no consumer panicked")
                    .recv()
                    .expect("senders are alive")
            },
        )
    });
    if [sum_q, sum_cb, sum_std].iter().any(|&s| s != expected) {
        return Err(format!(
            "a hand-off lost items: queue {sum_q}, crossbeam {sum_cb}, std {sum_std}, \
             expected {expected}"
        ));
    }
    for (name, usage) in [
        ("Condvar queue (exercise)", on_queue),
        ("crossbeam bounded channel", on_crossbeam),
        ("std sync_channel", on_std),
    ] {
        rows.push(row(
            format!("{name}, 2→2"),
            usage,
            None,
            rate(items, usage, "items"),
        ));
    }
    Ok(Lesson {
        name: "sync",
        question: "Sharing between threads: what does each tool cost?",
        rows,
        takeaway: "An unsynchronised shared counter does not compile. For one number, an \
                   atomic does in one instruction what a Mutex does with a lock; for handing \
                   work between threads, a ready-made channel is simpler than a hand-built \
                   queue. The table shows what each costs on this machine.",
        runs: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_measured_and_exact() {
        let lesson = lesson(4, 1_000, 4_000).unwrap();
        let names: Vec<_> = lesson.rows.iter().map(|r| r.strategy.as_str()).collect();
        assert_eq!(
            names,
            [
                "Mutex counter, 4 threads",
                "atomic counter, 4 threads",
                "Condvar queue (exercise), 2→2",
                "crossbeam bounded channel, 2→2",
                "std sync_channel, 2→2"
            ]
        );
        assert!(lesson.rows.iter().all(|r| r.detail.ends_with("/s")));
    }
}
