//! `cargo run -p image-processor`: thumbnail photos on every core.
//!
//! ```text
//! cargo run -p image-processor                          # 100 generated photos, three strategies compared
//! cargo run --release -p image-processor -- --runs 3    # each strategy three times: median and range
//! cargo run -p image-processor --release -- --input ~/Pictures --output /tmp/thumbs --recursive
//! cargo run -p image-processor --release -- --input in --output out --resize 1024x1024 \
//!     --ops sharpen,grayscale --format png --jobs 4 --json
//! cargo run -p image-processor -- --input in --output out --dry-run   # what would be written
//! cargo run -p image-processor -- generate --output /tmp/photos --count 20
//! cargo xtask run image-processor --mine                # the same, on your exercise code
//! ```

use anyhow::{Context, Result, bail};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use cli::human;
use image_processor::kata::{self, Job, Outcome, OutputFormat, Settings};
use image_processor::{BatchReport, Strategy, demo_photos, describe, run, summary, table, tree};
use image_processor::{Failure, write_photos};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// Counts live heap bytes, for the "peak heap" column: what the program held
// at once, whatever the allocator keeps cached.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

#[derive(Debug, Parser)]
#[command(
    name = "image-processor",
    version,
    about = "Thumbnail a folder of photos on every core (rayon)",
    long_about = "Without --input: generates 100 photo-like images (2–12 megapixels) in a temporary \
                  folder and processes them sequentially, with a thread per image and with rayon, \
                  then compares wall time, images/s, speed-up, cores used, threads and peak \
                  memory (--runs N: each strategy N times, median and range). With --input and \
                  --output: processes every JPEG, PNG and WebP in the folder (and its subfolders \
                  with --recursive) by default into JPEG thumbnails fitting 512×512, with \
                  progress and a summary. Outputs that already exist are skipped (--overwrite \
                  redoes them); an output folder inside the input, or the other way round, is \
                  refused before anything is written. Exit status: 0 all done, 1 some files \
                  failed (each listed once, with its reason), 2 could not run.",
    after_help = "Shell completions: `image-processor completions bash` (or zsh, fish, elvish, \
                  powershell) prints the script.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    process: ProcessArgs,
    #[command(flatten)]
    common: cli::Common,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a set of generated, photo-like JPEG and PNG images into a folder.
    Generate(GenerateArgs),
    /// Print the completion script of a shell.
    #[command(hide = true)]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// The folder to write into (created if missing).
    #[arg(long)]
    output: PathBuf,
    /// How many images.
    #[arg(long, default_value_t = 100)]
    count: usize,
    /// Seed of the set: the same seed always gives the same images.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Jpeg,
    Png,
}

#[derive(Debug, Args)]
struct ProcessArgs {
    /// The folder of images to process (its subfolders too with --recursive). Without it, the
    /// comparison runs.
    #[arg(long, requires = "output")]
    input: Option<PathBuf>,
    /// Where the results go (created if missing); never the input folder, inside it or around
    /// it, and an output never replaces an input.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Process the subfolders too, keeping their structure under --output (hidden folders are
    /// skipped, as hidden files are).
    #[arg(long, requires = "input")]
    recursive: bool,
    /// Replace outputs that already exist (by default they are skipped, and counted).
    #[arg(long, requires = "input")]
    overwrite: bool,
    /// List what would be written, skipped and refused, and why; write nothing.
    #[arg(long, requires = "input")]
    dry_run: bool,
    /// Fit every image within WxH, keeping its shape (shorthand for a leading fit=WxH op)
    /// [default: 512x512 when --ops is not given].
    #[arg(long, value_parser = parse_size)]
    resize: Option<(u32, u32)>,
    /// Operations, applied in order: fit=WxH, thumbnail=WxH, grayscale, blur=SIGMA,
    /// sharpen[=SIGMA], crop=WxH+X+Y, rotate=90|180|270. Comma-separated.
    #[arg(long, value_parser = parse_ops)]
    ops: Option<OpList>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jpeg)]
    format: Format,
    /// JPEG quality, 1–100.
    #[arg(long, default_value_t = 85, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
    /// Threads in rayon's pool [default: every core]. 1 processes one image at a time.
    #[arg(short, long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    /// Refuse inputs with more megapixels than this (decompression bombs).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    max_megapixels: u64,
    /// Print one JSON object instead of text (the comparison: an array, one per run).
    #[arg(long)]
    json: bool,
    /// How many images the comparison generates.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=2000))]
    count: u16,
    /// Which strategies the comparison runs.
    #[arg(long, value_enum, value_delimiter = ',')]
    strategy: Vec<Strategy>,
    /// How many times the comparison runs each strategy (the table shows the median and the
    /// range; --json every run).
    #[arg(long, default_value_t = 1, conflicts_with = "input",
          value_parser = clap::value_parser!(u16).range(1..=100))]
    runs: u16,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    kata::ops::parse_size(text).map_err(|e| e.to_string())
}

