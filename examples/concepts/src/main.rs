//! `cargo run -p concepts`: the lessons behind "when to use what", each
//! measured on this machine and printed as a small table.
//!
//! ```text
//! cargo run -p concepts                 # every lesson
//! cargo run -p concepts -- gil          # one lesson
//! cargo run -p concepts -- gil --python # beside CPython's threads and processes
//! cargo run -p concepts -- --json       # machine-readable
//! cargo xtask run concepts --mine       # the same, on your exercise code
//! ```

use anyhow::{Result, bail};
use clap::{Parser, ValueEnum};
use concepts::Lesson;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "concepts",
    about = "The lessons behind the concurrency decision table, measured on this machine",
    long_about = "Runs each lesson several ways — the serial baseline beside the concurrent \
                  versions — and prints wall time, speed-up, cores used and the lesson's own \
                  figure, all measured in this run. Build with --release for figures worth \
                  comparing between machines."
)]
struct Cli {
    /// Which lessons to run (default: all).
    #[arg(value_enum)]
    lessons: Vec<Which>,
    /// Print the tables as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// gil: count the primes below this number.
    #[arg(long, default_value_t = 2_000_000)]
    limit: u64,
    /// gil, io, overhead: also run the lesson's script in python/ with python3, if present, and show
    /// CPython's rows in the same table.
    #[arg(long)]
    python: bool,
    /// gil: the limit for the Python run (CPython is far slower than Rust: compare speed-ups,
    /// not times).
    #[arg(long, default_value_t = 500_000)]
    python_limit: u64,
    /// overhead: how many threads and tasks to keep alive at once (each count in turn).
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 10_000])]
    units: Vec<usize>,
    /// overhead: how many processes (each count in turn; they cost far more).
    #[arg(long, value_delimiter = ',', default_values_t = [100, 1_000])]
    processes: Vec<usize>,
    /// processes: messages sent to a thread and to a process.
    #[arg(long, default_value_t = 200_000)]
    messages: u64,
    /// processes: threads and processes started one after another.
    #[arg(long, default_value_t = 50)]
    starts: usize,
    /// sync, processes: increments per counter thread (or process).
    #[arg(long, default_value_t = 200_000)]
    increments: u64,
    /// sync: items handed from producers to consumers.
    #[arg(long, default_value_t = 200_000)]
    items: u64,
    /// mistakes: items a fast producer sends to a slow consumer.
    #[arg(long, default_value_t = 10_000)]
    backlog_items: usize,
    /// io: threads in the pool.
    #[arg(long, default_value_t = 10)]
    workers: usize,
    /// io, async: how many simulated requests.
    #[arg(long, default_value_t = 50)]
    requests: u32,
    /// io, async: latency of one simulated request, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// mixed: rounds of CPU work.
    #[arg(long, default_value_t = 40_000_000)]
    rounds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
enum Which {
    /// CPU-bound work: threads, a simulated GIL, processes, rayon.
    #[value(alias = "primes")]
    Gil,
    /// Blocking requests: one after another versus a pool of threads.
    Io,
    /// The cost of a thread, a task and a process: start time and memory.
    Overhead,
    /// Mutex versus atomic; Condvar queue versus channels.
    Sync,
    /// Blocking in async, a std Mutex across .await, an unbounded channel.
    Mistakes,
    /// Processes versus threads: messages, shared state, start-up.
    Processes,
    /// One workload on tokio, async-std and smol.
    Runtimes,
    /// Many waits, one by one versus overlapped.
    #[value(alias = "fetch")]
    Async,
    /// CPU work from async code: on the runtime, spawn_blocking, rayon.
    #[value(alias = "offload")]
    Mixed,
}

/// Counts live heap bytes, for the `overhead` lesson's tasks.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

fn main() -> std::process::ExitCode {
    // 0 done, 2 could not run (bad arguments, a lesson that failed to
    // start its workers); the lessons find no failures of their own to
    // report with 1.
    cli::exit(run().map(|()| cli::Finished::Clean))
}

