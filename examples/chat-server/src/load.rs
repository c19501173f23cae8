//! `chat-server load`: the server and the load generator, two processes,
//! run and measured from the outside, once per strategy.
//!
//! For each strategy this binary runs itself twice: `chat-server serve
//! --announce` (the server: it prints its address and, when stopped, its
//! summary, as JSON lines) and `chat-server swarm` (the clients, see
//! `swarm.rs`). Two processes because 10,000 server sockets and 10,000
//! client sockets do not fit under one process's open-file limit, and so
//! that what is measured — the server's resident memory, heap and threads —
//! is the server's alone.
//!
//! The sequence, per strategy:
//!
//! 1. start the server; read its memory before any client (the baseline);
//! 2. start the clients; wait until every one has joined;
//! 3. measure the idle server: (resident − baseline) ÷ connections, the
//!    same for its heap (its `/stats`), its threads;
//! 4. say `go`: the senders broadcast, the clients count every delivery and
//!    its latency;
//! 5. SIGTERM the server: it should close every client with 1001 and exit;
//!    the clients say which close codes they got.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use cli::human;
use serde::de::DeserializeOwned;
use wsload::Line;

use crate::report::{Report, Row, ServerLatency};
use crate::serve::Announce;

/// How the server holds its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Strategy {
    /// One tokio task per connection, small WebSocket buffers (the reference).
    Tokio,
    /// The same, with tokio-tungstenite's default buffers.
    TokioDefaultBuffers,
    /// Two OS threads per connection, blocking tungstenite.
    Threads,
    /// Two tokio servers relaying every room through a `redis-server` of
    /// its own (`serve --redis`), the clients alternating between them.
    TokioRedis,
}

impl Strategy {
    /// The name in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Tokio => "tokio",
            Strategy::TokioDefaultBuffers => "tokio-default-buffers",
            Strategy::Threads => "threads",
            Strategy::TokioRedis => "tokio-redis",
        }
    }

    /// Server processes it runs.
    fn servers(self) -> usize {
        match self {
            Strategy::TokioRedis => 2,
            _ => 1,
        }
    }

    /// The server's flags for this strategy.
    fn serve_flags(self) -> &'static [&'static str] {
        match self {
            Strategy::Tokio | Strategy::TokioRedis => &[],
            Strategy::TokioDefaultBuffers => &["--library-buffers"],
            Strategy::Threads => &["--thread-per-connection"],
        }
    }
}

/// What `load` runs.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub connections: usize,
    pub rooms: usize,
    /// Senders per room.
    pub senders: usize,
    /// Messages per sender.
    pub messages: usize,
    /// Messages per second per sender (0: back to back).
    pub rate: f64,
    pub strategies: Vec<Strategy>,
    /// The most connections the `threads` strategy is run at.
    pub threads_max: usize,
    /// Show progress (not with `--json`).
    pub progress: bool,
}

/// Runs every strategy in turn. A strategy that could not be run at all
/// (a process that did not start, a phase that never ended) is an error.
pub fn run(plan: &LoadPlan, out: &cli::Output) -> Result<Report> {
    let mut rows = Vec::new();
    for &strategy in &plan.strategies {
        let row =
            measure(strategy, plan, out).with_context(|| format!("the {} run", strategy.name()))?;
        rows.push(row);
    }
    Ok(Report {
        connections: plan.connections,
        rooms: plan.rooms,
        senders: plan.senders,
        messages: plan.messages,
        rate: plan.rate,
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .into(),
        code: if cfg!(feature = "mine") {
            "mine"
        } else {
            "reference"
        }
        .into(),
        rows,
    })
}

/// Why the threads strategy is run at fewer connections than asked
/// (`at`): what each one costs, and what this machine allows — the map
/// limit itself when `by_kernel`, else `--threads-max`.
pub fn threads_limit_reason(at: usize, by_kernel: bool) -> String {
    let maps = crate::threaded::MAPS_PER_THREAD;
    if by_kernel {
        return format!(
            "stopped at {at} connections — two threads each, {maps} memory maps a thread, and \
             this kernel allows a process 65,530 maps or so (vm.max_map_count): past that a new \
             thread cannot set up its signal stack and the whole server aborts"
        );
    }
    let budget = crate::threaded::connection_budget()
        .map(|n| format!("; the kernel's map limit would stop it near {n}"))
        .unwrap_or_default();
    format!(
        "stopped at {at} connections (--threads-max) — two threads each, each a stack (2 MiB \
         reserved) and {maps} memory maps, started one after another{budget}"
    )
}

