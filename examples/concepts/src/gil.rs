//! Lesson `gil`: CPU-bound work on threads, on threads under a simulated
//! global interpreter lock, on processes, and with rayon.
//!
//! CPython runs Python code only while holding its global interpreter lock
//! (GIL), so threads take turns and CPU-bound work gets no faster; the
//! classic answer is `multiprocessing`. Rust has no such lock, and this
//! lesson measures what that buys — and what a GIL would cost — by running
//! the same prime count five ways:
//!
//! - serial, the baseline;
//! - scoped threads (the exercise's `count_primes_threads`);
//! - the same threads, but each holds one global Mutex while it computes a
//!   chunk: a simulated GIL;
//! - child processes: this program re-executes itself as workers
//!   (`concepts __worker primes ...`) and reads their counts from pipes;
//! - rayon.
//!
//! Run: `cargo run -p concepts -- gil` (add `--python` to measure CPython's
//! threads and processes on the same machine in the same run).

use crate::measure::{Children, measure_processes};
use crate::{Lesson, Row, kata, row};
use cli::human::count;
use harness::cpu::{available_cores, measure};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers per unit of work, for the simulated GIL and the workers.
const CHUNK: u64 = 4096;

/// The simulated interpreter lock: one per process, like CPython's.
static GIL: Mutex<()> = Mutex::new(());

// ANCHOR: gil
/// Count the primes below `limit` on `threads` threads that must hold
/// [`GIL`] while they compute each chunk — as CPython threads must hold the
/// real GIL to run Python code. The threads exist and share the work, yet
/// only one computes at any moment.
pub fn count_primes_gil(limit: u64, threads: usize) -> u64 {
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut found = 0;
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= limit {
                            return found;
                        }
                        // Held for the whole chunk: this is the GIL's effect.
                        let _gil = GIL.lock().expect("the GIL is never poisoned");
                        let end = (start + CHUNK).min(limit);
                        found += (start..end).filter(|&n| kata::primes::is_prime(n)).count() as u64;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a counting thread panicked"))
            .sum()
    })
}
// ANCHOR_END: gil

/// The work of worker `index` of `of`: every `of`-th chunk of `0..limit`,
/// starting at chunk `index`. Interleaving keeps the workers' shares even
/// (large numbers cost more to test).
pub fn worker_share(limit: u64, index: u64, of: u64) -> u64 {
    (0..limit.div_ceil(CHUNK))
        .skip(index as usize)
        .step_by(of.max(1) as usize)
        .map(|chunk| {
            let start = chunk * CHUNK;
            let end = (start + CHUNK).min(limit);
            (start..end).filter(|&n| kata::primes::is_prime(n)).count() as u64
        })
        .sum()
}

/// The arguments that make `exe` run as worker `index` of `of`.
pub fn worker_args(limit: u64, index: u64, of: u64) -> Vec<String> {
    vec![
        "__worker".into(),
        "primes".into(),
        limit.to_string(),
        index.to_string(),
        of.to_string(),
    ]
}

/// Run as a worker, if `args` (without the program name) ask for it: print
/// this worker's count on stdout. `None` when the arguments are not a worker
/// invocation.
pub fn run_worker(args: &[String]) -> Option<Result<u64, String>> {
    let [mode, kind, limit, index, of] = args else {
        return None;
    };
    if mode != "__worker" || kind != "primes" {
        return None;
    }
    let parse = |s: &String| {
        s.parse::<u64>()
            .map_err(|e| format!("bad worker argument {s:?}: {e}"))
    };
    Some((|| {
        Ok(worker_share(parse(limit)?, parse(index)?, parse(of)?))
    })())
}

/// Count the primes below `limit` on `workers` child processes running
/// `exe` as workers; each sends its count back through its stdout pipe.
pub fn count_primes_processes(exe: &Path, limit: u64, workers: u64) -> Result<u64, String> {
    count_primes_processes_with(&Children::new(), exe, limit, workers)
}

/// [`count_primes_processes`], its workers started and reaped through
/// `children` (which counts their CPU time).
fn count_primes_processes_with(
    children: &Children,
    exe: &Path,
    limit: u64,
    workers: u64,
) -> Result<u64, String> {
    // Start every worker before reading any: they must run at the same time.
    let running: Vec<_> = (0..workers.max(1))
        .map(|index| {
            children
                .spawn(
                    Command::new(exe)
                        .args(worker_args(limit, index, workers.max(1)))
                        .stdin(Stdio::null())
                        .stdout(Stdio::piped()),
                )
                .map_err(|e| format!("cannot start worker {}: {e}", exe.display()))
        })
        .collect::<Result<_, _>>()?;
    let mut total = 0;
    for mut child in running {
        let mut out = String::new();
        child
            .stdout
            .take()
            .expect("stdout is piped")
            .read_to_string(&mut out)
            .map_err(|e| format!("cannot read a worker's result: {e}"))?;
        let status = children
            .wait(child)
            .map_err(|e| format!("cannot wait for a worker: {e}"))?;
        if !status.success() {
            return Err(format!("a worker failed ({status})"));
        }
        total += out
            .trim()
            .parse::<u64>()
            .map_err(|e| format!("a worker sent {out:?} instead of a count: {e}"))?;
    }
    Ok(total)
}

