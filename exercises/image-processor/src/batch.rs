//! Steps 2, 3 and 5: a whole batch, one image at a time and then on every
//! core.
//!
//! Processing one photo is pure CPU work: decode, resize, encode, no
//! waiting. That is the decision table's row "CPU-bound → parallelism". In
//! Python the GIL would keep threads from running this in parallel, so one
//! reaches for `multiprocessing`; in Rust, threads run on every core, and
//! rayon's pool gives exactly one per core, each taking the next image
//! when it is done ("work stealing"), however uneven the images are.
//!
//! Three versions sit side by side:
//!
//! | function | threads | how many images in memory at once |
//! |---|---|---|
//! | [`sequential`] | the caller | 1 |
//! | [`parallel`] | rayon's pool, one per core | one per core |
//! | [`thread_per_image`](crate::unbounded::thread_per_image) | one per image | all of them |
//!
//! The last one is given, in unbounded.rs, as the tempting wrong answer: a
//! thread for each of 1000 photos starts 1000 threads that fight over 2
//! cores and hold 1000 decoded photos in memory at once. It is no faster
//! than a pool, and on a big folder it runs out of memory.
//!
//! Each function returns one [`Outcome`] per job, in the order of `jobs`,
//! and calls `progress.done` once per finished job. A bad file is an
//! outcome with an error (step 5), never a reason to stop.

use crate::error::ProcessError;
use crate::job::{Job, Outcome, Progress, Settings};
#[allow(unused_imports)]
use crate::one::process_one;
#[allow(unused_imports)]
use rayon::prelude::*;

/// Process `jobs` one after another on this thread.
pub fn sequential(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    let _ = (jobs, settings, progress);
    todo!("step 2: process each job in turn, collecting one Outcome per job")
}

/// Process `jobs` on rayon's thread pool (the global one, or the pool this
/// is called inside with `ThreadPool::install`), giving the same outcomes,
/// in the same order, as [`sequential`].
pub fn parallel(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    let _ = (jobs, settings, progress);
    todo!("step 3: the same, with a rayon parallel iterator")
}

/// One job, as an outcome.
#[allow(dead_code)]
fn run(job: &Job, settings: &Settings) -> Outcome {
    let result: Result<_, ProcessError> = process_one(job, settings);
    Outcome {
        input: job.input.clone(),
        result,
    }
}
