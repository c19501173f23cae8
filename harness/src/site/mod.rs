//! A deterministic local website for crawler exercises, tests and demos.
//!
//! A crawler needs a site to crawl, and grading one needs a site that knows
//! the right answer: which pages exist, which links each page carries, how
//! deep each page is, and — for concurrency — how many requests the crawler
//! had in flight at once. [`Site::start`] serves such a site on
//! `127.0.0.1:0` from its own thread and runtime, and answers those
//! questions exactly ([`Site::pages`], [`Site::expected_links`],
//! [`Site::depth`], [`Site::stats`]). [`Site::serve_dir`] serves a real folder
//! instead (your `target/doc`), for demos on real HTML.
//!
//! Run its tests with `cargo test -p harness site`.
//!
//! ```
//! use harness::site::{Latency, Site, SiteConfig};
//! use std::time::Duration;
//!
//! let site = Site::start(
//!     SiteConfig::pages(50).with_latency(Latency::Fixed(Duration::from_millis(5))),
//! );
//! assert_eq!(site.pages().len(), 50);
//! assert!(site.pages().contains("/"));
//! let links = site.expected_links("/");
//! assert!(links.iter().all(|url| url.starts_with(&site.root())));
//! // … crawl site.root() …
//! println!("peak in flight: {}", site.stats().peak_in_flight);
//! ```
//!
//! # The page graph
//!
//! Everything follows from [`SiteConfig::seed`]: the same seed gives the
//! same paths, links and HTML (absolute links contain the port, which
//! differs between runs). Page 0 is `/`; the others are spread over
//! sections (`/docs/s3/p17.html`, `/blog/p42.html`, `/guide/ch2/p8.html`,
//! `/api/net/p9.html`), every tenth is a directory page (`/topics/t17/`) and
//! every tenth a query page (`/list?page=15&sort=asc` — the query is part of
//! the page's identity). Each page hangs under an earlier one (so every page
//! is reachable from `/`), lists its children, and carries
//! [`SiteConfig::links_per_page`] further links to random pages.
//!
//! Links are written in every form a crawler must resolve: relative to the
//! page's directory (`p18.html`, `../s4/p9.html`, `../../`), a query alone
//! (`?page=25&amp;sort=asc` between two `/list` pages), absolute paths,
//! absolute URLs (also `http://127.0.0.1:PORT` without a slash),
//! scheme-relative (`//127.0.0.1:PORT/…`), upper-case scheme and host,
//! dot segments (`/blog/../docs/s4/p9.html`), with fragments (`#section-2`),
//! double-quoted, single-quoted or unquoted, `<A HREF>` in capitals, and
//! `&amp;` in queries. Pages whose index is a multiple of 37 carry a
//! `<base href>` naming another page; their relative links are written
//! against it.
//!
//! **What counts as a link**: the `href` of `<a>` and `<area>` elements,
//! outside comments and scripts, resolved against the document's base URL,
//! fragment removed, kept if it has the site's scheme, host and port.
//! (`<link rel=stylesheet href=/style.css>` is not a page link; `/style.css`
//! answers 200 text/css for a crawler that follows it anyway.)
//! [`Site::expected_links`] is that list, deduplicated, in document order.
//!
//! Decoys that a correct extractor does *not* return: off-site links
//! (`http://example.invalid/…`, `https://docs.example.invalid/…`, another
//! port `http://127.0.0.1:1/…`), `mailto:`, `tel:`, `javascript:`, an
//! `<a href>` inside an HTML comment and one inside a `<script>` string
//! (both to `/ghost-…` paths, which answer 404, so a regex "extractor" shows
//! up in [`Stats::per_path`]). A fragment-only `#top` link is *not* a decoy:
//! it resolves to the page itself (or to its `<base>` page), and appears in
//! [`Site::expected_links`] at its position.
//!
//! # Hostile modes
//!
//! Off by default; listed in [`SiteConfig::hostile`], each adds paths, and
//! `/` links their entries ([`Hostile::entries`]). Those links *are* in
//! `expected_links("/")` (it describes the HTML as served) but the hostile
//! paths are not in [`Site::pages`]. When a mode is off its paths answer 404.
//!
//! | mode | paths | behaviour |
//! |---|---|---|
//! | `trap` | `/trap/N` | links `/trap/2N` and `/trap/2N+1`, endlessly |
//! | `redirect-loop` | `/loop/a`, `/loop/b` | 302 to each other |
//! | `huge-page` | `/huge.html` | 200 text/html, [`HUGE_BYTES`] long, generated in 64 KiB chunks |
//! | `slow-drip` | `/drip.html` | headers at once, then a byte every [`DRIP_INTERVAL`] ([`DRIP_BYTES`] in all: 120 s) |
//! | `error-pages` | `/missing.html`, `/broken.html` | 404; 500 always |
//! | `flaky` | `/flaky.html`, `/recovered.html` | 500 [`FLAKY_FAILURES`] times, then 200 linking `/recovered.html` |
//! | `dropped` | `/dropped.html` | the connection closed without an answer [`DROPPED_FAILURES`] times, then 200 |
//! | `non-html` | `/logo.png`, `/notes.txt`, `/from-text.html` | a PNG; text/plain containing `<a href="/from-text.html">`; 404 |
//! | `invalid-utf8` | `/latin1.html`, `/after-latin1.html` | text/html with Latin-1 bytes around a link; 200 |
//! | `robots` | `/robots.txt`, `/private/`, `/private/secret.html` | disallows `/private/` (and all for `BadBot`); 200 for whoever ignores it |
//!
//! # Latency and in-flight counting
//!
//! [`Latency`] delays every response (before its headers). A request counts
//! as in flight from the moment its head is parsed, through the delay, until
//! its body's last frame has been produced — not until hyper drops the body,
//! which would let the count exceed a correctly bounded client's limit for a
//! moment (see `server.rs`). Responses without a body stop counting when they
//! are produced. [`Stats::peak_in_flight`] (and per host,
//! [`HostStats::peak_in_flight`]) is the largest count seen, and
//! [`Stats::flights`] the arrival and departure of every request. From those
//! and the links of the pages it served, [`Site::slot_use`] tells how well a
//! crawler kept its slots busy while it knew of pages to fetch: a crawler
//! that works in waves reaches its bound and still leaves half its slots
//! empty. [`Site::thread_usage`] says what the server's own threads cost,
//! so that a test can measure the crawler beside it.
//!
//! Every response carries `Content-Type` and `Content-Length`. Any method is
//! answered like GET (HEAD without the body).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

