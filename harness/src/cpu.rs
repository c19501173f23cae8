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

/// What one child process used, as the kernel hands it over when the
/// child is reaped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChildUsage {
    /// User + system CPU time, with that of the children it waited for.
    pub cpu: Duration,
    /// Its peak resident set, in bytes (the largest of its own and of the
    /// children it waited for).
    pub max_rss_bytes: u64,
}

/// Wait for `child` to end with `wait4`, which, unlike `Child::wait`, also
/// hands back *that* child's resource usage: `getrusage(RUSAGE_CHILDREN)`
/// adds up every child reaped so far, by whichever thread, and keeps only
/// the largest peak memory any of them ever had.
///
/// The caller must not wait for `child` in any other way afterwards: once
/// reaped, its pid is no longer this process's (std's `Child` waits only
/// when asked to, and does not on drop). On an error the child was not
/// reaped.
#[cfg(unix)]
pub fn wait_with_usage(
    child: &std::process::Child,
) -> std::io::Result<(std::process::ExitStatus, ChildUsage)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: `status` and `usage` are valid for writes; `pid` is a
        // child of this process that nothing else waits for (the caller's
        // contract above).
        let rc = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // SAFETY: wait4 returned the pid, so it filled `usage` in.
    let usage = unsafe { usage.assume_init() };
    let time = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
    };
    Ok((
        std::process::ExitStatus::from_raw(status),
        ChildUsage {
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            // Linux reports ru_maxrss in KiB.
            max_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        },
    ))
}

/// CPU time this thread alone has used so far.
#[cfg(unix)]
pub fn thread_cpu_time() -> Duration {
    let mut now = std::mem::MaybeUninit::<libc::timespec>::zeroed();
    // SAFETY: `now` is a valid, writable timespec; the thread CPU clock always
    // exists on the platforms libc supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, now.as_mut_ptr()) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    // SAFETY: clock_gettime returned 0, so the struct is initialised.
    let now = unsafe { now.assume_init() };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// How often the threads of this process (living and ended) have gone to
/// sleep and been woken again: the kernel's count of *voluntary* context
/// switches. A thread blocked on a Condvar, a channel or a socket adds one
/// per wake-up; a thread that naps in a loop adds one per nap. So the
/// number tells sleeping-until-woken from polling, where CPU time cannot
/// (a nap costs almost none).
#[cfg(unix)]
pub fn wakeups() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: as in `rusage`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage failed");
    // SAFETY: getrusage returned 0, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    usage.ru_nvcsw as u64
}

/// This thread's id as the kernel knows it (what `/proc/self/task/` lists).
#[cfg(target_os = "linux")]
pub fn current_tid() -> i32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}

/// How often thread `tid` of this process has gone to sleep and been woken
/// (its voluntary context switches), from `/proc/self/task/<tid>/status`.
/// `None` where the platform cannot say, or once the thread has ended.
///
/// Per thread, where [`wakeups`] is per process: a check that knows which
/// threads should be asleep (a producer blocked on a full queue) can count
/// exactly theirs, whatever the rest of the process does meanwhile.
pub fn thread_wakeups(tid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
    line["voluntary_ctxt_switches:".len()..].trim().parse().ok()
}

/// CPU time thread `tid` of this process has used so far, from
/// `/proc/self/task/<tid>/schedstat` (nanoseconds). `None` where the
/// platform cannot say, or once the thread has ended.
pub fn thread_cpu_time_of(tid: i32) -> Option<Duration> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// CPU time the whole machine has spent busy so far — every process,
/// the kernel and, on a virtual machine, time the host took away ("steal")
/// — counted over the CPUs this process may run on. From Linux's
/// `/proc/stat`, in clock ticks (usually 10 ms); `None` elsewhere.
///
/// Busy time minus this process's own CPU time, over the same interval, is
/// what *other* programs used: the part of the machine a measurement here
/// could not have had. See [`Usage::others_cores`].
pub fn machine_busy_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let allowed = allowed_cpus();
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks_per_second = u64::try_from(ticks_per_second).ok().filter(|&t| t > 0)?;
    let mut ticks = 0u64;
    let mut counted = 0usize;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        // "cpu  ..." is the total, skipped; "cpu3 ..." one CPU.
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let mut fields = rest.split_whitespace();
        let Some(Ok(cpu)) = fields.next().map(str::parse::<usize>) else {
            continue;
        };
        if allowed.as_ref().is_some_and(|a| !a.contains(&cpu)) {
            continue;
        }
        let values: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal (guest time is
        // already inside user): everything but idle and iowait is busy.
        if values.len() < 8 {
            continue;
        }
        ticks += values[0] + values[1] + values[2] + values[5] + values[6] + values[7];
        counted += 1;
    }
    if counted == 0 {
        return None;
    }
    Some(Duration::from_nanos(
        ticks.saturating_mul(1_000_000_000) / ticks_per_second,
    ))
}

