//! Mutant: writes the temporary file in the system's temp folder, then
//! renames it into place. Atomic while both are on one file system; where
//! the photos are on another disk (or the temp folder is in memory), the
//! rename fails with "cross-device link" and nothing is ever written.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Atomic on one file system only.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let temporary = std::env::temp_dir().join(format!("write-{}-{n}.tmp", std::process::id()));
    let written = std::fs::File::create_new(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}
