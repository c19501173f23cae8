//! Generated photos on disk: the comparison's folder of them, reused when
//! complete ([`demo_photos`]), and `generate`'s ([`write_photos`]), written
//! on every core.
//!
//! `main.rs` calls [`write_photos`] for `image-processor generate`; the
//! comparison ([`compare`](fn@crate::compare)) calls [`demo_photos`].

use crate::kata;
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The demo's folder of generated photos: reused when a previous run left
/// it complete (generating takes longer than processing), otherwise
/// (re)written, with progress as `out` allows. Returns the paths.
pub fn demo_photos(dir: &Path, count: usize, seed: u64, out: &cli::Output) -> Result<Vec<PathBuf>> {
    let specs = kata::synth::specs(count, seed, kata::synth::PHOTO_SIZES);
    let stamp = dir.join(".complete");
    let expected = format!("{count} {seed} {}\n", specs.len());
    let paths: Vec<PathBuf> = specs.iter().map(|s| dir.join(&s.name)).collect();
    let complete = std::fs::read_to_string(&stamp).ok().as_deref() == Some(expected.as_str())
        && paths.iter().all(|p| p.is_file());
    if complete {
        return Ok(paths);
    }
    let _ = std::fs::remove_dir_all(dir);
    let paths = write_photos(dir, &specs, out)?;
    // Written last: a folder without it is regenerated next time.
    std::fs::write(&stamp, expected)?;
    Ok(paths)
}

/// Write the generated images of `specs` into `dir` (created if missing),
/// each atomically, with progress as `out` allows; their paths in order.
/// Generating is itself a CPU-bound batch: the same `par_iter`.
pub fn write_photos(
    dir: &Path,
    specs: &[kata::synth::Spec],
    out: &cli::Output,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bar =
        cli::progress::Progress::new("generating", "images", Some(specs.len() as u64)).start(out);
    let paths = specs
        .par_iter()
        .map(|spec| {
            let path = dir.join(&spec.name);
            kata::write::write_atomically(&path, &kata::synth::encode(spec))
                .with_context(|| format!("writing {}", path.display()))?;
            bar.inc(1);
            Ok(path)
        })
        .collect::<Result<Vec<PathBuf>>>()?;
    bar.finish_and_clear();
    Ok(paths)
}
