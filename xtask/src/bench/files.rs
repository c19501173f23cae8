//! Files: writing the measured pages and charts into `book/src/measured/`
//! (atomically), and walking a folder for its files.

use crate::project;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Write a bench's charts, then its page, into `book/src/measured/`, and
/// say so. The charts go first: a page never links a chart not yet there.
pub fn publish(page_name: &str, page: &str, charts: &[(&str, String)]) -> Result<()> {
    let dir = project::root().join("book/src/measured");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, svg) in charts {
        write_atomically(&dir.join(name), svg)?;
    }
    let path = dir.join(page_name);
    write_atomically(&path, page)?;
    let names: Vec<&str> = charts.iter().map(|(name, _)| *name).collect();
    if names.is_empty() {
        println!("wrote {}", path.display());
    } else {
        println!("wrote {} and {}", path.display(), names.join(", "));
    }
    Ok(())
}

/// Write through a temporary file in the same folder and a rename: the
/// book (or `mdbook serve` watching it) never sees half a page, and a run
/// that fails half-way leaves the previous page whole.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .map_or("page".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Every file under `dir`, at any depth (a folder that cannot be read is
/// passed over: a bench measures what it can reach).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = scratch("atomic");
        let path = dir.join("page.md");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "new page\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(text, "new page\n");
        assert_eq!(names, ["page.md"]);
    }

    #[test]
    fn an_atomic_write_that_fails_says_where() {
        let dir = scratch("atomic-fail");
        let err = write_atomically(&dir.join("missing/page.md"), "text").unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(format!("{err:#}").contains("cannot write"), "{err:#}");
    }

    #[test]
    fn walk_finds_files_at_any_depth() {
        let dir = scratch("walk");
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("top.txt"), "").unwrap();
        std::fs::write(dir.join("a/b/deep.txt"), "").unwrap();
        let mut found: Vec<PathBuf> = walk(&dir)
            .into_iter()
            .map(|p| p.strip_prefix(&dir).unwrap().to_path_buf())
            .collect();
        found.sort();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            found,
            [PathBuf::from("a/b/deep.txt"), PathBuf::from("top.txt")]
        );
    }
}
