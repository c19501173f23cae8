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
//! buffers fill. The write therefore also races the `kicked` token and the
//! idle deadline, so a stalled write never keeps a disconnected client's
//! task alive, nor a client that stopped reading in a quiet room.
//!
//! Every way a connection can end has its close code ([`Ending`]): a hostile
//! or broken client loses its own connection, never the server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, MissedTickBehavior, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::event::{Event, RoomInfo};
use crate::hub::{Hub, Outbox};
use crate::protocol::{self, Command};

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

// ANCHOR: serve_connection
/// Runs one client's connection until it ends, then removes the client
/// from the hub and sends its close frame (within the shutdown grace, so a
/// client that stopped reading cannot hold the task).
pub async fn serve_connection(
    mut ws: WebSocketStream<TcpStream>,
    hub: Arc<Hub>,
    config: &Config,
    shutdown: CancellationToken,
) -> Ending {
    let mut outbox = hub.connect();
    let ending = talk(&mut ws, &hub, &mut outbox, config, &shutdown).await;
    hub.disconnect(outbox.id);
    // Boxed, so that its timers take memory only while it runs, not in
    // every idle connection's task.
    let _ = timeout(
        config.shutdown_grace,
        Box::pin(farewell(&mut ws, &mut outbox, ending)),
    )
    .await;
    ending
}
// ANCHOR_END: serve_connection

// ANCHOR: talk
async fn talk(
    ws: &mut WebSocketStream<TcpStream>,
    hub: &Hub,
    outbox: &mut Outbox,
    config: &Config,
    shutdown: &CancellationToken,
) -> Ending {
    let mut last_heard = Instant::now();
    let mut ping =
        tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Told to go, by the hub: too slow, or the server is shutting down (it
    // cancels every client's own token then). One future, made once and
    // polled on every turn of the loop; the client's own token, not the
    // server-wide one: 10,000 connections woken by one broadcast would
    // otherwise all take that token's one lock, several times each.
    let stopped = async {
        outbox.kicked.cancelled().await;
        if shutdown.is_cancelled() {
            Ending::Shutdown
        } else {
            Ending::TooSlow
        }
    };
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            // Shutdown and kicks first: a client that floods us must not
            // keep its connection open past either.
            biased;
            ending = &mut stopped => return ending,
            frame = outbox.frames.recv() => {
                let Some(frame) = frame else { return Ending::TooSlow };
                let idle_at = last_heard + config.idle_timeout;
                let text = Message::Text(Utf8Bytes::clone(&frame));
                if let Err(ending) = write(ws, text, stopped.as_mut(), idle_at).await {
                    return ending;
                }
            }
            message = ws.next() => {
                last_heard = Instant::now();
                match message {
                    None => return Ending::Gone,
                    Some(Err(error)) => return Ending::from_error(&error),
                    Some(Ok(Message::Text(text))) => handle(hub, outbox.id, &text),
                    Some(Ok(Message::Binary(_))) => {
                        let message = "frames are JSON text".to_string();
                        hub.send_to(outbox.id, &Event::Error { code: "not_text", message });
                    }
                    // Pings are answered by tungstenite on its next write or
                    // read; pongs and the client's close need nothing more
                    // (after a close the next read ends the stream).
                    Some(Ok(_)) => {}
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() >= config.idle_timeout {
                    return Ending::Idle;
                }
                let idle_at = last_heard + config.idle_timeout;
                let ping = Message::Ping(Default::default());
                if let Err(ending) = write(ws, ping, stopped.as_mut(), idle_at).await {
                    return ending;
                }
            }
        }
    }
}
// ANCHOR_END: talk

// ANCHOR: write
/// Writes one frame, unless the client is told to go or goes idle first.
/// A client that stopped reading blocks the write once its socket buffers
/// fill — and answers no ping meanwhile: in a busy room its queue fills and
/// the hub kicks it (`stopped`); in a quiet one only the idle deadline
/// ends the wait.
async fn write(
    ws: &mut WebSocketStream<TcpStream>,
    message: Message,
    stopped: Pin<&mut impl Future<Output = Ending>>,
    idle_at: Instant,
) -> Result<(), Ending> {
    tokio::select! {
        biased;
        ending = stopped => Err(ending),
        sent = ws.send(message) => sent.map_err(|_| Ending::Gone),
        () = tokio::time::sleep_until(idle_at) => Err(Ending::Idle),
    }
}
// ANCHOR_END: write

// ANCHOR: handle
/// Carries out one text frame's command; a bad one is answered with an
/// error event, and the connection goes on.
fn handle(hub: &Hub, id: u64, text: &str) {
    let (code, message) = match protocol::parse(text) {
        Ok(Command::Name(name)) => return hub.rename(id, name),
        Ok(Command::Join(room)) => return hub.join(id, &room),
        Ok(Command::Leave(room)) => return hub.leave(id, &room),
        Ok(Command::Say { room, text }) => match hub.say(id, &room, &text) {
            Ok(()) => return,
            Err(refused) => (refused.code(), refused.to_string()),
        },
        Ok(Command::Rooms) => {
            let rooms: Vec<RoomInfo> = hub.rooms();
            return hub.send_to(id, &Event::Rooms { rooms });
        }
        Err(error) => (error.code(), error.to_string()),
    };
    hub.send_to(id, &Event::Error { code, message });
}
// ANCHOR_END: handle

// ANCHOR: farewell
/// The last words: on shutdown, what is still queued for the client, then
/// the close frame, then waiting for the client's own close (or EOF).
async fn farewell(ws: &mut WebSocketStream<TcpStream>, outbox: &mut Outbox, ending: Ending) {
    if ending == Ending::Shutdown {
        while let Ok(frame) = outbox.frames.try_recv() {
            if ws
                .feed(Message::Text(Utf8Bytes::clone(&frame)))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    let Some(close) = ending.close_frame() else {
        return;
    };
    if ws.close(Some(close)).await.is_err() {
        return;
    }
    // The close handshake completes when the client answers; read (and
    // drop) what it still sends until then, briefly.
    let _ = timeout(Duration::from_secs(1), async {
        while ws.next().await.is_some() {}
    })
    .await;
}
// ANCHOR_END: farewell
