//! The `chat-server` program end to end, through its real binary: `serve`
//! answers the page (with its Content-Security-Policy), `/stats` and a
//! WebSocket, and stops gracefully on SIGTERM, closing its client with
//! 1001; a port that is taken is a clear error; `load` runs both servers and
//! the load generator as separate processes and counts every delivery; the
//! command-line conventions (`--version`, `--color`, `--quiet`, a next step).
//! Small runs: this checks behaviour, `load --connections 10000` measures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_chat-server");

/// Run the program with `args` to its end, killing it if it outlives
/// `limit`: a hang is a failure, not a stuck test run.
fn run(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the chat-server binary starts");
    // Read both pipes while it runs: a full pipe would stall it.
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("can wait") {
            break status;
        }
        if began.elapsed() > limit {
            let _ = child.kill();
            panic!("chat-server {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A running `chat-server serve`, killed if the test fails half way.
struct Serving {
    child: Option<Child>,
    stdout: BufReader<ChildStdout>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    addr: SocketAddr,
}

impl Serving {
    /// Starts `serve --bind 127.0.0.1:0` with `extra`, and reads the
    /// address from its first line.
    fn start(extra: &[&str]) -> Serving {
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the chat-server binary starts");
        let stderr = Some(drain(child.stderr.take().unwrap()));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let url = first
            .strip_prefix("chat: http://")
            .and_then(|rest| rest.split_once('/'))
            .unwrap_or_else(|| panic!("not the URL line: {first:?}"));
        assert!(first.trim_end().ends_with("— Ctrl-C to stop"), "{first:?}");
        let addr = url.0.parse().unwrap();
        Serving {
            child: Some(child),
            stdout,
            stderr,
            addr,
        }
    }

    /// SIGTERM, then everything it printed, once it has exited.
    fn stop(mut self, limit: Duration) -> (std::process::ExitStatus, String, String) {
        let mut child = self.child.take().unwrap();
        // SAFETY: kill has no memory-safety preconditions; the child has
        // not been waited for, so its pid is still its own.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM sent");
        let began = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if began.elapsed() > limit {
                let _ = child.kill();
                panic!("still running {limit:?} after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        self.stdout.read_to_string(&mut stdout).unwrap();
        let stderr =
            String::from_utf8_lossy(&self.stderr.take().unwrap().join().unwrap()).into_owned();
        (status, stdout, stderr)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// GET `path`: (status line and headers, body).
fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_string(), body.to_string())
}

#[test]
fn serve_answers_the_page_stats_and_a_websocket_and_stops_gracefully_on_sigterm() {
    let server = Serving::start(&[]);
    let (head, body) = get(server.addr, "/");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let csp = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Security-Policy: "))
        .unwrap_or_else(|| panic!("no CSP header: {head}"));
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        body.to_ascii_lowercase().starts_with("<!doctype html>"),
        "{body}"
    );

    // A client that stays connected until the server stops.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("ws://{}/ws", server.addr);
    let mut ws = runtime.block_on(async {
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("the upgrade succeeds");
        ws
    });
    let (_, stats) = get(server.addr, "/stats");
    let stats: Value = serde_json::from_str(&stats).expect("/stats is JSON");
    assert_eq!(stats["connections"], 1, "{stats}");
    // The program's counting allocator answers for the heap.
    assert!(
        stats["heap_bytes"].as_u64().is_some_and(|b| b > 0),
        "{stats}"
    );

    let stopping = std::thread::spawn(move || server.stop(Duration::from_secs(30)));
    let close = runtime.block_on(async {
        use futures::StreamExt;
        tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(message) = ws.next().await {
                if let Ok(tokio_tungstenite::tungstenite::Message::Close(frame)) = message {
                    return frame.map(|f| u16::from(f.code));
                }
            }
            None
        })
        .await
        .expect("the server closes the client")
    });
    assert_eq!(close, Some(1001), "the shutdown's close code");
    let (status, stdout, stderr) = stopping.join().unwrap();
    assert!(status.success(), "{status}: {stdout}{stderr}");
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("stopped: "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        summary.contains("closed 1 connection (1 sent 1001 going away)"),
        "{summary}"
    );
    assert!(summary.contains("tasks left 0"), "{summary}");
    assert!(stderr.contains("SIGTERM: stopping"), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("next: ")),
        "{stderr}"
    );
}

#[test]
fn a_port_that_is_taken_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = run(&["serve", "--bind", &addr], Duration::from_secs(20));
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "reported once: {stderr}");
    assert!(
        stderr.starts_with(&format!("error: {addr} is already in use")),
        "{stderr}"
    );
    assert_eq!(stdout, "");
}

