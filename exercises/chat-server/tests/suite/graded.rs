//! The graded suite of the `chat-server` exercises.
//!
//! Written once, run against the learner's code
//! (`exercises/chat-server/tests/grade.rs`), the reference solution
//! (`solutions/chat-server/tests/grade.rs`) and every mutant of it. Each
//! `#[test]` is one graded step; its name is the step's `test` in
//! `exercises/chat-server/Cargo.toml`.
//!
//! Every check is about real sockets: the server under test listens on
//! `127.0.0.1:0` and is talked to by WebSocket clients — the suite's own
//! for exact conversations, and the load generator's (`fixtures/wsload`)
//! for crowds, slow readers and hostile clients, which counts every message
//! each client received. What the server says about itself (its hub's
//! counts) is checked against what the clients saw.
//!
//! Run it with `cargo xtask grade chat-server` (your code) or
//! `cargo test -p chat-server-solution` (the reference).

use crate::kata;
use harness::busy;
use harness::grade::{self, ensure, fail, note};
use kata::protocol;
use std::time::Duration;
use wsload::{Hostile, HostileOpts, SendPlan, Swarm, SwarmPlan};

#[path = "world.rs"]
mod world;
use world::{Client, Running, clients};

#[path = "protocol_cases.rs"]
mod protocol_cases;
use protocol_cases::Want;

// This test binary counts every thread it starts (harness::threads) and
// every fsync it makes, with the thread that made it (harness::durability).
harness::observe_threads!();
harness::observe_durability!();

// …and counts every heap byte it holds (harness::alloc): a queue that grows
// without bound shows up as bytes, not as a guess from resident memory.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

/// The watchdog's limit for one step. The reference needs a few seconds
/// for the longest in a debug build.
const LIMIT: Duration = Duration::from_secs(60);

fn ms(micros: u64) -> f64 {
    micros as f64 / 1e3
}

/// A configuration for tests: the default, with room to queue a burst.
fn config() -> kata::Config {
    kata::Config {
        queue_capacity: 256,
        ..kata::Config::default()
    }
}

fn swarm_plan(server: &Running, connections: usize) -> SwarmPlan {
    SwarmPlan::new(server.url(), connections).deadline(Duration::from_secs(20))
}

async fn connect(plan: &SwarmPlan, call: &str) -> Swarm {
    match Swarm::connect(plan).await {
        Ok(swarm) => swarm,
        Err(error) => fail("no-connections", format!("{call}: {error}")),
    }
}

fn check_delivery(delivery: &wsload::Delivery, call: &str) {
    ensure(delivery.duplicated == 0, "duplicate-delivery", || {
        format!(
            "{call}: {} messages arrived twice at the same client. Queue each message once per \
             member: a client in the room must not be in the list of recipients twice",
            delivery.duplicated
        )
    });
    ensure(delivery.out_of_order == 0, "out-of-order", || {
        format!(
            "{call}: {} messages arrived before an earlier one from the same sender. One queue per \
             client, written by one task in order, keeps each sender's messages in order",
            delivery.out_of_order
        )
    });
    ensure(delivery.lost == 0, "lost-messages", || {
        format!(
            "{call}: {} of {} deliveries never arrived (the least any client received: {}). Every \
             member of the room gets every message, the sender included",
            delivery.lost, delivery.expected, delivery.per_client_min_delivered
        )
    });
}

// ---------------------------------------------------------------- step 1

#[test]
fn protocol() {
    grade::step(LIMIT, || {
        for (what, frame, want) in protocol_cases::cases() {
            let shown: String = frame.chars().take(80).collect();
            let got = std::panic::catch_unwind(|| protocol::parse(&frame));
            let Ok(got) = got else {
                fail(
                    "parser-panics",
                    format!(
                        "parse({shown:?}) panicked ({what}): return a ProtocolError instead — any client can send this"
                    ),
                )
            };
            match (want, got) {
                (Want::Is(command), Ok(parsed)) => {
                    ensure(parsed == command, "wrong-command", || {
                        format!(
                            "parse({shown:?}) ({what}) returned {parsed:?}; expected {command:?}"
                        )
                    })
                }
                (Want::Is(command), Err(error)) => fail(
                    "wrong-command",
                    format!(
                        "parse({shown:?}) ({what}) refused it with {:?} ({error}); expected {command:?}",
                        error.code()
                    ),
                ),
                (Want::Error(code), Ok(parsed)) => fail(
                    "accepted-bad-frame",
                    format!(
                        "parse({shown:?}) ({what}) returned {parsed:?}; expected the error {code:?}"
                    ),
                ),
                (Want::Error(code), Err(error)) => {
                    ensure(error.code() == code, "wrong-error", || {
                        format!(
                            "parse({shown:?}) ({what}) returned the error {:?}; expected {code:?}",
                            error.code()
                        )
                    })
                }
            }
        }

        // Random frames: bytes, and valid frames cut or spliced at random
        // places (inside a multi-byte character too). Each must be an Ok or
        // an Err, never a panic.
        let mut rng = Rng(0x5eed_c4a7);
        let seeds = [
            r#"{"type":"say","room":"rust","text":"héllo wörld 字"}"#,
            r#"{"type":"name","name":"ållice"}"#,
            r#"{"type":"join","room":"rust"}"#,
        ];
        for round in 0..6000 {
            let frame = match round % 3 {
                0 => String::from_utf8_lossy(
                    &(0..rng.below(64))
                        .map(|_| rng.next() as u8)
                        .collect::<Vec<_>>(),
                )
                .into_owned(),
                1 => {
                    let seed: Vec<char> = seeds[rng.below(3)].chars().collect();
                    let cut = rng.below(seed.len() + 1);
                    seed[..cut].iter().collect()
                }
                _ => {
                    let mut seed: Vec<char> = seeds[rng.below(3)].chars().collect();
                    let at = rng.below(seed.len());
                    let odd =
                        ['"', '\\', '{', '}', '\u{0}', '字', '\u{7f}', ':', ','][rng.below(9)];
                    seed.insert(at, odd);
                    seed.into_iter().collect()
                }
            };
            if std::panic::catch_unwind(|| protocol::parse(&frame)).is_err() {
                fail(
                    "parser-panics",
                    format!(
                        "parse({frame:?}) panicked: a client can send any text frame; return a ProtocolError instead"
                    ),
                );
            }
        }
        note(format!(
            "{} cases and 6,000 random frames parsed without a panic",
            protocol_cases::cases().len()
        ));
    });
}

