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
    fn this_process_has_a_proportional_size() {
        if !Path::new("/proc/self/smaps_rollup").exists() {
            eprintln!("skipped: no smaps_rollup here");
            return;
        }
        let pss = pss_bytes(std::process::id()).unwrap();
        assert!(pss > 0 && pss <= resident_bytes().unwrap() * 2, "{pss}");
    }
}
