//! The `--out` report: one JSON line per page, written to a temporary file
//! and renamed into place, so a crash never leaves half a report.
//!
//! `main.rs` calls [`write_report`] after a crawl of a real site.

use crate::kata::Report;
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write as _;
use std::path::Path;

/// One line of the `--out` report.
#[derive(Serialize)]
struct Line<'a> {
    url: &'a str,
    depth: usize,
    status: Option<u16>,
    bytes: u64,
    html: bool,
    links: usize,
    ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Write one JSON line per page to `path` (url, depth, status, bytes, html,
/// links, ms, error): first to a temporary file beside
/// it, then renamed over it, so a crash never leaves half a report.
pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().context("--out needs a file name")?;
    let temporary = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let written = (|| -> Result<()> {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&temporary)
                .with_context(|| format!("cannot create {}", temporary.display()))?,
        );
        for page in &report.pages {
            let line = Line {
                url: page.url.as_str(),
                depth: page.depth,
                status: page.status,
                bytes: page.bytes,
                html: page.html,
                links: page.links,
                ms: page.elapsed.as_secs_f64() * 1e3,
                error: page.error.as_ref().map(|e| e.to_string()),
            };
            serde_json::to_writer(&mut file, &line)?;
            file.write_all(b"\n")?;
        }
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error.context(format!("cannot write the report {}", path.display())));
    }
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot move the report into place at {}", path.display()))
}
