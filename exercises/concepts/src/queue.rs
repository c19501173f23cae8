//! Steps `queue` and `queue-explored`: a bounded blocking queue built from a
//! Mutex and Condvars.
//!
//! `crossbeam::channel::bounded` and `std::sync::mpsc::sync_channel` give you
//! this ready-made. Building it once teaches the three rules every blocking
//! structure follows, and the grader checks each:
//!
//! 1. **Never exceed the bound.** `push` on a full queue waits.
//! 2. **Wait without burning CPU.** A waiting thread sleeps on a `Condvar`
//!    (`wait` releases the lock while asleep and re-takes it on waking); it
//!    does not loop and re-check. The grader measures CPU use while your
//!    threads are blocked.
//! 3. **Never lose a wake-up.** Whoever makes a condition true notifies the
//!    threads waiting for it, and waiters re-check their condition in a
//!    `while` loop (a wake-up is a hint, not a promise). The grader also
//!    runs your queue under 1000 schedules chosen by the shuttle library, to
//!    find the interleaving where every thread waits forever.
//!
//! Use the `Mutex` and `Condvar` imported below from [`crate::sync`]: they
//! behave exactly like std's (the Mutex also counts its locks, so the grader
//! can tell sleeping from polling), and are swapped for shuttle's when the
//! grader explores schedules.

#[allow(unused_imports)] // You will need them; remove this line when you do.
use crate::sync::{Condvar, Mutex};

/// A first-in, first-out queue holding at most `capacity` items. `push`
/// blocks while it is full, `pop` blocks while it is empty. Shared between
/// threads by reference (`&BoundedQueue` or `Arc<BoundedQueue>`), so every
/// method takes `&self`.
///
/// Suggested fields: the items in a `Mutex<VecDeque<T>>`, the capacity, and
/// two `Condvar`s — one producers wait on ("not full"), one consumers wait
/// on ("not empty"). Why two? With one, a notification can wake a thread of
/// the wrong kind, which goes back to sleep, and the right one never wakes.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    // TODO: your fields. This marker only lets the stub compile; remove it.
    _items: std::marker::PhantomData<T>,
}

impl<T> BoundedQueue<T> {
    /// An empty queue that holds at most `capacity` items. Panics if
    /// `capacity` is 0.
    pub fn new(capacity: usize) -> Self {
        todo!("create an empty queue of capacity {capacity}")
    }

    /// Add an item at the back, waiting while the queue is full.
    pub fn push(&self, item: T) {
        todo!("wait for room, push, wake a consumer")
    }

    /// Take the item at the front, waiting while the queue is empty.
    pub fn pop(&self) -> T {
        todo!("wait for an item, pop, wake a producer")
    }

    /// How many items are queued right now.
    pub fn len(&self) -> usize {
        todo!("lock and count")
    }

    /// Is the queue empty right now?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most items the queue ever holds.
    pub fn capacity(&self) -> usize {
        todo!("return the capacity")
    }
}
