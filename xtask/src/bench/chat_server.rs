//! `cargo xtask bench chat-server [--connections N]`: what holding 10,000
//! idle WebSocket connections costs a chat server, and how fast a
//! broadcast then reaches all of them — ours (a tokio task per connection,
//! tuned; the same with tokio-tungstenite's default buffers; a thread per
//! connection) beside Python `websockets` and Node `ws`, in one run on this
//! machine. The table and two charts go to `book/src/measured/chat-server.md`,
//! `chat-server-rss.svg` and `chat-server-p99.svg`.
//!
//! Every server is measured the same way, by one code path, with the same
//! load generator (`chat-server swarm`, a process of its own):
//! 1. start the server (`chat_peers.rs` knows how); read its resident
//!    memory (`VmRSS` in `/proc/PID/status`) before any client;
//! 2. connect every client (upgrade, welcome, join one room, `members`):
//!    the connect ramp;
//! 3. a second later, its resident memory again: (after − before) ÷
//!    connections is what an idle connection costs it;
//! 4. `go`: one sender sends 20 messages, two a second, to the room of
//!    everyone — each one a broadcast to every connection; each client
//!    times every delivery (p50, p99, max) and counts what had not arrived
//!    10 s after the last send (lost);
//! 5. the clients close; the server is killed (dropped).
//!
//! Each server's run is capped ([`CAP`]); a server that did not finish in
//! time keeps the figures it got that far.

use super::chart::{Bar, BarChart};
use super::chat_broker;
use super::chat_peers::{self, Server};
use super::page::{Align, Page, Table, times};
use super::process::Running;
use super::{files, machine, release};
use crate::project::Project;
use anyhow::Result;
use cli::human;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Idle connections each server holds (one load-generator client each).
    #[arg(long, default_value_t = 10_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub connections: usize,
    /// The thread-per-connection server is measured at no more than this
    /// many connections (two threads each), as `chat-server load` runs it.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub threads_max: usize,
}

/// Senders in the room (its first members): one, so that each message is
/// one broadcast to all and its p99 is the time to reach everyone.
const SENDERS: usize = 1;
/// Messages each sender sends.
const MESSAGES: usize = 20;
/// Messages per second from each sender.
const RATE: f64 = 2.0;
/// How long after the last send a delivery may still arrive before it
/// counts as lost: long enough that a late one is late, not lost.
const SETTLE: Duration = Duration::from_secs(10);
/// The longest one server's run may take, start to kill.
const CAP: Duration = Duration::from_secs(120);

/// The load generator's lines, the fields this bench reads (the rest of
/// `wsload::Line` is skipped: xtask builds no test world).
#[derive(Debug, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Line {
    Connected { connect: Connect },
    Delivered { delivery: Delivery },
    Closed {},
}

