//! Building mutants from the reference: a generated workspace under
//! `target/mutants/<exercise>/`, with one package per mutant.
//!
//! Each package is a copy of `solutions/<exercise>` with the mutant's
//! hunks applied (see `mutant.rs`), renamed `<exercise>-mutant-<name>`
//! but keeping the library's name, so the suite's `use <lib> as kata`
//! works unchanged. The generated workspace's manifest is the real one's
//! — the same dependencies, features, lints and profiles — with path
//! dependencies made absolute, so building it with the real target
//! directory reuses every dependency already built: a mutant costs its
//! own crate and its step's test target, nothing more. All mutants of an
//! exercise build in one `cargo` invocation, so they compile side by side
//! on every core.
//!
//! The copies' `#[path = "../../../exercises/..."]` attributes (the given
//! code and the suite, shared with the exercise) still resolve: the
//! generated workspace has the same depth as the real one, and its
//! `exercises` is a link to the real folder.
//!
//! Nothing here writes outside `target/`. Files are rewritten only when
//! their content changes, so re-grading an unchanged mutant rebuilds
//! nothing.

use crate::mutant::{self, Mutant};
use crate::project::{Exercise, Project};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// One mutant, ready to run (or the reason it is not).
#[derive(Debug)]
pub struct Built {
    /// The mutant's generated package folder (a step runs from it).
    pub dir: PathBuf,
    /// Test target name → its executable.
    pub binaries: BTreeMap<String, PathBuf>,
    /// Why the mutant could not be built from the reference: a hunk that no
    /// longer applies. (A mutant that does not compile has no binaries.)
    pub problem: Option<String>,
}

/// The generated workspace of `exercise`'s mutants.
pub fn workspace_dir(project: &Project, exercise: &Exercise) -> PathBuf {
    project.target_dir.join("mutants").join(&exercise.name)
}

/// The generated package name of a mutant.
pub fn package_name(exercise: &Exercise, mutant: &Mutant) -> String {
    format!("{}-mutant-{}", exercise.name, mutant.name)
}

/// Build `mutants` of `exercise` with the test targets their steps need.
/// Cargo's own output (progress, compiler errors) goes to the terminal.
pub fn build(project: &Project, exercise: &Exercise, mutants: &[&Mutant]) -> Result<Vec<Built>> {
    let ws = workspace_dir(project, exercise);
    std::fs::create_dir_all(ws.join("solutions"))
        .with_context(|| format!("cannot create {}", ws.display()))?;
    // Two graders at once must not rewrite each other's sources mid-build.
    let _lock = lock(&ws.join(".lock"))?;

    let mut built = Vec::new();
    let mut members = Vec::new();
    for m in mutants {
        let dir = ws.join("solutions").join(&m.name);
        let shape = mutant::shape_problems(m);
        let applied = if shape.is_empty() {
            mutant::apply(m, &exercise.solution_dir)
        } else {
            Err(anyhow::anyhow!("{}", shape.join("; ")))
        };
        match applied {
            Ok(changed) => {
                write_copy(exercise, m, &dir, &changed)?;
                members.push((package_name(exercise, m), m.name.clone()));
                built.push(Built {
                    dir,
                    binaries: BTreeMap::new(),
                    problem: None,
                });
            }
            Err(error) => built.push(Built {
                dir,
                binaries: BTreeMap::new(),
                problem: Some(format!("{error:#}")),
            }),
        }
    }
    remove_stale(&ws, exercise)?;
    if members.is_empty() {
        return Ok(built);
    }
    write_if_changed(
        &ws.join("Cargo.toml"),
        &workspace_manifest(project, exercise, &members)?,
    )?;
    let binaries: std::collections::BTreeSet<String> = mutants
        .iter()
        .filter_map(|m| exercise.step(&m.step).ok())
        .map(|s| s.binary.clone())
        .collect();
    write_unifier(project, &ws, &binaries)?;
    // The real lock file: the same versions of every dependency.
    let lock_text = std::fs::read(project.root.join("Cargo.lock")).context("reading Cargo.lock")?;
    write_if_changed(&ws.join("Cargo.lock"), &lock_text)?;
    link_exercises(project, &ws)?;

    // One cargo run per test target needed, each building every mutant
    // that needs it, side by side.
    let mut by_binary: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (m, b) in mutants.iter().zip(&built) {
        if b.problem.is_some() {
            continue;
        }
        let step = exercise.step(&m.step)?;
        by_binary
            .entry(step.binary.clone())
            .or_default()
            .push(package_name(exercise, m));
    }
    for (binary, packages) in by_binary {
        let mut cargo = project.cargo();
        cargo
            // `build --test` rather than `test --no-run`: the same test
            // binaries, and `--keep-going`, so one mutant that does not
            // compile does not stop the others from being built.
            .args([
                "build",
                "--keep-going",
                "--message-format=json-render-diagnostics",
                "--manifest-path",
            ])
            .arg(ws.join("Cargo.toml"))
            .args(["--test", &binary])
            .env("CARGO_TARGET_DIR", &project.target_dir);
        for package in &packages {
            cargo.args(["--package", package]);
        }
        cargo.args(["--package", UNIFIER]);
        let output = cargo
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run cargo")?;
        for (dir, executable) in crate::grade::test_executables(&output.stdout, &binary) {
            if let Some(b) = built.iter_mut().find(|b| b.dir == dir) {
                b.binaries.insert(binary.clone(), executable);
            }
        }
    }
    Ok(built)
}

