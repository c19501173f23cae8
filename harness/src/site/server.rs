//! The HTTP side of the site: one thread with its own tokio runtime, hyper
//! serving HTTP/1.1, and the bookkeeping behind [`Stats`].
//!
//! The subtle part is *when a request stops counting as in flight*. Tests
//! assert that a crawler limited to N concurrent requests peaks at exactly N,
//! so the server must never see N + 1 at once. A client that has received a
//! response's last byte is free to send its next request; if the server only
//! decremented its count when hyper dropped the body (a little later), the
//! two would briefly overlap. So the count is decremented inside the body's
//! `poll_frame`, just *before* the last frame is handed to hyper — before any
//! of its bytes can reach the client — or when the body is dropped early
//! (client gone), whichever comes first.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION, USER_AGENT};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Sleep;

use super::graph::Graph;
use super::hostile::{self, CHUNK, DRIP_INTERVAL, HTML, Hostile, HugeDoc};
use super::latency::Latency;
use super::rng::{SplitMix64, mix};
use super::{HostStats, Stats, paths, static_dir};

/// What the site serves.
pub(crate) enum Content {
    /// The generated page graph, plus the active hostile modes (in
    /// `Hostile::ALL` order, without repeats).
    Graph { graph: Graph, hostile: Vec<Hostile> },
    /// Files under a canonicalised directory.
    Dir(std::path::PathBuf),
}

/// State shared by the `Site` handle and every connection task.
pub(crate) struct Shared {
    pub(crate) content: Content,
    /// "127.0.0.1:PORT": the host absolute links use when a request's Host
    /// header is missing or odd.
    pub(crate) default_host: String,
    pub(crate) huge: Option<Arc<HugeDoc>>,
    /// Requests to /flaky.html so far (reset with the stats).
    pub(crate) flaky_hits: AtomicUsize,
    /// Requests to /dropped.html so far (reset with the stats).
    pub(crate) dropped_hits: AtomicUsize,
    latency: Latency,
    latency_seed: u64,
    /// Arrival number of the next request, for drawing its delay.
    draws: AtomicU64,
    started: Instant,
    /// std Mutex, not tokio's: it is held for a few map updates and never
    /// across an await, so a blocking lock is both correct and cheaper.
    stats: Mutex<Stats>,
    /// Counted per frame, so kept out of the mutex.
    bytes_sent: AtomicU64,
    /// Kernel ids of the server's threads, for what they cost
    /// (`Site::thread_usage`).
    pub(crate) threads: Mutex<Vec<i32>>,
    /// Bumped by every reset, so that a request counted before it does not
    /// close a flight recorded after it.
    epoch: AtomicU64,
}

/// The most flights `Stats::flights` keeps; later ones are not recorded
/// (a long demo crawl must not grow memory without bound).
pub const MAX_FLIGHTS: usize = 200_000;

impl Shared {
    pub(crate) fn new(addr: SocketAddr, content: Content, latency: Latency, seed: u64) -> Shared {
        let huge = match &content {
            Content::Graph { graph, hostile } if hostile.contains(&Hostile::HugePage) => {
                // Link a few existing pages, so a crawler that reads the
                // whole page discovers nothing it would not find anyway.
                let links: Vec<&str> = (0..graph.len().min(3)).map(|k| graph.path(k)).collect();
                Some(Arc::new(HugeDoc::new(hostile::HUGE_BYTES, &links)))
            }
            _ => None,
        };
        Shared {
            content,
            default_host: addr.to_string(),
            huge,
            flaky_hits: AtomicUsize::new(0),
            dropped_hits: AtomicUsize::new(0),
            latency,
            latency_seed: mix(seed ^ 0x1a7e_11c7),
            draws: AtomicU64::new(0),
            started: Instant::now(),
            stats: Mutex::new(Stats::default()),
            bytes_sent: AtomicU64::new(0),
            threads: Mutex::new(Vec::new()),
            epoch: AtomicU64::new(0),
        }
    }

    /// Note the calling thread as one of the server's.
    pub(crate) fn register_thread(&self) {
        #[cfg(target_os = "linux")]
        self.threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(crate::cpu::current_tid());
    }

