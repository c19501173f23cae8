//! MUTANT of `src/threads.rs`: every worker both fetches and queues (a
//! shared seen-set behind a Mutex), and quits as soon as the job queue
//! looks empty — while another worker may still be about to queue more.
//! Only the worker holding the first job survives the start, so one
//! thread does all the work.
//! Expected diagnosis: `one-worker` in step `threads`.

use crate::crawl::{self, CrawlError, Options, PageRecord, Report};
use crate::{fetch, links, robots};
use crossbeam::channel;
use std::collections::HashSet;
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::Instant;
use url::Url;

/// Crawl the site of `start` with `options.concurrency` worker threads.
pub fn crawl_threads(start: &Url, options: &Options) -> Result<Report, CrawlError> {
    crawl::check(start, options)?;
    let start = links::normalise(start.clone());
    let client = fetch::blocking_client(&start, options)?;
    let robots = if options.obey_robots {
        robots::fetch_robots_blocking(&client, &start, options)
    } else {
        robots::Robots::allow_all()
    };
    let (jobs, job_queue) = channel::unbounded::<(Url, usize)>();
    let seen = Mutex::new(HashSet::from([start.clone()]));
    let report = Mutex::new(Report::new(options));
    jobs.send((start, 0)).expect("the receiver is alive");
    // All workers look at the queue at the same moment: one finds the
    // start page, the others find it empty and quit.
    let ready = Barrier::new(options.concurrency);
    thread::scope(|scope| {
        for _ in 0..options.concurrency {
            let (jobs, job_queue) = (jobs.clone(), job_queue.clone());
            let (client, seen, report, robots) = (&client, &seen, &report, &robots);
            let ready = &ready;
            scope.spawn(move || {
                ready.wait();
                // BUG: an empty queue for a moment is taken to mean "done".
                while let Ok((url, depth)) = job_queue.try_recv() {
                    let began = Instant::now();
                    let result =
                        fetch::fetch_blocking(client, &url, options.max_body, options.timeout);
                    let (page, found) = PageRecord::from_fetch(url, depth, began.elapsed(), result);
                    if depth < options.max_depth {
                        let mut seen = seen.lock().expect("no panics while locked");
                        for link in found {
                            if seen.len() >= options.max_pages {
                                break;
                            }
                            if robots.allows_url(&link) && seen.insert(link.clone()) {
                                let _ = jobs.send((link, depth + 1));
                            }
                        }
                    }
                    report.lock().expect("no panics while locked").record(page);
                }
            });
        }
    });
    Ok(report.into_inner().expect("no panics while locked"))
}
