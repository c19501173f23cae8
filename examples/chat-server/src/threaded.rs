//! The same chat with one OS thread per connection — two, in fact — to set
//! beside the tokio server's one task per connection: `chat-server serve
//! --thread-per-connection`, and the `threads` row of `chat-server load`.
//!
//! Everything but the concurrency model is shared with the tokio server:
//! the same [`Hub`] (rooms, fan-out serialised once, bounded queues, the
//! slow-consumer kick), the same protocol parser, the same WebSocket
//! settings (`Config::websocket`). What differs is what waits: here a
//! blocked thread, with its stack and its kernel task, per direction of
//! every connection.
//!
//! # Why two threads per connection
//!
//! A blocking `tungstenite::WebSocket` cannot be read in one thread and
//! written in another: `read` takes `&mut self`, and a thread blocked in it
//! would hold the socket for as long as the client stays silent. So each
//! connection has
//!
//! - a **reader** thread that owns the `WebSocket` and reads the client's
//!   frames (tungstenite answers pings and the client's close itself, from
//!   inside `read`);
//! - a **writer** thread that drains the connection's bounded queue — the
//!   hub's own, read with `blocking_recv` — and writes each frame, already
//!   serialised once for the whole room, to the socket.
//!
//! Both write to one socket, so each whole frame is written under the
//! connection's [`Mutex`]: the writer's frames and the reader's replies
//! (pong, close) never interleave mid-frame. The reader's `WebSocket` writes
//! into a buffer that goes to the socket, under that lock, when tungstenite
//! flushes. The two threads share the socket through an `Arc<TcpStream>`
//! (`&TcpStream` reads and writes), not `try_clone`: a clone would be a
//! second file descriptor per connection, and 10,000 connections would then
//! need 20,000 — the whole open-file limit of this machine.
//!
//! Shortcuts, labelled: no server pings and no idle timeout (a reader
//! thread just blocks until its client speaks or goes away), and only `/ws`
//! and `/stats` are served — the page is the tokio server's.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Result;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocket};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use crate::kata::event::Event;
use crate::kata::hub::{ClientId, Outbox};
use crate::kata::protocol::{self, Command};
use crate::kata::{Config, Ending, Hub, Summary};
use crate::serve::{Announce, ServeOptions};

/// The longest request head read.
const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Memory maps a Rust thread costs its process: its stack and the stack's
/// guard page, and the signal stack std sets up for it (with its own guard),
/// measured on Linux (`/proc/<pid>/maps`: 4.0 per thread at 2,000 threads).
pub const MAPS_PER_THREAD: usize = 4;

/// The most connections this machine lets a thread-per-connection server
/// hold — two threads each — with a quarter of the kernel's per-process map
/// limit (`vm.max_map_count`, usually 65,530) left for the heap and the
/// libraries. Past that limit a new thread cannot even set up its signal
/// stack, and std aborts the whole process (tried: at 10,000 connections,
/// SIGABRT after about 6,800); so the server answers 503 (server full)
/// before it gets there. `None` where the limit cannot be read.
pub fn connection_budget() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
    let maps: usize = text.trim().parse().ok()?;
    Some(maps / 4 * 3 / (2 * MAPS_PER_THREAD))
}

/// What every connection's threads share.
struct Shared {
    hub: Hub,
    config: Config,
    /// Set by the stop signal: no more connections, every writer sends 1001.
    stopping: AtomicBool,
    /// Open WebSocket connections, to shut their sockets at the deadline.
    open: Mutex<HashMap<ClientId, Arc<Conn>>>,
    /// WebSocket connections held now (the limit counts these).
    connections: AtomicUsize,
    accepted: AtomicU64,
    refused: AtomicU64,
    handshake_timeouts: AtomicU64,
    /// Threads that could not be started (out of memory, pids or maps).
    spawn_failures: AtomicU64,
    endings: Mutex<BTreeMap<Ending, u64>>,
    /// Connection threads alive now, and a condvar told when one ends.
    live: Mutex<usize>,
    ended: Condvar,
}

