//! The world the chat-server suite runs in: the server under test on its
//! own thread and runtime, and clients to talk to it.
//!
//! The server runs on a `current_thread` runtime of its own, beside a
//! heartbeat task: anything that blocks that one thread — a synchronous
//! write, a sleep, a lock waited for — makes the heartbeat late, and the
//! test can say so. Clients run elsewhere (the test's own runtime, or the
//! load generator's), so their work never hides the server's.

use crate::kata;
use harness::heartbeat::Heartbeat;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use futures::{SinkExt, StreamExt};
pub use tokio_tungstenite::tungstenite::Message;

/// How often the server's heartbeat asks to wake.
pub const BEAT: Duration = Duration::from_millis(5);

/// Panics seen on the server's thread and its tasks since the process
/// began (a panic hook counts them; see [`Running::panics`]).
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// What the server's thread reports when `run` returns.
pub struct Finished {
    pub summary: kata::Summary,
    /// Tasks still alive on the server's runtime once `run` returned (its
    /// connection tasks; the heartbeat is stopped first).
    pub tasks_alive: usize,
}

/// The server under test, running.
pub struct Running {
    pub addr: SocketAddr,
    pub hub: Arc<kata::Hub>,
    pub stop: CancellationToken,
    /// The Linux thread id of the server's runtime thread.
    pub thread_id: i64,
    /// The server's runtime, to count its tasks and to hold it still.
    handle: tokio::runtime::Handle,
    heartbeat: Arc<std::sync::Mutex<Option<Heartbeat>>>,
    finished: std::sync::mpsc::Receiver<std::thread::Result<Finished>>,
    panics_before: usize,
}

impl Running {
    /// Starts `config`'s server on `127.0.0.1:0`. A panic while binding
    /// (a `todo!()` still in place) is the test's panic.
    pub fn start(config: kata::Config) -> Running {
        install_panic_counter();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let (done_tx, finished) = std::sync::mpsc::channel();
        let heartbeat = Arc::new(std::sync::Mutex::new(None));
        let beat = heartbeat.clone();
        std::thread::Builder::new()
            .name("server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    runtime.block_on(async {
                        let server = kata::Server::bind("127.0.0.1:0".parse().unwrap(), config)
                            .await
                            .expect("the server binds 127.0.0.1:0");
                        let addr = server.local_addr().expect("a bound address");
                        let thread_id = harness::durability::current_thread_id();
                        *beat.lock().unwrap() = Some(Heartbeat::spawn(BEAT));
                        let _ = ready_tx.send(Ok((
                            addr,
                            server.hub(),
                            server.shutdown_token(),
                            thread_id,
                            tokio::runtime::Handle::current(),
                        )));
                        server.run().await
                    })
                }));
                let outcome = match outcome {
                    Ok(summary) => {
                        // Stop the heartbeat (it aborts on drop) so that
                        // only the server's own tasks are counted.
                        drop(beat.lock().unwrap().take());
                        // Let the aborted heartbeat be dropped before counting.
                        runtime.block_on(tokio::task::yield_now());
                        let tasks_alive = runtime.metrics().num_alive_tasks();
                        Ok(Finished {
                            summary,
                            tasks_alive,
                        })
                    }
                    Err(panic) => {
                        let _ = ready_tx.send(Err(()));
                        Err(panic)
                    }
                };
                let _ = done_tx.send(outcome);
            })
            .expect("a server thread");
        match ready.recv() {
            Ok(Ok((addr, hub, stop, thread_id, handle))) => Running {
                handle,
                addr,
                hub,
                stop,
                thread_id,
                heartbeat,
                finished,
                panics_before: PANICS.load(Ordering::SeqCst),
            },
            _ => match finished.recv() {
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                _ => panic!("the server thread ended before it was ready"),
            },
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The heartbeat's worst lateness and beats so far.
    pub fn heartbeat(&self) -> (Duration, u64) {
        let guard = self.heartbeat.lock().unwrap();
        guard
            .as_ref()
            .map(|h| (h.worst_lateness(), h.beats()))
            .unwrap_or_default()
    }

    /// Tasks alive on the server's runtime now: one per connection task
    /// (and its handshakes), plus the heartbeat.
    pub fn tasks_alive(&self) -> usize {
        self.handle.metrics().num_alive_tasks()
    }

    /// Holds the server's one thread still until the guard is dropped: a
    /// task that blocks it. What the test does meanwhile (queue frames,
    /// cancel tokens) is seen by the server all at once when it goes on.
    pub fn freeze(&self) -> Frozen {
        let (started_tx, started) = std::sync::mpsc::channel();
        let (release, held) = std::sync::mpsc::channel::<()>();
        self.handle.spawn(async move {
            let _ = started_tx.send(());
            // Blocking on purpose: this is the test holding the runtime.
            let _ = held.recv();
        });
        let _ = started.recv_timeout(Duration::from_secs(5));
        Frozen { _release: release }
    }

    /// Panics anywhere in the process since the server started (the
    /// suite's clients do not panic, so these are the server's).
    pub fn panics(&self) -> usize {
        PANICS.load(Ordering::SeqCst) - self.panics_before
    }

    /// Shuts the server down and waits (at most `within`) for `run` to
    /// return. `None` if it did not.
    pub fn shutdown(self, within: Duration) -> Option<Finished> {
        self.stop.cancel();
        match self.finished.recv_timeout(within) {
            Ok(Ok(finished)) => Some(finished),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => None,
        }
    }
}

