//! How many images are in each stage at once: decoding, applying the
//! operations, encoding — and how many rows of each pass of a blur. Counted
//! by the given [`codec`](crate::codec), [`ops`](crate::ops) and
//! [`blur`](crate::blur) functions, read by the grader.
//!
//! A parallel batch keeps every core busy even when one stage sits behind
//! a lock (a `Mutex` around the decoder "to be safe", say): on two cores
//! the other thread just works on another stage meanwhile, and the batch
//! still looks fast. What it cannot hide is the count: images that could
//! be decoded side by side never are.
//!
//! Given code: the reference solution compiles this same file.

use std::sync::atomic::{AtomicUsize, Ordering};

/// One stage's counters.
#[derive(Debug)]
pub struct Stage {
    /// For messages: "decoding".
    pub name: &'static str,
    current: AtomicUsize,
    peak: AtomicUsize,
    calls: AtomicUsize,
}

/// `codec::decode`.
pub static DECODE: Stage = Stage::new("decoding");
/// `ops::apply`.
pub static APPLY: Stage = Stage::new("applying the operations");
/// `codec::encode`.
pub static ENCODE: Stage = Stage::new("encoding");

/// Every stage of an image's way through a batch, in order.
pub static ALL: [&Stage; 3] = [&DECODE, &APPLY, &ENCODE];

/// Rows of a blur's first pass (`blur::horizontal_row`).
pub static HORIZONTAL: Stage = Stage::new("in the horizontal pass");
/// Rows of a blur's second pass (`blur::vertical_row`).
pub static VERTICAL: Stage = Stage::new("in the vertical pass");

/// Counts one image in its stage until dropped.
#[must_use = "the image counts as in the stage only while the guard lives"]
pub struct InStage(&'static Stage);

impl Stage {
    const fn new(name: &'static str) -> Stage {
        Stage {
            name,
            current: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
        }
    }

    /// An image (or a row) enters the stage.
    pub fn enter(&'static self) -> InStage {
        // Relaxed is enough: these are statistics, read after the batch.
        let now = self.current.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        InStage(self)
    }

    /// The most images in the stage at once since the last [`Stage::reset`].
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Images that went through the stage since the last reset.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    /// Start counting afresh.
    pub fn reset(&self) {
        self.peak
            .store(self.current.load(Ordering::Relaxed), Ordering::Relaxed);
        self.calls.store(0, Ordering::Relaxed);
    }
}

impl Drop for InStage {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::Relaxed);
    }
}
