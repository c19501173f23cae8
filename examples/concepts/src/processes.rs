//! Lesson `processes`: processes versus threads for passing messages, for
//! sharing state, and for getting started at all.
//!
//! Threads share one address space: a message is a pointer moved through a
//! channel, shared state is an ordinary atomic. Processes share nothing by
//! default: a message is bytes written to a pipe and parsed on the other
//! side, and shared state needs memory mapped into both explicitly (here, a
//! file mapped with `mmap(MAP_SHARED)`). In exchange a process can crash
//! without taking the others along — the isolation Python's
//! `multiprocessing` is really bought for, besides escaping the GIL.
//!
//! The workers are this program re-executed (`concepts __worker ...`).
//!
//! Run: `cargo run -p concepts -- processes`.

use crate::measure::{Children, measure_processes};
use crate::{Lesson, millions_per_second, row};
use cli::human::{count, duration};
use harness::cpu::measure;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// Arguments for a worker that sums the numbers it reads, one per line,
/// from stdin and prints the sum.
pub const SUM_WORKER: [&str; 2] = ["__worker", "sum"];

/// Be the summing worker.
pub fn run_sum_worker() -> std::io::Result<()> {
    let mut sum: u64 = 0;
    for line in std::io::stdin().lock().lines() {
        sum += line?
            .trim()
            .parse::<u64>()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    }
    println!("{sum}");
    Ok(())
}

/// Send `0..messages` to a consumer thread through a crossbeam channel; the
/// consumer's sum.
pub fn messages_to_thread(messages: u64) -> u64 {
    let (tx, rx) = crossbeam::channel::bounded(1024);
    std::thread::scope(|s| {
        let consumer = s.spawn(move || rx.iter().sum::<u64>());
        for m in 0..messages {
            tx.send(m).expect("the consumer is alive");
        }
        drop(tx);
        consumer.join().expect("the consumer panicked")
    })
}

/// Send `0..messages` to a consumer process through its stdin pipe, as text
/// lines; the sum it prints back.
pub fn messages_to_process(exe: &Path, messages: u64) -> Result<u64, String> {
    messages_to_process_with(&Children::new(), exe, messages)
}

fn messages_to_process_with(children: &Children, exe: &Path, messages: u64) -> Result<u64, String> {
    let mut child = children
        .spawn(
            Command::new(exe)
                .args(SUM_WORKER)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped()),
        )
        .map_err(|e| format!("cannot start the worker {}: {e}", exe.display()))?;
    {
        // Buffered: one write system call per few thousand messages, not one
        // per message. Dropping the writer closes the pipe: end of input.
        let mut pipe = BufWriter::new(child.stdin.take().expect("stdin is piped"));
        for m in 0..messages {
            writeln!(pipe, "{m}").map_err(|e| format!("the worker stopped reading: {e}"))?;
        }
    }
    let mut answer = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout is piped")
        .read_to_end(&mut answer)
        .map_err(|e| format!("cannot read the worker's answer: {e}"))?;
    children
        .wait(child)
        .map_err(|e| format!("cannot wait for the worker: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .trim()
        .parse()
        .map_err(|e| format!("the worker answered {:?}: {e}", answer.trim()))
}

/// Arguments for a worker that adds 1 to the shared counter in `path`
/// `increments` times.
pub fn shared_worker_args(path: &Path, increments: u64) -> Vec<String> {
    vec![
        "__worker".into(),
        "shared".into(),
        path.display().to_string(),
        increments.to_string(),
    ]
}

/// Be the shared-memory worker, if `args` ask for it.
pub fn run_shared_worker(args: &[String]) -> Option<Result<(), String>> {
    let [mode, kind, path, increments] = args else {
        return None;
    };
    if mode != "__worker" || kind != "shared" {
        return None;
    }
    Some((|| {
        let increments: u64 = increments
            .parse()
            .map_err(|e| format!("bad increments {increments:?}: {e}"))?;
        let shared = SharedCounter::open(Path::new(path))?;
        for _ in 0..increments {
            shared.get().fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    })())
}

// ANCHOR: shared
/// One `u64` in a file, mapped into memory with `MAP_SHARED`: every process
/// that maps the file sees the same eight bytes.
struct SharedCounter {
    ptr: *mut libc::c_void,
}

impl SharedCounter {
    fn open(path: &Path) -> Result<Self, String> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // SAFETY: a fresh shared mapping of the file's first 8 bytes (the
        // file is at least that long: `create` sized it); the result is
        // checked against MAP_FAILED before use. The mapping outlives the
        // file descriptor, which may be closed afterwards.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                8,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!(
                "cannot map {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(SharedCounter { ptr })
    }

    /// A zeroed counter file at `path`.
    fn create(path: &Path) -> Result<(), String> {
        std::fs::write(path, [0u8; 8]).map_err(|e| format!("cannot create {}: {e}", path.display()))
    }

    fn get(&self) -> &AtomicU64 {
        // SAFETY: the mapping is 8 bytes, page-aligned (so aligned for u64),
        // valid until `drop`, and only ever accessed atomically, by every
        // process that maps it.
        unsafe { &*(self.ptr as *const AtomicU64) }
    }
}
// ANCHOR_END: shared

impl Drop for SharedCounter {
    fn drop(&mut self) {
        // SAFETY: `ptr` is the 8-byte mapping made in `open`, unmapped once.
        unsafe {
            libc::munmap(self.ptr, 8);
        }
    }
}

/// `workers` threads each adding 1 to one shared atomic `increments` times.
pub fn shared_between_threads(workers: u64, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}

/// `workers` processes each adding 1 `increments` times to a counter in
/// shared memory; the final count.
pub fn shared_between_processes(exe: &Path, workers: u64, increments: u64) -> Result<u64, String> {
    shared_between_processes_with(&Children::new(), exe, workers, increments)
}

fn shared_between_processes_with(
    children: &Children,
    exe: &Path,
    workers: u64,
    increments: u64,
) -> Result<u64, String> {
    let path = std::env::temp_dir().join(format!("concepts-shared-{}.bin", std::process::id()));
    SharedCounter::create(&path)?;
    let result = (|| {
        let mut running = Vec::new();
        for _ in 0..workers {
            match children.spawn(
                Command::new(exe)
                    .args(shared_worker_args(&path, increments))
                    .stdin(Stdio::null()),
            ) {
                Ok(child) => running.push(child),
                Err(e) => {
                    // Reap the ones already started: no process left behind.
                    for child in running {
                        let _ = children.wait(child);
                    }
                    return Err(format!("cannot start the worker {}: {e}", exe.display()));
                }
            }
        }
        let mut failed = None;
        for child in running {
            match children.wait(child) {
                Ok(status) if status.success() => {}
                Ok(status) => failed = Some(format!("a shared-memory worker failed ({status})")),
                Err(e) => failed = Some(format!("cannot wait: {e}")),
            }
        }
        if let Some(why) = failed {
            return Err(why);
        }
        Ok(SharedCounter::open(&path)?.get().load(Ordering::SeqCst))
    })();
    // The file is scratch: remove it whatever happened.
    let _ = std::fs::remove_file(&path);
    result
}

/// Start and wait for `count` trivial units: threads, or (with `children`)
/// worker processes that exit as soon as their stdin closes.
fn start_and_stop(children: Option<(&Children, &Path)>, count: usize) -> Result<(), String> {
    for _ in 0..count {
        match children {
            None => std::thread::spawn(|| ()).join().expect("an empty thread"),
            Some((children, exe)) => {
                let mut child = children
                    .spawn(
                        Command::new(exe)
                            .args(crate::overhead::IDLE_WORKER)
                            .stdin(Stdio::null())
                            .stdout(Stdio::piped()),
                    )
                    .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
                // Wait for "ready": the program has really started.
                let mut line = String::new();
                let _ = BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line);
                children
                    .wait(child)
                    .map_err(|e| format!("cannot wait for a worker: {e}"))?;
            }
        }
    }
    Ok(())
}

