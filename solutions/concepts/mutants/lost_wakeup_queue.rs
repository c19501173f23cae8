//! MUTANT of `src/queue.rs`: one Condvar for both conditions, woken with
//! `notify_one`. When producers and consumers are both waiting, a pop can
//! wake another consumer instead of a producer; that consumer finds the queue
//! still empty and sleeps again, and the wake-up the producer needed is
//! lost. Every thread ends up asleep: a deadlock that needs an unlucky
//! schedule — exactly what schedule exploration finds.
//! Expected diagnosis: `lost-wakeup` in step `queue-explored`.

use crate::sync::{Condvar, Mutex};
use std::collections::VecDeque;

/// A bounded queue with a single, shared Condvar.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
    /// BUG: producers and consumers wait on the same Condvar.
    changed: Condvar,
}

impl<T> BoundedQueue<T> {
    /// An empty queue that holds at most `capacity` items.
    pub fn new(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "a queue of capacity 0 can never accept an item"
        );
        BoundedQueue {
            items: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            changed: Condvar::new(),
        }
    }

    // ANCHOR: bug
    /// Add an item, waiting while the queue is full.
    pub fn push(&self, item: T) {
        let mut items = self.items.lock().expect("queue lock poisoned");
        while items.len() >= self.capacity {
            items = self.changed.wait(items).expect("queue lock poisoned");
        }
        items.push_back(item);
        drop(items);
        // BUG: may wake a producer, who cannot use an item.
        self.changed.notify_one();
    }

    /// Take the front item, waiting while the queue is empty.
    pub fn pop(&self) -> T {
        let mut items = self.items.lock().expect("queue lock poisoned");
        let item = loop {
            if let Some(item) = items.pop_front() {
                break item;
            }
            items = self.changed.wait(items).expect("queue lock poisoned");
        };
        drop(items);
        // BUG: may wake a consumer, who cannot use free room.
        self.changed.notify_one();
        item
    }
    // ANCHOR_END: bug

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
