//! Which folders a run reads, and where each one's results go — decided,
//! and refused when unsafe, before anything is created or written.
//!
//! The library plans one folder at a time (`kata::job::plan`: one output
//! per input, never an input, never twice the same). What it cannot see is
//! the shape of the two trees: an output folder inside the input folder
//! fills the input with thumbnails that the next run takes for photos (and
//! thumbnails again, and refuses, and counts); an input inside the output
//! is the same mistake the other way round. [`folders`] compares the *real*
//! locations — symbolic links followed, `..` resolved, the output's nearest
//! existing ancestor standing in for a folder not created yet — and refuses
//! any overlap, for every folder `--recursive` would walk.
//!
//! Used by `main.rs`; the unit tests below run with `cargo test -p
//! image-processor --lib`.

use crate::kata;
use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

/// One folder of the input tree: its images and where their results go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The folder as reached from `--input` (`--input` joined with the
    /// subfolders' names, links kept as they are named).
    pub input: PathBuf,
    /// The matching folder under `--output` (not created here).
    pub output: PathBuf,
    /// Its images, as `kata::job::list_images` lists them.
    pub images: Vec<PathBuf>,
}

/// Why the folders cannot be processed.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// `--output` is `--input`.
    #[error(
        "--output {} is the input folder itself: the thumbnails would be taken for photos next \
         time; choose another folder",
        output.display()
    )]
    Same {
        /// `--output` as given.
        output: PathBuf,
    },
    /// `--output` is inside `--input`.
    #[error(
        "--output {} is inside --input {}: the thumbnails would be taken for photos next time; \
         choose a folder outside it",
        output.display(),
        input.display()
    )]
    OutputInside {
        /// `--input` as given.
        input: PathBuf,
        /// `--output` as given.
        output: PathBuf,
    },
    /// `--input` is inside `--output`.
    #[error(
        "--input {} is inside --output {}: the thumbnails would be written among the photos; \
         choose an output folder outside the input",
        input.display(),
        output.display()
    )]
    InputInside {
        /// `--input` as given.
        input: PathBuf,
        /// `--output` as given.
        output: PathBuf,
    },
    /// A subfolder `--recursive` would walk is, or holds, or lies inside
    /// `--output` (through a symbolic link).
    #[error(
        "{} leads to {}, which overlaps --output {}: the thumbnails would be taken for photos; \
         choose a folder outside the input tree",
        folder.display(),
        real.display(),
        output.display()
    )]
    LinkedIn {
        /// The subfolder, as reached from `--input`.
        folder: PathBuf,
        /// Where it really is.
        real: PathBuf,
        /// `--output` as given.
        output: PathBuf,
    },
    /// A folder could not be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// The real location of `path`, which need not exist yet: its nearest
/// existing ancestor canonicalised (links followed), the rest appended with
/// `..` resolved by name (nothing below a missing folder can be a link).
/// A dangling link is resolved through its target.
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    resolve_within(path, 0)
}

fn resolve_within(path: &Path, depth: usize) -> io::Result<PathBuf> {
    // As many links as the kernel follows before ELOOP.
    if depth > 40 {
        return Err(io::Error::other(format!(
            "{}: too many levels of symbolic links",
            path.display()
        )));
    }
    let absolute = std::path::absolute(path)?;
    let components: Vec<Component<'_>> = absolute.components().collect();
    for existing in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..existing].iter().collect();
        let real = match std::fs::canonicalize(&prefix) {
            Ok(real) => real,
            Err(_) => match std::fs::read_link(&prefix) {
                // A link to something missing: where it points.
                Ok(target) => {
                    let parent = prefix.parent().unwrap_or(Path::new("/"));
                    resolve_within(&parent.join(target), depth + 1)?
                }
                Err(_) => continue,
            },
        };
        let mut real = real;
        for component in &components[existing..] {
            match component {
                Component::ParentDir => {
                    real.pop();
                }
                Component::Normal(name) => real.push(name),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        return Ok(real);
    }
    Ok(absolute)
}

/// Whether two real folders overlap: one is the other or inside it.
fn overlap(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The folders to process: `input` alone, or with `recursive` every
/// folder under it too (hidden ones skipped, as hidden files are; a link
/// back to a folder already walked skipped with a warning), in name order,
/// each paired with the same place under `output`. Refuses, before
/// anything is created, an `output` that is, or is inside, a folder to be
/// read, or that holds `input`.
pub fn folders(input: &Path, output: &Path, recursive: bool) -> Result<Vec<Folder>, TreeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TreeError::Io { path, source }
    };
    let real_input = std::fs::canonicalize(input).map_err(io(input))?;
    let real_output = resolve(output).map_err(io(output))?;
    if real_input == real_output {
        return Err(TreeError::Same {
            output: output.to_path_buf(),
        });
    }
    if real_output.starts_with(&real_input) {
        return Err(TreeError::OutputInside {
            input: input.to_path_buf(),
            output: output.to_path_buf(),
        });
    }
    if real_input.starts_with(&real_output) {
        return Err(TreeError::InputInside {
            input: input.to_path_buf(),
            output: output.to_path_buf(),
        });
    }
    let mut walk = Walk {
        output,
        real_output,
        recursive,
        visited: HashSet::from([real_input]),
        found: Vec::new(),
    };
    walk.folder(input, output.to_path_buf())?;
    Ok(walk.found)
}

