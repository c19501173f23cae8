//! The in-flight gauge: how many operations were running at the same moment?
//!
//! Wrap each operation (a request, a connection, a job) in
//! [`InFlight::enter`]; the gauge keeps the current count and the peak. The
//! peak answers two grading questions with one number:
//!
//! - *did it overlap?* N requests issued one at a time peak at 1;
//!   issued concurrently they peak at N.
//! - *did it respect its bound?* with a limit of L the peak must reach L (the
//!   bound was used) and never exceed it (the bound was kept).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A shareable counter of operations in flight. Clones share the same count.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    current: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

/// Marks one operation as in flight until dropped.
#[derive(Debug)]
#[must_use = "the operation counts as in flight only while the guard lives"]
pub struct InFlightGuard {
    counts: Arc<Counts>,
}

impl InFlight {
    /// A gauge at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one more operation in flight until the guard is dropped.
    pub fn enter(&self) -> InFlightGuard {
        // SeqCst keeps the arithmetic simple to reason about; a gauge is not
        // a hot path worth weaker orderings.
        let now = self.counts.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.counts.peak.fetch_max(now, Ordering::SeqCst);
        self.counts.total.fetch_add(1, Ordering::SeqCst);
        InFlightGuard {
            counts: Arc::clone(&self.counts),
        }
    }

    /// Operations in flight right now.
    pub fn current(&self) -> usize {
        self.counts.current.load(Ordering::SeqCst)
    }

    /// The most operations ever in flight at once.
    pub fn peak(&self) -> usize {
        self.counts.peak.load(Ordering::SeqCst)
    }

    /// How many operations were started in all.
    pub fn total(&self) -> usize {
        self.counts.total.load(Ordering::SeqCst)
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.counts.current.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn sequential_operations_peak_at_one() {
        let gauge = InFlight::new();
        for _ in 0..5 {
            let _op = gauge.enter();
        }
        assert_eq!((gauge.peak(), gauge.total(), gauge.current()), (1, 5, 0));
    }

    #[test]
    fn concurrent_operations_peak_at_their_number() {
        let gauge = InFlight::new();
        let all_inside = Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let _op = gauge.enter();
                    // Everyone is inside before anyone leaves.
                    all_inside.wait();
                });
            }
        });
        assert_eq!((gauge.peak(), gauge.total(), gauge.current()), (4, 4, 0));
    }
}
