//! `cargo run -p pipeline`: async downloads feeding CPU work on every core
//! into SQLite.
//!
//! ```text
//! cargo run -p pipeline                                   # 200 generated logs, four strategies compared
//! cargo run -p pipeline --release -- --latency-ms 0 --bandwidth 0   # CPU-bound: where the work runs matters most
//! cargo run -p pipeline --release -- --input urls.txt --db logs.db   # real logs; run again to resume
//! cargo run -p pipeline --release -- --input /var/log/nginx --db logs.db --json
//! cargo run -p pipeline -- report --db logs.db            # top paths, error rates, latency percentiles
//! cargo run -p pipeline -- serve --files 500              # the log server alone, for other tools
//! cargo xtask run pipeline --mine                         # the same, on your exercise code
//! ```

use anyhow::Result;
use clap::{Args, CommandFactory, Parser, Subcommand};
use logsite::{LogSiteConfig, Trap};
use pipeline::kata::Options;
use pipeline::{Comparison, RealRun, ReportArgs, ServeArgs, Setup, Strategy};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

// Counts live heap bytes, for the "peak heap" column: what a strategy held
// at once, whatever the allocator keeps cached.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

#[derive(Debug, Parser)]
#[command(
    name = "pipeline",
    version,
    propagate_version = true,
    about = "Async downloads feeding CPU work on every core into SQLite (tokio + rayon)",
    long_about = "Without --input: starts a local server of generated access logs (200 files by \
                  default), times each stage alone, then runs four strategies — sequential, CPU \
                  work on the async runtime, unbounded spawn_blocking, and the pipeline (tokio \
                  downloads → rayon pool → one SQLite writer, bounded channels) — each into its \
                  own database, checks that every database holds the same answers, and compares \
                  wall time, files/s, MB/s parsed, cores used, peak threads and peak heap. With \
                  --input and --db: runs the pipeline over a folder of logs, a file listing URLs \
                  or the URL of such a list, into the database; a second run does only what is \
                  missing, and Ctrl-C commits what finished. Exit status: 0 all done, 1 some \
                  inputs failed (each listed, and recorded in the database) or the strategies' \
                  databases differ, 2 could not run or interrupted.",
    after_help = "Shell completions: `pipeline completions bash` (or zsh, fish, elvish, \
                  powershell) prints the script.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    common: cli::Common,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print what a database holds: totals, failed inputs, the busiest paths (error rates,
    /// latency percentiles) and clients.
    Report {
        /// The database a run wrote.
        #[arg(long)]
        db: PathBuf,
        /// How many paths and clients to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Serve generated access logs on 127.0.0.1 (prints the URL of their list), or write them
    /// into a folder.
    Serve {
        #[command(flatten)]
        site: SiteArgs,
        /// Stop after this many seconds [default: at Ctrl-C].
        #[arg(long = "for", value_name = "SECONDS")]
        duration: Option<f64>,
        /// Write the regular files into this folder and stop, instead of serving.
        #[arg(long)]
        write: Option<PathBuf>,
    },
    /// Print the completion script of a shell.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// A folder of logs, a file listing URLs (one per line), or an http(s):// URL of such a
    /// list. Without it, the comparison runs on generated logs.
    #[arg(long, requires = "db")]
    input: Option<String>,
    /// The database to fill (created if missing; a re-run skips what it holds as done).
    #[arg(long)]
    db: Option<PathBuf>,
    /// Downloads in flight at most.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    downloads: u16,
    /// Threads of the CPU pool (and of the async runtime) [default: every core].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: Option<u16>,
    /// Capacity of each channel between two stages.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=4096))]
    capacity: u16,
    /// Files per transaction, at most.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=4096))]
    batch: u16,
    /// Give up on a download after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Which strategies the comparison runs [default: all].
    #[arg(long, value_enum, value_delimiter = ',', conflicts_with = "input")]
    strategy: Vec<Strategy>,
    #[command(flatten)]
    site: SiteArgs,
}