fn run() -> Result<()> {
    // The `gil`, `processes` and `overhead` lessons re-execute this program
    // as workers.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == concepts::overhead::IDLE_WORKER {
        return Ok(concepts::overhead::run_idle_worker()?);
    }
    if args == concepts::processes::SUM_WORKER {
        return Ok(concepts::processes::run_sum_worker()?);
    }
    if let Some(result) = concepts::processes::run_shared_worker(&args) {
        return result.map_err(anyhow::Error::msg);
    }
    if let Some(result) = concepts::gil::run_worker(&args) {
        println!("{}", result.map_err(anyhow::Error::msg)?);
        return Ok(());
    }

    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if cli.requests == 0 || cli.latency_ms == 0 || cli.workers == 0 {
        bail!("--requests, --latency-ms and --workers must be at least 1");
    }
    let which = if cli.lessons.is_empty() {
        vec![
            Which::Gil,
            Which::Io,
            Which::Sync,
            Which::Processes,
            Which::Async,
            Which::Mixed,
            Which::Runtimes,
            Which::Mistakes,
            Which::Overhead,
        ]
    } else {
        cli.lessons.clone()
    };
    if !cli.json {
        println!("running the lessons on {}", concepts::SUBJECT);
    }
    let mut lessons = Vec::new();
    for lesson in which {
        tracing::info!(?lesson, "running");
        let measured = match lesson {
            Which::Gil => gil(&cli)?,
            Which::Io => io(&cli),
            Which::Overhead => overhead(&cli)?,
            Which::Mistakes => concepts::mistakes::lesson(cli.backlog_items),
            Which::Runtimes => concepts::runtimes::lesson(concepts::runtimes::Workload::default())
                .map_err(anyhow::Error::msg)?,
            Which::Processes => {
                let exe = std::env::current_exe()?;
                concepts::processes::lesson(&exe, cli.messages, cli.increments, cli.starts)
                    .map_err(anyhow::Error::msg)?
            }
            Which::Sync => {
                let threads = 2 * harness::cpu::available_cores();
                concepts::sync::lesson(threads, cli.increments, cli.items)
                    .map_err(anyhow::Error::msg)?
            }
            Which::Async => concepts::fetch(cli.requests, Duration::from_millis(cli.latency_ms)),
            Which::Mixed => concepts::mixed(cli.rounds),
        };
        if !cli.json {
            print_lesson(&measured);
        }
        lessons.push(measured);
    }
    if cli.json {
        let report = serde_json::json!({
            "subject": concepts::SUBJECT,
            "cores": harness::cpu::available_cores(),
            "lessons": lessons,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "measured on {} cores; figures are from this run (debug builds are slower and, for \
             CPU-heavy lessons, vary more between runs: add --release for steady ratios)",
            harness::cpu::available_cores()
        );
    }
    Ok(())
}

fn print_lesson(lesson: &Lesson) {
    println!("\n{} — {}", lesson.name, lesson.question);
    println!(
        "  {:<30} {:>10} {:>8} {:>11}  detail",
        "strategy", "wall (ms)", "speedup", "cores used"
    );
    for row in &lesson.rows {
        let speedup = row
            .speedup
            .map_or_else(|| "—".to_owned(), |s| format!("{s:.1}×"));
        println!(
            "  {:<30} {:>10.1} {:>8} {:>11.2}  {}",
            row.strategy, row.wall_ms, speedup, row.cores_used, row.detail
        );
    }
    println!("  → {}", lesson.takeaway);
}

/// The `gil` lesson, with CPython's rows appended when asked for.
fn gil(cli: &Cli) -> Result<Lesson> {
    let exe = std::env::current_exe()?;
    let mut lesson = concepts::gil::lesson(cli.limit, &exe).map_err(anyhow::Error::msg)?;
    if cli.python {
        let workers = harness::cpu::available_cores();
        with_python(
            &mut lesson,
            concepts::gil::python(cli.python_limit, workers),
        );
    }
    Ok(lesson)
}

/// The `io` lesson, with CPython's rows appended when asked for.
fn io(cli: &Cli) -> Lesson {
    let latency = Duration::from_millis(cli.latency_ms);
    let mut lesson = concepts::io::lesson(cli.requests, cli.workers, latency);
    if cli.python {
        with_python(
            &mut lesson,
            concepts::io::python(cli.requests, cli.workers, latency),
        );
    }
    lesson
}

/// The `overhead` lesson, with CPython's rows appended when asked for.
fn overhead(cli: &Cli) -> Result<Lesson> {
    let exe = std::env::current_exe()?;
    let mut lesson = concepts::overhead::lesson(&exe, &cli.units, &cli.processes);
    if cli.python {
        // CPython's processes are slow to start and heavy: only the smallest
        // count, to keep the run short.
        let fewest = cli
            .processes
            .iter()
            .min()
            .copied()
            .into_iter()
            .collect::<Vec<_>>();
        with_python(&mut lesson, concepts::overhead::python(&cli.units, &fewest));
    }
    Ok(lesson)
}

/// Add CPython's rows to a lesson, or say why they are missing.
fn with_python(lesson: &mut Lesson, rows: Result<Vec<concepts::Row>, String>) {
    match rows {
        Ok(rows) => lesson.rows.extend(rows),
        Err(why) => eprintln!("skipping the Python comparison: {why}"),
    }
}
