//! `chat-server swarm`: the load generator's process (hidden; `load` runs
//! it). The clients are the `wsload` library's; this is its thin edge:
//! flags in, its report lines ([`wsload::Line`]) out on stdout, one JSON
//! object a line, phase after phase.
//!
//! ```text
//! chat-server swarm --url ws://127.0.0.1:PORT/ws --connections 10000 --wait --until-closed 30
//! {"phase":"connected",...}          every client joined; waits for `go` on stdin (--wait)
//! {"phase":"delivered",...}          the broadcast round, counted
//! {"phase":"closed",...}             how the server closed them (--until-closed)
//! ```
//!
//! A process of its own, not tasks beside the server: 10,000 client sockets
//! and 10,000 server sockets do not fit under one process's open-file limit,
//! and the server's memory and threads are then its own, measured apart.

use std::io::{BufRead, Write};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use wsload::{Line, SendPlan, Swarm, SwarmPlan};

/// What one swarm does.
#[derive(Debug, Clone, clap::Args)]
pub struct SwarmArgs {
    /// The server's WebSocket URL; given more than once, servers of one
    /// chat (relaying through Redis): client i connects to the (i mod n)th.
    #[arg(long, required = true)]
    pub url: Vec<String>,
    /// Clients.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Rooms: client i joins room-(i mod rooms).
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    /// Senders per room.
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// Messages per sender.
    #[arg(long, default_value_t = 20)]
    pub messages: usize,
    /// Messages per second per sender (0: back to back).
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Bound on each phase, in seconds.
    #[arg(long, default_value_t = 120.0)]
    pub deadline: f64,
    /// After the last send, how long (seconds) to wait for the last
    /// deliveries before counting what is missing as lost.
    #[arg(long, default_value_t = 2.0)]
    pub settle: f64,
    /// After connecting, wait for a line `go` on stdin before sending.
    #[arg(long)]
    pub wait: bool,
    /// After the round, wait up to this many seconds for the server to close
    /// every client (a graceful shutdown), instead of closing them.
    #[arg(long, value_name = "SECS")]
    pub until_closed: Option<f64>,
}

/// Runs the phases, printing each one's line.
pub fn swarm(args: &SwarmArgs) -> Result<cli::Finished> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        let mut plan = SwarmPlan::new(args.url[0].clone(), args.connections)
            .rooms(args.rooms.max(1))
            .deadline(Duration::from_secs_f64(args.deadline));
        for url in &args.url[1..] {
            plan = plan.also_at(url.clone());
        }
        let mut swarm = Swarm::connect(&plan).await?;
        print(&Line::Connected {
            connect: swarm.report().clone(),
            rss_bytes: crate::resident_bytes(std::process::id()),
        })?;
        if args.wait {
            let go = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map(|_| line)
            })
            .await??;
            if go.trim() != "go" {
                bail!("expected `go` on stdin, read {:?}", go.trim());
            }
        }
        let mut send = SendPlan::new(args.senders, args.messages)
            .settle(Duration::from_secs_f64(args.settle.max(0.0)));
        if args.rate > 0.0 {
            send = send.rate_per_s(args.rate);
        }
        let delivery = swarm.broadcast(&send).await;
        print(&Line::Delivered {
            delivery,
            hostile: Vec::new(),
        })?;
        let closes = match args.until_closed {
            Some(secs) => swarm.wait_closed(Duration::from_secs_f64(secs)).await,
            None => swarm.close().await,
        };
        print(&Line::Closed { closes })?;
        Ok(cli::Finished::Clean)
    })
}

/// One line on stdout, flushed at once: the reader waits for it.
fn print(line: &Line) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(line)?)?;
    stdout.flush()?;
    Ok(())
}
