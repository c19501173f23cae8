//! Given code, kept as it was handed out.
//!
//! Each exercise keeps the code it builds on but does not teach in
//! `exercises/<name>/src/given/` (the crawler's HTTP fetch, the image
//! codecs, ...). The reference solution compiles those very files, so a
//! learner who edits one changes what the reference and every mutant do
//! too, and the grade no longer means what it says. `cargo xtask grade`
//! therefore warns when a given file differs from the checksum recorded in
//! `[package.metadata.grade.given]` of the exercise's `Cargo.toml`; a test
//! (`cargo test -p xtask given`) keeps the recorded checksums current, and
//! prints the lines to paste when a given file is changed on purpose.
//!
//! The checksum is FNV-1a (64 bits) of the file with `\r\n` read as `\n`:
//! it detects edits, it is not a defence against an adversary, and a
//! Windows checkout that converts line endings is not an edit.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The folder of given code inside an exercise.
pub const DIR: &str = "src/given";

/// The checksum of a file's text, as recorded in the manifest.
pub fn checksum(bytes: &[u8]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut bytes = bytes.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' && bytes.peek() == Some(&&b'\n') {
            continue;
        }
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{hash:016x}")
}

/// A given file that is not as it was handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Path relative to the exercise folder, e.g. `src/given/fetch.rs`.
    pub path: String,
    pub kind: EditKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    Changed,
    Removed,
    Added,
}

impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            EditKind::Changed => "was edited",
            EditKind::Removed => "is missing",
            EditKind::Added => "was added",
        };
        write!(f, "{} {what}", self.path)
    }
}

/// The checksums of every file under `exercise_dir/src/given`, by path
/// relative to `exercise_dir` (always with `/`).
pub fn current(exercise_dir: &Path) -> BTreeMap<String, String> {
    let mut files = Vec::new();
    collect(&exercise_dir.join(DIR), &mut files);
    checksums(exercise_dir, files)
}

/// The checksums of `files` (paths inside `exercise_dir`), by path relative
/// to `exercise_dir`, as the manifest's tables record them. A file that
/// cannot be read is left out: it shows as missing.
pub fn checksums(exercise_dir: &Path, files: Vec<PathBuf>) -> BTreeMap<String, String> {
    files
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            Some((key(exercise_dir, &path)?, checksum(&bytes)))
        })
        .collect()
}

/// How a manifest table names `path`: relative to `exercise_dir`, with `/`
/// on every platform (`src/given/fetch.rs`).
pub fn key(exercise_dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(exercise_dir).ok()?;
    Some(
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// How the given files of `exercise_dir` differ from `recorded`.
pub fn edits(exercise_dir: &Path, recorded: &BTreeMap<String, String>) -> Vec<Edit> {
    let now = current(exercise_dir);
    let mut edits = Vec::new();
    for (path, sum) in recorded {
        match now.get(path) {
            None => edits.push(Edit {
                path: path.clone(),
                kind: EditKind::Removed,
            }),
            Some(found) if found != sum => edits.push(Edit {
                path: path.clone(),
                kind: EditKind::Changed,
            }),
            Some(_) => {}
        }
    }
    for path in now.keys().filter(|p| !recorded.contains_key(*p)) {
        edits.push(Edit {
            path: path.clone(),
            kind: EditKind::Added,
        });
    }
    edits
}

/// The manifest table that records `exercise_dir`'s given files as they
/// are now: what to paste into its `Cargo.toml` after changing one on
/// purpose.
#[cfg(test)]
pub fn manifest_table(exercise_dir: &Path) -> String {
    table("given", &current(exercise_dir))
}

/// `[package.metadata.grade.NAME]` with one `"path" = "checksum"` line per
/// file, in the manifests' style.
#[cfg(test)]
pub fn table(name: &str, sums: &BTreeMap<String, String>) -> String {
    let mut table = format!("[package.metadata.grade.{name}]\n");
    for (path, sum) in sums {
        table.push_str(&format!("\"{path}\" = \"{sum}\"\n"));
    }
    table
}

/// The `path = "checksum"` table `[package.metadata.grade.NAME]` of a
/// parsed manifest (empty when it has none).
#[cfg(test)]
pub fn recorded_in(manifest: &toml::Table, name: &str) -> BTreeMap<String, String> {
    manifest
        .get("package")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("grade"))
        .and_then(|g| g.get(name))
        .and_then(|g| g.as_table())
        .map(|t| {
            t.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Every file under `dir`, recursively, in a stable order.
pub fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_do_not_count_as_edits_but_anything_else_does() {
        assert_eq!(checksum(b"a\nb\n"), checksum(b"a\r\nb\r\n"));
        assert_ne!(checksum(b"a\nb\n"), checksum(b"a\nb \n"));
        assert_ne!(checksum(b"a\rb"), checksum(b"ab"));
        // FNV-1a's published value for the empty input.
        assert_eq!(checksum(b""), "cbf29ce484222325");
    }

    #[test]
    fn an_edited_a_removed_and_an_added_given_file_are_each_reported() {
        let dir = std::env::temp_dir().join(format!("given-test-{}", std::process::id()));
        let given = dir.join(DIR);
        std::fs::create_dir_all(&given).unwrap();
        std::fs::write(given.join("a.rs"), "pub fn a() {}\n").unwrap();
        std::fs::write(given.join("b.rs"), "pub fn b() {}\n").unwrap();
        let recorded = current(&dir);
        assert_eq!(recorded.len(), 2);
        assert!(edits(&dir, &recorded).is_empty());

        std::fs::write(given.join("a.rs"), "pub fn a() { todo!() }\n").unwrap();
        std::fs::remove_file(given.join("b.rs")).unwrap();
        std::fs::write(given.join("c.rs"), "pub fn c() {}\n").unwrap();
        let found = edits(&dir, &recorded);
        std::fs::remove_dir_all(&dir).unwrap();
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "src/given/a.rs was edited",
                "src/given/b.rs is missing",
                "src/given/c.rs was added"
            ]
        );
    }

    /// The checksums recorded in every exercise's manifest are those of its
    /// given files: a maintainer who changes one on purpose is told what to
    /// record, and the grader's warning stays meaningful.
    #[test]
    fn the_recorded_checksums_are_current() {
        let root = crate::project::root();
        let mut stale = Vec::new();
        for entry in std::fs::read_dir(root.join("exercises")).unwrap().flatten() {
            let dir = entry.path();
            let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
                continue;
            };
            let manifest: toml::Table = text.parse().unwrap();
            let recorded = recorded_in(&manifest, "given");
            if !edits(&dir, &recorded).is_empty() {
                stale.push(format!(
                    "{}/Cargo.toml should record:\n{}",
                    dir.display(),
                    manifest_table(&dir)
                ));
            }
        }
        assert!(stale.is_empty(), "{}", stale.join("\n"));
    }
}