    fn lock(&self) -> MutexGuard<'_, Stats> {
        // A panic while holding this lock leaves consistent-enough counters;
        // keep serving rather than cascade the panic into every request.
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Count a request whose head has just been parsed.
    fn enter(self: &Arc<Self>, host: &str, target: &str, agent: Option<&str>) -> FlightGuard {
        let arrival = self.started.elapsed();
        let mut stats = self.lock();
        stats.requests += 1;
        stats.in_flight += 1;
        stats.peak_in_flight = stats.peak_in_flight.max(stats.in_flight);
        *stats.per_path.entry(target.to_string()).or_default() += 1;
        stats
            .times
            .entry(target.to_string())
            .or_default()
            .push(arrival);
        if let Some(agent) = agent
            && !stats.user_agents.contains(agent)
        {
            stats.user_agents.insert(agent.to_string());
        }
        let per_host = stats.per_host.entry(host.to_string()).or_default();
        per_host.requests += 1;
        per_host.in_flight += 1;
        per_host.peak_in_flight = per_host.peak_in_flight.max(per_host.in_flight);
        let flight = (stats.flights.len() < MAX_FLIGHTS).then(|| {
            stats.flights.push(super::Flight {
                path: target.to_string(),
                arrived: arrival,
                left: None,
            });
            (self.epoch.load(Ordering::SeqCst), stats.flights.len() - 1)
        });
        FlightGuard {
            shared: Arc::clone(self),
            host: host.to_string(),
            flight,
        }
    }

    fn leave(&self, host: &str, flight: Option<(u64, usize)>) {
        let left = self.started.elapsed();
        let mut stats = self.lock();
        if let Some((epoch, index)) = flight
            && epoch == self.epoch.load(Ordering::SeqCst)
            && let Some(f) = stats.flights.get_mut(index)
        {
            f.left = Some(left);
        }
        stats.in_flight = stats.in_flight.saturating_sub(1);
        if let Some(per_host) = stats.per_host.get_mut(host) {
            per_host.in_flight = per_host.in_flight.saturating_sub(1);
        }
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let mut stats = self.lock().clone();
        stats.bytes_sent = self.bytes_sent.load(Ordering::SeqCst);
        stats
    }

    /// Forget everything but the requests still in flight (their guards
    /// will decrement later, so their counts must survive the reset).
    pub(crate) fn reset(&self) {
        let mut stats = self.lock();
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let in_flight = stats.in_flight;
        let per_host = std::mem::take(&mut stats.per_host)
            .into_iter()
            .filter(|(_, h)| h.in_flight > 0)
            .map(|(host, h)| {
                let kept = HostStats {
                    requests: 0,
                    in_flight: h.in_flight,
                    peak_in_flight: h.in_flight,
                };
                (host, kept)
            })
            .collect();
        *stats = Stats {
            in_flight,
            peak_in_flight: in_flight,
            per_host,
            ..Stats::default()
        };
        self.bytes_sent.store(0, Ordering::SeqCst);
        self.flaky_hits.store(0, Ordering::SeqCst);
        self.dropped_hits.store(0, Ordering::SeqCst);
    }

    fn next_delay(&self) -> Duration {
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        self.latency
            .sample(&mut SplitMix64::new(self.latency_seed ^ mix(n)))
    }
}

/// One request in flight; dropping it ends the request's count.
///
/// Owned first by the request handler (so that a delay, or a client that
/// hangs up during it, is covered), then by the response body, which drops
/// it just before producing its last frame.
struct FlightGuard {
    shared: Arc<Shared>,
    host: String,
    /// (epoch, index) of its entry in `Stats::flights`, if recorded.
    flight: Option<(u64, usize)>,
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        self.shared.leave(&self.host, self.flight);
    }
}

/// Where a response body's bytes come from.
pub(crate) enum Source {
    Bytes(Bytes),
    /// Generated chunk by chunk.
    Huge(Arc<HugeDoc>),
    /// Sent one byte per `DRIP_INTERVAL`.
    Drip(Bytes),
    /// Read from disk chunk by chunk.
    File {
        file: tokio::fs::File,
        len: u64,
    },
}

impl Source {
    fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) | Source::Drip(b) => b.len() as u64,
            Source::Huge(doc) => doc.len(),
            Source::File { len, .. } => *len,
        }
    }
}

