//! The graded suite of the `crawler` exercises.
//!
//! Written once, run against the learner's code
//! (`exercises/crawler/tests/grade.rs`), the reference solution
//! (`solutions/crawler/tests/grade.rs`) and every mutant of it. Each `#[test]`
//! is one graded step; its name is the step's `test` in
//! `exercises/crawler/Cargo.toml`.
//!
//! Every crawl here runs against the `site` crate (`fixtures/site`): a generated site on
//! `127.0.0.1:0` that counts what it is asked for. So a check is a fact
//! about real HTTP traffic — the peak number of requests in flight, how
//! often each path was requested, whether a disallowed path was touched —
//! not about what the crawler says it did.
//!
//! Run it with `cargo xtask grade crawler` (your code) or
//! `cargo test -p crawler-solution` (the reference).

use crate::kata;
use harness::busy;
use harness::grade::{self, ensure, fail, note};
use harness::heartbeat::Heartbeat;
use harness::watchdog;
use kata::{Options, Report};
use site::{Hostile, Latency, Site, SiteConfig, Stats};
use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};
use url::Url;

/// The watchdog's limit for one crawl. The reference needs well under a
/// second for each one in a debug build.
const LIMIT: Duration = Duration::from_secs(20);

#[path = "measure.rs"]
mod measure;
use measure::{
    IDLE_AT_MOST, check_no_napping, check_no_spinning, judge_slots, measure_beside, report_slots,
    spinning_unjudged,
};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Options for a local crawl: no retries or long timeouts to hide behind.
fn options(concurrency: usize) -> Options {
    Options {
        concurrency,
        timeout: Duration::from_secs(5),
        retries: 0,
        ..Options::default()
    }
}

fn start_url(site: &Site) -> Url {
    Url::parse(&site.root()).expect("the site's root is a URL")
}

/// The graph pages of `site`, as the absolute URLs a crawl reports.
fn page_urls(site: &Site, keep: impl Fn(&str) -> bool) -> BTreeSet<String> {
    site.pages()
        .into_iter()
        .filter(|path| keep(path))
        .map(|path| site.url(&path))
        .collect()
}

/// Requests for anything but robots.txt, which a polite crawler may fetch
/// on top of the pages.
fn page_requests(stats: &Stats) -> usize {
    stats.requests - stats.count(site::paths::ROBOTS)
}

/// Fail with `duplicate-fetch` if the site saw a path more than once.
fn check_each_once(stats: &Stats, call: &str) {
    let twice = stats.duplicates();
    ensure(twice.is_empty(), "duplicate-fetch", || {
        let (path, n) = &twice[0];
        format!(
            "{call} requested {} paths more than once ({path} {n} times). Mark a URL as seen \
             when you *queue* it, not when you fetch it: until then, every page that links to it \
             queues it again",
            twice.len()
        )
    });
}

/// Fail with `missed-pages` or `extra-pages` unless the crawl reported
/// exactly `expected`.
fn check_found(report: &Report, expected: &BTreeSet<String>, call: &str, missing_advice: &str) {
    let found = report.urls();
    let missing: Vec<_> = expected.difference(&found).collect();
    ensure(missing.is_empty(), "missed-pages", || {
        format!(
            "{call} found {} of the {} pages; it never fetched {} — {missing_advice}",
            expected.len() - missing.len(),
            expected.len(),
            missing[0]
        )
    });
    let extra: Vec<_> = found.difference(expected).collect();
    ensure(extra.is_empty(), "extra-pages", || {
        format!(
            "{call} reported {} URLs that are not pages of the site, e.g. {}",
            extra.len(),
            extra[0]
        )
    });
    ensure(report.pages.len() == found.len(), "duplicate-fetch", || {
        format!(
            "{call} reported {} records for {} distinct URLs: some page was recorded twice",
            report.pages.len(),
            found.len()
        )
    });
}

/// Run a blocking crawl under a deadline. A crawl that fetched every page
/// it could and still has not returned gets its own diagnosis.
fn run_blocking(
    site: &Site,
    call: &str,
    crawl: impl FnOnce() -> Report + Send + 'static,
) -> Report {
    run_blocking_any(site, call, crawl)
}

/// [`run_blocking`] for a crawl that returns anything.
fn run_blocking_any<R: Send + 'static>(
    site: &Site,
    call: &str,
    crawl: impl FnOnce() -> R + Send + 'static,
) -> R {
    let outcome = watchdog::try_run(LIMIT, crawl);
    outcome.unwrap_or_else(|| never_finished(site, call))
}

/// Like [`run_blocking`], for an async crawl: on a fresh `current_thread`
/// runtime (with I/O and timers), so that anything blocking the runtime
/// stalls everything else on it, measurably.
fn run_async<F, Fut>(site: &Site, call: &str, make: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    let outcome = watchdog::try_run(LIMIT, move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cannot build a tokio runtime");
        runtime.block_on(make())
    });
    outcome.unwrap_or_else(|| never_finished(site, call))
}

fn never_finished(site: &Site, call: &str) -> ! {
    let stats = site.stats();
    if stats.in_flight == 0 {
        fail(
            "never-finished",
            format!(
                "{call} made {} requests, then waited without returning for {} s with nothing \
                 in flight. A crawl is over when the frontier is empty *and* no fetch is still \
                 running: count the pending fetches (or let the JoinSet tell you: join_next() \
                 returns None), and stop when that count reaches zero. With threads, also drop \
                 the job Sender before the scope ends — and keep no clone of it in a worker — \
                 or the workers' `for job in receiver` loops wait for ever. And if both \
                 channels are bounded, the crawl can stop half-way: the coordinator blocked \
                 sending a job while every worker is blocked sending it a result — keep at \
                 least one of them unbounded",
                stats.requests,
                LIMIT.as_secs()
            ),
        )
    }
    fail(
        "timeout",
        format!(
            "{call} had not finished after {} s ({} requests made, {} still in flight)",
            LIMIT.as_secs(),
            stats.requests,
            stats.in_flight
        ),
    )
}

