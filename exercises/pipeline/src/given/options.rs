//! What a pipeline run is given and what it answers: its options, the
//! store it writes into, its report and its errors.
//!
//! Given code: the reference solution compiles this same file, so leave it
//! as it is.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::db::StoreError;
use crate::input::Processed;
use crate::meter::Meter;

/// How a run is shaped. Every bound is here, so that a test (and the
/// program's flags) can set each one and measure that it was kept.
#[derive(Clone, Debug)]
pub struct Options {
    /// Downloads in flight at most.
    pub downloads: usize,
    /// Items in the CPU stage at once, at most (taken from its input and
    /// not yet handed on): the pool's threads plus a few waiting, so that
    /// no core waits for work.
    pub cpu_limit: usize,
    /// Capacity of each channel between two stages.
    pub capacity: usize,
    /// Items per transaction, at most.
    pub batch: usize,
    /// Per download: connecting, waiting and reading together.
    pub timeout: Duration,
    /// Where the stages count their items (for progress displays).
    pub meter: Meter,
}

impl Default for Options {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Options {
            downloads: 8,
            cpu_limit: cores + 2,
            capacity: 8,
            batch: 32,
            timeout: Duration::from_secs(30),
            meter: Meter::default(),
        }
    }
}

/// Where processed items go: one writer, on a thread of its own (it
/// blocks: on the disk, on locks). A database ([`Db`](crate::db::Db)), or a
/// test's stand-in.
pub trait Sink: Send + 'static {
    /// The inputs already stored as done: a run skips them.
    fn done(&mut self) -> Result<BTreeSet<String>, StoreError>;

    /// Store `batch` in one transaction: afterwards all of it is stored, or
    /// (on an error) none of it.
    fn write(&mut self, batch: &[Processed]) -> Result<(), StoreError>;
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Inputs stored as done.
    pub done: usize,
    /// Inputs stored as failed: name and error.
    pub failed: Vec<(String, String)>,
    /// Inputs skipped, already done by an earlier run.
    pub skipped: usize,
    /// Inputs not finished because the run was cancelled (never started,
    /// or abandoned mid-download).
    pub abandoned: usize,
    /// Was the run cancelled?
    pub cancelled: bool,
    /// Transactions written.
    pub batches: usize,
    /// Bytes downloaded, over the stored inputs.
    pub downloaded_bytes: u64,
    /// Uncompressed bytes parsed, over the stored inputs.
    pub plain_bytes: u64,
    /// Lines read, over the stored inputs.
    pub lines: u64,
    /// Malformed lines among them.
    pub malformed: u64,
}

impl Report {
    /// Count one stored item.
    pub fn add(&mut self, item: &Processed) {
        self.downloaded_bytes += item.downloaded;
        match &item.outcome {
            Ok(stats) => {
                self.done += 1;
                self.plain_bytes += stats.plain_bytes;
                self.lines += stats.lines;
                self.malformed += stats.malformed;
            }
            Err(error) => self.failed.push((item.name.clone(), error.to_string())),
        }
    }
}

/// Why a run ended without finishing.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store failed: nothing after the last committed batch is stored.
    #[error("store failed: {0}")]
    Store(#[from] StoreError),
    /// A stage ended abnormally (a panic in a thread or task).
    #[error("a stage ended abnormally: {0}")]
    Stage(String),
}