#[derive(Debug, Clone, Deserialize)]
struct Connect {
    connected: usize,
    refused: usize,
    connect_failures: usize,
    /// Seconds from the first connect until every client had its answer.
    ramp: f64,
    #[serde(default)]
    errors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Delivery {
    expected: u64,
    delivered: u64,
    lost: u64,
    duplicated: u64,
    latency: Latency,
    /// Seconds from the start of the round until everything arrived.
    elapsed: f64,
    settle_expired: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct Latency {
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
}

/// What one server's run measured.
#[derive(Debug, Clone)]
struct Measured {
    connect: Connect,
    /// (resident after − before) ÷ connected, in bytes.
    rss_per_connection: Option<f64>,
    threads: Option<u64>,
    /// The broadcast, or why there is none.
    delivery: Result<Delivery, String>,
}

impl Measured {
    /// Every expected message arrived exactly once.
    fn delivered_all(&self) -> bool {
        self.delivery
            .as_ref()
            .is_ok_and(|d| d.lost == 0 && d.duplicated == 0 && !d.settle_expired)
    }
}

#[derive(Debug, Clone)]
enum Outcome {
    Measured(Measured),
    Skipped(String),
    Failed(String),
}

/// One row of the table.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    connections: usize,
    /// Its broadcast reached as many members as the others'.
    full_count: bool,
    outcome: Outcome,
}

pub fn run(args: &Args) -> Result<()> {
    let project = Project::load()?;
    let exe = release::build(&project, "chat-server")?;
    let servers = chat_peers::servers(&exe, args.connections, args.threads_max);
    let mut rows = Vec::new();
    let mut limits = Vec::new();
    let mut commands = Vec::new();
    let mut python = false;
    for server in servers {
        let Server {
            name,
            command_line,
            connections,
            limited,
            full_count,
            start,
        } = server;
        commands.push(format!("{name}: {command_line}"));
        let outcome = match start {
            Err(reason) => {
                eprintln!("skipping {name}: {reason}");
                Outcome::Skipped(reason)
            }
            Ok(command) => {
                eprintln!("{name}: {connections} connections…");
                python |= name.starts_with("Python");
                // No graded test measures CPU beside this run, nor it beside one.
                let _cpu = harness::exclusive::cpu();
                match measure(command, &exe, connections) {
                    Ok(m) => Outcome::Measured(m),
                    Err(why) => Outcome::Failed(why),
                }
            }
        };
        if let Some(limited) = limited {
            limits.push(format!("{name}: {limited}."));
        }
        let row = Row {
            name,
            connections,
            full_count,
            outcome,
        };
        eprintln!(
            "  {}",
            table(std::slice::from_ref(&row))
                .text()
                .lines()
                .nth(1)
                .unwrap_or("")
        );
        rows.push(row);
    }

    let mut page = Page::new(
        "Measured: the chat server",
        &format!(
            "Generated by `cargo xtask bench chat-server` (release build) on {}. Every figure \
             was measured in that one run; run the command to replace them with your machine's.",
            machine::describe(harness::cpu::available_cores(), python)
        ),
    );
    page.heading(&format!(
        "{} idle connections and a broadcast",
        args.connections
    ));
    page.anchored("servers", |page| {
        page.paragraph(&format!(
            "Each server on 127.0.0.1, one after another, against the same load generator \
             (`chat-server swarm`, a process of its own): every client connects, is welcomed \
             and joins one room; a second later the server's resident memory (VmRSS) is read \
             again, and its growth since before the first client, divided by the connections, \
             is the *RSS per connection*. Then one client sends {MESSAGES} messages, {RATE} a \
             second, to the room of everyone — each a broadcast to every connection: each \
             delivery is timed from send to receipt (*broadcast p50, p99, max*), and \
             *delivered/s* is every delivery divided by the round's time — the offered \
             {offered}/s when a server keeps up, less when it falls behind. *Lost*: not \
             arrived {settle} after the last send. *Connect ramp*: from the first connect until every \
             client had joined. Each server's run is capped at {cap}.",
            offered = human::sig3(SENDERS as f64 * RATE * args.connections as f64),
            settle = human::duration(SETTLE),
            cap = human::duration(CAP),
        ));
        page.table(&table(&rows));
        page.blank();
        for line in commands.iter().chain(&limits) {
            page.line(&format!("- {line}"));
        }
        page.blank();
        page.line("![RSS per idle connection](../measured/chat-server-rss.svg)");
        page.line("![broadcast p99](../measured/chat-server-p99.svg)");
    });
    page.anchored("takeaway", |page| match takeaway(&rows) {
        Some(text) => page.line(&text),
        None => page.line("No takeaway: fewer than two servers were measured."),
    });
    let broker = {
        // Like every server above: alone on the machine.
        let _cpu = harness::exclusive::cpu();
        chat_broker::measure(&exe, args.connections, MESSAGES, RATE)
    };
    page.heading("Two servers through Redis");
    broker.section(&mut page);
    files::publish(
        "chat-server.md",
        &page.finish(),
        &[
            ("chat-server-rss.svg", rss_chart(&rows)),
            ("chat-server-p99.svg", p99_chart(&rows)),
        ],
    )
}

/// The table of every row.
fn table(rows: &[Row]) -> Table {
    let mut table = Table::new(&[
        ("server", Align::Left),
        ("connections", Align::Right),
        ("RSS per connection", Align::Right),
        ("threads", Align::Right),
        ("connect ramp", Align::Right),
        ("broadcast p50", Align::Right),
        ("p99", Align::Right),
        ("max", Align::Right),
        ("delivered/s", Align::Right),
        ("lost", Align::Right),
    ]);
    for row in rows {
        let m = match &row.outcome {
            Outcome::Skipped(why) => {
                table.note(row.name.clone(), format!("not measured: {why}"));
                continue;
            }
            Outcome::Failed(why) => {
                table.note(row.name.clone(), format!("failed: {why}"));
                continue;
            }
            Outcome::Measured(m) => m,
        };
        let connected = if m.connect.connected == row.connections {
            m.connect.connected.to_string()
        } else {
            format!("{} of {}", m.connect.connected, row.connections)
        };
        let mut cells = vec![
            row.name.clone(),
            connected,
            m.rss_per_connection
                .map_or("—".into(), |b| human::bytes(b.max(0.0).round() as u64)),
            m.threads.map_or("—".into(), |t| t.to_string()),
            human::duration(Duration::from_secs_f64(m.connect.ramp.max(0.0))),
        ];
        match &m.delivery {
            Ok(d) => {
                let ms = |us: u64| human::millis(us as f64 / 1000.0);
                cells.extend([
                    ms(d.latency.p50_us),
                    ms(d.latency.p99_us),
                    ms(d.latency.max_us),
                    human::sig3(if d.elapsed > 0.0 {
                        d.delivered as f64 / d.elapsed
                    } else {
                        0.0
                    }),
                    match (d.lost, d.duplicated) {
                        (0, 0) => "0".into(),
                        (lost, 0) => format!("{lost} of {}", d.expected),
                        (lost, dup) => format!("{lost} of {} (+{dup} duplicated)", d.expected),
                    },
                ]);
            }
            Err(why) => cells.push(format!("no broadcast: {why}")),
        }
        table.row(cells);
    }
    table
}

/// Who held the least memory per connection and who had the lowest p99,
/// each against every other server, by what factor. p99 is ranked only
/// among servers whose broadcast reached every member of a full-size room
/// and delivered every message.
fn takeaway(rows: &[Row]) -> Option<String> {
    let measured = |row: &Row| match &row.outcome {
        Outcome::Measured(m) => Some(m.clone()),
        _ => None,
    };
    let memory: Vec<(&str, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.name.as_str(), measured(r)?.rss_per_connection?)))
        .filter(|(_, b)| *b > 0.0)
        .collect();
    let p99: Vec<(&str, f64)> = rows
        .iter()
        .filter(|r| r.full_count)
        .filter_map(|r| {
            let m = measured(r)?;
            m.delivered_all().then_some(())?;
            let d = m.delivery.ok()?;
            Some((r.name.as_str(), d.latency.p99_us.max(1) as f64 / 1000.0))
        })
        .collect();
    let against = |figures: &[(&str, f64)], unit: &dyn Fn(f64) -> String, word: &str| {
        let (best, at) = figures.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
        let mut others: Vec<(&str, f64)> =
            figures.iter().copied().filter(|f| f.0 != best).collect();
        if others.is_empty() {
            return None;
        }
        others.sort_by(|a, b| a.1.total_cmp(&b.1));
        let versus: Vec<String> = others
            .iter()
            .map(|(name, v)| {
                // Within 5%: one run cannot tell them apart, so say so
                // rather than print "1.0× lower".
                if v / at < 1.05 {
                    format!("about the same as {name} ({})", unit(*v))
                } else {
                    format!(
                        "{} {word} than {name} ({})",
                        times(Some(v / at), 1),
                        unit(*v)
                    )
                }
            })
            .collect();
        Some(format!("{best}, {}: {}", unit(at), versus.join(", ")))
    };
    let memory = against(&memory, &|b| human::bytes(b.round() as u64), "less");
    let p99 = against(&p99, &|ms| human::millis(ms), "lower");
    match (memory, p99) {
        (None, None) => None,
        (memory, p99) => {
            let mut text = Vec::new();
            if let Some(m) = memory {
                text.push(format!("Least memory per idle connection: {m}."));
            }
            if let Some(p) = p99 {
                text.push(format!(
                    "Lowest broadcast p99 (among servers that delivered every message to \
                     the full room): {p}."
                ));
            }
            Some(text.join(" "))
        }
    }
}

