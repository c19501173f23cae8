//! MUTANT of `src/counter.rs`: `AtomicCounter::increment` is a load then a
//! store, not one atomic read-modify-write.
//! Expected diagnosis: `lost-updates` in step `counters`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A counter built on one atomic integer: lock-free, the cheapest exact
/// counter.
#[derive(Debug, Default)]
pub struct AtomicCounter {
    count: AtomicU64,
}

impl AtomicCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one. Safe to call from any number of threads at once.
    // ANCHOR: bug
    pub fn increment(&self) {
        // `fetch_add` reads, adds and writes as one indivisible step.
        // Relaxed: we need the count itself to be exact, not to order any
        // other memory around it.
        // BUG: a separate load and store. Two threads can load the same value
        // and both store value + 1: one increment is lost.
        let seen = self.count.load(Ordering::Relaxed);
        self.count.store(seen + 1, Ordering::Relaxed);
    }
    // ANCHOR_END: bug

    /// The current count.
    pub fn get(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// A counter behind a Mutex: slower than the atomic, but the same pattern
/// protects any data, not just one integer.
#[derive(Debug, Default)]
pub struct MutexCounter {
    count: Mutex<u64>,
}

impl MutexCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one. The lock is held for the whole read-add-write.
    pub fn increment(&self) {
        *self.count.lock().expect("a thread panicked while counting") += 1;
    }

    /// The current count.
    pub fn get(&self) -> u64 {
        *self.count.lock().expect("a thread panicked while counting")
    }
}
