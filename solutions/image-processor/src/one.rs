//! Step 1: process one image, from its file to its output file — the
//! reference.

use crate::codec;
use crate::error::ProcessError;
use crate::job::{Job, Processed, Settings};
use crate::ops;
use crate::write::write_atomically;

/// Read `job.input`, decode it (at most `settings.max_pixels`), apply
/// `settings.ops`, encode it as `settings.output`, and write it atomically
/// to `job.output`.
pub fn process_one(job: &Job, settings: &Settings) -> Result<Processed, ProcessError> {
    let bytes = std::fs::read(&job.input).map_err(ProcessError::Read)?;
    let image = codec::decode(&bytes, &settings.ops, settings.max_pixels)?;
    // The encoded input is not needed any more: free it before the
    // operations allocate their own buffers.
    drop(bytes);
    let image = ops::apply(image, &settings.ops)?;
    let encoded = codec::encode(&image, settings.output)?;
    write_atomically(&job.output, &encoded).map_err(|source| ProcessError::Write {
        path: job.output.clone(),
        source,
    })?;
    Ok(Processed {
        output: job.output.clone(),
        width: image.width(),
        height: image.height(),
        bytes: encoded.len() as u64,
    })
}
