//! `cargo run -p crawler`: a bounded, polite, concurrent web crawler.
//!
//! ```text
//! cargo run -p crawler                                  # local site, every strategy compared
//! cargo run -p crawler -- --latency 50ms --pages 2000   # a slower, bigger local site
//! cargo run -p crawler -- https://example.org/ --out pages.jsonl
//! cargo run -p crawler -- serve --latency 20ms          # the local site, for curl or other crawlers
//! cargo xtask run crawler --mine                        # the same, on your exercise code
//! ```

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use crawler::kata::Options;
use crawler::{Comparison, Strategy};
use site::{Hostile, Latency, Site, SiteConfig};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

#[derive(Debug, Parser)]
#[command(
    name = "crawler",
    about = "A bounded, polite, concurrent web crawler",
    long_about = "Without a URL: starts a generated site on 127.0.0.1 (1000 pages, 20 ms per \
                  request) and crawls it sequentially, with a pool of threads and with async \
                  tasks, then compares them. With a URL: crawls that site, staying on it, \
                  obeying its robots.txt, and prints a summary (and, with --out, one JSON line \
                  per page).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    crawl: CrawlArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the generated local site (or a folder) on 127.0.0.1 until interrupted; prints its URL
    /// first.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct CrawlArgs {
    /// The site to crawl (http or https). Without it, the local comparison runs.
    url: Option<Url>,
    /// How to crawl; with a URL one strategy (default async), without one a list (default all
    /// three).
    #[arg(long, value_enum, value_delimiter = ',')]
    strategy: Vec<Strategy>,
    /// Requests in flight at once for async (default 8 on a real site, 64 locally), and threads
    /// for the threaded crawler on a real site.
    #[arg(short, long, value_parser = at_least_one())]
    concurrency: Option<usize>,
    /// Worker threads for the threaded crawler in the local comparison.
    #[arg(long, default_value_t = 16, value_parser = at_least_one())]
    threads: usize,
    /// At most this many requests to one host at once (async; default: the concurrency).
    #[arg(long, value_parser = at_least_one())]
    per_host: Option<usize>,
    /// Fetch at most this many URLs [default: 100000; locally, twice the site's pages, which
    /// stops the link trap].
    #[arg(long, value_parser = at_least_one())]
    max_pages: Option<usize>,
    /// Follow links at most this deep (the start page is 0).
    #[arg(long)]
    max_depth: Option<usize>,
    /// Give up on a request after this long, e.g. 500ms [default: 10s; locally with hostile
    /// pages, 1s, so the slow drip does not hold the comparison up].
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Retries after a 5xx answer or a timeout (async).
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Read at most this many bytes of one page.
    #[arg(long, default_value_t = 8 << 20)]
    max_body: u64,
    /// The User-Agent sent, and matched against robots.txt.
    #[arg(long)]
    user_agent: Option<String>,
    /// Do not fetch or obey robots.txt (only for sites you run yourself).
    #[arg(long)]
    ignore_robots: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// With a URL: write one JSON line per page (url, depth, status, bytes, html, links, ms,
    /// error) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Local comparison: pages on the generated site.
    #[arg(long, default_value_t = 1000, value_parser = at_least_one())]
    pages: usize,
    /// Local comparison: latency of each request (0, 20ms, 5ms..40ms uniform, 20ms~0.5
    /// log-normal).
    #[arg(long, default_value = "20ms")]
    latency: Latency,
    /// Local comparison: hostile pages to add (trap, redirect-loop, huge-page, slow-drip,
    /// error-pages, flaky, non-html, invalid-utf8, robots, or all).
    #[arg(long, value_delimiter = ',', value_parser = parse_hostile)]
    hostile: Vec<Vec<Hostile>>,
    /// Local comparison: the seed the site is generated from.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Serve this folder (e.g. a documentation site) instead of the generated site.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Pages on the generated site.
    #[arg(long, default_value_t = 1000, value_parser = at_least_one())]
    pages: usize,
    /// Latency of each request.
    #[arg(long, default_value = "0")]
    latency: Latency,
    /// Hostile pages to add (or all).
    #[arg(long, value_delimiter = ',', value_parser = parse_hostile)]
    hostile: Vec<Vec<Hostile>>,
    /// The seed the site is generated from.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// A count of at least 1: zero threads or pages would crawl nothing.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let latency: Latency = text.parse().map_err(|e| format!("{e}"))?;
    match latency {
        Latency::None => Err("a timeout of 0 would fail every request".into()),
        Latency::Fixed(d) if d.is_zero() => Err("a timeout of 0 would fail every request".into()),
        Latency::Fixed(d) => Ok(d),
        _ => Err(format!(
            "{text:?} is not a single duration (like 10s or 500ms)"
        )),
    }
}

fn parse_hostile(text: &str) -> Result<Vec<Hostile>, String> {
    if text == "all" {
        return Ok(Hostile::ALL.to_vec());
    }
    text.parse::<Hostile>()
        .map(|h| vec![h])
        .map_err(|e| format!("{e}"))
}

fn main() -> std::process::ExitCode {
    // Warnings (robots.txt unreadable, ...) are shown by default;
    // RUST_LOG=info or debug for more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::builder()
                .with_default_directive(tracing::level_filters::LevelFilter::WARN.into())
                .from_env_lossy(),
        )
        .with_writer(std::io::stderr)
        .init();
    // 0 done, 1 pages failed or were missed (each reported), 2 could not
    // crawl (bad arguments, a site that cannot be started).
    cli::exit(run(Cli::parse()))
}

