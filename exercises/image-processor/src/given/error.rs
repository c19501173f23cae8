//! Why an image failed, per file.
//!
//! A batch tool meets every kind of bad input sooner or later: a file that
//! is not an image, one cut short by an interrupted copy, one whose header
//! claims a billion pixels. Each gets its own variant, so the report can say
//! *which* of these it was and the batch can carry on with the next file.
//! [`ProcessError::kind`] gives a short stable name for each, used by the
//! `--json` report and the tests.

use std::io;
use std::path::PathBuf;

/// What went wrong with one file.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The input could not be read from disk.
    #[error("cannot read the file: {0}")]
    Read(#[source] io::Error),
    /// The bytes are not a format this tool decodes.
    #[error("unsupported format: {0}")]
    Unsupported(String),
    /// The decoder rejected the data.
    #[error("corrupt image data: {0}")]
    Corrupt(String),
    /// The data ends before the image does.
    #[error("truncated: the file ends before the image does ({0})")]
    Truncated(String),
    /// The header announces more pixels than the limit: a "decompression
    /// bomb" (a few bytes that would decode to gigabytes) or simply an image
    /// too big to hold. Refused before any pixel is decoded.
    #[error(
        "too large: {width}×{height} is {} megapixels, over the limit of {} \
         (a decompression bomb?)",
        megapixels(u64::from(*width) * u64::from(*height)),
        megapixels(*limit)
    )]
    TooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The pixel limit it exceeds.
        limit: u64,
    },
    /// An operation cannot apply to this image (a crop outside it...).
    #[error("{0}")]
    Operation(String),
    /// The output file's name is an input's: writing it would destroy that
    /// input.
    #[error("the output {0} would overwrite an input")]
    WouldOverwrite(PathBuf),
    /// Two inputs map to the same output name (`a.png` and `a.jpg` both
    /// becoming `a.jpg`): the second would silently replace the first.
    #[error("the output {output} is also the output of {other}")]
    Collision {
        /// The shared output path.
        output: PathBuf,
        /// The input that claimed it first.
        other: PathBuf,
    },
    /// Encoding the result failed.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// Writing the output failed (nothing is left behind).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The output path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

fn megapixels(pixels: u64) -> String {
    format!("{:.1}", pixels as f64 / 1e6)
}

impl ProcessError {
    /// A short, stable name for the kind of failure: `unreadable`,
    /// `unsupported`, `corrupt`, `truncated`, `too-large`, `bad-operation`,
    /// `would-overwrite`, `collision`, `encode`, `write`.
    pub fn kind(&self) -> &'static str {
        match self {
            ProcessError::Read(_) => "unreadable",
            ProcessError::Unsupported(_) => "unsupported",
            ProcessError::Corrupt(_) => "corrupt",
            ProcessError::Truncated(_) => "truncated",
            ProcessError::TooLarge { .. } => "too-large",
            ProcessError::Operation(_) => "bad-operation",
            ProcessError::WouldOverwrite(_) => "would-overwrite",
            ProcessError::Collision { .. } => "collision",
            ProcessError::Encode(_) => "encode",
            ProcessError::Write { .. } => "write",
        }
    }
}
