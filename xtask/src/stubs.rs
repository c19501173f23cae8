//! The learner's files as handed out: every `src/` file of an exercise
//! outside `src/given/` (the `todo!()` stubs and the modules around them).
//!
//! `[package.metadata.grade.stubs]` in the exercise's `Cargo.toml` records
//! a checksum of each (the same FNV-1a as `[package.metadata.grade.given]`,
//! see `given.rs`). Only a checksum: the text itself is in the git history,
//! and `cargo xtask reset` (`reset.rs`) finds the version whose checksum
//! matches. `cargo test -p xtask stubs` keeps the table current and prints
//! the one to paste after a stub is changed on purpose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every learner file of the exercise in `exercise_dir`: the Rust files
/// under `src/`, except the given code.
pub fn files(exercise_dir: &Path) -> Vec<PathBuf> {
    let given = exercise_dir.join(crate::given::DIR);
    let mut files = Vec::new();
    crate::given::collect(&exercise_dir.join("src"), &mut files);
    files.retain(|f| is_learner_file(f, &given));
    files
}

/// The checksums of the learner files in `exercise_dir` as they are now,
/// by path relative to it: the table `[package.metadata.grade.stubs]`
/// holds when they are as handed out.
pub fn current(exercise_dir: &Path) -> BTreeMap<String, String> {
    crate::given::checksums(exercise_dir, files(exercise_dir))
}

