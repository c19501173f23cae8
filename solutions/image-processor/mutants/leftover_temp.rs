//! Mutant: temporary file and rename, but nothing cleans up when a step
//! fails, so a failed write leaves its temporary file behind.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Atomic, but litters on failure.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let temporary = path.with_extension(format!("{}.{n}.tmp", std::process::id()));
    let mut file = std::fs::File::create_new(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}
