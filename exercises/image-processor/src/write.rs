//! Step 1 (with one.rs): write a file so that it is either all there or
//! not there at all.
//!
//! `std::fs::write(path, bytes)` opens `path`, truncating it, and then
//! writes. Anyone who looks in between — a gallery indexing the folder, a
//! sync client, the user's file manager, a crash — sees a half-written
//! image, and an interrupted run leaves one behind for good.
//!
//! The fix every serious tool uses: write the bytes to a temporary file *in
//! the same folder*, then `rename` it over the real name. On one file
//! system a rename is atomic: the name points at the old file or at the
//! complete new one, never at anything in between. (The same folder, because
//! a rename cannot cross file systems.) If anything fails, remove the
//! temporary file, so nothing half-written is left behind either way.
//!
//! In a parallel batch, several threads write at once: make the temporary
//! name unique per call (the process id and a counter), never a fixed
//! `out.tmp` that two threads would share.

use std::io;
use std::path::Path;

/// Write `bytes` to `path` atomically: afterwards `path` holds exactly
/// `bytes`; at no moment does it hold anything but its old content or all of
/// `bytes`; on error, `path` is untouched and no temporary file remains.
///
/// Hints: `std::fs::File::create_new`, `Write::write_all`,
/// `File::sync_all` (so that a crash right after the rename cannot leave
/// an empty file under the new name), `std::fs::rename`,
/// `std::fs::remove_file`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let _ = (path, bytes);
    todo!("step 1: write to a temporary file in the same folder, then rename it")
}
