//! Lesson `overhead`: what one OS thread, one tokio task and one process
//! cost to start and to keep alive, measured here instead of quoted.
//!
//! The usual table says a thread costs megabytes and a coroutine kilobytes.
//! This lesson starts N of each, keeps them all alive and waiting at once,
//! and measures the time per spawn and the memory per unit:
//!
//! - *resident*: pages actually in RAM (for processes: the children's
//!   proportional set size, so shared library pages are not counted N
//!   times);
//! - *reserved*: address space set aside (a thread's whole stack is reserved
//!   at spawn, but only the pages it touches become resident).
//!
//! Run: `cargo run -p concepts -- overhead` (Linux: memory figures come from
//! `/proc`; elsewhere they are reported as unavailable).

use crate::{Lesson, row};
use cli::human::{bytes, duration};
use harness::alloc::live_bytes;
use harness::cpu::{Meter, Usage};
use harness::memory::{pss_bytes, resident_bytes, virtual_bytes};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What `units` living units of one kind cost.
#[derive(Debug, Clone)]
pub struct Cost {
    pub kind: &'static str,
    pub units: usize,
    /// Time and CPU to start them all.
    pub spawn: Usage,
    /// Extra resident memory with all of them alive, if measurable.
    pub resident: Option<u64>,
    /// Extra reserved address space with all of them alive, if measurable
    /// and meaningful (threads: their stacks).
    pub reserved: Option<u64>,
    /// Extra live heap bytes, where the counting allocator is installed
    /// (tasks live on the heap; resident size is too coarse for them).
    pub heap: Option<u64>,
}

/// How long to wait for spawned units to report that they are running.
const START_LIMIT: Duration = Duration::from_secs(60);

/// Memory now, as (resident, virtual), when /proc can tell.
fn memory() -> (Option<u64>, Option<u64>) {
    (resident_bytes(), virtual_bytes())
}

fn grown(before: Option<u64>, after: Option<u64>) -> Option<u64> {
    Some(after?.saturating_sub(before?))
}

/// Wait until `started` reaches `units`, or fail after [`START_LIMIT`].
fn wait_started(started: &AtomicUsize, units: usize, kind: &str) -> Result<(), String> {
    let deadline = Instant::now() + START_LIMIT;
    while started.load(Ordering::SeqCst) < units {
        if Instant::now() > deadline {
            return Err(format!(
                "{kind}: only {started:?} of {units} started in time"
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

// ANCHOR: threads
/// `units` OS threads, all alive and blocked at once.
pub fn threads(units: usize) -> Result<Cost, String> {
    // Every thread waits on this channel; dropping the sender releases them
    // all. Nothing is ever sent.
    let (release, released) = crossbeam::channel::bounded::<()>(0);
    let started = Arc::new(AtomicUsize::new(0));
    let (resident_before, reserved_before) = memory();
    let meter = Meter::start();
    let mut handles = Vec::with_capacity(units);
    let mut failure = None;
    for i in 0..units {
        let (released, started) = (released.clone(), Arc::clone(&started));
        let spawned = std::thread::Builder::new().spawn(move || {
            started.fetch_add(1, Ordering::SeqCst);
            let _ = released.recv();
        });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                failure = Some(format!("could not start thread {} of {units}: {e}", i + 1));
                break;
            }
        }
    }
    let spawn = meter.stop();
    let ready = match failure {
        Some(why) => Err(why),
        None => wait_started(&started, units, "threads"),
    };
    let (resident_after, reserved_after) = memory();
    // Release and join every thread that did start, whatever happened.
    drop(release);
    for handle in handles {
        let _ = handle.join();
    }
    ready?;
    Ok(Cost {
        kind: "OS threads",
        units,
        spawn,
        resident: grown(resident_before, resident_after),
        reserved: grown(reserved_before, reserved_after),
        heap: None,
    })
}
// ANCHOR_END: threads

/// `units` tokio tasks on one runtime thread, all alive and waiting at once.
pub fn tasks(units: usize) -> Cost {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("cannot build a tokio runtime");
    runtime.block_on(async {
        // A semaphore with no permits: every task waits on it until it is
        // closed.
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::with_capacity(units);
        let heap_before = live_bytes();
        let meter = Meter::start();
        handles.extend((0..units).map(|_| {
            let (gate, started) = (Arc::clone(&gate), Arc::clone(&started));
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                let _ = gate.acquire().await;
            })
        }));
        let spawn = meter.stop();
        // On one thread, the tasks run only when this one yields.
        while started.load(Ordering::SeqCst) < units {
            tokio::task::yield_now().await;
        }
        let heap_after = live_bytes();
        gate.close();
        for handle in handles {
            let _ = handle.await;
        }
        Cost {
            kind: "tokio tasks",
            units,
            spawn,
            resident: None,
            reserved: None,
            heap: grown(heap_before, heap_after),
        }
    })
}

/// Arguments that make this program an idle worker (see [`run_idle_worker`]).
pub const IDLE_WORKER: [&str; 2] = ["__worker", "idle"];

/// Be an idle worker process: say "ready", then wait until stdin closes.
pub fn run_idle_worker() -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let mut sink = Vec::new();
    std::io::stdin().read_to_end(&mut sink)?;
    Ok(())
}

