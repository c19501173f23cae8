//! Memory probes: how much does this process (or another) hold right now?
//!
//! Read from Linux's `/proc`: `statm` for this process's resident and
//! virtual size, `smaps_rollup` for another process's *proportional* set
//! size (PSS: its private pages plus its share of pages it shares with
//! others), which is the fair way to add up many processes running the same
//! program. Elsewhere the functions return `None` and callers say so.

use std::path::Path;

/// Bytes of one memory page.
fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).unwrap_or(4096)
}

/// (virtual, resident) bytes of this process, from `/proc/self/statm`.
fn statm() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    let size = fields.next()??;
    let resident = fields.next()??;
    Some((size * page_size(), resident * page_size()))
}

/// Resident memory of this process: pages actually in RAM.
pub fn resident_bytes() -> Option<u64> {
    statm().map(|(_, resident)| resident)
}

/// Virtual memory of this process: address space reserved, touched or not
/// (a thread's whole stack counts here from the start).
pub fn virtual_bytes() -> Option<u64> {
    statm().map(|(size, _)| size)
}

/// A field of `/proc/self/status` given in kB (`VmHWM`, `VmRSS`...), in
/// bytes.
fn status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len()..]
        .trim_start_matches(':')
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The most this process has held resident since it started, or since the
/// last [`reset_peak`] (the kernel's "high-water mark", `VmHWM`).
pub fn peak_resident_bytes() -> Option<u64> {
    status_kib("VmHWM")
}

/// Restart the high-water mark at the current resident size, so that
/// [`peak_resident_bytes`] measures one piece of work rather than the whole
/// process's life. Writing `5` to `clear_refs` does exactly this (Linux
/// 4.0+). Returns false where that is not possible; a peak read afterwards
/// then covers more than the piece of work.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Threads this process has right now (`Threads:` in `/proc/self/status`).
pub fn thread_count() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("Threads:"))?;
    line["Threads:".len()..].trim().parse().ok()
}

/// Hand memory that was freed back to the operating system. glibc's
/// allocator keeps freed blocks (in one arena per thread that allocated) for
/// reuse, so the resident size stays at its peak long after the memory was
/// freed, and the next measured piece of work would start from there.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Measure `f`'s peak memory: the high-water mark of the resident size while
/// it ran (`None` where the platform cannot say). Memory freed before the
/// call is released first (see [`release_freed`]), so the peak starts from
/// what is really in use.
pub fn measure_peak<T>(f: impl FnOnce() -> T) -> (T, Option<u64>) {
    release_freed();
    let reset = reset_peak();
    let value = f();
    (value, if reset { peak_resident_bytes() } else { None })
}

/// Samples this process's threads every `period` on a thread of its own,
/// keeping the most alive at once and the ones started meanwhile, until
/// [`ThreadSampler::stop`]. Threads come and go too fast to count any
/// other way from outside the code that makes them; a period of a
/// millisecond catches any batch that keeps a thread per item alive while
/// the items are processed, and any thread that lives a few milliseconds.
pub struct ThreadSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<ThreadCounts>,
}

/// What a [`ThreadSampler`] saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadCounts {
    /// The most threads alive at once (the sampler's own not counted).
    pub peak: usize,
    /// Threads seen that were not there when sampling began (Linux only;
    /// 0 elsewhere).
    pub started: usize,
}

/// The ids of this process's threads now (Linux's `/proc/self/task`).
fn thread_ids() -> std::collections::BTreeSet<u64> {
    std::fs::read_dir("/proc/self/task")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

impl ThreadSampler {
    /// Start sampling (the sampler's own thread is not counted).
    pub fn start(period: std::time::Duration) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let before = thread_ids();
        let handle = std::thread::spawn(move || {
            #[cfg(target_os = "linux")]
            let me = crate::cpu::current_tid() as u64;
            #[cfg(not(target_os = "linux"))]
            let me = u64::MAX;
            let mut counts = ThreadCounts::default();
            let mut started = std::collections::BTreeSet::new();
            while !flag.load(Ordering::Relaxed) {
                counts.peak = counts
                    .peak
                    .max(thread_count().unwrap_or(0).saturating_sub(1));
                started.extend(
                    thread_ids()
                        .into_iter()
                        .filter(|id| *id != me && !before.contains(id)),
                );
                std::thread::sleep(period);
            }
            counts.started = started.len();
            counts
        });
        ThreadSampler { stop, handle }
    }

    /// Stop and return the most threads seen at once (0 where the platform
    /// cannot count them).
    pub fn stop(self) -> usize {
        self.stop_counts().peak
    }

    /// Stop and return everything seen.
    pub fn stop_counts(self) -> ThreadCounts {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

/// Proportional set size of process `pid`, from `/proc/<pid>/smaps_rollup`.
pub fn pss_bytes(pid: u32) -> Option<u64> {
    pss_from(
        &Path::new("/proc")
            .join(pid.to_string())
            .join("smaps_rollup"),
    )
}

fn pss_from(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("Pss:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_memory_raises_the_resident_size() {
        let Some(before) = resident_bytes() else {
            eprintln!("skipped: no /proc/self/statm here");
            return;
        };
        let mut block = vec![0u8; 64 << 20];
        // Touch every page so it is really resident.
        for page in block.chunks_mut(4096) {
            page[0] = 1;
        }
        let after = resident_bytes().unwrap();
        assert!(after >= before + (60 << 20), "{before} → {after}");
        assert!(virtual_bytes().unwrap() >= after);
        std::hint::black_box(&block);
    }

    #[test]
    fn the_peak_covers_memory_touched_since_the_reset() {
        let (_, peak) = measure_peak(|| {
            let mut block = vec![0u8; 32 << 20];
            for page in block.chunks_mut(4096) {
                page[0] = 1;
            }
            std::hint::black_box(&block);
        });
        let Some(peak) = peak else {
            eprintln!("skipped: no clear_refs here");
            return;
        };
        // Freed by now, but the high-water mark remembers it.
        assert!(peak >= 30 << 20, "{peak}");
    }

    #[test]
    fn the_sampler_sees_threads_that_are_alive_together() {
        if thread_count().is_none() {
            eprintln!("skipped: no /proc/self/status here");
            return;
        }
        let sampler = ThreadSampler::start(std::time::Duration::from_millis(1));
        let barrier = std::sync::Barrier::new(9);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    barrier.wait();
                    std::thread::sleep(std::time::Duration::from_millis(30));
                });
            }
            barrier.wait();
            std::thread::sleep(std::time::Duration::from_millis(10));
        });
        let counts = sampler.stop_counts();
        // Eight workers plus the test thread; other tests may add more.
        assert!(counts.peak >= 9, "{counts:?}");
        if Path::new("/proc/self/task").exists() {
            assert!(counts.started >= 8, "{counts:?}");
        }
    }

    #[test]
    fn this_process_has_a_proportional_size() {
        if !Path::new("/proc/self/smaps_rollup").exists() {
            eprintln!("skipped: no smaps_rollup here");
            return;
        }
        let pss = pss_bytes(std::process::id()).unwrap();
        assert!(pss > 0 && pss <= resident_bytes().unwrap() * 2, "{pss}");
    }
}
