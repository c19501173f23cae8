//! `cargo run -p chat-server`: a WebSocket chat and its page, and a
//! measurement of what 10,000 connections cost it.
//!
//! ```text
//! cargo run -p chat-server                              # the chat on http://127.0.0.1:8080/
//! cargo run -p chat-server -- --bind 0.0.0.0:9000 --max-connections 500
//! cargo run --release -p chat-server -- load            # 10,000 clients: tasks against threads
//! cargo run --release -p chat-server -- load --connections 2000 --json
//! cargo xtask run chat-server --mine                    # the same, on your exercise code
//! ```
//!
//! The binary counts its own heap (`harness::alloc`), so that the server's
//! `/stats` can say what its connections hold, and `load` can divide it by
//! their number.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use chat_server::kata::Config;
use chat_server::swarm::SwarmArgs;
use chat_server::{LoadPlan, ServeOptions, Strategy, report};
use clap::{Args, CommandFactory, Parser, Subcommand};
use cli::human;

/// Counts live heap bytes: `/stats`' `heap_bytes` and the load table's
/// "heap/conn" column. Two relaxed atomic additions per allocation.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

#[derive(Debug, Parser)]
#[command(
    name = "chat-server",
    version,
    propagate_version = true,
    about = "A WebSocket chat holding 10,000 connections on two cores, with its page",
    long_about = "Without a subcommand (or with `serve`): serves the chat and its page on \
                  127.0.0.1:8080 (the next free port if that one is taken), shows a status line \
                  (connections, rooms, messages/s), and on Ctrl-C or SIGTERM stops gracefully: \
                  every client gets a close frame (1001) and the summary says how many \
                  connections were closed and whether any task was left behind. `load` runs \
                  the server and 10,000 clients as two processes, once per strategy (a tokio \
                  task per connection, the same with tokio-tungstenite's default buffers, a \
                  thread per connection), and compares what each connection costs the server \
                  (resident memory, heap, threads), how fast a broadcast reaches everyone, and \
                  how the shutdown closes them.",
    after_help = "Examples:\n  \
                  chat-server                                  the chat on http://127.0.0.1:8080/\n  \
                  chat-server --bind 127.0.0.1:0               any free port\n  \
                  chat-server --queue 8 --idle-timeout 30s     tighter bounds\n  \
                  chat-server serve --thread-per-connection    the same chat, one thread per connection (no page)\n  \
                  chat-server serve --redis redis://127.0.0.1:6379/   one chat over several servers (run one per port)\n  \
                  chat-server load                             10,000 clients against each strategy\n  \
                  chat-server load --connections 2000 --strategies tokio,threads --json\n  \
                  chat-server load --strategies tokio,tokio-redis   one server against two through Redis (needs redis-server)\n  \
                  chat-server completions bash                 shell completions (bash, zsh, fish, elvish, powershell)\n\n\
                  Exit status: 0 done; 1 done, with failures found (a connection task left after \
                  the shutdown; a client not connected, a message lost or duplicated, a close \
                  other than 1001 in `load`); 2 could not be done (a port taken, a bad flag).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    common: cli::Common,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the chat and its page until Ctrl-C or SIGTERM (the default).
    Serve(ServeArgs),
    /// Run the server and N clients as two processes, once per strategy, and compare what the
    /// connections cost, how fast a broadcast reaches them, and how the shutdown closes them.
    Load(LoadArgs),
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// The load generator's process, run by `load` (JSON lines on stdout).
    #[command(hide = true)]
    Swarm(SwarmArgs),
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Listen here [default: 127.0.0.1:8080, or the next free port up to 8083, or any free
    /// port]; a port that is taken is an error.
    #[arg(long, value_name = "ADDR")]
    bind: Option<SocketAddr>,
    /// WebSocket connections held at once; the next is answered 503 (server full) [default:
    /// 20000, or what the open-file limit allows].
    #[arg(long, value_name = "N", value_parser = at_least_one())]
    max_connections: Option<usize>,
    /// Frames queued per client before it counts as too slow and is closed (1008).
    #[arg(long, value_name = "FRAMES", default_value_t = Config::default().queue_capacity, value_parser = at_least_one())]
    queue: usize,
    /// The largest message a client may send; a bigger one closes it (1009).
    #[arg(long, value_name = "BYTES", default_value_t = Config::default().max_message_bytes, value_parser = at_least_one())]
    max_message_bytes: usize,
    /// Close a connection silent this long, not even answering a ping (1000), e.g. 75s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "75s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Use tokio-tungstenite's default buffers (128 KiB to read, per connection) instead of
    /// small ones, to see what they cost.
    #[arg(long)]
    library_buffers: bool,
    /// Serve with two OS threads per connection instead of a tokio task (blocking tungstenite,
    /// the same rooms and protocol; only /ws and /stats, no page).
    #[arg(long)]
    thread_per_connection: bool,
    /// Relay every room through Redis pub/sub at URL, shared by every server given the same
    /// URL: a client on one server reaches the members on all of them (one more hop a message).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// Print the address and, once stopped, the summary as JSON lines on stdout (for `load`).
    #[arg(long, hide = true)]
    announce: bool,
}