mod graph;
mod hostile;
mod latency;
mod rng;
mod server;
mod static_dir;
#[cfg(test)]
mod tests;

pub use hostile::{
    DRIP_BYTES, DRIP_INTERVAL, DROPPED_FAILURES, FLAKY_FAILURES, HUGE_BYTES, Hostile,
    ParseHostileError,
};
pub use latency::{Latency, MAX_DELAY, ParseLatencyError};
pub use server::MAX_FLIGHTS;

use graph::Graph;
use server::{Content, Shared};

/// Paths of the fixed (non-graph) parts of the site.
pub mod paths {
    /// Prefix of the endless trap: `/trap/1`, `/trap/2`, … ([`Hostile::Trap`](super::Hostile::Trap)).
    pub const TRAP: &str = "/trap/";
    /// Redirects (302) to [`LOOP_B`].
    pub const LOOP_A: &str = "/loop/a";
    /// Redirects (302) to [`LOOP_A`].
    pub const LOOP_B: &str = "/loop/b";
    /// [`HUGE_BYTES`](super::HUGE_BYTES) of HTML.
    pub const HUGE: &str = "/huge.html";
    /// One byte every [`DRIP_INTERVAL`](super::DRIP_INTERVAL).
    pub const DRIP: &str = "/drip.html";
    /// 404 (linked from `/` with [`Hostile::ErrorPages`](super::Hostile::ErrorPages)).
    pub const MISSING: &str = "/missing.html";
    /// Always 500.
    pub const BROKEN: &str = "/broken.html";
    /// 500 [`FLAKY_FAILURES`](super::FLAKY_FAILURES) times, then 200.
    pub const FLAKY: &str = "/flaky.html";
    /// Linked only from a successful [`FLAKY`].
    pub const RECOVERED: &str = "/recovered.html";
    /// Hangs up [`DROPPED_FAILURES`](super::DROPPED_FAILURES) times, then 200.
    pub const DROPPED: &str = "/dropped.html";
    /// A PNG image.
    pub const IMAGE: &str = "/logo.png";
    /// text/plain containing a link-like string to [`FROM_TEXT`].
    pub const TEXT: &str = "/notes.txt";
    /// 404: only a crawler that parses text/plain as HTML asks for it.
    pub const FROM_TEXT: &str = "/from-text.html";
    /// HTML that is not valid UTF-8.
    pub const LATIN1: &str = "/latin1.html";
    /// Linked only from [`LATIN1`].
    pub const AFTER_LATIN1: &str = "/after-latin1.html";
    /// 200 with [`Hostile::Robots`](super::Hostile::Robots), 404 otherwise.
    pub const ROBOTS: &str = "/robots.txt";
    /// Disallowed by robots.txt (answers 200 to a crawler that ignores it).
    pub const PRIVATE: &str = "/private/";
    /// Also disallowed, also linked from `/`.
    pub const SECRET: &str = "/private/secret.html";
    /// Every page's stylesheet (`<link rel=stylesheet>`): 200 text/css, not a page.
    pub const STYLE: &str = "/style.css";
    /// Prefix of the decoy links inside comments and scripts (all 404).
    pub const GHOST_PREFIX: &str = "/ghost-";
}

