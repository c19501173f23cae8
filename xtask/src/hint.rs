//! `cargo xtask hint EXERCISE [STEP]`: progressive hints.
//!
//! Hints live in `exercises/<name>/HINTS.md`, one `## step-id` section per
//! step and one `### ` sub-section per hint, from a nudge to nearly the
//! answer. Each call shows the next one; how far you got is kept in
//! `target/xtask/hints.json` (never in exercises/). Without a STEP, the hint
//! is for the first step your last `grade` did not pass.

use crate::project::{Exercise, Project};
use anyhow::{Context, Result};
use std::collections::BTreeMap;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise (a folder of exercises/, e.g. `concepts`).
    pub exercise: String,
    /// The step (e.g. `primes-threads`); default: the first step not passed at the last grade.
    pub step: Option<String>,
    /// Show hint number N instead of the next one.
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub level: Option<usize>,
    /// Show every hint for the step at once.
    #[arg(long)]
    pub all: bool,
    /// Start the step's hints over from the first.
    #[arg(long)]
    pub reset: bool,
}

pub fn run(args: &Args) -> Result<()> {
    let project = Project::load()?;
    let exercise = project.exercise(&args.exercise)?;
    let step_id = match &args.step {
        Some(id) => id.clone(),
        None => crate::grade::first_unfinished(&project, exercise)
            .unwrap_or_else(|| exercise.steps[0].id.clone()),
    };
    let step = exercise.step(&step_id)?;
    let hints = read_hints(exercise)?;
    let hints = hints
        .get(&step.id)
        .filter(|h| !h.is_empty())
        .with_context(|| {
            format!(
                "exercises/{}/HINTS.md has no hints (`### ...`) under `## {}`",
                exercise.name, step.id
            )
        })?;

    let state_path = project.state_dir().join("hints.json");
    let mut seen: BTreeMap<String, usize> = std::fs::read_to_string(&state_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let key = format!("{}/{}", exercise.name, step.id);
    if args.reset {
        seen.remove(&key);
    }
    let shown = seen.get(&key).copied().unwrap_or(0);

    println!("{} — step `{}`: {}", exercise.name, step.id, step.title);
    println!("file: exercises/{}/{}", exercise.name, step.file);
    let range = if args.all {
        1..=hints.len()
    } else {
        let level = args.level.unwrap_or(shown + 1).clamp(1, hints.len());
        level..=level
    };
    let last = *range.end();
    for level in range {
        println!();
        let mut lines = hints[level - 1].lines();
        let title = lines.next().unwrap_or_default();
        println!("hint {level} of {}: {title}", hints.len());
        for line in lines {
            if line.is_empty() {
                println!();
            } else {
                println!("  {line}");
            }
        }
    }
    println!();
    if last < hints.len() {
        println!(
            "more: cargo xtask hint {} {}   (then: cargo xtask grade {})",
            exercise.name, step.id, exercise.name
        );
    } else {
        println!(
            "that was the last hint; the reference is in solutions/{}/{}",
            exercise.name, step.file
        );
    }

    seen.insert(key, shown.max(last));
    std::fs::create_dir_all(project.state_dir())?;
    std::fs::write(&state_path, serde_json::to_vec_pretty(&seen)?)
        .with_context(|| format!("cannot save hint progress to {}", state_path.display()))?;
    Ok(())
}

/// Every step's hints, in order, from the exercise's HINTS.md.
fn read_hints(exercise: &Exercise) -> Result<BTreeMap<String, Vec<String>>> {
    let path = exercise.dir.join("HINTS.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(parse_hints(&text))
}

fn parse_hints(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut hints: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut step: Option<String> = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("## ") {
            step = Some(id.trim().to_owned());
            hints.entry(id.trim().to_owned()).or_default();
        } else if let Some(title) = line.strip_prefix("### ") {
            // The title becomes the hint's first line.
            if let Some(step) = &step {
                let hint = format!("{}\n", title.trim());
                hints.entry(step.clone()).or_default().push(hint);
            }
        } else if let Some(current) = step
            .as_ref()
            .and_then(|s| hints.get_mut(s))
            .and_then(|h| h.last_mut())
        {
            current.push_str(line);
            current.push('\n');
        }
    }
    for list in hints.values_mut() {
        for hint in list.iter_mut() {
            *hint = hint.trim().to_owned();
        }
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_grouped_by_step_in_order() {
        let text =
            "# Hints\nintro\n## a\n### 1\nfirst\n\nstill first\n### 2\nsecond\n## b\n### 1\nonly\n";
        let hints = parse_hints(text);
        assert_eq!(hints["a"], ["1\nfirst\n\nstill first", "2\nsecond"]);
        assert_eq!(hints["b"], ["1\nonly"]);
    }
}