#[derive(Debug, Args)]
struct LoadArgs {
    /// Clients (each a WebSocket connection to the server).
    #[arg(long, default_value_t = 10_000, value_parser = at_least_one())]
    connections: usize,
    /// Rooms: client i joins room i mod ROOMS.
    #[arg(long, default_value_t = 1, value_parser = at_least_one())]
    rooms: usize,
    /// Senders in each room (its first members).
    #[arg(long, default_value_t = 1, value_parser = at_least_one())]
    senders: usize,
    /// Messages each sender sends.
    #[arg(long, default_value_t = 20, value_parser = at_least_one())]
    messages: usize,
    /// Messages per second from each sender (0: back to back).
    #[arg(long, value_name = "PER_S", default_value_t = 2.0)]
    rate: f64,
    /// Which servers to measure, in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "tokio,tokio-default-buffers,threads"
    )]
    strategies: Vec<Strategy>,
    /// Run the threads strategy at no more than this many connections (two threads each).
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = at_least_one())]
    threads_max: usize,
    /// Print the rows as JSON on stdout (one object with `rows`).
    #[arg(long)]
    json: bool,
}

/// A count of at least 1.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

/// `75s`, `500ms`, `2m`, `1.5s`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (like 75s or 500ms)"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1e3,
        "s" => number,
        "m" | "min" => number * 60.0,
        _ => {
            return Err(format!(
                "`{text}`: give a unit, ms, s or m (like 75s or 500ms)"
            ));
        }
    };
    if seconds <= 0.0 || !seconds.is_finite() {
        return Err("a timeout of 0 would close every connection at once".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn main() -> std::process::ExitCode {
    // Built on the learner's code: an unwritten step is explained, not a
    // backtrace.
    #[cfg(feature = "mine")]
    cli::explain_todo_panics();
    let cli = Cli::parse();
    let out = cli.common.init();
    // Every connection is a file descriptor, in the server and in the load
    // generator alike: lift the soft limit to the hard one first.
    let _ = wsload::raise_open_file_limit();
    cli::exit(run(cli, &out))
}

fn run(cli: Cli, out: &cli::Output) -> Result<cli::Finished> {
    match cli.command {
        None => serve(cli.serve, out),
        Some(Command::Serve(args)) => serve(args, out),
        Some(Command::Load(args)) => load(args, out),
        Some(Command::Swarm(args)) => chat_server::swarm::swarm(&args),
        Some(Command::Completions { shell }) => {
            cli::completions(shell, &mut Cli::command())?;
            Ok(cli::Finished::Clean)
        }
    }
}

fn serve(args: ServeArgs, out: &cli::Output) -> Result<cli::Finished> {
    if args.thread_per_connection && args.library_buffers {
        bail!("--library-buffers is for the tokio server; the threaded one uses the small buffers");
    }
    if args.thread_per_connection && args.redis.is_some() {
        bail!("--redis is for the tokio server; the threaded one relays nothing");
    }
    // Every connection is a file descriptor: by default, no more than the
    // open-file limit allows; asked for more, say so.
    let fit = wsload::open_file_limit()
        .ok()
        .map(|limit| limit.saturating_sub(FILES_BESIDE) as usize);
    let max_connections = match (args.max_connections, fit) {
        (Some(asked), Some(fit)) if asked > fit => {
            tracing::warn!(
                "this process may open {} files, so at most about {fit} connections, not the \
                 {asked} of --max-connections (`ulimit -n` raises the limit)",
                fit + FILES_BESIDE as usize
            );
            asked
        }
        (Some(asked), _) => asked,
        (None, fit) => Config::default()
            .max_connections
            .min(fit.unwrap_or(usize::MAX)),
    };
    let config = Config {
        max_connections,
        queue_capacity: args.queue,
        max_message_bytes: args.max_message_bytes,
        idle_timeout: args.idle_timeout,
        // Pinged at least twice within the idle timeout, so a quiet but
        // live client always has a chance to answer.
        ping_interval: Config::default().ping_interval.min(args.idle_timeout / 2),
        library_buffers: args.library_buffers,
        files: chat_server::page::FILES,
        heap_bytes: Some(harness::alloc::live_bytes),
        ..Config::default()
    };
    chat_server::serve::serve(
        ServeOptions {
            bind: args.bind,
            config,
            threaded: args.thread_per_connection,
            announce: args.announce,
            redis: args.redis,
        },
        out,
    )
}

/// Files a server holds besides its connections: the listener, the
/// runtime's epoll and wake-up descriptors, stdio, a page or /stats request
/// being answered.
const FILES_BESIDE: u64 = 64;

fn load(args: LoadArgs, out: &cli::Output) -> Result<cli::Finished> {
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        bail!("--rate must be 0 (back to back) or a number of messages per second");
    }
    if args.senders > args.connections.div_ceil(args.rooms) {
        bail!(
            "--senders {} per room, but a room has only about {} members",
            args.senders,
            args.connections / args.rooms
        );
    }
    let mut strategies = Vec::new();
    for strategy in args.strategies {
        if !strategies.contains(&strategy) {
            strategies.push(strategy);
        }
    }
    let plan = LoadPlan {
        connections: args.connections,
        rooms: args.rooms,
        senders: args.senders,
        messages: args.messages,
        rate: args.rate,
        strategies,
        threads_max: args.threads_max,
        progress: !args.json,
    };
    if !args.json {
        let names: Vec<&str> = plan.strategies.iter().map(|s| s.name()).collect();
        let pace = if plan.rate > 0.0 {
            format!("{} each", human::rate(plan.rate, "msgs"))
        } else {
            "back to back".into()
        };
        out.note(format_args!(
            "Measuring {} with {} in {}: {} per room sending {} ({pace}), with {}.",
            chat_server::SUBJECT,
            human::count(plan.connections, "client", "clients"),
            human::count(plan.rooms, "room", "rooms"),
            human::count(plan.senders, "sender", "senders"),
            human::count(plan.messages, "message", "messages"),
            names.join(", "),
        ));
    }
    let report = chat_server::load::run(&plan, out)?;
    let failed = report.rows.iter().any(|r| r.failures().is_some());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(cli::Finished::with_failures(failed));
    }
    print!("{}", report::table(&report));
    for row in &report.rows {
        if let Some(limited) = &row.limited {
            println!("{}: {limited}", row.strategy);
        }
        if let Some(failures) = row.failures() {
            println!("{}: {failures}", row.strategy);
        }
    }
    for line in report::takeaway(&report) {
        println!("{line}");
    }
    if cfg!(debug_assertions) {
        out.note(format_args!(
            "(a debug build: `cargo run --release -p chat-server -- load` for figures worth comparing)"
        ));
    }
    let next = if report.rows.iter().any(|r| r.limited.is_some()) {
        "`chat-server load --strategies threads --threads-max 10000` — where a thread per connection stops"
            .to_string()
    } else {
        "`cargo xtask grade chat-server` — write this server yourself, graded by the same clients"
            .into()
    };
    out.note(format_args!("next: {next}"));
    Ok(cli::Finished::with_failures(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit_and_more_than_zero() {
        assert_eq!(parse_duration("75s"), Ok(Duration::from_secs(75)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("75").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
