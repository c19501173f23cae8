//! Step `counters`: a counter many threads increment at once, exactly.
//!
//! `count += 1` is three steps — read, add, write — and two threads that read
//! the same value both write value + 1: one increment is lost. Safe Rust will
//! not even compile an unsynchronised shared `u64`. The two fixes are an
//! atomic read-modify-write (`fetch_add`, one indivisible instruction) and a
//! Mutex (one thread at a time does all three steps).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

// ANCHOR: atomic
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
    pub fn increment(&self) {
        // `fetch_add` reads, adds and writes as one indivisible step.
        // Relaxed: we need the count itself to be exact, not to order any
        // other memory around it.
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The current count.
    pub fn get(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}
// ANCHOR_END: atomic

// ANCHOR: mutex
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
// ANCHOR_END: mutex
