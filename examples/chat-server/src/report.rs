//! What `chat-server load` found: one [`Row`] per strategy, the table, the
//! line under it that says what the figures show, and the JSON.
//!
//! # `load --json`
//!
//! One object, [`Report`]: the run's settings and `rows`, one [`Row`] per
//! strategy in the order asked. The bench (`cargo xtask bench chat-server`)
//! parses it: fields are added, never renamed or removed. Sizes are bytes,
//! durations seconds unless the name says `_ms`; a figure that could not
//! be measured (no `/proc`, no heap counter) is `null`.

use std::collections::BTreeMap;

use cli::human;
use serde::{Deserialize, Serialize};

/// A whole comparison, as `load --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `--connections`: clients asked for (the `threads` row may hold
    /// fewer, see [`Row::limited`]).
    pub connections: usize,
    pub rooms: usize,
    /// Senders per room.
    pub senders: usize,
    /// Messages per sender.
    pub messages: usize,
    /// Messages per second per sender (0: back to back).
    pub rate: f64,
    /// "release" or "debug": whose figures these are.
    pub build: String,
    /// Whose server code ran: "reference" or "mine".
    pub code: String,
    pub rows: Vec<Row>,
}

/// One strategy: the server held N idle connections, broadcast to them,
/// and shut down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// "tokio", "tokio-default-buffers" or "threads".
    pub strategy: String,
    /// Connections this strategy was run at (`--connections`, or
    /// `--threads-max` for threads).
    pub requested: usize,
    /// Why `requested` is less than `--connections`, when it is.
    pub limited: Option<String>,
    /// Clients that connected and joined (the connections held).
    pub connected: usize,
    /// Upgrades the server refused (503, server full).
    pub refused: usize,
    /// Clients that failed to connect or join otherwise.
    pub connect_failures: usize,
    /// From the first client's connect to the last one's join.
    pub connect_seconds: f64,
    /// The server's resident memory before any client, and with every
    /// client connected and idle (`/proc/<pid>/status` VmRSS).
    pub rss_baseline_bytes: Option<u64>,
    pub rss_bytes: Option<u64>,
    /// (rss − baseline) ÷ connected.
    pub rss_per_connection_bytes: Option<f64>,
    /// The server's live heap (its `/stats` `heap_bytes`), the same two
    /// moments.
    pub heap_baseline_bytes: Option<u64>,
    pub heap_bytes: Option<u64>,
    /// (heap − baseline) ÷ connected.
    pub heap_per_connection_bytes: Option<f64>,
    /// The server's threads while it held the connections.
    pub threads: Option<u64>,
    /// `say` frames sent by the senders.
    pub sent: u64,
    /// Deliveries owed: every member gets every message of its room once,
    /// the sender included.
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    /// Broadcast latency, send to receipt, over every delivery.
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    /// How long each broadcast took to reach its last member: the fastest,
    /// median and slowest message of the round (`null` when none arrived).
    #[serde(default)]
    pub broadcast_fastest_ms: Option<f64>,
    #[serde(default)]
    pub broadcast_median_ms: Option<f64>,
    #[serde(default)]
    pub broadcast_slowest_ms: Option<f64>,
    /// With several servers (`tokio-redis`): the latency of the receivers
    /// on each, the sender's server first; empty with one.
    #[serde(default)]
    pub by_server: Vec<ServerLatency>,
    /// From the first send until every message had arrived (or the settle
    /// time ran out).
    pub broadcast_seconds: f64,
    /// delivered ÷ broadcast_seconds.
    pub delivered_per_s: f64,
    /// Clients that got a close frame with code 1001 on shutdown, and every
    /// close code seen.
    pub closes_1001: usize,
    pub close_codes: BTreeMap<u16, usize>,
    /// Clients the server closed without a close frame, or never closed.
    pub eof_without_close: usize,
    pub still_open: usize,
    /// Connection tasks (threads) the server had left at its deadline.
    pub tasks_left: Option<usize>,
    /// From SIGTERM until the server process had exited.
    pub shutdown_seconds: f64,
    /// This strategy's whole run, both processes started and stopped.
    pub seconds: f64,
}

/// The broadcast latency of one server's receivers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServerLatency {
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Row {
    /// What went wrong in this row, in words, if anything.
    pub fn failures(&self) -> Option<String> {
        let mut found = Vec::new();
        if self.connected < self.requested {
            found.push(format!(
                "{} of {} connected ({} refused, {} failed)",
                self.connected, self.requested, self.refused, self.connect_failures
            ));
        }
        for (n, what) in [
            (self.lost, "lost"),
            (self.duplicated, "duplicated"),
            (self.out_of_order, "out of order"),
        ] {
            if n > 0 {
                found.push(format!("{n} {what}"));
            }
        }
        if self.closes_1001 < self.connected {
            found.push(format!(
                "{} of {} clients got a 1001 close on shutdown",
                self.closes_1001, self.connected
            ));
        }
        if let Some(left) = self.tasks_left.filter(|&n| n > 0) {
            found.push(format!("{left} left running after the shutdown deadline"));
        }
        (!found.is_empty()).then(|| found.join(", "))
    }
}

