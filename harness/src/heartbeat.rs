//! The executor heartbeat: did something block the async runtime?
//!
//! An async runtime runs many tasks on few threads; a task that computes for
//! 200 ms or calls `std::thread::sleep` without yielding keeps every other
//! task on that thread waiting. [`Heartbeat::spawn`] starts a task that asks
//! to wake every `period` and records how late each wake-up was. On a healthy
//! runtime it is late by a millisecond or so; when something blocks the
//! runtime it is late by as long as the blockage lasted. "The learner blocked
//! the runtime" becomes a number.
//!
//! Use it on a `current_thread` runtime, where the heartbeat has no other
//! thread to escape to.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A running heartbeat task. Dropping it stops the task.
#[derive(Debug)]
pub struct Heartbeat {
    stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug, Default)]
struct Stats {
    worst_late_micros: AtomicU64,
    beats: AtomicU64,
}

impl Heartbeat {
    /// Start a heartbeat on the current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn spawn(period: Duration) -> Heartbeat {
        let stats = Arc::new(Stats::default());
        let task = tokio::spawn({
            let stats = Arc::clone(&stats);
            async move {
                // ANCHOR: beat
                loop {
                    let asked = Instant::now();
                    tokio::time::sleep(period).await;
                    let late = asked.elapsed().saturating_sub(period);
                    stats
                        .worst_late_micros
                        .fetch_max(late.as_micros() as u64, Ordering::Relaxed);
                    stats.beats.fetch_add(1, Ordering::Relaxed);
                }
                // ANCHOR_END: beat
            }
        });
        Heartbeat { stats, task }
    }

    /// The latest any wake-up has been so far.
    pub fn worst_lateness(&self) -> Duration {
        Duration::from_micros(self.stats.worst_late_micros.load(Ordering::Relaxed))
    }

    /// How many times the heartbeat has woken up.
    pub fn beats(&self) -> u64 {
        self.stats.beats.load(Ordering::Relaxed)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn stays_on_time_while_tasks_await() {
        use crate::busy::{Reading, retry};
        // Lateness is timing: another program taking the core delays a
        // healthy heartbeat too, so a late one counts only on a quiet
        // machine (see crate::busy).
        let reading = retry(3, |_| {
            let meter = crate::cpu::Meter::start();
            let (beats, late) = current_thread().block_on(async {
                let heartbeat = Heartbeat::spawn(Duration::from_millis(5));
                tokio::time::sleep(Duration::from_millis(150)).await;
                (heartbeat.beats(), heartbeat.worst_lateness())
            });
            let usage = meter.stop();
            crate::busy::timing(
                beats >= 5 && late < Duration::from_millis(50),
                &usage,
                (beats, late),
            )
        });
        if let Reading::Fail((beats, late)) = reading {
            panic!("{beats} beats, late by {late:?} with nothing blocking, on a quiet machine");
        }
    }

    #[test]
    fn measures_a_blocked_runtime() {
        current_thread().block_on(async {
            let heartbeat = Heartbeat::spawn(Duration::from_millis(5));
            tokio::time::sleep(Duration::from_millis(20)).await;
            // The classic mistake: a blocking sleep inside async code.
            std::thread::sleep(Duration::from_millis(200));
            tokio::time::sleep(Duration::from_millis(20)).await;
            let late = heartbeat.worst_lateness();
            assert!(late >= Duration::from_millis(150), "late by only {late:?}");
        });
    }
}