/// The lesson's table.
pub fn lesson(exe: &Path, messages: u64, increments: u64, starts: usize) -> Result<Lesson, String> {
    let expected: u64 = (0..messages).sum();
    let mut rows = Vec::new();
    let sent = |usage: harness::cpu::Usage| {
        format!(
            "{}, {}",
            count(messages as usize, "message", "messages"),
            millions_per_second(messages, usage.wall, "messages")
        )
    };

    let (sum, usage) = measure(|| messages_to_thread(messages));
    check(sum, expected, "messages to a thread")?;
    rows.push(row("messages → thread (channel)", usage, None, sent(usage)));
    let (sum, usage) =
        measure_processes(|children| messages_to_process_with(children, exe, messages));
    check(sum?, expected, "messages to a process")?;
    rows.push(row("messages → process (pipe)", usage, None, sent(usage)));

    let workers = 2;
    let total = workers * increments;
    let added = |usage: harness::cpu::Usage| {
        format!(
            "{}, {}",
            count(total as usize, "increment", "increments"),
            millions_per_second(total, usage.wall, "increments")
        )
    };
    let (counted, usage) = measure(|| shared_between_threads(workers, increments));
    check(counted, total, "a counter shared by threads")?;
    rows.push(row("shared atomic, 2 threads", usage, None, added(usage)));
    let (counted, usage) = measure_processes(|children| {
        shared_between_processes_with(children, exe, workers, increments)
    });
    check(counted?, total, "a counter shared by processes")?;
    rows.push(row(
        "shared memory (mmap), 2 processes",
        usage,
        None,
        added(usage),
    ));

    let each = |usage: harness::cpu::Usage| {
        format!(
            "{}, {} each",
            count(starts, "time", "times"),
            duration(usage.wall / starts.max(1) as u32)
        )
    };
    let (started, usage) = measure(|| start_and_stop(None, starts));
    started?;
    rows.push(row("start + join a thread", usage, None, each(usage)));
    let (started, usage) =
        measure_processes(|children| start_and_stop(Some((children, exe)), starts));
    started?;
    rows.push(row("start + wait for a process", usage, None, each(usage)));
    Ok(Lesson {
        name: "processes",
        question: "Processes or threads: what does isolation cost?",
        rows,
        takeaway: "Threads pass messages and share memory directly; processes serialise \
                   messages through pipes, need explicitly mapped memory to share state, and \
                   take far longer to start — the price of their isolation.",
        runs: 1,
    })
}

fn check(got: u64, expected: u64, what: &str) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, expected {expected}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_pass_and_share_exactly() {
        assert_eq!(messages_to_thread(1000), (0..1000).sum::<u64>());
        assert_eq!(shared_between_threads(3, 1000), 3000);
    }

    #[test]
    fn worker_arguments_are_recognised_and_others_are_not() {
        assert!(run_shared_worker(&["gil".into()]).is_none());
        let args = shared_worker_args(Path::new("/nonexistent/counter"), 5);
        let outcome = run_shared_worker(&args).expect("a shared worker invocation");
        assert!(outcome.unwrap_err().contains("cannot open"));
    }

    #[test]
    fn a_missing_worker_program_is_a_clear_error() {
        let err = messages_to_process(Path::new("/nonexistent/concepts"), 3).unwrap_err();
        assert!(err.contains("cannot start the worker"), "{err}");
    }
}