/// A parsed `--ops` list (a newtype: clap would read a bare `Vec` as "the
/// option may be repeated").
#[derive(Clone, Debug)]
struct OpList(Vec<kata::Op>);

fn parse_ops(text: &str) -> Result<OpList, String> {
    kata::ops::parse_list(text)
        .map(OpList)
        .map_err(|e| e.to_string())
}

impl ProcessArgs {
    fn settings(&self) -> Settings {
        let mut ops = Vec::new();
        if let Some((width, height)) = self.resize {
            ops.push(kata::Op::Fit { width, height });
        }
        match &self.ops {
            Some(OpList(list)) => ops.extend(list.iter().copied()),
            None if self.resize.is_none() => ops.push(kata::Op::Fit {
                width: 512,
                height: 512,
            }),
            None => {}
        }
        Settings {
            ops,
            output: match self.format {
                Format::Jpeg => OutputFormat::Jpeg {
                    quality: self.quality,
                },
                Format::Png => OutputFormat::Png,
            },
            max_pixels: self.max_megapixels * 1_000_000,
        }
    }

    /// The pool's size; a `--jobs` above the cores is allowed (it is how
    /// oversubscription is measured) but warned about.
    fn threads(&self) -> usize {
        let cores = harness::cpu::available_cores();
        match self.jobs.map(usize::from) {
            Some(jobs) if jobs > cores => {
                tracing::warn!(
                    "--jobs {jobs} is more threads than the {} available: they will take \
                     turns, and hold more images at once",
                    human::count(cores, "core", "cores")
                );
                jobs
            }
            Some(jobs) => jobs,
            None => cores,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = cli.common.init();
    let result = match cli.command {
        Some(Command::Generate(args)) => generate(&args, &out),
        Some(Command::Completions { shell }) => {
            cli::completions(shell, &mut Cli::command());
            Ok(cli::Finished::Clean)
        }
        None => {
            // JSON is for a program: no progress, no notes beside it.
            let out = cli::Output {
                quiet: out.quiet || cli.process.json,
                ..out
            };
            match cli.process.input.clone() {
                Some(input) => process(&cli.process, input, &out),
                None => compare(&cli.process, &out),
            }
        }
    };
    // 0 all done, 1 some images failed (each reported), 2 could not run.
    cli::exit(result)
}

fn generate(args: &GenerateArgs, out: &cli::Output) -> Result<cli::Finished> {
    let specs = kata::synth::specs(args.count, args.seed, kata::synth::PHOTO_SIZES);
    write_photos(&args.output, &specs, out)?;
    println!(
        "{} written to {}",
        human::count(specs.len(), "image", "images"),
        args.output.display()
    );
    out.note(format_args!(
        "next: image-processor --input {} --output THUMBNAILS",
        args.output.display()
    ));
    Ok(cli::Finished::Clean)
}

/// What a folder run will do, decided before anything is written.
struct Plan {
    /// To process.
    jobs: Vec<Job>,
    /// Left alone: their output exists and `--overwrite` was not given.
    skipped: Vec<Job>,
    /// Refused by `kata::job::plan` (an output that is an input, two
    /// inputs with one output): failures.
    refused: Vec<Outcome>,
}

fn plan(folders: &[tree::Folder], settings: &Settings, overwrite: bool) -> Plan {
    let mut plan = Plan {
        jobs: Vec::new(),
        skipped: Vec::new(),
        refused: Vec::new(),
    };
    for folder in folders {
        let (jobs, refused) = kata::job::plan(&folder.images, &folder.output, settings);
        plan.refused.extend(refused);
        for job in jobs {
            // `symlink_metadata`: a link already there counts as there,
            // even a dangling one.
            if !overwrite && job.output.symlink_metadata().is_ok() {
                plan.skipped.push(job);
            } else {
                plan.jobs.push(job);
            }
        }
    }
    plan
}

fn process(args: &ProcessArgs, input: PathBuf, out: &cli::Output) -> Result<cli::Finished> {
    let output = args
        .output
        .clone()
        .context("--output is required with --input")?;
    if !input.is_dir() {
        bail!("--input {}: not a folder", input.display());
    }
    // Every folder is listed, and the trees compared, before anything is
    // created: a refusal leaves the disk as it was.
    let folders = tree::folders(&input, &output, args.recursive)?;
    let images: usize = folders.iter().map(|f| f.images.len()).sum();
    if images == 0 {
        let subfolders =
            !args.recursive && tree::subfolders(&input).is_ok_and(|found| !found.is_empty());
        bail!(
            "--input {}: no images there (looked for {}){}",
            input.display(),
            kata::job::IMAGE_EXTENSIONS.join(", "),
            if subfolders {
                "; add --recursive to look in its subfolders"
            } else {
                ""
            }
        );
    }
    let settings = args.settings();
    let plan = plan(&folders, &settings, args.overwrite);
    if args.dry_run {
        return dry_run(&plan, args.json, out);
    }
    // Only the folders something is written into; `kata::job::plan` never
    // needed them to exist.
    let parents: BTreeSet<&Path> = plan.jobs.iter().filter_map(|j| j.output.parent()).collect();
    for dir in parents {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let threads = args.threads();
    let strategy = if threads == 1 {
        Strategy::Sequential
    } else {
        Strategy::Rayon
    };
    out.note(format_args!(
        "{} ({}) into {} with {}",
        human::count(plan.jobs.len(), "image", "images"),
        describe(&settings),
        output.display(),
        human::count(threads, "thread", "threads")
    ));
    let bar = cli::progress::Progress::new(strategy.name(), "images", Some(plan.jobs.len() as u64))
        .start(out);
    let report = run(
        strategy,
        threads,
        &plan.jobs,
        plan.refused,
        plan.skipped.len(),
        &settings,
        &bar,
    )?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", summary(&report, &output));
        if report.processed == 0 && report.skipped > 0 {
            out.note(format_args!(
                "next: the thumbnails already in {} were kept; add --overwrite to redo them",
                output.display()
            ));
        } else if report.processed > 0 || report.skipped > 0 {
            out.note(format_args!(
                "next: the thumbnails are in {}",
                output.display()
            ));
        }
    }
    Ok(cli::Finished::with_failures(report.failed > 0))
}

/// One line of a dry run, as JSON.
#[derive(Serialize)]
struct Planned<'a> {
    input: &'a Path,
    output: &'a Path,
}

/// `--dry-run --json`.
#[derive(Serialize)]
struct DryRun<'a> {
    dry_run: bool,
    write: Vec<Planned<'a>>,
    skip: Vec<Planned<'a>>,
    refuse: Vec<Failure>,
}