fn run(cli: Cli) -> Result<cli::Finished> {
    match cli.command {
        Some(Command::Serve(args)) => serve(args),
        None => match cli.crawl.url.clone() {
            Some(url) => crawl_site(&cli.crawl, url),
            None => compare(&cli.crawl),
        },
    }
}

fn options(args: &CrawlArgs, concurrency: usize) -> Options {
    let defaults = Options::default();
    let local = args.url.is_none();
    Options {
        concurrency,
        per_host: args.per_host.unwrap_or(concurrency),
        max_pages: args.max_pages.unwrap_or(if local {
            args.pages.saturating_mul(2)
        } else {
            100_000
        }),
        max_depth: args.max_depth.unwrap_or(usize::MAX),
        timeout: args
            .timeout
            .unwrap_or(if local && !args.hostile.is_empty() {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(10)
            }),
        retries: args.retries,
        max_body: args.max_body,
        user_agent: args
            .user_agent
            .clone()
            .unwrap_or(defaults.user_agent.clone()),
        obey_robots: !args.ignore_robots,
        ..defaults
    }
}

/// The strategies side by side on the local site. A page that failed there
/// is the point of a `--hostile` run, not a failure of the comparison; a
/// strategy that did not find every page of a well-behaved site is.
fn compare(args: &CrawlArgs) -> Result<cli::Finished> {
    let strategies = if args.strategy.is_empty() {
        vec![Strategy::Sequential, Strategy::Threads, Strategy::Async]
    } else {
        args.strategy.clone()
    };
    let tasks = args.concurrency.unwrap_or(64);
    let site = SiteConfig {
        pages: args.pages,
        seed: args.seed,
        latency: args.latency,
        hostile: args.hostile.concat(),
        ..SiteConfig::default()
    };
    let plan = Comparison {
        site,
        strategies,
        threads: args.threads,
        tasks,
        options: options(args, tasks),
        progress: !args.json,
    };
    if !args.json {
        eprintln!(
            "Crawling a generated site of {} pages on 127.0.0.1 ({} per request) with {}.",
            args.pages,
            describe(args.latency),
            crawler::SUBJECT
        );
    }
    let (outcomes, site) = crawler::compare(&plan)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
        return Ok(cli::Finished::Clean);
    }
    print!("{}", crawler::table(&outcomes));
    let expected = site.pages().len();
    let mut missed = false;
    for outcome in &outcomes {
        if let Some(failed) = crawler::failure_summary(outcome) {
            println!("{}: {failed}", outcome.strategy.name());
        }
        if args.hostile.is_empty() && outcome.ok < expected.min(plan.options.max_pages) {
            missed = true;
            println!(
                "{}: found {} of the site's {expected} pages",
                outcome.strategy.name(),
                outcome.ok
            );
        }
    }
    if cfg!(debug_assertions) {
        let release = if cfg!(feature = "mine") {
            "cargo xtask run crawler --mine --release"
        } else {
            "cargo run --release -p crawler"
        };
        println!("(a debug build: `{release}` for figures worth comparing)");
    }
    Ok(cli::Finished::with_failures(missed))
}

fn describe(latency: Latency) -> String {
    match latency {
        Latency::None => "no added latency".into(),
        other => other.to_string(),
    }
}

fn crawl_site(args: &CrawlArgs, url: Url) -> Result<cli::Finished> {
    let strategy = match args.strategy.as_slice() {
        [] => Strategy::Async,
        [one] => *one,
        _ => bail!("with a URL, give one --strategy"),
    };
    let options = options(args, args.concurrency.unwrap_or(8));
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        crawler::progress(strategy.name(), None)
    };
    let (report, wall) = crawler::crawl(strategy, &url, &options, &bar)?;
    if report.pages.is_empty() {
        bail!(
            "nothing was fetched: the site's robots.txt disallows {url}, or could not be read \
             (see the warning above); for a site you run yourself, --ignore-robots"
        );
    }
    if let Some(path) = &args.out {
        crawler::write_report(path, &report)?;
    }
    let outcome = crawler::summarise(strategy, &options, &report, wall);
    let failed = crawler::failure_summary(&outcome);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", crawler::table(std::slice::from_ref(&outcome)));
        if let Some(failed) = &failed {
            println!("failures: {failed}");
        }
        if let Some(path) = &args.out {
            println!("report: {} ({} lines)", path.display(), report.pages.len());
        }
    }
    // Like wget: pages that could not be fetched make the exit status 1.
    Ok(cli::Finished::with_failures(failed.is_some()))
}

fn serve(args: ServeArgs) -> Result<cli::Finished> {
    let site = match &args.dir {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("{} is not a folder", dir.display());
            }
            Site::serve_dir(dir, args.latency)
                .with_context(|| format!("cannot serve {}", dir.display()))?
        }
        None => Site::start(SiteConfig {
            pages: args.pages,
            seed: args.seed,
            latency: args.latency,
            hostile: args.hostile.concat(),
            ..SiteConfig::default()
        }),
    };
    // The URL alone on the first line, for scripts (the benchmark reads it).
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", site.root())?;
    stdout.flush()?;
    drop(stdout);
    eprintln!("serving until interrupted (Ctrl-C)");
    loop {
        std::thread::park();
    }
}