/// The bound, exactly: never above it (the server's sake), and reached (or
/// the crawl was not really concurrent).
fn check_bound(peak: usize, bound: usize, call: &str, serial: &str, one_at_a_time: &str) {
    ensure(peak <= bound, "exceeded-bound", || {
        format!(
            "{call} had {peak} requests in flight at once; the bound was {bound}. Start a new \
             fetch only when fewer than {bound} are running (a JoinSet you top up, a Semaphore, \
             or buffer_unordered({bound}))"
        )
    });
    ensure(peak > 1, serial, || {
        format!("{call} never had more than one request in flight: {one_at_a_time}")
    });
    ensure(peak == bound, "not-concurrent", || {
        format!(
            "{call} had at most {peak} requests in flight at once, with {bound} allowed and \
             hundreds of pages waiting: the crawl is not keeping its workers busy"
        )
    });
}

// ----------------------------------------------------------------- links --

/// One hand-written page: (what it tests, html, links expected from
/// http://site.test/dir/page.html, diagnosis when wrong).
const CASES: &[(&str, &str, &[&str], &str)] = &[
    (
        "relative links",
        r#"<a href="b.html">b</a> <a href="../up.html">up</a> <a href="./sub/c.html">c</a>"#,
        &[
            "http://site.test/dir/b.html",
            "http://site.test/up.html",
            "http://site.test/dir/sub/c.html",
        ],
        "relative-links",
    ),
    (
        "absolute, scheme-relative and dot-segment links",
        r#"<a href="/x.html">x</a> <a href="http://site.test/y.html">y</a>
           <a href="//site.test/z.html">z</a> <a href="/a/../w.html">w</a>"#,
        &[
            "http://site.test/x.html",
            "http://site.test/y.html",
            "http://site.test/z.html",
            "http://site.test/w.html",
        ],
        "relative-links",
    ),
    (
        "fragments",
        r##"<a href="b.html#part-2">b</a> <a href="#top">top</a> <a href="b.html">b again</a>"##,
        &[
            "http://site.test/dir/b.html",
            "http://site.test/dir/page.html",
        ],
        "fragments",
    ),
    (
        "case, default ports and empty queries",
        r#"<a href="HTTP://SITE.test:80/Case.html">c</a> <a href="q.html?">q</a>"#,
        &["http://site.test/Case.html", "http://site.test/dir/q.html"],
        "not-normalised",
    ),
    (
        "other sites and schemes",
        r#"<a href="http://elsewhere.test/">e</a> <a href="https://site.test/s">https</a>
           <a href="http://site.test:8080/p">port</a> <a href="mailto:a@site.test">m</a>
           <a href="javascript:void(0)">j</a> <a href="ftp://site.test/f">f</a> <a href="/ok.html">ok</a>"#,
        &["http://site.test/ok.html"],
        "off-site",
    ),
    (
        "entities, quoting and case",
        r#"<A HREF='/list?page=2&amp;sort=asc'>l</A> <a href=/bare.html>bare</a> <a class="x" href = "/spaced.html" >s</a>"#,
        &[
            "http://site.test/list?page=2&sort=asc",
            "http://site.test/bare.html",
            "http://site.test/spaced.html",
        ],
        "not-a-tokenizer",
    ),
    (
        "comments and attribute values",
        r#"<!-- <a href="/ghost-1.html">old</a> --><p title="<a href='/ghost-3.html'>">text</p>
           <a href="/real.html">real</a>"#,
        &["http://site.test/real.html"],
        "not-a-tokenizer",
    ),
    (
        "scripts",
        r#"<script>var s = "<a href='/ghost-2.html'>";</script><a href="/real.html">real</a>"#,
        &["http://site.test/real.html"],
        "script-as-html",
    ),
    (
        "<area>, <iframe> and <frame>",
        r#"<map><area href="/map.html"></map><iframe class="toc" src="toc.html"></iframe>
           <frameset><frame src="/side.html"></frameset><img src="/logo.png"><script src="/app.js"></script>"#,
        &[
            "http://site.test/map.html",
            "http://site.test/dir/toc.html",
            "http://site.test/side.html",
        ],
        "missed-elements",
    ),
    (
        "<base href>",
        r#"<head><base href="/other/"></head><a href="x.html">x</a>"#,
        &["http://site.test/other/x.html"],
        "relative-links",
    ),
    (
        "<base href> on another site",
        r#"<base href="http://cdn.test/"><a href="x.html">x</a> <a href="http://site.test/home.html">home</a>"#,
        &["http://site.test/home.html"],
        "off-site",
    ),
];

fn advice(diagnosis: &str) -> &'static str {
    match diagnosis {
        "relative-links" => {
            "resolve each href against the page's URL with Url::join — or against the page's \
             <base href>, when it has one"
        }
        "fragments" => "drop the #fragment: /a#top and /a are the same page",
        "not-normalised" => {
            "parse links with the url crate, which lowercases the scheme and host and drops \
             the default port, drop an empty query (`q.html?` is `q.html`), and compare the \
             parsed URLs"
        }
        "off-site" => {
            "keep only http(s) links with the same scheme, host and port as the *page* (not \
             as its <base href>, which may point elsewhere)"
        }
        "script-as-html" => {
            "inside <script> the text is not HTML: call emitter.naively_switch_states(true) on \
             html5gum's DefaultEmitter so the tokenizer reads script contents as text"
        }
        "missed-elements" => {
            "links are also in <area href>, and framed pages in <iframe src> and <frame src> \
             (documentation sites put their table of contents in one); an <img> or a \
             <script> src is not a page"
        }
        _ => {
            "use an HTML tokenizer (html5gum) and read the href attribute of <a> and <area> \
             start tags: it decodes &amp;, handles every quoting style, and knows that comments, \
             scripts and attribute values are not tags. A regex gets all of these wrong"
        }
    }
}

