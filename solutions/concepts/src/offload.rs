//! Step `offload`: CPU-heavy work called from async code without stalling the
//! runtime.
//!
//! An async runtime runs many tasks on a few threads and can only switch
//! tasks at an `.await`. A computation that runs for 200 ms without awaiting
//! holds its thread for 200 ms: on a `current_thread` runtime, every other
//! task — timers, connections, the grader's heartbeat — waits that long.
//! The fix is to run the computation somewhere else and await its result.

/// A deliberately CPU-heavy function: `rounds` steps of a xorshift random
/// number generator, folded into one number.
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

// ANCHOR: offload
/// `checksum(rounds)`, computed without blocking the async runtime.
///
/// `spawn_blocking` runs the closure on tokio's pool of threads meant for
/// blocking work, and the returned handle is a future: this task sleeps at
/// the `.await` while the runtime's own thread keeps serving other tasks.
/// (`rayon::spawn` plus a `tokio::sync::oneshot` channel works the same way
/// and keeps CPU work on a pool sized to the cores.)
pub async fn checksum_offloaded(rounds: u64) -> u64 {
    tokio::task::spawn_blocking(move || checksum(rounds))
        .await
        .expect("the checksum thread panicked")
}
// ANCHOR_END: offload