/// One connection's socket, shared by its reader and its writer.
struct Conn {
    stream: TcpStream,
    /// Held while a whole frame is written. `Some` once a close frame was
    /// sent: nothing may follow it.
    wire: Mutex<Option<Ending>>,
    /// The reader has finished: the writer has nobody to say goodbye to.
    reader_done: AtomicBool,
}

impl Conn {
    fn wire(&self) -> MutexGuard<'_, Option<Ending>> {
        self.wire.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a close frame for `ending`, unless one was sent already.
    fn close(&self, ending: Ending) {
        let mut wire = self.wire();
        if wire.is_some() {
            return;
        }
        *wire = Some(ending);
        let Some(close) = ending.close_frame() else {
            return;
        };
        let mut bytes = Vec::with_capacity(64);
        if Frame::close(Some(close)).format(&mut bytes).is_ok() {
            let _ = (&self.stream).write_all(&bytes);
        }
    }
}

/// The reader's side of the socket, as tungstenite sees it: reads go
/// straight to the socket; writes (pongs, the close reply) are buffered and
/// written whole, under the connection's lock, on flush.
struct ReaderSide {
    conn: Arc<Conn>,
    pending: Vec<u8>,
}

impl Read for ReaderSide {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.conn.stream).read(buf)
    }
}

impl Write for ReaderSide {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let wire = self.conn.wire();
        // After our own close frame, the client's close needs no reply.
        let result = if wire.is_none() {
            (&self.conn.stream).write_all(&self.pending)
        } else {
            Ok(())
        };
        self.pending.clear();
        result
    }
}

/// A thread counted as alive for as long as this guard lives.
struct Alive(Arc<Shared>);