#[test]
fn links() {
    harness::grade::step(LIMIT, || {
        let page = Url::parse("http://site.test/dir/page.html").expect("a valid URL");
        for &(what, html, expected, diagnosis) in CASES {
            let found: Vec<String> = kata::links::extract_links(&page, html.as_bytes())
                .into_iter()
                .map(String::from)
                .collect();
            let wanted: BTreeSet<&str> = expected.iter().copied().collect();
            let got: BTreeSet<&str> = found.iter().map(String::as_str).collect();
            ensure(got == wanted, diagnosis, || {
                format!(
                    "{what}: extract_links({page}, {html:?}) returned {found:?}; expected \
                     {expected:?} — {}",
                    advice(diagnosis)
                )
            });
            ensure(found.len() == got.len(), "duplicate-links", || {
                format!(
                    "{what}: extract_links returned {found:?}, with duplicates — return each \
                     link once"
                )
            });
        }
        // Every page of a generated site, with every form of link it uses.
        let site = Site::start(SiteConfig::pages(300));
        for path in site.pages() {
            let url = Url::parse(&site.url(&path)).expect("a page URL");
            let html = site.html(&path).expect("every page has HTML");
            let in_order: Vec<String> = kata::links::extract_links(&url, html.as_bytes())
                .into_iter()
                .map(String::from)
                .collect();
            let expected_in_order = site.expected_links(&path);
            let found: BTreeSet<String> = in_order.iter().cloned().collect();
            let expected: BTreeSet<String> = expected_in_order.iter().cloned().collect();
            if found == expected && in_order != expected_in_order {
                fail(
                    "wrong-order",
                    format!(
                        "on the generated page {url}: extract_links found the right links, but \
                         not once each in the order they first appear in the page (a crawl \
                         queues them in that order, which keeps it breadth-first and \
                         repeatable): collect into a Vec, with a HashSet only to skip repeats"
                    ),
                );
            }
            if found != expected {
                let missing: Vec<_> = expected.difference(&found).take(3).collect();
                let extra: Vec<_> = found.difference(&expected).take(3).collect();
                fail(
                    "wrong-links",
                    format!(
                        "on the generated page {url}: extract_links missed {missing:?} and \
                         returned {extra:?} that are not links of the page (see its HTML with \
                         `curl` from `cargo run -p crawler -- serve`)"
                    ),
                );
            }
        }
        note(format!(
            "{} hand-written cases and {} generated pages",
            CASES.len(),
            site.pages().len()
        ));
    });
}

// ------------------------------------------------------------ sequential --

#[test]
fn sequential() {
    let _cpu = harness::exclusive::cpu();
    let site =
        Site::start(SiteConfig::pages(120).with_latency(Latency::Fixed(Duration::from_millis(2))));
    let start = start_url(&site);
    let call = format!("crawl_sequential({start})");

    let report = run_blocking(&site, &call, {
        let start = start.clone();
        move || kata::crawl_sequential(&start, &options(1)).expect("the crawl can start")
    });
    let stats = site.stats();
    check_each_once(&stats, &call);
    check_found(
        &report,
        &page_urls(&site, |_| true),
        &call,
        "are the links of every page queued?",
    );
    ensure(stats.peak_in_flight == 1, "not-sequential", || {
        format!(
            "{call} had {} requests in flight at once: this is the one-at-a-time baseline",
            stats.peak_in_flight
        )
    });

    // max_pages: exactly that many requests, not more then thrown away.
    site.reset_stats();
    let limited = Options {
        max_pages: 25,
        ..options(1)
    };
    let report = run_blocking(&site, &call, {
        let start = start.clone();
        move || kata::crawl_sequential(&start, &limited).expect("the crawl can start")
    });
    let requests = page_requests(&site.stats());
    ensure(
        report.pages.len() == 25 && requests == 25,
        "max-pages",
        || {
            format!(
                "with max_pages = 25, {call} reported {} pages and made {requests} page requests; \
             expected 25 of each — stop queueing once 25 URLs have been queued",
                report.pages.len()
            )
        },
    );

    // max_depth: breadth-first finds each page at its smallest depth, so
    // the set is exact.
    site.reset_stats();
    let shallow = Options {
        max_depth: 2,
        ..options(1)
    };
    let report = run_blocking(&site, &call, {
        let start = start.clone();
        move || kata::crawl_sequential(&start, &shallow).expect("the crawl can start")
    });
    let within = page_urls(&site, |path| site.depth(path).is_some_and(|d| d <= 2));
    check_found(
        &report,
        &within,
        &format!("{call} with max_depth = 2"),
        "crawl breadth-first (a VecDeque: push_back, pop_front) so each page is reached by its \
         shortest path, and do not queue the links of pages at max_depth",
    );
    let sequential = |start: &Url, options: Options| {
        let start = start.clone();
        move || kata::crawl_sequential(&start, &options).expect("the crawl can start")
    };
    check_obeys_robots("crawl_sequential", 1, sequential);
    check_body_cap("crawl_sequential", 1, sequential);
    note(format!(
        "{} pages, each fetched once, one at a time; max_pages and max_depth honoured, \
         robots.txt obeyed, max_body kept",
        site.pages().len()
    ));
}

// --------------------------------------------------------------- threads --

#[test]
fn threads() {
    const WORKERS: usize = 8;
    let _cpu = harness::exclusive::cpu();
    let site = Site::start(SiteConfig::pages(200).with_latency(SPREAD));
    let start = start_url(&site);
    let call = format!("crawl_threads({start}) with {WORKERS} threads");

    // The whole site. Every page once, the bound reached and kept, and each
    // worker given a new job as soon as it is free: measured from the
    // site's record of every request's arrival and departure.
    let reading = busy::retry(3, |_| {
        site.reset_stats();
        let (report, cost) = measure_beside(&site, || {
            run_blocking(&site, &call, {
                let start = start.clone();
                move || kata::crawl_threads(&start, &options(WORKERS)).expect("the crawl can start")
            })
        });
        let stats = site.stats();
        check_found(
            &report,
            &page_urls(&site, |_| true),
            &call,
            "a worker that finds the queue empty must not give up while other workers are still \
             fetching (they may find more links): end the crawl when nothing is queued *and* \
             nothing is pending",
        );
        check_each_once(&stats, &call);
        check_bound(
            stats.peak_in_flight,
            WORKERS,
            &call,
            "one-worker",
            "are all the workers started before any is joined, do they all take jobs from one \
             shared channel, and do they keep waiting for jobs while others are still fetching? \
             (A queue that is empty for a moment does not mean the crawl is over: a worker still \
             fetching may be about to queue a hundred links.)",
        );
        let judged = check_no_spinning(&call, &cost, stats.requests);
        let reading = judge_slots(&site, WORKERS, &cost);
        if judged {
            reading.map(|idle| (idle, cost))
        } else {
            busy::Reading::Unclear((reading.into_inner(), cost))
        }
    });
    let (_, cost) = reading.clone().into_inner();
    let idle = report_slots(&call, WORKERS, reading.map(|r| r.0), &cost);

    site.reset_stats();
    let limited = Options {
        max_pages: 50,
        ..options(WORKERS)
    };
    let report = run_blocking(&site, &call, {
        let start = start.clone();
        move || kata::crawl_threads(&start, &limited).expect("the crawl can start")
    });
    let requests = page_requests(&site.stats());
    ensure(
        report.pages.len() == 50 && requests == 50,
        "max-pages",
        || {
            format!(
                "with max_pages = 50, {call} reported {} pages and made {requests} page requests; \
             expected 50 of each",
                report.pages.len()
            )
        },
    );
    let threaded = |start: &Url, options: Options| {
        let start = start.clone();
        move || kata::crawl_threads(&start, &options).expect("the crawl can start")
    };
    check_max_depth(&site, &call, WORKERS, threaded);
    check_small_bound(&site, "one-worker", threaded);
    check_obeys_robots("crawl_threads", WORKERS, threaded);
    check_body_cap("crawl_threads", WORKERS, threaded);
    let slow = check_waits_asleep(WORKERS.min(4), 8.0, threaded);
    note(format!(
        "{} pages in {:.0} ms with {WORKERS} requests in flight at the peak and {:.0}% of the \
         slots idle while work waited ({:.0}% allowed); {:.2} cores busy; on a slow server, {slow}",
        site.pages().len(),
        ms(cost.usage.wall),
        idle * 100.0,
        IDLE_AT_MOST * 100.0,
        cost.cores()
    ));
}