/// Copy the reference into `dir` with `changed` files replaced, and the
/// package renamed.
fn write_copy(
    exercise: &Exercise,
    m: &Mutant,
    dir: &Path,
    changed: &BTreeMap<String, String>,
) -> Result<()> {
    let source = &exercise.solution_dir;
    // A file the reference no longer has must not linger in the copy.
    if dir.is_dir() {
        let wanted: std::collections::BTreeSet<PathBuf> = files_under(source)?
            .iter()
            .map(|f| {
                f.strip_prefix(source)
                    .expect("listed under it")
                    .to_path_buf()
            })
            .collect();
        for stale in files_under(dir)? {
            let relative = stale.strip_prefix(dir).expect("listed under it");
            if !wanted.contains(relative) {
                std::fs::remove_file(&stale)
                    .with_context(|| format!("removing {}", stale.display()))?;
            }
        }
    }
    for file in files_under(source)? {
        let relative = file.strip_prefix(source).expect("listed under it");
        let key = relative.to_string_lossy().replace('\\', "/");
        let bytes = match changed.get(&key) {
            Some(text) => text.clone().into_bytes(),
            None if key == "Cargo.toml" => {
                package_manifest(&file, &package_name(exercise, m))?.into_bytes()
            }
            None => std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
        };
        write_if_changed(&dir.join(relative), &bytes)?;
    }
    Ok(())
}

/// Every file of a solution crate but its mutants and build output.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in
            std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))?
        {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default();
            if path.is_dir() {
                if folder == dir && (name == "mutants" || name == "target") {
                    continue;
                }
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The solution's manifest under the mutant's package name. The library
/// keeps the solution's name, which the suite imports.
fn package_manifest(path: &Path, package: &str) -> Result<String> {
    let text = std::fs::read_to_string(path)?;
    let mut manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))?;
    let original = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .context("the solution's manifest names its package")?
        .to_owned();
    let lib_name = manifest
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .map_or_else(|| original.replace('-', "_"), str::to_owned);
    let package_table = manifest
        .get_mut("package")
        .and_then(|p| p.as_table_mut())
        .context("[package] is a table")?;
    package_table.insert("name".into(), package.into());
    package_table.remove("metadata");
    let lib = manifest
        .entry("lib")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(lib) = lib.as_table_mut() {
        lib.insert("name".into(), lib_name.into());
    }
    Ok(format!(
        "# Generated by `cargo xtask grade --mutants` from {}: do not edit.\n{}",
        path.display(),
        toml::to_string(&manifest)?
    ))
}

