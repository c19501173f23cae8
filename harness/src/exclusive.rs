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
use std::time::Duration;

/// Holds the CPU lock until dropped.
#[derive(Debug)]
pub struct CpuGuard {
    // The open file *is* the lock: closing it (on drop) releases the flock.
    _file: File,
}

/// How long [`cpu`] waits for the lock before giving up. Graded steps hold
/// it for seconds; a wait this long means something else is stuck holding it.
pub const MAX_WAIT: Duration = Duration::from_secs(180);

/// Where the lock lives: one well-known file per user, shared by every test
/// binary of this project on the machine. Per user, so that on a shared
/// machine one learner's file never blocks (or locks out) another's tests.
pub fn lock_path() -> PathBuf {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir().join(format!("when-to-use-what-{uid}.cpu.lock"))
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
    // Free? Then take it at once, on this thread, with no helper thread that
    // a thread-counting check could see.
    // SAFETY: the descriptor is valid for as long as `file` lives.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return;
    }
    // Waiting must not poll: a test waiting for its turn would otherwise
    // wake up every few milliseconds, and the turn-holder counting its
    // process's wake-ups (`cpu::wakeups`) would see them. So a helper
    // thread blocks in flock on a duplicate of the descriptor (the same
    // open file, so the lock it takes is ours), and this thread sleeps on
    // a channel with a deadline: a process stuck while holding the lock
    // must not make every later test hang.
    let helper_file = file.try_clone().unwrap_or_else(|e| {
        panic!(
            "cannot duplicate the CPU lock file {}: {e}",
            lock_path().display()
        )
    });
    let (done, result) = std::sync::mpsc::channel();
    let helper = std::thread::Builder::new()
        .name("cpu-lock".into())
        .spawn(move || {
            let outcome = loop {
                // SAFETY: the descriptor is valid for as long as
                // `helper_file` lives, which is this whole closure.
                let rc = unsafe { libc::flock(helper_file.as_raw_fd(), libc::LOCK_EX) };
                if rc == 0 {
                    break Ok(());
                }
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::Interrupted {
                    break Err(err);
                }
            };
            let _ = done.send(outcome);
        })
        .expect("cannot start the CPU lock's helper thread");
    match result.recv_timeout(MAX_WAIT) {
        Ok(Ok(())) => {
            // Gone before the caller measures anything.
            let _ = helper.join();
        }
        Ok(Err(err)) => panic!("cannot lock {}: {err}", lock_path().display()),
        Err(_) => panic!(
            "waited {} s for the CPU lock {}: another test process is holding it — is a \
             stuck `cargo test` or `cargo xtask grade` still running?",
            MAX_WAIT.as_secs(),
            lock_path().display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
