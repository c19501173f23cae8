//! `cargo run -p image-processor`: thumbnail photos on every core.
//!
//! ```text
//! cargo run -p image-processor                          # 100 generated photos, three strategies compared
//! cargo run -p image-processor --release -- --input ~/Pictures --output /tmp/thumbs
//! cargo run -p image-processor --release -- --input in --output out --resize 1024x1024 \
//!     --ops sharpen,grayscale --format png --jobs 4 --json
//! cargo run -p image-processor -- generate --output /tmp/photos --count 20
//! cargo xtask run image-processor --mine                # the same, on your exercise code
//! ```

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use image_processor::kata::{self, OutputFormat, Settings};
use image_processor::{Strategy, demo_photos, progress_bar, run, summary, table, write_photos};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

// Counts live heap bytes, for the "peak heap" column: what the program held
// at once, whatever the allocator keeps cached.
#[global_allocator]
static ALLOC: harness::alloc::Counting = harness::alloc::Counting;

#[derive(Debug, Parser)]
#[command(
    name = "image-processor",
    about = "Thumbnail a folder of photos on every core (rayon)",
    long_about = "Without --input: generates 100 photo-like images (2–12 megapixels) in a temporary \
                  folder and processes them sequentially, with a thread per image and with rayon, \
                  then compares wall time, images/s, speed-up, cores used, threads and peak \
                  memory. With --input and --output: processes every JPEG, PNG and WebP in the \
                  folder (by default into JPEG thumbnails fitting 512×512), with a progress bar \
                  and a summary; the exit status is 1 if any file failed.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    process: ProcessArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a set of generated, photo-like JPEG and PNG images into a folder.
    Generate(GenerateArgs),
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
    /// The folder of images to process (not its subfolders). Without it, the comparison runs.
    #[arg(long, requires = "output")]
    input: Option<PathBuf>,
    /// Where the results go (created if missing); an output never replaces an input.
    #[arg(long)]
    output: Option<PathBuf>,
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
    /// Print one JSON object instead of text (the comparison: an array of them).
    #[arg(long)]
    json: bool,
    /// How many images the comparison generates.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=2000))]
    count: u16,
    /// Which strategies the comparison runs.
    #[arg(long, value_enum, value_delimiter = ',')]
    strategy: Vec<Strategy>,
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

    fn threads(&self) -> usize {
        self.jobs
            .map_or_else(harness::cpu::available_cores, usize::from)
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Generate(args)) => generate(&args),
        None => match cli.process.input.clone() {
            Some(input) => process(&cli.process, input),
            None => compare(&cli.process),
        },
    };
    // 0 all done, 1 some images failed (each reported), 2 could not run.
    cli::exit(result)
}

fn generate(args: &GenerateArgs) -> Result<cli::Finished> {
    let specs = kata::synth::specs(args.count, args.seed, kata::synth::PHOTO_SIZES);
    write_photos(&args.output, &specs, false)?;
    println!(
        "{} images written to {}",
        specs.len(),
        args.output.display()
    );
    Ok(cli::Finished::Clean)
}

fn process(args: &ProcessArgs, input: PathBuf) -> Result<cli::Finished> {
    let output = args
        .output
        .clone()
        .context("--output is required with --input")?;
    if !input.is_dir() {
        bail!("--input {}: not a folder", input.display());
    }
    let inputs =
        kata::job::list_images(&input).with_context(|| format!("listing {}", input.display()))?;
    if inputs.is_empty() {
        bail!(
            "--input {}: no images there (looked for {})",
            input.display(),
            kata::job::IMAGE_EXTENSIONS.join(", ")
        );
    }
    std::fs::create_dir_all(&output).with_context(|| format!("creating {}", output.display()))?;
    let settings = args.settings();
    let (jobs, refused) = kata::job::plan(&inputs, &output, &settings);
    let threads = args.threads();
    let strategy = if threads == 1 {
        Strategy::Sequential
    } else {
        Strategy::Rayon
    };
    let bar = progress_bar(jobs.len(), strategy.name(), args.json);
    let report = run(strategy, threads, &jobs, refused, &settings, &bar)?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", summary(&report, &output));
    }
    Ok(cli::Finished::with_failures(report.failed > 0))
}

fn compare(args: &ProcessArgs) -> Result<cli::Finished> {
    if args.output.is_some() {
        bail!("--output needs --input (the comparison writes into a temporary folder)");
    }
    let count = usize::from(args.count);
    let seed = 1;
    let root = std::env::temp_dir().join(format!("image-processor-demo-{}", std::process::id()));
    let photos_dir = std::env::temp_dir().join(format!("image-processor-photos-{count}-{seed}"));
    let quiet = args.json;
    if !quiet {
        eprintln!(
            "{count} generated photos (2–12 megapixels, JPEG and PNG) in {}; reused next time",
            photos_dir.display()
        );
    }
    let inputs = demo_photos(&photos_dir, count, seed, quiet)?;
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
    let mut reports = Vec::new();
    for strategy in strategies {
        let out = root.join(strategy.name());
        std::fs::create_dir_all(&out)?;
        let (jobs, refused) = kata::job::plan(&inputs, &out, &settings);
        let bar = progress_bar(jobs.len(), strategy.name(), quiet);
        let report = run(strategy, threads, &jobs, refused, &settings, &bar)?;
        bar.finish_and_clear();
        reports.push(report);
    }
    let _ = std::fs::remove_dir_all(&root);
    if args.json {
        println!("{}", serde_json::to_string(&reports)?);
        return Ok(cli::Finished::Clean);
    }
    let ops: Vec<String> = settings.ops.iter().map(ToString::to_string).collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{count} photos → {} as {:?}, {} cores, {}\n",
        ops.join(","),
        settings.output,
        harness::cpu::available_cores(),
        image_processor::SUBJECT
    )?;
    write!(out, "{}", table(&reports))?;
    if cfg!(debug_assertions) {
        writeln!(
            out,
            "\n(debug build of this program; add --release for the speed the tool really has)"
        )?;
    }
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    Ok(cli::Finished::with_failures(failed > 0))
}
