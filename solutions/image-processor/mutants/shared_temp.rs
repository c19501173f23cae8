//! Mutant: temporary file and rename, but the temporary name comes from the
//! target alone (`photo.jpg` → `photo.tmp`) and is opened with
//! `File::create`. One writer at a time it is atomic. Two writers of the
//! same output (two runs into one folder) share the temporary file: one
//! truncates it while the other writes, one renames it away from under the
//! other. And a file of the user's that happens to be called `photo.tmp`
//! is overwritten.

use std::io::{self, Write};
use std::path::Path;

/// Atomic for one writer of a name at a time.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = path.with_extension("tmp");
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}
