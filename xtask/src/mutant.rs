//! Mutants: the reference solution plus one declared mistake.
//!
//! A mutant lives in `solutions/<exercise>/mutants/<name>.toml`: what the
//! mistake is, which graded step must catch it with which diagnosis, and
//! the change itself as find/replace hunks on the reference's files:
//!
//! ```toml
//! about = "off-by-one: lets a push through when the queue is exactly full"
//! step = "queue"
//! diagnosis = "over-capacity"
//!
//! [[change]]
//! file = "src/queue.rs"
//! find = '''
//!         while items.len() >= self.capacity {
//! '''
//! replace = '''
//!         // BUG: `>` instead of `>=`: a full queue still accepts one more.
//!         while items.len() > self.capacity {
//! '''
//! ```
//!
//! The grader builds each mutant from the reference as it is *now*
//! (`mutant_build.rs`), so a mutant cannot drift from it: when the
//! reference changes under a hunk, the hunk no longer applies and
//! [`apply`] says so. [`shape_problems`] keeps every hunk honest: one
//! contiguous edit, explained by a `BUG` comment on a line it adds — a
//! hunk that quietly changes a second place, or a change no comment
//! explains, is refused. A test runs both on every mutant of the
//! workspace.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One known-wrong variant of a solution, as declared in its file.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// The file's stem, e.g. `overfull-queue`.
    pub name: String,
    /// Its declaration, `solutions/<exercise>/mutants/<name>.toml`.
    pub path: PathBuf,
    pub step: String,
    pub diagnosis: String,
    pub about: String,
    /// Fewest cores on which the mistake can be seen at all.
    pub min_cores: usize,
    /// A property of the machine without which the mistake cannot show
    /// (see `grade::machine_lacks`).
    pub needs: Option<String>,
    pub changes: Vec<Change>,
}

/// One hunk: the only occurrence of `find` in `file` becomes `replace`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Relative to the solution's folder, e.g. `src/queue.rs`.
    pub file: String,
    pub find: String,
    pub replace: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Declared {
    about: String,
    step: String,
    diagnosis: String,
    #[serde(default = "one")]
    min_cores: usize,
    #[serde(default)]
    needs: Option<String>,
    #[serde(default)]
    change: Vec<Change>,
}

fn one() -> usize {
    1
}

/// Every mutant declared in `solution_dir/mutants/`, by name.
pub fn load_all(solution_dir: &Path) -> Result<Vec<Mutant>> {
    let dir = solution_dir.join("mutants");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

/// Read one mutant's declaration.
pub fn load(path: &Path) -> Result<Mutant> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let declared: Declared =
        toml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))?;
    let name = path
        .file_stem()
        .context("a mutant file has a name")?
        .to_string_lossy()
        .into_owned();
    if declared.change.is_empty() {
        bail!("{}: a mutant needs at least one [[change]]", path.display());
    }
    Ok(Mutant {
        name,
        path: path.to_path_buf(),
        step: declared.step,
        diagnosis: declared.diagnosis,
        about: declared.about,
        min_cores: declared.min_cores,
        needs: declared.needs,
        changes: declared.change,
    })
}

