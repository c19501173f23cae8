//! What the workspace holds, read from `cargo metadata` rather than guessed:
//! the exercises and their graded steps (`[package.metadata.grade]` in
//! `exercises/<name>/Cargo.toml`), the matching solutions and their mutants
//! (`solutions/<name>/mutants/*.toml`, see `mutant.rs`).
//!
//! Convention (ARCHITECTURE.md): `exercises/<name>` is package
//! `<name>-exercise`, `solutions/<name>` is package `<name>-solution`, and
//! both are graded by the same steps.

use crate::mutant::{self, Mutant};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: xtask lives one level below it.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// The workspace as the grader sees it.
#[derive(Debug)]
pub struct Project {
    pub root: PathBuf,
    /// Target directory, for the grader's own state (never `exercises/`).
    pub target_dir: PathBuf,
    pub exercises: Vec<Exercise>,
}

/// One exercise: the learner's package, the reference and its mutants.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// Folder name under `exercises/`, e.g. `concepts`.
    pub name: String,
    /// Package holding the learner's code.
    pub package: String,
    /// Folder of the learner's package.
    pub dir: PathBuf,
    /// Package holding the reference solution.
    pub solution: String,
    pub solution_dir: PathBuf,
    pub steps: Vec<Step>,
    pub mutants: Vec<Mutant>,
    /// Checksums of the given files (`src/given/`), by path relative to
    /// `dir`, from `[package.metadata.grade.given]` (see `given.rs`).
    pub given: BTreeMap<String, String>,
    /// Checksums of the learner's files as handed out (every `src/` file
    /// outside `src/given/`), by path relative to `dir`, from
    /// `[package.metadata.grade.stubs]`: what `cargo xtask reset` looks for
    /// in the git history (see `stubs.rs`).
    pub stubs: BTreeMap<String, String>,
}

/// One graded step, as declared in `[package.metadata.grade]`.
#[derive(Debug, Clone, Deserialize)]
pub struct Step {
    /// Short name the learner types, e.g. `primes-threads`.
    pub id: String,
    pub title: String,
    /// Name of the `#[test]` function (the last segment of its path).
    pub test: String,
    /// The learner's file this step is about.
    pub file: String,
    /// Test target that contains it.
    #[serde(default = "default_binary")]
    pub binary: String,
    /// Hard limit for the step's process, in seconds. The test's own
    /// watchdog fires first; this only catches a broken watchdog.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// The book page that walks through the reference answer, relative to
    /// `book/src/` (e.g. `concepts/walkthrough/primes.md`): read after the
    /// step has passed, and linked by `grade` when it does.
    #[serde(default)]
    pub walkthrough: Option<String>,
}

fn default_binary() -> String {
    "grade".into()
}

fn default_timeout() -> u64 {
    120
}

#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    target_directory: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
}

impl Package {
    fn dir(&self) -> PathBuf {
        self.manifest_path
            .parent()
            .expect("a manifest is in a folder")
            .to_path_buf()
    }
}

