//! `chat-server serve`: the chat and its page on one port, a status line
//! while it runs, and a graceful stop on Ctrl-C or SIGTERM.
//!
//! The server is the exercise's [`Server`](crate::kata::Server): this module
//! only binds its port, shows what it is doing, and turns a signal into its
//! shutdown token. A stop is graceful: no new connection is accepted, every
//! client receives what was queued for it and a close frame (1001, "server
//! shutting down"), and the summary says whether any connection task was
//! left behind. A second Ctrl-C stops at once.
//!
//! With `--announce` (how `load` runs it) the program speaks JSON lines on
//! stdout instead of prose: [`Announce::Listening`] once bound,
//! [`Announce::Stopped`] once stopped.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use cli::human;
use serde::{Deserialize, Serialize};

use crate::kata::{Config, Server, Summary};

/// Where `serve` listens when not told: the first of these that is free,
/// then any free port.
pub const DEFAULT_PORTS: [u16; 4] = [8080, 8081, 8082, 8083];

/// Connections waiting to be accepted. The kernel caps it at
/// `net.core.somaxconn` (4096 on current Linux); with the usual 128, a load
/// generator that opens thousands of connections at once meets dropped SYNs
/// and one-second retransmission pauses.
const BACKLOG: u32 = 4096;

/// What `serve` runs.
#[derive(Clone)]
pub struct ServeOptions {
    /// Where to listen; `None` tries [`DEFAULT_PORTS`], then any free port.
    pub bind: Option<SocketAddr>,
    /// The server's limits, buffers and page.
    pub config: Config,
    /// One OS thread per connection (`crate::threaded`) instead of one task.
    pub threaded: bool,
    /// JSON lines on stdout ([`Announce`]) instead of prose.
    pub announce: bool,
    /// Relay every room through Redis pub/sub at this URL, shared with the
    /// other servers using it (`crate::relay`).
    pub redis: Option<String>,
}

/// The lines `serve --announce` prints on stdout, one JSON object each,
/// tagged by `"event"`: what `load` reads from the server process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Announce {
    /// Bound and accepting.
    Listening { addr: SocketAddr, pid: u32 },
    /// Stopped after a signal.
    Stopped {
        /// WebSocket connections that ended during the server's life.
        closed: u64,
        /// Of those, the ones sent a 1001 close frame by the shutdown.
        closes_1001: u64,
        /// Connection tasks (or threads) still running at the deadline.
        tasks_left: usize,
        /// From the signal until every connection had ended.
        seconds: f64,
    },
}

impl Announce {
    /// Print it as one line on stdout, at once (a reader waits for it).
    pub fn print(&self) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", serde_json::to_string(self)?)?;
        stdout.flush()?;
        Ok(())
    }
}

/// Serve until a signal, then stop gracefully. `tasks left` > 0 is a
/// failure found (exit 1); a port that cannot be bound is an error (2).
pub fn serve(options: ServeOptions, out: &cli::Output) -> Result<cli::Finished> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let listener = runtime.block_on(async { bind(options.bind) })?;
    if options.threaded {
        let listener = listener.into_std()?;
        listener.set_nonblocking(false)?;
        // The runtime stays for the signals alone; the chat runs on threads.
        return crate::threaded::serve(listener, &options, &runtime, out);
    }
    runtime.block_on(serve_tasks(listener, options, out))
}

