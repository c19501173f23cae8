//! Where the items are, while a run runs: a sampler thread that reads the
//! pipeline's [`Meter`] every few milliseconds, redraws the progress line
//! with each stage's count, and keeps the samples for the timeline (the
//! queue-depth picture).
//!
//! Reading the meter never slows the pipeline: it is atomics, no lock.

use crate::kata::{Meter, Snapshot};
use indicatif::ProgressBar;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the counters are read.
pub const PERIOD: Duration = Duration::from_millis(20);

/// The counters at one moment of a run.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Sample {
    /// Since the run started.
    pub at_ms: u64,
    /// Downloads in flight.
    pub downloading: u64,
    /// Downloaded, not yet taken by the CPU stage.
    pub waiting_for_cpu: u64,
    /// In the CPU work right now.
    pub processing: u64,
    /// Processed, not yet committed.
    pub waiting_for_store: u64,
    /// Committed so far.
    pub stored: u64,
}

impl Sample {
    fn of(at: Duration, s: &Snapshot) -> Sample {
        Sample {
            at_ms: at.as_millis() as u64,
            downloading: s.downloading,
            waiting_for_cpu: s.waiting_for_cpu(),
            processing: s.processing,
            waiting_for_store: s.waiting_for_store(),
            stored: s.stored,
        }
    }
}

/// The stages' counts in words, for the progress line.
pub fn describe(s: &Sample) -> String {
    format!(
        "downloading {} · waiting for cpu {} · processing {} · waiting for store {}",
        s.downloading, s.waiting_for_cpu, s.processing, s.waiting_for_store
    )
}

/// A running sampler.
pub struct Live {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Sample>>,
}

impl Live {
    /// Start sampling `meter` into `bar` (position: items stored).
    pub fn start(meter: Meter, bar: ProgressBar) -> std::io::Result<Live> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("live".into())
            .spawn(move || {
                let began = Instant::now();
                let mut samples = Vec::new();
                loop {
                    let sample = Sample::of(began.elapsed(), &meter.snapshot());
                    bar.set_position(sample.stored);
                    bar.set_message(describe(&sample));
                    samples.push(sample);
                    if stopping.load(Ordering::Relaxed) {
                        return samples;
                    }
                    std::thread::sleep(PERIOD);
                }
            })?;
        Ok(Live { stop, thread })
    }

    /// Stop, after one last sample, and hand over the samples.
    pub fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Each stage's share of the run's samples in which it had work: the
/// busiest one is the bottleneck.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Busy {
    /// Share of samples with a download in flight.
    pub downloads: f64,
    /// Share of samples with an item in the CPU work.
    pub cpu: f64,
    /// Share of samples with an item processed and not yet committed.
    pub store: f64,
}

impl Busy {
    /// Shares over `samples`.
    pub fn of(samples: &[Sample]) -> Busy {
        let n = samples.len().max(1) as f64;
        let share =
            |busy: fn(&Sample) -> bool| samples.iter().filter(|s| busy(s)).count() as f64 / n;
        Busy {
            downloads: share(|s| s.downloading > 0),
            cpu: share(|s| s.processing > 0),
            store: share(|s| s.waiting_for_store > 0),
        }
    }

    /// The busiest stage, by name, and its share.
    pub fn busiest(&self) -> (&'static str, f64) {
        largest([
            ("downloads", self.downloads),
            ("cpu", self.cpu),
            ("store", self.store),
        ])
    }
}

/// The stage with the largest figure (the first of equals).
pub fn largest(stages: [(&'static str, f64); 3]) -> (&'static str, f64) {
    stages.into_iter().fold(
        stages[0],
        |best, next| {
            if next.1 > best.1 { next } else { best }
        },
    )
}
