//! Running the Python comparison scripts in `examples/concepts/python/`.
//!
//! Each script runs its lesson's job the Python way and prints a JSON list,
//! one object per strategy: `strategy`, `wall_s`, `cpu_s` (the process's
//! threads plus the worker processes it waited for) and `detail`. The rows
//! join the Rust rows of the same table, so both are measured on the same
//! machine in the same run. Speed-ups are relative to the script's own
//! `serial` row: CPython and Rust differ too much in raw speed for their
//! times to be compared directly.

use crate::Row;
use serde::Deserialize;
use std::path::Path;
use std::process::Command;

#[derive(Debug, Deserialize)]
struct PythonRow {
    strategy: String,
    wall_s: f64,
    cpu_s: f64,
    detail: String,
}

/// Run `python/<script>` with `python3` and `args`; its rows, named
/// "python: <strategy>", with speed-ups relative to its `serial` row when
/// it has one. `Err` says why not (no python3, a failing script).
pub fn rows(script: &str, args: &[String]) -> Result<Vec<Row>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(script);
    let output = Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .map_err(|e| format!("python3 is not available ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let rows: Vec<PythonRow> = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cannot read the output of {}: {e}", path.display()))?;
    // Speed-ups only where the script has a baseline to compare with.
    let base = rows
        .iter()
        .find(|r| r.strategy == "serial")
        .map(|r| r.wall_s);
    Ok(rows
        .into_iter()
        .map(|r| {
            Row::new(
                format!("python: {}", r.strategy),
                r.wall_s * 1e3,
                base.map(|base| base / r.wall_s.max(1e-9)),
                r.cpu_s / r.wall_s.max(1e-9),
                r.detail,
            )
        })
        .collect())
}
