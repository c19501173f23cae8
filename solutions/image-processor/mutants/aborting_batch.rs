//! Mutant: the batch gives up at the first bad file. Every good batch
//! passes; one corrupt photo among a thousand loses the rest.

use crate::error::ProcessError;
use crate::job::{Job, Outcome, Progress, Settings};
use crate::one::process_one;
use rayon::prelude::*;

/// Stops at the first error.
pub fn sequential(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for job in jobs {
        let outcome = run(job, settings, progress);
        let failed = outcome.result.is_err();
        outcomes.push(outcome);
        if failed {
            break;
        }
    }
    outcomes
}

/// Collects into a `Result`, which short-circuits: rayon stops handing
/// out jobs after the first error, and the outcomes so far are lost.
pub fn parallel(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    let all: Result<Vec<Outcome>, (std::path::PathBuf, ProcessError)> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|job| {
            let outcome = run(job, settings, progress);
            match outcome.result {
                Ok(_) => Ok(outcome),
                Err(e) => Err((outcome.input, e)),
            }
        })
        .collect();
    match all {
        Ok(outcomes) => outcomes,
        Err((input, e)) => vec![Outcome {
            input,
            result: Err(e),
        }],
    }
}

fn run(job: &Job, settings: &Settings, progress: Progress<'_>) -> Outcome {
    let outcome = Outcome {
        input: job.input.clone(),
        result: process_one(job, settings),
    };
    progress.done(&outcome);
    outcome
}