impl Project {
    /// Read the workspace with `cargo metadata`.
    pub fn load() -> Result<Project> {
        let root = root();
        let output = Command::new(cargo_bin())
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(&root)
            .output()
            .context("cannot run `cargo metadata`")?;
        if !output.status.success() {
            bail!(
                "`cargo metadata` failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let metadata: Metadata = serde_json::from_slice(&output.stdout)
            .context("cannot read the output of `cargo metadata`")?;
        let exercises = find_exercises(&root, &metadata.packages)?;
        Ok(Project {
            root,
            target_dir: metadata.target_directory,
            exercises,
        })
    }

    /// A `cargo` command run from the workspace root.
    pub fn cargo(&self) -> Command {
        let mut cargo = Command::new(cargo_bin());
        cargo.current_dir(&self.root);
        // `cargo xtask` is `cargo run`, which describes *this* package to
        // us in CARGO_MANIFEST_DIR, CARGO_PKG_NAME and friends. Passed on to
        // a nested cargo, they look to build scripts that watch them (ring's
        // does: `rerun-if-env-changed=CARGO_MANIFEST_DIR`) like a changed
        // environment, and ring, rustls and reqwest are rebuilt — then
        // again by the next plain `cargo test`. Without them the nested
        // cargo sees the same environment as one started from the shell.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let described_us = key.starts_with("CARGO_PKG_")
                || key.starts_with("CARGO_MANIFEST_")
                || matches!(
                    &*key,
                    "CARGO_CRATE_NAME"
                        | "CARGO_BIN_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_RUSTC_CURRENT_DIR"
                        | "OUT_DIR"
                );
            if described_us {
                cargo.env_remove(&*key);
            }
        }
        cargo
    }

    /// The exercise called `name`, or a helpful error listing them.
    pub fn exercise(&self, name: &str) -> Result<&Exercise> {
        self.exercises
            .iter()
            .find(|e| e.name == name)
            .with_context(|| {
                format!(
                    "there is no exercise `{name}`; there are: {}",
                    self.exercise_names()
                )
            })
    }

    /// The exercises to work on: one by name, or all of them.
    pub fn select(&self, name: Option<&str>) -> Result<Vec<&Exercise>> {
        match name {
            Some(name) => Ok(vec![self.exercise(name)?]),
            None => Ok(self.exercises.iter().collect()),
        }
    }

    fn exercise_names(&self) -> String {
        let names: Vec<_> = self.exercises.iter().map(|e| e.name.as_str()).collect();
        names.join(", ")
    }

    /// Where the grader keeps its own state (hint progress, last results).
    pub fn state_dir(&self) -> PathBuf {
        self.target_dir.join("xtask")
    }
}

impl Exercise {
    /// The step called `id`, or a helpful error listing them.
    pub fn step(&self, id: &str) -> Result<&Step> {
        self.steps.iter().find(|s| s.id == id).with_context(|| {
            let ids: Vec<_> = self.steps.iter().map(|s| s.id.as_str()).collect();
            format!(
                "exercise `{}` has no step `{id}`; its steps are: {}",
                self.name,
                ids.join(", ")
            )
        })
    }
}

/// The strings of a TOML array (`members = [...]`, `features = [...]`);
/// nothing when `value` is missing or not an array.
pub fn toml_strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The `cargo` that runs us, so a `+toolchain` choice carries over.
pub fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn find_exercises(root: &Path, packages: &[Package]) -> Result<Vec<Exercise>> {
    let by_dir = |dir: PathBuf| packages.iter().find(|p| p.dir() == dir);
    let mut exercises = Vec::new();
    for package in packages {
        let dir = package.dir();
        if dir.parent() != Some(&root.join("exercises")) {
            continue;
        }
        let name = dir
            .file_name()
            .expect("a folder has a name")
            .to_string_lossy()
            .into_owned();
        let steps = package
            .metadata
            .as_ref()
            .and_then(|m| m.pointer("/grade/steps"))
            .with_context(|| {
                format!(
                    "{} declares no [package.metadata.grade] steps",
                    package.manifest_path.display()
                )
            })?;
        let steps: Vec<Step> = serde_json::from_value(steps.clone()).with_context(|| {
            format!(
                "the [package.metadata.grade] steps of {} are malformed",
                package.manifest_path.display()
            )
        })?;
        let given = checksum_table(package, "given")?;
        let stubs = checksum_table(package, "stubs")?;
        let solution_dir = root.join("solutions").join(&name);
        let solution = by_dir(solution_dir.clone())
            .with_context(|| format!("exercise `{name}` has no solutions/{name} package"))?;
        let mutants = find_mutants(solution, &steps)?;
        exercises.push(Exercise {
            name,
            package: package.name.clone(),
            dir,
            solution: solution.name.clone(),
            solution_dir,
            steps,
            mutants,
            given,
            stubs,
        });
    }
    exercises.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(exercises)
}

/// A `path = "checksum"` table of `[package.metadata.grade]`, e.g.
/// `given` or `stubs`; empty when the manifest has none.
fn checksum_table(package: &Package, name: &str) -> Result<BTreeMap<String, String>> {
    let pointer = format!("/grade/{name}");
    match package.metadata.as_ref().and_then(|m| m.pointer(&pointer)) {
        None => Ok(BTreeMap::new()),
        Some(table) => serde_json::from_value(table.clone()).with_context(|| {
            format!(
                "[package.metadata.grade.{name}] of {} is malformed (path = \"checksum\" lines)",
                package.manifest_path.display()
            )
        }),
    }
}

fn find_mutants(solution: &Package, steps: &[Step]) -> Result<Vec<Mutant>> {
    let mutants = mutant::load_all(&solution.dir())?;
    for m in &mutants {
        if !steps.iter().any(|s| s.id == m.step) {
            bail!(
                "{}: mutant `{}` names step `{}`, which the exercise does not have",
                m.path.display(),
                m.name,
                m.step
            );
        }
    }
    Ok(mutants)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grader builds the probes, never a test world: no HTTP server
    /// (hyper) under the harness or under xtask. The local site and the
    /// other fixtures are crates of their own under `fixtures/`.
    #[test]
    fn the_grader_and_the_probes_build_no_http_server() {
        let project = Project::load().expect("the workspace loads");
        for args in [
            &["tree", "--package", "harness", "--prefix", "none"][..],
            &[
                "tree",
                "--package",
                "xtask",
                "--edges",
                "normal",
                "--prefix",
                "none",
            ],
        ] {
            let output = project.cargo().args(args).output().expect("cargo runs");
            assert!(output.status.success(), "cargo {}", args.join(" "));
            let tree = String::from_utf8_lossy(&output.stdout);
            let servers: Vec<&str> = tree
                .lines()
                .filter(|line| line.to_ascii_lowercase().contains("hyper"))
                .collect();
            assert!(
                servers.is_empty(),
                "cargo {} lists {servers:?}",
                args.join(" ")
            );
            // Read at all: the tree names the package itself first.
            assert!(tree.lines().next().is_some_and(|l| l.starts_with(args[2])));
        }
    }
}
