//! Lesson `runtimes`: one workload on three async runtimes — tokio,
//! async-std and smol.
//!
//! Rust's `async fn` needs a runtime to run, and there is more than one.
//! tokio is the most used; async-std was the other big one, and its
//! maintainers have discontinued it (the crate says "Deprecated in favor of
//! `smol`"); smol is the small runtime built from the same pieces and is
//! its successor. The three workloads stress different parts:
//!
//! - spawn 100,000 tiny tasks and wait for them all: the scheduler's cost
//!   per task;
//! - 10,000 tasks each sleeping 10 ms at once: the timer wheel;
//! - two tasks passing a message back and forth 10,000 times: channel and
//!   wake-up latency.
//!
//! Each runtime runs with its defaults (tokio: one worker thread per core;
//! async-std: its global executor; smol: its global executor, sized by
//! `SMOL_THREADS`, one thread unless set). Figures are for comparing shapes
//! on this machine, not a verdict on the runtimes.
//!
//! Run: `cargo run -p concepts -- runtimes`.

use crate::{Lesson, row};
use cli::human::{duration, times};
use harness::cpu::measure;
use std::time::Duration;

/// Sizes of the three workloads.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub tasks: u64,
    pub timers: u64,
    pub timer: Duration,
    pub round_trips: u64,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            tasks: 100_000,
            timers: 10_000,
            timer: Duration::from_millis(10),
            round_trips: 10_000,
        }
    }
}

/// The three workloads on tokio; each returns a checksum.
mod on_tokio {
    use super::Workload;

    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .enable_time()
            .build()
            .expect("cannot build a tokio runtime")
    }

    pub async fn spawn(w: Workload) -> u64 {
        let handles: Vec<_> = (0..w.tasks)
            .map(|i| tokio::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("a task panicked");
        }
        sum
    }

    pub async fn timers(w: Workload) -> u64 {
        let handles: Vec<_> = (0..w.timers)
            .map(|_| tokio::spawn(async move { tokio::time::sleep(w.timer).await }))
            .collect();
        for handle in &mut handles.into_iter() {
            handle.await.expect("a timer task panicked");
        }
        w.timers
    }

    // ANCHOR: tokio_ping_pong
    pub async fn ping_pong(w: Workload) -> u64 {
        let (ping, mut pinged) = tokio::sync::mpsc::channel::<u64>(1);
        let (pong, mut ponged) = tokio::sync::mpsc::channel::<u64>(1);
        let echo = tokio::spawn(async move {
            while let Some(n) = pinged.recv().await {
                if pong.send(n + 1).await.is_err() {
                    break;
                }
            }
        });
        let mut n = 0;
        for _ in 0..w.round_trips {
            ping.send(n).await.expect("the echo task is alive");
            n = ponged.recv().await.expect("the echo task answers");
        }
        drop(ping);
        echo.await.expect("the echo task panicked");
        n
    }
    // ANCHOR_END: tokio_ping_pong
}

/// The three workloads on async-std.
mod on_async_std {
    use super::Workload;

    pub async fn spawn(w: Workload) -> u64 {
        let handles: Vec<_> = (0..w.tasks)
            .map(|i| async_std::task::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await;
        }
        sum
    }

    pub async fn timers(w: Workload) -> u64 {
        let handles: Vec<_> = (0..w.timers)
            .map(|_| async_std::task::spawn(async move { async_std::task::sleep(w.timer).await }))
            .collect();
        for handle in handles {
            handle.await;
        }
        w.timers
    }

    pub async fn ping_pong(w: Workload) -> u64 {
        let (ping, pinged) = async_std::channel::bounded::<u64>(1);
        let (pong, ponged) = async_std::channel::bounded::<u64>(1);
        let echo = async_std::task::spawn(async move {
            while let Ok(n) = pinged.recv().await {
                if pong.send(n + 1).await.is_err() {
                    break;
                }
            }
        });
        let mut n = 0;
        for _ in 0..w.round_trips {
            ping.send(n).await.expect("the echo task is alive");
            n = ponged.recv().await.expect("the echo task answers");
        }
        drop(ping);
        echo.await;
        n
    }
}

/// The three workloads on smol.
mod on_smol {
    use super::Workload;

    pub async fn spawn(w: Workload) -> u64 {
        let handles: Vec<_> = (0..w.tasks)
            .map(|i| smol::spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await;
        }
        sum
    }