/// The files `mutant` changes, with their new contents: each hunk applied
/// to the reference in `solution_dir`, in order. Fails when a hunk no
/// longer applies (its `find` is not in the file, or is there more than
/// once).
pub fn apply(mutant: &Mutant, solution_dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for (i, change) in mutant.changes.iter().enumerate() {
        let hunk = format!(
            "{} change {} ({})",
            mutant.path.display(),
            i + 1,
            change.file
        );
        if !files.contains_key(&change.file) {
            let path = solution_dir.join(&change.file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{hunk}: cannot read {}", path.display()))?;
            files.insert(change.file.clone(), text);
        }
        let text = files.get_mut(&change.file).expect("just inserted");
        let found = line_matches(text, &change.find);
        match found.as_slice() {
            [at] => text.replace_range(*at..*at + change.find.len(), &change.replace),
            [] => bail!(
                "{hunk} no longer applies: its `find` text is not in the reference any more \
                 (was the reference edited there?). Update the hunk to the reference's code"
            ),
            more => bail!(
                "{hunk} is ambiguous: its `find` text occurs {} times in the reference; \
                 make it longer so it names one place",
                more.len()
            ),
        }
    }
    Ok(files)
}

/// Where `needle` occurs in `text` starting at the beginning of a line.
fn line_matches(text: &str, needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    text.match_indices(needle)
        .map(|(at, _)| at)
        .filter(|&at| at == 0 || text.as_bytes()[at - 1] == b'\n')
        .collect()
}

/// What is wrong with the *shape* of `mutant`'s hunks, if anything: each
/// must be whole lines, change something, change it in one contiguous
/// place, and say why with a `BUG` comment on a line it adds.
pub fn shape_problems(mutant: &Mutant) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, change) in mutant.changes.iter().enumerate() {
        let hunk = format!("{} change {}", mutant.path.display(), i + 1);
        if !change.find.ends_with('\n') || !change.replace.ends_with('\n') {
            problems.push(format!(
                "{hunk}: `find` and `replace` must be whole lines (end each with a newline)"
            ));
            continue;
        }
        let before: Vec<&str> = change.find.lines().collect();
        let after: Vec<&str> = change.replace.lines().collect();
        let edits = places(edits(&before, &after));
        match edits.len() {
            0 => problems.push(format!("{hunk}: `replace` is the same as `find`")),
            1 => {}
            n => problems.push(format!(
                "{hunk} changes {n} separate places (lines {}): a hunk is one contiguous \
                 edit — split it, each with its own BUG comment, or undo the edit that is not \
                 the mistake",
                edits
                    .iter()
                    .map(|e| format!("{}", e.before.start + 1))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        let explained = edits
            .iter()
            .all(|e| after[e.after.clone()].iter().any(|l| l.contains("BUG")));
        if !edits.is_empty() && !explained {
            problems.push(format!(
                "{hunk}: no line it adds carries a `BUG` comment saying what the mistake is"
            ));
        }
    }
    problems
}

/// Edits a few unchanged lines apart are one place: rewriting an
/// expression often keeps a line in the middle of it.
pub const SAME_PLACE: usize = 3;

/// `edits` with those at most [`SAME_PLACE`] unchanged lines apart merged
/// into one.
pub fn places(edits: Vec<Edit>) -> Vec<Edit> {
    let mut merged: Vec<Edit> = Vec::new();
    for edit in edits {
        match merged.last_mut() {
            Some(last) if edit.before.start - last.before.end <= SAME_PLACE => {
                last.before.end = edit.before.end;
                last.after.end = edit.after.end;
            }
            _ => merged.push(edit),
        }
    }
    merged
}

/// One contiguous difference between two lists of lines: `before[range]`
/// became `after[range]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub before: std::ops::Range<usize>,
    pub after: std::ops::Range<usize>,
}

/// The contiguous edits that turn `before` into `after`, from a longest
/// common subsequence of their lines (hunks and files here are small).
pub fn edits(before: &[&str], after: &[&str]) -> Vec<Edit> {
    let (n, m) = (before.len(), after.len());
    // lcs[i][j]: length of the longest common subsequence of before[i..]
    // and after[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if before[i] == after[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut result: Vec<Edit> = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut open: Option<(usize, usize)> = None;
    let mut close = |open: &mut Option<(usize, usize)>, i: usize, j: usize| {
        if let Some((bi, aj)) = open.take() {
            result.push(Edit {
                before: bi..i,
                after: aj..j,
            });
        }
    };
    while i < n || j < m {
        if i < n && j < m && before[i] == after[j] {
            close(&mut open, i, j);
            i += 1;
            j += 1;
            continue;
        }
        open.get_or_insert((i, j));
        if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            j += 1;
        } else {
            i += 1;
        }
    }
    close(&mut open, i, j);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutant(changes: &[(&str, &str)]) -> Mutant {
        Mutant {
            name: "example".into(),
            path: "mutants/example.toml".into(),
            step: "queue".into(),
            diagnosis: "over-capacity".into(),
            about: String::new(),
            min_cores: 1,
            needs: None,
            changes: changes
                .iter()
                .map(|(find, replace)| Change {
                    file: "src/queue.rs".into(),
                    find: (*find).into(),
                    replace: (*replace).into(),
                })
                .collect(),
        }
    }

    const REFERENCE: &str = "fn push() {\n    while len >= cap {\n        wait();\n    }\n    add();\n    notify();\n}\n";

    fn scratch(text: &str) -> tempdir::Scratch {
        let dir = tempdir::Scratch::new();
        std::fs::create_dir_all(dir.0.join("src")).unwrap();
        std::fs::write(dir.0.join("src/queue.rs"), text).unwrap();
        dir
    }

    /// A throw-away folder, without a dependency for it.
    mod tempdir {
        pub struct Scratch(pub std::path::PathBuf);
        impl Scratch {
            pub fn new() -> Scratch {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let dir = std::env::temp_dir().join(format!(
                    "xtask-mutant-test-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&dir).unwrap();
                Scratch(dir)
            }
        }
        impl Drop for Scratch {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    /// The invariant, on the real thing: every mutant of the workspace is
    /// the reference plus its declared hunks, each hunk one place with its
    /// BUG comment, each applying to exactly one spot of today's reference.
    #[test]
    fn every_mutant_in_the_workspace_is_the_reference_plus_its_change() {
        let solutions = crate::project::root().join("solutions");
        let mut problems = Vec::new();
        let mut count = 0;
        for entry in std::fs::read_dir(&solutions).unwrap() {
            let solution = entry.unwrap().path();
            for m in load_all(&solution).unwrap() {
                count += 1;
                problems.extend(shape_problems(&m));
                match apply(&m, &solution) {
                    Err(e) => problems.push(format!("{e:#}")),
                    Ok(files) => {
                        // Outside its hunks the built mutant is the reference.
                        let mut places_changed = 0;
                        for (file, text) in &files {
                            let reference = std::fs::read_to_string(solution.join(file)).unwrap();
                            let before: Vec<&str> = reference.lines().collect();
                            let after: Vec<&str> = text.lines().collect();
                            places_changed += places(edits(&before, &after)).len();
                        }
                        if places_changed > m.changes.len() {
                            problems.push(format!(
                                "{}: {places_changed} places differ from the reference, for {} \
                                 declared changes",
                                m.path.display(),
                                m.changes.len()
                            ));
                        }
                    }
                }
            }
        }
        assert!(
            count >= 20,
            "only {count} mutants found under {}",
            solutions.display()
        );
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_one_place_change_applies_and_has_the_right_shape() {
        let dir = scratch(REFERENCE);
        let m = mutant(&[(
            "    while len >= cap {\n",
            "    // BUG: > lets one more in.\n    while len > cap {\n",
        )]);
        assert!(shape_problems(&m).is_empty(), "{:?}", shape_problems(&m));
        let files = apply(&m, &dir.0).unwrap();
        assert!(files["src/queue.rs"].contains("while len > cap"));
        let before: Vec<&str> = REFERENCE.lines().collect();
        let after: Vec<&str> = files["src/queue.rs"].lines().collect();
        assert_eq!(edits(&before, &after).len(), 1);
    }

    #[test]
    fn a_hunk_that_touches_a_second_place_is_refused() {
        // The declared mistake at the top, and an unrelated drift four
        // unchanged lines further down.
        let m = mutant(&[(
            "fn push() {\n    while len >= cap {\n        wait();\n    }\n    add();\n    log();\n    notify();\n}\n",
            "fn push() {\n    // BUG: > lets one more in.\n    while len > cap {\n        wait();\n    }\n    add();\n    log();\n    notify_all();\n}\n",
        )]);
        let problems = shape_problems(&m);
        assert!(
            problems.iter().any(|p| p.contains("2 separate places")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_change_without_a_bug_comment_is_refused() {
        let m = mutant(&[("    add();\n", "    add();\n    add();\n")]);
        let problems = shape_problems(&m);
        assert!(problems.iter().any(|p| p.contains("BUG")), "{problems:?}");
        let same = mutant(&[("    add();\n", "    add();\n")]);
        assert!(shape_problems(&same)[0].contains("the same"));
    }

    #[test]
    fn a_hunk_that_no_longer_applies_says_so() {
        let dir = scratch(&REFERENCE.replace("while len >= cap", "while self.len() >= cap"));
        let m = mutant(&[(
            "    while len >= cap {\n",
            "    // BUG: > lets one more in.\n    while len > cap {\n",
        )]);
        let error = apply(&m, &dir.0).unwrap_err().to_string();
        assert!(error.contains("no longer applies"), "{error}");
    }

    #[test]
    fn a_hunk_that_matches_twice_is_ambiguous() {
        let dir = scratch(&format!("{REFERENCE}{REFERENCE}"));
        let m = mutant(&[(
            "    add();\n",
            "    // BUG: twice.\n    add();\n    add();\n",
        )]);
        let error = apply(&m, &dir.0).unwrap_err().to_string();
        assert!(error.contains("ambiguous"), "{error}");
        // Matches only at the start of a line.
        assert_eq!(line_matches("x add();\n", "add();\n"), Vec::<usize>::new());
    }

    #[test]
    fn edits_are_found_as_contiguous_runs() {
        let a = ["a", "b", "c", "d", "e"];
        assert_eq!(edits(&a, &a), vec![]);
        assert_eq!(
            edits(&a, &["a", "x", "c", "d", "e"]),
            vec![Edit {
                before: 1..2,
                after: 1..2
            }]
        );
        assert_eq!(edits(&a, &["a", "x", "c", "y", "e"]).len(), 2);
        // One unchanged line between two edits: still one place.
        assert_eq!(places(edits(&a, &["a", "x", "c", "y", "e"])).len(), 1);
        assert_eq!(
            edits(&a, &["a", "b", "new", "c", "d", "e"]),
            vec![Edit {
                before: 2..2,
                after: 2..3
            }]
        );
    }
}