/// How many CPUs this process may run on, where the platform can say:
/// the CPUs [`machine_busy_time`] adds up. Can be more than
/// [`available_cores`] in a container with a CPU quota.
pub fn allowed_cpu_count() -> Option<usize> {
    allowed_cpus().map(|cpus| cpus.len()).filter(|&n| n > 0)
}

/// The CPUs this process may run on (its affinity mask), where the
/// platform can say.
fn allowed_cpus() -> Option<Vec<usize>> {
    #[cfg(target_os = "linux")]
    {
        let mut set = std::mem::MaybeUninit::<libc::cpu_set_t>::zeroed();
        // SAFETY: `set` is a valid, writable cpu_set_t of the size passed.
        let rc = unsafe {
            libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set.as_mut_ptr())
        };
        if rc != 0 {
            return None;
        }
        // SAFETY: sched_getaffinity returned 0, so the set is initialised.
        let set = unsafe { set.assume_init() };
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            // SAFETY: `cpu` is below CPU_SETSIZE, the size of the set.
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect();
        Some(cpus)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// What one measured run cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Elapsed real time.
    pub wall: Duration,
    /// CPU time of the whole process over the same interval.
    pub cpu: Duration,
    /// CPU time the whole machine was busy over the same interval (this
    /// process included), where the platform can say.
    pub machine: Option<Duration>,
    /// Voluntary context switches of this process over the interval (see
    /// [`wakeups`]).
    pub wakeups: u64,
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

impl Usage {
    /// Cores that *other* programs kept busy, on average, while this was
    /// measured: 0 on a quiet machine, 1.0 when something else held a
    /// whole core. `None` where the platform cannot tell.
    pub fn others_cores(&self) -> Option<f64> {
        let machine = self.machine?;
        let wall = self.wall.as_secs_f64();
        if wall == 0.0 {
            return Some(0.0);
        }
        Some(machine.saturating_sub(self.cpu).as_secs_f64() / wall)
    }

    /// Cores this process could have used: the CPUs it may run on less
    /// what other programs took, but never more than it may use (a
    /// container's quota: `available_cores`). The available cores where
    /// that is unknown.
    pub fn free_cores(&self) -> f64 {
        let cores = available_cores() as f64;
        let cpus = allowed_cpu_count().map_or(cores, |n| n as f64);
        (cpus - self.others_cores().unwrap_or(0.0)).clamp(0.0, cores)
    }
}

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
    machine: Option<Duration>,
    wakeups: u64,
}

impl Meter {
    /// Start measuring now.
    pub fn start() -> Self {
        Meter {
            machine: machine_busy_time(),
            wakeups: wakeups(),
            cpu: process_cpu_time(),
            wall: Instant::now(),
        }
    }

    /// What the process used since [`Meter::start`].
    pub fn stop(&self) -> Usage {
        let wall = self.wall.elapsed();
        let cpu = process_cpu_time().saturating_sub(self.cpu);
        let machine = match (self.machine, machine_busy_time()) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before)),
            _ => None,
        };
        Usage {
            wall,
            cpu,
            machine,
            wakeups: wakeups().saturating_sub(self.wakeups),
        }
    }
}

/// Cores used over time: this process's CPU time sampled every `period` on
/// a thread of its own while `f` runs. Where [`Usage::cores_used`] gives
/// the average, the timeline shows *when*: code that keeps two cores busy
/// for half its run and one core for the other half averages 1.5, and
/// the timeline shows the half it ran alone.
///
/// The kernel brings the CPU time of a process's *other* running threads up
/// to date only at each scheduler tick (every 1–10 ms), so one sample can
/// be a tick ahead or behind: samples are taken on fixed deadlines, and
/// [`Timeline::idle`] judges pairs of them.
pub fn measure_timeline<T>(period: Duration, f: impl FnOnce() -> T) -> (T, Usage, Timeline) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    let meter = Meter::start();
    std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut samples = vec![(Duration::ZERO, Duration::ZERO)];
            let mut next = meter.wall + period;
            while !stop.load(Ordering::Relaxed) {
                // On deadlines, not after each sample: no drift against the
                // tick.
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
                next += period;
                samples.push((
                    meter.wall.elapsed(),
                    process_cpu_time().saturating_sub(meter.cpu),
                ));
            }
            samples
        });
        let value = f();
        let usage = meter.stop();
        stop.store(true, Ordering::Relaxed);
        let mut samples = sampler.join().expect("the timeline sampler panicked");
        // End exactly where the measured run ended, from the same origin.
        samples.retain(|(at, _)| *at < usage.wall);
        samples.push((usage.wall, usage.cpu));
        (value, usage, Timeline { samples })
    })
}