/// Latencies spread from 5 to 80 ms, as real servers' are: a crawler that
/// waits for a whole batch of requests waits for the slowest of each.
const SPREAD: Latency = Latency::Uniform {
    min: Duration::from_millis(5),
    max: Duration::from_millis(80),
};

/// The slow server of [`check_waits_asleep`]: every answer takes this long.
const SLOW: Duration = Duration::from_millis(250);

/// A crawl of a one-page site whose every answer takes [`SLOW`]: robots.txt,
/// then the page, with `bound` workers or slots that have nothing to do but
/// wait. It must neither burn CPU (`busy-wait`) nor wake up on a timer
/// (`polling`): a loop that checks every 10 ms wakes fifty times here, a
/// crawl that sleeps until something happens a few. `crawl` makes the
/// crawl (run on a blocking thread, or wrapped in a runtime by the caller).
/// Returns a description for the note.
fn check_waits_asleep<C, R>(
    bound: usize,
    wakeups_per_request: f64,
    crawl: impl Fn(&Url, Options) -> C,
) -> String
where
    C: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let site = Site::start(SiteConfig::pages(1).with_latency(Latency::Fixed(SLOW)));
    let start = start_url(&site);
    let call = format!(
        "a crawl of one page with {bound} allowed in flight, at {} ms an answer",
        SLOW.as_millis()
    );
    let limited = options(bound);
    let (_, cost) = measure_beside(&site, || {
        run_blocking_any(&site, &call, crawl(&start, limited))
    });
    let requests = site.stats().requests;
    if !check_no_spinning(&call, &cost, requests) {
        spinning_unjudged(&call, &cost, 1);
    }
    check_no_napping(
        &call,
        &cost,
        requests,
        &format!("a server that answers in {} ms", SLOW.as_millis()),
        wakeups_per_request,
    );
    format!(
        "{requests} requests cost {:.2} cores and {} wake-ups",
        cost.cores(),
        cost.wakeups
    )
}

// ----------------------------------------------------------------- async --

