//! Mutant: a "parallel" batch that is sequential. It imports rayon and
//! looks busy, but `into_par_iter` comes after the work: the images are
//! processed by a plain `map` on the calling thread, and only the finished
//! outcomes are handed to rayon.

use crate::job::{Job, Outcome, Progress, Settings};
use crate::one::process_one;
use rayon::prelude::*;

/// Process `jobs` one after another on this thread.
pub fn sequential(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    jobs.iter()
        .map(|job| run(job, settings, progress))
        .collect()
}

/// Sequential work, parallel bookkeeping.
pub fn parallel(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    let outcomes: Vec<Outcome> = jobs
        .iter()
        .map(|job| run(job, settings, progress))
        .collect();
    outcomes.into_par_iter().collect()
}

fn run(job: &Job, settings: &Settings, progress: Progress<'_>) -> Outcome {
    let outcome = Outcome {
        input: job.input.clone(),
        result: process_one(job, settings),
    };
    progress.done(&outcome);
    outcome
}
