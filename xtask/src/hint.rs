//! `cargo xtask hint EXERCISE [STEP]`: progressive hints.
//!
//! Hints live in `exercises/<name>/HINTS.md`, one `## step-id` section per
//! step and one `### ` sub-section per hint, from a nudge to nearly the
//! answer. Each call shows the next one; how far you got is kept in
//! `target/xtask/hints.json` (never in exercises/); `--reset` forgets it,
//! and shows nothing, so the next call shows hint 1 again. Without a STEP,
//! the hint is for the first step your last `grade` did not pass.
//! `cargo xtask watch` shows the same hints on a key (`h`, `n`).

use crate::project::{Exercise, Project, Step};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

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
    /// Start the step's hints over: show none now; the next `hint` shows the first.
    #[arg(long, conflicts_with_all = ["level", "all"])]
    pub reset: bool,
}

/// Which hints to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The one after the last shown (the first, the first time).
    Next,
    /// Hint number N (from 1).
    Level(usize),
    All,
}

/// Where the learner asked, so the "more" line names what to do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Command,
    Watch,
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
    if args.reset {
        let mut seen = Seen::load(&project);
        seen.forget(exercise, step);
        seen.save()?;
        println!(
            "hints for {} › {} start over: the next `cargo xtask hint {} {}` shows hint 1",
            exercise.name, step.id, exercise.name, step.id
        );
        return Ok(());
    }
    let which = match (args.all, args.level) {
        (true, _) => Which::All,
        (false, Some(level)) => Which::Level(level),
        (false, None) => Which::Next,
    };
    show(&project, exercise, step, which, Asked::Command)
}

/// How far the learner got in each step's hints, kept in
/// `target/xtask/hints.json` as `"exercise/step": highest hint shown`.
struct Seen {
    path: PathBuf,
    levels: BTreeMap<String, usize>,
}

impl Seen {
    fn load(project: &Project) -> Seen {
        let path = project.state_dir().join("hints.json");
        // Unreadable or absent: nothing seen yet, as on a fresh checkout.
        let levels = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        Seen { path, levels }
    }

    fn key(exercise: &Exercise, step: &Step) -> String {
        format!("{}/{}", exercise.name, step.id)
    }

    fn get(&self, exercise: &Exercise, step: &Step) -> usize {
        self.levels
            .get(&Seen::key(exercise, step))
            .copied()
            .unwrap_or(0)
    }

    fn record(&mut self, exercise: &Exercise, step: &Step, level: usize) {
        let seen = self.get(exercise, step).max(level);
        self.levels.insert(Seen::key(exercise, step), seen);
    }

    fn forget(&mut self, exercise: &Exercise, step: &Step) {
        self.levels.remove(&Seen::key(exercise, step));
    }

    fn save(&self) -> Result<()> {
        let dir = self.path.parent().expect("a file is in a folder");
        std::fs::create_dir_all(dir)?;
        // Write then rename: a `hint` run at the same moment never reads
        // half a file (and would start over from hint 1).
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&self.levels)?)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .with_context(|| format!("cannot save hint progress to {}", self.path.display()))
    }
}

/// Print `which` hints of `step`, with the step's title and file, and
/// remember how far the learner got.
pub fn show(
    project: &Project,
    exercise: &Exercise,
    step: &Step,
    which: Which,
    asked: Asked,
) -> Result<()> {
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
    let mut seen = Seen::load(project);
    let shown = seen.get(exercise, step);

    println!("{} — step `{}`: {}", exercise.name, step.id, step.title);
    println!("file: exercises/{}/{}", exercise.name, step.file);
    let range = match which {
        Which::All => 1..=hints.len(),
        Which::Next => {
            let level = (shown + 1).clamp(1, hints.len());
            level..=level
        }
        Which::Level(level) => {
            let level = level.clamp(1, hints.len());
            level..=level
        }
    };
    let last = *range.end();
    for level in range {
        println!();
        let mut lines = hints[level - 1].lines();
        let title = lines.next().unwrap_or_default();
        println!("hint {level} of {}: {title}", hints.len());
        // Markdown's code fences are for the book; on a terminal the code
        // is set off by its indent instead.
        let mut in_code = false;
        for line in lines {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            } else if line.is_empty() {
                println!();
            } else if in_code {
                println!("      {line}");
            } else {
                println!("  {line}");
            }
        }
    }
    println!();
    if last < hints.len() {
        match asked {
            Asked::Command => println!(
                "more: cargo xtask hint {} {}   (then: cargo xtask grade {})",
                exercise.name, step.id, exercise.name
            ),
            Asked::Watch => println!("more: press h"),
        }
    } else {
        println!(
            "that was the last hint; the reference is in solutions/{}/{}",
            exercise.name, step.file
        );
    }

    seen.record(exercise, step, last);
    seen.save()
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
