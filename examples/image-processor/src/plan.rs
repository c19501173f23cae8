//! A folder run's plan, decided before anything is written: what to
//! process, what to skip (its output exists and `--overwrite` was not
//! given) and what the library refused ([`plan`]); and `--dry-run`, which
//! prints that plan, as a table or as JSON, and writes nothing
//! ([`dry_run`]).
//!
//! Used by the folder run ([`process`](crate::process)).

use crate::batch::Failure;
use crate::{kata, tree};
use anyhow::Result;
use kata::{Job, Outcome, Settings};
use serde::Serialize;
use std::path::Path;

/// What a folder run will do, decided before anything is written.
pub(crate) struct Plan {
    /// To process.
    pub(crate) jobs: Vec<Job>,
    /// Left alone: their output exists and `--overwrite` was not given.
    pub(crate) skipped: Vec<Job>,
    /// Refused by `kata::job::plan` (an output that is an input, two
    /// inputs with one output): failures.
    pub(crate) refused: Vec<Outcome>,
}

pub(crate) fn plan(folders: &[tree::Folder], settings: &Settings, overwrite: bool) -> Plan {
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

pub(crate) fn dry_run(plan: &Plan, json: bool, out: &cli::Output) -> Result<cli::Finished> {
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