/// The real workspace manifest, for `members` only: path dependencies made
/// absolute, and the profile settings of the solution given to each
/// mutant (and of every other local crate kept as it is in the real
/// workspace, where it is a member and so not under `package."*"`).
fn workspace_manifest(
    project: &Project,
    exercise: &Exercise,
    members: &[(String, String)],
) -> Result<Vec<u8>> {
    let root_manifest = project.root.join("Cargo.toml");
    let mut root: toml::Table = toml::from_str(&std::fs::read_to_string(&root_manifest)?)
        .context("the workspace manifest is malformed")?;
    let workspace = root
        .get_mut("workspace")
        .and_then(|w| w.as_table_mut())
        .context("the root manifest has a [workspace]")?;
    workspace.remove("default-members");
    workspace.insert(
        "members".into(),
        toml::Value::Array(
            members
                .iter()
                .map(|(_, name)| format!("solutions/{name}").into())
                .chain(std::iter::once(UNIFIER.into()))
                .collect(),
        ),
    );
    // A mutant's own warnings (an import its mistake left unused, say)
    // are noise here: it is built to fail, not to be clean.
    if let Some(rust) = workspace
        .get_mut("lints")
        .and_then(|l| l.get_mut("rust"))
        .and_then(|r| r.as_table_mut())
    {
        let mut allow = toml::Table::new();
        allow.insert("level".into(), "allow".into());
        allow.insert("priority".into(), toml::Value::Integer(10));
        rust.insert("warnings".into(), toml::Value::Table(allow));
    }
    // Local crate → its folder.
    let mut local = BTreeMap::new();
    if let Some(deps) = workspace
        .get_mut("dependencies")
        .and_then(|d| d.as_table_mut())
    {
        for (name, dep) in deps.iter_mut() {
            if let Some(path) = dep.get("path").and_then(|p| p.as_str()) {
                let absolute = project.root.join(path);
                local.insert(name.clone(), absolute.clone());
                if let Some(table) = dep.as_table_mut() {
                    table.insert(
                        "path".into(),
                        absolute.to_string_lossy().into_owned().into(),
                    );
                }
            }
        }
    }
    // The local crates the mutants build (harness, fixtures such as site),
    // which keep the settings they have as members of the real workspace.
    let used = local_crates_used(&exercise.solution_dir, &local)?;
    if let Some(profiles) = root.get_mut("profile").and_then(|p| p.as_table_mut()) {
        for (_, profile) in profiles.iter_mut() {
            let Some(profile) = profile.as_table_mut() else {
                continue;
            };
            let base_opt = profile.get("opt-level").cloned();
            let Some(packages) = profile.get_mut("package").and_then(|p| p.as_table_mut()) else {
                continue;
            };
            let solution = packages.get(&exercise.solution).cloned();
            let mut kept = toml::Table::new();
            if let Some(all) = packages.get("*") {
                kept.insert("*".into(), all.clone());
            }
            for name in local.keys() {
                if name == &exercise.solution || !used.contains(name) {
                    continue;
                }
                let setting = packages.get(name).cloned().unwrap_or_else(|| {
                    let mut t = toml::Table::new();
                    t.insert(
                        "opt-level".into(),
                        base_opt.clone().unwrap_or(toml::Value::Integer(0)),
                    );
                    toml::Value::Table(t)
                });
                kept.insert(name.clone(), setting);
            }
            // The solution's settings for each mutant (the same code, so
            // the same speed), without debug info: a mutant is built to be
            // graded, never stepped through, and leaving it out makes each
            // build about a third quicker.
            let mut mutant_profile = solution
                .and_then(|s| s.as_table().cloned())
                .unwrap_or_default();
            mutant_profile.insert("debug".into(), toml::Value::Integer(0));
            for (package, _) in members {
                kept.insert(package.clone(), toml::Value::Table(mutant_profile.clone()));
            }
            *packages = kept;
        }
    }
    Ok(format!(
        "# Generated by `cargo xtask grade --mutants` from {}: do not edit.\n{}",
        root_manifest.display(),
        toml::to_string(&root)?
    )
    .into_bytes())
}

