//! MUTANT of `src/fetch.rs`: awaits each request before starting the next,
//! so N requests take N × latency.
//! Expected diagnosis: `sequential-awaits` in step `fetch-all`.

use std::future::Future;

/// Fetch every id — one at a time.
pub async fn fetch_all<T, F, Fut>(ids: Vec<u32>, fetch: F) -> Vec<T>
where
    F: Fn(u32) -> Fut,
    Fut: Future<Output = T>,
{
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        // BUG: the next request starts only after this one has finished.
        results.push(fetch(id).await);
    }
    results
}