/// The table, one row per strategy.
pub fn table(report: &Report) -> String {
    let mut table = cli::table::Table::new([
        "strategy",
        "connections",
        "RSS/conn",
        "heap/conn",
        "threads",
        "p50",
        "p99",
        "max",
        "delivered/s",
        "closes 1001",
        "stop",
    ])
    .numeric(1..=10);
    for row in &report.rows {
        let per = |b: Option<f64>| {
            b.map_or("n/a".to_string(), |b| {
                human::bytes(b.max(0.0).round() as u64)
            })
        };
        table.row([
            row.strategy.clone(),
            row.connected.to_string(),
            per(row.rss_per_connection_bytes),
            per(row.heap_per_connection_bytes),
            row.threads.map_or("n/a".to_string(), |t| t.to_string()),
            human::millis(row.latency_p50_ms),
            human::millis(row.latency_p99_ms),
            human::millis(row.latency_max_ms),
            human::rate(row.delivered_per_s, "msgs"),
            row.closes_1001.to_string(),
            human::duration(std::time::Duration::from_secs_f64(
                row.shutdown_seconds.max(0.0),
            )),
        ]);
    }
    table.to_string()
}

/// What this run's figures say, in one or two lines: what a task per
/// connection costs beside a thread per connection, and what tungstenite's
/// default buffers cost beside small ones.
pub fn takeaway(report: &Report) -> Vec<String> {
    let row = |name: &str| report.rows.iter().find(|r| r.strategy == name);
    let mut lines = Vec::new();
    let each = |r: &Row| r.rss_per_connection_bytes.filter(|b| *b > 0.0);
    if let Some(tokio) = row("tokio") {
        let tokio_each = each(tokio);
        let mut line = format!(
            "A task per connection held {} on {}",
            human::count(tokio.connected, "connection", "connections"),
            tokio
                .threads
                .map_or("its runtime's threads".into(), |t| human::count(
                    t as usize, "thread", "threads"
                )),
        );
        if let Some(b) = tokio_each {
            line.push_str(&format!(
                " at {} resident each",
                human::bytes(b.round() as u64)
            ));
        }
        line.push_str(&format!(
            ", and reached all of them in {} (p99)",
            human::millis(tokio.latency_p99_ms)
        ));
        if let (Some(fastest), Some(median), Some(slowest)) = (
            tokio.broadcast_fastest_ms,
            tokio.broadcast_median_ms,
            tokio.broadcast_slowest_ms,
        ) {
            line.push_str(&format!(
                " — each broadcast reached its last member in {} to {} (median {}), and the \
                 p99 is the slowest ones' tail",
                human::millis(fastest),
                human::millis(slowest),
                human::millis(median),
            ));
        }
        if let Some(threads) = row("threads") {
            line.push_str(&format!(
                "; a thread per connection held {} on {}",
                human::count(threads.connected, "connection", "connections"),
                threads
                    .threads
                    .map_or("n/a threads".into(), |t| human::count(
                        t as usize, "thread", "threads"
                    )),
            ));
            if let (Some(t), Some(k)) = (each(threads), tokio_each) {
                line.push_str(&format!(
                    " at {} each ({} as much)",
                    human::bytes(t.round() as u64),
                    human::times(t / k)
                ));
            }
            line.push_str(&format!(", p99 {}", human::millis(threads.latency_p99_ms)));
        }
        line.push('.');
        lines.push(line);
        if let (Some(default), Some(k)) = (row("tokio-default-buffers"), tokio_each)
            && let Some(d) = each(default)
        {
            lines.push(format!(
                "tokio-tungstenite's default buffers cost {} per connection, {} the {} of small \
                 buffers: what an idle connection costs is what it buffers.",
                human::bytes(d.round() as u64),
                human::times(d / k),
                human::bytes(k.round() as u64),
            ));
        }
    }
    if let Some(redis) = row("tokio-redis")
        && let Some(line) = broker_line(redis, row("tokio"))
    {
        lines.push(line);
    }
    lines
}