/// The server's runtime is held still while this lives (see
/// [`Running::freeze`]).
pub struct Frozen {
    _release: std::sync::mpsc::Sender<()>,
}

fn install_panic_counter() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
}

/// A client of the suite's own, for exact conversations: every event it
/// receives, in order.
pub struct Client {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    pub id: u64,
    pub name: String,
    /// Events received and not yet looked at.
    pub inbox: Vec<Value>,
}

impl Client {
    /// Connects and reads the welcome.
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(url),
        )
        .await
        .expect("the upgrade is answered within 5 s")
        .expect("the server accepts a WebSocket upgrade at /ws");
        let mut client = Client {
            ws,
            id: 0,
            name: String::new(),
            inbox: Vec::new(),
        };
        let welcome = client.next_of("welcome", Duration::from_secs(5)).await;
        let Some(welcome) = welcome else {
            harness::grade::fail(
                "no-welcome",
                "a new connection got no {\"type\":\"welcome\"} event within 5 s: queue one for \
                 each client as it connects (Hub::connect)",
            )
        };
        client.id = welcome["id"].as_u64().unwrap_or(0);
        client.name = welcome["name"].as_str().unwrap_or("").to_string();
        client
    }

    pub async fn send(&mut self, command: Value) {
        let _ = self.ws.send(Message::text(command.to_string())).await;
    }

    /// A binary frame: valid WebSocket, but not this protocol.
    pub async fn send_binary(&mut self, bytes: &[u8]) {
        let _ = self.ws.send(Message::binary(bytes.to_vec())).await;
    }

    /// Joins `room`; the `members` answer (None if none came).
    pub async fn join(&mut self, room: &str) -> Option<Value> {
        self.send(json!({"type": "join", "room": room})).await;
        self.next_of("members", Duration::from_secs(5)).await
    }

    /// The events of `kind` in the inbox naming client `id` in `room`.
    pub fn notices(&self, kind: &str, room: &str, id: u64) -> usize {
        self.inbox
            .iter()
            .filter(|e| e["type"] == kind && e["room"] == room && e["id"] == id)
            .count()
    }

    pub async fn say(&mut self, room: &str, text: &str) {
        self.send(json!({"type": "say", "room": room, "text": text}))
            .await;
    }

    /// Reads until an event of type `kind` arrives (kept out of the inbox)
    /// or `within` passes; what came before it goes to the inbox.
    pub async fn next_of(&mut self, kind: &str, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            let Ok(Message::Text(text)) = frame else {
                continue;
            };
            let event: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if event["type"] == kind {
                return Some(event);
            }
            self.inbox.push(event);
        }
    }

    /// Reads whatever arrives until nothing has for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) {
        while let Ok(Some(Ok(frame))) = tokio::time::timeout(quiet, self.ws.next()).await {
            if let Message::Text(text) = frame {
                self.inbox
                    .push(serde_json::from_str(&text).unwrap_or(Value::Null));
            }
        }
    }

    /// The messages (text) received so far in `room`.
    pub fn messages_in(&self, room: &str) -> Vec<String> {
        self.inbox
            .iter()
            .filter(|e| e["type"] == "message" && e["room"] == room)
            .map(|e| e["text"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Reads until the server closes: the texts of messages received before
    /// the close, and the close code (None for EOF without a close frame).
    pub async fn until_closed(&mut self, within: Duration) -> (Vec<String>, Option<u16>, bool) {
        let mut texts = Vec::new();
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return (texts, None, false),
                Ok(None) | Ok(Some(Err(_))) => return (texts, None, true),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return (texts, frame.map(|f| u16::from(f.code)), true);
                }
                Ok(Some(Ok(Message::Text(text)))) => {
                    let event: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if event["type"] == "message" {
                        texts.push(event["text"].as_str().unwrap_or("").to_string());
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while self.ws.next().await.is_some() {}
        })
        .await;
    }
}

/// A runtime of the test's own for clients (two worker threads: the
/// clients must not be what is slow), apart from the server's.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a client runtime")
}

/// Runs async client code on a [`client_runtime`].
pub fn clients<T>(body: impl std::future::Future<Output = T>) -> T {
    client_runtime().block_on(body)
}
