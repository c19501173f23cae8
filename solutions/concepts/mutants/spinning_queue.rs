//! MUTANT of `src/queue.rs`: waits by spinning — take the lock, look, let go,
//! try again — instead of sleeping on a Condvar. Correct answers, but every
//! blocked thread keeps a core at 100%.
//! Expected diagnosis: `busy-wait` in step `queue`.

use crate::sync::Mutex;
use std::collections::VecDeque;

/// A bounded queue that busy-waits.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
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
        }
    }

    /// Add an item, spinning while the queue is full.
    pub fn push(&self, item: T) {
        loop {
            let mut items = self.items.lock().expect("queue lock poisoned");
            if items.len() < self.capacity {
                items.push_back(item);
                return;
            }
            drop(items);
            // BUG: yielding is still spinning: the thread is runnable the
            // whole time and is scheduled again at once.
            std::thread::yield_now();
        }
    }

    /// Take the front item, spinning while the queue is empty.
    pub fn pop(&self) -> T {
        loop {
            if let Some(item) = self.items.lock().expect("queue lock poisoned").pop_front() {
                return item;
            }
            std::thread::yield_now();
        }
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
