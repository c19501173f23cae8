//! MUTANT of `src/primes.rs`: `count_primes_rayon` iterates sequentially.
//! Expected diagnosis: `not-parallel` in step `primes-rayon`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Is `n` prime? Trial division by odd numbers up to √n: deliberately plain,
/// so that the cost is pure CPU work.
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n < 4 {
        return true;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

/// How many primes are below `limit`, on one thread: the baseline.
pub fn count_primes_serial(limit: u64) -> u64 {
    (0..limit).filter(|&n| is_prime(n)).count() as u64
}

/// Numbers handed out at a time. Small enough that the last chunk finishes
/// soon after the others, large enough that taking one is rare.
const CHUNK: u64 = 4096;

/// How many primes are below `limit`, counted on `threads` scoped threads.
///
/// Testing a large number costs more than a small one, so cutting `0..limit`
/// into `threads` equal slices would leave the first threads idle while the
/// last one works. Instead every thread repeatedly takes the next small chunk
/// from a shared atomic cursor until none is left: whoever is free takes more.
pub fn count_primes_threads(limit: u64, threads: usize) -> u64 {
    let next_chunk = AtomicU64::new(0);
    // `thread::scope` lets the threads borrow `next_chunk` from this stack
    // frame: the scope joins them all before the function returns.
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut found = 0;
                    loop {
                        // Relaxed is enough: the counter only hands out
                        // distinct numbers; no other memory is published
                        // through it.
                        let start = next_chunk.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= limit {
                            return found;
                        }
                        let end = (start + CHUNK).min(limit);
                        found += (start..end).filter(|&n| is_prime(n)).count() as u64;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a counting thread panicked"))
            .sum()
    })
}

/// How many primes are below `limit`, counted with rayon.
///
/// `into_par_iter` splits the range across rayon's pool (one thread per
/// core); work stealing evens out the uneven cost without any code here.
pub fn count_primes_rayon(limit: u64) -> u64 {
    // BUG: a plain iterator, not a parallel one.
    (0..limit).filter(|&n| is_prime(n)).count() as u64
}
