//! Steps 3, 4 and 6, *bounded*, *overlap* and *shutdown*: the whole run —
//! downloads feeding the CPU stage feeding one writer, all at once, joined
//! by bounded channels, cancellable, resumable.
//!
//! Reference solution of `exercises/pipeline/src/pipeline.rs`.

use futures::StreamExt;
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::db::StoreError;
use crate::input::{Fetched, Fetcher, Processed, Source};
use crate::meter::Meter;
use crate::offload::process_stage;
use crate::options::{Options, PipelineError, Report, Sink};

// ANCHOR: run
/// Run the pipeline over `sources` into `sink`: every input not already
/// done is downloaded (at most `options.downloads` at once), processed on
/// `pool` and stored, in batches, by one writer thread. Cancelling `cancel`
/// starts no new download and abandons those in flight; everything already
/// downloaded is still processed and stored before `run` returns.
pub async fn run<S: Sink>(
    sources: Vec<Source>,
    sink: S,
    pool: Arc<rayon::ThreadPool>,
    options: &Options,
    cancel: CancellationToken,
) -> Result<Report, PipelineError> {
    // Each channel is bounded: when a later stage falls behind, the one
    // before it waits, and so on back to the downloads. Nothing piles up.
    let (fetched_tx, fetched_rx) = mpsc::channel::<Fetched>(options.capacity.max(1));
    let (processed_tx, processed_rx) = mpsc::channel::<Processed>(options.capacity.max(1));

    // The writer owns the sink on a thread of its own: SQLite blocks (on
    // the disk, on fsync), and a blocked runtime thread stalls every
    // download. It first tells us what is done already, so that a re-run
    // fetches only the rest.
    let (done_tx, done_rx) = oneshot::channel();
    let (finished_tx, finished_rx) = oneshot::channel();
    let batch = options.batch.max(1);
    let meter = options.meter.clone();
    std::thread::Builder::new()
        .name("store".into())
        .spawn(move || {
            let result = store_stage(sink, processed_rx, done_tx, batch, &meter);
            let _ = finished_tx.send(result);
        })
        .map_err(|e| PipelineError::Stage(format!("cannot start the store thread: {e}")))?;

    let done = match done_rx.await {
        Ok(Ok(done)) => done,
        Ok(Err(error)) => return Err(error.into()),
        Err(_) => return Err(PipelineError::Stage("the store thread panicked".into())),
    };
    let total = sources.len();
    let todo: Vec<Source> = sources
        .into_iter()
        .filter(|source| !done.contains(&source.name))
        .collect();
    let skipped = total - todo.len();

    // All three stages at once: the downloads and the CPU stage here, the
    // writer on its thread. Each ends when the one before it has ended and
    // its channel is empty.
    let (abandoned, ()) = tokio::join!(
        fetch_stage(todo, fetched_tx, options, &cancel),
        process_stage(fetched_rx, processed_tx, pool, options),
    );
    let mut report = match finished_rx.await {
        Ok(result) => result?,
        Err(_) => return Err(PipelineError::Stage("the store thread panicked".into())),
    };
    report.skipped = skipped;
    report.abandoned = abandoned;
    report.cancelled = cancel.is_cancelled();
    Ok(report)
}
// ANCHOR_END: run

// ANCHOR: fetch_stage
/// The downloads: at most `options.downloads` in flight, each result sent
/// on as it arrives. Stops at cancellation (downloads in flight are
/// dropped, never half-sent) or when the CPU stage is gone. Returns how
/// many inputs it did not hand on.
async fn fetch_stage(
    todo: Vec<Source>,
    output: mpsc::Sender<Fetched>,
    options: &Options,
    cancel: &CancellationToken,
) -> usize {
    let fetcher = Fetcher::new(options.timeout, options.meter.clone());
    let total = todo.len();
    let mut downloads = futures::stream::iter(todo)
        .map(|source| {
            let fetcher = fetcher.clone();
            async move { fetcher.fetch(&source).await }
        })
        .buffer_unordered(options.downloads.max(1));
    let mut sent = 0;
    loop {
        let next = tokio::select! {
            // Cancellation first: once it is asked for, no new download
            // starts, even if one has just finished.
            biased;
            () = cancel.cancelled() => break,
            next = downloads.next() => next,
        };
        let Some(fetched) = next else { break };
        // Not raced with cancellation: this item is downloaded, and
        // dropping it here would lose finished work.
        if output.send(fetched).await.is_err() {
            break;
        }
        sent += 1;
    }
    total - sent
}
// ANCHOR_END: fetch_stage

// ANCHOR: store_stage
/// The writer: tell `done` what is stored already, then store everything
/// that arrives on `input`, in batches of at most `batch`, until it is
/// closed and empty.
fn store_stage<S: Sink>(
    mut sink: S,
    mut input: mpsc::Receiver<Processed>,
    done: oneshot::Sender<Result<BTreeSet<String>, StoreError>>,
    batch: usize,
    meter: &Meter,
) -> Result<Report, StoreError> {
    match sink.done() {
        Ok(names) => {
            let _ = done.send(Ok(names));
        }
        Err(error) => {
            let _ = done.send(Err(error));
            return Ok(Report::default());
        }
    }
    let mut report = Report::default();
    let mut items = Vec::with_capacity(batch);
    // Wait for one item, then take whatever else is already waiting, up to
    // `batch`: when the writer keeps up, a batch is one item and nothing
    // waits for it; when it falls behind, batches grow, and one commit (one
    // fsync) stores many items.
    while let Some(first) = input.blocking_recv() {
        items.push(first);
        while items.len() < batch {
            match input.try_recv() {
                Ok(item) => items.push(item),
                Err(_) => break,
            }
        }
        sink.write(&items)?;
        meter.stored(items.len());
        report.batches += 1;
        for item in items.drain(..) {
            report.add(&item);
        }
    }
    Ok(report)
}
// ANCHOR_END: store_stage
