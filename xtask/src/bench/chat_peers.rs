//! The servers `cargo xtask bench chat-server` measures, and how each is
//! started: ours in three configurations (`chat-server serve`), and the
//! peers in `examples/chat-server/peers/` — Python `websockets` and Node
//! `ws` — each when it is installed, skipped with the install command
//! otherwise.
//!
//! Every server is started on `127.0.0.1:0` and says where it listens on
//! its first line of stdout: ours as `serve --announce`'s JSON
//! (`{"event":"listening","addr":…}`), a peer as its bare port number.

use super::process;
use crate::project;
use serde::Deserialize;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;

/// One server of the comparison.
#[derive(Debug)]
pub(super) struct Server {
    /// The row's name ("Python websockets 17.4").
    pub name: String,
    /// Its command line, as the page shows it.
    pub command_line: String,
    /// The connections it is measured at.
    pub connections: usize,
    /// Why it is measured at fewer connections than the others, if it is.
    pub limited: Option<String>,
    /// Whether its broadcast reaches as many members as the others'.
    pub full_count: bool,
    /// The command that starts it, or why it is not measured.
    pub start: Result<Command, String>,
}

/// Ours (tuned, the library's buffers, a thread per connection), then
/// Python and Node.
pub(super) fn servers(exe: &Path, connections: usize, threads_max: usize) -> Vec<Server> {
    let ours = |flags: &[&str], at: usize| {
        let mut command = Command::new(exe);
        command.args(["serve", "--bind", "127.0.0.1:0", "--announce", "--quiet"]);
        command.args(flags);
        // Room for every client: the default limit is below a big run.
        command.args(["--max-connections", &(at + 16).to_string()]);
        command
    };
    let shown = |flags: &str| format!("`chat-server serve{flags}`");
    let threads_at = connections.min(threads_max);
    let limited = (threads_at < connections).then(|| {
        format!(
            "stopped at {threads_at} connections (`--threads-max`, as `chat-server load` \
             runs it): each takes two threads, each with its own stack and kernel task"
        )
    });
    let peers = project::root().join("examples/chat-server/peers");
    vec![
        Server {
            name: "ours: tokio, tuned buffers".into(),
            command_line: shown(""),
            connections,
            limited: None,
            full_count: true,
            start: Ok(ours(&[], connections)),
        },
        Server {
            name: "ours: tokio-tungstenite's default buffers".into(),
            command_line: shown(" --library-buffers"),
            connections,
            limited: None,
            full_count: true,
            start: Ok(ours(&["--library-buffers"], connections)),
        },
        Server {
            name: "ours: a thread per connection".into(),
            command_line: shown(" --thread-per-connection"),
            connections: threads_at,
            full_count: limited.is_none(),
            limited,
            start: Ok(ours(&["--thread-per-connection"], threads_at)),
        },
        python(&peers, connections),
        node(&peers, connections),
    ]
}

fn python(peers: &Path, connections: usize) -> Server {
    let version = process::first_line(
        "python3",
        &["-c", "import websockets; print(websockets.__version__)"],
    );
    let start = match version {
        Some(_) => {
            let mut command = Command::new("python3");
            command.arg(peers.join("server.py")).arg("0");
            Ok(command)
        }
        None if process::first_line("python3", &["--version"]).is_none() => {
            Err("python3 is not installed".into())
        }
        None => Err("websockets is not installed (`pip install websockets`)".into()),
    };
    Server {
        name: format!(
            "Python websockets {}",
            version.as_deref().unwrap_or_default()
        )
        .trim_end()
        .to_owned(),
        command_line: "`python3 examples/chat-server/peers/server.py`".into(),
        connections,
        limited: None,
        full_count: true,
        start,
    }
}

fn node(peers: &Path, connections: usize) -> Server {
    #[derive(Deserialize)]
    struct Package {
        version: String,
    }
    let ws = std::fs::read_to_string(peers.join("node_modules/ws/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Package>(&text).ok())
        .map(|p| p.version);
    let node = process::first_line("node", &["--version"]);
    let start = match (&node, &ws) {
        (None, _) => Err("node is not installed".into()),
        (Some(_), None) => {
            Err("ws is not installed (`npm install --prefix examples/chat-server/peers`)".into())
        }
        (Some(_), Some(_)) => {
            let mut command = Command::new("node");
            command.arg(peers.join("server.js")).arg("0");
            Ok(command)
        }
    };
    let name = match (&ws, &node) {
        (Some(ws), Some(node)) => format!("Node ws {ws} (Node {node})"),
        _ => "Node ws".into(),
    };
    Server {
        name,
        command_line: "`node examples/chat-server/peers/server.js`".into(),
        connections,
        limited: None,
        full_count: true,
        start,
    }
}

/// Where a server listens, from the first line it prints: a peer's port,
/// or ours' `{"event":"listening","addr":"127.0.0.1:PORT",…}`.
pub(super) fn listening(line: &str) -> Option<SocketAddr> {
    #[derive(Deserialize)]
    struct Announce {
        event: String,
        addr: SocketAddr,
    }
    let line = line.trim();
    if let Ok(port) = line.parse::<u16>() {
        return (port != 0).then(|| SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    serde_json::from_str::<Announce>(line)
        .ok()
        .filter(|a| a.event == "listening")
        .map(|a| a.addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_says_where_it_listens_as_a_port_or_as_json() {
        let at = |port| Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        assert_eq!(listening("36137\n"), at(36137));
        assert_eq!(
            listening(r#"{"event":"listening","addr":"127.0.0.1:4000","pid":7}"#),
            at(4000)
        );
        // Not a readiness line: a log line, port 0, another event.
        assert_eq!(listening("Traceback (most recent call last):"), None);
        assert_eq!(listening("0"), None);
        assert_eq!(
            listening(r#"{"event":"stopped","addr":"127.0.0.1:4000"}"#),
            None
        );
    }

    #[test]
    fn the_thread_per_connection_row_says_where_it_stopped() {
        let servers = servers(Path::new("/bin/chat-server"), 10_000, 2000);
        assert_eq!(servers.len(), 5);
        let threads = &servers[2];
        assert_eq!(threads.connections, 2000);
        assert!(!threads.full_count);
        assert!(threads.limited.as_deref().unwrap().contains("2000"));
        let args: Vec<_> = threads.start.as_ref().unwrap().get_args().collect();
        assert!(args.contains(&std::ffi::OsStr::new("--thread-per-connection")));
        assert!(args.contains(&std::ffi::OsStr::new("2016")), "{args:?}");
        // Asked for fewer than the limit, it runs at the count asked.
        let servers = super::servers(Path::new("/bin/chat-server"), 500, 2000);
        assert_eq!(servers[2].connections, 500);
        assert!(servers[2].limited.is_none() && servers[2].full_count);
    }
}
