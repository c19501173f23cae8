//! Steps `primes-threads` and `primes-rayon`: CPU-bound work on every core.
//!
//! In Python, threads running Python code take turns holding the global
//! interpreter lock (GIL), so counting primes on four threads takes as long
//! as on one, and the usual answer is `multiprocessing`. Rust has no such
//! lock: threads run on different cores at the same time. The grader
//! measures it: `cores used = CPU time ÷ wall time` must reach 0.8 × the
//! cores other programs left free while it ran (all of them, on a quiet
//! machine; when too few were free to tell, the step is inconclusive).
//!
//! `is_prime` and `count_primes_serial` are given; they are the baseline and
//! the answer your versions must match.

/// Is `n` prime? Trial division by odd numbers up to √n: deliberately plain,
/// so that the cost is pure CPU work. (Given.)
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

/// How many primes are below `limit`, on one thread: the baseline. (Given.)
pub fn count_primes_serial(limit: u64) -> u64 {
    (0..limit).filter(|&n| is_prime(n)).count() as u64
}

/// How many primes are below `limit` (`0..limit`), counted on `threads`
/// threads that run at the same time.
///
/// Use [`std::thread::scope`]: threads spawned inside a scope may borrow
/// local variables, and the scope waits for all of them before it returns.
/// Start *all* the threads first, then collect their results — a thread
/// joined right after it is spawned runs alone.
///
/// Mind the split: testing a big number costs more than a small one, so
/// `threads` equal slices of `0..limit` are not equal amounts of work, and
/// the thread with the last slice finishes long after the others. The
/// grader asks for twice as many threads as cores, which hides most of that
/// (the OS keeps the cores busy while any two threads remain), but see it
/// for yourself, once `count_primes_rayon` below is written too, with
/// `cargo xtask run concepts --mine -- gil`, which uses one thread per
/// core: its "cores used" column shows the idle tail. Handing
/// out many small chunks fixes it (an `AtomicU64` cursor that each thread
/// `fetch_add`s to take the next chunk works well).
///
/// `threads` may be 1, or more than the machine has cores; both must give
/// the right answer.
pub fn count_primes_threads(limit: u64, threads: usize) -> u64 {
    todo!("count primes below {limit} on {threads} scoped threads")
}

/// How many primes are below `limit`, counted with rayon.
///
/// rayon's parallel iterators split the work across a pool with one thread
/// per core and balance it by work stealing: `use rayon::prelude::*;` and
/// turn the range into a parallel iterator (`into_par_iter`).
pub fn count_primes_rayon(limit: u64) -> u64 {
    todo!("count primes below {limit} with rayon")
}
