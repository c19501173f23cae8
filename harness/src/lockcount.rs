//! A Mutex that counts how often it is locked: a probe for "is this thread
//! sleeping or polling?".
//!
//! A thread waiting on a `Condvar` takes no lock while it sleeps
//! (`Condvar::wait` re-takes the lock inside std). A thread that *polls* —
//! locks, looks, unlocks, naps, locks again — may use very little CPU, so the
//! cores-used meter cannot tell it apart; its locks can. [`Mutex`] is
//! `std::sync::Mutex` plus one relaxed counter increment per `lock`, and its
//! guards are std's, so `std::sync::Condvar` works with it unchanged.
//! Exercises export it in place of std's (their `src/given/sync.rs`), and tests read
//! [`lock_count`] before and after a window in which threads should be asleep.
//!
//! [`Condvar`] is std's plus a count of the waits that time out on their own
//! ([`timed_waits`]): a queue that waits with `wait_timeout` "to be safe"
//! wakes up every period to look again — polling, however long the period.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LockResult, MutexGuard, TryLockResult};

/// Every lock of every [`Mutex`] in the process. Relaxed: it is a
/// statistic, read while the threads that change it are asleep.
static LOCKS: AtomicU64 = AtomicU64::new(0);

/// Waits with a timeout asked of a [`Condvar`] from this module.
static TIMED: AtomicU64 = AtomicU64::new(0);

/// How many waits with a timeout ([`Condvar::wait_timeout`] and
/// [`Condvar::wait_timeout_while`]) have been asked for so far.
pub fn timed_waits() -> u64 {
    TIMED.load(Ordering::Relaxed)
}

/// `std::sync::Condvar`, counting its timed waits. Works with the guards
/// of [`Mutex`] (std's).
#[derive(Debug, Default)]
pub struct Condvar {
    inner: std::sync::Condvar,
}

impl Condvar {
    /// A new condition variable.
    pub const fn new() -> Self {
        Condvar {
            inner: std::sync::Condvar::new(),
        }
    }

    /// See `std::sync::Condvar::wait`.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.inner.wait(guard)
    }

    /// See `std::sync::Condvar::wait_while`.
    pub fn wait_while<'a, T, F: FnMut(&mut T) -> bool>(
        &self,
        guard: MutexGuard<'a, T>,
        condition: F,
    ) -> LockResult<MutexGuard<'a, T>> {
        self.inner.wait_while(guard, condition)
    }

    /// See `std::sync::Condvar::wait_timeout`; counted.
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: std::time::Duration,
    ) -> LockResult<(MutexGuard<'a, T>, std::sync::WaitTimeoutResult)> {
        TIMED.fetch_add(1, Ordering::Relaxed);
        self.inner.wait_timeout(guard, timeout)
    }

    /// See `std::sync::Condvar::wait_timeout_while`; counted.
    pub fn wait_timeout_while<'a, T, F: FnMut(&mut T) -> bool>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: std::time::Duration,
        condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, std::sync::WaitTimeoutResult)> {
        TIMED.fetch_add(1, Ordering::Relaxed);
        self.inner.wait_timeout_while(guard, timeout, condition)
    }

    /// See `std::sync::Condvar::notify_one`.
    pub fn notify_one(&self) {
        self.inner.notify_one()
    }

    /// See `std::sync::Condvar::notify_all`.
    pub fn notify_all(&self) {
        self.inner.notify_all()
    }
}

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
    use std::sync::Arc;
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

    #[test]
    fn timed_waits_are_counted() {
        // std's Mutex: this module's would move the global lock count that
        // the test beside this one watches.
        let (m, c) = (std::sync::Mutex::new(()), Condvar::new());
        let before = timed_waits();
        let guard = m.lock().unwrap();
        let (_guard, result) = c
            .wait_timeout(guard, std::time::Duration::from_millis(1))
            .unwrap();
        assert!(result.timed_out());
        assert_eq!(timed_waits(), before + 1);
    }
}
