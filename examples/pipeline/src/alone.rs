//! Each stage on its own, timed: every download with nothing else running,
//! then the CPU work on all of them on the pool, then every result stored
//! in batches. The pipeline cannot beat its slowest stage; a good one runs
//! all three at once and takes little longer than that stage alone.

use crate::kata::{self, Db, Fetcher, Meter, Sink, Source};
use crate::strategy::Setup;
use anyhow::{Context, Result};
use futures::StreamExt;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// How long each stage took alone, in seconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct StagesAlone {
    /// Every download, `downloads` at once.
    pub downloads_s: f64,
    /// Every file decompressed and parsed, on a pool of `threads`.
    pub cpu_s: f64,
    /// Every result committed, `batch` per transaction.
    pub store_s: f64,
}

impl StagesAlone {
    /// The slowest stage: its name and time.
    pub fn slowest(&self) -> (&'static str, f64) {
        crate::live::largest([
            ("downloads", self.downloads_s),
            ("cpu", self.cpu_s),
            ("store", self.store_s),
        ])
    }
}

/// Time each stage of `setup` alone over `sources`, storing into a fresh
/// database at `scratch`.
pub fn measure_alone(sources: &[Source], setup: &Setup, scratch: &Path) -> Result<StagesAlone> {
    let options = &setup.options;
    let meter = Meter::default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(setup.threads.max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let fetcher = Fetcher::new(options.timeout, meter.clone());
    let began = Instant::now();
    let fetched: Vec<_> = runtime.block_on(
        futures::stream::iter(sources)
            .map(|source| fetcher.fetch(source))
            .buffer_unordered(options.downloads.max(1))
            .collect(),
    );
    let downloads_s = began.elapsed().as_secs_f64();
    drop(runtime);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(setup.threads.max(1))
        .build()
        .context("starting the thread pool")?;
    let began = Instant::now();
    let processed: Vec<_> = pool.install(|| {
        fetched
            .into_par_iter()
            .map(|item| kata::work::process(item, &meter))
            .collect()
    });
    let cpu_s = began.elapsed().as_secs_f64();

    let mut db = Db::open(scratch).map_err(crate::flat)?;
    let began = Instant::now();
    for batch in processed.chunks(options.batch.max(1)) {
        db.write(batch).map_err(crate::flat)?;
    }
    let store_s = began.elapsed().as_secs_f64();
    Ok(StagesAlone {
        downloads_s,
        cpu_s,
        store_s,
    })
}
