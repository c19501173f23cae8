//! Step 1: process one image, from its file to its output file.
//!
//! The pieces are given: [`codec::decode`] (with the pixel limit and
//! shrink-on-load), [`ops::apply`], [`codec::encode`]. Your part is the
//! glue, and the write: through [`write_atomically`], so that an output is
//! either complete or absent.
//!
//! Every failure becomes a [`ProcessError`], never a panic: in a batch of a
//! thousand photos, one bad file must cost one line in the report, not the
//! other 999.

#[allow(unused_imports)]
use crate::codec;
use crate::error::ProcessError;
use crate::job::{Job, Processed, Settings};
#[allow(unused_imports)]
use crate::ops;
#[allow(unused_imports)]
use crate::write::write_atomically;

/// Read `job.input`, decode it (at most `settings.max_pixels`), apply
/// `settings.ops`, encode it as `settings.output`, and write it atomically
/// to `job.output`.
///
/// Errors: [`ProcessError::Read`] if the file cannot be read, whatever
/// decoding, the operations and encoding return, and
/// [`ProcessError::Write`] (with the output path) if writing fails.
pub fn process_one(job: &Job, settings: &Settings) -> Result<Processed, ProcessError> {
    let _ = (job, settings);
    todo!("step 1: read, decode, apply the ops, encode, write atomically")
}