/// What [`Site::start`] serves.
#[derive(Clone, Debug)]
pub struct SiteConfig {
    /// Number of pages in the normal page graph, root included (at least 1).
    pub pages: usize,
    /// Same seed, same graph and same HTML.
    pub seed: u64,
    /// Random links per page besides the links to its children.
    pub links_per_page: usize,
    /// Delay before each response.
    pub latency: Latency,
    /// Hostile modes to switch on.
    pub hostile: Vec<Hostile>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            pages: 1000,
            seed: 1,
            links_per_page: 6,
            latency: Latency::None,
            hostile: Vec::new(),
        }
    }
}

impl SiteConfig {
    /// The default site with `n` pages.
    pub fn pages(n: usize) -> Self {
        SiteConfig {
            pages: n,
            ..SiteConfig::default()
        }
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn with_latency(mut self, latency: Latency) -> Self {
        self.latency = latency;
        self
    }

    pub fn with_hostile(mut self, modes: &[Hostile]) -> Self {
        self.hostile = modes.to_vec();
        self
    }

    pub fn with_links_per_page(mut self, links: usize) -> Self {
        self.links_per_page = links;
        self
    }
}

/// A running local site. Dropping it stops the server (abandoning open
/// connections) and returns promptly.
pub struct Site {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Counters since the site started (or since [`Site::reset_stats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every request received (whatever its answer).
    pub requests: usize,
    /// Requests in flight now.
    pub in_flight: usize,
    /// Most requests in flight at once.
    pub peak_in_flight: usize,
    /// Path and query as received (`/list?page=3&sort=asc`) → requests.
    pub per_path: BTreeMap<String, usize>,
    /// Host header as received (`127.0.0.1:PORT`, `localhost:PORT`; `-`
    /// when absent) → its counters.
    pub per_host: BTreeMap<String, HostStats>,
    /// Path and query → arrival time of each request, since the site started.
    pub times: BTreeMap<String, Vec<Duration>>,
    /// Every User-Agent header seen.
    pub user_agents: BTreeSet<String>,
    /// Body bytes handed to hyper (for a client that hangs up early, more
    /// than it received).
    pub bytes_sent: u64,
    /// Every request's time in flight, in arrival order (at most the first
    /// 200,000 since the start or the last reset).
    pub flights: Vec<Flight>,
}

/// One request's time in flight, as the site counted it (see "Latency and
/// in-flight counting" above), since the site started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flight {
    /// Path and query as received.
    pub path: String,
    pub arrived: Duration,
    /// `None` while still in flight.
    pub left: Option<Duration>,
}

/// How well a crawl kept its requests in flight: see [`Site::slot_use`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SlotUse {
    /// Request-time spent in flight (Σ over requests of their time in
    /// flight).
    pub busy: Duration,
    /// Slot-time left empty while known work waited: at each moment,
    /// `min(bound − in flight, pages discovered but not yet requested)`,
    /// summed over the crawl.
    pub idle: Duration,
    /// From the first arrival to the last departure.
    pub span: Duration,
}

impl SlotUse {
    /// The share of the usable slot-time left empty while work waited: 0
    /// for a crawler that refills a slot the moment it frees; about half
    /// for one that starts requests in waves and waits for each whole
    /// wave.
    pub fn idle_share(&self) -> f64 {
        let total = (self.busy + self.idle).as_secs_f64();
        if total == 0.0 {
            0.0
        } else {
            self.idle.as_secs_f64() / total
        }
    }

    /// Requests in flight on average over the span (Little's law: arrival
    /// rate × time in flight).
    pub fn mean_in_flight(&self) -> f64 {
        let span = self.span.as_secs_f64();
        if span == 0.0 {
            0.0
        } else {
            self.busy.as_secs_f64() / span
        }
    }
}

/// Counters for one Host header value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostStats {
    pub requests: usize,
    pub in_flight: usize,
    pub peak_in_flight: usize,
}

impl Stats {
    /// Requests for `path` (path and query, as received).
    pub fn count(&self, path: &str) -> usize {
        self.per_path.get(path).copied().unwrap_or(0)
    }

    /// Paths requested more than once, with their counts, in path order.
    pub fn duplicates(&self) -> Vec<(String, usize)> {
        self.per_path
            .iter()
            .filter(|&(_, &n)| n > 1)
            .map(|(path, &n)| (path.clone(), n))
            .collect()
    }
}

impl Site {
    /// Generate the site described by `config` and serve it on
    /// `127.0.0.1:0`. Returns once the port is listening.
    ///
    /// Works from sync code and from inside any tokio runtime: the server
    /// has its own thread and its own 2-worker runtime.
    ///
    /// # Panics
    ///
    /// If `config.pages` is 0, or if the server cannot be started (no free
    /// port, no threads).
    pub fn start(config: SiteConfig) -> Site {
        assert!(
            config.pages >= 1,
            "harness::site: SiteConfig::pages must be at least 1 (the root page \"/\")"
        );
        let graph = Graph::build(config.pages, config.seed, config.links_per_page);
        let hostile = Hostile::ALL
            .into_iter()
            .filter(|mode| config.hostile.contains(mode))
            .collect();
        let listener =
            bind().unwrap_or_else(|e| panic!("harness::site: cannot listen on 127.0.0.1:0: {e}"));
        Site::launch(
            listener,
            Content::Graph { graph, hostile },
            config.latency,
            config.seed,
        )
        .unwrap_or_else(|e| panic!("harness::site: cannot start the server: {e}"))
    }

    /// Serve the files under `dir`: `/x/` serves `x/index.html`, `/x` for a
    /// directory redirects (301) to `/x/`, the Content-Type follows the
    /// extension, files are streamed in 64 KiB chunks, and paths that try
    /// to leave `dir` (`..`, also percent-encoded) answer 404. No directory
    /// listings. [`Site::pages`] is empty.
    ///
    /// Fails if `dir` is not a readable directory or no port is free.
    pub fn serve_dir(dir: impl Into<PathBuf>, latency: Latency) -> io::Result<Site> {
        let dir = dir.into();
        let root = std::fs::canonicalize(&dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a directory", dir.display()),
            ));
        }
        Site::launch(bind()?, Content::Dir(root), latency, 0)
    }

    fn launch(
        listener: std::net::TcpListener,
        content: Content,
        latency: Latency,
        seed: u64,
    ) -> io::Result<Site> {
        // Listening already (bound on the caller's thread): connections made
        // before the accept loop runs wait in the backlog.
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(addr, content, latency, seed));
        let (stop, stopped) = oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("harness-site".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || server::run(listener, shared, stopped, ready_tx)
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                let _ = thread.join();
                return Err(error);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(io::Error::other(
                    "the server thread ended before it was ready",
                ));
            }
        }
        Ok(Site {
            shared,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/`
    pub fn root(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn graph(&self) -> Option<&Graph> {
        match &self.shared.content {
            Content::Graph { graph, .. } => Some(graph),
            Content::Dir(_) => None,
        }
    }

    fn hostile(&self) -> &[Hostile] {
        match &self.shared.content {
            Content::Graph { hostile, .. } => hostile,
            Content::Dir(_) => &[],
        }
    }

    /// Every page of the graph (path and query, as a crawler normalises
    /// them): exactly `config.pages` entries, all reachable from `/`, all
    /// answering 200 text/html. Hostile paths are not included. Empty for
    /// [`Site::serve_dir`].
    pub fn pages(&self) -> BTreeSet<String> {
        self.graph()
            .map(|g| (0..g.len()).map(|k| g.path(k).to_string()).collect())
            .unwrap_or_default()
    }

    /// Breadth-first distance of a graph page from `/` (which is 0).
    pub fn depth(&self, path: &str) -> Option<usize> {
        let graph = self.graph()?;
        graph.find(path).map(|k| graph.depth(k))
    }

    /// The body a graph page is served with to `Host: 127.0.0.1:PORT`.
    pub fn html(&self, path: &str) -> Option<String> {
        let graph = self.graph()?;
        let k = graph.find(path)?;
        Some(
            graph
                .render(k, &self.shared.default_host, self.hostile())
                .html,
        )
    }

    /// The same-site links a correct extractor finds on graph page `path`
    /// (see "What counts as a link" in the module docs): absolute,
    /// normalised URLs (`http://127.0.0.1:PORT/path?query`), fragments
    /// removed, deduplicated, in document order. On `/` this includes the
    /// entries of the active hostile modes. Empty for unknown paths.
    pub fn expected_links(&self, path: &str) -> Vec<String> {
        let Some(graph) = self.graph() else {
            return Vec::new();
        };
        let Some(k) = graph.find(path) else {
            return Vec::new();
        };
        let links = graph
            .render(k, &self.shared.default_host, self.hostile())
            .links;
        let mut seen = BTreeSet::new();
        links
            .into_iter()
            .filter(|link| seen.insert(link.clone()))
            .map(|link| self.url(&link))
            .collect()
    }

    /// What the server's own threads have cost so far: (CPU time,
    /// wake-ups), where the platform can say — so that a test can measure
    /// the crawler *beside* the site, in the same process, without the
    /// site's share.
    pub fn thread_usage(&self) -> (Duration, u64) {
        let threads = self
            .shared
            .threads
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        threads
            .iter()
            .fold((Duration::ZERO, 0), |(cpu, wakes), &tid| {
                (
                    cpu + crate::cpu::thread_cpu_time_of(tid).unwrap_or_default(),
                    wakes + crate::cpu::thread_wakeups(tid).unwrap_or(0),
                )
            })
    }

    /// How well the requests since the last reset kept `bound` slots busy
    /// while there was work for them. The site knows which links each page
    /// it served carries, so at every moment it knows the pages a crawler
    /// *could* have requested (linked from a page already answered, not
    /// requested yet): a slot free while such a page waits is idle. Waves
    /// (start `bound` requests, wait for all of them, start the next) leave
    /// slots idle at the tail of every wave; a crawler that starts a new
    /// request as each one ends leaves none. Meaningful for crawls not cut
    /// short by `max_pages` or `max_depth`.
    pub fn slot_use(&self, bound: usize) -> SlotUse {
        let stats = self.stats();
        let Some(graph) = self.graph() else {
            return SlotUse::default();
        };
        // (time, +1 arrival / −1 departure, path)
        let mut events: Vec<(Duration, i8, &str)> = Vec::new();
        for f in &stats.flights {
            events.push((f.arrived, 1, &f.path));
            if let Some(left) = f.left {
                events.push((left, -1, &f.path));
            }
        }
        // Departures first at a tie: the slot is free before it is refilled.
        events.sort_by_key(|e| (e.0, e.1));
        let mut requested = BTreeSet::new();
        let mut discovered = BTreeSet::new();
        let (mut in_flight, mut waiting) = (0usize, 0usize);
        let (mut busy, mut idle) = (Duration::ZERO, Duration::ZERO);
        let mut last = events.first().map_or(Duration::ZERO, |e| e.0);
        for &(at, kind, path) in &events {
            let dt = at.saturating_sub(last);
            busy += dt * in_flight as u32;
            idle += dt * bound.saturating_sub(in_flight).min(waiting) as u32;
            last = at;
            if kind > 0 {
                in_flight += 1;
                if requested.insert(path.to_owned()) && discovered.contains(path) {
                    waiting -= 1;
                }
                continue;
            }
            in_flight = in_flight.saturating_sub(1);
            let Some(k) = graph.find(path) else { continue };
            for link in graph
                .render(k, &self.shared.default_host, self.hostile())
                .links
            {
                if discovered.insert(link.clone()) && !requested.contains(&link) {
                    waiting += 1;
                }
            }
        }
        let span = events
            .last()
            .zip(events.first())
            .map_or(Duration::ZERO, |(l, f)| l.0.saturating_sub(f.0));
        SlotUse { busy, idle, span }
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.snapshot()
    }

    /// Start counting afresh (requests still in flight stay counted), and
    /// make `/flaky.html` and `/dropped.html` fail again.
    pub fn reset_stats(&self) {
        self.shared.reset();
    }
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            // Err only if the server thread is already gone.
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The thread drops its runtime with a short timeout, so this
            // join is quick even with a slow drip still open. A panic on
            // that thread has nothing left to tell us.
            let _ = thread.join();
        }
    }
}

fn bind() -> io::Result<std::net::TcpListener> {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
}
