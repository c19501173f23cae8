//! Steps 4 and 5: async — the answer for "I/O-bound, many".
//!
//! Step 4: one task per page being fetched, at most `options.concurrency`
//! at once. The crawl loop owns the frontier and the set of queued URLs, as
//! in the threaded version, and the crawl ends when nothing is queued and
//! nothing is in flight. A tokio `JoinSet` does the bookkeeping:
//! `set.len()` is the number in flight, `set.spawn(fut)` starts one,
//! `set.join_next().await` waits for *whichever* finishes first and returns
//! `None` when none is left. Top the set up to the bound, wait for one,
//! queue its links, repeat.
//!
//! Not allowed, and graded: more than `concurrency` requests at once; one
//! request awaited after another; a URL fetched twice; waiting for ever
//! once the work is done; blocking the runtime's thread (a blocking client,
//! `std::thread::sleep`, a thread's `join()`).
//!
//! Step 5 makes [`fetch_with_retries`] polite and robust: hold one of the
//! host's permits during each attempt (a tokio `Semaphore` per host, with
//! `options.per_host` permits — clamp it to `Semaphore::MAX_PERMITS`, or
//! `Semaphore::new` panics), give up on an attempt after
//! `options.timeout` (`tokio::time::timeout`: dropping the future cancels
//! the request), and after a 5xx answer or a transient error wait
//! `fetch::backoff(options.backoff, attempt)` — with `tokio::time::sleep` —
//! and try again, at most `options.retries` times. Fetch robots.txt once
//! before the crawl (`robots::fetch_robots`) and skip what it disallows.
//!
//! Graded by `cargo xtask grade crawler --step async`, then `--step polite`.

use crate::crawl::{CrawlError, Options, Report};
use crate::fetch::{self, FetchError, Fetched};
use tokio::sync::Semaphore;
use url::Url;

/// Crawl the site of `start` with at most `options.concurrency` requests in
/// flight. Runs on whatever tokio runtime awaits it.
///
/// Spawned tasks must own what they use (`'static`): clone the client
/// (cheap, it is an `Arc` inside) and share the options in an `Arc`.
pub async fn crawl_async(start: &Url, options: &Options) -> Result<Report, CrawlError> {
    let _ = (start, options);
    todo!("step 4: a JoinSet kept topped up to options.concurrency")
}

/// Fetch `url` politely (step 5). As given, one attempt with no limit, no
/// timeout and no retry: enough for step 4.
pub async fn fetch_with_retries(
    client: &reqwest::Client,
    url: &Url,
    options: &Options,
    host: &Semaphore,
) -> Result<Fetched, FetchError> {
    let _ = host;
    fetch::fetch(client, url, options.max_body).await
}