/// What the broker costs: every message goes server → Redis → every
/// server (the sender's own included), so the two servers' receivers
/// should see the same latency, and one server alone (`single`) the hop's
/// difference.
fn broker_line(redis: &Row, single: Option<&Row>) -> Option<String> {
    let [own, other] = redis.by_server.as_slice() else {
        return None;
    };
    let mut line = format!(
        "Through Redis, two servers held {} between them, every message relayed by the broker \
         to both: p50 {} on the sender's server, {} on the other (p99 {} and {})",
        human::count(redis.connected, "connection", "connections"),
        human::millis(own.p50_ms),
        human::millis(other.p50_ms),
        human::millis(own.p99_ms),
        human::millis(other.p99_ms),
    );
    if let Some(single) = single {
        line.push_str(&format!(
            "; one server alone: p50 {}, p99 {}",
            human::millis(single.latency_p50_ms),
            human::millis(single.latency_p99_ms),
        ));
    }
    line.push('.');
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(strategy: &str, connected: usize, rss_each: f64, threads: u64) -> Row {
        Row {
            strategy: strategy.into(),
            requested: connected,
            limited: None,
            connected,
            refused: 0,
            connect_failures: 0,
            connect_seconds: 1.0,
            rss_baseline_bytes: Some(1_000_000),
            rss_bytes: Some(1_000_000 + (rss_each * connected as f64) as u64),
            rss_per_connection_bytes: Some(rss_each),
            heap_baseline_bytes: None,
            heap_bytes: None,
            heap_per_connection_bytes: None,
            threads: Some(threads),
            sent: 10,
            expected: 10 * connected as u64,
            delivered: 10 * connected as u64,
            lost: 0,
            duplicated: 0,
            out_of_order: 0,
            latency_p50_ms: 2.0,
            latency_p95_ms: 5.0,
            latency_p99_ms: 8.0,
            latency_max_ms: 12.0,
            broadcast_fastest_ms: Some(6.0),
            broadcast_median_ms: Some(9.0),
            broadcast_slowest_ms: Some(12.0),
            by_server: Vec::new(),
            broadcast_seconds: 1.0,
            delivered_per_s: 10.0 * connected as f64,
            closes_1001: connected,
            close_codes: BTreeMap::from([(1001, connected)]),
            eof_without_close: 0,
            still_open: 0,
            tasks_left: Some(0),
            shutdown_seconds: 0.2,
            seconds: 3.0,
        }
    }

    fn report(rows: Vec<Row>) -> Report {
        Report {
            connections: 100,
            rooms: 1,
            senders: 1,
            messages: 10,
            rate: 1.0,
            build: "debug".into(),
            code: "reference".into(),
            rows,
        }
    }

    #[test]
    fn the_takeaway_is_computed_from_the_rows() {
        let lines = takeaway(&report(vec![
            row("tokio", 100, 3000.0, 3),
            row("tokio-default-buffers", 100, 150_000.0, 3),
            row("threads", 50, 30_000.0, 103),
        ]));
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].contains("100 connections on 3 threads at 3.00 kB"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("reached its last member in 6.00 ms to 12.0 ms (median 9.00 ms)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("50 connections on 103 threads at 30.0 kB each (10.0× as much)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("150 kB per connection, 50.0× the 3.00 kB"),
            "{}",
            lines[1]
        );
        assert!(takeaway(&report(vec![row("threads", 5, 1.0, 11)])).is_empty());
    }

    #[test]
    fn the_broker_line_compares_both_servers_and_one_server_alone() {
        let mut redis = row("tokio-redis", 100, 3000.0, 6);
        let serving = |p50_ms, p99_ms| ServerLatency { p50_ms, p99_ms };
        redis.by_server = vec![serving(3.0, 6.0), serving(3.5, 7.0)];
        let lines = takeaway(&report(vec![row("tokio", 100, 3000.0, 3), redis.clone()]));
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[1].contains("p50 3.00 ms on the sender's server, 3.50 ms on the other"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains("one server alone: p50 2.00 ms"),
            "{}",
            lines[1]
        );
        // Without a latency for each server there is nothing to compare.
        redis.by_server.pop();
        assert_eq!(takeaway(&report(vec![redis])).len(), 0);
    }

    #[test]
    fn failures_name_what_went_wrong() {
        let good = row("tokio", 100, 3000.0, 3);
        assert_eq!(good.failures(), None);
        let mut bad = good.clone();
        bad.connected = 98;
        bad.lost = 4;
        bad.closes_1001 = 90;
        let text = bad.failures().unwrap();
        assert!(
            text.contains("98 of 100 connected") && text.contains("4 lost"),
            "{text}"
        );
        assert!(text.contains("90 of 98 clients got a 1001"), "{text}");
        let table = table(&report(vec![good, bad]));
        assert_eq!(table.lines().count(), 4, "{table}");
        assert!(
            table.contains("3.00 kB") && table.contains("8.00 ms"),
            "{table}"
        );
    }
}
