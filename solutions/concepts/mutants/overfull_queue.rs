//! MUTANT of `src/queue.rs`: an off-by-one lets `push` add an item to a
//! queue that is already full.
//! Expected diagnosis: `over-capacity` in step `queue`.

use crate::sync::{Condvar, Mutex};
use std::collections::VecDeque;

/// A first-in, first-out queue holding at most `capacity` items. `push`
/// blocks while it is full, `pop` blocks while it is empty.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    /// The items. One lock guards the whole state, so "check the length, then
    /// add" is a single step no other thread can interleave with.
    items: Mutex<VecDeque<T>>,
    capacity: usize,
    /// Producers wait here while the queue is full; `pop` notifies it.
    not_full: Condvar,
    /// Consumers wait here while the queue is empty; `push` notifies it.
    /// Two Condvars, not one: a notification must reach a waiter that can
    /// act on it, never a producer when an item (not room) appeared.
    not_empty: Condvar,
}

impl<T> BoundedQueue<T> {
    /// An empty queue that holds at most `capacity` items.
    ///
    /// # Panics
    /// If `capacity` is 0: nothing could ever be pushed.
    pub fn new(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "a queue of capacity 0 can never accept an item"
        );
        BoundedQueue {
            items: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            not_full: Condvar::new(),
            not_empty: Condvar::new(),
        }
    }

    /// Add an item at the back, waiting while the queue is full.
    pub fn push(&self, item: T) {
        let mut items = self.items.lock().expect("queue lock poisoned");
        // `while`, not `if`: after a wake-up another producer may have taken
        // the free slot first, and Condvars may also wake spuriously.
        // BUG: `>` instead of `>=`: a full queue still accepts one more.
        while items.len() > self.capacity {
            // `wait` releases the lock while asleep and takes it back
            // before returning: no CPU is used while waiting.
            items = self.not_full.wait(items).expect("queue lock poisoned");
        }
        items.push_back(item);
        // Unlock before notifying, so the woken consumer can take the lock
        // at once instead of waking only to block on it.
        drop(items);
        self.not_empty.notify_one();
    }

    /// Take the item at the front, waiting while the queue is empty.
    pub fn pop(&self) -> T {
        let mut items = self.items.lock().expect("queue lock poisoned");
        let item = loop {
            if let Some(item) = items.pop_front() {
                break item;
            }
            items = self.not_empty.wait(items).expect("queue lock poisoned");
        };
        drop(items);
        self.not_full.notify_one();
        item
    }

    /// How many items are queued right now.
    pub fn len(&self) -> usize {
        self.items.lock().expect("queue lock poisoned").len()
    }

    /// Is the queue empty right now?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most items the queue ever holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
