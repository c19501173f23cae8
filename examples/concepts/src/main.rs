//! `cargo run -p concepts`: the lessons behind "when to use what", each
//! measured on this machine and printed as a small table.
//!
//! ```text
//! cargo run -p concepts                 # every lesson
//! cargo run -p concepts -- gil          # one lesson
//! cargo run -p concepts -- gil --runs 5 # five runs of each strategy: median and spread
//! cargo run -p concepts -- gil --python # beside CPython's threads and processes
//! cargo run -p concepts -- --json       # machine-readable, every run
//! cargo xtask run concepts --mine       # the same, on your exercise code
//! ```

use anyhow::{Result, bail};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use cli::human::{count, millis, times};
use concepts::Lesson;
use indicatif::ProgressBar;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "concepts",
    version,
    propagate_version = true,
    about = "The lessons behind the concurrency decision table, measured on this machine",
    long_about = "Runs each lesson several ways — the serial baseline beside the concurrent \
                  versions — and prints wall time, speed-up, cores used and the lesson's own \
                  figure, all measured in this run. A figure beyond what it can physically be \
                  (more cores used than there are CPUs) is flagged as a wrong measurement, and \
                  the run exits with 1. Build with --release for figures worth comparing \
                  between machines.",
    after_help = "Examples:\n  \
                  concepts                          every lesson, one run of each strategy\n  \
                  concepts processes --runs 3       three runs of each: the median and the spread\n  \
                  concepts gil --python             CPython's threads and processes beside Rust's\n  \
                  concepts --json                   every run's figures, as JSON\n  \
                  concepts completions bash         shell completions (bash, zsh, fish, elvish, powershell)\n\n\
                  Exit codes: 0 done, 1 a figure over its bound (marked in its table), 2 could not run.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Which lessons to run (default: all).
    #[arg(value_enum)]
    lessons: Vec<Which>,
    /// Print the tables as JSON instead of text (with every run's figures).
    #[arg(long)]
    json: bool,
    /// Run each lesson's strategies this many times (round by round); the table shows the median
    /// run and the spread of wall times, --json every run.
    #[arg(long, default_value_t = 1, value_parser = at_least_one())]
    runs: usize,
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
    #[arg(long, default_value_t = 50, value_parser = at_least_one())]
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
    #[command(flatten)]
    common: cli::Common,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// A count of at least 1.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
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

impl Which {
    /// The name on the command line (and of the lesson's chapter).
    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// Counts live heap bytes, for the `overhead` lesson's tasks.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

fn main() -> std::process::ExitCode {
    // Built on the learner's code: an unwritten step is explained, not a
    // backtrace.
    #[cfg(feature = "mine")]
    cli::explain_todo_panics();
    // The `gil`, `processes` and `overhead` lessons re-execute this program
    // as workers: those runs do their share and nothing else (no argument
    // parsing, no logs), before anything below.
    if let Some(result) = worker() {
        return cli::exit(result.map(|()| cli::Finished::Clean));
    }
    let cli = Cli::parse();
    // Logs on stderr (warnings by default, errors only with --quiet,
    // RUST_LOG for more), without escape codes off a terminal.
    let out = cli.common.init();
    // 0 done, 1 a figure over its bound (a wrong measurement, marked in its
    // table), 2 could not run (bad arguments, a lesson that failed).
    cli::exit(run(&cli, &out))
}

/// Be a worker, if the arguments ask for one.
fn worker() -> Option<Result<()>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == concepts::overhead::IDLE_WORKER {
        return Some(concepts::overhead::run_idle_worker().map_err(Into::into));
    }
    if args == concepts::processes::SUM_WORKER {
        return Some(concepts::processes::run_sum_worker().map_err(Into::into));
    }
    if let Some(result) = concepts::processes::run_shared_worker(&args) {
        return Some(result.map_err(anyhow::Error::msg));
    }
    if let Some(result) = concepts::gil::run_worker(&args) {
        return Some(
            result
                .map(|count| println!("{count}"))
                .map_err(anyhow::Error::msg),
        );
    }
    None
}

