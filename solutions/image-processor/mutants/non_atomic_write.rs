//! Mutant: writes the output in place. `std::fs::write` truncates the
//! file and then fills it, so for a moment (or forever, after a crash or a
//! full disk) the output is half an image.

use std::io;
use std::path::Path;

/// Not atomic.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}