/// The generated logs and the server's manners (the comparison and `serve`).
#[derive(Debug, Args)]
struct SiteArgs {
    /// How many log files.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    files: u32,
    /// Lines per file.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    lines: u32,
    /// Wait before each response, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Bytes per second per response (a download of a few hundred kilobytes takes tens of
    /// milliseconds, as over a real network); 0 = as fast as loopback goes.
    #[arg(long, default_value_t = 5_000_000)]
    bandwidth: u64,
    /// Add files that fail on purpose: 500, hang, corrupt, truncated, stall, or all (a hang and
    /// a stall each last until --timeout: set a short one, `--timeout 2`).
    #[arg(long, value_delimiter = ',', value_parser = parse_trap)]
    traps: Vec<TrapChoice>,
    /// Seed of the logs: the same seed always gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// One `--traps` word.
#[derive(Clone, Debug)]
enum TrapChoice {
    All,
    One(Trap),
}

fn parse_trap(text: &str) -> Result<TrapChoice, String> {
    if text == "all" {
        return Ok(TrapChoice::All);
    }
    text.parse()
        .map(TrapChoice::One)
        .map_err(|e: logsite::ParseTrapError| e.to_string())
}

impl SiteArgs {
    fn config(&self) -> LogSiteConfig {
        let mut traps: Vec<Trap> = Vec::new();
        for choice in &self.traps {
            match choice {
                TrapChoice::All => traps.extend(Trap::ALL),
                TrapChoice::One(trap) => traps.push(*trap),
            }
        }
        traps.sort();
        traps.dedup();
        let mut config = LogSiteConfig::files(self.files as usize)
            .with_lines(self.lines as usize)
            .with_seed(self.seed)
            .with_latency(Duration::from_millis(self.latency_ms))
            .with_traps(&traps);
        if self.bandwidth > 0 {
            config = config.with_bandwidth(self.bandwidth);
        }
        config
    }
}

impl RunArgs {
    fn setup(&self) -> Result<Setup> {
        if !(self.timeout > 0.0 && self.timeout.is_finite()) {
            anyhow::bail!("--timeout must be a positive number of seconds");
        }
        let threads = self
            .workers
            .map_or_else(harness::cpu::available_cores, usize::from);
        Ok(Setup {
            options: Options {
                downloads: usize::from(self.downloads),
                // The pool's threads plus a couple waiting: no core waits
                // for work, and little is held beyond that.
                cpu_limit: threads + 2,
                capacity: usize::from(self.capacity),
                batch: usize::from(self.batch),
                timeout: Duration::from_secs_f64(self.timeout),
                meter: Default::default(),
            },
            threads,
        })
    }
}

fn main() -> ExitCode {
    // Built on the learner's code: an unwritten step is explained, not a
    // backtrace.
    #[cfg(feature = "mine")]
    cli::explain_todo_panics();
    let cli = Cli::parse();
    let out = cli.common.init();
    let result = match cli.command {
        Some(Command::Report { db, top, json }) => {
            pipeline::report(&ReportArgs { db, top, json }, &out)
        }
        Some(Command::Serve {
            site,
            duration,
            write,
        }) => serve(&site, duration, write, &out),
        Some(Command::Completions { shell }) => cli::completions(shell, &mut Cli::command())
            .map(|()| cli::Finished::Clean)
            .map_err(Into::into),
        None => {
            // JSON is for a program: no progress, no notes beside it.
            let out = cli::Output {
                quiet: out.quiet || cli.run.json,
                ..out
            };
            run(&cli.run, &out)
        }
    };
    // 0 all done, 1 some inputs failed (each reported), 2 could not run.
    cli::exit(result)
}

fn run(args: &RunArgs, out: &cli::Output) -> Result<cli::Finished> {
    let setup = args.setup()?;
    match (&args.input, &args.db) {
        (Some(input), Some(db)) => pipeline::run_real(
            RealRun {
                input: input.clone(),
                db: db.clone(),
                setup,
                json: args.json,
            },
            out,
        ),
        (None, Some(_)) => {
            anyhow::bail!("--db needs --input (the comparison writes into a temporary folder)")
        }
        _ => pipeline::compare(
            Comparison {
                site: args.site.config(),
                setup,
                strategies: args.strategy.clone(),
                json: args.json,
            },
            out,
        ),
    }
}

fn serve(
    site: &SiteArgs,
    duration: Option<f64>,
    write: Option<PathBuf>,
    out: &cli::Output,
) -> Result<cli::Finished> {
    let duration = match duration {
        Some(s) if s > 0.0 && s.is_finite() => Some(Duration::from_secs_f64(s)),
        Some(_) => anyhow::bail!("--for must be a positive number of seconds"),
        None => None,
    };
    pipeline::serve(
        &ServeArgs {
            site: site.config(),
            duration,
            write,
        },
        out,
    )
}
