//! Steps 2 and 5 — one connection: one task that reads the client's frames
//! and writes the frames queued for it, until one side ends it.
//!
//! One task per connection, not one thread: a connection spends nearly all
//! its life waiting (for the client to type, for someone else to speak), and
//! a waiting task costs a few hundred bytes where a waiting thread costs a
//! stack and a kernel scheduling entity. The task waits on everything at
//! once with `select!`: a frame from the client, a frame for the client, the
//! ping timer, the server's shutdown and its own `kicked` token.
//!
//! Writing to a client that has stopped reading blocks once its socket
//! buffers fill. The write therefore also races the `kicked` token, so a
//! stalled write never keeps a disconnected client's task alive.
//!
//! Every way a connection can end has its close code ([`Ending`]): a hostile
//! or broken client loses its own connection, never the server.

use std::sync::Arc;
use std::time::Duration;

#[allow(unused_imports)] // yours to use
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::hub::Hub;

/// How a connection ended, and so which close frame it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ending {
    /// The client closed it or went away (no close frame owed).
    Gone,
    /// The server is shutting down: 1001.
    Shutdown,
    /// Its queue filled up: 1008.
    TooSlow,
    /// It sent a message over the size limit: 1009.
    TooBig,
    /// It sent a text frame that is not UTF-8: 1007.
    BadUtf8,
    /// It broke the WebSocket protocol (unmasked or reserved-bit frames, an
    /// unknown opcode): 1002.
    Protocol,
    /// Nothing heard from it, not even a pong, for the idle timeout: 1000.
    Idle,
}

impl Ending {
    /// The close frame this ending sends, if any.
    pub fn close_frame(self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            Ending::Gone => return None,
            Ending::Shutdown => (CloseCode::Away, "server shutting down"),
            Ending::TooSlow => (CloseCode::Policy, "too slow: outgoing queue full"),
            Ending::TooBig => (CloseCode::Size, "message too big"),
            Ending::BadUtf8 => (CloseCode::Invalid, "text frame is not UTF-8"),
            Ending::Protocol => (CloseCode::Protocol, "protocol error"),
            Ending::Idle => (CloseCode::Normal, "idle timeout"),
        };
        Some(CloseFrame {
            code,
            reason: reason.into(),
        })
    }

    /// The ending a read error means: too big, not UTF-8, a protocol
    /// error, or the connection simply failing.
    pub fn from_error(error: &WsError) -> Ending {
        match error {
            WsError::Capacity(_) => Ending::TooBig,
            WsError::Utf8(_) => Ending::BadUtf8,
            WsError::Protocol(_) => Ending::Protocol,
            _ => Ending::Gone,
        }
    }
}

/// Runs one client's connection until it ends, then removes the client
/// from the hub and sends its close frame (within the shutdown grace, so a
/// client that stopped reading cannot hold the task).
///
/// One loop, one `tokio::select!` over: the client's `kicked` token
/// (cancelled by the hub when the client is too slow or the server shuts
/// down — `shutdown.is_cancelled()` tells which), the next frame queued for it (`outbox.frames.recv()`),
/// the next frame from it (`ws.next()`: parse it with
/// [`protocol::parse`](crate::protocol::parse) and carry out the command on
/// the hub, or answer an `error` event) and a ping timer
/// (`config.ping_interval`; nothing heard for `config.idle_timeout` ends it
/// as [`Ending::Idle`]). A write to a client that stopped reading can block:
/// race it against the tokens too. On [`Ending::Shutdown`], send what is
/// still queued before the close frame.
pub async fn serve_connection(
    ws: WebSocketStream<TcpStream>,
    hub: Arc<Hub>,
    config: &Config,
    shutdown: CancellationToken,
) -> Ending {
    let _ = (ws, hub, config, shutdown, Duration::ZERO);
    todo!("talk to one client until the connection ends")
}
