//! The cores-used meter: how many cores did a piece of code keep busy?
//!
//! `cores used = process CPU time / wall time`. A sequential loop scores about
//! 1.0 however many threads it *spawned*; code that keeps two cores busy
//! scores about 2.0. It is a ratio measured in one run on one machine, so it
//! means the same thing on a laptop and on a CI box, unlike seconds.
//!
//! The CPU time is the whole process's (user + system, all threads), read with
//! `getrusage(RUSAGE_SELF)`. Anything else running in the same process is
//! counted too, which is why CPU-measuring tests hold [`crate::exclusive`].

use std::time::{Duration, Instant};

/// How many threads the machine can run at once (cores, or the CPU quota of a
/// container). Falls back to 1 when the platform cannot tell.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU time used so far by this whole process: user + system, every thread.
#[cfg(unix)]
pub fn process_cpu_time() -> Duration {
    rusage(libc::RUSAGE_SELF)
}

/// CPU time used so far by this process's child processes that have ended
/// and been waited for (`wait`), with their own children.
#[cfg(unix)]
pub fn children_cpu_time() -> Duration {
    rusage(libc::RUSAGE_CHILDREN)
}

#[cfg(unix)]
fn rusage(who: libc::c_int) -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable `rusage`; getrusage fills it in and
    // cannot fail for RUSAGE_SELF or RUSAGE_CHILDREN with a valid pointer.
    let rc = unsafe { libc::getrusage(who, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage({who}) failed");
    // SAFETY: getrusage returned 0, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    let to_duration = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
    };
    to_duration(usage.ru_utime) + to_duration(usage.ru_stime)
}

/// What one measured run cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Elapsed real time.
    pub wall: Duration,
    /// CPU time of the whole process over the same interval.
    pub cpu: Duration,
}

// ANCHOR: cores_used
impl Usage {
    /// CPU time ÷ wall time: 1.0 for one busy core, 2.0 for two, ~0 for a
    /// thread that sleeps or waits.
    pub fn cores_used(&self) -> f64 {
        let wall = self.wall.as_secs_f64();
        if wall == 0.0 {
            return 0.0;
        }
        self.cpu.as_secs_f64() / wall
    }
}
// ANCHOR_END: cores_used

/// Run `f` and report its result with the wall time and process CPU time it
/// took.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    let meter = Meter::start();
    let value = f();
    (value, meter.stop())
}

/// Like [`measure`], for code that starts child processes and waits for
/// them: their CPU time is counted too, so a row of worker processes shows
/// the cores they kept busy.
pub fn measure_with_children<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    let before = children_cpu_time();
    let (value, mut usage) = measure(f);
    usage.cpu += children_cpu_time().saturating_sub(before);
    (value, usage)
}

/// A running measurement, for intervals that are not one closure (for
/// example "while these threads are blocked").
#[derive(Debug, Clone, Copy)]
pub struct Meter {
    wall: Instant,
    cpu: Duration,
}

impl Meter {
    /// Start measuring now.
    pub fn start() -> Self {
        Meter {
            wall: Instant::now(),
            cpu: process_cpu_time(),
        }
    }

    /// What the process used since [`Meter::start`].
    pub fn stop(&self) -> Usage {
        Usage {
            wall: self.wall.elapsed(),
            cpu: process_cpu_time().saturating_sub(self.cpu),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    fn spin(for_how_long: Duration) -> u64 {
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < for_how_long {
            for i in 0..1000 {
                x = black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        }
        x
    }

    #[test]
    fn a_sleeping_thread_uses_no_core() {
        let _cpu = crate::exclusive::cpu();
        let (_, usage) = measure(|| std::thread::sleep(Duration::from_millis(200)));
        assert!(usage.wall >= Duration::from_millis(200));
        assert!(usage.cores_used() < 0.2, "sleep used {:?}", usage);
    }

    #[test]
    fn a_busy_thread_uses_one_core() {
        let _cpu = crate::exclusive::cpu();
        let (_, usage) = measure(|| spin(Duration::from_millis(300)));
        // Below 1 when another program shares the core, never much above.
        let cores = usage.cores_used();
        assert!(
            (0.4..1.3).contains(&cores),
            "one busy thread: {cores:.2} cores"
        );
    }

    #[test]
    fn busy_threads_on_every_core_are_all_counted() {
        let _cpu = crate::exclusive::cpu();
        let n = available_cores();
        if n < 2 {
            eprintln!("skipped: one core available");
            return;
        }
        let (_, usage) = measure(|| {
            std::thread::scope(|s| {
                for _ in 0..n {
                    s.spawn(|| spin(Duration::from_millis(300)));
                }
            })
        });
        // Counting only the calling thread would give ~0 (it just waits in
        // the scope), counting one thread ~1. Anything clearly above one
        // proves every thread's CPU time is summed, even if another program
        // takes a share of the cores meanwhile.
        let cores = usage.cores_used();
        assert!(cores > 1.2, "{n} busy threads counted as {cores:.2} cores");
    }

    #[test]
    fn a_busy_child_process_is_counted_with_children() {
        let _cpu = crate::exclusive::cpu();
        // A shell loop that spins for a moment in a child process.
        let spin = || {
            std::process::Command::new("sh")
                .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
                .status()
                .expect("sh runs")
        };
        let (_, own) = measure(spin);
        let (_, with_children) = measure_with_children(spin);
        assert!(own.cores_used() < 0.3, "the parent only waited: {own:?}");
        assert!(
            with_children.cores_used() > 0.5,
            "the child's CPU time is counted: {with_children:?}"
        );
    }

    #[test]
    fn cores_used_of_an_empty_interval_is_zero() {
        let usage = Usage {
            wall: Duration::ZERO,
            cpu: Duration::ZERO,
        };
        assert_eq!(usage.cores_used(), 0.0);
    }
}
