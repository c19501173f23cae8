//! A Mutex that counts how often it is locked: a probe for "is this thread
//! sleeping or polling?".
//!
//! A thread waiting on a `Condvar` takes no lock while it sleeps
//! (`Condvar::wait` re-takes the lock inside std). A thread that *polls* —
//! locks, looks, unlocks, naps, locks again — may use very little CPU, so the
//! cores-used meter cannot tell it apart; its locks can. [`Mutex`] is
//! `std::sync::Mutex` plus one relaxed counter increment per `lock`, and its
//! guards are std's, so `std::sync::Condvar` works with it unchanged.
//! Exercises export it in place of std's (their `src/sync.rs`), and tests read
//! [`lock_count`] before and after a window in which threads should be asleep.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LockResult, MutexGuard, TryLockResult};

/// Every lock of every [`Mutex`] in the process. Relaxed: it is a
/// statistic, read while the threads that change it are asleep.
static LOCKS: AtomicU64 = AtomicU64::new(0);

/// How many times a [`Mutex`] from this module has been locked so far.
pub fn lock_count() -> u64 {
    LOCKS.load(Ordering::Relaxed)
}

/// `std::sync::Mutex`, counting its `lock` and `try_lock` calls. The
/// guards are std's, so `std::sync::Condvar` works with them as usual.
#[derive(Default)]
pub struct Mutex<T: ?Sized> {
    inner: std::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    pub const fn new(value: T) -> Self {
        Mutex {
            inner: std::sync::Mutex::new(value),
        }
    }

    /// The value, taking the mutex apart.
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Wait for the lock and take it (see `std::sync::Mutex::lock`).
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        LOCKS.fetch_add(1, Ordering::Relaxed);
        self.inner.lock()
    }

    /// Take the lock if it is free (see `std::sync::Mutex::try_lock`).
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        LOCKS.fetch_add(1, Ordering::Relaxed);
        self.inner.try_lock()
    }

    /// The value, through a unique reference: no locking needed.
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Condvar};
    use std::time::Duration;

    #[test]
    fn locks_are_counted_and_condvar_waits_are_not() {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let waiter = std::thread::spawn({
            let pair = Arc::clone(&pair);
            move || {
                let (ready, woken) = &*pair;
                let mut ready = ready.lock().unwrap();
                while !*ready {
                    ready = woken.wait(ready).unwrap();
                }
            }
        });
        std::thread::sleep(Duration::from_millis(50));
        // The waiter is asleep on the Condvar: nothing locks meanwhile.
        let before = lock_count();
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(lock_count(), before);
        *pair.0.lock().unwrap() = true;
        pair.1.notify_one();
        waiter.join().unwrap();
        assert!(lock_count() > before);
    }
}
