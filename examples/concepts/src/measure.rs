//! What a strategy that runs child processes cost, counted exactly: the
//! wall time of the strategy, and the CPU time of the thread that ran it
//! plus that of each process it started, read when that process is reaped
//! (`wait4`). Every one of those processes starts and ends inside the timed
//! window, so their CPU time is CPU time of the window — and "cores used"
//! can never honestly exceed the CPUs they could run on.
//!
//! Why not the process-wide counters (`getrusage(RUSAGE_SELF)` plus the
//! growth of `getrusage(RUSAGE_CHILDREN)`, as `harness::cpu::
//! measure_with_children` does)? They count more than the strategy:
//!
//! - `RUSAGE_CHILDREN` grows by every child reaped in the window, whoever
//!   started it and whenever it ran: a child started before the window (or
//!   by another thread: a test binary runs its tests side by side) adds CPU
//!   time it spent before the window, which is how a row of two processes
//!   can show more cores than the machine has;
//! - `RUSAGE_SELF` counts every thread of this process, including threads
//!   an earlier row left winding down, and the kernel folds a running
//!   thread's time in only at its next tick, so part of it lands in the
//!   next row's window.
//!
//! Run: used by the `processes` and `gil` lessons (`cargo run -p concepts --
//! processes`).

use harness::cpu::{Usage, allowed_cpu_count, available_cores, machine_busy_time, thread_cpu_time};
use std::cell::Cell;
use std::io;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// The processes a strategy starts, and the CPU time of those it reaped.
#[derive(Debug, Default)]
pub struct Children {
    cpu: Cell<Duration>,
    started: Cell<usize>,
    reaped: Cell<usize>,
}

impl Children {
    pub fn new() -> Children {
        Children::default()
    }

    /// Start `command`, counted as one of this strategy's processes.
    pub fn spawn(&self, command: &mut Command) -> io::Result<Child> {
        let child = command.spawn()?;
        self.started.set(self.started.get() + 1);
        Ok(child)
    }

    /// Close `child`'s stdin (if piped: that is how some workers learn to
    /// stop), wait for it to end, and add its CPU time (user + system, with
    /// that of any children it waited for) to the total.
    pub fn wait(&self, mut child: Child) -> io::Result<ExitStatus> {
        drop(child.stdin.take());
        let (status, usage) = harness::cpu::wait_with_usage(&child)?;
        self.cpu.set(self.cpu.get() + usage.cpu);
        self.reaped.set(self.reaped.get() + 1);
        // `child` is dropped here without a second wait: std's `Child` does
        // not wait on drop, and its pid is no longer ours.
        Ok(status)
    }

    /// The CPU time of the processes reaped so far.
    pub fn cpu(&self) -> Duration {
        self.cpu.get()
    }

    /// Processes started and not (yet) reaped: their CPU time is missing.
    pub fn unreaped(&self) -> usize {
        self.started.get().saturating_sub(self.reaped.get())
    }
}

/// Run `f`, which starts its processes with the [`Children`] it is given
/// and reaps them with it, and report its result with what it cost: wall
/// time, and the CPU time of this thread and of those processes.
///
/// Only this thread's own CPU time is counted for this process: a strategy
/// measured this way does its side of the work (writing to pipes, waiting)
/// on the calling thread, and other threads of the program are not its.
pub fn measure_processes<T>(f: impl FnOnce(&Children) -> T) -> (T, Usage) {
    let children = Children::new();
    let machine = machine_busy_time();
    let wakeups = harness::cpu::wakeups();
    let own = thread_cpu_time();
    let start = Instant::now();
    let value = f(&children);
    let wall = start.elapsed();
    let own = thread_cpu_time().saturating_sub(own);
    let machine = match (machine, machine_busy_time()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };
    if children.unreaped() > 0 {
        // An error path that left processes behind: their CPU time is not
        // in the figure (the strategy failed anyway, and says why).
        tracing::debug!(unreaped = children.unreaped(), "processes not reaped");
    }
    let usage = Usage {
        wall,
        cpu: own + children.cpu(),
        machine,
        wakeups: harness::cpu::wakeups().saturating_sub(wakeups),
    };
    (value, usage)
}

/// The most cores this program's work can keep busy at any moment: the
/// CPUs it may run on (its affinity mask). Under a CPU quota (a container
/// limited to 2 of 16 CPUs) that is more than [`available_cores`]: the
/// quota is enforced per period (100 ms by default), so a shorter row may
/// briefly use more CPUs than the quota's average.
pub fn cpus() -> usize {
    allowed_cpu_count().unwrap_or(0).max(available_cores())
}

/// How far a measured "cores used" may exceed [`cpus`] before it is called
/// a wrong measurement rather than rounding: 0.1 core, or 5 % on a machine
/// of more than two.
pub fn cores_tolerance(cpus: usize) -> f64 {
    (0.05 * cpus as f64).max(0.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    fn spin(loops: u32) -> Command {
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                &format!("i=0; while [ $i -lt {loops} ]; do i=$((i+1)); done"),
            ])
            .stdin(Stdio::null());
        command
    }

    #[test]
    fn a_busy_child_is_counted_and_a_waiting_parent_hardly() {
        let _cpu = harness::exclusive::cpu();
        let ((status, child_cpu), usage) = measure_processes(|children| {
            let child = children.spawn(&mut spin(200_000)).unwrap();
            let status = children.wait(child).unwrap();
            (status, children.cpu())
        });
        assert!(status.success());
        // The child spun; this thread only waited: the figure is the
        // child's, and one process keeps at most one core busy.
        assert!(
            child_cpu > Duration::ZERO && usage.cpu >= child_cpu,
            "{usage:?}"
        );
        assert!(
            child_cpu.as_secs_f64() >= 0.8 * usage.cpu.as_secs_f64(),
            "{usage:?}"
        );
        assert!(usage.cores_used() < 1.0 + cores_tolerance(1), "{usage:?}");
    }

    #[test]
    fn a_child_the_strategy_did_not_start_is_not_counted() {
        let _cpu = harness::exclusive::cpu();
        // Started, and spinning, before the window; reaped inside it, as
        // another test's child or an earlier row's would be. The
        // process-wide counter takes all its CPU time (most of it from
        // before the window) into the window; the strategy's count does not.
        let earlier = spin(300_000).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let elsewhere = Children::new();
        let ((_, strategy), process_wide) = harness::cpu::measure_with_children(|| {
            measure_processes(|children| {
                elsewhere.wait(earlier).unwrap();
                let own = children.spawn(&mut spin(1_000)).unwrap();
                children.wait(own).unwrap()
            })
        });
        let foreign = elsewhere.cpu();
        assert!(foreign > Duration::ZERO);
        assert!(
            process_wide.cpu + Duration::from_millis(1) >= strategy.cpu + foreign,
            "RUSAGE_CHILDREN counts the other child: {process_wide:?}, {foreign:?}"
        );
        assert!(
            strategy.cpu + foreign / 2 < process_wide.cpu,
            "the strategy's figure leaves it out: {strategy:?} vs {process_wide:?}"
        );
    }

    #[test]
    fn the_bound_is_at_least_the_available_cores() {
        assert!(cpus() >= available_cores());
        assert_eq!(cores_tolerance(2), 0.1);
        assert!((cores_tolerance(16) - 0.8).abs() < 1e-9);
    }
}
