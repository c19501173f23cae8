//! Step 3: a fixed pool of threads — the answer for "I/O-bound, few".
//!
//! N worker threads, each running blocking fetches; one coordinator (the
//! calling thread) owns the frontier and the set of seen URLs. They talk
//! over two crossbeam channels:
//!
//! ```text
//!             jobs (url, depth)              ┌─► worker 1 ─┐
//! coordinator ──────────────────────────────►├─► worker 2 ─┤── results (page, links) ──► coordinator
//!                                            └─► worker N ─┘
//! ```
//!
//! Only the coordinator touches `seen`, so it needs no lock. It also knows
//! when the crawl is over: when no job is *pending* (sent but not yet
//! answered). An empty queue alone proves nothing — a worker still fetching
//! may be about to find a hundred new links.
//!
//! Each worker is blocked in a request most of the time, so N threads keep
//! N requests in flight. That works well for tens; for thousands, each
//! thread's stack and the kernel's scheduling start to cost (see
//! `cargo run -p concepts -- overhead`), which is why the async version
//! exists.

use crate::crawl::{self, CrawlError, Options, PageRecord, Report};
use crate::{fetch, links, robots};
use crossbeam::channel;
use std::collections::HashSet;
use std::thread;
use std::time::Instant;
use url::Url;

/// Crawl the site of `start` with `options.concurrency` worker threads.
// ANCHOR: crawl_threads
pub fn crawl_threads(start: &Url, options: &Options) -> Result<Report, CrawlError> {
    crawl::check(start, options)?;
    let start = links::normalise(start.clone());
    let client = fetch::blocking_client(&start, options)?;
    let robots = if options.obey_robots {
        robots::fetch_robots_blocking(&client, &start, options)
    } else {
        robots::Robots::allow_all()
    };
    // Unbounded on purpose, both ways: the coordinator sends jobs and
    // receives results on one thread. If both channels were bounded and
    // full, it could block sending a job while every worker blocks sending
    // a result: a deadlock. `max_pages` bounds the jobs anyway.
    let (jobs, job_queue) = channel::unbounded::<(Url, usize)>();
    let (results, result_queue) = channel::unbounded::<(PageRecord, Vec<Url>)>();
    let mut report = Report::new(options);
    thread::scope(|scope| {
        for _ in 0..options.concurrency {
            let job_queue = job_queue.clone();
            let results = results.clone();
            let client = &client;
            scope.spawn(move || {
                // Ends when the coordinator drops `jobs`: no more work.
                for (url, depth) in job_queue {
                    let began = Instant::now();
                    let result =
                        fetch::fetch_blocking(client, &url, options.max_body, options.timeout);
                    let answer = PageRecord::from_fetch(url, depth, began.elapsed(), result);
                    if results.send(answer).is_err() {
                        break;
                    }
                }
            });
        }
        // The workers hold the only other senders and receivers.
        drop(results);
        drop(job_queue);

        let mut seen = HashSet::from([start.clone()]);
        let mut pending = 0usize;
        if robots.allows_url(&start) {
            jobs.send((start, 0)).expect("the workers are running");
            pending += 1;
        }
        while pending > 0 {
            // A worker that panicked drops its sender; with every sender
            // gone this fails instead of waiting for ever.
            let Ok((page, found)) = result_queue.recv() else {
                break;
            };
            pending -= 1;
            if page.depth < options.max_depth {
                for link in found {
                    if seen.len() >= options.max_pages {
                        break;
                    }
                    if robots.allows_url(&link) && seen.insert(link.clone()) {
                        jobs.send((link, page.depth + 1))
                            .expect("the workers are running");
                        pending += 1;
                    }
                }
            }
            report.record(page);
        }
        // Nothing pending and nothing queued: let the workers' loops end,
        // so that the scope can join them.
        drop(jobs);
    });
    Ok(report)
}
// ANCHOR_END: crawl_threads
