//! Steps 2, 5 and 6 — the server: accept connections within a limit, give
//! each its own task, and shut down without dropping anyone mid-sentence.
//!
//! The accept loop never waits for a connection to do anything: each
//! accepted socket is handed to a new task at once (a slow handshake must
//! not hold up the next client). The number of WebSocket connections is
//! bounded by a semaphore: a permit per connection, taken without waiting
//! (`try_acquire`), so the client past the limit is told "503 server full"
//! at once instead of being left hanging in a queue.
//!
//! Shutdown is a `CancellationToken` every connection task listens to, and
//! a `TaskTracker` that knows when the last of them has ended: stop
//! accepting, let each task send what is queued and a close frame (1001),
//! then wait — within a deadline — until no task is left, and say how many
//! were if the deadline passed.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::connection::{Ending, serve_connection};
use crate::http::{self, Accepted, Site};
use crate::hub::{Hub, HubStats};

/// A bound chat server, not yet running.
pub struct Server {
    listener: TcpListener,
    config: Arc<Config>,
    hub: Arc<Hub>,
    shutdown: CancellationToken,
    counters: Arc<Counters>,
}

/// What a finished server did, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// TCP connections accepted.
    pub accepted: u64,
    /// WebSocket upgrades refused because the server was full.
    pub refused: u64,
    /// Connections that did not finish their HTTP request in time.
    pub handshake_timeouts: u64,
    /// How the WebSocket connections ended, by ending.
    pub endings: Vec<(String, u64)>,
    /// Connection tasks still running when the shutdown deadline passed
    /// (0 for a clean shutdown).
    pub tasks_left: usize,
}

/// Live figures, for `/stats` and the program's status line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// WebSocket connections open now.
    pub connections: usize,
    #[serde(flatten)]
    pub hub: HubStats,
    pub accepted: u64,
    pub refused: u64,
}

#[derive(Default)]
#[allow(dead_code)] // yours to count into and read in run()
struct Counters {
    accepted: AtomicU64,
    refused: AtomicU64,
    handshake_timeouts: AtomicU64,
    endings: std::sync::Mutex<std::collections::BTreeMap<Ending, u64>>,
}

impl Server {
    /// Binds the listening socket (`127.0.0.1:0` for a free port).
    pub async fn bind(addr: SocketAddr, config: Config) -> io::Result<Server> {
        Ok(Server::from_listener(
            TcpListener::bind(addr).await?,
            config,
        ))
    }

    /// Serves on a socket already bound.
    pub fn from_listener(listener: TcpListener, config: Config) -> Server {
        Server {
            listener,
            hub: Arc::new(Hub::new(config.queue_capacity)),
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            counters: Arc::default(),
        }
    }

    /// Where it listens.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The hub its connections share (its rooms, its counts).
    pub fn hub(&self) -> Arc<Hub> {
        self.hub.clone()
    }

    /// Cancel this token to shut the server down gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// A function returning the live figures, usable while it runs.
    pub fn stats(&self) -> impl Fn() -> Stats + Send + Sync + 'static {
        let (hub, counters) = (self.hub.clone(), self.counters.clone());
        move || {
            let hub = hub.stats();
            Stats {
                connections: hub.clients,
                hub,
                accepted: counters.accepted.load(Ordering::Relaxed),
                refused: counters.refused.load(Ordering::Relaxed),
            }
        }
    }

    /// Accepts connections until the shutdown token is cancelled, then
    /// closes every connection and waits for their tasks.
    ///
    /// Each accepted socket gets its own task at once (see [`connection`]).
    /// At most `config.max_connections` WebSocket connections at a time:
    /// a permit each, taken without waiting; none left means 503. On
    /// shutdown: stop accepting (drop the listener), tell every client to
    /// go ([`Hub::close_all`]), then wait — at most
    /// `config.shutdown_grace` and a little — until every task you spawned
    /// has ended, and report how many had not.
    pub async fn run(self) -> Summary {
        let Server {
            listener,
            config,
            hub,
            shutdown,
            counters,
        } = self;
        let _ = (
            listener,
            config,
            hub,
            shutdown,
            counters,
            Semaphore::new(0),
            TaskTracker::new(),
            connection,
        );
        todo!("accept connections until shutdown, then close them all")
    }
}

/// One accepted socket: its HTTP request (bounded by
/// `config.handshake_timeout`: a client that never finishes it must not
/// hold its socket), then, if it upgraded, its chat
/// ([`serve_connection`]). Count what happened in `counters`.
async fn connection(
    stream: TcpStream,
    permit: Option<OwnedSemaphorePermit>,
    config: &Config,
    hub: Arc<Hub>,
    shutdown: CancellationToken,
    counters: &Counters,
) {
    let stats = || stats_json(&hub, config);
    let site = Site {
        files: config.files,
        stats: &stats,
        full: permit.is_none().then_some(config.max_connections),
    };
    let _ = (
        stream,
        site,
        shutdown,
        counters,
        timeout::<std::future::Ready<()>>,
        http::accept,
        serve_connection,
        Ending::Gone,
        Accepted::Answered(0),
    );
    todo!("answer the request; if it upgraded, serve the connection")
}

/// The JSON at `/stats`.
fn stats_json(hub: &Hub, config: &Config) -> String {
    let hub = hub.stats();
    serde_json::json!({
        "connections": hub.clients,
        "rooms": hub.rooms,
        "clients": hub.clients,
        "messages": hub.messages,
        "kicked": hub.kicked,
        "heap_bytes": config.heap_bytes.and_then(|f| f()),
        "rss_bytes": resident_bytes(),
        "threads": thread_count(),
    })
    .to_string()
}

/// This process's resident memory, from /proc (None elsewhere).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// This process's thread count, from /proc (None elsewhere).
fn thread_count() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}
