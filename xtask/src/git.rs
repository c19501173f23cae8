//! The few questions xtask asks git, through the `git` command itself: is
//! this a checkout, which commits touched a file, what a file said at a
//! commit. Used by `cargo xtask reset` to find a stub as it was handed out
//! (see `stubs.rs`); read-only, it never changes the repository.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};

/// `git -C root ARGS`: its standard output when it succeeded, else an
/// error with what git said.
fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("cannot run `git`; is git installed?")?;
    if !output.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

/// Fails unless `root` is the top of a git work tree (not merely a folder
/// inside some other repository, whose history would not hold our files).
pub fn check_checkout(root: &Path) -> Result<()> {
    let top = git(root, &["rev-parse", "--show-toplevel"])
        .with_context(|| format!("{} is not a git checkout", root.display()))?;
    let top = String::from_utf8_lossy(&top).trim().to_owned();
    if std::fs::canonicalize(&top).ok() != std::fs::canonicalize(root).ok() {
        bail!(
            "{} is not a git checkout (it is inside the one at {top})",
            root.display()
        );
    }
    Ok(())
}

/// Every commit that changed `path` (relative to `root`, with `/`), newest
/// first.
pub fn revisions(root: &Path, path: &str) -> Result<Vec<String>> {
    let out = git(root, &["log", "--format=%H", "--", path])?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_owned)
        .collect())
}

/// What `path` held at `rev`; `None` where it did not exist there (the
/// commit that deleted it, say).
pub fn show(root: &Path, rev: &str, path: &str) -> Option<Vec<u8>> {
    git(root, &["show", &format!("{rev}:{path}")]).ok()
}

/// The files under `dir` (relative to `root`, with `/`) at `HEAD`, or
/// `None` when `root` is not a git checkout or has no commit.
#[cfg(test)]
pub fn head_files(root: &Path, dir: &str) -> Option<Vec<String>> {
    check_checkout(root).ok()?;
    let out = git(
        root,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            "--full-tree",
            "HEAD",
            "--",
            dir,
        ],
    )
    .ok()?;
    Some(
        String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}
