//! Step 2, *offload*: the CPU stage — CPU work run from async code on a
//! rayon pool, with a bound on the items in the stage at once.
//!
//! An async runtime runs many tasks on few threads by switching between
//! them at each `.await`. Parsing a file has no `.await`: run on the
//! runtime, it holds a thread for its whole length, and every download,
//! timer and task on that thread waits. `tokio::task::spawn_blocking` moves
//! it off the runtime — onto a pool meant for *waiting* (up to 512 threads,
//! a queue without limit), so a burst of CPU work becomes hundreds of
//! threads fighting for two cores. The CPU's own pool is rayon's: one
//! thread per core. Hand it the work, and wait for the answer on a channel
//! that an async task can await.
//!
//! Test it with `cargo xtask grade pipeline offload`.

use std::sync::Arc;
use tokio::sync::mpsc;

use crate::input::{Fetched, Processed};
use crate::options::Options;

/// Run `work` on `pool` and wait for its answer without holding a runtime
/// thread. If `work` panics, the panic should reach the caller (a panic
/// inside a rayon job aborts the process unless it is caught).
pub async fn on_pool<R, F>(pool: &rayon::ThreadPool, work: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let _ = (pool, work);
    todo!("spawn on the pool; send the answer back on a oneshot channel; await it")
}

/// The CPU stage: take downloaded items from `input`, process each
/// ([`process`](crate::work::process), with `options.meter`) on `pool`,
/// and hand the results to `output`, in any order. Up to
/// `options.cpu_limit` items in the stage at once — taken from `input` and
/// not yet handed on — so that every core has work and no more is held.
/// Returns when `input` is closed and empty, or when `output` is closed.
pub async fn process_stage(
    input: mpsc::Receiver<Fetched>,
    output: mpsc::Sender<Processed>,
    pool: Arc<rayon::ThreadPool>,
    options: &Options,
) {
    let _ = (input, output, pool, options);
    todo!("at most cpu_limit items on the pool at once; results to output as they finish")
}
