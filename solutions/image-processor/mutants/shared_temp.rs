//! Mutant: temporary file and rename, but one fixed temporary name per
//! folder. Alone it is atomic; in a parallel batch two threads write the
//! same temporary file at once, and one photo's bytes are renamed to the
//! other's name.

use std::io::{self, Write};
use std::path::Path;

/// Atomic for one writer at a time.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = path.with_file_name(".partial.tmp");
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