fn dry_run(plan: &Plan, json: bool, out: &cli::Output) -> Result<cli::Finished> {
    let refused: Vec<Failure> = plan
        .refused
        .iter()
        .filter_map(|o| {
            o.result.as_ref().err().map(|e| Failure {
                input: o.input.clone(),
                kind: e.kind(),
                error: e.to_string(),
            })
        })
        .collect();
    if json {
        fn planned(jobs: &[Job]) -> Vec<Planned<'_>> {
            jobs.iter()
                .map(|j| Planned {
                    input: &j.input,
                    output: &j.output,
                })
                .collect()
        }
        let report = DryRun {
            dry_run: true,
            write: planned(&plan.jobs),
            skip: planned(&plan.skipped),
            refuse: refused,
        };
        println!("{}", serde_json::to_string(&report)?);
        return Ok(cli::Finished::Clean);
    }
    let mut table = cli::table::Table::new(["would", "input", "output"]);
    for job in &plan.jobs {
        table.row([
            "write".into(),
            job.input.display().to_string(),
            job.output.display().to_string(),
        ]);
    }
    for job in &plan.skipped {
        table.row([
            "skip".into(),
            job.input.display().to_string(),
            format!(
                "{} is already there (--overwrite replaces it)",
                job.output.display()
            ),
        ]);
    }
    for failure in &refused {
        table.row([
            "refuse".into(),
            failure.input.display().to_string(),
            format!("none: {}", failure.error),
        ]);
    }
    print!("{table}");
    println!(
        "dry run: {} to write, {} to skip, {} refused; nothing was written",
        plan.jobs.len(),
        plan.skipped.len(),
        plan.refused.len()
    );
    out.note(format_args!("next: the same command without --dry-run"));
    Ok(cli::Finished::Clean)
}

