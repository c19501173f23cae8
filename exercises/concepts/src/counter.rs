//! Step `counters`: a counter many threads increment at once, exactly.
//!
//! `count += 1` is three steps — read, add, write. Two threads that read the
//! same value both write value + 1, and one increment is lost. Safe Rust
//! refuses to compile an unsynchronised shared `u64`, so you must pick a
//! tool:
//!
//! - an atomic integer, whose `fetch_add` reads, adds and writes as one
//!   indivisible step;
//! - a `Mutex`, which lets one thread at a time do all three steps.
//!
//! The grader has 8 threads call `increment` 200,000 times each and expects
//! `get()` to say exactly 1,600,000.

/// A counter built on one atomic integer (`std::sync::atomic::AtomicU64`).
///
/// Which memory `Ordering`? Only the count itself must be exact; no other
/// data is published through it. Read the docs of `Ordering::Relaxed`.
#[derive(Debug)]
pub struct AtomicCounter {
    // TODO: the field that holds the count.
}

impl AtomicCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        todo!("create an AtomicCounter at zero")
    }

    /// Add one. Must be correct when called from many threads at once, and
    /// takes `&self`, not `&mut self`: that is what lets threads share it.
    pub fn increment(&self) {
        todo!("add one atomically")
    }

    /// The current count.
    pub fn get(&self) -> u64 {
        todo!("read the count")
    }
}

impl Default for AtomicCounter {
    fn default() -> Self {
        Self::new()
    }
}

/// A counter whose `u64` lives inside a `std::sync::Mutex`.
///
/// Slower than the atomic, but the same pattern protects any data, not just
/// one integer: lock, change, unlock (the guard unlocks when dropped).
#[derive(Debug)]
pub struct MutexCounter {
    // TODO: the field that holds the count.
}

impl MutexCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        todo!("create a MutexCounter at zero")
    }

    /// Add one, holding the lock for the whole read-add-write.
    pub fn increment(&self) {
        todo!("lock, add one")
    }

    /// The current count.
    pub fn get(&self) -> u64 {
        todo!("lock, read")
    }
}

impl Default for MutexCounter {
    fn default() -> Self {
        Self::new()
    }
}
