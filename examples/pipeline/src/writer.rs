//! The one writer the three alternative strategies share: a thread that
//! owns the database and stores, in one transaction, whatever results are
//! waiting when it gets to them.
//!
//! The alternatives differ from the answer in *where the CPU work runs*;
//! giving them all this same writer keeps the comparison about that. (The
//! sequential strategy does not use it: it stores each file as it goes.)

use crate::kata::{Db, Meter, Processed, Report, Sink, StoreError};
use std::thread::JoinHandle;
use tokio::sync::mpsc;

/// The writer thread and the channel into it.
pub struct Writer {
    /// Where results go. A bounded or an unbounded channel,
    /// as the strategy chooses: the unbounded one is part of a mistake.
    pub input: Input,
    thread: JoinHandle<Result<Report, StoreError>>,
}

/// The sending half, bounded or not.
#[derive(Clone)]
pub enum Input {
    /// A full channel makes the sender wait: backpressure.
    Bounded(mpsc::Sender<Processed>),
    /// Never full: results pile up in memory when the writer is slower.
    Unbounded(mpsc::UnboundedSender<Processed>),
}

impl Input {
    /// Hand `item` to the writer, waiting (without blocking a thread)
    /// while a bounded channel is full. False when the writer has stopped
    /// (on an error).
    pub async fn send(&self, item: Processed) -> bool {
        match self {
            Input::Bounded(tx) => tx.send(item).await.is_ok(),
            Input::Unbounded(tx) => tx.send(item).is_ok(),
        }
    }
}

/// The receiving half, read by the writer thread.
enum Output {
    Bounded(mpsc::Receiver<Processed>),
    Unbounded(mpsc::UnboundedReceiver<Processed>),
}

impl Output {
    fn blocking_recv(&mut self) -> Option<Processed> {
        match self {
            Output::Bounded(rx) => rx.blocking_recv(),
            Output::Unbounded(rx) => rx.blocking_recv(),
        }
    }

    fn try_recv(&mut self) -> Option<Processed> {
        match self {
            Output::Bounded(rx) => rx.try_recv().ok(),
            Output::Unbounded(rx) => rx.try_recv().ok(),
        }
    }
}

impl Writer {
    /// Start the writer on `db`: batches of at most `batch`, counted into
    /// `meter`. `capacity: None` makes the channel unbounded.
    pub fn spawn(
        mut db: Db,
        capacity: Option<usize>,
        batch: usize,
        meter: Meter,
    ) -> std::io::Result<Writer> {
        let (input, mut output) = match capacity {
            Some(capacity) => {
                let (tx, rx) = mpsc::channel(capacity.max(1));
                (Input::Bounded(tx), Output::Bounded(rx))
            }
            None => {
                let (tx, rx) = mpsc::unbounded_channel();
                (Input::Unbounded(tx), Output::Unbounded(rx))
            }
        };
        let thread = std::thread::Builder::new()
            .name("writer".into())
            .spawn(move || {
                let mut report = Report::default();
                // Block for one result, then take what else is already
                // queued: one commit (one fsync) for all of them.
                while let Some(first) = output.blocking_recv() {
                    let mut items = vec![first];
                    while items.len() < batch.max(1) {
                        let Some(item) = output.try_recv() else { break };
                        items.push(item);
                    }
                    db.write(&items)?;
                    meter.stored(items.len());
                    report.batches += 1;
                    items.iter().for_each(|item| report.add(item));
                }
                Ok(report)
            })?;
        Ok(Writer { input, thread })
    }

    /// Close the channel, wait for everything sent to be stored, and say
    /// what was.
    pub fn finish(self) -> Result<Report, StoreError> {
        drop(self.input);
        match self.thread.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