/// The state of one walk of the input tree.
struct Walk<'a> {
    output: &'a Path,
    real_output: PathBuf,
    recursive: bool,
    /// Real locations already walked: a link to one of them (a loop, or a
    /// second name for the same photos) is not walked twice.
    visited: HashSet<PathBuf>,
    found: Vec<Folder>,
}

impl Walk<'_> {
    fn folder(&mut self, input: &Path, output: PathBuf) -> Result<(), TreeError> {
        let io = |source| TreeError::Io {
            path: input.to_path_buf(),
            source,
        };
        let images = kata::job::list_images(input).map_err(io)?;
        self.found.push(Folder {
            input: input.to_path_buf(),
            output: output.clone(),
            images,
        });
        if !self.recursive {
            return Ok(());
        }
        for sub in subfolders(input).map_err(io)? {
            let name = sub.file_name().unwrap_or(sub.as_os_str()).to_owned();
            let real = std::fs::canonicalize(&sub).map_err(|source| TreeError::Io {
                path: sub.clone(),
                source,
            })?;
            // Checked before the visited set: a link into the output is
            // refused even when it points at a folder already walked.
            if overlap(&real, &self.real_output) {
                return Err(TreeError::LinkedIn {
                    folder: sub,
                    real,
                    output: self.output.to_path_buf(),
                });
            }
            if !self.visited.insert(real.clone()) {
                tracing::warn!(
                    "{}: not walked, it leads to {}, already walked",
                    sub.display(),
                    real.display()
                );
                continue;
            }
            self.folder(&sub, output.join(name))?;
        }
        Ok(())
    }
}

/// The folders directly inside `dir` (links to folders included), hidden
/// ones skipped, sorted by name.
pub fn subfolders(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden && path.is_dir() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tree-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::canonicalize(&dir).unwrap()
    }

    #[test]
    fn a_missing_output_resolves_through_its_nearest_existing_ancestor() {
        let dir = scratch("resolve");
        std::fs::create_dir_all(dir.join("in/sub")).unwrap();
        assert_eq!(
            resolve(&dir.join("in/sub/../new/deeper")).unwrap(),
            dir.join("in/new/deeper")
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("in"), dir.join("link")).unwrap();
            assert_eq!(resolve(&dir.join("link/x")).unwrap(), dir.join("in/x"));
            // Dangling: where it would point once created.
            std::os::unix::fs::symlink(dir.join("in/later"), dir.join("dangling")).unwrap();
            assert_eq!(
                resolve(&dir.join("dangling")).unwrap(),
                dir.join("in/later")
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn overlapping_trees_are_refused_and_apart_ones_walked() {
        let dir = scratch("walk");
        for sub in ["in/a/deep", "in/.hidden", "in/b", "out"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::write(dir.join("in/a/deep/x.jpg"), b"x").unwrap();
        let (input, output) = (dir.join("in"), dir.join("thumbs"));
        let all = folders(&input, &output, true).unwrap();
        let pairs: Vec<(PathBuf, PathBuf)> = all
            .iter()
            .map(|f| (f.input.clone(), f.output.clone()))
            .collect();
        let expected: Vec<(PathBuf, PathBuf)> = ["", "a", "a/deep", "b"]
            .iter()
            .map(|rel| (input.join(rel), output.join(rel)))
            .map(|(i, o)| (i.components().collect(), o.components().collect()))
            .collect();
        assert_eq!(pairs, expected);
        assert_eq!(all[2].images, [input.join("a/deep/x.jpg")]);
        assert_eq!(folders(&input, &output, false).unwrap().len(), 1);
        for (output, kind) in [
            (dir.join("in"), "Same"),
            (dir.join("in/./"), "Same"),
            (dir.join("in/a/new"), "OutputInside"),
            (dir.join("out/../in/b"), "OutputInside"),
            (dir.clone(), "InputInside"),
        ] {
            let err = folders(&input, &output, false).unwrap_err();
            assert!(format!("{err:?}").starts_with(kind), "{output:?}: {err:?}");
        }
        #[cfg(unix)]
        {
            // A link inside the input tree to the output: refused only
            // when the walk would follow it.
            std::os::unix::fs::symlink(dir.join("out"), dir.join("in/b/to-out")).unwrap();
            assert!(folders(&input, &dir.join("out"), false).is_ok());
            let err = folders(&input, &dir.join("out/sub"), true).unwrap_err();
            assert!(matches!(err, TreeError::LinkedIn { .. }), "{err:?}");
            std::fs::remove_file(dir.join("in/b/to-out")).unwrap();
            // A loop is walked once.
            std::os::unix::fs::symlink(&input, dir.join("in/b/loop")).unwrap();
            assert_eq!(folders(&input, &output, true).unwrap().len(), 4);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
