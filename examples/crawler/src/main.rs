//! `cargo run -p crawler`: a bounded, polite, concurrent web crawler.
//!
//! ```text
//! cargo run -p crawler                                  # local site: threads and async at equal limits
//! cargo run -p crawler -- --strategy threads,async -c 64 --runs 5  # five runs each, median and spread
//! cargo run -p crawler -- --latency 50ms --pages 2000   # a slower, bigger local site
//! cargo run -p crawler -- https://example.org/ --out pages.jsonl
//! cargo run -p crawler -- serve --latency 20ms          # the local site, for curl or other crawlers
//! cargo xtask run crawler --mine                        # the same, on your exercise code
//! ```
//!
//! The binary counts its own threads and heap (`harness::threads`,
//! `harness::alloc`), so that the comparison can show what each strategy
//! costs beside how fast it is.

use anyhow::{Context, Result, bail};
use clap::{Args, CommandFactory, Parser, Subcommand};
use cli::human;
use crawler::kata::Options;
use crawler::{Comparison, Outcome, Strategy};
use site::{Hostile, Latency, Site, SiteConfig};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

// Every thread the program starts goes through this binary's own
// `pthread_create`, which counts it: the "threads" column.
harness::observe_threads!();

/// Counts live heap bytes: the "peak heap" column. Two relaxed atomic
/// additions per allocation, nothing a crawl waiting on the network notices.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

/// The limits compared when neither `--threads` nor `--concurrency` is
/// given: the threaded crawler's usual pool, and the async crawler's usual
/// bound, each for both, so that every row has a partner at its limit.
const DEFAULT_LIMITS: [usize; 2] = [16, 64];

#[derive(Debug, Parser)]
#[command(
    name = "crawler",
    version,
    propagate_version = true,
    about = "A bounded, polite, concurrent web crawler",
    long_about = "Without a URL: starts a generated site on 127.0.0.1 (1000 pages, 20 ms per \
                  request) and crawls it sequentially, then with a pool of threads and with \
                  async tasks at the same limits (16 and 64 in flight), and compares them: \
                  pages/s, speed-up over sequential, peak requests in flight, the threads \
                  each crawl ran on, its peak heap (the local site's included: it serves \
                  from the same process) and its CPU time (the site's left out), then one \
                  line on what this run's figures say. With a URL: \
                  crawls that site, staying on it, obeying its robots.txt, and prints a \
                  summary (and, with --out, one JSON line per page).",
    after_help = "Examples:\n  \
                  crawler                                          threads and async at 16 and 64, beside sequential\n  \
                  crawler --strategy threads,async --threads 1024  where a thread per request stops paying\n  \
                  crawler --strategy threads,async -c 64 --runs 5  five runs of each, median and spread\n  \
                  crawler https://example.org/ --max-pages 50 --out pages.jsonl\n  \
                  crawler serve --latency 20ms                     the local site alone, until Ctrl-C\n  \
                  crawler completions bash                         shell completions (bash, zsh, fish, elvish, powershell)",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    crawl: CrawlArgs,
    #[command(flatten)]
    common: cli::Common,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the generated local site (or a folder) on 127.0.0.1 until interrupted; prints its URL
    /// first.
    Serve(ServeArgs),
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
struct CrawlArgs {
    /// The site to crawl (http or https). Without it, the local comparison runs.
    url: Option<Url>,
    /// How to crawl; with a URL one strategy (default async), without one a list (default all
    /// three).
    #[arg(long, value_enum, value_delimiter = ',')]
    strategy: Vec<Strategy>,
    /// Requests in flight at once for async, one limit or a list (16,64) [default: locally, the
    /// --threads list, or 16,64 when neither is given, so that threads and async compare at
    /// equal limits; with a URL, one value, 8, the limit of any strategy].
    #[arg(short, long, value_delimiter = ',', value_name = "N,...", value_parser = at_least_one())]
    concurrency: Vec<usize>,
    /// Worker threads for the threaded crawler, one or a list (16,64) [default: locally, the
    /// --concurrency list, or 16,64 when neither is given; with a URL, --concurrency].
    #[arg(long, value_delimiter = ',', value_name = "N,...", value_parser = at_least_one())]
    threads: Vec<usize>,
    /// Local comparison: crawl with each strategy this many times; the table shows the median
    /// run and the range of pages/s, --json every run.
    #[arg(long, default_value_t = 1, value_parser = at_least_one())]
    runs: usize,
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
    /// Read at most this much of one page: bytes, or with a unit (500kB, 8MiB, 1GB).
    #[arg(long, default_value = "8MiB", value_parser = parse_bytes)]
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
            "`{text}` is not a single duration (like 10s or 500ms)"
        )),
    }
}