/// A response before it is handed to hyper.
pub(crate) struct Reply {
    status: StatusCode,
    content_type: &'static str,
    location: Option<String>,
    source: Source,
    /// Close the connection without answering at all.
    hang_up: bool,
}

/// Why the server closed a connection without an answer (a hostile mode,
/// not a fault): hyper closes the connection when the service fails.
#[derive(Debug)]
pub(crate) struct HungUp;

impl std::fmt::Display for HungUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("hung up on purpose")
    }
}

impl std::error::Error for HungUp {}

impl Reply {
    pub(crate) fn new(status: StatusCode, content_type: &'static str, source: Source) -> Reply {
        Reply {
            status,
            content_type,
            location: None,
            source,
            hang_up: false,
        }
    }

    /// No answer: the connection is closed.
    pub(crate) fn hang_up() -> Reply {
        Reply {
            hang_up: true,
            ..Reply::new(StatusCode::OK, HTML, Source::Bytes(Bytes::new()))
        }
    }

    pub(crate) fn html(status: StatusCode, html: String) -> Reply {
        Reply::new(status, HTML, Source::Bytes(Bytes::from(html)))
    }

    pub(crate) fn redirect(location: String) -> Reply {
        Reply::redirect_with(StatusCode::FOUND, location)
    }

    pub(crate) fn redirect_with(status: StatusCode, location: String) -> Reply {
        Reply {
            location: Some(location),
            ..Reply::new(status, HTML, Source::Bytes(Bytes::new()))
        }
    }

    pub(crate) fn not_found() -> Reply {
        Reply::html(
            StatusCode::NOT_FOUND,
            hostile::small_page("Not found", "<p>No such page.</p>"),
        )
    }

    fn into_response(
        self,
        guard: FlightGuard,
        shared: &Arc<Shared>,
        head_only: bool,
    ) -> Response<SiteBody> {
        let len = self.source.len();
        let mut response = Response::builder()
            .status(self.status)
            .header(CONTENT_TYPE, self.content_type)
            .header(CONTENT_LENGTH, len);
        if let Some(location) = self.location {
            response = response.header(LOCATION, location);
        }
        let body = if head_only || len == 0 {
            // hyper never polls an empty body (or a HEAD response's), so
            // the request ends here, as the response is produced.
            drop(guard);
            SiteBody::empty()
        } else {
            SiteBody::new(self.source, guard, Arc::clone(shared))
        };
        response
            .body(body)
            .expect("harness::site built an invalid response head")
    }
}

/// The response body: produces frames from a [`Source`] and ends the
/// request's in-flight count before the last one.
pub(crate) struct SiteBody {
    state: BodyState,
    remaining: u64,
    /// `Some` while the request is in flight; taking it is the once-flag.
    guard: Option<FlightGuard>,
    shared: Option<Arc<Shared>>,
}

enum BodyState {
    Bytes(Bytes),
    Huge {
        doc: Arc<HugeDoc>,
        offset: u64,
    },
    Drip {
        data: Bytes,
        pos: usize,
        /// None before the first byte, which goes out with the headers.
        pause: Option<Pin<Box<Sleep>>>,
    },
    File {
        file: tokio::fs::File,
        buf: Vec<u8>,
    },
}

impl SiteBody {
    fn empty() -> SiteBody {
        SiteBody {
            state: BodyState::Bytes(Bytes::new()),
            remaining: 0,
            guard: None,
            shared: None,
        }
    }

    fn new(source: Source, guard: FlightGuard, shared: Arc<Shared>) -> SiteBody {
        let remaining = source.len();
        let state = match source {
            Source::Bytes(bytes) => BodyState::Bytes(bytes),
            Source::Huge(doc) => BodyState::Huge { doc, offset: 0 },
            Source::Drip(data) => BodyState::Drip {
                data,
                pos: 0,
                pause: None,
            },
            Source::File { file, .. } => BodyState::File {
                file,
                buf: Vec::new(),
            },
        };
        SiteBody {
            state,
            remaining,
            guard: Some(guard),
            shared: Some(shared),
        }
    }

    /// The request is over (or abandoned): stop counting it.
    fn finish(&mut self) {
        self.guard = None;
    }

    fn fail(&mut self, error: io::Error) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.finish();
        self.remaining = 0;
        Poll::Ready(Some(Err(error)))
    }
}

