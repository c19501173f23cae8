//! What the pipeline suite's checks are made of: scratch folders, rayon
//! pools, the runtime (whose threads a sink can recognise), bodies that
//! count how many of them are alive, and sinks that stand in for the
//! database (slow on purpose, counting what they got and on which thread).

use crate::kata;
use bytes::Bytes;
use kata::{Processed, Sink, StoreError};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A folder of its own under cargo's scratch space, removed on drop.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("pipeline-suite")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cannot create a scratch folder");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The name of every thread of the suite's runtime, its workers and its
/// blocking pool alike.
pub const RUNTIME_THREAD: &str = "suite-runtime";

thread_local! {
    /// Set while this thread is inside [`block_on`]: it is then driving
    /// the runtime, and a blocking call here stalls what it drives.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// A fresh multi-threaded runtime of two workers, like the program's, its
/// threads named [`RUNTIME_THREAD`].
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(RUNTIME_THREAD)
        .enable_all()
        .build()
        .expect("a runtime builds")
}

/// `future` run to its end on a fresh [`runtime`], this thread marked as
/// driving it meanwhile.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unmark;
    impl Drop for Unmark {
        fn drop(&mut self) {
            DRIVING.with(|d| d.set(false));
        }
    }
    let runtime = runtime();
    DRIVING.with(|d| d.set(true));
    let _unmark = Unmark;
    runtime.block_on(future)
}

/// Is this thread one of the runtime's, or the one driving it? The store
/// must be neither: a write blocks (on the disk, on fsync), and the thread
/// blocked runs no download meanwhile.
pub fn on_runtime() -> bool {
    DRIVING.with(Cell::get) || std::thread::current().name() == Some(RUNTIME_THREAD)
}

/// A rayon pool of `threads`, built before anything is measured.
pub fn pool(threads: usize) -> Arc<rayon::ThreadPool> {
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("suite-pool-{i}"))
            .build()
            .expect("a rayon pool builds"),
    )
}

/// The bytes of a body, and a count of the bodies alive: dropped when the
/// last clone of the `Bytes` made from it is.
struct Counted {
    data: Arc<[u8]>,
    alive: Arc<AtomicUsize>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Makes bodies that count themselves: how many exist at once is how many
/// items the code holds.
#[derive(Clone, Default)]
pub struct Bodies {
    alive: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Bodies {
    pub fn make(&self, data: &Arc<[u8]>) -> Bytes {
        let now = self.alive.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Bytes::from_owner(Counted {
            data: Arc::clone(data),
            alive: Arc::clone(&self.alive),
        })
    }

    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// What a [`TestSink`] saw.
#[derive(Default)]
pub struct SinkLog {
    /// The names stored, in order.
    pub stored: Vec<String>,
    /// The items stored.
    pub items: Vec<Processed>,
    /// Batches written.
    pub writes: usize,
    /// The largest batch.
    pub largest: usize,
    /// Time spent writing (sleeping, here).
    pub busy: Duration,
    /// The threads that wrote.
    pub threads: BTreeSet<String>,
    /// Writes made on a thread of the runtime (or the one driving it).
    pub on_runtime: usize,
    /// When the first and last writes ended.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
}

/// A sink that takes `per_item` for each item it is given (a stand-in for
/// a slow disk), and records what it got.
#[derive(Clone)]
pub struct TestSink {
    pub log: Arc<Mutex<SinkLog>>,
    pub per_item: Duration,
    pub done: BTreeSet<String>,
}

impl TestSink {
    pub fn new(per_item: Duration) -> TestSink {
        TestSink {
            log: Arc::default(),
            per_item,
            done: BTreeSet::new(),
        }
    }

    pub fn stored_count(&self) -> usize {
        self.log.lock().unwrap().stored.len()
    }
}

impl Sink for TestSink {
    fn done(&mut self) -> Result<BTreeSet<String>, StoreError> {
        Ok(self.done.clone())
    }

    fn write(&mut self, batch: &[Processed]) -> Result<(), StoreError> {
        let started = Instant::now();
        std::thread::sleep(self.per_item * batch.len() as u32);
        let mut log = self.log.lock().unwrap();
        log.busy += started.elapsed();
        log.writes += 1;
        log.largest = log.largest.max(batch.len());
        log.threads
            .insert(format!("{:?}", std::thread::current().id()));
        log.on_runtime += usize::from(on_runtime());
        for item in batch {
            log.stored.push(item.name.clone());
            log.items.push(item.clone());
        }
        let now = Instant::now();
        log.first.get_or_insert(now);
        log.last = Some(now);
        Ok(())
    }
}

/// A real sink made slow: `per_batch` before each write (a busy disk).
pub struct Slowed<S> {
    pub inner: S,
    pub per_batch: Duration,
    /// Writes made, all told.
    pub writes: Arc<AtomicUsize>,
    /// Writes made on a thread of the runtime (or the one driving it).
    pub on_runtime: Arc<AtomicUsize>,
}

impl<S> Slowed<S> {
    /// `inner`, each write first waiting `per_batch` (zero: only watched).
    pub fn new(inner: S, per_batch: Duration) -> Slowed<S> {
        Slowed {
            inner,
            per_batch,
            writes: Arc::default(),
            on_runtime: Arc::default(),
        }
    }
}

impl<S: Sink> Sink for Slowed<S> {
    fn done(&mut self) -> Result<BTreeSet<String>, StoreError> {
        self.inner.done()
    }

    fn write(&mut self, batch: &[Processed]) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if on_runtime() {
            self.on_runtime.fetch_add(1, Ordering::SeqCst);
        }
        std::thread::sleep(self.per_batch);
        self.inner.write(batch)
    }
}

/// A deterministic sequence of numbers (SplitMix64), for random bytes and
/// random moments that are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