/// The generated package that makes a mutant build reuse the
/// dependencies `cargo test` already built.
///
/// Cargo enables a dependency's features by the packages a build selects.
/// A mutant workspace selects one exercise's mutants, which ask less of
/// tokio, reqwest or rusqlite than the whole real workspace does, so
/// without this every exercise's mutants compiled ~80 registry crates
/// again (ring, rustls, bundled SQLite among them) with their own feature
/// sets: minutes of a CI run, for nothing. This package depends on every
/// registry crate the real workspace's default members depend on, with the
/// features they ask for, and is selected beside the mutants, so the
/// features come out as `cargo test` has them and every dependency is
/// already fresh. Its test targets (one per binary name the steps use, so
/// `--test NAME` matches it too) are empty.
const UNIFIER: &str = "unify";

fn write_unifier(
    project: &Project,
    ws: &Path,
    binaries: &std::collections::BTreeSet<String>,
) -> Result<()> {
    let root: toml::Table =
        toml::from_str(&std::fs::read_to_string(project.root.join("Cargo.toml"))?)
            .context("the workspace manifest is malformed")?;
    let workspace = root.get("workspace").and_then(|w| w.as_table());
    let list = |key: &str| crate::project::toml_strings(workspace.and_then(|w| w.get(key)));
    let mut members = list("default-members");
    if members.is_empty() {
        members = list("members");
    }
    let inherited = workspace
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    let is_local = |spec: &toml::Value| spec.get("path").is_some();

    // Name → (the member's spec with `workspace = true` kept, features).
    let mut wanted: BTreeMap<String, (toml::Value, std::collections::BTreeSet<String>)> =
        BTreeMap::new();
    for member in &members {
        let path = project.root.join(member).join("Cargo.toml");
        let manifest: toml::Table = toml::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{} is malformed", path.display()))?;
        for section in ["dependencies", "dev-dependencies"] {
            let Some(deps) = manifest.get(section).and_then(|d| d.as_table()) else {
                continue;
            };
            for (name, spec) in deps {
                let optional = spec.get("optional").and_then(|o| o.as_bool()) == Some(true);
                let from_workspace = spec.get("workspace").and_then(|w| w.as_bool()) == Some(true);
                let local = if from_workspace {
                    inherited.get(name).is_none_or(is_local)
                } else {
                    is_local(spec)
                };
                if optional || local {
                    continue;
                }
                let features = crate::project::toml_strings(spec.get("features"));
                let entry = wanted
                    .entry(name.clone())
                    .or_insert_with(|| (spec.clone(), Default::default()));
                entry.1.extend(features);
            }
        }
    }
    let mut deps = toml::Table::new();
    for (name, (spec, features)) in wanted {
        let mut table = match spec {
            toml::Value::Table(t) => t,
            version => {
                let mut t = toml::Table::new();
                t.insert("version".into(), version);
                t
            }
        };
        table.remove("optional");
        if !features.is_empty() {
            table.insert(
                "features".into(),
                toml::Value::Array(features.into_iter().map(Into::into).collect()),
            );
        }
        deps.insert(name, toml::Value::Table(table));
    }
    let mut package = toml::Table::new();
    package.insert("name".into(), UNIFIER.into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), "2024".into());
    package.insert("publish".into(), false.into());
    for auto in [
        "autobins",
        "autoexamples",
        "autotests",
        "autobenches",
        "autolib",
    ] {
        package.insert(auto.into(), false.into());
    }
    let tests: Vec<toml::Value> = binaries
        .iter()
        .map(|name| {
            let mut t = toml::Table::new();
            t.insert("name".into(), name.clone().into());
            t.insert("path".into(), "empty.rs".into());
            t.insert("harness".into(), false.into());
            toml::Value::Table(t)
        })
        .collect();
    let mut manifest = toml::Table::new();
    manifest.insert("package".into(), toml::Value::Table(package));
    manifest.insert("dependencies".into(), toml::Value::Table(deps));
    manifest.insert("test".into(), toml::Value::Array(tests));
    let dir = ws.join(UNIFIER);
    write_if_changed(
        &dir.join("Cargo.toml"),
        format!(
            "# Generated by `cargo xtask grade --mutants`: do not edit.\n{}",
            toml::to_string(&manifest)?
        )
        .as_bytes(),
    )?;
    write_if_changed(
        &dir.join("empty.rs"),
        b"//! Empty: this package only unifies dependency features.\nfn main() {}\n",
    )
}

