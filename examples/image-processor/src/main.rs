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
use image_processor::kata::{self, OutputFormat, Settings};
use image_processor::{Comparison, FolderRun, Strategy, write_photos};
use std::path::PathBuf;
use std::process::ExitCode;

// Counts live heap bytes, for the "peak heap" column: what the program held
// at once, whatever the allocator keeps cached.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

#[derive(Debug, Parser)]
#[command(
    name = "image-processor",
    version,
    propagate_version = true,
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

    /// The folder run these flags ask for: `input` into `--output`.
    fn folder_run(&self, input: PathBuf) -> Result<FolderRun> {
        let output = self
            .output
            .clone()
            .context("--output is required with --input")?;
        Ok(FolderRun {
            input,
            output,
            recursive: self.recursive,
            overwrite: self.overwrite,
            dry_run: self.dry_run,
            json: self.json,
            settings: self.settings(),
            jobs: self.jobs,
        })
    }

    /// The comparison these flags ask for; `--output` belongs to a folder run.
    fn comparison(&self) -> Result<Comparison> {
        if self.output.is_some() {
            bail!("--output needs --input (the comparison writes into a temporary folder)");
        }
        Ok(Comparison {
            count: self.count,
            strategy: self.strategy.clone(),
            runs: self.runs,
            json: self.json,
            settings: self.settings(),
            jobs: self.jobs,
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
        Some(Command::Generate(args)) => generate(&args, &out),
        Some(Command::Completions { shell }) => cli::completions(shell, &mut Cli::command())
            .map(|()| cli::Finished::Clean)
            .map_err(Into::into),
        None => {
            // JSON is for a program: no progress, no notes beside it.
            let out = cli::Output {
                quiet: out.quiet || cli.process.json,
                ..out
            };
            match cli.process.input.clone() {
                Some(input) => cli
                    .process
                    .folder_run(input)
                    .and_then(|run| image_processor::process(run, &out)),
                None => cli
                    .process
                    .comparison()
                    .and_then(|comparison| image_processor::compare(comparison, &out)),
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