#[test]
fn load_counts_every_delivery_and_every_close_for_both_servers() {
    let args = [
        "load",
        "--connections",
        "200",
        "--senders",
        "10",
        "--messages",
        "5",
        "--rate",
        "20",
        "--json",
        "--strategies",
        "tokio,threads",
    ];
    let output = run(&args, Duration::from_secs(120));
    let (stdout, stderr) = texts(&output);
    assert!(
        output.status.success(),
        "{}: {stdout}{stderr}",
        output.status
    );
    let report: Value = serde_json::from_str(&stdout).expect("--json prints JSON");
    let rows = report["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tokio", "threads"]);
    for row in rows {
        assert_eq!(row["connected"], 200, "{row}");
        // 10 senders × 5 messages, each to all 200 members.
        assert_eq!(row["expected"], 10 * 5 * 200, "{row}");
        assert_eq!(row["delivered"], row["expected"], "{row}");
        assert_eq!(row["lost"], 0, "{row}");
        assert_eq!(row["duplicated"], 0, "{row}");
        assert_eq!(row["closes_1001"], 200, "{row}");
        assert_eq!(row["tasks_left"], 0, "{row}");
        assert!(row["rss_per_connection_bytes"].as_f64().is_some(), "{row}");
        assert!(
            row["latency_p99_ms"].as_f64().is_some_and(|ms| ms > 0.0),
            "{row}"
        );
    }
    // The measured processes are the servers: a few runtime threads for a
    // task each, two threads a connection for the other.
    let threads = |i: usize| rows[i]["threads"].as_u64().expect("threads counted");
    assert!(threads(0) < 20, "tokio: {}", threads(0));
    assert!(threads(1) >= 400, "threads: {}", threads(1));
    assert_eq!(stderr, "", "no progress or notes with --json");
}

#[test]
fn load_prints_a_table_a_takeaway_and_a_next_step_and_quiet_keeps_only_the_results() {
    let args = [
        "load",
        "--connections",
        "30",
        "--messages",
        "2",
        "--rate",
        "20",
        "--strategies",
        "tokio",
    ];
    let output = run(&args, Duration::from_secs(60));
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("tokio "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(row.contains(" 30 ") && row.contains(" ms"), "{row}");
    assert!(
        stdout.contains("A task per connection held 30 connections"),
        "{stdout}"
    );
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("next: ")),
        "{stderr}"
    );

    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let output = run(&quiet, Duration::from_secs(60));
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains("A task per connection held 30"),
        "the results stay: {stdout}"
    );
    assert_eq!(stderr, "", "no progress, notes or next step");

    let output = run(
        &["load", "--connections", "20", "--senders", "50"],
        Duration::from_secs(20),
    );
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: --senders 50 per room"),
        "{stderr}"
    );
}

#[test]
fn version_is_printed_by_the_program_and_its_subcommands() {
    for (args, name) in [
        (&["--version"][..], "chat-server"),
        (&["load", "--version"], "chat-server-load"),
    ] {
        let output = run(args, Duration::from_secs(20));
        let (stdout, _) = texts(&output);
        assert!(output.status.success(), "{args:?}");
        assert_eq!(
            stdout.trim(),
            format!("{name} {}", env!("CARGO_PKG_VERSION")),
            "{args:?}"
        );
    }
    let output = run(&["completions", "bash"], Duration::from_secs(20));
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("chat-server"));
}

/// A server that warns (more connections asked for than the open-file limit
/// allows) and stops at once: its output, with `extra` flags.
fn a_warning(extra: &[&str]) -> (String, String) {
    let mut args = vec!["--max-connections", "1000000000000"];
    args.extend_from_slice(extra);
    let server = Serving::start(&args);
    let (status, stdout, stderr) = server.stop(Duration::from_secs(30));
    assert!(status.success(), "{status}: {stderr}");
    (stdout, stderr)
}

#[test]
fn no_escape_codes_off_a_terminal_unless_asked_for() {
    for color in [&[][..], &["--color", "never"], &["--color", "auto"]] {
        let (stdout, stderr) = a_warning(color);
        assert!(
            stderr.contains("WARN") && stderr.contains("may open"),
            "the warning is shown: {stderr}"
        );
        assert!(
            !stdout.contains("\x1b[") && !stderr.contains("\x1b["),
            "{color:?}: {stdout:?} {stderr:?}"
        );
    }
    // The same check sees escape codes when there are some.
    let (_, stderr) = a_warning(&["--color", "always"]);
    assert!(stderr.contains("\x1b["), "{stderr:?}");
}

#[test]
fn quiet_serve_prints_the_url_and_summary_only() {
    let (stdout, stderr) = a_warning(&["--quiet"]);
    assert_eq!(stderr, "", "no warning, notes, status or next step");
    assert!(stdout.contains("stopped: closed 0 connections"), "{stdout}");
}