#[test]
fn bounded_async() {
    const BOUND: usize = 32;
    const LATENCY: Duration = Duration::from_millis(40);
    const BEAT: Duration = Duration::from_millis(5);
    let _cpu = harness::exclusive::cpu();
    let site = Site::start(SiteConfig::pages(500).with_latency(Latency::Fixed(LATENCY)));
    let start = start_url(&site);
    let call = format!("crawl_async({start}) with a bound of {BOUND}");

    // First a crawl of 100 pages beside a heartbeat task on the same
    // single-threaded runtime: anything that blocks the thread shows up as
    // a late heartbeat.
    let limited = Options {
        max_pages: 100,
        ..options(BOUND)
    };
    let reading = busy::retry(3, |_| {
        site.reset_stats();
        let limited = limited.clone();
        let start = start.clone();
        let ((report, late, beats, wall), cost) = measure_beside(&site, || {
            run_async(&site, &call, move || async move {
                let heartbeat = Heartbeat::spawn(BEAT);
                tokio::time::sleep(BEAT * 2).await;
                let began = Instant::now();
                let before = heartbeat.beats();
                let report = kata::crawl_async(&start, &limited)
                    .await
                    .expect("the crawl can start");
                (
                    report,
                    heartbeat.worst_lateness(),
                    heartbeat.beats() - before,
                    began.elapsed(),
                )
            })
        });
        // The share of the wake-ups the heartbeat would have had on an
        // idle runtime (one per BEAT, a little less with timer rounding).
        // A blocked runtime wakes it once per blockage instead. On a busy
        // machine another program taking the core costs it beats too, so
        // a low share fails only on a quiet one.
        let share = beats as f64 * BEAT.as_secs_f64() / wall.as_secs_f64();
        // Reaching the bound is timing too: 32 requests must be sent within
        // one latency. Above it, or at one, are facts (judged below).
        let peak = site.stats().peak_in_flight;
        busy::timing(
            share >= 0.5 && (peak >= BOUND || peak <= 1),
            &cost.usage,
            (report, late, beats, wall, share, cost),
        )
    });
    let unclear = reading.is_unclear();
    let (report, late, beats, wall, share, cost) = reading.into_inner();
    if unclear {
        grade::inconclusive(busy::inconclusive_message(
            &format!("{call} ran beside a heartbeat"),
            &cost.usage,
            3,
        ));
    } else {
        ensure(share >= 0.5, "blocked-runtime", || {
            format!(
                "while {call} ran ({:.0} ms), a task on the same runtime that asks to wake every \
                 {} ms woke {beats} times — {:.0}% of the time it should have — and was late by \
                 up to {:.0} ms (the site answers in {} ms): something blocked the runtime's \
                 thread for about as long as a request takes. Inside async code, await the async \
                 client (reqwest::Client) — never a blocking call, a thread's join() or \
                 std::thread::sleep",
                ms(wall),
                BEAT.as_millis(),
                share * 100.0,
                ms(late),
                LATENCY.as_millis()
            )
        });
    }
    let stats = site.stats();
    check_bound(
        stats.peak_in_flight,
        BOUND,
        &call,
        "sequential-awaits",
        "each fetch is awaited before the next one starts. Spawn them (a JoinSet), or poll \
         them together (buffer_unordered), so that many wait at once",
    );
    check_each_once(&stats, &call);
    let requests = page_requests(&stats);
    ensure(
        report.pages.len() == 100 && requests == 100,
        "max-pages",
        || {
            format!(
                "with max_pages = 100, {call} reported {} pages and made {requests} page requests; \
             expected 100 of each — count URLs when they are queued",
                report.pages.len()
            )
        },
    );

    // The whole of a site whose latencies are spread, as real servers'
    // are: every page, each once, the crawl returns, no CPU burnt while it
    // waits, and a new request started as soon as any finishes.
    let spread = Site::start(SiteConfig::pages(500).with_latency(SPREAD));
    let spread_start = start_url(&spread);
    let reading = busy::retry(3, |_| {
        spread.reset_stats();
        let start = spread_start.clone();
        let (report, cost) = measure_beside(&spread, || {
            run_async(&spread, &call, move || async move {
                kata::crawl_async(&start, &options(BOUND))
                    .await
                    .expect("the crawl can start")
            })
        });
        let stats = spread.stats();
        check_each_once(&stats, &call);
        check_found(
            &report,
            &page_urls(&spread, |_| true),
            &call,
            "are the links of every page queued?",
        );
        ensure(stats.peak_in_flight <= BOUND, "exceeded-bound", || {
            format!(
                "{call} had {} requests in flight at once; the bound was {BOUND}",
                stats.peak_in_flight
            )
        });
        let judged = check_no_spinning(&call, &cost, stats.requests);
        let reading = judge_slots(&spread, BOUND, &cost);
        if judged {
            reading.map(|idle| (idle, cost))
        } else {
            busy::Reading::Unclear((reading.into_inner(), cost))
        }
    });
    let (_, cost) = reading.clone().into_inner();
    let idle = report_slots(&call, BOUND, reading.map(|r| r.0), &cost);
    let mean = spread.slot_use(BOUND).mean_in_flight();

    check_max_depth(&site, &call, BOUND, |start, options| {
        let start = start.clone();
        move || async_crawl(&start, &options)
    });
    check_small_bound(&site, "sequential-awaits", |start, options| {
        let start = start.clone();
        move || async_crawl(&start, &options)
    });
    let slow = check_waits_asleep(4, 3.0, |start, options| {
        let start = start.clone();
        move || async_crawl(&start, &options)
    });
    note(format!(
        "{} pages at 5–80 ms each in {:.0} ms, {mean:.1} requests in flight on average ({BOUND} \
         allowed), {:.0}% of the slots idle while work waited ({:.0}% allowed), {:.2} cores busy; \
         a heartbeat task beside it got {:.0}% of its wake-ups (50% needed; late by at most {:.1} \
         ms); on a slow server, {slow}",
        spread.pages().len(),
        ms(cost.usage.wall),
        idle * 100.0,
        IDLE_AT_MOST * 100.0,
        cost.cores(),
        share * 100.0,
        ms(late)
    ));
}

/// A crawl that is nearly all backoff: a site whose only other page
/// always answers 500, retried twice. Waiting out a backoff must cost
/// nothing — no CPU (`busy-wait`: a loop that watches the clock), no
/// stream of wake-ups (`polling`: a loop that naps and looks). Returns a
/// description for the note.
fn check_backoff_asleep() -> String {
    const BACKOFF: Duration = Duration::from_millis(100);
    let site = Site::start(SiteConfig::pages(1).with_hostile(&[Hostile::ErrorPages]));
    let start = start_url(&site);
    const RETRIES: u32 = 3;
    let call = format!(
        "crawl_async({start}) of a page that always fails, retried {RETRIES} times with a \
         backoff of {} ms",
        BACKOFF.as_millis()
    );
    let retrying = Options {
        retries: RETRIES,
        backoff: BACKOFF,
        ..options(4)
    };
    let (_, cost) = measure_beside(&site, || {
        run_blocking_any(&site, &call, move || async_crawl(&start, &retrying))
    });
    let stats = site.stats();
    let requests = stats.requests;
    // Three retries: the waits must double each time (100, 200, 400 ms), not
    // grow by a step (100, 200, 300).
    let times = stats
        .times
        .get(site::paths::BROKEN)
        .cloned()
        .unwrap_or_default();
    ensure(times.len() == 1 + RETRIES as usize, "retries", || {
        format!(
            "{call} requested {} {} times; with retries = {RETRIES}, expected {}",
            site::paths::BROKEN,
            times.len(),
            1 + RETRIES
        )
    });
    for (i, pair) in times.windows(2).enumerate() {
        let waited = pair[1].saturating_sub(pair[0]);
        let wanted = BACKOFF * (1 << i);
        ensure(waited >= wanted.mul_f64(0.9), "no-backoff", || {
            format!(
                "{call}: retry {} came {:.0} ms after the attempt before it; the backoff doubles \
                 at each retry ({} ms, then {} ms, then {} ms: fetch::backoff(options.backoff, \
                 attempt))",
                i + 1,
                ms(waited),
                BACKOFF.as_millis(),
                2 * BACKOFF.as_millis(),
                4 * BACKOFF.as_millis()
            )
        });
    }
    if !check_no_spinning(&call, &cost, requests) {
        spinning_unjudged(&call, &cost, 1);
    }
    check_no_napping(
        &call,
        &cost,
        requests,
        &format!(
            "backoffs of {}, {} and {} ms",
            BACKOFF.as_millis(),
            2 * BACKOFF.as_millis(),
            4 * BACKOFF.as_millis()
        ),
        3.0,
    );
    format!(
        "a crawl of {:.0} ms, mostly backing off, cost {:.2} cores and {} wake-ups",
        ms(cost.usage.wall),
        cost.cores(),
        cost.wakeups
    )
}

