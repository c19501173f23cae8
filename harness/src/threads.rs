//! How many threads did the code start, and how many were alive at once?
//!
//! Sampling `/proc/self/task` every millisecond misses exactly the mistake
//! it is looking for: sixty-four threads of a pool built per call, all busy
//! on two cores, can starve the sampling thread for the whole call, and it
//! reports the one thread it saw before they started. So a test binary that
//! says [`observe_threads!`](crate::observe_threads) defines its own
//! `pthread_create`: every thread the standard library starts (and with it
//! rayon's, crossbeam's and tokio's) is created through that C name, the
//! linker binds the calls to the binary's own definition first, and it
//! counts the thread before handing it to the C library's. The count is
//! exact, whatever the scheduler does.
//!
//! [`Watch`] reads it over a stretch of code; where the watch cannot be in
//! place (off glibc Linux, or in a binary without the macro) it falls back
//! to [`memory::ThreadSampler`](crate::memory::ThreadSampler), and says so
//! through [`Watch::exact`].
//!
//! One watch at a time: the grader runs its checks one after another.

use std::ffi::{c_int, c_void};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Threads created through the watch since the process began.
static STARTED: AtomicUsize = AtomicUsize::new(0);
/// Has any thread been created through the watch?
static SEEN: AtomicBool = AtomicBool::new(false);

/// The threads of the current [`Watch`]. A std Mutex, held for a few
/// additions, never across a call: it is taken when a thread is created
/// and when it ends, which is rare next to the work the threads do.
static WINDOW: Mutex<Window> = Mutex::new(Window {
    epoch: 0,
    alive: 0,
    peak: 0,
});

/// Threads created since the current watch began, each tagged with the
/// watch's epoch: a thread of an earlier watch (a pool still shutting down)
/// that ends meanwhile is not one of these, and must not lower the count.
struct Window {
    epoch: u64,
    /// Created in this window and still running their code. Can dip below
    /// zero for a moment: a thread that ends before its creation is
    /// counted.
    alive: i64,
    peak: i64,
}

fn window() -> std::sync::MutexGuard<'static, Window> {
    WINDOW
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a thread's body is, for `pthread_create`.
pub type Start = extern "C" fn(*mut c_void) -> *mut c_void;
/// C's `pthread_t`, for [`observe_threads!`](crate::observe_threads).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub type PthreadT = libc::pthread_t;
/// C's `pthread_attr_t`, for [`observe_threads!`](crate::observe_threads).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub type PthreadAttrT = libc::pthread_attr_t;

/// The body and argument of a thread being started, and the watch it was
/// started in, carried to [`trampoline`] on the heap.
struct Body {
    start: Start,
    arg: *mut c_void,
    epoch: u64,
}

/// Runs on the new thread: the thread's own body, then it is no longer
/// counted as alive.
extern "C" fn trampoline(body: *mut c_void) -> *mut c_void {
    // SAFETY: `create` passes a Box<Body> it leaked, to this thread only.
    let Body { start, arg, epoch } = *unsafe { Box::from_raw(body.cast::<Body>()) };
    let result = start(arg);
    let mut window = window();
    if window.epoch == epoch {
        window.alive -= 1;
    }
    result
}

/// What the binary's own `pthread_create` (from
/// [`observe_threads!`](crate::observe_threads)) calls: count the thread,
/// then create it with the C library's `pthread_create`.
///
/// # Safety
/// As for C's `pthread_create`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub unsafe fn create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start: Start,
    arg: *mut c_void,
) -> c_int {
    type Create = unsafe extern "C" fn(
        *mut libc::pthread_t,
        *const libc::pthread_attr_t,
        Start,
        *mut c_void,
    ) -> c_int;
    static REAL: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    // The next `pthread_create` after this binary's own: the C library's.
    // SAFETY: dlsym with a NUL-terminated name has no other precondition.
    let real = *REAL.get_or_init(|| unsafe {
        libc::dlsym(libc::RTLD_NEXT, c"pthread_create".as_ptr()) as usize
    });
    if real == 0 {
        return libc::EAGAIN;
    }
    // SAFETY: the symbol found is the C library's pthread_create, whose
    // signature this is.
    let real: Create = unsafe { std::mem::transmute::<usize, Create>(real) };
    SEEN.store(true, Ordering::SeqCst);
    // Counted as started before it can run: a new thread that begins a
    // watch of its own must not find itself among the threads started.
    STARTED.fetch_add(1, Ordering::SeqCst);
    let epoch = window().epoch;
    let body = Box::into_raw(Box::new(Body { start, arg, epoch })).cast::<c_void>();
    // SAFETY: passed on from our caller's contract; the body is the
    // trampoline's to free.
    let rc = unsafe { real(thread, attr, trampoline, body) };
    if rc == 0 {
        // Counted once created, not before: a thread of the round before,
        // which told its joiner it was done, may still be a few
        // instructions from its end, and should not be counted beside the
        // next round's.
        let mut window = window();
        if window.epoch == epoch {
            window.alive += 1;
            window.peak = window.peak.max(window.alive);
        }
    } else {
        STARTED.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: the thread was not created, so the body is still ours.
        drop(unsafe { Box::from_raw(body.cast::<Body>()) });
    }
    rc
}

