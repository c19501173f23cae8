//! Step 2, *offload*: the CPU stage — CPU work run from async code on a
//! rayon pool, with a bound on the items in the stage at once.
//!
//! Reference solution of `exercises/pipeline/src/offload.rs`.

use futures::StreamExt;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

use crate::input::{Fetched, Processed};
use crate::options::Options;
use crate::work::process;

// ANCHOR: on_pool
/// Run `work` on `pool` and wait for its answer without holding a runtime
/// thread: the task sleeps on a oneshot channel while a pool thread
/// computes. A panic in `work` is caught on the pool thread (rayon would
/// otherwise abort the process) and raised again here, in the caller.
pub async fn on_pool<R, F>(pool: &rayon::ThreadPool, work: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (answer, answered) = oneshot::channel();
    pool.spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        // The receiver is gone only if the caller stopped waiting; the
        // answer is then nobody's.
        let _ = answer.send(outcome);
    });
    match answered.await {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => unreachable!("the pool always runs what it is given"),
    }
}
// ANCHOR_END: on_pool

// ANCHOR: process_stage
/// The CPU stage: take downloaded items from `input`, process each on
/// `pool`, hand the results to `output`. At most `options.cpu_limit`
/// items are taken and not yet handed on; returns when `input` is closed
/// and empty (or `output` is gone).
pub async fn process_stage(
    mut input: mpsc::Receiver<Fetched>,
    output: mpsc::Sender<Processed>,
    pool: Arc<rayon::ThreadPool>,
    options: &Options,
) {
    let meter = options.meter.clone();
    let items = futures::stream::poll_fn(|cx| input.poll_recv(cx));
    // `buffer_unordered` is the bound: it pulls a new item from `input`
    // only while fewer than `cpu_limit` are in progress, and not at all
    // while this loop waits to hand one on — so a slow store stops the
    // CPU stage, which stops taking downloads.
    let mut results = items
        .map(|fetched| {
            let pool = Arc::clone(&pool);
            let meter = meter.clone();
            async move { on_pool(&pool, move || process(fetched, &meter)).await }
        })
        .buffer_unordered(options.cpu_limit.max(1));
    while let Some(processed) = results.next().await {
        if output.send(processed).await.is_err() {
            // The store has ended (it failed): nothing left to do.
            break;
        }
    }
}
// ANCHOR_END: process_stage
