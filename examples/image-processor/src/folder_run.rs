//! The folder run: `--input` into `--output`. The trees are checked
//! ([`tree`]) and the plan made ([`plan`](crate::plan)) before
//! anything is created; then one batch runs with progress and the summary
//! (or `--json`) says how it went.
//!
//! `main.rs` turns the command line into a [`FolderRun`] and calls
//! [`process`].

use crate::batch::{Strategy, run};
use crate::plan::{dry_run, plan};
use crate::report::{describe, summary};
use crate::{kata, tree};
use anyhow::{Context, Result, bail};
use cli::human;
use kata::Settings;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A folder run, as the command line asks for it.
#[derive(Clone, Debug)]
pub struct FolderRun {
    /// The folder of images (`--input`).
    pub input: PathBuf,
    /// Where the results go (`--output`).
    pub output: PathBuf,
    /// Walk the subfolders too (`--recursive`).
    pub recursive: bool,
    /// Replace outputs that already exist (`--overwrite`).
    pub overwrite: bool,
    /// Print the plan and write nothing (`--dry-run`).
    pub dry_run: bool,
    /// One JSON object instead of text (`--json`).
    pub json: bool,
    /// What to do to each image.
    pub settings: Settings,
    /// `--jobs`: the pool's size (every core when `None`).
    pub jobs: Option<u16>,
}

/// Run `args`: refuse overlapping trees, plan, then print the plan
/// (`--dry-run`) or process it and print the summary; with failures when
/// any image failed.
pub fn process(args: FolderRun, out: &cli::Output) -> Result<cli::Finished> {
    let FolderRun { input, output, .. } = args;
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
    let settings = args.settings;
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
    let threads = crate::threads(args.jobs);
    let strategy = if threads == 1 {
        Strategy::Sequential
    } else {
        Strategy::Rayon
    };
    // The same count as the summary's "N of M": what was found, and what
    // of it is left alone or refused before anything runs.
    let mut aside = Vec::new();
    if !plan.skipped.is_empty() {
        aside.push(format!("{} already done", plan.skipped.len()));
    }
    if !plan.refused.is_empty() {
        aside.push(format!("{} refused", plan.refused.len()));
    }
    out.note(format_args!(
        "{} found{}; {} to process ({}) into {} with {}",
        human::count(images, "image", "images"),
        if aside.is_empty() {
            String::new()
        } else {
            format!(" ({})", aside.join(", "))
        },
        plan.jobs.len(),
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
        } else if report.failed > 0 {
            out.note(format_args!(
                "next: the thumbnails are in {}; the files listed as failed were left out \
                 (fix or remove them, and run again: what is done is kept)",
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