async fn serve_tasks(
    listener: tokio::net::TcpListener,
    options: ServeOptions,
    out: &cli::Output,
) -> Result<cli::Finished> {
    let addr = listener.local_addr()?;
    let server = Server::from_listener(listener, options.config.clone());
    // Before the first client: subscribed before anyone can say anything,
    // and a Redis that cannot be reached is an error before the address
    // is announced.
    let relay = match &options.redis {
        Some(url) => Some(crate::relay::relay(server.hub(), url, *out).await?),
        None => None,
    };
    let stats = server.stats();
    let token = server.shutdown_token();
    let stopping = on_signal(move || token.cancel(), out, options.announce)?;
    announce_start(addr, &options, out, true)?;

    let status = status(out, move || {
        let now = stats();
        (now.connections, now.hub.rooms, now.hub.messages)
    });
    let summary = server.run().await;
    status.finish();
    if let Some(relay) = relay {
        relay.stop().await;
    }
    let seconds = since(&stopping);
    let closed: u64 = summary.endings.iter().map(|(_, n)| n).sum();
    let closes_1001 = summary
        .endings
        .iter()
        .filter(|(e, _)| e == "Shutdown")
        .map(|(_, n)| n)
        .sum();
    if options.announce {
        Announce::Stopped {
            closed,
            closes_1001,
            tasks_left: summary.tasks_left,
            seconds,
        }
        .print()?;
    } else {
        println!("{}", summary_line(&summary, seconds));
        out.note(format_args!("next: {}", next_after_serving()));
    }
    Ok(cli::Finished::with_failures(summary.tasks_left > 0))
}

/// The live status line: a spinner on a terminal, a line every few seconds
/// in a log, nothing with `--quiet`. Call inside the runtime.
pub(crate) fn status(
    out: &cli::Output,
    figures: impl Fn() -> (usize, usize, u64) + Send + 'static,
) -> Status {
    let bar = cli::progress::Progress::new("chat", "messages", None).start(out);
    let shown = bar.clone();
    let updates = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let (connections, rooms, messages) = figures();
            shown.set_position(messages);
            shown.set_message(format!(
                "— {}, {}",
                human::count(connections, "connection", "connections"),
                human::count(rooms, "room", "rooms"),
            ));
        }
    });
    Status { bar, updates }
}

/// The status line and the task that keeps it current.
pub(crate) struct Status {
    bar: indicatif::ProgressBar,
    updates: tokio::task::JoinHandle<()>,
}

impl Status {
    /// Stop updating it and clear it.
    pub(crate) fn finish(self) {
        self.updates.abort();
        self.bar.finish_and_clear();
    }
}

/// Binds `addr`, or the first free default port, then any free port.
fn bind(addr: Option<SocketAddr>) -> Result<tokio::net::TcpListener> {
    if let Some(addr) = addr {
        return listen(addr).map_err(|error| match error.kind() {
            std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
                "{addr} is already in use (another chat-server?): choose another --bind, or \
                 --bind 127.0.0.1:0 for any free port"
            ),
            _ => anyhow::Error::new(error).context(format!("cannot listen on {addr}")),
        });
    }
    let loopback = std::net::Ipv4Addr::LOCALHOST;
    for port in DEFAULT_PORTS.into_iter().chain([0]) {
        match listen(SocketAddr::from((loopback, port))) {
            Ok(listener) => return Ok(listener),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(error) => return Err(error).context(format!("cannot listen on {loopback}:{port}")),
        }
    }
    bail!("no port free on {loopback}")
}

/// A listening socket with a deep backlog (see [`BACKLOG`]). Call inside a
/// tokio runtime.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // A port left in TIME_WAIT by the last run may be reused; one another
    // program listens on may not (that is still AddrInUse).
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// The first lines: the address (JSON with `--announce`, prose otherwise)
/// and, as a note, what the server runs with.
pub(crate) fn announce_start(
    addr: SocketAddr,
    options: &ServeOptions,
    out: &cli::Output,
    page: bool,
) -> Result<()> {
    if options.announce {
        return Announce::Listening {
            addr,
            pid: std::process::id(),
        }
        .print();
    }
    if page {
        let relayed = options
            .redis
            .as_deref()
            .map(|url| format!(" — relayed through {}", crate::relay::redacted(url)))
            .unwrap_or_default();
        println!("chat: http://{addr}/{relayed} — Ctrl-C to stop");
    } else {
        println!("chat (a thread per connection, no page): ws://{addr}/ws — Ctrl-C to stop");
    }
    let config = &options.config;
    let buffers = if config.library_buffers {
        "tokio-tungstenite's default buffers".to_string()
    } else {
        format!(
            "a {} read buffer",
            human::bytes(config.read_buffer_bytes as u64)
        )
    };
    // The threaded server pings nobody (see threaded.rs).
    let idle = if page {
        format!("idle timeout {}", human::duration(config.idle_timeout))
    } else {
        "no pings and no idle timeout".to_string()
    };
    out.note(format_args!(
        "{}: up to {}, {} queued per client, messages up to {}, {idle}, {buffers}; \
         statistics at http://{addr}/stats",
        crate::SUBJECT,
        human::count(config.max_connections, "connection", "connections"),
        human::count(config.queue_capacity, "frame", "frames"),
        human::bytes(config.max_message_bytes as u64),
    ));
    Ok(())
}

