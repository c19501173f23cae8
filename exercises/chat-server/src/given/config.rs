//! The chat server's settings: limits, timeouts and buffer sizes.
//!
//! Every bound the server keeps is a field here, so that a test can make it
//! small (a queue of 8 frames, an idle timeout of 300 ms) and watch the
//! server keep it, and the program can print what it runs with.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// How the server is bounded. `Config::default()` is what
/// `cargo run -p chat-server` uses.
#[derive(Clone)]
pub struct Config {
    /// WebSocket connections held at once; the next upgrade is answered
    /// `503 Service Unavailable`. Each costs a file descriptor, so the
    /// process's open-file limit bounds this too.
    pub max_connections: usize,
    /// The largest message a client may send, in bytes; a longer one closes
    /// that connection with 1009 (message too big).
    pub max_message_bytes: usize,
    /// Frames queued for one client before it counts as too slow and is
    /// disconnected (close 1008). This bound is what keeps one stalled
    /// reader from holding memory without limit or delaying everyone else.
    pub queue_capacity: usize,
    /// How often an idle connection is pinged.
    pub ping_interval: Duration,
    /// A connection that sends nothing — not even a pong — for this long is
    /// closed (1000, "idle timeout").
    pub idle_timeout: Duration,
    /// A client must complete its HTTP request within this time; a
    /// half-open connection would otherwise hold a socket forever.
    pub handshake_timeout: Duration,
    /// On shutdown, how long clients get to receive what is queued for them
    /// and the close frame, before their sockets are dropped.
    pub shutdown_grace: Duration,
    /// tungstenite's read buffer per connection, allocated when the
    /// connection opens. Its default, 128 KiB, is most of what an idle
    /// connection costs (tungstenite issue #480); a chat message is small.
    pub read_buffer_bytes: usize,
    /// The kernel's send buffer per connection (SO_SNDBUF; Linux doubles
    /// it). The kernel is a queue too: left to itself it lets a client that
    /// stopped reading hold megabytes of unsent data, and the server's own
    /// bounded queue would only fill after that.
    pub socket_send_buffer: usize,
    /// Use tokio-tungstenite's default buffer sizes instead of the two
    /// above (only to measure what they cost).
    pub library_buffers: bool,
    /// The files of the page: (path, content type, body); `/` serves
    /// `/index.html`.
    pub files: &'static [(&'static str, &'static str, &'static str)],
    /// Extra figures for `/stats` (the program adds its heap counter).
    pub heap_bytes: Option<fn() -> Option<u64>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_connections: 20_000,
            max_message_bytes: 16 * 1024,
            queue_capacity: 64,
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
            read_buffer_bytes: 256,
            socket_send_buffer: 64 * 1024,
            library_buffers: false,
            files: &[(
                "/index.html",
                "text/html; charset=utf-8",
                "<!doctype html><title>chat</title><p>This server has no page.\n",
            )],
            heap_bytes: None,
        }
    }
}

impl Config {
    /// The WebSocket settings every connection is opened with.
    pub fn websocket(&self) -> WebSocketConfig {
        let limits = WebSocketConfig::default()
            .max_message_size(Some(self.max_message_bytes))
            .max_frame_size(Some(self.max_message_bytes));
        if self.library_buffers {
            return limits;
        }
        // Nothing is buffered for writing: each frame goes to the socket
        // when it is sent, so the only queue is the bounded one the server
        // keeps per client, and a slow reader shows up there.
        limits
            .read_buffer_size(self.read_buffer_bytes)
            .write_buffer_size(0)
    }
}