/// The lesson's measured table, one run of each strategy (`--runs N` runs
/// the whole lesson N times, so that a slow spell of the machine hurts one
/// round of every strategy rather than every run of one, and the ratios
/// stay fair). `exe` is this program, for the process workers. Errors if
/// the strategies disagree or a worker fails.
pub fn lesson(limit: u64, exe: &Path) -> Result<Lesson, String> {
    let cores = available_cores();
    let (serial, base) = measure(|| kata::primes::count_primes_serial(limit));
    let (threads, on_threads) = measure(|| kata::primes::count_primes_threads(limit, cores));
    let (gil, under_gil) = measure(|| count_primes_gil(limit, cores));
    // The workers' CPU time is theirs, not this process's: counted as each
    // is reaped.
    let (processes, on_processes) = measure_processes(|children| {
        count_primes_processes_with(children, exe, limit, cores as u64)
    });
    let processes = processes?;
    let (rayon, on_rayon) = measure(|| kata::primes::count_primes_rayon(limit));
    let all = [threads, gil, processes, rayon];
    if all.iter().any(|&n| n != serial) {
        return Err(format!(
            "the strategies disagree on the primes below {limit}: serial {serial}, threads \
             {threads}, simulated GIL {gil}, processes {processes}, rayon {rayon}"
        ));
    }
    let found = count(serial as usize, "prime", "primes");
    let base_wall = Some(base.wall);
    Ok(Lesson {
        name: "gil",
        question: "CPU-bound work: do threads help? (the GIL question)",
        rows: vec![
            row("serial", base, base_wall, found.clone()).cores_at_most(1),
            row("threads", on_threads, base_wall, found.clone()),
            row(
                "threads + simulated GIL",
                under_gil,
                base_wall,
                found.clone(),
            ),
            row("processes", on_processes, base_wall, found.clone()),
            row("rayon", on_rayon, base_wall, found),
        ],
        takeaway: "Rust has no GIL: threads use every core, as processes do, without \
                   processes' start-up and pipes. A global lock around the work (what the \
                   GIL is) brings threads back to one core.",
        runs: 1,
    })
}

/// CPython's serial, threads and processes on the same machine, in the same
/// run, from `python/gil.py`. `Err` says why they could not run.
pub fn python(limit: u64, workers: usize) -> Result<Vec<Row>, String> {
    crate::python::rows(
        "gil.py",
        &[
            "--limit".into(),
            limit.to_string(),
            "--workers".into(),
            workers.to_string(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_gil_counts_right() {
        assert_eq!(count_primes_gil(10_000, 3), 1229);
        assert_eq!(count_primes_gil(0, 2), 0);
    }

    #[test]
    fn worker_shares_add_up_to_the_whole() {
        for of in [1, 2, 3, 5] {
            let total: u64 = (0..of).map(|i| worker_share(20_000, i, of)).sum();
            assert_eq!(total, 2262, "{of} workers");
        }
    }

    #[test]
    fn worker_arguments_round_trip() {
        let args = worker_args(1000, 1, 2);
        assert_eq!(run_worker(&args), Some(Ok(worker_share(1000, 1, 2))));
        assert_eq!(run_worker(&["gil".to_owned()]), None);
        let bad = worker_args(1000, 1, 2)
            .into_iter()
            .map(|a| if a == "1000" { "x".to_owned() } else { a })
            .collect::<Vec<_>>();
        assert!(matches!(run_worker(&bad), Some(Err(_))));
    }

    #[test]
    fn the_python_rows_are_read_and_compared_to_python_serial() {
        match python(20_000, 2) {
            Ok(rows) => {
                let names: Vec<_> = rows.iter().map(|r| r.strategy.as_str()).collect();
                assert_eq!(
                    names,
                    ["python: serial", "python: threads", "python: processes"]
                );
                assert_eq!(rows[0].speedup, Some(1.0));
                assert!(rows.iter().all(|r| r.detail == "2262 primes below 20000"));
            }
            // Without python3 the lesson says why and goes on.
            Err(why) => assert!(why.contains("python3"), "{why}"),
        }
    }

    #[test]
    fn a_missing_worker_program_is_a_clear_error() {
        let err = count_primes_processes(Path::new("/nonexistent/concepts"), 100, 2).unwrap_err();
        assert!(err.contains("cannot start worker"), "{err}");
    }
}