fn rss_chart(rows: &[Row]) -> String {
    BarChart {
        title: "resident memory per idle connection (kB, less is better)",
        value_label: "kB per connection: (VmRSS with all connected − before) ÷ connections",
        bars: bars(rows, |m, _| m.rss_per_connection.map(|b| b / 1000.0)),
    }
    .svg()
}

fn p99_chart(rows: &[Row]) -> String {
    BarChart {
        title: "broadcast p99 to every member (ms, less is better)",
        value_label: "milliseconds from send to receipt, 99th percentile",
        bars: bars(rows, |m, row| {
            let d = m.delivery.as_ref().ok()?;
            row.full_count.then_some(d.latency.p99_us as f64 / 1000.0)
        }),
    }
    .svg()
}

fn bars<'a>(rows: &'a [Row], value: impl Fn(&Measured, &Row) -> Option<f64>) -> Vec<Bar<'a>> {
    rows.iter()
        .map(|row| {
            let (color, missing) = if row.name.starts_with("ours") {
                ("#e6550d", "")
            } else {
                ("#3182bd", "")
            };
            let (value, missing) = match &row.outcome {
                Outcome::Measured(m) => match value(m, row) {
                    Some(v) => (Some(v), missing),
                    None if !row.full_count => (None, "fewer connections: not comparable"),
                    None => (None, "no figure"),
                },
                Outcome::Skipped(_) => (None, "not measured"),
                Outcome::Failed(_) => (None, "failed"),
            };
            let label = if row.full_count {
                row.name.clone()
            } else {
                format!("{} (at {})", row.name, row.connections)
            };
            Bar {
                label,
                value,
                color,
                missing,
            }
        })
        .collect()
}