/// A size: `8388608`, `500kB`, `8MiB`, `1GB` (kB, MB, GB in thousands;
/// KiB, MiB, GiB in 1024s).
fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size (like 8MiB or 500kB)"))?;
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "kB" | "KB" | "k" => 1_000,
        "MB" | "M" => 1_000_000,
        "GB" | "G" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "{other:?} is not a unit of size (B, kB, MB, GB, KiB, MiB, GiB)"
            ));
        }
    };
    number
        .checked_mul(scale)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?}: a size must be more than 0 and fit in 64 bits"))
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
    // Built on the learner's code: an unwritten step is explained, not a
    // backtrace.
    #[cfg(feature = "mine")]
    cli::explain_todo_panics();
    let cli = Cli::parse();
    // Logs on stderr, warnings by default (robots.txt unreadable, ...),
    // errors only with --quiet, RUST_LOG=info or debug for more.
    let out = cli.common.init();
    // 0 done, 1 pages failed or were missed (each reported), 2 could not
    // crawl (bad arguments, a site that cannot be started).
    cli::exit(run(cli, &out))
}

fn run(cli: Cli, out: &cli::Output) -> Result<cli::Finished> {
    match cli.command {
        Some(Command::Serve(args)) => serve(args, out),
        Some(Command::Completions { shell }) => {
            cli::completions(shell, &mut Cli::command())?;
            Ok(cli::Finished::Clean)
        }
        None => match cli.crawl.url.clone() {
            Some(url) => crawl_site(&cli.crawl, url, out),
            None => compare(&cli.crawl, out),
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

/// The limits of the local comparison, (threads, async): a list not given
/// is the other's, so that what is compared is the model, not the limit.
fn limits(args: &CrawlArgs) -> (Vec<usize>, Vec<usize>) {
    match (args.threads.is_empty(), args.concurrency.is_empty()) {
        (true, true) => (DEFAULT_LIMITS.to_vec(), DEFAULT_LIMITS.to_vec()),
        (false, true) => (args.threads.clone(), args.threads.clone()),
        (true, false) => (args.concurrency.clone(), args.concurrency.clone()),
        (false, false) => (args.threads.clone(), args.concurrency.clone()),
    }
}

/// The strategies side by side on the local site. A page that failed there
/// is the point of a `--hostile` run, not a failure of the comparison; a
/// strategy that did not find every page of a well-behaved site is.
fn compare(args: &CrawlArgs, out: &cli::Output) -> Result<cli::Finished> {
    let mut strategies = Vec::new();
    for &strategy in &args.strategy {
        if !strategies.contains(&strategy) {
            strategies.push(strategy);
        }
    }
    if strategies.is_empty() {
        strategies = vec![Strategy::Sequential, Strategy::Threads, Strategy::Async];
    }
    let (threads, tasks) = limits(args);
    let rows = crawler::rows(&strategies, &threads, &tasks);
    let site = SiteConfig {
        pages: args.pages,
        seed: args.seed,
        latency: args.latency,
        hostile: args.hostile.concat(),
        ..SiteConfig::default()
    };
    let plan = Comparison {
        site,
        runs: args.runs,
        options: options(args, 1),
        per_host: args.per_host,
        progress: !args.json,
        rows,
    };
    if !args.json {
        let labels: Vec<String> = plan.rows.iter().map(|r| r.label()).collect();
        let runs = if args.runs > 1 {
            format!(", {} runs each", args.runs)
        } else {
            String::new()
        };
        out.note(format_args!(
            "Crawling a generated site of {} on 127.0.0.1 ({} per request) with {}: {}{runs}.",
            cli::human::count(args.pages, "page", "pages"),
            describe(args.latency),
            crawler::SUBJECT,
            labels.join(", "),
        ));
    }
    let (outcomes, site) = crawler::compare(&plan, out)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
        return Ok(cli::Finished::Clean);
    }
    print!("{}", crawler::table(&outcomes));
    let expected = site.pages().len().min(plan.options.max_pages);
    let mut missed = false;
    for outcome in &outcomes {
        if let Some(failed) = crawler::failure_summary(outcome) {
            println!("{}: {failed}", outcome.label);
        }
        // Every run counts: one that missed pages is a bug however fast
        // the median was.
        let fewest = outcome.runs.iter().map(|r| r.ok).min().unwrap_or(0);
        if args.hostile.is_empty() && fewest < expected {
            missed = true;
            println!(
                "{}: found {fewest} of the site's {expected} pages",
                outcome.label
            );
        }
    }
    if let Some(line) = crawler::takeaway(&outcomes) {
        println!("{line}");
    }
    if cfg!(debug_assertions) {
        out.note(format_args!(
            "(a debug build: `{}` for figures worth comparing)",
            release_run("")
        ));
    }
    out.note(format_args!("next: {}", next_after_comparison(&outcomes)));
    Ok(cli::Finished::with_failures(missed))
}

/// This program in a release build, on the reference or on the learner's
/// code as this one is, with `args`.
fn release_run(args: &str) -> String {
    let program = if cfg!(feature = "mine") {
        "cargo xtask run crawler --mine --release"
    } else {
        "cargo run --release -p crawler"
    };
    if args.is_empty() {
        program.to_owned()
    } else {
        format!("{program} -- {args}")
    }
}

/// What to run after a comparison: far more in flight, where a thread per
/// request costs what a task does not, unless this run was that already;
/// then the exercise behind the program.
fn next_after_comparison(outcomes: &[Outcome]) -> String {
    let most = outcomes.iter().map(|o| o.concurrency).max().unwrap_or(1);
    if most < 1024 {
        format!(
            "`{}` shows where a thread per request stops paying",
            release_run("--strategy threads,async --threads 1024 --pages 20000")
        )
    } else {
        "`cargo xtask grade crawler`: write these crawlers yourself, graded on the same site".into()
    }
}

/// A latency in words (its `Display` is the flag's syntax, `20ms~0.5`).
fn describe(latency: Latency) -> String {
    match latency {
        Latency::None => "no added latency".into(),
        Latency::Fixed(d) => human::duration(d),
        Latency::Uniform { min, max } => format!(
            "{} to {}, uniformly",
            human::duration(min),
            human::duration(max)
        ),
        Latency::LogNormal { median, sigma } => format!(
            "a median of {}, log-normal with σ {sigma}",
            human::duration(median)
        ),
    }
}

/// The one limit of a crawl of a real site.
fn one(values: &[usize], flag: &str) -> Result<Option<usize>> {
    match values {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => bail!("with a URL, give one value of {flag}"),
    }
}

fn crawl_site(args: &CrawlArgs, url: Url, out: &cli::Output) -> Result<cli::Finished> {
    let strategy = match args.strategy.as_slice() {
        [] => Strategy::Async,
        [one] => *one,
        _ => bail!("with a URL, give one --strategy"),
    };
    if args.runs > 1 {
        bail!("--runs is for the local comparison: a real site is crawled once");
    }
    let concurrency = one(&args.concurrency, "--concurrency")?;
    let threads = one(&args.threads, "--threads")?;
    let limit = match strategy {
        Strategy::Threads => threads.or(concurrency),
        _ => concurrency,
    };
    let options = options(args, limit.unwrap_or(8));
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        cli::progress::Progress::new(strategy.name(), "pages", None).start(out)
    };
    let (report, probe) = crawler::crawl(strategy, &url, &options, &bar)?;
    if report.pages.is_empty() {
        let why = if out.quiet {
            ""
        } else {
            " (the warning above says which)"
        };
        bail!(
            "nothing was fetched: the site's robots.txt disallows {url}, or could not be \
             read{why}; for a site you run yourself, --ignore-robots"
        );
    }
    if let Some(path) = &args.out {
        crawler::write_report(path, &report)?;
    }
    let outcome = crawler::summarise(strategy, &options, &report, &probe);
    let failed = crawler::failure_summary(&outcome);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", crawler::table(std::slice::from_ref(&outcome)));
        if let Some(failed) = &failed {
            println!("failures: {failed}");
        }
        if let Some(path) = &args.out {
            println!(
                "report: {} ({})",
                path.display(),
                cli::human::count(report.pages.len(), "line", "lines")
            );
        }
        out.note(format_args!(
            "next: {}",
            next_after_crawl(args.out.as_deref(), failed.is_some())
        ));
    }
    // Like wget: pages that could not be fetched make the exit status 1.
    Ok(cli::Finished::with_failures(failed.is_some()))
}

/// What to do after crawling a real site: look at the pages, the failed
/// ones first.
fn next_after_crawl(report: Option<&Path>, failed: bool) -> String {
    match (report, failed) {
        (None, true) => "add `--out pages.jsonl` to see which pages failed, and why".into(),
        (None, false) => "add `--out pages.jsonl` for one JSON line per page".into(),
        (Some(path), true) => format!(
            "`grep '\"error\"' {}` lists the pages that failed, and why",
            path.display()
        ),
        (Some(path), false) => format!(
            "{} holds one JSON line per page (url, depth, status, bytes, html, links, ms)",
            path.display()
        ),
    }
}

fn serve(args: ServeArgs, out: &cli::Output) -> Result<cli::Finished> {
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
    out.note(format_args!(
        "serving until interrupted (Ctrl-C); next, in another terminal: `cargo run -p crawler \
         -- {}`",
        site.root()
    ));
    loop {
        std::thread::park();
    }
}
