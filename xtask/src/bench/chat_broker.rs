//! The chat bench's second part: one server against two relaying through
//! Redis, at the same connections, in one `chat-server load` run (its
//! `tokio` and `tokio-redis` strategies, `--json`). What the broker costs
//! in latency is the difference; whether the two servers' receivers differ
//! says whether the relay favours the sender's own server (it should not:
//! every message goes through the broker, the sender's server included).
//!
//! Skipped, with the install command, when `redis-server` is missing.

use std::path::Path;
use std::process::Command;

use cli::human;
use serde::Deserialize;

use super::page::{Align, Page, Table};

/// The fields of `chat-server load --json` read here (it adds fields,
/// never renames them).
#[derive(Debug, Clone, Deserialize)]
struct Report {
    rows: Vec<Row>,
}

#[derive(Debug, Clone, Deserialize)]
struct Row {
    strategy: String,
    connected: usize,
    rss_per_connection_bytes: Option<f64>,
    lost: u64,
    duplicated: u64,
    out_of_order: u64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    #[serde(default)]
    by_server: Vec<ServerLatency>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct ServerLatency {
    p50_ms: f64,
    p99_ms: f64,
}

/// What the run gave: its rows, or why there are none.
pub struct Broker(Result<Vec<Row>, String>);

/// `redis-server` on PATH, if installed.
fn redis_installed() -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("redis-server").is_file())
    })
}

/// Runs `chat-server load` with both strategies at `connections`, each
/// broadcast as in the servers' table.
pub fn measure(exe: &Path, connections: usize, messages: usize, rate: f64) -> Broker {
    if !redis_installed() {
        return Broker(Err(
            "not measured: redis-server is not installed (apt-get install redis-server)".into(),
        ));
    }
    eprintln!("one server and two through Redis: {connections} connections…");
    let output = Command::new(exe)
        .args([
            "load",
            "--json",
            "--quiet",
            "--strategies",
            "tokio,tokio-redis",
        ])
        .args(["--connections", &connections.to_string()])
        .args(["--senders", "1", "--messages", &messages.to_string()])
        .args(["--rate", &rate.to_string()])
        .output();
    let parsed = match output {
        Err(e) => Err(format!("cannot run {}: {e}", exe.display())),
        Ok(out) if out.status.code().is_none_or(|c| c > 1) => Err(format!(
            "chat-server load failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(out) => serde_json::from_slice::<Report>(&out.stdout)
            .map(|r| r.rows)
            .map_err(|e| format!("chat-server load printed no report: {e}")),
    };
    Broker(parsed)
}

impl Broker {
    /// The section: its table and what it shows.
    pub fn section(&self, page: &mut Page) {
        page.anchored("broker", |page| match &self.0 {
            Err(why) => page.line(why),
            Ok(rows) => {
                page.paragraph(
                    "`chat-server load --strategies tokio,tokio-redis`, the same load generator \
                     and broadcast: one server, then two servers of the same chat (`serve \
                     --redis`) relaying every room through a `redis-server` of their own, the \
                     clients alternating between them and the sender on the first. Every \
                     message goes server → Redis → both servers, the sender's own included.",
                );
                page.table(&table(rows));
                page.blank();
                if let Some(line) = takeaway(rows) {
                    page.line(&line);
                }
            }
        });
    }
}

fn table(rows: &[Row]) -> Table {
    let mut table = Table::new(&[
        ("servers", Align::Left),
        ("connections", Align::Right),
        ("RSS/conn", Align::Right),
        ("p50", Align::Right),
        ("p99", Align::Right),
        ("p50 / p99, sender's server", Align::Right),
        ("p50 / p99, other server", Align::Right),
        ("lost, duplicated, out of order", Align::Right),
    ]);
    for row in rows {
        let pair = |l: Option<&ServerLatency>| {
            l.map_or("–".into(), |l| {
                format!("{} / {}", human::millis(l.p50_ms), human::millis(l.p99_ms))
            })
        };
        table.row([
            match row.strategy.as_str() {
                "tokio" => "one".to_string(),
                "tokio-redis" => "two, through Redis".to_string(),
                other => other.to_string(),
            },
            row.connected.to_string(),
            row.rss_per_connection_bytes
                .map_or("n/a".into(), |b| human::bytes(b.max(0.0).round() as u64)),
            human::millis(row.latency_p50_ms),
            human::millis(row.latency_p99_ms),
            pair(row.by_server.first()),
            pair(row.by_server.get(1)),
            format!("{}, {}, {}", row.lost, row.duplicated, row.out_of_order),
        ]);
    }
    table
}

/// The broker's price at the median, and whether the servers were even.
fn takeaway(rows: &[Row]) -> Option<String> {
    let one = rows.iter().find(|r| r.strategy == "tokio")?;
    let two = rows.iter().find(|r| r.strategy == "tokio-redis")?;
    let hop = two.latency_p50_ms - one.latency_p50_ms;
    let mut line = format!(
        "The hop through Redis moved the median delivery by {} ({} → {}); the p99 went from {} \
         to {}",
        human::millis(hop),
        human::millis(one.latency_p50_ms),
        human::millis(two.latency_p50_ms),
        human::millis(one.latency_p99_ms),
        human::millis(two.latency_p99_ms),
    );
    if two.latency_p99_ms < one.latency_p99_ms {
        line.push_str(
            " — lower, because each server fans out to half the clients, on cores it shares \
             with the other",
        );
    }
    line.push('.');
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(strategy: &str, p50_ms: f64, p99_ms: f64, by_server: Vec<ServerLatency>) -> Row {
        Row {
            strategy: strategy.into(),
            connected: 100,
            rss_per_connection_bytes: Some(5000.0),
            lost: 0,
            duplicated: 0,
            out_of_order: 0,
            latency_p50_ms: p50_ms,
            latency_p99_ms: p99_ms,
            by_server,
        }
    }

    #[test]
    fn the_load_report_is_read_and_the_hop_is_the_difference() {
        let json = r#"{"connections":100,"rows":[
            {"strategy":"tokio","connected":100,"rss_per_connection_bytes":4800.0,"lost":0,
             "duplicated":0,"out_of_order":0,"latency_p50_ms":1.0,"latency_p99_ms":3.0,"extra":1},
            {"strategy":"tokio-redis","connected":100,"rss_per_connection_bytes":null,"lost":0,
             "duplicated":0,"out_of_order":0,"latency_p50_ms":1.5,"latency_p99_ms":2.0,
             "by_server":[{"p50_ms":1.4,"p99_ms":2.0},{"p50_ms":1.6,"p99_ms":2.1}]}]}"#;
        let rows = serde_json::from_str::<Report>(json).unwrap().rows;
        let line = takeaway(&rows).unwrap();
        assert!(line.contains("by 500 µs (1.00 ms → 1.50 ms)"), "{line}");
        assert!(line.contains("lower, because"), "{line}");
        let text = table(&rows).markdown();
        assert!(text.contains("| two, through Redis |"), "{text}");
        assert!(text.contains("1.40 ms / 2.00 ms"), "{text}");
    }

    #[test]
    fn no_takeaway_without_both_rows() {
        assert!(takeaway(&[row("tokio", 1.0, 2.0, Vec::new())]).is_none());
    }
}