fn run(cli: &Cli, out: &cli::Output) -> Result<cli::Finished> {
    if let Some(Command::Completions { shell }) = cli.command {
        cli::completions(shell, &mut Cli::command())?;
        return Ok(cli::Finished::Clean);
    }
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
    out.note(format_args!(
        "running {} on {}, {} of each strategy",
        count(which.len(), "lesson", "lessons"),
        concepts::SUBJECT,
        count(cli.runs, "run", "runs")
    ));
    let unit = if cli.runs == 1 {
        "lessons"
    } else {
        "lesson runs"
    };
    let bar = cli::progress::Progress::new("concepts", unit, Some((which.len() * cli.runs) as u64))
        .start(out);
    // No ticking thread: it would draw (and burn CPU, a few ms a second in
    // a debug build) inside the windows the lessons measure, and a serial
    // row would show more than one core. The bar is drawn between runs, by
    // this thread, as it advances.
    bar.disable_steady_tick();
    let mut lessons = Vec::new();
    for &lesson in &which {
        let name = lesson.name();
        bar.set_message(name.clone());
        tracing::info!(lesson = name.as_str(), runs = cli.runs, "running");
        let mut runs = Vec::with_capacity(cli.runs);
        for _ in 0..cli.runs {
            runs.push(run_lesson(lesson, cli, &bar)?);
            bar.inc(1);
        }
        let measured = concepts::merge(runs);
        if !cli.json {
            bar.suspend(|| print!("{}", render(&measured)));
        }
        lessons.push(measured);
    }
    bar.finish_and_clear();
    let cores = harness::cpu::available_cores();
    let cpus = concepts::measure::cpus();
    if cli.json {
        let report = serde_json::json!({
            "subject": concepts::SUBJECT,
            "cores": cores,
            "cpus": cpus,
            "runs": cli.runs,
            "lessons": lessons,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    let flagged: Vec<&Lesson> = lessons
        .iter()
        .filter(|l| l.rows.iter().any(|r| !r.over_bound.is_empty()))
        .collect();
    let rows_flagged = lessons
        .iter()
        .flat_map(|l| &l.rows)
        .filter(|r| !r.over_bound.is_empty())
        .count();
    if !cli.json {
        let quota = if cpus > cores {
            format!(
                " (a CPU quota over {}: a short row may briefly use more)",
                count(cpus, "CPU", "CPUs")
            )
        } else {
            String::new()
        };
        let build = if cfg!(debug_assertions) {
            "; a debug build: slower, and for CPU-heavy lessons noisier between runs (add \
             --release for steady ratios)"
        } else {
            ""
        };
        out.note(format_args!(
            "measured on {}{quota}, in this run{build}",
            count(cores, "core", "cores")
        ));
        out.note(format_args!(
            "next: {}",
            next_step(&which, &flagged, rows_flagged)
        ));
    } else if rows_flagged > 0 {
        // The rows say what (`over_bound`); this says why the exit code is 1.
        out.note(format_args!(
            "{} a figure over its bound (see `over_bound`): not a valid measurement",
            count(rows_flagged, "row has", "rows have")
        ));
    }
    Ok(cli::Finished::with_failures(rows_flagged > 0))
}

/// What to do after this run, in one line.
fn next_step(which: &[Which], flagged: &[&Lesson], rows_flagged: usize) -> String {
    if let Some(first) = flagged.first() {
        return format!(
            "{} {} a figure over its bound (marked in its table), not a valid measurement: \
             measure again on a quieter machine, e.g. cargo run -p concepts -- {} --runs 3",
            count(rows_flagged, "row", "rows"),
            if rows_flagged == 1 { "has" } else { "have" },
            first.name
        );
    }
    match which {
        [one] => format!(
            "book/src/lessons/{}.md — the chapter behind this lesson; then cargo xtask grade \
             concepts — its exercises",
            one.name()
        ),
        _ => "cargo xtask grade concepts — the exercises behind these lessons".to_owned(),
    }
}

/// One run of one lesson.
fn run_lesson(lesson: Which, cli: &Cli, bar: &ProgressBar) -> Result<Lesson> {
    Ok(match lesson {
        Which::Gil => gil(cli, bar)?,
        Which::Io => io(cli, bar),
        Which::Overhead => overhead(cli, bar)?,
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
    })
}

/// A lesson's table as text: its question, the table, the takeaway.
fn render(lesson: &Lesson) -> String {
    let several = lesson.runs > 1;
    let mut header = vec!["strategy", "wall"];
    if several {
        header.push("spread");
    }
    header.extend(["speed-up", "cores used", "detail"]);
    let figures = if several { 1..5 } else { 1..4 };
    let mut table = cli::table::Table::new(header).numeric(figures);
    for row in &lesson.rows {
        let mut cells = vec![row.strategy.clone(), millis(row.wall_ms)];
        if several {
            cells.push(spread(row.wall_min_ms, row.wall_max_ms));
        }
        cells.push(row.speedup.map_or_else(|| "—".to_owned(), times));
        cells.push(format!("{:.2}", row.cores_used));
        let mut detail = row.detail.clone();
        if !row.over_bound.is_empty() {
            // Reported here, once, in the row it concerns; the run's exit
            // code (1) and its last line say that there is one.
            detail = format!(
                "{detail}; OVER ITS BOUND, not a valid measurement: {}",
                row.over_bound.join("; ")
            );
        }
        cells.push(detail);
        table.row(cells);
    }
    let runs = if several {
        format!(
            " (median of {}; spread: fastest–slowest)",
            count(lesson.runs, "run", "runs")
        )
    } else {
        String::new()
    };
    format!(
        "\n{} — {}{runs}\n{table}→ {}\n",
        lesson.name, lesson.question, lesson.takeaway
    )
}

/// "139–151 ms": the fastest and the slowest run, one unit when they share
/// it.
fn spread(min_ms: f64, max_ms: f64) -> String {
    let (low, high) = (millis(min_ms), millis(max_ms));
    let simple = |text: &str| {
        text.split_once(' ')
            .filter(|(_, unit)| ["µs", "ms", "s"].contains(unit))
            .map(|(n, unit)| (n.to_owned(), unit.to_owned()))
    };
    match (simple(&low), simple(&high)) {
        (Some((a, u)), Some((b, v))) if u == v => format!("{a}–{b} {u}"),
        _ => format!("{low}–{high}"),
    }
}

/// The `gil` lesson, with CPython's rows appended when asked for.
fn gil(cli: &Cli, bar: &ProgressBar) -> Result<Lesson> {
    let exe = std::env::current_exe()?;
    let mut lesson = concepts::gil::lesson(cli.limit, &exe).map_err(anyhow::Error::msg)?;
    if cli.python {
        let workers = harness::cpu::available_cores();
        with_python(
            &mut lesson,
            concepts::gil::python(cli.python_limit, workers),
            bar,
        );
    }
    Ok(lesson)
}

/// The `io` lesson, with CPython's rows appended when asked for.
fn io(cli: &Cli, bar: &ProgressBar) -> Lesson {
    let latency = Duration::from_millis(cli.latency_ms);
    let mut lesson = concepts::io::lesson(cli.requests, cli.workers, latency);
    if cli.python {
        with_python(
            &mut lesson,
            concepts::io::python(cli.requests, cli.workers, latency),
            bar,
        );
    }
    lesson
}

/// The `overhead` lesson, with CPython's rows appended when asked for.
fn overhead(cli: &Cli, bar: &ProgressBar) -> Result<Lesson> {
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
        with_python(
            &mut lesson,
            concepts::overhead::python(&cli.units, &fewest),
            bar,
        );
    }
    Ok(lesson)
}

/// Add CPython's rows to a lesson, or warn why they are missing.
fn with_python(lesson: &mut Lesson, rows: Result<Vec<concepts::Row>, String>, bar: &ProgressBar) {
    match rows {
        Ok(rows) => lesson.rows.extend(rows),
        Err(why) => bar.suspend(|| tracing::warn!("skipping the Python comparison: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_shares_its_unit_when_it_can() {
        assert_eq!(spread(139.2, 151.0), "139–151 ms");
        assert_eq!(spread(950.0, 1250.0), "950 ms–1.25 s");
    }

    #[test]
    fn the_next_step_names_the_chapter_of_one_lesson() {
        assert!(
            next_step(&[Which::Processes], &[], 0).starts_with("book/src/lessons/processes.md")
        );
        assert!(
            next_step(&[Which::Gil, Which::Io], &[], 0).starts_with("cargo xtask grade concepts")
        );
    }
}