/// The local crates (of `local`, name → folder) that building the
/// solution in `solution_dir` with its tests builds: its own dependencies
/// and dev-dependencies, and the normal dependencies of those in turn
/// (a fixture built on the harness brings the harness). Missing one would
/// build it with the registry crates' settings instead of its own: a
/// second copy of it to compile, for nothing.
fn local_crates_used(
    solution_dir: &Path,
    local: &BTreeMap<String, PathBuf>,
) -> Result<std::collections::BTreeSet<String>> {
    fn dependencies(dir: &Path, sections: &[&str]) -> Result<Vec<String>> {
        let path = dir.join("Cargo.toml");
        let manifest: toml::Table = toml::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{} is malformed", path.display()))?;
        Ok(sections
            .iter()
            .filter_map(|k| manifest.get(*k).and_then(|d| d.as_table()))
            .flat_map(|d| d.keys().cloned())
            .collect())
    }
    let mut used = std::collections::BTreeSet::new();
    let mut pending = dependencies(
        solution_dir,
        &["dependencies", "dev-dependencies", "build-dependencies"],
    )?;
    while let Some(name) = pending.pop() {
        let Some(dir) = local.get(&name) else {
            continue;
        };
        if used.insert(name) {
            // A dependency's own dev-dependencies are never built for it.
            pending.extend(dependencies(dir, &["dependencies", "build-dependencies"])?);
        }
    }
    Ok(used)
}

/// `<ws>/exercises` → the real `exercises/`, for the copies' `#[path]`s.
fn link_exercises(project: &Project, ws: &Path) -> Result<()> {
    let link = ws.join("exercises");
    let target = project.root.join("exercises");
    if std::fs::read_link(&link).is_ok_and(|t| t == target) {
        return Ok(());
    }
    let _ = std::fs::remove_file(&link);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &link)
        .with_context(|| format!("cannot link {} to {}", link.display(), target.display()))?;
    #[cfg(not(unix))]
    bail!("building mutants needs symbolic links, which this platform lacks");
    Ok(())
}

