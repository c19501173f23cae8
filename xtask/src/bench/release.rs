//! Building the example a bench measures, in release mode: debug figures
//! of CPU-heavy code say more about the missing optimiser than about the
//! concurrency model.

use crate::project::Project;
use anyhow::{Result, bail};
use std::path::PathBuf;

/// Build `package` (a folder of `examples/`, whose binary has the same name)
/// with `cargo build --release`, and return the binary's path.
pub fn build(project: &Project, package: &str) -> Result<PathBuf> {
    eprintln!("building {package} (release)…");
    let built = project
        .cargo()
        .args(["build", "--release", "--package", package])
        .status()?;
    if !built.success() {
        bail!("the release build of {package} failed");
    }
    Ok(project.target_dir.join("release").join(package))
}
