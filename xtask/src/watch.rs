//! `cargo xtask watch [EXERCISE]`: grade, then grade again whenever a file of
//! the exercise is saved.
//!
//! It polls modification times twice a second rather than using OS file
//! notifications: one less dependency, and it behaves the same on every
//! platform and editor (including those that save by renaming).

use crate::project::Project;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The exercise to watch (default: all of them).
    pub exercise: Option<String>,
}

pub fn run(args: &Args) -> Result<()> {
    let project = Project::load()?;
    let dirs: Vec<PathBuf> = project
        .select(args.exercise.as_deref())?
        .iter()
        .map(|e| e.dir.clone())
        .collect();
    let grade = crate::grade::Args {
        exercise: args.exercise.clone(),
        ..Default::default()
    };
    loop {
        let before = snapshot(&dirs);
        // Clear the screen so the newest report is the only one in view.
        print!("\x1b[2J\x1b[H");
        // Now, before cargo writes its build output (and errors) to stderr:
        // flushed later, the clear would wipe them off the screen.
        let _ = std::io::Write::flush(&mut std::io::stdout());
        if let Err(err) = crate::grade::run(&grade) {
            eprintln!("error: {err:#}");
        }
        println!(
            "\nwatching {} for changes — Ctrl-C to stop",
            shown(&dirs, &project)
        );
        while snapshot(&dirs) == before {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn shown(dirs: &[PathBuf], project: &Project) -> String {
    let names: Vec<String> = dirs
        .iter()
        .map(|d| {
            d.strip_prefix(&project.root)
                .unwrap_or(d)
                .display()
                .to_string()
        })
        .collect();
    names.join(", ")
}

/// Every file under `dirs` with its modification time.
fn snapshot(dirs: &[PathBuf]) -> BTreeMap<PathBuf, SystemTime> {
    let mut files = BTreeMap::new();
    for dir in dirs {
        walk(dir, &mut files);
    }
    files
}

fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, SystemTime>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            // Editors' and cargo's scratch folders are not the learner's work.
            let name = entry.file_name();
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                walk(&path, files);
            }
        } else if let Ok(modified) = meta.modified() {
            files.insert(path, modified);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_file_changes_the_snapshot() {
        let dir = std::env::temp_dir().join(format!("xtask-watch-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/lib.rs"), "one").unwrap();
        let before = snapshot(std::slice::from_ref(&dir));
        assert_eq!(before.len(), 1);
        std::fs::write(dir.join("src/new.rs"), "two").unwrap();
        assert_ne!(snapshot(std::slice::from_ref(&dir)), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
