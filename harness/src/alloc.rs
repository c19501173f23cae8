//! A counting global allocator: how many heap bytes are live right now?
//!
//! Resident memory is a coarse measure for small things: the allocator
//! reuses pages freed earlier, so a thousand 300-byte tasks may not move it
//! at all. Installing [`Counting`] as a program's global allocator counts
//! every byte allocated and freed, at the cost of two relaxed atomic
//! operations per allocation:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: harness::alloc::Counting = harness::alloc::Counting;
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Live heap bytes, counted by [`Counting`].
static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most live heap bytes seen since the start or [`reset_peak`].
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Allocations ever made through [`Counting`]: nonzero once installed.
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting live bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees about `layout` are passed on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this `layout`, as the caller
        // guarantees.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc` and `dealloc`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

/// Count `size` new live bytes and keep the peak.
fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
    CALLS.fetch_add(1, Ordering::Relaxed);
}

/// The most heap bytes that were live at once since the program started or
/// since [`reset_peak`], if this program's global allocator is
/// [`Counting`]. Unlike the resident size's high-water mark, this is blind
/// to how the allocator caches freed memory: it is what the program itself
/// held.
pub fn peak_live_bytes() -> Option<u64> {
    live_bytes()?;
    Some(PEAK.load(Ordering::Relaxed) as u64)
}

/// Start a new peak from the bytes live now.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// Live heap bytes, if this program's global allocator is [`Counting`].
pub fn live_bytes() -> Option<u64> {
    // Allocate once so an installed allocator has surely counted something.
    std::hint::black_box(Box::new(0u8));
    (CALLS.load(Ordering::Relaxed) > 0).then(|| LIVE.load(Ordering::Relaxed) as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn without_installing_it_nothing_is_claimed() {
        // The test binary uses the default allocator.
        assert_eq!(super::live_bytes(), None);
    }
}