/// A small deterministic generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

// ---------------------------------------------------------------- step 2

#[test]
fn broadcast() {
    const CLIENTS: usize = 120;
    grade::step(LIMIT, || {
        let server = Running::start(config());
        let call = format!("{CLIENTS} clients in one room");

        // Connecting must not start a thread per client: count the threads
        // this process starts while they connect.
        let watch = harness::threads::Watch::start();
        let plan = swarm_plan(&server, CLIENTS);
        let runtime = world::client_runtime();
        let mut swarm = runtime.block_on(connect(&plan, &call));
        let threads = watch.stop();
        ensure(swarm.connected() == CLIENTS, "missing-connections", || {
            format!(
                "{call}: only {} of {CLIENTS} clients got a welcome and could join",
                swarm.connected()
            )
        });
        ensure(threads.started <= 4, "thread-per-connection", || {
            format!(
                "while {CLIENTS} clients connected, the server started {} threads (at most {} at once): \
                 a thread per connection. Spawn a task for each (tokio::spawn): a waiting task costs a \
                 few hundred bytes, a waiting thread a stack and a kernel thread",
                threads.started, threads.peak
            )
        });

        // Every message to everyone, exactly once, in order, while the
        // server's runtime stays free.
        let _ = harness::durability::take_sync_threads();
        let reading = busy::retry(3, |_| {
            let meter = harness::cpu::Meter::start();
            let (late_before, beats_before) = server.heartbeat();
            let began = std::time::Instant::now();
            let delivery = runtime.block_on(
                swarm.broadcast(
                    &SendPlan::new(5, 20)
                        .rate_per_s(40.0)
                        .settle(Duration::from_secs(3)),
                ),
            );
            let wall = began.elapsed();
            let usage = meter.stop();
            let (late, beats) = server.heartbeat();
            let share =
                (beats - beats_before) as f64 * world::BEAT.as_secs_f64() / wall.as_secs_f64();
            let _ = late_before;
            busy::timing(share >= 0.5, &usage, (delivery, late, share, wall, usage))
        });
        let unclear = reading.is_unclear();
        let (delivery, late, share, wall, usage) = reading.into_inner();
        check_delivery(&delivery, &format!("{call}, 5 senders × 20 messages"));

        let syncs = harness::durability::take_sync_threads();
        let on_runtime = syncs.iter().filter(|&&t| t == server.thread_id).count();
        ensure(on_runtime == 0, "blocking-io", || {
            format!(
                "while {} messages were broadcast, the server's runtime thread synced a file to disk \
                 {on_runtime} times: every connection on that thread waits while the disk works. Hand \
                 the writing to a thread of its own through a bounded channel (or spawn_blocking)",
                delivery.sent
            )
        });
        if unclear {
            grade::inconclusive(busy::inconclusive_message(
                &format!("{call} broadcast beside a heartbeat"),
                &usage,
                3,
            ));
        } else {
            ensure(share >= 0.5, "blocked-runtime", || {
                format!(
                    "while the messages were broadcast ({:.0} ms), a task on the server's runtime that asks \
                     to wake every {} ms woke {:.0}% of the times it should have and was late by up to \
                     {:.0} ms: something blocked the runtime's thread. Inside async code, never call \
                     blocking I/O, std::thread::sleep or a lock that waits",
                    wall.as_secs_f64() * 1e3,
                    world::BEAT.as_millis(),
                    share * 100.0,
                    late.as_secs_f64() * 1e3
                )
            });
        }
        runtime.block_on(swarm.close());
        note(format!(
            "{} deliveries to {CLIENTS} clients, none lost; latency p50 {:.1} ms, p99 {:.1} ms; {} threads started for {CLIENTS} connections",
            delivery.delivered,
            ms(delivery.latency.p50_us),
            ms(delivery.latency.p99_us),
            threads.started
        ));
        let _ = server.shutdown(Duration::from_secs(10));
    });
}

// ---------------------------------------------------------------- step 3

