//! Part 3 of `cargo xtask bench crawler`: a real documentation site — by
//! default the API documentation of Rust's `alloc` crate from the
//! toolchain's `rust-docs` (about 300 pages, 24 MB of HTML), or any folder
//! given with `--docs DIR` — served from its folder on 127.0.0.1. The HTML
//! pages `wget --recursive` finds must all be found by our crawler too, and
//! pages/s are compared with the Python crawler's.

use super::crawler::{Outcome, RUNS, head_to_head, serve};
use super::files::walk;
use super::page::{Align, Page, Table, times};
use super::process;
use crate::project;
use anyhow::{Result, bail};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The `alloc` crate's API docs from the toolchain's rust-docs component,
/// if installed: rustdoc pages, linked richly with plain `<a>` tags.
pub fn default_docs() -> Option<PathBuf> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let root = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    Some(root.join("share/doc/rust/html/alloc")).filter(|p| p.is_dir())
}

/// One line of `crawler --out`.
#[derive(Deserialize)]
struct Line {
    url: String,
    status: Option<u16>,
    html: bool,
}

/// The section's text and table, for the folder `dir`.
pub fn section(
    page: &mut Page,
    exe: &Path,
    python: &Path,
    python_ready: bool,
    dir: &Path,
) -> Result<()> {
    let (files, bytes) = html_files(dir);
    let site = serve(exe, &["--dir", &dir.to_string_lossy()])?;
    let scratch = project::root().join("target/bench-crawler");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    page.paragraph(&format!(
        "`{}` — {files} HTML files, {:.0} MB — served from its folder on 127.0.0.1 with no \
         added latency.",
        dir.display(),
        bytes as f64 / 1e6
    ));

    // wget: which HTML pages does a standard recursive download find?
    let wget_dir = scratch.join("wget");
    eprintln!("wget --recursive {}…", site.url);
    let began = Instant::now();
    let wget = Command::new("wget")
        .args(["--recursive", "--level=inf", "--no-verbose"])
        .args(["--no-host-directories", "--directory-prefix"])
        .arg(&wget_dir)
        .arg(&site.url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let wget_seconds = began.elapsed().as_secs_f64();
    let wget_pages = match wget {
        // wget exits 8 when some link answered 404: the pages it saved still count.
        Ok(status) if status.code().is_some_and(|c| c == 0 || c == 8) => {
            Some(saved_html(&wget_dir))
        }
        Ok(status) => bail!("wget failed ({status})"),
        Err(_) => None,
    };

    let ours_out = scratch.join("ours.jsonl");
    let theirs_out = scratch.join("python.jsonl");
    let (ours, theirs) = if python_ready {
        let (o, p) = head_to_head(exe, python, &site.url, Some((&ours_out, &theirs_out)))?;
        (o, Some(p))
    } else {
        let mut command = Command::new(exe);
        command
            .arg(&site.url)
            .args(["--json", "--concurrency", "64"]);
        command
            .args(["--max-pages", "1000000", "--out"])
            .arg(&ours_out);
        let o: Outcome = process::json(&mut command)?;
        (o, None)
    };
    let found: BTreeSet<String> = std::fs::read_to_string(&ours_out)?
        .lines()
        .filter_map(|l| serde_json::from_str::<Line>(l).ok())
        .filter(|l| l.html && l.status.is_some_and(|s| (200..300).contains(&s)))
        .map(|l| l.url[site.url.len() - 1..].to_owned())
        .collect();

    let mut table = Table::new(&[
        ("crawler", Align::Left),
        ("HTML pages found", Align::Right),
        ("wall (s)", Align::Right),
        ("pages/s", Align::Right),
    ]);
    table.row([
        "Rust async, 64 in flight".into(),
        found.len().to_string(),
        format!("{:.2}", ours.seconds),
        format!("{:.0}", ours.pages_per_s),
    ]);
    if let Some(p) = &theirs {
        table.row([
            "Python aiohttp, 64 in flight".into(),
            format!("{} (all URLs)", p.pages),
            format!("{:.2}", p.seconds),
            format!("{:.0}", p.pages_per_s),
        ]);
    }
    match &wget_pages {
        Some(pages) => table.row([
            "wget --recursive (one at a time)".into(),
            pages.len().to_string(),
            format!("{wget_seconds:.2}"),
            format!("{:.0}", pages.len() as f64 / wget_seconds),
        ]),
        None => table.note("wget", "not installed"),
    }
    page.table(&table);
    page.blank();
    if let Some(pages) = &wget_pages {
        let missing = missed(pages, &found);
        page.line(&if missing.is_empty() {
            format!(
                "Every one of the {} HTML pages wget found was found by our crawler.",
                pages.len()
            )
        } else {
            format!(
                "Our crawler missed {} of the {} HTML pages wget found, e.g. {:?}.",
                missing.len(),
                pages.len(),
                &missing[..missing.len().min(5)]
            )
        });
    }
    if let Some(p) = &theirs {
        page.line(&format!(
            "Pages per second, ours ÷ Python's: {} (best of {RUNS} runs each).",
            times(Some(ours.pages_per_s / p.pages_per_s), 1)
        ));
    }
    Ok(())
}

/// The pages wget saved that our crawler did not find. wget saves "/dir/"
/// as dir/index.html: either form counts as found.
fn missed<'a>(wget: &'a BTreeSet<String>, found: &BTreeSet<String>) -> Vec<&'a String> {
    wget.iter()
        .filter(|p| {
            !found.contains(*p)
                && !p
                    .strip_suffix("index.html")
                    .is_some_and(|d| found.contains(d))
        })
        .collect()
}

/// The HTML files under `dir` and their total size.
fn html_files(dir: &Path) -> (usize, u64) {
    let mut count = 0;
    let mut bytes = 0;
    for path in walk(dir) {
        if path.extension().is_some_and(|e| e == "html" || e == "htm") {
            count += 1;
            bytes += std::fs::metadata(&path).map_or(0, |m| m.len());
        }
    }
    (count, bytes)
}

/// The URL paths ("/ch01-00.html") of the HTML files wget saved.
fn saved_html(dir: &Path) -> BTreeSet<String> {
    walk(dir)
        .into_iter()
        .filter(|p| {
            std::fs::read(p).is_ok_and(|bytes| {
                let head =
                    String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
                head.contains("<!doctype html") || head.contains("<html")
            })
        })
        .filter_map(|p| {
            p.strip_prefix(dir)
                .ok()
                .map(|r| format!("/{}", r.to_string_lossy()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_index_found_as_its_folder_is_not_missed() {
        let set = |paths: &[&str]| -> BTreeSet<String> {
            paths.iter().map(|p| (*p).to_owned()).collect()
        };
        let wget = set(&["/index.html", "/a/index.html", "/b.html", "/c.html"]);
        let found = set(&["/", "/a/index.html", "/b.html"]);
        assert_eq!(missed(&wget, &found), [&"/c.html".to_owned()]);
    }

    #[test]
    fn only_html_that_wget_saved_counts() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-wget-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/page"), "<!DOCTYPE html><p>hi").unwrap();
        std::fs::write(dir.join("style.css"), "p {}").unwrap();
        std::fs::write(dir.join("a.html"), "<html></html>").unwrap();
        let saved = saved_html(&dir);
        let (count, bytes) = html_files(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            saved.into_iter().collect::<Vec<_>>(),
            ["/a.html", "/sub/page"]
        );
        assert_eq!((count, bytes), (1, 13));
    }
}
