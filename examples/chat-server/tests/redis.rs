//! `chat-server serve --redis URL`: two server processes, one chat. A real
//! `redis-server` on a free loopback port, two servers of the built binary
//! relaying through it, and clients on both: a crowd on each server whose
//! every delivery is counted (wsload), and a few clients that talk across
//! the servers — each receives every message from both servers exactly
//! once, in each sender's order; a room that exists on one server only
//! works; a message reaches no one in another room. Then SIGTERM stops
//! both servers, cleanly.
//!
//! Skipped (and said so) when `redis-server` is not installed:
//! `apt-get install redis-server`. Run: `cargo test -p chat-server --test redis`.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use chat_server::Announce;
use chat_server::broker::{self, LocalRedis};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use wsload::{SendPlan, Swarm, SwarmPlan};

const BIN: &str = env!("CARGO_BIN_EXE_chat-server");

/// The whole exchange, servers started to servers stopped.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Messages each of the two cross-server clients says.
const SAID: usize = 20;

/// A port free a moment ago on loopback.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A `chat-server serve --announce --redis URL`, killed if the test fails.
struct Node {
    child: Option<Child>,
    lines: Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
    addr: SocketAddr,
}

impl Node {
    fn start(redis_url: &str) -> Node {
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--announce"])
            .args(["--redis", redis_url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the chat-server binary starts");
        let mut stderr = child.stderr.take().unwrap();
        let stderr = Some(std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        }));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut node = Node {
            child: Some(child),
            lines,
            stderr,
            addr: ([0, 0, 0, 0], 0).into(),
        };
        node.addr = match node.next_announce() {
            Announce::Listening { addr, .. } => addr,
            other => panic!("not the address: {other:?}"),
        };
        node
    }

    fn ws(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    fn next_announce(&self) -> Announce {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("the server said nothing within 20 s"));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    /// SIGTERM; its exit status, its summary and its stderr.
    fn stop(mut self) -> (ExitStatus, Announce, String) {
        let mut child = self.child.take().unwrap();
        // SAFETY: kill has no memory-safety preconditions; the child has
        // not been waited for, so its pid is still its own.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM sent");
        let summary = self.next_announce();
        let began = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if began.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("still running 20 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, summary, stderr)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A chat client speaking the protocol by hand, in one room.
struct Chatter {
    ws: Ws,
    room: &'static str,
}

impl Chatter {
    /// Connects to `node`, joins `room`, and waits for its member list.
    async fn join(node: &Node, room: &'static str) -> Chatter {
        let (ws, _) = tokio_tungstenite::connect_async(node.ws())
            .await
            .expect("the upgrade succeeds");
        let mut chatter = Chatter { ws, room };
        chatter.send(json!({"type": "join", "room": room})).await;
        loop {
            let frame = chatter.next_frame().await;
            if frame["type"] == "members" && frame["room"] == room {
                return chatter;
            }
        }
    }

    async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
    }

    async fn say(&mut self, text: &str) {
        let room = self.room;
        self.send(json!({"type": "say", "room": room, "text": text}))
            .await;
    }

    /// The next text frame (pings are skipped); an error event fails.
    async fn next_frame(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .expect("a frame within 10 s")
                .expect("the connection stays open")
                .expect("a frame, not an error");
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(&text).unwrap();
                assert_ne!(frame["type"], "error", "the server refused: {frame}");
                return frame;
            }
        }
    }

    /// The next chat message: (room, text). Presence and lists are skipped.
    async fn next_message(&mut self) -> (String, String) {
        loop {
            let frame = self.next_frame().await;
            if frame["type"] == "message" {
                let field = |f: &str| frame[f].as_str().unwrap().to_string();
                return (field("room"), field("text"));
            }
        }
    }

    async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Every message `chatter` receives up to (and not including) its own
/// `marker`: what the room delivered before it, in arrival order.
async fn messages_until(chatter: &mut Chatter, marker: &str) -> Vec<String> {
    chatter.say(marker).await;
    let mut got = Vec::new();
    loop {
        let (room, text) = chatter.next_message().await;
        assert_eq!(room, chatter.room, "a message from another room: {text}");
        if text == marker {
            return got;
        }
        got.push(text);
    }
}

/// `got` holds exactly `alice:0..SAID` and `bob:0..SAID`, each sender's in
/// order, each once — and perhaps, once, the other's end marker (the other
/// may finish first).
fn check_exactly_once_in_order(who: &str, got: &[String]) {
    let markers = got.iter().filter(|t| t.ends_with(":end")).count();
    assert!(markers <= 1, "{who}: {got:?}");
    let got: Vec<String> = got
        .iter()
        .filter(|t| !t.ends_with(":end"))
        .cloned()
        .collect();
    for sender in ["alice", "bob"] {
        let theirs: Vec<&str> = got
            .iter()
            .filter(|t| t.starts_with(&format!("{sender}:")))
            .map(String::as_str)
            .collect();
        let expected: Vec<String> = (0..SAID).map(|i| format!("{sender}:{i}")).collect();
        assert_eq!(
            theirs, expected,
            "{who} should receive each of {sender}'s messages once, in order"
        );
    }
    assert_eq!(got.len(), 2 * SAID, "{who} received strays: {got:?}");
}

/// A crowd's round on one server: every member of each room gets every
/// message of its room's senders on that server, once, in order. Each
/// delivery has gone to Redis and back (a relaying hub never fans out
/// locally).
async fn crowd_round(swarm: &mut Swarm, which: &str) {
    let delivery = swarm.broadcast(&SendPlan::new(2, 10)).await;
    assert_eq!(delivery.sent, 2 * 2 * 10, "{which}: {delivery:?}");
    // 50 clients in two rooms of 25, each hearing its room's 2 × 10.
    assert_eq!(delivery.expected, 50 * 2 * 10, "{which}: {delivery:?}");
    assert_eq!(
        delivery.delivered, delivery.expected,
        "{which}: {delivery:?}"
    );
    assert_eq!(
        (
            delivery.lost,
            delivery.duplicated,
            delivery.out_of_order,
            delivery.unexpected,
            delivery.server_errors
        ),
        (0, 0, 0, 0, 0),
        "{which}: {delivery:?}"
    );
}

#[test]
fn two_servers_relayed_through_redis_are_one_chat() {
    let Some(binary) = LocalRedis::binary() else {
        println!("skipped: redis-server not installed ({})", broker::INSTALL);
        return;
    };
    let redis = LocalRedis::start(&binary).expect("redis-server starts");
    let a = Node::start(&redis.url());
    let b = Node::start(&redis.url());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        tokio::time::timeout(WATCHDOG, exchange(&a, &b))
            .await
            .unwrap_or_else(|_| panic!("timed out after {WATCHDOG:?}: a message never came?"))
    });
    for (name, node) in [("A", a), ("B", b)] {
        let (status, summary, stderr) = node.stop();
        assert!(status.success(), "server {name}: {status}: {stderr}");
        let Announce::Stopped { tasks_left, .. } = summary else {
            panic!("server {name}: not a summary: {summary:?}");
        };
        assert_eq!(tasks_left, 0, "server {name}: {stderr}");
        assert!(
            !stderr.contains("Redis"),
            "server {name} never lost Redis: {stderr}"
        );
    }
}

