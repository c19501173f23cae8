//! Mutant: parallel with one OS thread per image. Both cores are busy and
//! the outputs are right, but every image is in memory at once and the
//! threads outnumber the cores many times over.

use crate::job::{Job, Outcome, Progress, Settings};
use crate::one::process_one;

/// Process `jobs` one after another on this thread.
pub fn sequential(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    jobs.iter()
        .map(|job| {
            let outcome = Outcome {
                input: job.input.clone(),
                result: process_one(job, settings),
            };
            progress.done(&outcome);
            outcome
        })
        .collect()
}

/// A thread for every image.
pub fn parallel(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    crate::unbounded::thread_per_image(jobs, settings, progress)
}
