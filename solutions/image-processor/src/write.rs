//! Step 1 (with one.rs): write a file so that it is either all there or
//! not there at all — the reference.
//!
//! Write to a uniquely named temporary file in the destination's own
//! folder, flush it to disk, then rename it over the destination. A rename
//! within one file system is atomic: readers see the old file or the whole
//! new one. Any failure removes the temporary file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes the temporary files of concurrent calls in one process
/// (the process id distinguishes processes).
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A temporary name beside `path`: hidden (a leading dot, so folder
/// listings and `list_images` skip it) and unique to this call.
fn temporary_beside(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the output path has no file name",
        )
    })?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".{}.{n}.tmp", std::process::id()));
    Ok(path.with_file_name(temporary))
}

/// Write `bytes` to `path` atomically: afterwards `path` holds exactly
/// `bytes`; at no moment does it hold anything but its old content or all of
/// `bytes`; on error, `path` is untouched and no temporary file remains.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = temporary_beside(path)?;
    // `create_new` fails rather than reuse a file someone else made.
    let mut file = std::fs::File::create_new(&temporary)?;
    let written = file
        .write_all(bytes)
        // On disk before it gets the real name: otherwise a crash just
        // after the rename can leave an empty file under that name.
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&temporary, path)
        });
    if written.is_err() {
        // Best effort: the error that matters is the one being returned.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}
