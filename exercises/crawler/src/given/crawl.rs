//! What a crawl is asked to do ([`Options`]) and what it found ([`Report`]).
//!
//! Given code, shared by every strategy: the options a real crawler needs
//! (bounds, politeness, limits against hostile servers) and one record per
//! URL fetched.
//!
//! Given code: the reference solution compiles this same file (see
//! `solutions/crawler/src/lib.rs`), so leave it as it is.

use crate::fetch::{FetchError, Fetched};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Called once per page as it is recorded: the command line uses it for its
/// progress bar.
pub type Observer = Arc<dyn Fn(&PageRecord) + Send + Sync>;

/// How to crawl. `Options::default()` suits a local site; the command line
/// sets politer values for a real one.
#[derive(Clone)]
pub struct Options {
    /// Worker threads ([`crate::crawl_threads`]) or requests in flight at once
    /// ([`crate::crawl_async`]). The sequential crawler ignores it.
    pub concurrency: usize,
    /// At most this many requests to any one host at once (async only).
    /// A tokio `Semaphore` holds at most `Semaphore::MAX_PERMITS`, far
    /// more than any server would welcome.
    pub per_host: usize,
    /// Fetch at most this many URLs (the start URL included). Stops link
    /// traps: a site can generate pages for ever.
    pub max_pages: usize,
    /// Follow links at most this deep: the start page is depth 0, the pages
    /// it links to depth 1, ... `usize::MAX` for no limit.
    pub max_depth: usize,
    /// Give up on one attempt at a URL after this long (async only: the
    /// blocking client gets the same value as its own timeout).
    pub timeout: Duration,
    /// Try a URL again at most this many times after a 5xx answer or a
    /// transient error — a timeout, a refused or broken connection (async
    /// only). 4xx answers are final.
    pub retries: u32,
    /// Wait this long before the first retry, twice as long before the second,
    /// and so on (exponential backoff).
    pub backoff: Duration,
    /// Read at most this many bytes of a body; a longer one is an error.
    pub max_body: u64,
    /// Follow at most this many redirects for one URL.
    pub max_redirects: usize,
    /// Sent with every request, and matched against robots.txt groups.
    pub user_agent: String,
    /// Fetch `/robots.txt` first and skip the paths it disallows.
    pub obey_robots: bool,
    /// Told about every page recorded, if set.
    pub observer: Option<Observer>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            concurrency: 32,
            per_host: 1024,
            max_pages: 100_000,
            max_depth: usize::MAX,
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(200),
            max_body: 8 << 20,
            max_redirects: 5,
            user_agent: concat!("when-to-use-what-crawler/", env!("CARGO_PKG_VERSION")).into(),
            obey_robots: true,
            observer: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("concurrency", &self.concurrency)
            .field("per_host", &self.per_host)
            .field("max_pages", &self.max_pages)
            .field("max_depth", &self.max_depth)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .field("max_body", &self.max_body)
            .field("max_redirects", &self.max_redirects)
            .field("user_agent", &self.user_agent)
            .field("obey_robots", &self.obey_robots)
            .field("observer", &self.observer.as_ref().map(|_| "set"))
            .finish()
    }
}

/// One URL the crawler fetched (or tried to).
#[derive(Clone, Debug)]
pub struct PageRecord {
    /// The URL as it was queued (normalised; before any redirect).
    pub url: Url,
    /// Links followed from the start page to reach it.
    pub depth: usize,
    /// The final HTTP status, if an answer came at all.
    pub status: Option<u16>,
    /// Body bytes read.
    pub bytes: u64,
    /// Was the body HTML (by its Content-Type)?
    pub html: bool,
    /// Same-site links found on the page (HTML only).
    pub links: usize,
    /// Time from the first attempt to the last byte (retries and backoff
    /// included).
    pub elapsed: Duration,
    /// Why there is no usable page, if there is none.
    pub error: Option<FetchError>,
}