fn is_learner_file(path: &Path, given: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs") && !path.starts_with(given)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::given;

    /// The learner files of `exercises/<name>` as committed at `HEAD`, by
    /// path relative to the exercise, or `None` outside a git checkout.
    fn committed(root: &Path, name: &str) -> Option<BTreeMap<String, String>> {
        let prefix = format!("exercises/{name}/");
        let files = crate::git::head_files(root, &format!("{prefix}src"))?;
        let given = Path::new(given::DIR);
        let mut sums = BTreeMap::new();
        for file in files {
            let relative = file.strip_prefix(&prefix)?.to_owned();
            if !is_learner_file(Path::new(&relative), given) {
                continue;
            }
            let bytes = crate::git::show(root, "HEAD", &file)?;
            sums.insert(relative, given::checksum(&bytes));
        }
        Some(sums)
    }

    /// What is wrong with `recorded` as the stubs of an exercise whose
    /// learner files are `committed` at HEAD (`None` outside git) and
    /// `working` in the work tree. A recorded checksum may match either:
    /// the committed one is the stub as handed out even while the learner
    /// is editing it (so `cargo test` keeps passing mid-exercise), and the
    /// working one is a maintainer's new stub, recorded before the commit.
    /// A committed file that matches neither is still fine when
    /// `progressed(path, recorded)` says it is the learner's own work on
    /// that stub, committed (or, with `recorded` `None`, a module the
    /// learner added): `cargo test` must not fail a learner who commits.
    fn stale(
        recorded: &BTreeMap<String, String>,
        committed: Option<&BTreeMap<String, String>>,
        working: &BTreeMap<String, String>,
        progressed: impl Fn(&str, Option<&str>) -> bool,
    ) -> Vec<String> {
        let handed_out = committed.unwrap_or(working);
        if recorded.is_empty() && !handed_out.is_empty() {
            return vec!["no [package.metadata.grade.stubs]".to_owned()];
        }
        let mut problems = Vec::new();
        for (path, sum) in handed_out {
            match recorded.get(path) {
                None if !progressed(path, None) => {
                    problems.push(format!("{path} is not recorded"));
                }
                Some(r)
                    if r != sum && working.get(path) != Some(r) && !progressed(path, Some(r)) =>
                {
                    problems.push(format!("{path} is recorded as {r}, but is {sum}"));
                }
                _ => {}
            }
        }
        for (path, r) in recorded {
            if !handed_out.contains_key(path) && working.get(path) != Some(r) {
                problems.push(format!("{path} is recorded, but is not there"));
            }
        }
        problems
    }

    /// Whether `exercises/<name>/<path>` at HEAD is a learner's work
    /// rather than a changed stub: it has fewer `todo!(` than the stub
    /// recorded for it (found in the history, as `reset` finds it), or, for
    /// a file no stub is recorded for, none at all. A maintainer's changed
    /// stub keeps its `todo!()`s and is still caught.
    fn learner_work(root: &Path, name: &str, path: &str, recorded: Option<&str>) -> bool {
        let full = format!("exercises/{name}/{path}");
        let Some(head) = crate::git::show(root, "HEAD", &full) else {
            return false;
        };
        let todos = |bytes: &[u8]| String::from_utf8_lossy(bytes).matches("todo!(").count();
        match recorded {
            None => todos(&head) == 0,
            Some(sum) => crate::reset::find_stub(root, &full, sum)
                .is_ok_and(|stub| todos(&head) < todos(&stub)),
        }
    }

    /// The checksums recorded in every exercise's manifest are those of its
    /// learner files as handed out, so `cargo xtask reset` finds them; a
    /// maintainer who changes a stub on purpose is told what to record.
    #[test]
    fn the_recorded_stubs_are_current() {
        let root = crate::project::root();
        let mut found = Vec::new();
        for entry in std::fs::read_dir(root.join("exercises")).unwrap().flatten() {
            let dir = entry.path();
            let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
                continue;
            };
            let manifest: toml::Table = text.parse().unwrap();
            let recorded = given::recorded_in(&manifest, "stubs");
            let name = entry.file_name().to_string_lossy().into_owned();
            let committed = committed(&root, &name);
            let working = current(&dir);
            let problems = stale(&recorded, committed.as_ref(), &working, |path, sum| {
                learner_work(&root, &name, path, sum)
            });
            if !problems.is_empty() {
                found.push(format!(
                    "{}/Cargo.toml: {}; it should record (as committed):\n{}",
                    dir.display(),
                    problems.join("; "),
                    given::table("stubs", committed.as_ref().unwrap_or(&working))
                ));
            }
            assert!(
                working.contains_key("src/lib.rs"),
                "{name}: the learner files include src/lib.rs"
            );
            assert!(
                !working.keys().any(|k| k.starts_with(given::DIR)),
                "{name}: the given code is not the learner's"
            );
        }
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    #[test]
    fn a_stub_is_current_when_either_its_commit_or_its_work_tree_matches() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let recorded = map(&[("src/a.rs", "1"), ("src/b.rs", "2")]);
        let committed = map(&[("src/a.rs", "1"), ("src/b.rs", "2")]);
        // The learner is editing a.rs: still current.
        let editing = map(&[("src/a.rs", "9"), ("src/b.rs", "2")]);
        assert!(stale(&recorded, Some(&committed), &editing, |_, _| false).is_empty());
        // A new stub, recorded before it is committed: current.
        let renewed = map(&[("src/a.rs", "1"), ("src/b.rs", "3")]);
        let recorded_new = map(&[("src/a.rs", "1"), ("src/b.rs", "3")]);
        assert!(stale(&recorded_new, Some(&committed), &renewed, |_, _| false).is_empty());
        // A changed stub committed without its checksum: stale.
        let changed = map(&[("src/a.rs", "1"), ("src/b.rs", "3")]);
        assert_eq!(
            stale(&recorded, Some(&changed), &changed, |_, _| false),
            ["src/b.rs is recorded as 2, but is 3"]
        );
        // The learner's work on b.rs, committed: current.
        assert!(
            stale(&recorded, Some(&changed), &changed, |p, s| p == "src/b.rs"
                && s == Some("2"))
            .is_empty()
        );
        // A file added, and a file gone, outside git.
        let other = map(&[("src/a.rs", "1"), ("src/c.rs", "4")]);
        assert_eq!(
            stale(&recorded, None, &other, |_, _| false),
            [
                "src/c.rs is not recorded",
                "src/b.rs is recorded, but is not there"
            ]
        );
    }

    #[test]
    fn the_given_code_and_other_files_are_not_learner_files() {
        let dir = std::env::temp_dir().join(format!("stubs-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/given")).unwrap();
        std::fs::create_dir_all(dir.join("src/deeper")).unwrap();
        for file in [
            "src/lib.rs",
            "src/deeper/part.rs",
            "src/given/fetch.rs",
            "src/notes.txt",
        ] {
            std::fs::write(dir.join(file), file).unwrap();
        }
        let found: Vec<String> = current(&dir).into_keys().collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, ["src/deeper/part.rs", "src/lib.rs"]);
    }
}
