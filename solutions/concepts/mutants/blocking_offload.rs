//! MUTANT of `src/offload.rs`: runs the CPU-heavy checksum directly inside
//! the async function, blocking the runtime thread.
//! Expected diagnosis: `blocked-runtime` in step `offload`.

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

/// `checksum(rounds)` — computed right here, on the runtime's thread.
pub async fn checksum_offloaded(rounds: u64) -> u64 {
    // BUG: no `.await` for the whole computation: every other task on this
    // runtime thread waits until it is done.
    checksum(rounds)
}
