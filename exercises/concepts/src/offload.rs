//! Step `offload`: CPU-heavy work called from async code without stalling
//! the runtime.
//!
//! An async runtime runs many tasks on a few threads and can only switch
//! between them at an `.await`. Code that computes for 100 ms without
//! awaiting holds its thread for 100 ms; on a single-threaded runtime every
//! other task — timers, connections — waits that long. The grader runs a
//! heartbeat task beside yours that wakes every 5 ms and measures how late
//! it gets.

/// A deliberately CPU-heavy function: `rounds` steps of a xorshift random
/// number generator, folded into one number. (Given.)
pub fn checksum(rounds: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut sum: u64 = 0;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum = sum.wrapping_add(x);
    }
    sum
}

/// `checksum(rounds)`, computed without blocking the async runtime.
///
/// Run the computation on another thread and `.await` its result, so this
/// task sleeps while the runtime keeps serving others:
/// `tokio::task::spawn_blocking(move || ...)` returns a `JoinHandle`, which
/// is a future of `Result<T, JoinError>`. (`rayon::spawn` plus a
/// `tokio::sync::oneshot` channel works too.)
pub async fn checksum_offloaded(rounds: u64) -> u64 {
    todo!("compute checksum({rounds}) off the runtime thread")
}