    pub async fn timers(w: Workload) -> u64 {
        let handles: Vec<_> = (0..w.timers)
            .map(|_| {
                smol::spawn(async move {
                    smol::Timer::after(w.timer).await;
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        w.timers
    }

    pub async fn ping_pong(w: Workload) -> u64 {
        let (ping, pinged) = smol::channel::bounded::<u64>(1);
        let (pong, ponged) = smol::channel::bounded::<u64>(1);
        let echo = smol::spawn(async move {
            while let Ok(n) = pinged.recv().await {
                if pong.send(n + 1).await.is_err() {
                    break;
                }
            }
        });
        let mut n = 0;
        for _ in 0..w.round_trips {
            ping.send(n).await.expect("the echo task is alive");
            n = ponged.recv().await.expect("the echo task answers");
        }
        drop(ping);
        echo.await;
        n
    }
}

/// The lesson's table: every workload on every runtime. Errors if a
/// runtime computes a different checksum.
pub fn lesson(w: Workload) -> Result<Lesson, String> {
    let expected_sum: u64 = (0..w.tasks).sum();
    let tokio = on_tokio::runtime();
    let mut rows = Vec::new();
    let mut add = |name: &str,
                   (got, usage): (u64, harness::cpu::Usage),
                   expected: u64,
                   unit: &str,
                   count: u64| {
        if got != expected {
            return Err(format!("{name}: got {got}, expected {expected}"));
        }
        let detail = if unit.starts_with("timers") {
            // Timers run at the same time: what matters is how close to one
            // timer's length they all finish.
            let ratio = usage.wall.as_secs_f64() / w.timer.as_secs_f64();
            format!("{count} {unit}, all done in {} one timer", times(ratio))
        } else {
            let each = usage.wall.div_f64(count.max(1) as f64);
            format!("{count} {unit}, {} each", duration(each))
        };
        rows.push(row(name, usage, None, detail));
        Ok(())
    };
    let timer_unit = format!("timers of {}", duration(w.timer));
    add(
        "tokio: spawn",
        measure(|| tokio.block_on(on_tokio::spawn(w))),
        expected_sum,
        "tasks",
        w.tasks,
    )?;
    add(
        "async-std: spawn",
        measure(|| async_std::task::block_on(on_async_std::spawn(w))),
        expected_sum,
        "tasks",
        w.tasks,
    )?;
    add(
        "smol: spawn",
        measure(|| smol::block_on(on_smol::spawn(w))),
        expected_sum,
        "tasks",
        w.tasks,
    )?;
    add(
        "tokio: timers",
        measure(|| tokio.block_on(on_tokio::timers(w))),
        w.timers,
        &timer_unit,
        w.timers,
    )?;
    add(
        "async-std: timers",
        measure(|| async_std::task::block_on(on_async_std::timers(w))),
        w.timers,
        &timer_unit,
        w.timers,
    )?;
    add(
        "smol: timers",
        measure(|| smol::block_on(on_smol::timers(w))),
        w.timers,
        &timer_unit,
        w.timers,
    )?;
    add(
        "tokio: ping-pong",
        measure(|| tokio.block_on(on_tokio::ping_pong(w))),
        w.round_trips,
        "round trips",
        w.round_trips,
    )?;
    add(
        "async-std: ping-pong",
        measure(|| async_std::task::block_on(on_async_std::ping_pong(w))),
        w.round_trips,
        "round trips",
        w.round_trips,
    )?;
    add(
        "smol: ping-pong",
        measure(|| smol::block_on(on_smol::ping_pong(w))),
        w.round_trips,
        "round trips",
        w.round_trips,
    )?;
    Ok(Lesson {
        name: "runtimes",
        question: "tokio, async-std, smol: does the runtime matter?",
        rows,
        takeaway: "The same async code runs on any runtime; what differs is the executor, \
                   the timers and the ecosystem. async-std is discontinued upstream: use \
                   smol (its successor) or tokio.",
        runs: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_runs_every_workload_and_agrees() {
        let lesson = lesson(Workload {
            tasks: 1_000,
            timers: 100,
            timer: Duration::from_millis(2),
            round_trips: 100,
        })
        .unwrap();
        assert_eq!(lesson.rows.len(), 9);
        assert!(lesson.rows[0].detail.starts_with("1000 tasks"));
        assert!(lesson.rows[8].detail.starts_with("100 round trips"));
    }
}