impl Alive {
    fn new(shared: &Arc<Shared>) -> Alive {
        *shared.live.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        Alive(shared.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        *self.0.live.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        self.0.ended.notify_all();
    }
}

impl Shared {
    /// Waits until no connection thread is alive, or `deadline` passes;
    /// returns how many are left.
    fn wait_for_threads(&self, deadline: Duration) -> usize {
        let until = Instant::now() + deadline;
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        while *live > 0 {
            let Some(left) = until.checked_duration_since(Instant::now()) else {
                break;
            };
            live = self
                .ended
                .wait_timeout(live, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *live
    }

    fn ended(&self, ending: Ending) {
        *self
            .endings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(ending)
            .or_default() += 1;
    }

    fn stats_json(&self) -> String {
        let hub = self.hub.stats();
        serde_json::json!({
            "connections": self.connections.load(Ordering::Relaxed),
            "rooms": hub.rooms,
            "clients": hub.clients,
            "messages": hub.messages,
            "kicked": hub.kicked,
            "heap_bytes": self.config.heap_bytes.and_then(|f| f()),
            "rss_bytes": crate::resident_bytes(std::process::id()),
            "threads": crate::threads(std::process::id()),
        })
        .to_string()
    }
}

/// Serves `listener` with a thread per connection until a signal, then
/// closes every connection with 1001 and waits for its threads. `runtime`
/// only waits for the signals and draws the status line.
pub fn serve(
    listener: TcpListener,
    options: &ServeOptions,
    runtime: &tokio::runtime::Runtime,
    out: &cli::Output,
) -> Result<cli::Finished> {
    let addr = listener.local_addr()?;
    // Within what the kernel allows a process (see `connection_budget`).
    let budget = connection_budget().filter(|&b| b < options.config.max_connections);
    let mut options = options.clone();
    if let Some(budget) = budget {
        options.config.max_connections = budget;
    }
    let options = &options;
    let config = options.config.clone();
    let shared = Arc::new(Shared {
        hub: Hub::new(config.queue_capacity),
        config,
        stopping: AtomicBool::new(false),
        open: Mutex::default(),
        connections: AtomicUsize::new(0),
        accepted: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        handshake_timeouts: AtomicU64::new(0),
        spawn_failures: AtomicU64::new(0),
        endings: Mutex::default(),
        live: Mutex::new(0),
        ended: Condvar::new(),
    });
    let (stopping, status) = {
        let _inside = runtime.enter();
        let stop = {
            let shared = shared.clone();
            move || {
                shared.stopping.store(true, Ordering::SeqCst);
                // Wake the accept loop, blocked in accept(): it sees the
                // flag on the connection that arrives.
                let _ = TcpStream::connect(wake_address(addr));
            }
        };
        let stopping = crate::serve::on_signal(stop, out, options.announce)?;
        crate::serve::announce_start(addr, options, out, false)?;
        if budget.is_some() && !options.announce {
            out.note(format_args!(
                "(no more: two threads a connection, {MAPS_PER_THREAD} memory maps a thread, \
                 within the kernel's vm.max_map_count)"
            ));
        }
        let stats = shared.clone();
        let status = crate::serve::status(out, move || {
            let hub = stats.hub.stats();
            (
                stats.connections.load(Ordering::Relaxed),
                hub.rooms,
                hub.messages,
            )
        });
        (stopping, status)
    };

    accept_loop(&listener, &shared);
    drop(listener);

    // Every client's queue is closed: its writer sends what was queued,
    // then 1001, and its reader ends when the client answers the close.
    let ids: Vec<ClientId> = shared
        .open
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .keys()
        .copied()
        .collect();
    for id in ids {
        shared.hub.disconnect(id);
    }
    let mut left = shared.wait_for_threads(shared.config.shutdown_grace);
    if left > 0 {
        // Past the grace: clients that did not answer lose their sockets.
        for conn in shared
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            let _ = conn.stream.shutdown(Shutdown::Both);
        }
        left = shared.wait_for_threads(Duration::from_secs(2));
    }
    status.finish();
    let seconds = crate::serve::since(&stopping);
    let endings = shared
        .endings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let spawn_failures = shared.spawn_failures.load(Ordering::Relaxed);
    if spawn_failures > 0 {
        eprintln!(
            "error: {} could not be started (the kernel refused: memory, the pid limit or the \
             map count); their connections were dropped",
            cli::human::count(spawn_failures as usize, "thread", "threads")
        );
    }
    if options.announce {
        Announce::Stopped {
            closed: endings.values().sum(),
            closes_1001: endings.get(&Ending::Shutdown).copied().unwrap_or(0),
            tasks_left: left,
            seconds,
        }
        .print()?;
    } else {
        let summary = Summary {
            accepted: shared.accepted.load(Ordering::Relaxed),
            refused: shared.refused.load(Ordering::Relaxed),
            handshake_timeouts: shared.handshake_timeouts.load(Ordering::Relaxed),
            endings: endings
                .iter()
                .map(|(e, n)| (format!("{e:?}"), *n))
                .collect(),
            tasks_left: left,
        };
        let line = crate::serve::summary_line(&summary, seconds);
        println!("{}", line.replace("tasks left", "threads left"));
        out.note(format_args!("next: {}", crate::serve::next_after_serving()));
    }
    Ok(cli::Finished::with_failures(left > 0 || spawn_failures > 0))
}

/// Where to connect to wake a listener bound to `addr` (an unspecified
/// address is reached through loopback).
fn wake_address(addr: SocketAddr) -> SocketAddr {
    let mut wake = addr;
    if wake.ip().is_unspecified() {
        wake.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    wake
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                // Out of file descriptors, most likely: pause rather than
                // spin on an error that repeats at once.
                tracing::warn!("accept failed: {error}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        shared.accepted.fetch_add(1, Ordering::Relaxed);
        let alive = Alive::new(shared);
        let mine = shared.clone();
        let started = std::thread::Builder::new().spawn(move || {
            let _alive = alive;
            connection(stream, &mine);
        });
        if started.is_err() {
            shared.spawn_failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One accepted socket, on its own thread: its HTTP request, then, for
/// `/ws`, the reader of its chat (with a writer thread beside it).
fn connection(stream: TcpStream, shared: &Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    // The kernel's send buffer bounded as the tokio server bounds it
    // (Config::socket_send_buffer): the same queues on both sides.
    let _ = socket2::SockRef::from(&stream).set_send_buffer_size(shared.config.socket_send_buffer);
    let _ = stream.set_read_timeout(Some(shared.config.handshake_timeout));
    let (head, leftover) = match read_head(&stream) {
        Ok(Some(parts)) => parts,
        Ok(None) => return answer(&stream, 431, "text/plain", "request head too large\n"),
        Err(error) => {
            if matches!(
                error.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) {
                shared.handshake_timeouts.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(&head), Ok(httparse::Status::Complete(_)))
        || request.method != Some("GET")
    {
        return answer(&stream, 400, "text/plain", "bad request\n");
    }
    let path = request.path.unwrap_or("/");
    match path.split('?').next().unwrap_or(path) {
        "/stats" => answer(&stream, 200, "application/json", &shared.stats_json()),
        "/ws" => {
            let header = |name: &str| {
                request
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
            };
            let upgrade = header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
            let (true, Some(key), Some("13")) = (
                upgrade,
                header("sec-websocket-key"),
                header("sec-websocket-version"),
            ) else {
                return answer(&stream, 400, "text/plain", "expected a WebSocket upgrade\n");
            };
            let limit = shared.config.max_connections;
            if shared.connections.fetch_add(1, Ordering::SeqCst) >= limit {
                shared.connections.fetch_sub(1, Ordering::SeqCst);
                shared.refused.fetch_add(1, Ordering::Relaxed);
                return answer(
                    &stream,
                    503,
                    "text/plain",
                    &format!("server full: {limit} connections\n"),
                );
            }
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                derive_accept_key(key.as_bytes())
            );
            if (&stream).write_all(response.as_bytes()).is_ok()
                && stream.set_read_timeout(None).is_ok()
            {
                chat(stream, leftover, shared);
            }
            shared.connections.fetch_sub(1, Ordering::SeqCst);
        }
        _ => answer(&stream, 404, "text/plain", "not found\n"),
    }
}

/// Reads the request head (up to the blank line); `None` when it is too
/// long. Returns the head and the bytes read past it.
fn read_head(mut stream: &TcpStream) -> io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = head
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|at| at + 4)
        {
            let leftover = head.split_off(end);
            return Ok(Some((head, leftover)));
        }
        if head.len() >= MAX_HEAD_BYTES {
            return Ok(None);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&chunk[..n]);
    }
}

fn answer(mut stream: &TcpStream, status: u16, kind: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

/// The chat of one upgraded connection: registers it with the hub, starts
/// its writer, and reads until the client goes or the server stops.
fn chat(stream: TcpStream, leftover: Vec<u8>, shared: &Arc<Shared>) {
    let outbox = shared.hub.connect();
    let id = outbox.id;
    let conn = Arc::new(Conn {
        stream,
        wire: Mutex::new(None),
        reader_done: AtomicBool::new(false),
    });
    shared
        .open
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, conn.clone());
    let alive = Alive::new(shared);
    let (writer_conn, writer_shared) = (conn.clone(), shared.clone());
    let started = std::thread::Builder::new().spawn(move || {
        let _alive = alive;
        write_frames(&writer_conn, outbox, &writer_shared);
    });
    if started.is_err() {
        shared.spawn_failures.fetch_add(1, Ordering::Relaxed);
    } else {
        // A stop signal that came while this connection was being set up
        // found no queue to close: close it now.
        if shared.stopping.load(Ordering::SeqCst) {
            shared.hub.disconnect(id);
        }
        let side = ReaderSide {
            conn: conn.clone(),
            pending: Vec::new(),
        };
        let mut ws = WebSocket::from_partially_read(
            side,
            leftover,
            Role::Server,
            Some(shared.config.websocket()),
        );
        let ending = read_frames(&mut ws, &shared.hub, id);
        if let Some(ending) = ending {
            conn.close(ending);
        }
    }
    conn.reader_done.store(true, Ordering::SeqCst);
    shared.hub.disconnect(id);
    let _ = conn.stream.shutdown(Shutdown::Both);
    shared
        .open
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    let ending = conn.wire().unwrap_or(Ending::Gone);
    shared.ended(ending);
}

/// Reads the client's frames until the connection ends; returns the close
/// frame owed to a client that broke the rules.
fn read_frames(ws: &mut WebSocket<ReaderSide>, hub: &Hub, id: ClientId) -> Option<Ending> {
    loop {
        match ws.read() {
            Ok(Message::Text(text)) => handle(hub, id, &text),
            Ok(Message::Binary(_)) => {
                let message = "frames are JSON text".to_string();
                hub.send_to(
                    id,
                    &Event::Error {
                        code: "not_text",
                        message,
                    },
                );
            }
            // Pings and the client's close are answered inside `read`.
            Ok(_) => {}
            Err(WsError::Capacity(_)) => return Some(Ending::TooBig),
            Err(WsError::Utf8(_)) => return Some(Ending::BadUtf8),
            Err(WsError::Protocol(_)) => return Some(Ending::Protocol),
            Err(_) => return None,
        }
    }
}

/// Carries out one command, as the tokio server's connection does (that
/// function is private to the exercise; the calls are the hub's own).
fn handle(hub: &Hub, id: ClientId, text: &str) {
    let refused = match protocol::parse(text) {
        Ok(Command::Name(name)) => {
            hub.rename(id, name);
            None
        }
        Ok(Command::Join(room)) => {
            hub.join(id, &room);
            None
        }
        Ok(Command::Leave(room)) => {
            hub.leave(id, &room);
            None
        }
        Ok(Command::Say { room, text }) => hub
            .say(id, &room, &text)
            .err()
            .map(|e| (e.code(), e.to_string())),
        Ok(Command::Rooms) => {
            hub.send_to(id, &Event::Rooms { rooms: hub.rooms() });
            None
        }
        Err(error) => Some((error.code(), error.to_string())),
    };
    if let Some((code, message)) = refused {
        hub.send_to(id, &Event::Error { code, message });
    }
}

/// The writer thread: each queued frame to the socket, then the close
/// frame once the queue is closed — 1001 when the server stops, 1008 when
/// the hub dropped a client too slow to keep up.
fn write_frames(conn: &Conn, mut outbox: Outbox, shared: &Shared) {
    // A client that stops reading blocks a write once its socket buffers
    // fill; past the grace, the write fails and the connection is dropped
    // (the tokio server races the write against the kick instead).
    let _ = conn
        .stream
        .set_write_timeout(Some(shared.config.shutdown_grace));
    let mut bytes = Vec::with_capacity(256);
    while let Some(frame) = outbox.frames.blocking_recv() {
        if outbox.kicked.is_cancelled() {
            break;
        }
        bytes.clear();
        let frame = Frame::message(Utf8Bytes::clone(&frame), OpCode::Data(Data::Text), true);
        if frame.format(&mut bytes).is_err() {
            break;
        }
        let wire = conn.wire();
        if wire.is_some() || (&conn.stream).write_all(&bytes).is_err() {
            drop(wire);
            let _ = conn.stream.shutdown(Shutdown::Both);
            return;
        }
    }
    if conn.reader_done.load(Ordering::SeqCst) {
        return;
    }
    if shared.stopping.load(Ordering::SeqCst) {
        conn.close(Ending::Shutdown);
    } else {
        conn.close(Ending::TooSlow);
        let _ = conn.stream.shutdown(Shutdown::Both);
    }
}