/// max_depth: no page beyond it is fetched. (With many requests in flight a
/// page may first be reached by a longer path, so the exact set is not
/// required as it is for the breadth-first baseline.)
fn check_max_depth<C>(site: &Site, call: &str, bound: usize, crawl: impl Fn(&Url, Options) -> C)
where
    C: FnOnce() -> Report + Send + 'static,
{
    site.reset_stats();
    let shallow = Options {
        max_depth: 2,
        ..options(bound)
    };
    let report = run_blocking(site, call, crawl(&start_url(site), shallow));
    let too_deep: Vec<String> = report
        .urls()
        .into_iter()
        .filter(|url| {
            let path = &url[site.root().len() - 1..];
            site.depth(path).is_none_or(|d| d > 2)
        })
        .collect();
    ensure(too_deep.is_empty(), "max-depth", || {
        format!(
            "with max_depth = 2, {call} fetched {} pages more than 2 links from the start, \
             e.g. {}",
            too_deep.len(),
            too_deep[0]
        )
    });
    let near = page_urls(site, |path| site.depth(path).is_some_and(|d| d <= 1));
    ensure(near.is_subset(&report.urls()), "max-depth", || {
        format!("with max_depth = 2, {call} missed pages linked from the start page itself")
    });
}

/// The bound is the caller's: a crawl with a bound of 3 keeps exactly 3 in
/// flight, not the number the code was written for. `serial` is the
/// diagnosis for one at a time.
fn check_small_bound<C>(site: &Site, serial: &str, crawl: impl Fn(&Url, Options) -> C)
where
    C: FnOnce() -> Report + Send + 'static,
{
    const SMALL: usize = 3;
    site.reset_stats();
    let start = start_url(site);
    let call = format!("a crawl of {start} with a bound of {SMALL}");
    let limited = Options {
        max_pages: 30,
        ..options(SMALL)
    };
    let _ = run_blocking(site, &call, crawl(&start, limited));
    check_bound(
        site.stats().peak_in_flight,
        SMALL,
        &call,
        serial,
        "use the bound you are given (options.concurrency)",
    );
}

/// robots.txt is obeyed by every strategy, not only the polite one: read
/// once, and nothing it disallows is requested.
fn check_obeys_robots<C>(name: &str, bound: usize, crawl: impl Fn(&Url, Options) -> C)
where
    C: FnOnce() -> Report + Send + 'static,
{
    let site = Site::start(SiteConfig::pages(20).with_hostile(&[Hostile::Robots]));
    let start = start_url(&site);
    let call = format!("{name}({start}) on a site with a robots.txt");
    let _ = run_blocking(&site, &call, crawl(&start, options(bound)));
    let stats = site.stats();
    let private: usize = stats
        .per_path
        .iter()
        .filter(|(path, _)| path.starts_with(site::paths::PRIVATE))
        .map(|(_, n)| n)
        .sum();
    ensure(
        stats.count(site::paths::ROBOTS) == 1 && private == 0,
        "ignored-robots",
        || {
            format!(
                "{call} fetched /robots.txt {} times and paths it disallows {private} times: \
                 every crawler obeys robots.txt (options.obey_robots is on by default) — fetch \
                 it once before the crawl and skip every URL it disallows before queueing it",
                stats.count(site::paths::ROBOTS)
            )
        },
    );
}

/// Fail with `no-body-cap` unless the crawl records a page larger than
/// `options.max_body` as too large: the cap is an argument like any other,
/// and each strategy must pass it on to the given fetch, not one of them.
fn check_body_cap<C>(name: &str, bound: usize, crawl: impl Fn(&Url, Options) -> C)
where
    C: FnOnce() -> Report + Send + 'static,
{
    let site = Site::start(SiteConfig::pages(10).with_hostile(&[Hostile::HugePage]));
    let start = start_url(&site);
    let cap = 1 << 20;
    let call = format!("{name}({start}) with max_body = {cap}");
    let report = run_blocking(
        &site,
        &call,
        crawl(
            &start,
            Options {
                max_body: cap,
                ..options(bound)
            },
        ),
    );
    let huge = report
        .pages
        .iter()
        .find(|p| p.url.path() == site::paths::HUGE);
    ensure(
        huge.is_some_and(|p| p.error.as_ref().is_some_and(|e| e.kind() == "too-large")),
        "no-body-cap",
        || {
            format!(
                "{} is {} MiB; {call} recorded it as {:?}: pass options.max_body on to the \
                 fetch, so that no page is read past the cap",
                site::paths::HUGE,
                site::HUGE_BYTES >> 20,
                huge.map(|p| p.outcome())
            )
        },
    );
}

/// An async crawl on a fresh single-threaded runtime of its own, from
/// blocking code.
fn async_crawl(start: &Url, options: &Options) -> Report {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("cannot build a tokio runtime")
        .block_on(kata::crawl_async(start, options))
        .expect("the crawl can start")
}

// ---------------------------------------------------------------- polite --