impl Body for SiteBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            this.finish();
            return Poll::Ready(None);
        }
        let want = this.remaining.min(CHUNK as u64) as usize;
        let chunk = match &mut this.state {
            BodyState::Bytes(bytes) => std::mem::take(bytes),
            BodyState::Huge { doc, offset } => {
                let chunk = doc.chunk(*offset, want);
                *offset += chunk.len() as u64;
                chunk
            }
            BodyState::Drip { data, pos, pause } => {
                if let Some(pause) = pause {
                    ready!(pause.as_mut().poll(cx));
                }
                let chunk = data.slice(*pos..*pos + 1);
                *pos += 1;
                let next = tokio::time::Instant::now() + DRIP_INTERVAL;
                match pause {
                    Some(pause) => pause.as_mut().reset(next),
                    None => *pause = Some(Box::pin(tokio::time::sleep_until(next))),
                }
                chunk
            }
            BodyState::File { file, buf } => {
                buf.resize(want, 0);
                let mut read = ReadBuf::new(&mut buf[..want]);
                if let Err(error) = ready!(Pin::new(file).poll_read(cx, &mut read)) {
                    return this.fail(error);
                }
                let n = read.filled().len();
                if n == 0 {
                    return this.fail(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "file shrank while being served",
                    ));
                }
                Bytes::copy_from_slice(&buf[..n])
            }
        };
        if chunk.is_empty() {
            // Only if a Source lied about its length; end rather than spin.
            return this.fail(io::Error::other(
                "harness::site: body shorter than announced",
            ));
        }
        this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
        if let Some(shared) = &this.shared {
            shared
                .bytes_sent
                .fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
        if this.remaining == 0 {
            // Before handing over the last frame: see the module docs.
            this.finish();
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Answer one request.
async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<SiteBody>, HungUp> {
    let host_header = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    let agent = request
        .headers()
        .get(USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let host_key = if host_header.is_empty() {
        "-"
    } else {
        host_header
    };
    let guard = shared.enter(host_key, &target, agent.as_deref());

    let delay = shared.next_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    // Pages echo the Host they were asked for in their absolute links; a
    // Host that could inject markup is replaced by the real address.
    let plain = !host_header.is_empty()
        && host_header
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".:-[]".contains(&b));
    let render_host = if plain {
        host_header
    } else {
        &shared.default_host
    };
    let reply = match &shared.content {
        Content::Graph { graph, hostile } => route(&shared, graph, hostile, &target, render_host),
        Content::Dir(root) => static_dir::serve(root, &target).await,
    };
    if reply.hang_up {
        // The guard ends the request's count as the connection closes.
        drop(guard);
        return Err(HungUp);
    }
    let head_only = request.method() == Method::HEAD;
    Ok(reply.into_response(guard, &shared, head_only))
}

/// The generated site's routes. Any method is answered like GET.
fn route(shared: &Shared, graph: &Graph, hostile: &[Hostile], target: &str, host: &str) -> Reply {
    if let Some(k) = graph.find(target) {
        let html = graph.render(k, host, hostile).html;
        return Reply::html(StatusCode::OK, html);
    }
    if target == paths::STYLE {
        return Reply::new(
            StatusCode::OK,
            "text/css; charset=utf-8",
            Source::Bytes(Bytes::from_static(STYLE_CSS.as_bytes())),
        );
    }
    hostile::route(shared, hostile, target).unwrap_or_else(Reply::not_found)
}

const STYLE_CSS: &str = "body { font-family: sans-serif; max-width: 40em; margin: auto; }\n\
nav a, footer a { margin-right: 0.5em; }\n";

/// The server thread: build a runtime, accept until told to stop, then
/// abandon whatever is still open.
pub(crate) fn run(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stop: oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<io::Result<()>>,
) {
    // Its own runtime on its own thread: the site works the same under a
    // sync test, a current-thread runtime or a multi-thread one, and never
    // competes with the crawler under test for the crawler's executor.
    shared.register_thread();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("harness-site")
        .on_thread_start({
            let shared = Arc::clone(&shared);
            move || shared.register_thread()
        })
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        // A dropped Site also ends the wait (the sender is gone).
        tokio::select! {
            () = accept(listener, shared) => {}
            _ = stop => {}
        }
    });
    // Open connections (a slow drip, an idle keep-alive) are tasks of this
    // runtime: shutting it down drops them and closes their sockets. The
    // timeout bounds the wait for a file read on the blocking pool.
    runtime.shutdown_timeout(Duration::from_millis(200));
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Typically out of file descriptors: back off instead of
                // spinning; the next accept may succeed.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // One byte per write for the drip: don't let Nagle hold it back.
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(Arc::clone(&shared), request));
            // Errors are the client's doing (reset, malformed request,
            // hung up mid-body): nothing to report to anyone.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn shared() -> Arc<Shared> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 9));
        let content = Content::Dir(std::path::PathBuf::new());
        Arc::new(Shared::new(addr, content, Latency::None, 0))
    }

    fn poll(body: &mut SiteBody) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(body).poll_frame(&mut cx)
    }

    fn data(poll: Poll<Option<Result<Frame<Bytes>, io::Error>>>) -> Bytes {
        match poll {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
            _ => panic!("expected a data frame"),
        }
    }

    #[test]
    fn a_request_stops_counting_as_its_last_frame_is_produced() {
        let shared = shared();
        // Another request stays in flight throughout, so a double
        // decrement would show.
        let _other = shared.enter("h", "/other", None);
        let guard = shared.enter("h", "/", None);
        let mut body = SiteBody::new(
            Source::Bytes(Bytes::from_static(b"hello")),
            guard,
            Arc::clone(&shared),
        );
        assert_eq!(shared.snapshot().in_flight, 2);
        assert_eq!(data(poll(&mut body)), Bytes::from_static(b"hello"));
        // The body is still alive (hyper has not dropped it yet) but the
        // request no longer counts: its client may already have it all.
        assert_eq!(shared.snapshot().in_flight, 1);
        assert_eq!(shared.snapshot().per_host["h"].in_flight, 1);
        assert!(body.is_end_stream());
        assert!(matches!(poll(&mut body), Poll::Ready(None)));
        drop(body);
        let stats = shared.snapshot();
        assert_eq!((stats.in_flight, stats.peak_in_flight), (1, 2));
        assert_eq!(stats.bytes_sent, 5);
    }

    #[test]
    fn a_chunked_body_counts_until_its_last_chunk_or_its_drop() {
        let shared = shared();
        let doc = Arc::new(HugeDoc::new(3 * CHUNK as u64, &["/"]));
        let guard = shared.enter("h", "/huge.html", None);
        let mut body = SiteBody::new(Source::Huge(Arc::clone(&doc)), guard, Arc::clone(&shared));
        for _ in 0..2 {
            assert_eq!(data(poll(&mut body)).len(), CHUNK);
            assert_eq!(shared.snapshot().in_flight, 1);
        }
        assert_eq!(data(poll(&mut body)).len(), CHUNK);
        assert_eq!(shared.snapshot().in_flight, 0);

        // A client that hangs up mid-body: hyper drops the body early.
        let guard = shared.enter("h", "/huge.html", None);
        let mut body = SiteBody::new(Source::Huge(doc), guard, Arc::clone(&shared));
        data(poll(&mut body));
        assert_eq!(shared.snapshot().in_flight, 1);
        drop(body);
        assert_eq!(shared.snapshot().in_flight, 0);
    }

    #[test]
    fn reset_keeps_requests_in_flight() {
        let shared = shared();
        let first = shared.enter("a", "/", Some("ua"));
        let _second = shared.enter("b", "/x", None);
        shared.flaky_hits.store(5, Ordering::SeqCst);
        shared.reset();
        let stats = shared.snapshot();
        assert_eq!(stats.requests, 0);
        assert_eq!((stats.in_flight, stats.peak_in_flight), (2, 2));
        assert_eq!(stats.per_host["a"].requests, 0);
        assert_eq!(stats.per_host["a"].peak_in_flight, 1);
        assert!(stats.per_path.is_empty() && stats.user_agents.is_empty());
        assert_eq!(shared.flaky_hits.load(Ordering::SeqCst), 0);
        drop(first);
        let stats = shared.snapshot();
        assert_eq!(stats.in_flight, 1);
        assert_eq!(stats.per_host["a"].in_flight, 0);
    }
}