/// A child process, killed if still running when dropped (an error half
/// way must not leave a server behind).
struct Process {
    child: Child,
    what: &'static str,
}

impl Process {
    fn start(what: &'static str, args: &[String], stdin: bool) -> Result<Process> {
        // On Linux, the running binary itself, even if a rebuild has
        // replaced or deleted its file since it started.
        let exe = match std::path::Path::new("/proc/self/exe") {
            path if path.exists() => path.to_path_buf(),
            _ => std::env::current_exe().context("cannot find this program's own binary")?,
        };
        let child = Command::new(&exe)
            .args(args)
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            // Its errors are the person's to read, as they come.
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start the {what} ({})", exe.display()))?;
        Ok(Process { child, what })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its stdout, line by line, on a channel (read by a thread of its own,
    /// so that every wait here can have a deadline).
    fn lines(&mut self) -> Receiver<String> {
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        rx
    }

    fn stdin(&mut self) -> ChildStdin {
        self.child.stdin.take().expect("stdin is piped")
    }

    /// Waits for its exit, up to `within`; kills it past that.
    fn wait(mut self, within: Duration) -> Result<()> {
        let until = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                // 0, or 1 for "done, with failures found": both ran to the end.
                if status.code().is_some_and(|c| c <= 1) {
                    return Ok(());
                }
                bail!("the {} exited with {status}", self.what);
            }
            if Instant::now() >= until {
                bail!(
                    "the {} did not exit within {}",
                    self.what,
                    human::duration(within)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The next line from `lines` that parses as `T`, within `within`; `tick`
/// runs about twice a second meanwhile (progress).
fn next<T: DeserializeOwned>(
    lines: &Receiver<String>,
    what: &str,
    within: Duration,
    mut tick: impl FnMut(),
) -> Result<T> {
    let until = Instant::now() + within;
    // A line that does not parse is kept to explain a report that never came.
    let mut unread = None;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!("no {what} within {}", human::duration(within));
        }
        match lines.recv_timeout(left.min(Duration::from_millis(500))) {
            Ok(line) => match serde_json::from_str(&line) {
                Ok(value) => return Ok(value),
                Err(error) => unread = Some(format!("{error}, in {line}")),
            },
            Err(RecvTimeoutError::Timeout) => tick(),
            Err(RecvTimeoutError::Disconnected) => match unread {
                Some(unread) => bail!("no {what}: a line did not parse: {unread}"),
                None => bail!("the process ended before its {what}"),
            },
        }
    }
}

/// The server's `/stats`, as JSON.
fn stats(addr: SocketAddr) -> Result<serde_json::Value> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(b"GET /stats HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .ok_or_else(|| anyhow!("no HTTP body"))?;
    Ok(serde_json::from_str(body)?)
}

fn heap(addr: SocketAddr) -> Option<u64> {
    stats(addr).ok()?.get("heap_bytes")?.as_u64()
}

fn per_connection(now: Option<u64>, before: Option<u64>, n: usize) -> Option<f64> {
    let (now, before) = (now?, before?);
    (n > 0).then(|| (now as f64 - before as f64) / n as f64)
}

/// One server process of a run.
struct Node {
    process: Process,
    lines: Receiver<String>,
    /// Measured and signalled by the pid of the child itself, not one it
    /// reports: that one cannot be reused before it is waited for.
    pid: u32,
    addr: SocketAddr,
}

impl Node {
    /// `chat-server serve --announce` for `strategy`, with room for
    /// `clients`, relaying through `redis` if given; waits for its address.
    fn start(strategy: Strategy, clients: usize, redis: Option<&str>) -> Result<Node> {
        let mut args: Vec<String> = ["serve", "--bind", "127.0.0.1:0", "--announce", "--quiet"]
            .map(String::from)
            .to_vec();
        args.extend(strategy.serve_flags().iter().map(|s| s.to_string()));
        // Room for every client (the default limit is lower than a big run).
        args.extend(["--max-connections".into(), (clients + 16).to_string()]);
        if let Some(url) = redis {
            args.extend(["--redis".into(), url.into()]);
        }
        let mut process = Process::start("server", &args, false)?;
        let lines = process.lines();
        let pid = process.pid();
        let addr = match next(
            &lines,
            "address from the server",
            Duration::from_secs(30),
            || {},
        )? {
            Announce::Listening { addr, .. } => addr,
            Announce::Stopped { .. } => bail!("the server stopped before it said its address"),
        };
        Ok(Node {
            process,
            lines,
            pid,
            addr,
        })
    }

    /// SIGTERM: the graceful shutdown.
    fn terminate(&self) -> Result<()> {
        // SAFETY: kill has no memory-safety preconditions; `pid` is our
        // child, not yet waited for, so the pid cannot have been reused.
        if unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGTERM) } != 0 {
            bail!(
                "cannot signal the server: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(())
    }

    /// Waits for its summary and its exit; the tasks it left behind.
    fn stopped(self) -> Result<Option<usize>> {
        let said: Option<Announce> = next(
            &self.lines,
            "summary from the server",
            Duration::from_secs(30),
            || {},
        )
        .ok();
        self.process.wait(Duration::from_secs(10))?;
        Ok(match said {
            Some(Announce::Stopped { tasks_left, .. }) => Some(tasks_left),
            _ => None,
        })
    }
}

/// The sum over the servers, if every one could be measured.
fn sum(values: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    values.sum()
}

fn measure(strategy: Strategy, plan: &LoadPlan, out: &cli::Output) -> Result<Row> {
    let began = Instant::now();
    let (requested, limited) = match strategy {
        Strategy::Threads => {
            let budget = crate::threaded::connection_budget().unwrap_or(usize::MAX);
            let cap = plan.threads_max.min(budget);
            if plan.connections > cap {
                (cap, Some(threads_limit_reason(cap, cap == budget)))
            } else {
                (plan.connections, None)
            }
        }
        _ => (plan.connections, None),
    };
    let bar = if plan.progress {
        cli::progress::Progress::new(strategy.name(), "connections", Some(requested as u64))
            .start(out)
    } else {
        indicatif::ProgressBar::hidden()
    };

    // 1. The servers (one, or two and their broker), and their memory
    // before any client.
    let broker = match strategy.servers() {
        1 => None,
        _ => {
            let binary = crate::broker::LocalRedis::binary().ok_or_else(|| {
                anyhow!(
                    "the {} strategy needs redis-server ({})",
                    strategy.name(),
                    crate::broker::INSTALL
                )
            })?;
            Some(crate::broker::LocalRedis::start(&binary)?)
        }
    };
    let mut servers = Vec::new();
    for _ in 0..strategy.servers() {
        let redis = broker.as_ref().map(|b| b.url());
        servers.push(Node::start(strategy, requested, redis.as_deref())?);
    }
    // Let the runtimes' threads start and the first allocations settle.
    std::thread::sleep(Duration::from_millis(300));
    let rss_baseline = sum(servers.iter().map(|s| crate::resident_bytes(s.pid)));
    let heap_baseline = sum(servers.iter().map(|s| heap(s.addr)));

    // 2. The clients.
    let deadline = 60.0 + requested as f64 / 200.0;
    let mut swarm_args: Vec<String> = vec!["swarm".into()];
    for server in &servers {
        swarm_args.extend(["--url".into(), format!("ws://{}/ws", server.addr)]);
    }
    swarm_args.extend([
        "--connections".into(),
        requested.to_string(),
        "--rooms".into(),
        plan.rooms.to_string(),
        "--senders".into(),
        plan.senders.to_string(),
        "--messages".into(),
        plan.messages.to_string(),
        "--rate".into(),
        plan.rate.to_string(),
        "--deadline".into(),
        deadline.to_string(),
        "--wait".into(),
        "--until-closed".into(),
    ]);
    let until_closed = 30.0;
    swarm_args.push(until_closed.to_string());
    let mut swarm = Process::start("load generator", &swarm_args, true)?;
    let swarm_lines = swarm.lines();
    let mut go = swarm.stdin();
    let connected = next::<Line>(
        &swarm_lines,
        "connect report from the load generator",
        Duration::from_secs_f64(deadline + 30.0),
        || {
            let held = servers.iter().map(|s| {
                stats(s.addr)
                    .ok()
                    .and_then(|s| s.get("connections")?.as_u64())
            });
            if let Some(n) = sum(held) {
                bar.set_position(n);
            }
        },
    )?;
    let Line::Connected { connect, .. } = connected else {
        bail!("the load generator skipped its connect report")
    };
    bar.set_position(connect.connected as u64);

    // 3. The idle server, holding them.
    bar.set_message("measuring the idle server");
    std::thread::sleep(Duration::from_millis(1000));
    let rss = sum(servers.iter().map(|s| crate::resident_bytes(s.pid)));
    let heap_now = sum(servers.iter().map(|s| heap(s.addr)));
    let threads = sum(servers.iter().map(|s| crate::threads(s.pid)));

    // 4. The broadcast.
    bar.set_message(format!(
        "broadcasting {} to every member",
        human::count(
            plan.senders * plan.rooms * plan.messages,
            "message",
            "messages"
        )
    ));
    writeln!(go, "go").context("cannot start the broadcast")?;
    go.flush()?;
    let sending = if plan.rate > 0.0 {
        plan.messages as f64 / plan.rate
    } else {
        0.0
    };
    let within = Duration::from_secs_f64(sending + deadline + 30.0);
    let Line::Delivered { delivery, .. } =
        next::<Line>(&swarm_lines, "delivery report", within, || {})?
    else {
        bail!("the load generator skipped its delivery report")
    };

    // 5. The graceful shutdown.
    bar.set_message("stopping the server (SIGTERM)");
    let stop = Instant::now();
    for server in &servers {
        server.terminate()?;
    }
    let mut tasks_left = Some(0);
    for server in servers {
        let left = server.stopped()?;
        tasks_left = tasks_left.zip(left).map(|(a, b)| a + b);
    }
    let shutdown_seconds = stop.elapsed().as_secs_f64();
    drop(broker);
    let Line::Closed { closes } = next::<Line>(
        &swarm_lines,
        "close report",
        Duration::from_secs_f64(until_closed + 10.0),
        || {},
    )?
    else {
        bail!("the load generator skipped its close report")
    };
    drop(go);
    swarm.wait(Duration::from_secs(10))?;
    bar.finish_and_clear();

    let ms = |us: u64| us as f64 / 1000.0;
    let broadcast_seconds = delivery.elapsed.as_secs_f64();
    let row = Row {
        strategy: strategy.name().into(),
        requested,
        limited,
        connected: connect.connected,
        refused: connect.refused,
        connect_failures: connect.connect_failures,
        connect_seconds: connect.ramp.as_secs_f64(),
        rss_baseline_bytes: rss_baseline,
        rss_bytes: rss,
        rss_per_connection_bytes: per_connection(rss, rss_baseline, connect.connected),
        heap_baseline_bytes: heap_baseline,
        heap_bytes: heap_now,
        heap_per_connection_bytes: per_connection(heap_now, heap_baseline, connect.connected),
        threads,
        sent: delivery.sent,
        expected: delivery.expected,
        delivered: delivery.delivered,
        lost: delivery.lost,
        duplicated: delivery.duplicated,
        out_of_order: delivery.out_of_order,
        latency_p50_ms: ms(delivery.latency.p50_us),
        latency_p95_ms: ms(delivery.latency.p95_us),
        latency_p99_ms: ms(delivery.latency.p99_us),
        latency_max_ms: ms(delivery.latency.max_us),
        broadcast_fastest_ms: delivery.per_message.map(|s| ms(s.fastest_us)),
        broadcast_median_ms: delivery.per_message.map(|s| ms(s.median_us)),
        broadcast_slowest_ms: delivery.per_message.map(|s| ms(s.slowest_us)),
        by_server: delivery
            .latency_by_server
            .iter()
            .map(|l| ServerLatency {
                p50_ms: ms(l.p50_us),
                p99_ms: ms(l.p99_us),
            })
            .collect(),
        broadcast_seconds,
        delivered_per_s: if broadcast_seconds > 0.0 {
            delivery.delivered as f64 / broadcast_seconds
        } else {
            0.0
        },
        closes_1001: closes.with_code(1001),
        close_codes: closes
            .close_codes
            .iter()
            .map(|(code, n)| (*code, *n))
            .collect(),
        eof_without_close: closes.eof_without_close,
        still_open: closes.still_open,
        tasks_left,
        shutdown_seconds,
        seconds: began.elapsed().as_secs_f64(),
    };
    if !out.quiet && plan.progress {
        out.note(format_args!(
            "{}: {} connected in {}, {} delivered in {}, stopped in {}",
            row.strategy,
            row.connected,
            human::duration(connect.ramp),
            row.delivered,
            human::duration(delivery.elapsed),
            human::duration(Duration::from_secs_f64(shutdown_seconds)),
        ));
    }
    Ok(row)
}