impl PageRecord {
    /// The record of one fetch of `url`, and the same-site links found on it
    /// (only a 2xx HTML page is searched for links).
    pub fn from_fetch(
        url: Url,
        depth: usize,
        elapsed: Duration,
        result: Result<Fetched, FetchError>,
    ) -> (PageRecord, Vec<Url>) {
        match result {
            Ok(page) => {
                let links = if page.is_html && (200..300).contains(&page.status) {
                    crate::links::extract_links(&page.final_url, &page.body)
                } else {
                    Vec::new()
                };
                let record = PageRecord {
                    url,
                    depth,
                    status: Some(page.status),
                    bytes: page.bytes,
                    html: page.is_html,
                    links: links.len(),
                    elapsed,
                    error: None,
                };
                (record, links)
            }
            Err(error) => {
                let record = PageRecord {
                    url,
                    depth,
                    status: None,
                    bytes: 0,
                    html: false,
                    links: 0,
                    elapsed,
                    error: Some(error),
                };
                (record, Vec::new())
            }
        }
    }

    /// A 2xx answer that was read whole.
    pub fn is_ok(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// "ok", "HTTP 404", "timeout"...: the short outcome used in summaries.
    pub fn outcome(&self) -> String {
        match (&self.error, self.status) {
            (Some(e), _) => e.kind().to_owned(),
            (None, Some(s)) if (200..300).contains(&s) => "ok".to_owned(),
            (None, Some(s)) => format!("HTTP {s}"),
            (None, None) => "no answer".to_owned(),
        }
    }
}

/// Everything one crawl fetched, in the order the pages were recorded.
#[derive(Clone, Default)]
pub struct Report {
    /// One record per URL fetched.
    pub pages: Vec<PageRecord>,
    observer: Option<Observer>,
}

impl Report {
    /// An empty report that tells `options.observer` about each page.
    pub fn new(options: &Options) -> Report {
        Report {
            pages: Vec::new(),
            observer: options.observer.clone(),
        }
    }

    /// Add one page (and tell the observer).
    pub fn record(&mut self, page: PageRecord) {
        if let Some(observe) = &self.observer {
            observe(&page);
        }
        self.pages.push(page);
    }

    /// The URLs fetched, as strings, sorted.
    pub fn urls(&self) -> BTreeSet<String> {
        self.pages.iter().map(|p| p.url.to_string()).collect()
    }

    /// Pages that came back 2xx and whole.
    pub fn ok(&self) -> usize {
        self.pages.iter().filter(|p| p.is_ok()).count()
    }

    /// Pages that did not: error statuses and failed fetches.
    pub fn failures(&self) -> usize {
        self.pages.len() - self.ok()
    }

    /// How many pages ended each way ("ok", "HTTP 404", "timeout", ...).
    pub fn outcomes(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for page in &self.pages {
            *counts.entry(page.outcome()).or_default() += 1;
        }
        counts
    }

    /// Total body bytes read.
    pub fn bytes(&self) -> u64 {
        self.pages.iter().map(|p| p.bytes).sum()
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

/// Why a crawl could not even start. Failures of single pages are not
/// errors of the crawl: they are recorded in its [`Report`].
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The start URL is not an absolute http(s) URL.
    #[error("cannot crawl {0}: only http:// and https:// URLs can be crawled")]
    NotHttp(String),
    /// The HTTP client could not be built (e.g. no TLS roots).
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// `concurrency`, `per_host` or `max_pages` is zero: nothing could ever
    /// be fetched.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

/// Check the start URL and the options every strategy relies on.
pub fn check(start: &Url, options: &Options) -> Result<(), CrawlError> {
    if !matches!(start.scheme(), "http" | "https") || start.host().is_none() {
        return Err(CrawlError::NotHttp(start.to_string()));
    }
    if options.concurrency == 0 {
        return Err(CrawlError::Zero("concurrency"));
    }
    if options.per_host == 0 {
        return Err(CrawlError::Zero("per-host"));
    }
    if options.max_pages == 0 {
        return Err(CrawlError::Zero("max-pages"));
    }
    Ok(())
}