/// A run of the comparison, as `--json` prints it: the batch's report and
/// which run of its strategy it was.
#[derive(Serialize)]
struct Run<'a> {
    /// 1 to `--runs`.
    run: u16,
    #[serde(flatten)]
    report: &'a BatchReport,
}

fn compare(args: &ProcessArgs, out: &cli::Output) -> Result<cli::Finished> {
    if args.output.is_some() {
        bail!("--output needs --input (the comparison writes into a temporary folder)");
    }
    let count = usize::from(args.count);
    let seed = 1;
    let root = std::env::temp_dir().join(format!("image-processor-demo-{}", std::process::id()));
    let photos_dir = std::env::temp_dir().join(format!("image-processor-photos-{count}-{seed}"));
    out.note(format_args!(
        "{count} generated photos (2–12 megapixels, JPEG and PNG) in {}; reused next time",
        photos_dir.display()
    ));
    let inputs = demo_photos(&photos_dir, count, seed, out)?;
    let settings = args.settings();
    let threads = args.threads();
    let strategies = if args.strategy.is_empty() {
        vec![
            Strategy::Sequential,
            Strategy::ThreadPerImage,
            Strategy::Rayon,
        ]
    } else {
        args.strategy.clone()
    };
    // Round by round, every strategy once per round: a machine that gets
    // busier during the comparison slows every strategy, not the last one.
    let mut reports: Vec<Vec<BatchReport>> = vec![Vec::new(); strategies.len()];
    let mut runs = Vec::new();
    for round in 1..=args.runs {
        for (i, &strategy) in strategies.iter().enumerate() {
            let dir = root.join(strategy.name());
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let (jobs, refused) = kata::job::plan(&inputs, &dir, &settings);
            let label = if args.runs > 1 {
                format!("{} (run {round} of {})", strategy.name(), args.runs)
            } else {
                strategy.name().to_owned()
            };
            let bar =
                cli::progress::Progress::new(&label, "images", Some(jobs.len() as u64)).start(out);
            let report = run(strategy, threads, &jobs, refused, 0, &settings, &bar)?;
            bar.finish_and_clear();
            reports[i].push(report);
            runs.push((round, i));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    let failed = reports.iter().flatten().any(|r| r.failed > 0);
    if args.json {
        let all: Vec<Run<'_>> = runs
            .iter()
            .map(|&(round, i)| Run {
                run: round,
                report: &reports[i][usize::from(round) - 1],
            })
            .collect();
        println!("{}", serde_json::to_string(&all)?);
        return Ok(cli::Finished::with_failures(failed));
    }
    println!(
        "{count} photos → {}; {}; {}",
        describe(&settings),
        human::count(harness::cpu::available_cores(), "core", "cores"),
        image_processor::SUBJECT
    );
    if args.runs > 1 {
        println!(
            "wall and images/s: the median of {} per strategy (the range in brackets)",
            human::count(usize::from(args.runs), "run", "runs")
        );
    }
    println!();
    print!("{}", table(&reports));
    // Each failed photo once, however many runs failed it.
    let failures: BTreeSet<(&Path, &str)> = reports
        .iter()
        .flatten()
        .flat_map(|r| &r.failures)
        .map(|f| (f.input.as_path(), f.error.as_str()))
        .collect();
    if !failures.is_empty() {
        println!(
            "\n{} failed:",
            human::count(failures.len(), "photo", "photos")
        );
        for (input, error) in failures {
            println!("  {}: {error}", input.display());
        }
    }
    if cfg!(debug_assertions) {
        out.note(format_args!(
            "(a debug build of this program; add --release for the speed the tool really has)"
        ));
    }
    out.note(format_args!(
        "next: cargo xtask grade image-processor — the exercise behind this table"
    ));
    Ok(cli::Finished::with_failures(failed))
}
