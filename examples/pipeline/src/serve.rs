//! `pipeline serve`: the local log server as a program of its own, for the
//! bench's Python pipeline, for another tool, or for a second terminal.
//! Prints the URL of its list of files on stdout (one line, for scripts),
//! then serves until Ctrl-C or `--for` runs out. `--write DIR` writes the
//! regular files into a folder instead, for a folder run.

use crate::signals;
use anyhow::{Context, Result};
use cli::human;
use logsite::{LogSite, LogSiteConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What to serve, and for how long.
#[derive(Clone, Debug)]
pub struct ServeArgs {
    /// The files and the server's manners.
    pub site: LogSiteConfig,
    /// Stop after this long (default: until Ctrl-C).
    pub duration: Option<Duration>,
    /// Write the regular files into this folder and stop.
    pub write: Option<PathBuf>,
}

/// Serve, or write, as asked.
pub fn serve(args: &ServeArgs, out: &cli::Output) -> Result<cli::Finished> {
    let config = &args.site;
    let site = LogSite::start(config.clone());
    if let Some(dir) = &args.write {
        site.write_to_dir(dir)
            .with_context(|| format!("writing the logs into {}", dir.display()))?;
        println!(
            "{} written to {}",
            human::count(config.files, "log file", "log files"),
            dir.display()
        );
        out.note(format_args!(
            "next: pipeline --input {} --db logs.db",
            dir.display()
        ));
        return Ok(cli::Finished::Clean);
    }
    let stop = CancellationToken::new();
    // One signal is enough to stop a server: it has nothing to commit.
    signals::cancel_on_signal(stop.clone(), |_| {})?;
    println!("{}", site.index_url());
    out.note(format_args!(
        "serving {} ({} latency{}, {} traps) until Ctrl-C{}; next: pipeline --input {} --db logs.db",
        human::count(site.files().len(), "log file", "log files"),
        human::duration(config.latency),
        config
            .bandwidth
            .map_or(String::new(), |b| format!(", {}/s each", human::bytes(b))),
        config.traps.len(),
        args.duration
            .map_or(String::new(), |d| format!(" or {}", human::duration(d))),
        site.index_url()
    ));
    let began = Instant::now();
    while !stop.is_cancelled() && args.duration.is_none_or(|d| began.elapsed() < d) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stats = site.stats();
    out.note(format_args!(
        "served {} (at most {} at once)",
        human::count(stats.requests, "request", "requests"),
        stats.peak_in_flight
    ));
    Ok(cli::Finished::Clean)
}