/// Start `server`, connect `connections` clients, measure, broadcast.
/// A server that never said where it listens, or whose clients never
/// connected, is a failure (why); a broadcast that did not finish keeps the
/// memory figures.
fn measure(
    mut server: Command,
    exe: &std::path::Path,
    connections: usize,
) -> Result<Measured, String> {
    let began = Instant::now();
    let until = began + CAP;
    let mut server = Running::spawn(
        server
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .map_err(|e| format!("{e:#}"))?;
    let pid = server.child_mut().id();
    let server_lines = lines(server.child_mut().stdout.take());
    let server_said = last_words(server.child_mut().stderr.take());
    let said = |what: String, by: &Arc<Mutex<String>>| {
        let words = by.lock().map(|w| w.clone()).unwrap_or_default();
        if words.is_empty() {
            what
        } else {
            format!("{what} ({words})")
        }
    };
    let addr = next_line(&server_lines, began + Duration::from_secs(30))
        .and_then(|line| chat_peers::listening(&line).ok_or_else(|| format!("it printed {line:?}")))
        .map_err(|why| {
            said(
                format!("the server did not say where it listens: {why}"),
                &server_said,
            )
        })?;
    // Let its runtime start and its first allocations settle.
    std::thread::sleep(Duration::from_millis(300));
    let before = resident_bytes(pid);

    let mut swarm = Command::new(exe);
    swarm
        .arg("swarm")
        .arg("--url")
        .arg(format!("ws://{addr}/ws"));
    for (flag, value) in [
        ("--connections", connections.to_string()),
        ("--rooms", "1".into()),
        ("--senders", SENDERS.min(connections).to_string()),
        ("--messages", MESSAGES.to_string()),
        ("--rate", RATE.to_string()),
        ("--deadline", CAP.as_secs().to_string()),
        ("--settle", SETTLE.as_secs().to_string()),
    ] {
        swarm.args([flag, &value]);
    }
    swarm.arg("--wait");
    let mut swarm = Running::spawn(
        swarm
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .map_err(|e| format!("{e:#}"))?;
    let mut go = swarm.child_mut().stdin.take().ok_or("no stdin")?;
    let swarm_lines = lines(swarm.child_mut().stdout.take());
    let swarm_said = last_words(swarm.child_mut().stderr.take());

    let connect = match next_json(&swarm_lines, until) {
        Ok(Line::Connected { connect }) => connect,
        Ok(other) => {
            return Err(format!(
                "the load generator skipped its connect report: {other:?}"
            ));
        }
        Err(why) => return Err(said(format!("connecting: {why}"), &swarm_said)),
    };
    if connect.connected == 0 {
        return Err(format!(
            "no client connected ({} refused, {} failed: {})",
            connect.refused,
            connect.connect_failures,
            connect.errors.first().map_or("", String::as_str)
        ));
    }
    std::thread::sleep(Duration::from_secs(1));
    let after = resident_bytes(pid);
    let threads = proc_status_field(pid, "Threads");
    let rss_per_connection = match (before, after) {
        (Some(b), Some(a)) => Some((a as f64 - b as f64) / connect.connected as f64),
        _ => None,
    };

    let delivery = writeln!(go, "go")
        .and_then(|()| go.flush())
        .map_err(|e| format!("cannot start the broadcast: {e}"))
        .and_then(|()| match next_json(&swarm_lines, until) {
            Ok(Line::Delivered { delivery }) => Ok(delivery),
            Ok(other) => Err(format!("no delivery report: {other:?}")),
            Err(why) => Err(said(why, &swarm_said)),
        });
    if delivery.is_ok() {
        // The clients close and the load generator exits; then the server
        // is killed as it drops.
        let _ = next_json(&swarm_lines, Instant::now() + Duration::from_secs(15));
        let done = Instant::now() + Duration::from_secs(5);
        while Instant::now() < done && matches!(swarm.child_mut().try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok(Measured {
        connect,
        rss_per_connection,
        threads,
        delivery,
    })
}

/// A process's stdout, line by line, on a channel: read by a thread of its
/// own, so that every wait has a deadline.
fn lines(stdout: Option<impl Read + Send + 'static>) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    if let Some(stdout) = stdout {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
    }
    rx
}

/// The last non-blank line a process wrote on stderr so far (read to the
/// end by a thread, so that it never blocks on a full pipe): why it failed.
fn last_words(stderr: Option<impl Read + Send + 'static>) -> Arc<Mutex<String>> {
    let last = Arc::new(Mutex::new(String::new()));
    if let Some(stderr) = stderr {
        let keep = Arc::clone(&last);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !line.trim().is_empty()
                    && let Ok(mut last) = keep.lock()
                {
                    *last = line.chars().take(200).collect();
                }
            }
        });
    }
    last
}