/// Cores busy over time (see [`measure_timeline`]).
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// (time since the start, CPU time since the start), in time order.
    samples: Vec<(Duration, Duration)>,
}

impl Timeline {
    /// Each sampling interval: (start, end, cores busy in it).
    pub fn intervals(&self) -> Vec<(Duration, Duration, f64)> {
        Self::spans(&self.samples, 1)
    }

    /// Intervals of `step` samples each (the last one possibly shorter).
    fn spans(samples: &[(Duration, Duration)], step: usize) -> Vec<(Duration, Duration, f64)> {
        let mut spans = Vec::new();
        let mut i = 0;
        while i + 1 < samples.len() {
            let j = (i + step).min(samples.len() - 1);
            let (from, to) = (samples[i], samples[j]);
            if to.0 > from.0 {
                let wall = (to.0 - from.0).as_secs_f64();
                let cpu = to.1.saturating_sub(from.1).as_secs_f64();
                spans.push((from.0, to.0, cpu / wall));
            }
            i = j;
        }
        spans
    }

    /// How long fewer than `cores` cores were busy, judged over pairs of
    /// samples (see [`measure_timeline`]), and over how many separate
    /// stretches.
    pub fn time_below(&self, cores: f64) -> (Duration, usize) {
        let mut total = Duration::ZERO;
        let mut stretches = 0;
        let mut inside = false;
        for (start, end, busy) in Self::spans(&self.samples, 2) {
            if busy < cores {
                total += end - start;
                if !inside {
                    stretches += 1;
                }
                inside = true;
            } else {
                inside = false;
            }
        }
        (total, stretches)
    }

    /// How long, and in how many stretches, the cores were not all busy: on
    /// 2 cores, fewer than 1.5 busy; on more, fewer than three quarters of
    /// them (one core idle among eight is noise, not a tail).
    pub fn idle(&self) -> (Duration, usize) {
        self.time_below(idle_below(available_cores()))
    }

    /// The share of the run [`Timeline::idle`] covers.
    pub fn idle_share(&self) -> f64 {
        self.idle().0.as_secs_f64() / self.wall().as_secs_f64().max(1e-9)
    }

    /// The whole run's length.
    pub fn wall(&self) -> Duration {
        self.samples.last().map_or(Duration::ZERO, |s| s.0)
    }
}