/// `units` child processes running `exe` as idle workers, all alive at once.
pub fn processes(exe: &Path, units: usize) -> Result<Cost, String> {
    raise_open_file_limit();
    let resident_before = resident_bytes();
    let meter = Meter::start();
    let mut children: Vec<Child> = Vec::with_capacity(units);
    let mut ready = Ok(());
    for i in 0..units {
        let spawned = Command::new(exe)
            .args(IDLE_WORKER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                ready = Err(format!("could not start process {} of {units}: {e}", i + 1));
                break;
            }
        };
        // Wait for its "ready" (so "to start" means up and running), then
        // close our end of its stdout: one pipe per child (its stdin) is
        // all that keeps it waiting, which halves the file descriptors
        // held for ten thousand children.
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        let answered = BufReader::new(stdout).read_line(&mut line);
        children.push(child);
        if answered.is_err() || line.trim() != "ready" {
            ready = Err(format!("worker process {} did not start ({line:?})", i + 1));
            break;
        }
    }
    let spawn = meter.stop();
    let children_pss: Option<u64> = children.iter().map(|c| pss_bytes(c.id())).sum();
    let resident_after = resident_bytes();
    // Closing their stdin ends them; wait for every one, whatever happened.
    for child in &mut children {
        drop(child.stdin.take());
    }
    for mut child in children {
        let _ = child.wait();
    }
    ready?;
    // The children's own memory, plus what holding them costs this process
    // (pipes, handles).
    let resident = match (children_pss, grown(resident_before, resident_after)) {
        (Some(pss), Some(own)) => Some(pss + own),
        _ => None,
    };
    Ok(Cost {
        kind: "processes",
        units,
        spawn,
        resident,
        reserved: None,
        heap: None,
    })
}

/// Holding thousands of children means holding thousands of pipes: lift
/// the soft limit on open files to the hard one, as far as the system
/// allows (failing that, the count that cannot be reached is reported).
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the one struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// "12.6 kB" each, or "n/a" where the platform could not tell.
fn per_unit(total: Option<u64>, units: usize) -> String {
    match total {
        Some(total) => bytes(total / units.max(1) as u64),
        None => "n/a".into(),
    }
}

/// "each: 12.0 µs to start, 13.9 kB resident, 2.10 MB reserved".
fn memory_detail(cost: &Cost, spawn: Duration) -> String {
    let mut parts = vec![format!("each: {} to start", duration(spawn))];
    for (what, bytes) in [
        ("resident", cost.resident),
        ("reserved", cost.reserved),
        ("heap", cost.heap),
    ] {
        if let Some(bytes) = bytes {
            parts.push(format!("{} {what}", per_unit(Some(bytes), cost.units)));
        }
    }
    if parts.len() == 1 {
        parts.push("memory not measurable here".into());
    }
    parts.join(", ")
}

/// The lesson's table: each kind at each count.
///
/// A kind that cannot reach a count here (the kernel's limits on threads or
/// processes per user) gets a row saying so instead of failing the lesson.
pub fn lesson(exe: &Path, counts: &[usize], process_counts: &[usize]) -> Lesson {
    let mut costs = Vec::new();
    let mut refused = Vec::new();
    for &units in counts {
        match threads(units) {
            Ok(cost) => costs.push(cost),
            Err(why) => refused.push((format!("OS threads × {units}"), why)),
        }
        costs.push(tasks(units));
    }
    for &units in process_counts {
        match processes(exe, units) {
            Ok(cost) => costs.push(cost),
            Err(why) => refused.push((format!("processes × {units}"), why)),
        }
    }
    let mut rows: Vec<crate::Row> = costs
        .iter()
        .map(|cost| {
            let spawn = cost.spawn.wall.div_f64(cost.units.max(1) as f64);
            row(
                format!("{} × {}", cost.kind, cost.units),
                cost.spawn,
                None,
                memory_detail(cost, spawn),
            )
        })
        .collect();
    rows.extend(refused.into_iter().map(|(strategy, why)| {
        crate::Row::new(strategy, 0.0, None, 0.0, format!("not measured: {why}"))
    }));
    Lesson {
        name: "overhead",
        question: "What does one thread, one task, one process cost?",
        rows,
        takeaway: "Compare the per-unit figures: a task lives on the heap, a thread reserves \
                   its whole stack but keeps only the pages it touches resident, a process \
                   carries a whole program. (wall = time to start them all.)",
        runs: 1,
    }
}

/// CPython's threads, asyncio tasks and processes, from
/// `python/overhead.py`.
pub fn python(counts: &[usize], process_counts: &[usize]) -> Result<Vec<crate::Row>, String> {
    let list = |counts: &[usize]| {
        counts
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    crate::python::rows(
        "overhead.py",
        &[
            "--units".into(),
            list(counts),
            "--processes".into(),
            list(process_counts),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_and_tasks_are_all_started_and_released() {
        let cost = threads(50).unwrap();
        assert_eq!((cost.kind, cost.units), ("OS threads", 50));
        let cost = tasks(500);
        assert_eq!((cost.kind, cost.units), ("tokio tasks", 500));
        assert!(cost.spawn.wall > Duration::ZERO);
    }

    #[test]
    fn per_unit_sizes_read_well() {
        assert_eq!(per_unit(Some(10 * 1024), 10), "1.02 kB");
        assert_eq!(per_unit(Some(8_400_000), 4), "2.10 MB");
        assert_eq!(per_unit(None, 4), "n/a");
    }

    #[test]
    fn the_python_rows_come_back_or_say_why_not() {
        match python(&[20], &[2]) {
            Ok(rows) => {
                let names: Vec<_> = rows.iter().map(|r| r.strategy.as_str()).collect();
                assert_eq!(
                    names,
                    [
                        "python: threads × 20",
                        "python: asyncio tasks × 20",
                        "python: processes × 2"
                    ]
                );
                assert!(rows.iter().all(|r| r.speedup.is_none()));
            }
            Err(why) => assert!(why.contains("python3"), "{why}"),
        }
    }

    #[test]
    fn a_missing_worker_program_is_a_clear_error() {
        let err = processes(Path::new("/nonexistent/concepts"), 3).unwrap_err();
        assert!(err.contains("could not start process 1 of 3"), "{err}");
    }
}