/// Define this binary's own `pthread_create`, which counts every thread
/// for [`Watch`]. Say it once, at the top level of a test binary's root or
/// of a module in it.
#[macro_export]
macro_rules! observe_threads {
    () => {
        /// The binary's own `pthread_create`, through which the standard
        /// library starts every thread: counted by `harness::threads`.
        ///
        /// # Safety
        /// As for C's `pthread_create`.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn pthread_create(
            thread: *mut $crate::threads::PthreadT,
            attr: *const $crate::threads::PthreadAttrT,
            start: $crate::threads::Start,
            arg: *mut ::std::ffi::c_void,
        ) -> ::std::ffi::c_int {
            // SAFETY: passed on from our own caller's contract.
            unsafe { $crate::threads::create(thread, attr, start, arg) }
        }
    };
}

/// Is every new thread counted? Starts (and joins) one thread to find out
/// the first time.
pub fn observing() -> bool {
    if !SEEN.load(Ordering::SeqCst) {
        let _ = std::thread::spawn(|| ()).join();
    }
    SEEN.load(Ordering::SeqCst)
}

/// What a [`Watch`] saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// The most threads started during the watch that were alive at once.
    pub peak: usize,
    /// Threads started during the watch, in all.
    pub started: usize,
}

/// Counts the threads started over a stretch of code.
pub enum Watch {
    /// Every thread counted as it is created.
    Exact { started: usize },
    /// Sampled, from outside: may miss threads when the cores are crowded.
    Sampled {
        before: usize,
        sampler: crate::memory::ThreadSampler,
    },
}

impl Watch {
    /// Begin counting.
    pub fn start() -> Self {
        if observing() {
            let mut window = window();
            *window = Window {
                epoch: window.epoch + 1,
                alive: 0,
                peak: 0,
            };
            Watch::Exact {
                started: STARTED.load(Ordering::SeqCst),
            }
        } else {
            Watch::Sampled {
                before: crate::memory::thread_count().unwrap_or(0),
                sampler: crate::memory::ThreadSampler::start(std::time::Duration::from_millis(1)),
            }
        }
    }

    /// Is the count exact (every thread seen as it was created)?
    pub fn exact(&self) -> bool {
        matches!(self, Watch::Exact { .. })
    }

    /// Stop counting: the threads started meanwhile.
    pub fn stop(self) -> Counts {
        match self {
            Watch::Exact { started } => {
                let mut window = window();
                let peak = usize::try_from(window.peak).unwrap_or(0);
                // Threads started from now on belong to no watch.
                window.epoch += 1;
                Counts {
                    peak,
                    started: STARTED.load(Ordering::SeqCst) - started,
                }
            }
            Watch::Sampled { before, sampler } => {
                let seen = sampler.stop_counts();
                Counts {
                    peak: seen.peak.saturating_sub(before),
                    started: seen.started,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::observe_threads!();

    #[test]
    fn a_crowd_of_busy_threads_is_counted_exactly() {
        if !observing() {
            eprintln!("skipped: threads cannot be watched here");
            return;
        }
        // Far more busy threads than cores, all alive at once (the
        // barrier): the case sampling misses.
        let watch = Watch::start();
        assert!(watch.exact());
        let all_up = std::sync::Barrier::new(33);
        std::thread::scope(|s| {
            for _ in 0..32 {
                s.spawn(|| {
                    all_up.wait();
                    let end = std::time::Instant::now() + std::time::Duration::from_millis(30);
                    while std::time::Instant::now() < end {
                        std::hint::spin_loop();
                    }
                });
            }
            all_up.wait();
        });
        let counts = watch.stop();
        assert_eq!(
            counts,
            Counts {
                peak: 32,
                started: 32
            }
        );
    }

    #[test]
    fn rounds_of_threads_peak_at_one_round() {
        if !observing() {
            return;
        }
        let watch = Watch::start();
        for _ in 0..3 {
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| std::thread::sleep(std::time::Duration::from_millis(5)));
                }
            });
            // A scoped thread tells its scope it is done a few instructions
            // before it ends; on a busy machine it can be preempted there,
            // and would be counted beside the next round's. Rounds that
            // overlap that way are a machine's timing, not the code's
            // shape, so let each round end for good first.
            let began = std::time::Instant::now();
            while window().alive > 0 && began.elapsed() < std::time::Duration::from_secs(5) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        let counts = watch.stop();
        assert_eq!(
            counts,
            Counts {
                peak: 2,
                started: 6
            }
        );
    }

    #[test]
    fn threads_of_an_earlier_watch_ending_meanwhile_do_not_count() {
        if !observing() {
            return;
        }
        // Four threads from before, like a pool still shutting down.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = std::sync::Arc::new(Mutex::new(wait));
        let old: Vec<_> = (0..4)
            .map(|_| {
                let wait = wait.clone();
                std::thread::spawn(move || {
                    let _ = wait.lock().unwrap().recv();
                })
            })
            .collect();
        let watch = Watch::start();
        let all_up = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    all_up.wait();
                });
            }
            // The old ones end while the new ones are alive.
            drop(release);
            for t in old {
                t.join().unwrap();
            }
            all_up.wait();
        });
        assert_eq!(
            watch.stop(),
            Counts {
                peak: 3,
                started: 3
            }
        );
    }
}
