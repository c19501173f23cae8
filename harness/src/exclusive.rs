//! One CPU-measuring section at a time, across threads *and* processes.
//!
//! `cargo test` runs the tests of one binary on parallel threads, and
//! `cargo nextest` runs them as parallel processes. Two tests that both
//! measure "cores used" would each see the other's CPU time (same process) or
//! lose cores to it (other process). [`cpu`] takes a lock on a file in the
//! temporary directory with `flock`, which excludes both: separate opens of
//! the same file conflict even within one process.
//!
//! The lock is released when the guard is dropped, and by the kernel if the
//! process dies, so a crashed or killed test never leaves it held.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

/// Holds the CPU lock until dropped.
#[derive(Debug)]
pub struct CpuGuard {
    // The open file *is* the lock: closing it (on drop) releases the flock.
    _file: File,
}

/// Where the lock lives: one well-known file shared by every test binary of
/// this project on the machine.
pub fn lock_path() -> PathBuf {
    std::env::temp_dir().join("when-to-use-what.cpu.lock")
}

/// Wait until no other CPU-measuring section runs, then hold the lock.
///
/// Every graded test takes it (see [`crate::grade::step`]), so graded tests
/// never overlap each other, whatever the test runner does.
pub fn cpu() -> CpuGuard {
    let path = lock_path();
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open the CPU lock file {}: {e}", path.display()));
    lock(&file);
    CpuGuard { _file: file }
}

#[cfg(unix)]
fn lock(file: &File) {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: the descriptor is valid for as long as `file` lives.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc == 0 {
            return;
        }
        let err = std::io::Error::last_os_error();
        // A signal can interrupt the wait; anything else is a real failure.
        if err.kind() != std::io::ErrorKind::Interrupted {
            panic!("cannot lock {}: {err}", lock_path().display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn sections_never_overlap() {
        static INSIDE: AtomicUsize = AtomicUsize::new(0);
        static PEAK: AtomicUsize = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..5 {
                        let _guard = cpu();
                        let now = INSIDE.fetch_add(1, Ordering::SeqCst) + 1;
                        PEAK.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(2));
                        INSIDE.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(PEAK.load(Ordering::SeqCst), 1);
    }
}
