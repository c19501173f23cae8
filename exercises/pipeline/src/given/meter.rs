//! Counters of where the pipeline's items are, for the live display and the
//! queue-depth picture: in flight downloading, waiting for the CPU stage,
//! being processed, waiting for the store, stored.
//!
//! Given code: [`Fetcher::fetch`](crate::input::Fetcher::fetch) and
//! [`process`](crate::work::process) count themselves; the store stage
//! calls [`Meter::stored`] after each batch. Reading them
//! ([`Meter::snapshot`]) never blocks the pipeline: they are atomics, not a
//! lock the stages would wait on. The reference solution compiles this same
//! file, so leave it as it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shared counters; clones count into the same ones.
#[derive(Clone, Debug, Default)]
pub struct Meter(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    downloading: AtomicU64,
    downloaded: AtomicU64,
    downloaded_bytes: AtomicU64,
    processing: AtomicU64,
    started: AtomicU64,
    processed: AtomicU64,
    plain_bytes: AtomicU64,
    stored: AtomicU64,
    batches: AtomicU64,
}

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Downloads in flight.
    pub downloading: u64,
    /// Downloads finished (failed ones too).
    pub downloaded: u64,
    /// Bytes downloaded.
    pub downloaded_bytes: u64,
    /// Items in the CPU stage's work right now.
    pub processing: u64,
    /// Items the CPU stage finished.
    pub processed: u64,
    /// Uncompressed bytes parsed.
    pub plain_bytes: u64,
    /// Items stored.
    pub stored: u64,
    /// Batches (transactions) written.
    pub batches: u64,
    started: u64,
}

impl Snapshot {
    /// Downloaded, not yet taken up by the CPU stage.
    pub fn waiting_for_cpu(&self) -> u64 {
        self.downloaded.saturating_sub(self.started)
    }

    /// Processed, not yet stored.
    pub fn waiting_for_store(&self) -> u64 {
        self.processed.saturating_sub(self.stored)
    }
}

/// Counts one item in a stage while it lives.
#[derive(Debug)]
pub struct InStage {
    meter: Meter,
    which: Which,
}

#[derive(Debug, Clone, Copy)]
enum Which {
    Downloading,
    Processing,
}

impl Drop for InStage {
    fn drop(&mut self) {
        let counter = match self.which {
            Which::Downloading => &self.meter.0.downloading,
            Which::Processing => &self.meter.0.processing,
        };
        counter.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Meter {
    /// One download starts; it ends when the guard is dropped.
    pub fn downloading(&self) -> InStage {
        self.0.downloading.fetch_add(1, Ordering::Relaxed);
        InStage {
            meter: self.clone(),
            which: Which::Downloading,
        }
    }

    /// One download finished with `bytes`.
    pub fn downloaded(&self, bytes: u64) {
        self.0.downloaded_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.0.downloaded.fetch_add(1, Ordering::Relaxed);
    }

    /// One item enters the CPU work; it leaves when the guard is dropped.
    pub fn processing(&self) -> InStage {
        self.0.started.fetch_add(1, Ordering::Relaxed);
        self.0.processing.fetch_add(1, Ordering::Relaxed);
        InStage {
            meter: self.clone(),
            which: Which::Processing,
        }
    }

    /// One item processed, `plain_bytes` of text parsed.
    pub fn processed(&self, plain_bytes: u64) {
        self.0.plain_bytes.fetch_add(plain_bytes, Ordering::Relaxed);
        self.0.processed.fetch_add(1, Ordering::Relaxed);
    }

    /// A batch of `items` stored (one transaction).
    pub fn stored(&self, items: usize) {
        self.0.stored.fetch_add(items as u64, Ordering::Relaxed);
        self.0.batches.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        let c = &self.0;
        // Read downstream counters first: an item moving on between two
        // loads is then counted in both places for an instant, never in
        // neither (no negative queue depths).
        let stored = c.stored.load(Ordering::Relaxed);
        let batches = c.batches.load(Ordering::Relaxed);
        let processed = c.processed.load(Ordering::Relaxed);
        let plain_bytes = c.plain_bytes.load(Ordering::Relaxed);
        let processing = c.processing.load(Ordering::Relaxed);
        let started = c.started.load(Ordering::Relaxed);
        let downloaded = c.downloaded.load(Ordering::Relaxed);
        let downloaded_bytes = c.downloaded_bytes.load(Ordering::Relaxed);
        let downloading = c.downloading.load(Ordering::Relaxed);
        Snapshot {
            downloading,
            downloaded,
            downloaded_bytes,
            processing,
            processed,
            plain_bytes,
            stored,
            batches,
            started,
        }
    }
}