/// When the stop signal came, once it has.
pub(crate) type Stopping = Arc<Mutex<Option<Instant>>>;

/// Seconds since the stop signal (0 if none came).
pub(crate) fn since(stopping: &Stopping) -> f64 {
    let at = *stopping.lock().unwrap_or_else(|p| p.into_inner());
    at.map_or(0.0, |at| at.elapsed().as_secs_f64())
}

/// Calls `stop` on the first Ctrl-C or SIGTERM, and exits at once on a
/// second one. Call inside the runtime.
pub(crate) fn on_signal(
    stop: impl FnOnce() + Send + 'static,
    out: &cli::Output,
    announce: bool,
) -> Result<Stopping> {
    // Installed here, before the address is announced, not in the task:
    // a SIGTERM that came before the task first ran would otherwise find
    // the default disposition and kill the process on the spot.
    let mut signals = Signals::install()?;
    let stopping: Stopping = Arc::default();
    let at = stopping.clone();
    let out = *out;
    tokio::spawn(async move {
        let which = signals.next().await;
        *at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        if !announce {
            out.note(format_args!(
                "{which}: stopping — every client gets a close frame (1001); {which} again to \
                 stop at once"
            ));
        }
        stop();
        let which = signals.next().await;
        eprintln!("error: {which} again: stopped without waiting for the connections");
        std::process::exit(i32::from(cli::ERROR));
    });
    Ok(stopping)
}

/// Ctrl-C (SIGINT) and SIGTERM, both handled from the moment they are
/// installed.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt()).context("cannot handle Ctrl-C")?,
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        })
    }

    /// The next of them, by name.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "Ctrl-C",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

/// `stopped: closed 3 connections (3 sent 1001 going away), accepted 5,
/// refused 0, tasks left 0, in 2.10 ms`.
pub fn summary_line(summary: &Summary, seconds: f64) -> String {
    let closed: u64 = summary.endings.iter().map(|(_, n)| n).sum();
    let endings: Vec<String> = summary
        .endings
        .iter()
        .map(|(ending, n)| format!("{n} {}", ending_words(ending)))
        .collect();
    let endings = if endings.is_empty() {
        String::new()
    } else {
        format!(" ({})", endings.join(", "))
    };
    format!(
        "stopped: closed {}{endings}; accepted {}, refused {} (server full), tasks left {}, in {}",
        human::count(closed as usize, "connection", "connections"),
        summary.accepted,
        summary.refused,
        summary.tasks_left,
        human::duration(Duration::from_secs_f64(seconds)),
    )
}

/// How a connection ended, in words, from the name of its `Ending`.
fn ending_words(ending: &str) -> String {
    match ending {
        "Shutdown" => "sent 1001 going away".into(),
        "Gone" => "closed by their client".into(),
        "TooSlow" => "sent 1008 too slow".into(),
        "TooBig" => "sent 1009 message too big".into(),
        "BadUtf8" => "sent 1007 invalid UTF-8".into(),
        "Protocol" => "sent 1002 protocol error".into(),
        "Idle" => "sent 1000 idle timeout".into(),
        other => other.to_lowercase(),
    }
}

/// What to run after the server stopped.
pub(crate) fn next_after_serving() -> String {
    let program = if cfg!(feature = "mine") {
        "cargo xtask run chat-server --mine --release -- load"
    } else {
        "cargo run --release -p chat-server -- load"
    };
    format!("`{program}` — 10,000 clients: a task per connection against a thread per connection")
}