fn next_line(lines: &Receiver<String>, until: Instant) -> Result<String, String> {
    let left = until.saturating_duration_since(Instant::now());
    match lines.recv_timeout(left) {
        Ok(line) => Ok(line),
        Err(RecvTimeoutError::Timeout) => Err(format!(
            "nothing within the cap of {}",
            human::duration(CAP)
        )),
        Err(RecvTimeoutError::Disconnected) => Err("the process ended".into()),
    }
}

/// The next line that is a load-generator [`Line`], before `until`.
fn next_json(lines: &Receiver<String>, until: Instant) -> Result<Line, String> {
    loop {
        let line = next_line(lines, until)?;
        if let Ok(line) = serde_json::from_str::<Line>(&line) {
            return Ok(line);
        }
    }
}

fn resident_bytes(pid: u32) -> Option<u64> {
    proc_status_field(pid, "VmRSS")
}

fn proc_status_field(pid: u32, field: &str) -> Option<u64> {
    status_field(
        &std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        field,
    )
}

/// A field of a `/proc/PID/status` text: `VmRSS:   25540 kB` is
/// 25,540 × 1024 bytes; `Threads:   7` is 7.
fn status_field(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| {
        l.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let mut words = line[field.len() + 1..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value * 1024),
        None => Some(value),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECTED: &str = r#"{"phase":"connected","connect":{"attempted":500,"connected":500,"slow_readers":0,"refused":0,"connect_failures":0,"ramp":0.181973899,"join_latency":{"count":500,"min_us":40943,"mean_us":45158,"p50_us":44800,"p95_us":48384,"p99_us":62208,"max_us":72364},"errors":[]},"rss_bytes":9732096}"#;
    const DELIVERED: &str = r#"{"phase":"delivered","delivery":{"senders":5,"members":500,"sent":25,"expected":12500,"delivered":12500,"lost":0,"duplicated":0,"out_of_order":0,"unexpected":0,"server_errors":0,"per_client_min_delivered":25,"receivers_closed":0,"latency":{"count":12500,"min_us":416,"mean_us":12601,"p50_us":13248,"p95_us":22144,"p99_us":23424,"max_us":23961},"send_time":0.801125867,"elapsed":0.820776015,"settle_expired":false,"slow_readers":null},"hostile":[]}"#;
    const CLOSED: &str = r#"{"phase":"closed","closes":{"clients":500,"close_codes":{},"eof_without_close":0,"closed_by_client":500,"still_open":0,"elapsed":0.03}}"#;

    fn parse(line: &str) -> Line {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn the_load_generators_lines_are_read() {
        let Line::Connected { connect } = parse(CONNECTED) else {
            panic!("not a connect report")
        };
        assert_eq!((connect.connected, connect.refused), (500, 0));
        assert!((connect.ramp - 0.182).abs() < 1e-3);
        let Line::Delivered { delivery } = parse(DELIVERED) else {
            panic!("not a delivery report")
        };
        assert_eq!(
            (delivery.expected, delivery.delivered, delivery.lost),
            (12500, 12500, 0)
        );
        assert_eq!(delivery.latency.p99_us, 23424);
        assert!(matches!(parse(CLOSED), Line::Closed {}));
        assert!(serde_json::from_str::<Line>(r#"{"phase":"later"}"#).is_err());
    }

    #[test]
    fn proc_status_fields_are_bytes_or_counts() {
        let status = "Name:\tpython3\nVmRSSx:\t1 kB\nVmRSS:\t   25540 kB\nThreads:\t7\n";
        assert_eq!(status_field(status, "VmRSS"), Some(25540 * 1024));
        assert_eq!(status_field(status, "Threads"), Some(7));
        assert_eq!(status_field(status, "VmHWM"), None);
        // This process has a resident size.
        assert!(resident_bytes(std::process::id()).is_some_and(|b| b > 100_000));
    }

    fn row(name: &str, full_count: bool, rss: f64, p99_ms: u64, lost: u64) -> Row {
        let Line::Connected { connect } = parse(CONNECTED) else {
            unreachable!()
        };
        let Line::Delivered { mut delivery } = parse(DELIVERED) else {
            unreachable!()
        };
        delivery.latency.p99_us = p99_ms * 1000;
        delivery.lost = lost;
        Row {
            name: name.into(),
            connections: 500,
            full_count,
            outcome: Outcome::Measured(Measured {
                connect,
                rss_per_connection: Some(rss),
                threads: Some(3),
                delivery: Ok(delivery),
            }),
        }
    }

    #[test]
    fn the_takeaway_names_the_least_memory_and_the_lowest_p99_with_factors() {
        let rows = vec![
            row("tuned", true, 4000.0, 20, 0),
            row("python", true, 40_000.0, 80, 0),
            // Fewer members: its p99 is not ranked; a lossy server neither.
            row("threads", false, 20_000.0, 1, 0),
            row("lossy", true, 10_000.0, 2, 5),
            Row {
                name: "node".into(),
                connections: 500,
                full_count: true,
                outcome: Outcome::Skipped("node is not installed".into()),
            },
        ];
        let text = takeaway(&rows).unwrap();
        assert_eq!(
            text,
            "Least memory per idle connection: tuned, 4.00 kB: 2.5× less than lossy (10.0 kB), \
             5.0× less than threads (20.0 kB), 10.0× less than python (40.0 kB). Lowest \
             broadcast p99 (among servers that delivered every message to the full room): \
             tuned, 20.0 ms: 4.0× lower than python (80.0 ms)."
        );
        // One server alone has no one to be compared with.
        assert_eq!(takeaway(&rows[..1]), None);
    }

    #[test]
    fn the_table_has_a_row_per_server_and_says_why_one_is_missing() {
        let rows = vec![
            row("tuned", true, 4100.0, 20, 0),
            Row {
                name: "node".into(),
                connections: 500,
                full_count: true,
                outcome: Outcome::Skipped("node is not installed".into()),
            },
        ];
        let markdown = table(&rows).markdown();
        assert!(
            markdown.contains(
                "| tuned | 500 | 4.10 kB | 3 | 182 ms | 13.2 ms | 20.0 ms | 24.0 ms | 15229 | 0 |"
            ),
            "{markdown}"
        );
        assert!(markdown.contains("| node | not measured: node is not installed |"));
    }
}