/// Remove the copies of mutants that no longer exist.
fn remove_stale(ws: &Path, exercise: &Exercise) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(ws.join("solutions")) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !exercise.mutants.iter().any(|m| m.name == name) {
            std::fs::remove_dir_all(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// An exclusive lock on `path` (flock), released when the file closes.
fn lock(path: &Path) -> Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is valid while `file` lives.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            bail!(
                "cannot lock {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_crates_used_through_others_count_too() {
        let root = std::env::temp_dir().join(format!("xtask-local-crates-{}", std::process::id()));
        let write = |dir: &str, manifest: &str| {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            std::fs::write(root.join(dir).join("Cargo.toml"), manifest).unwrap();
        };
        write(
            "solution",
            "[dependencies]\nregistry = \"1\"\n[dev-dependencies]\nfixture.workspace = true\n",
        );
        // The fixture's own dev-dependency is never built for the solution.
        write(
            "fixture",
            "[dependencies]\nprobes.workspace = true\n[dev-dependencies]\nextra.workspace = true\n",
        );
        write("probes", "[dependencies]\nregistry = \"1\"\n");
        write("extra", "");
        write("unrelated", "");
        let local: BTreeMap<String, PathBuf> = ["fixture", "probes", "extra", "unrelated"]
            .into_iter()
            .map(|name| (name.to_owned(), root.join(name)))
            .collect();
        let used = local_crates_used(&root.join("solution"), &local);
        let _ = std::fs::remove_dir_all(&root);
        let used: Vec<String> = used.unwrap().into_iter().collect();
        assert_eq!(used, ["fixture", "probes"]);
    }

    #[test]
    fn the_unifier_asks_for_the_registry_crates_of_the_default_members() {
        let project = Project::load().expect("the workspace loads");
        let ws = std::env::temp_dir().join(format!("unifier-{}", std::process::id()));
        let binaries = ["grade".to_owned()].into_iter().collect();
        let written = write_unifier(&project, &ws, &binaries);
        let text = std::fs::read_to_string(ws.join(UNIFIER).join("Cargo.toml"));
        let _ = std::fs::remove_dir_all(&ws);
        written.unwrap();
        let manifest: toml::Table = toml::from_str(&text.unwrap()).unwrap();
        let deps = manifest["dependencies"].as_table().unwrap();
        // Registry crates the solutions and programs use, from the
        // workspace's own table.
        for name in ["tokio", "reqwest", "rusqlite", "rayon"] {
            assert_eq!(deps[name]["workspace"].as_bool(), Some(true), "{name}");
        }
        // Never a local crate: those keep their own settings.
        assert!(!deps.contains_key("harness"));
        assert!(!deps.contains_key("crawler-solution"));
        let tests = manifest["test"].as_array().unwrap();
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0]["name"].as_str(), Some("grade"));
    }

    #[test]
    fn the_generated_manifests_keep_the_real_settings() {
        let project = Project::load().expect("the workspace loads");
        let exercise = project.exercise("crawler").expect("the crawler exercise");
        let members = [("crawler-mutant-x".to_owned(), "x".to_owned())];
        let manifest: toml::Table = toml::from_str(
            std::str::from_utf8(&workspace_manifest(&project, exercise, &members).unwrap())
                .unwrap(),
        )
        .unwrap();
        let workspace = manifest["workspace"].as_table().unwrap();
        // The mutant and the feature unifier.
        assert_eq!(workspace["members"].as_array().unwrap().len(), 2);
        assert!(workspace.get("default-members").is_none());
        // Path dependencies point into the real workspace.
        let harness = workspace["dependencies"]["harness"]["path"]
            .as_str()
            .unwrap();
        assert_eq!(Path::new(harness), project.root.join("harness"));
        // The solution's opt-level goes to the mutant, without debug info;
        // the harness keeps a member's settings; registry crates keep "*".
        let packages = manifest["profile"]["dev"]["package"].as_table().unwrap();
        assert_eq!(
            packages["crawler-mutant-x"]["opt-level"].as_integer(),
            Some(1)
        );
        assert_eq!(packages["crawler-mutant-x"]["debug"].as_integer(), Some(0));
        assert_eq!(packages["harness"]["opt-level"].as_integer(), Some(0));
        // So does the local site the suite crawls, a path dependency too.
        let site = workspace["dependencies"]["site"]["path"].as_str().unwrap();
        assert_eq!(Path::new(site), project.root.join("fixtures/site"));
        assert_eq!(packages["site"]["opt-level"].as_integer(), Some(0));
        assert_eq!(packages["*"]["opt-level"].as_integer(), Some(2));
        assert!(packages.get("image-processor-solution").is_none());

        let package: toml::Table = toml::from_str(
            &package_manifest(
                &exercise.solution_dir.join("Cargo.toml"),
                "crawler-mutant-x",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            package["package"]["name"].as_str(),
            Some("crawler-mutant-x")
        );
        assert_eq!(package["lib"]["name"].as_str(), Some("crawler_solution"));
    }
}
