//! MUTANT of `src/asynchronous.rs`: fetches with the blocking client on a
//! helper thread and joins it from inside the task, which blocks the
//! runtime's thread for the whole request.
//! Expected diagnosis: `blocked-runtime` in step `async`.

use crate::crawl::{self, CrawlError, Options, PageRecord, Report};
use crate::fetch::{self, FetchError, Fetched};
use crate::{links, robots};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

/// Crawl the site of `start` with at most `options.concurrency` requests in
/// flight. Runs on whatever tokio runtime awaits it.
// ANCHOR: crawl_async
pub async fn crawl_async(start: &Url, options: &Options) -> Result<Report, CrawlError> {
    crawl::check(start, options)?;
    let start = links::normalise(start.clone());
    let client = fetch::client(&start, options)?;
    let robots = if options.obey_robots {
        robots::fetch_robots(&client, &start, options).await
    } else {
        robots::Robots::allow_all()
    };
    // Shared read-only with every task; Arc, since a spawned task may
    // outlive this stack frame as far as the compiler knows.
    let options = Arc::new(options.clone());
    // One semaphore per host, created on first use. The JoinSet bounds all
    // requests; these bound each server's share of them.
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut report = Report::new(&options);
    let mut frontier = VecDeque::from([(start.clone(), 0)]);
    let mut seen = HashSet::from([start]);
    let mut in_flight = JoinSet::new();
    loop {
        // Top up to the bound...
        while in_flight.len() < options.concurrency
            && let Some((url, depth)) = frontier.pop_front()
        {
            let host = hosts
                .entry(url.host_str().unwrap_or_default().to_owned())
                .or_insert_with(|| {
                    Arc::new(Semaphore::new(options.per_host.min(Semaphore::MAX_PERMITS)))
                })
                .clone();
            let client = client.clone();
            let options = Arc::clone(&options);
            in_flight.spawn(async move {
                let began = Instant::now();
                let result = fetch_with_retries(&client, &url, &options, &host).await;
                PageRecord::from_fetch(url, depth, began.elapsed(), result)
            });
        }
        // ...then wait for whichever request finishes first. `None` means
        // nothing is in flight, and the loop above just emptied the
        // frontier: the crawl is complete.
        let Some(finished) = in_flight.join_next().await else {
            break;
        };
        let (page, found) = match finished {
            Ok(answer) => answer,
            // A panic in a task is a bug: pass it on rather than hide it.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        if page.depth < options.max_depth {
            for link in found {
                if seen.len() >= options.max_pages {
                    break;
                }
                if robots.allows_url(&link) && seen.insert(link.clone()) {
                    frontier.push_back((link, page.depth + 1));
                }
            }
        }
        report.record(page);
    }
    Ok(report)
}
// ANCHOR_END: crawl_async

/// Fetch `url`, holding one of `host`'s permits per attempt; give up on an
/// attempt after `options.timeout`; after a 5xx answer or a transient error,
/// wait (backoff) and try again, at most `options.retries` times.
// ANCHOR: fetch_with_retries
pub async fn fetch_with_retries(
    client: &reqwest::Client,
    url: &Url,
    options: &Options,
    host: &Semaphore,
) -> Result<Fetched, FetchError> {
    let mut attempt = 0;
    loop {
        let result = {
            // Held for the attempt only, not during the backoff below: a
            // sleeping retry should not stop other pages of the host.
            let _permit = host.acquire().await.expect("the semaphore is never closed");
            // Dropping the request's future on timeout cancels it: the
            // connection is closed, nothing is left running.
            let _ = client;
            let (url, options) = (url.clone(), options.clone());
            // BUG: join() blocks this thread — the runtime's — until the
            // helper thread's blocking request is done.
            std::thread::spawn(move || {
                let client = fetch::blocking_client(&url, &options)
                    .map_err(|e| FetchError::Other(e.to_string()))?;
                fetch::fetch_blocking(&client, &url, options.max_body, options.timeout)
            })
            .join()
            .unwrap_or_else(|_| Err(FetchError::Other("the fetching thread panicked".into())))
        };
        let worth_retrying = match &result {
            Ok(page) => page.is_server_error(),
            Err(error) => error.is_transient(),
        };
        if !worth_retrying || attempt >= options.retries {
            return result;
        }
        // tokio's sleep, never std::thread::sleep: this task waits, the
        // runtime's thread goes on running the others.
        tokio::time::sleep(fetch::backoff(options.backoff, attempt)).await;
        attempt += 1;
    }
}
// ANCHOR_END: fetch_with_retries
