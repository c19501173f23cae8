//! Given, for comparison: a batch with one OS thread per image.
//!
//! The tempting first answer to "use all the cores": spawn a thread for
//! every photo. With 8 photos on 8 cores it is fine. With 1000 photos on 2
//! cores it starts 1000 threads that take turns on 2 cores (the scheduler
//! switching between them costs time of its own), and, worse, every one of
//! them decodes its photo at once: 1000 decoded photos in memory, where a
//! pool of 2 threads holds 2. `cargo run -p image-processor` shows the
//! peak memory of both side by side.

use crate::job::{Job, Outcome, Progress, Settings};
use crate::one::process_one;

/// One OS thread per job, all started at once; outcomes in job order.
pub fn thread_per_image(jobs: &[Job], settings: &Settings, progress: Progress<'_>) -> Vec<Outcome> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|job| {
                scope.spawn(move || {
                    let outcome = Outcome {
                        input: job.input.clone(),
                        result: process_one(job, settings),
                    };
                    progress.done(&outcome);
                    outcome
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a job panicked"))
            .collect()
    })
}