/// Cores busy below which a moment counts as "not all busy" on a machine of
/// `cores` (see [`Timeline::idle`]).
pub fn idle_below(cores: usize) -> f64 {
    let cores = cores as f64;
    (cores - 0.5).min(0.75 * cores)
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

    /// Judge a measurement the way graded checks do (see `crate::busy`):
    /// a failing reading taken while other programs were busy is measured
    /// again after the machine calms down, and if it stays unclear the
    /// test says so and ends without a verdict.
    fn judged(
        what: &str,
        ok: impl Fn(&Usage) -> bool,
        mut measure: impl FnMut() -> Usage,
    ) -> Option<Usage> {
        use crate::busy::{Reading, retry, timing};
        let reading = retry(3, |_| {
            let usage = measure();
            timing(ok(&usage), &usage, usage)
        });
        match reading {
            Reading::Pass(usage) => Some(usage),
            Reading::Fail(usage) => panic!("{what}: {usage:?} on a quiet machine"),
            Reading::Unclear(usage) => {
                crate::grade::inconclusive(crate::busy::inconclusive_message(
                    &format!("{what} ran"),
                    &usage,
                    3,
                ));
                None
            }
        }
    }

    #[test]
    fn a_busy_thread_uses_one_core() {
        let _cpu = crate::exclusive::cpu();
        // Below 1 when another program shares the core, never much above.
        judged(
            "one busy thread",
            |u| (0.8..1.3).contains(&u.cores_used()),
            || measure(|| spin(Duration::from_millis(300))).1,
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
        // Counting only the calling thread would give ~0 (it just waits in
        // the scope), counting one thread ~1. On a quiet machine every
        // thread's CPU time is summed: well above one core.
        judged(
            &format!("{n} busy threads"),
            |u| u.cores_used() > 0.8 * n as f64,
            || {
                measure(|| {
                    std::thread::scope(|s| {
                        for _ in 0..n {
                            s.spawn(|| spin(Duration::from_millis(300)));
                        }
                    })
                })
                .1
            },
        );
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
        assert!(own.cores_used() < 0.3, "the parent only waited: {own:?}");
        judged(
            "a busy child process",
            |u| u.cores_used() > 0.5,
            || measure_with_children(spin).1,
        );
    }

    #[test]
    fn other_programs_are_counted_as_others() {
        let _cpu = crate::exclusive::cpu();
        if machine_busy_time().is_none() {
            eprintln!("skipped: no /proc/stat here");
            return;
        }
        // A child process spins; this process only waits for it. To the
        // meter (which does not add children here) that is another
        // program holding about one core.
        let (_, usage) = measure(|| {
            std::process::Command::new("sh")
                .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
                .status()
                .expect("sh runs")
        });
        let others = usage.others_cores().expect("measured");
        assert!(
            others > 0.6,
            "a spinning child should show as another program: {usage:?}"
        );
        assert!(usage.free_cores() <= available_cores() as f64 - 0.6);
    }

    #[test]
    fn the_timeline_shows_when_only_one_core_was_busy() {
        let _cpu = crate::exclusive::cpu();
        let n = available_cores();
        if n < 2 {
            eprintln!("skipped: one core available");
            return;
        }
        // Half the run on every core, half on one.
        let run = || {
            measure_timeline(Duration::from_millis(20), || {
                std::thread::scope(|s| {
                    for _ in 0..n {
                        s.spawn(|| spin(Duration::from_millis(200)));
                    }
                });
                spin(Duration::from_millis(200));
            })
        };
        use crate::busy::{Reading, is_quiet, retry};
        // All n cores for the first half, one for the second: about
        // (n + 1) / 2 cores over the run. A run that got much less did not
        // have the cores (another program, or the host taking a virtual CPU
        // away, which no load figure inside the machine shows): its shape
        // cannot be judged, so it is measured again, and only a run that
        // had the cores and still shows the wrong shape fails.
        let expected = (n as f64 + 1.0) / 2.0;
        let reading = retry(3, |_| {
            let (_, usage, timeline) = run();
            let share = timeline.idle_share();
            let (_, stretches) = timeline.idle();
            let shaped = (0.35..0.7).contains(&share) && stretches >= 1;
            let had_the_cores = is_quiet(&usage) && usage.cores_used() > 0.9 * expected;
            let seen = (share, stretches, usage.cores_used());
            if shaped {
                Reading::Pass(seen)
            } else if had_the_cores {
                Reading::Fail(seen)
            } else {
                Reading::Unclear(seen)
            }
        });
        match reading {
            Reading::Pass(_) => {}
            Reading::Fail((share, stretches, cores)) => panic!(
                "one core busy for {share:.2} of the run ({stretches} idle stretches) with \
                 {cores:.2} cores used"
            ),
            Reading::Unclear((share, _, cores)) => crate::grade::inconclusive(format!(
                "a half-parallel run: one core busy for {share:.2} of it, {cores:.2} cores used \
                 of about {expected:.1}: the machine did not give it every core, three times"
            )),
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_asleep_is_not_woken_and_a_napping_one_is() {
        use std::sync::mpsc;
        // One channel per thread: which of the two starts first is up to
        // the OS, and the test must know which tid is whose.
        let (sleeper_tx, sleeper_tid) = mpsc::channel();
        let (napper_tx, napper_tid) = mpsc::channel();
        let (stop_tx, stop) = mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            sleeper_tx.send(current_tid()).unwrap();
            // Asleep until told: one wake-up at the end.
            let _ = stop.recv();
        });
        let napper = std::thread::spawn(move || {
            napper_tx.send(current_tid()).unwrap();
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let (a, b) = (sleeper_tid.recv().unwrap(), napper_tid.recv().unwrap());
        std::thread::sleep(Duration::from_millis(20));
        let before = (thread_wakeups(a), thread_wakeups(b));
        napper.join().unwrap();
        let sleeper_now = thread_wakeups(a);
        assert!(thread_cpu_time_of(a).is_some());
        stop_tx.send(()).unwrap();
        sleeper.join().unwrap();
        let (Some(a0), Some(a1)) = (before.0, sleeper_now) else {
            panic!("no per-thread counts on Linux?");
        };
        assert!(a1 - a0 <= 1, "a sleeping thread woke {} times", a1 - a0);
        // The napper is gone: its count can no longer be read...
        assert_eq!(thread_wakeups(b), None);
        // ...but the process-wide count kept its naps.
        assert!(wakeups() >= 40);
    }

    #[test]
    fn cores_used_of_an_empty_interval_is_zero() {
        let usage = Usage {
            wall: Duration::ZERO,
            cpu: Duration::ZERO,
            machine: None,
            wakeups: 0,
        };
        assert_eq!(usage.cores_used(), 0.0);
    }
}