async fn exchange(a: &Node, b: &Node) {
    // A crowd on each server, in the same rooms; each server's round in
    // turn (a swarm counts its own senders only: the other crowd, idle,
    // hears the round and counts nothing).
    let plan = |node: &Node| {
        SwarmPlan::new(node.ws(), 50)
            .rooms(2)
            .deadline(Duration::from_secs(20))
    };
    let mut crowd_a = Swarm::connect(&plan(a)).await.expect("crowd A connects");
    let mut crowd_b = Swarm::connect(&plan(b)).await.expect("crowd B connects");
    assert_eq!((crowd_a.connected(), crowd_b.connected()), (50, 50));
    crowd_round(&mut crowd_a, "crowd on A").await;
    crowd_round(&mut crowd_b, "crowd on B").await;

    // Across the servers: alice on A, bob on B, both in room r, both
    // talking at once.
    let mut alice = Chatter::join(a, "r").await;
    let mut bob = Chatter::join(b, "r").await;
    // Carol is alone in a room only A has; dave on B is in another room.
    let mut carol = Chatter::join(a, "solo").await;
    let mut dave = Chatter::join(b, "other").await;
    let talk = |mut chatter: Chatter, name: &'static str| async move {
        for i in 0..SAID {
            chatter.say(&format!("{name}:{i}")).await;
        }
        // Read the room until both senders' last messages are in; then
        // the marker collects whatever else (a duplicate) came before it.
        let mut got = Vec::new();
        let mut last = 0;
        while last < 2 {
            let (_, text) = chatter.next_message().await;
            if text == format!("alice:{}", SAID - 1) || text == format!("bob:{}", SAID - 1) {
                last += 1;
            }
            got.push(text);
        }
        got.extend(messages_until(&mut chatter, &format!("{name}:end")).await);
        (chatter, got)
    };
    let ((alice_done, alice_got), (bob_done, bob_got)) =
        tokio::join!(talk(alice, "alice"), talk(bob, "bob"));
    (alice, bob) = (alice_done, bob_done);
    check_exactly_once_in_order("alice (on A)", &alice_got);
    check_exactly_once_in_order("bob (on B)", &bob_got);

    // A room on one server only works as a room does; nothing of r (all
    // of it said before) reached a member of another room: the first
    // messages either hears are their own, once each.
    for chatter in [&mut carol, &mut dave] {
        let first = messages_until(chatter, "one").await;
        assert!(first.is_empty(), "{}: {first:?}", chatter.room);
        let second = messages_until(chatter, "two").await;
        assert!(second.is_empty(), "{}: {second:?}", chatter.room);
    }

    for chatter in [alice, bob, carol, dave] {
        chatter.close().await;
    }
    crowd_a.close().await;
    crowd_b.close().await;
}

#[test]
fn a_redis_that_cannot_be_reached_is_one_clear_error() {
    // Nothing listens there (a port free a moment ago): no redis-server
    // needed for this one.
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--redis", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the chat-server binary starts");
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if began.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("still running after 30 s with an unreachable Redis");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with(&format!("error: cannot reach Redis at {url}")),
        "{stderr}"
    );
    assert_eq!(stdout, "", "no address announced");
}
