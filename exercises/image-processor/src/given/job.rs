//! What to do (settings), to which files (jobs), and what came of it
//! (outcomes).
//!
//! [`plan`] turns a list of inputs and an output folder into one [`Job`]
//! per input, and refuses up front the jobs that would destroy data: an
//! output that *is* an input (processing a folder into itself), or two
//! inputs that would write the same output (`a.png` and `a.jpg` both
//! becoming `a.jpg`). Deciding this before any work starts, in one place,
//! is what lets the batch functions run jobs in any order, on any thread,
//! without two of them ever touching the same file.

use crate::codec::{DEFAULT_MAX_PIXELS, OutputFormat};
use crate::error::ProcessError;
use crate::ops::Op;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// How every image of a batch is processed.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Applied left to right.
    pub ops: Vec<Op>,
    /// The encoding of every output.
    pub output: OutputFormat,
    /// Inputs with more pixels than this are refused unread.
    pub max_pixels: u64,
}

impl Default for Settings {
    /// Thumbnails fitting 512×512, JPEG quality 85.
    fn default() -> Self {
        Settings {
            ops: vec![Op::Fit {
                width: 512,
                height: 512,
            }],
            output: OutputFormat::Jpeg { quality: 85 },
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

/// One input and where its result goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The image to read.
    pub input: PathBuf,
    /// The file to write (never one of the inputs).
    pub output: PathBuf,
}

/// A successfully processed image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    /// The file written.
    pub output: PathBuf,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What became of one input.
#[derive(Debug)]
pub struct Outcome {
    /// The input.
    pub input: PathBuf,
    /// The output, or why there is none.
    pub result: Result<Processed, ProcessError>,
}

/// Called once per finished image, from whichever thread finished it (a
/// progress bar, a counter). `Sync` because a parallel batch calls it from
/// several threads at once.
#[derive(Clone, Copy)]
pub struct Progress<'a> {
    callback: Option<&'a (dyn Fn(&Outcome) + Sync)>,
}

impl<'a> Progress<'a> {
    /// Report nothing.
    pub fn none() -> Self {
        Progress { callback: None }
    }

    /// Call `callback` for every outcome.
    pub fn new(callback: &'a (dyn Fn(&Outcome) + Sync)) -> Self {
        Progress {
            callback: Some(callback),
        }
    }

    /// One image is done: tell whoever is watching.
    pub fn done(&self, outcome: &Outcome) {
        if let Some(callback) = self.callback {
            callback(outcome);
        }
    }
}

/// The file extensions listed as images. The bytes decide the real format;
/// the extensions only choose which files of a folder to look at, and
/// include formats this tool cannot read so that they are reported rather
/// than silently skipped.
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif",
    "avif",
];

/// The image files directly inside `dir` (not its subfolders), sorted by
/// name; hidden files are skipped (a half-written output of another program
/// is often one).
pub fn list_images(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let hidden = name.to_string_lossy().starts_with('.');
        let image = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        // `is_file` follows symbolic links: a folder of links to photos counts.
        if !hidden && image && path.is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// What identifies a file whatever its name: (device, inode) on Unix.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<FileId> {
    std::fs::canonicalize(path).ok()
}

/// One job per input: `output_dir/<input stem>.<format extension>`. Inputs
/// whose output would overwrite an input, or the output of an earlier
/// input, come back as failed outcomes instead.
pub fn plan(
    inputs: &[PathBuf],
    output_dir: &Path,
    settings: &Settings,
) -> (Vec<Job>, Vec<Outcome>) {
    // Compare real locations: `./in/a.jpg` and `in/a.jpg` are one file.
    let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let real_dir = real(output_dir);
    let input_set: HashMap<PathBuf, &PathBuf> = inputs.iter().map(|p| (real(p), p)).collect();
    // Names are not enough on a case-insensitive file system (macOS,
    // Windows): `IMG_1.JPG` planned as `IMG_1.jpg` is the same file. Where
    // the output already exists, compare what the names point at.
    let input_files: HashSet<FileId> = inputs.iter().filter_map(|p| file_id(p)).collect();
    let mut claimed: HashMap<PathBuf, &PathBuf> = HashMap::new();
    let (mut jobs, mut refused) = (Vec::new(), Vec::new());
    for input in inputs {
        let stem = input.file_stem().unwrap_or(input.as_os_str());
        let mut name = stem.to_os_string();
        name.push(".");
        name.push(settings.output.extension());
        let output = output_dir.join(&name);
        let real_output = real_dir.join(&name);
        let is_input = input_set.contains_key(&real_output)
            || file_id(&output).is_some_and(|id| input_files.contains(&id));
        let refusal = if is_input {
            Some(ProcessError::WouldOverwrite(output.clone()))
        } else if let Some(other) = claimed.get(&real_output) {
            Some(ProcessError::Collision {
                output: output.clone(),
                other: (*other).clone(),
            })
        } else {
            claimed.insert(real_output, input);
            None
        };
        match refusal {
            Some(error) => refused.push(Outcome {
                input: input.clone(),
                result: Err(error),
            }),
            None => jobs.push(Job {
                input: input.clone(),
                output,
            }),
        }
    }
    (jobs, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_never_replace_inputs_or_each_other() {
        let dir = std::env::temp_dir().join(format!("plan-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inputs: Vec<PathBuf> = ["a.jpg", "a.png", "b.png"]
            .iter()
            .map(|n| dir.join(n))
            .collect();
        for input in &inputs {
            std::fs::write(input, b"x").unwrap();
        }
        // Into its own folder: a.jpg would overwrite itself and a.png would
        // overwrite a.jpg; only b.png → b.jpg is safe.
        let (jobs, refused) = plan(&inputs, &dir, &Settings::default());
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].output, dir.join("b.jpg"));
        let kinds: Vec<_> = refused
            .iter()
            .map(|o| o.result.as_ref().unwrap_err().kind())
            .collect();
        assert_eq!(kinds, ["would-overwrite", "would-overwrite"]);
        // Elsewhere: a.png collides with a.jpg.
        let out = dir.join("out");
        let (jobs, refused) = plan(&inputs, &out, &Settings::default());
        assert_eq!(jobs.len(), 2);
        assert_eq!(refused[0].input, dir.join("a.png"));
        assert_eq!(refused[0].result.as_ref().unwrap_err().kind(), "collision");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