#[test]
fn rooms() {
    grade::step(LIMIT, || {
        let server = Running::start(config());
        let url = server.url();
        let hub = server.hub.clone();
        clients(async move {
            let quiet = Duration::from_millis(300);
            let mut alice = Client::connect(&url).await;
            let mut bob = Client::connect(&url).await;
            let mut carol = Client::connect(&url).await;
            alice.join("a").await;
            bob.join("a").await;
            carol.join("b").await;
            alice.drain(quiet).await;
            ensure(
                alice
                    .inbox
                    .iter()
                    .any(|e| e["type"] == "joined" && e["room"] == "a" && e["id"] == bob.id),
                "no-join-notice",
                || "when bob joined room a, alice (already in a) got no {\"type\":\"joined\"} event naming him",
            );
            alice.say("a", "for room a").await;
            carol.say("b", "for room b").await;
            for c in [&mut alice, &mut bob, &mut carol] {
                c.drain(quiet).await;
            }
            let about_a: Vec<String> = carol
                .inbox
                .iter()
                .filter(|e| e["room"] == "a" || e["text"] == "for room a")
                .map(|e| e["type"].as_str().unwrap_or("?").to_string())
                .collect();
            ensure(about_a.is_empty(), "wrong-room", || {
                format!(
                    "carol, who is only in room b, received events of room a ({about_a:?}): a room's messages \
                     and its join and leave notices go to that room's members only"
                )
            });
            ensure(
                !alice.inbox.iter().any(|e| e["text"] == "for room b")
                    && !bob.inbox.iter().any(|e| e["text"] == "for room b"),
                "wrong-room",
                || {
                    "alice and bob, in room a, received a message said in room b: send a room's messages to \
                 that room's members only"
                },
            );
            ensure(
                alice.messages_in("a") == ["for room a"] && bob.messages_in("a") == ["for room a"],
                "lost-messages",
                || {
                    format!(
                        "alice said \"for room a\" in room a; alice received {:?} and bob {:?} — each member, \
                     the sender too, gets it once",
                        alice.messages_in("a"),
                        bob.messages_in("a")
                    )
                },
            );
            ensure(
                carol.messages_in("b") == ["for room b"],
                "lost-messages",
                || "carol, alone in room b, did not get her own message back once",
            );

            // Saying something in a room one is not in is refused.
            alice.say("b", "not a member").await;
            let refused = alice.next_of("error", Duration::from_secs(2)).await;
            ensure(
                refused.as_ref().is_some_and(|e| e["code"] == "not_member"),
                "not-member-accepted",
                || {
                    format!(
                        "alice said something in room b, which she never joined; expected an error event with code \"not_member\", got {refused:?}"
                    )
                },
            );
            carol.drain(quiet).await;
            ensure(
                !carol.inbox.iter().any(|e| e["text"] == "not a member"),
                "not-member-accepted",
                || "alice, who is not in room b, got a message into it",
            );

            // Leaving: a notice, and no more messages.
            bob.send(serde_json::json!({"type": "leave", "room": "a"}))
                .await;
            alice.drain(quiet).await;
            ensure(
                alice
                    .inbox
                    .iter()
                    .any(|e| e["type"] == "left" && e["id"] == bob.id),
                "no-leave-notice",
                || "when bob left room a, alice got no {\"type\":\"left\"} event naming him",
            );
            bob.drain(quiet).await;
            bob.inbox.clear();
            alice.say("a", "after bob left").await;
            bob.drain(quiet).await;
            ensure(
                bob.messages_in("a").is_empty(),
                "wrong-room",
                || "bob left room a and still received its messages",
            );

            // The room list.
            alice.send(serde_json::json!({"type": "rooms"})).await;
            let rooms = alice
                .next_of("rooms", Duration::from_secs(2))
                .await
                .unwrap_or_default();
            let listed: Vec<(String, u64)> = rooms["rooms"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| {
                            (
                                r["name"].as_str().unwrap_or("").to_string(),
                                r["members"].as_u64().unwrap_or(0),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            ensure(
                listed == [("a".to_string(), 1), ("b".to_string(), 1)],
                "wrong-room-list",
                || {
                    format!(
                        "the room list was {listed:?}; expected [(\"a\", 1), (\"b\", 1)] (bob left a; carol is in b)"
                    )
                },
            );

            // Presence, as a chat's users see it: a new name sticks, the
            // members list counts the joiner, a second join announces
            // nobody, a leaver gets its own `left`, and a closed tab is
            // announced like a leave.
            let mut dave = Client::connect(&url).await;
            let mut erin = Client::connect(&url).await;
            dave.send(serde_json::json!({"type": "name", "name": "dave"}))
                .await;
            let renamed = dave.next_of("renamed", Duration::from_secs(2)).await;
            let members = dave.join("p").await.unwrap_or_default();
            ensure(
                members["count"] == 1 && members["names"].as_array().is_some_and(|n| n.len() == 1),
                "wrong-members",
                || {
                    format!(
                        "dave joined the empty room p and was told {members}; expected one name (his) and \
                         count 1 — the list is of the room with him in it"
                    )
                },
            );
            erin.join("p").await;
            erin.join("p").await; // again: already a member
            dave.say("p", "hello from dave").await;
            erin.drain(quiet).await;
            dave.drain(quiet).await;
            let from: Vec<String> = erin
                .inbox
                .iter()
                .filter(|e| e["type"] == "message" && e["room"] == "p")
                .map(|e| e["from"].as_str().unwrap_or("?").to_string())
                .collect();
            ensure(
                renamed.is_some() && from == ["dave"],
                "rename-not-kept",
                || {
                    format!(
                        "dave took the name \"dave\" ({}) and said something in p; erin saw it from {from:?}: \
                         keep the new name, messages carry it",
                        if renamed.is_some() {
                            "answered renamed"
                        } else {
                            "no renamed answer"
                        }
                    )
                },
            );
            let joined = dave.notices("joined", "p", erin.id);
            ensure(joined == 1, "duplicate-join-notice", || {
                format!(
                    "erin joined p twice; dave got {joined} joined notices for her: a second join by a \
                     member answers her with the list again and announces nothing"
                )
            });
            erin.inbox.clear();
            dave.inbox.clear();
            erin.send(serde_json::json!({"type": "leave", "room": "p"}))
                .await;
            erin.drain(quiet).await;
            ensure(
                erin.notices("left", "p", erin.id) == 1,
                "no-leave-notice",
                || "erin left room p and got no {\"type\":\"left\"} of her own: the leaver is told too, as the answer to her leave",
            );
            erin.join("p").await;
            dave.drain(quiet).await;
            dave.inbox.clear();
            let erin_id = erin.id;
            drop(erin); // the tab is closed: no leave, no close frame
            dave.drain(Duration::from_millis(800)).await;
            ensure(
                dave.notices("left", "p", erin_id) == 1,
                "no-leave-notice",
                || "erin's connection to room p ended without a word; dave, in p, got no {\"type\":\"left\"} for her: a disconnect leaves every room the client was in, with the same notice",
            );
            dave.close().await;

            // Churn: 60 clients, each in a room of its own, come and go.
            let mut churn = Vec::new();
            for i in 0..60 {
                let mut c = Client::connect(&url).await;
                c.join(&format!("room-{i}")).await;
                churn.push(c);
            }
            for (i, c) in churn.into_iter().enumerate() {
                if i % 2 == 0 {
                    c.close().await; // a polite close
                } else {
                    drop(c); // gone without a word
                }
            }
            for c in [alice, bob, carol] {
                c.close().await;
            }
        });
        // Nothing may be left of them.
        let mut stats = hub.stats();
        for _ in 0..40 {
            if stats.rooms == 0 && stats.clients == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            stats = hub.stats();
        }
        ensure(stats.clients == 0, "clients-leak", || {
            format!(
                "every client disconnected, yet the hub still holds {} clients: remove a client when its connection ends, however it ends",
                stats.clients
            )
        });
        ensure(stats.rooms == 0, "rooms-leak", || {
            format!(
                "every client disconnected, yet the hub still holds {} rooms: remove a room when its last \
                 member leaves or disconnects — a server that keeps them grows with every room ever used",
                stats.rooms
            )
        });
        note(
            "room a's messages reached room a only; 63 clients and 62 rooms came and went, none left behind",
        );
        let _ = server.shutdown(Duration::from_secs(10));
    });
}

// ---------------------------------------------------------------- step 4

#[test]
fn slow_consumers() {
    const CLIENTS: usize = 40;
    // Room for a healthy client to fall behind for a second without
    // being mistaken for a slow one, on a debug build beside its clients.
    const QUEUE: usize = 64;
    grade::step(LIMIT, || {
        let grace = Duration::from_secs(2);
        let server = Running::start(kata::Config {
            queue_capacity: QUEUE,
            shutdown_grace: grace,
            ..kata::Config::default()
        });
        let runtime = world::client_runtime();
        let call = format!("{CLIENTS} clients in one room");
        let mut swarm = runtime.block_on(connect(&swarm_plan(&server, CLIENTS), &call));
        let burst = SendPlan::new(4, 100)
            .rate_per_s(50.0)
            .text_bytes(1024)
            .settle(Duration::from_secs(3));

        // The same broadcast twice: without a slow reader, then with two
        // that join the room and stop reading. Same run, same machine. The
        // first reads again after the round (it must find a close frame
        // saying why it was dropped); the second never does: its task must
        // still end, within the grace — not wait for the client forever.
        let reading = busy::retry(3, |_| {
            let meter = harness::cpu::Meter::start();
            let baseline = runtime.block_on(swarm.broadcast(&burst));
            let tasks_before = server.tasks_alive();
            let slow_plan = swarm_plan(&server, 0).slow_readers(1);
            let stuck = |baseline: &wsload::Delivery| -> ! {
                fail(
                    "slow-stalls-others",
                    format!(
                        "after {} messages to {CLIENTS} clients, a new client could not even join within 10 s: the \
                         server stopped answering. Is something waiting for a client whose queue is full? Never \
                         wait for one client while the others wait for you: try_send, and disconnect the one that \
                         is full",
                        baseline.sent
                    ),
                )
            };
            let slow_plan = slow_plan.deadline(Duration::from_secs(10));
            let Ok(mut slow) = runtime.block_on(Swarm::connect(&slow_plan)) else {
                stuck(&baseline)
            };
            let Ok(never_reads) = runtime.block_on(Swarm::connect(&slow_plan)) else {
                stuck(&baseline)
            };
            let heap_before = harness::alloc::live_bytes();
            let with_slow = runtime.block_on(swarm.broadcast(&burst));
            let heap_after = harness::alloc::live_bytes();
            let slow_outcome = runtime.block_on(slow.wait_closed(Duration::from_secs(8)));
            // Both slow clients' tasks must be gone, though one of them
            // has still not read a byte.
            let waited = std::time::Instant::now();
            while server.tasks_alive() > tasks_before
                && waited.elapsed() < grace + Duration::from_secs(3)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            let lingering = server.tasks_alive().saturating_sub(tasks_before);
            drop(never_reads);
            let usage = meter.stop();
            let bound = (baseline.latency.p99_us * 3).max(baseline.latency.p99_us + 50_000);
            let ok = with_slow.lost == 0 && with_slow.latency.p99_us <= bound;
            busy::timing(
                ok,
                &usage,
                (
                    baseline,
                    with_slow,
                    heap_before,
                    heap_after,
                    slow_outcome,
                    lingering,
                    usage,
                ),
            )
        });
        let unclear = reading.is_unclear();
        let (baseline, with_slow, heap_before, heap_after, slow_closes, lingering, usage) =
            reading.into_inner();
        if std::env::var_os("CHAT_SUITE_DEBUG").is_some() {
            eprintln!(
                "baseline {baseline:#?}\nwith slow {with_slow:#?}\n{slow_closes:#?}\n{:?} {heap_before:?} {heap_after:?}",
                server.hub.stats()
            );
        }
        check_delivery(&baseline, &format!("{call}, no slow reader"));
        // The others first: a server stalled on a slow client may still hold
        // its hub's lock, and asking the hub anything would wait for it too.
        if unclear {
            grade::inconclusive(busy::inconclusive_message(
                "a slow client beside forty fast ones",
                &usage,
                3,
            ));
        } else {
            ensure(with_slow.lost == 0, "slow-stalls-others", || {
                format!(
                    "with two clients not reading, the other {CLIENTS} lost {} of {} deliveries: one slow client \
                     stalled the room. Never wait for one client while others wait for you: try_send, and \
                     never hold a lock across an .await",
                    with_slow.lost, with_slow.expected
                )
            });
            ensure(
                with_slow.latency.p99_us
                    <= (baseline.latency.p99_us * 3).max(baseline.latency.p99_us + 50_000),
                "slow-stalls-others",
                || {
                    format!(
                        "with two clients not reading, the others' delivery p99 went from {:.1} ms to {:.1} ms: one \
                     slow client delayed everyone",
                        ms(baseline.latency.p99_us),
                        ms(with_slow.latency.p99_us)
                    )
                },
            );
        }
        let stats = server.hub.stats();
        if let (Some(before), Some(after)) = (heap_before, heap_after) {
            let grown = after.saturating_sub(before);
            let sent_bytes = with_slow.sent * 1024;
            ensure(grown < sent_bytes, "unbounded-queue", || {
                format!(
                    "while a client that stopped reading was in the room, the server's heap grew by {} kB \
                     for {} kB of messages: it queued everything for the slow client. Bound each client's \
                     queue (a bounded channel, capacity Config::queue_capacity) and disconnect a client \
                     whose queue is full",
                    grown / 1000,
                    sent_bytes / 1000
                )
            });
        }
        ensure(
            stats.kicked >= 1 && slow_closes.still_open == 0,
            "slow-not-disconnected",
            || {
                format!(
                    "a client stopped reading while {} messages went to its room; its queue holds {QUEUE}, yet it \
                 was never disconnected (hub counted {} kicked). When try_send finds a client's queue full, \
                 disconnect that client (close 1008) rather than drop its messages or wait for it",
                    with_slow.sent, stats.kicked
                )
            },
        );
        let coded = slow_closes.with_code(1008) + slow_closes.with_code(1013);
        ensure(coded >= 1, "wrong-close-code", || {
            format!(
                "the slow client was disconnected without a close frame saying why (close codes seen: {:?}, \
                 EOF without close: {}): send 1008 (policy violation) before dropping it",
                slow_closes.close_codes, slow_closes.eof_without_close
            )
        });
        ensure(lingering == 0, "kicked-task-lingers", || {
            format!(
                "two clients stopped reading and were disconnected, yet {lingering} of their connection tasks                  were still running {:?} later (the shutdown grace is {grace:?}) while one client had still not                  read a byte: the task is stuck on a write to a client that will never read, or was never told                  to go. Cancel the client's token when you kick it, race every write against it, and give the                  close frame no more than the grace",
                grace + Duration::from_secs(3)
            )
        });
        runtime.block_on(swarm.close());
        note(format!(
            "p99 {:.1} ms without a slow reader, {:.1} ms with one (disconnected, close 1008)",
            ms(baseline.latency.p99_us),
            ms(with_slow.latency.p99_us)
        ));
        let _ = server.shutdown(Duration::from_secs(10));
    });
}

// ---------------------------------------------------------------- step 5

#[test]
fn limits() {
    const CLIENTS: usize = 30;
    const MAX: usize = 48;
    grade::step(LIMIT, || {
        let config = kata::Config {
            max_connections: MAX,
            max_message_bytes: 4096,
            ping_interval: Duration::from_millis(100),
            // Far apart, so that a server using one for the other shows.
            idle_timeout: Duration::from_secs(2),
            handshake_timeout: Duration::from_millis(500),
            queue_capacity: 256,
            ..kata::Config::default()
        };
        let server = Running::start(config);
        let url = server.url();
        let runtime = world::client_runtime();
        let call = format!("{CLIENTS} clients chatting while hostile clients connect");
        let mut swarm = runtime.block_on(connect(&swarm_plan(&server, CLIENTS), &call));

        // Every kind of hostile client at once, while the others chat.
        let modes = [
            (
                Hostile::Oversize,
                Some(1009),
                "a 64 kB message (the limit is 4 kB)",
                "no-size-limit",
            ),
            (
                Hostile::InvalidUtf8,
                Some(1007),
                "a text frame that is not UTF-8",
                "hostile-close-code",
            ),
            (
                Hostile::Unmasked,
                Some(1002),
                "an unmasked frame",
                "hostile-close-code",
            ),
            (
                Hostile::Malformed,
                Some(1002),
                "a frame with reserved bits set",
                "hostile-close-code",
            ),
            (
                Hostile::Silent,
                Some(1000),
                "a client that never answers pings",
                "no-idle-timeout",
            ),
            (
                Hostile::HalfOpen,
                None,
                "half an HTTP request, never finished",
                "no-handshake-timeout",
            ),
            (
                Hostile::PingFlood,
                None,
                "20,000 pings at once",
                "hostile-close-code",
            ),
            (
                Hostile::ResetMidFrame,
                None,
                "a reset in the middle of a frame",
                "hostile-close-code",
            ),
        ];
        let opts = HostileOpts {
            oversize_bytes: 64 * 1024,
            wait: Duration::from_secs(5),
            // In the chatting room: frames sent to it are no sign of life.
            silent_room: Some("room-0".into()),
            ..HostileOpts::default()
        };
        let (delivery, outcomes) = runtime.block_on(async {
            let hostile = futures::future::join_all(
                modes
                    .iter()
                    .map(|(mode, ..)| wsload::hostile(&url, *mode, &opts)),
            );
            // Three seconds of chatter, longer than the idle timeout: the
            // silent member keeps being sent frames while it says nothing.
            let plan = SendPlan::new(3, 30)
                .rate_per_s(10.0)
                .settle(Duration::from_secs(3));
            let (outcomes, delivery) = futures::join!(hostile, swarm.broadcast(&plan));
            (delivery, outcomes)
        });
        for ((mode, code, what, diagnosis), outcome) in modes.iter().zip(&outcomes) {
            match mode {
                Hostile::HalfOpen => ensure(
                    outcome
                        .closed_after
                        .is_some_and(|d| d < Duration::from_millis(1500)),
                    diagnosis,
                    || {
                        format!(
                            "a client that sent {what} was closed after {:?} (None: still open after {:?}); the handshake timeout is 500 ms here (the idle timeout 2 s): give the HTTP request a deadline of Config::handshake_timeout — each such client holds a socket until then",
                            outcome.closed_after, opts.wait
                        )
                    },
                ),
                Hostile::Silent => ensure(
                    outcome.close_code == Some(1000)
                        && outcome.closed_after.is_some_and(|d| {
                            d >= Duration::from_millis(1600) && d < Duration::from_secs(4)
                        }),
                    diagnosis,
                    || {
                        format!(
                            "{what}, a member of the chatting room: ping every Config::ping_interval and close (1000) a client that has sent nothing for Config::idle_timeout (2 s here) — what the server sends it is no sign of life; it was closed with {:?} after {:?}",
                            outcome.close_code, outcome.closed_after
                        )
                    },
                ),
                Hostile::PingFlood | Hostile::ResetMidFrame => {}
                // Closed at once, but with the wrong code, is not the same
                // mistake as no limit at all (the connection left open).
                Hostile::Oversize
                    if outcome.close_code.is_some()
                        && outcome
                            .closed_after
                            .is_some_and(|d| d < Duration::from_millis(400)) =>
                {
                    ensure(outcome.close_code == *code, "hostile-close-code", || {
                        format!(
                            "a client that sent {what} was closed with code {:?}; expected 1009 (message too big): \
                             match the read error to its close code (Ending::from_error)",
                            outcome.close_code
                        )
                    })
                }
                _ => ensure(outcome.close_code == *code, diagnosis, || {
                    format!(
                        "a client that sent {what} was answered with close code {:?}{}; expected {}",
                        outcome.close_code,
                        if outcome.still_open {
                            " and left open"
                        } else {
                            ""
                        },
                        code.unwrap_or(0)
                    )
                }),
            }
        }
        ensure(server.panics() == 0, "server-panicked", || {
            format!(
                "the server panicked {} times while hostile clients connected: a client's bad input must close that client's connection, not panic",
                server.panics()
            )
        });
        check_delivery(
            &delivery,
            &format!("{call} (the others must not be disturbed)"),
        );

        // A connection that says nothing must hold up nobody but itself:
        // with one open and silent, a new client still gets its welcome
        // well within the handshake timeout (a healthy server answers in a
        // millisecond or two).
        let reading = busy::retry(3, |_| {
            let meter = harness::cpu::Meter::start();
            let welcomed = runtime.block_on(async {
                let silent = tokio::net::TcpStream::connect(server.addr).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                let began = std::time::Instant::now();
                let welcomed =
                    tokio::time::timeout(Duration::from_millis(400), Client::connect(&url)).await;
                let ok = welcomed.is_ok();
                if std::env::var_os("CHAT_SUITE_DEBUG").is_some() {
                    eprintln!(
                        "silent {}: welcome after {:?}",
                        silent.is_ok(),
                        began.elapsed()
                    );
                }
                if let Ok(client) = welcomed {
                    client.close().await;
                }
                drop(silent);
                ok
            });
            busy::timing(welcomed, &meter.stop(), meter.stop())
        });
        match reading {
            busy::Reading::Fail(_) => fail(
                "accept-blocked",
                "while one connection was open and silent, a new client got no welcome within 400 ms: the \
                 accept loop waits for a client's request before accepting the next. Spawn each accepted \
                 socket's task at once and read its request there",
            ),
            busy::Reading::Unclear(usage) => grade::inconclusive(busy::inconclusive_message(
                "a new client beside a silent connection",
                &usage,
                3,
            )),
            busy::Reading::Pass(_) => {}
        }

        // A connection that never sends a byte is closed by the handshake
        // timeout too: the deadline runs from the accept, not from the
        // first byte (or silent sockets would hold their slots forever).
        let closed_after = runtime.block_on(async {
            use tokio::io::AsyncReadExt;
            let began = std::time::Instant::now();
            let Ok(mut socket) = tokio::net::TcpStream::connect(server.addr).await else {
                return None;
            };
            let mut byte = [0u8; 1];
            match tokio::time::timeout(Duration::from_millis(1500), socket.read(&mut byte)).await {
                Ok(Ok(0) | Err(_)) => Some(began.elapsed()),
                _ => None,
            }
        });
        if std::env::var_os("CHAT_SUITE_DEBUG").is_some() {
            eprintln!("a silent socket closed after {closed_after:?}");
        }
        ensure(closed_after.is_some(), "no-handshake-timeout", || {
            "a connection that sent no byte at all was still open after 1.5 s (the handshake timeout is \
             500 ms here): start the handshake's deadline when the connection is accepted, not when its \
             first byte arrives"
        });

        // The connection limit: with CLIENTS connected, MAX - CLIENTS more
        // get in, and the rest are refused with 503 straight away.
        std::thread::sleep(Duration::from_millis(600));
        let extra = runtime.block_on(connect(
            &swarm_plan(&server, MAX),
            "clients beyond the limit",
        ));
        let (connected, refused) = (extra.connected(), extra.refused());
        ensure(
            refused > 0 && connected + CLIENTS <= MAX,
            "no-connection-limit",
            || {
                format!(
                    "with {CLIENTS} connected and a limit of {MAX} (Config::max_connections), {MAX} more asked: \
                 {connected} got in and {refused} were refused. Take a permit per connection without waiting \
                 (Semaphore::try_acquire_owned) and answer 503 when there is none"
                )
            },
        );
        ensure(
            connected + refused == MAX && connected + CLIENTS == MAX,
            "no-connection-limit",
            || {
                format!(
                    "with {CLIENTS} connected and a limit of {MAX}, {MAX} more asked: {connected} got in, {refused} were refused with 503 and {} failed otherwise; expected {} in and the rest refused",
                    MAX - connected - refused,
                    MAX - CLIENTS
                )
            },
        );
        runtime.block_on(async {
            extra.close().await;
            swarm.close().await;
        });

        // A binary frame is valid WebSocket but not this protocol: an
        // error event, and the connection goes on (closing it is for
        // frames that break WebSocket itself).
        let (answer, after) = runtime.block_on(async {
            let mut client = Client::connect(&url).await;
            client.send_binary(&[0, 1, 2]).await;
            let answer = client.next_of("error", Duration::from_secs(2)).await;
            client.send(serde_json::json!({"type": "rooms"})).await;
            let after = client.next_of("rooms", Duration::from_secs(2)).await;
            client.close().await;
            (answer, after)
        });
        ensure(
            answer.as_ref().is_some_and(|e| e["code"] == "not_text") && after.is_some(),
            "wrong-error",
            || {
                format!(
                    "a client sent a binary frame: expected an error event with code \"not_text\" and the \
                     connection still serving (a rooms request answered); got {answer:?}, then {}",
                    if after.is_some() {
                        "an answer"
                    } else {
                        "no answer"
                    }
                )
            },
        );

        // A client that stops reading in a quiet room: its queue never
        // fills (200 frames, room for 256), but its socket does, and the
        // server's write to it blocks. It answers no ping from then on, so
        // the idle timeout must still end it — a write that waits without
        // a deadline keeps such a client (and its task) forever.
        let mut quiet = runtime.block_on(connect(
            &swarm_plan(&server, 2).slow_readers(1),
            "two clients and one that stops reading",
        ));
        let round = runtime.block_on(
            quiet.broadcast(
                &SendPlan::new(1, 200)
                    .text_bytes(1900)
                    .rate_per_s(400.0)
                    .settle(Duration::from_secs(2))
                    // Past the idle timeout before the slow reader reads again.
                    .linger(Duration::from_secs(3)),
            ),
        );
        let slow = round.slow_readers.clone().unwrap_or_default();
        if std::env::var_os("CHAT_SUITE_DEBUG").is_some() {
            eprintln!("quiet room: {round:?}");
        }
        ensure(
            slow.close_codes.get(&1000) == Some(&1),
            "no-idle-timeout",
            || {
                format!(
                    "a client that stopped reading in a quiet room (380 kB sent to it, its queue never full) \
                     was not closed for idleness (1000) although it answered no ping for 3 s (the idle \
                     timeout is 2 s): {slow:?}. A write to a client that does not read blocks; race it \
                     against the idle deadline, not only against the kick"
                )
            },
        );
        runtime.block_on(quiet.close());
        note(format!(
            "8 hostile clients, each closed on its own; {CLIENTS} others lost nothing; {refused} clients past the limit refused with 503"
        ));
        let _ = server.shutdown(Duration::from_secs(10));
    });
}

// ---------------------------------------------------------------- step 6

#[test]
fn shutdown() {
    const CLIENTS: usize = 100;
    const QUEUED: usize = 30;
    grade::step(LIMIT, || {
        let grace = Duration::from_secs(2);
        let server = Running::start(kata::Config {
            shutdown_grace: grace,
            queue_capacity: 256,
            ..kata::Config::default()
        });
        let runtime = world::client_runtime();
        let mut swarm = runtime.block_on(connect(
            &swarm_plan(&server, CLIENTS).rooms(2),
            "100 clients",
        ));
        let url = server.url();
        let mut listeners = runtime.block_on(async {
            let mut listeners = Vec::new();
            for _ in 0..5 {
                let mut c = Client::connect(&url).await;
                c.join("last-words").await;
                listeners.push(c);
            }
            listeners
        });
        // Frames queued at the moment of shutdown: said through the hub by
        // a member of the room, then the server is told to stop at once.
        let hub = server.hub.clone();
        let speaker = hub.connect();
        hub.join(speaker.id, "last-words");
        let began = std::time::Instant::now();
        {
            // Held still meanwhile, so that when the server goes on, every
            // listener's task finds both its queue full of frames and its
            // token cancelled, as the server's own shutdown leaves them
            // (Hub::close_all): only a farewell that sends what is queued
            // before the close frame delivers them.
            let _frozen = server.freeze();
            for i in 0..QUEUED {
                let _ = hub.say(speaker.id, "last-words", &format!("last {i}"));
            }
            server.stop.cancel();
            hub.close_all();
        }
        let (closes, heard) = runtime.block_on(async {
            let heard = futures::future::join_all(
                listeners
                    .iter_mut()
                    .map(|c| c.until_closed(Duration::from_secs(6))),
            );
            futures::join!(swarm.wait_closed(Duration::from_secs(6)), heard)
        });
        hub.disconnect(speaker.id);
        drop(speaker);
        let finished = server.shutdown(grace + Duration::from_secs(6));
        let took = began.elapsed();
        let Some(finished) = finished else {
            fail(
                "shutdown-hangs",
                format!(
                    "the server was told to shut down and run() had not returned {took:?} later (its grace is {grace:?}): every connection task must end — stop waiting on the client once the close frame is sent, within the grace"
                ),
            )
        };
        // Tasks first: a server that returns without waiting for its
        // connection tasks also drops their sockets unclosed when its
        // runtime goes, and that is the consequence, not the cause.
        ensure(
            finished.summary.tasks_left == 0 && finished.tasks_alive == 0,
            "tasks-left-behind",
            || {
                format!(
                    "run() returned with {} connection tasks reported left and {} tasks still alive on the runtime: wait \
                 for every task you spawned (a TaskTracker, or a JoinSet) before returning",
                    finished.summary.tasks_left, finished.tasks_alive
                )
            },
        );
        ensure(
            closes.eof_without_close == 0 && closes.still_open == 0,
            "no-close-frame",
            || {
                format!(
                    "on shutdown, {} of {CLIENTS} clients saw their connection dropped without a close frame and {} were \
                 left open: send each one a close frame (1001, going away) before its task ends",
                    closes.eof_without_close, closes.still_open
                )
            },
        );
        ensure(
            closes.with_code(1001) == CLIENTS,
            "wrong-close-code",
            || {
                format!(
                    "on shutdown the clients got close codes {:?}; expected 1001 (going away) for all {CLIENTS}",
                    closes.close_codes
                )
            },
        );
        for (texts, code, _) in &heard {
            ensure(
                texts.len() == QUEUED && *code == Some(1001),
                "queued-lost",
                || {
                    format!(
                        "{QUEUED} messages were queued for a client when the server was told to stop; it received {} of \
                     them before the close ({code:?}). Send what is queued before the close frame (within the grace)",
                        texts.len()
                    )
                },
            );
        }
        // And it no longer accepts.
        let refused = runtime.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(2),
                tokio_tungstenite::connect_async(url.as_str()),
            )
            .await
        });
        ensure(
            !matches!(refused, Ok(Ok(_))),
            "still-accepting",
            || "after run() returned, a new client could still connect: drop the listener when shutting down",
        );
        note(format!(
            "{CLIENTS} clients closed with 1001, {QUEUED} queued messages delivered first, run() returned after {:.2} s",
            took.as_secs_f64()
        ));
    });
}