#[test]
fn polite() {
    const BOUND: usize = 16;
    const PER_HOST: usize = 4;
    const RETRIES: u32 = 2;
    /// Long enough that a blocking backoff stalls the heartbeat far beyond
    /// what a busy machine's scheduling can (see the last check).
    const BACKOFF: Duration = Duration::from_millis(250);
    const TIMEOUT: Duration = Duration::from_millis(600);
    const MAX_BODY: u64 = 1 << 20;
    const MAX_PAGES: usize = 400;
    const BEAT: Duration = Duration::from_millis(5);
    /// How much later than its timeout and backoff a retry of the drip may
    /// come: the drip's next byte is up to 200 ms away, so the site notices
    /// a client that gave up that late, plus scheduling.
    const DRIP_SLACK: Duration = Duration::from_millis(350);
    let _cpu = harness::exclusive::cpu();
    let site = Site::start(
        SiteConfig::pages(150)
            .with_latency(Latency::Fixed(Duration::from_millis(5)))
            .with_hostile(&Hostile::ALL),
    );
    let start = start_url(&site);
    let call = format!("crawl_async({start}) on a hostile site");
    let polite = Options {
        concurrency: BOUND,
        per_host: PER_HOST,
        max_pages: MAX_PAGES,
        timeout: TIMEOUT,
        retries: RETRIES,
        backoff: BACKOFF,
        max_body: MAX_BODY,
        max_redirects: 5,
        ..Options::default()
    };
    let user_agent = polite.user_agent.clone();
    // Each backoff is at least BACKOFF long: a blocking one stalls the
    // heartbeat at least that long. Lateness is timing, so a late
    // heartbeat counts only on a quiet machine; the crawl is run again
    // after a busy spell (every other check below is a fact about the
    // requests, whatever the machine did).
    let reading = busy::retry(3, |_| {
        site.reset_stats();
        let (start, polite) = (start.clone(), polite.clone());
        let ((report, late), cost) = measure_beside(&site, || {
            run_async(&site, &call, move || async move {
                let heartbeat = Heartbeat::spawn(BEAT);
                let report = kata::crawl_async(&start, &polite)
                    .await
                    .expect("the crawl can start");
                (report, heartbeat.worst_lateness())
            })
        });
        // The drip's retries must come a timeout and a backoff apart, give
        // or take the drip's own pace: timing, judged on a quiet machine.
        let drip = site
            .stats()
            .times
            .get(site::paths::DRIP)
            .cloned()
            .unwrap_or_default();
        let drip_on_time = drip.windows(2).enumerate().all(|(i, pair)| {
            pair[1].saturating_sub(pair[0]) <= TIMEOUT + BACKOFF * (1 << i) + DRIP_SLACK
        });
        busy::timing(
            late < BACKOFF.mul_f64(0.8) && drip_on_time,
            &cost.usage,
            (report, late, cost),
        )
    });
    let late_unclear = reading.is_unclear();
    let (report, late, cost) = reading.into_inner();
    let stats = site.stats();
    let record = |path: &str| {
        let url = site.url(path);
        report.pages.iter().find(|p| p.url.as_str() == url).cloned()
    };

    // A blocked runtime delays everything after it, retries included:
    // judged first, so that it gets its own diagnosis.
    if !check_no_spinning(&call, &cost, stats.requests) {
        spinning_unjudged(&call, &cost, 3);
    }
    if late_unclear {
        grade::inconclusive(busy::inconclusive_message(
            &format!("{call} ran beside a heartbeat"),
            &cost.usage,
            3,
        ));
    }
    ensure(
        late_unclear || late < BACKOFF.mul_f64(0.8),
        "blocked-runtime",
        || {
            format!(
                "a task beside {call} on the same runtime was late by {:.0} ms: a wait blocked the \
             thread. Back off with tokio::time::sleep(...).await, never std::thread::sleep",
                ms(late)
            )
        },
    );
    // robots.txt: read once, obeyed.
    let private: usize = stats
        .per_path
        .iter()
        .filter(|(path, _)| path.starts_with(site::paths::PRIVATE))
        .map(|(_, n)| n)
        .sum();
    ensure(
        stats.count(site::paths::ROBOTS) == 1 && private == 0,
        "ignored-robots",
        || {
            format!(
                "{call} fetched /robots.txt {} times and paths it disallows {private} times: fetch \
             it once before the crawl (robots::fetch_robots) and skip every URL it disallows \
             (Robots::allows_url) before queueing it",
                stats.count(site::paths::ROBOTS)
            )
        },
    );
    // The trap is endless: only max_pages stops it.
    ensure(report.pages.len() <= MAX_PAGES, "max-pages", || {
        format!(
            "{call} recorded {} pages with max_pages = {MAX_PAGES} (the site has an endless \
             link trap under {})",
            report.pages.len(),
            site::paths::TRAP
        )
    });
    // Retries: on 5xx, a bounded number, with growing waits between them.
    let broken = stats
        .times
        .get(site::paths::BROKEN)
        .cloned()
        .unwrap_or_default();
    ensure(broken.len() == 1 + RETRIES as usize, "retries", || {
        format!(
            "{} always answers 500; with retries = {RETRIES}, {call} should request it {} \
             times and then record the failure, but requested it {} times",
            site::paths::BROKEN,
            1 + RETRIES,
            broken.len()
        )
    });
    for (i, pair) in broken.windows(2).enumerate() {
        let waited = pair[1].saturating_sub(pair[0]);
        let wanted = BACKOFF * (1 << i);
        ensure(waited >= wanted.mul_f64(0.9), "no-backoff", || {
            format!(
                "{call} retried {} after {:.0} ms; retry {} should wait at least {:.0} ms \
                 (backoff {} ms, doubled at each retry) — await tokio::time::sleep before \
                 trying again",
                site::paths::BROKEN,
                ms(waited),
                i + 1,
                ms(wanted),
                BACKOFF.as_millis()
            )
        });
    }
    let flaky = record(site::paths::FLAKY);
    ensure(flaky.as_ref().is_some_and(|p| p.is_ok()), "retries", || {
        format!(
            "{} fails {} times and then answers; with {RETRIES} retries {call} should have \
             got it, but recorded {:?}",
            site::paths::FLAKY,
            site::FLAKY_FAILURES,
            flaky.map(|p| p.outcome())
        )
    });
    // A connection that closes without an answer is a failure too — not a
    // status, an error — and as worth retrying as a 500.
    let dropped = record(site::paths::DROPPED);
    let dropped_requests = stats.count(site::paths::DROPPED);
    ensure(
        dropped.as_ref().is_some_and(|p| p.is_ok())
            && dropped_requests == 1 + site::DROPPED_FAILURES,
        "retries",
        || {
            format!(
                "{} closes the connection without an answer {} times and then answers; with \
                 {RETRIES} retries {call} should have got it on attempt {}, but requested it \
                 {dropped_requests} times and recorded {:?}. A broken connection is a transient \
                 failure (FetchError::is_transient): retry it like a 5xx",
                site::paths::DROPPED,
                site::DROPPED_FAILURES,
                1 + site::DROPPED_FAILURES,
                dropped.map(|p| p.outcome())
            )
        },
    );
    let missing = stats.count(site::paths::MISSING);
    ensure(missing == 1, "retries", || {
        format!(
            "{call} requested {} {missing} times: a 404 is an answer, not a failure to retry",
            site::paths::MISSING
        )
    });
    // Timeouts: the slow drip is cut off, and tried again like a 5xx.
    let drip = record(site::paths::DRIP);
    ensure(
        drip.as_ref()
            .and_then(|p| p.error.as_ref())
            .is_some_and(|e| e.kind() == "timeout"),
        "no-timeout",
        || {
            format!(
                "{} sends one byte every 200 ms; {call} should give up on it after \
                 options.timeout ({} ms) — wrap each attempt in tokio::time::timeout — but \
                 recorded {:?}",
                site::paths::DRIP,
                TIMEOUT.as_millis(),
                drip.map(|p| p.outcome())
            )
        },
    );
    // A timeout is retried like a 5xx, with the same growing waits: the
    // retry policy is about kinds of failure, not one status code.
    let drip_times = stats
        .times
        .get(site::paths::DRIP)
        .cloned()
        .unwrap_or_default();
    ensure(drip_times.len() == 1 + RETRIES as usize, "retries", || {
        format!(
            "{} times out on every attempt; with retries = {RETRIES}, {call} should try it {} \
             times — a timeout is a transient failure, worth retrying like a 5xx answer \
             (FetchError::is_transient says which errors are) — but requested it {} times",
            site::paths::DRIP,
            1 + RETRIES,
            drip_times.len()
        )
    });
    for (i, pair) in drip_times.windows(2).enumerate() {
        let waited = pair[1].saturating_sub(pair[0]);
        let wanted = TIMEOUT + BACKOFF * (1 << i);
        ensure(waited >= wanted.mul_f64(0.9), "no-backoff", || {
            format!(
                "{call} retried {} {:.0} ms after the previous attempt began; the attempt's \
                 timeout ({} ms) and then a backoff of {:.0} ms should come first",
                site::paths::DRIP,
                ms(waited),
                TIMEOUT.as_millis(),
                ms(BACKOFF * (1 << i))
            )
        });
        // And not much more: an attempt ends at options.timeout, not at a
        // timeout of the code's own choosing (on a busy machine, measured
        // again above, and at worst inconclusive).
        ensure(
            late_unclear || waited <= wanted + DRIP_SLACK,
            "no-timeout",
            || {
                format!(
                    "{call} retried {} {:.0} ms after the previous attempt began, where the \
                 attempt's timeout ({} ms) and a backoff of {:.0} ms add up to {:.0}: each \
                 attempt must give up after options.timeout — not a timeout of its own, and \
                 not one that also covers waiting for a permit or the backoff",
                    site::paths::DRIP,
                    ms(waited),
                    TIMEOUT.as_millis(),
                    ms(BACKOFF * (1 << i)),
                    ms(wanted)
                )
            },
        );
    }
    // Failures that will fail again are not retried.
    let huge_requests = stats.count(site::paths::HUGE);
    let loop_requests = stats.count(site::paths::LOOP_A) + stats.count(site::paths::LOOP_B);
    ensure(
        huge_requests == 1 && loop_requests <= 5 + 1,
        "retries",
        || {
            format!(
                "{call} requested {} {huge_requests} times and the redirect loop {loop_requests} \
                 times (one attempt follows at most 5 redirects: 6 requests): a body too large \
                 or a redirect loop is the same next time — retry only what may go away \
                 (FetchError::is_transient, and 5xx answers)",
                site::paths::HUGE
            )
        },
    );
    // The body cap and the redirect limit.
    let huge = record(site::paths::HUGE);
    ensure(
        huge.as_ref()
            .is_some_and(|p| p.error.as_ref().is_some_and(|e| e.kind() == "too-large")),
        "no-body-cap",
        || {
            format!(
                "{} is {} MiB; with max_body = {MAX_BODY} {call} should record it as too large, \
                 but recorded {:?}",
                site::paths::HUGE,
                site::HUGE_BYTES >> 20,
                huge.map(|p| p.outcome())
            )
        },
    );
    let redirects = record(site::paths::LOOP_A);
    ensure(
        redirects.as_ref().is_some_and(|p| {
            p.error
                .as_ref()
                .is_some_and(|e| e.kind() == "too-many-redirects")
        }),
        "redirects",
        || {
            format!(
                "{} redirects in a loop; {call} recorded {:?}",
                site::paths::LOOP_A,
                redirects.map(|p| p.outcome())
            )
        },
    );
    // Content: only HTML is searched for links; bad UTF-8 is no reason to
    // skip a page's links.
    ensure(
        stats.count(site::paths::FROM_TEXT) == 0,
        "parsed-non-html",
        || {
            format!(
                "{call} followed a link written in the text file {}: search only text/html bodies \
             for links",
                site::paths::TEXT
            )
        },
    );
    ensure(
        stats.count(site::paths::AFTER_LATIN1) == 1,
        "invalid-utf8",
        || {
            format!(
                "{call} did not follow the link on {}, a page with invalid UTF-8 in it: decode \
             lossily (or tokenize the bytes) rather than skip the page",
                site::paths::LATIN1
            )
        },
    );
    ensure(
        stats.user_agents.contains(&user_agent),
        "no-user-agent",
        || {
            format!(
                "{call} did not send options.user_agent; the site saw {:?}",
                stats.user_agents
            )
        },
    );
    // The per-host limit, on a site without streamed hostile pages: when a
    // client gives up on a response the server is still sending (the drip,
    // the huge page), the server only notices at its next write, so its
    // in-flight count would lag behind the client's.
    let plain =
        Site::start(SiteConfig::pages(150).with_latency(Latency::Fixed(Duration::from_millis(5))));
    let start = start_url(&plain);
    let limited = Options {
        concurrency: BOUND,
        per_host: PER_HOST,
        ..options(BOUND)
    };
    let _ = run_async(&plain, &call, move || async move {
        kata::crawl_async(&start, &limited)
            .await
            .expect("the crawl can start")
    });
    let host_peak = plain
        .stats()
        .per_host
        .values()
        .map(|h| h.peak_in_flight)
        .max()
        .unwrap_or(0);
    ensure(host_peak <= PER_HOST, "per-host-bound", || {
        format!(
            "{call} had {host_peak} requests to one host in flight at once; options.per_host \
             was {PER_HOST} (and concurrency {BOUND}). Give each host a tokio Semaphore with \
             per_host permits, and hold a permit while a request is in flight"
        )
    });
    let backoff = check_backoff_asleep();
    let failures = report.failures();
    note(format!(
        "{} pages recorded, {failures} failures reported ({}), robots obeyed, at most \
         {host_peak} requests per host; {:.2} cores busy; {backoff}",
        report.pages.len(),
        report
            .outcomes()
            .into_iter()
            .filter(|(outcome, _)| outcome != "ok")
            .map(|(outcome, n)| format!("{n} {outcome}"))
            .collect::<Vec<_>>()
            .join(", "),
        cost.cores()
    ));
}
