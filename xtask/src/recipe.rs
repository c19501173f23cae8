//! The recipe for a practice problem, checked (ARCHITECTURE.md, "Adding a
//! problem").
//!
//! A problem is many pieces in many folders — the learner's crate, the
//! reference, its mutants, the program, a bench, a chapter and its place in
//! `SUMMARY.md`, the workspace's lists — and nothing in cargo or mdBook
//! notices when one is missing: a problem without a bench just has no
//! measured page, a step without a hint just says "no hints". The tests
//! below run [`recipe_problems`] on the real tree (`cargo test -p xtask
//! recipe`), then remove one piece at a time from a copy of it to show that
//! each removal is caught.
//!
//! A problem is any name found under `exercises/`, `solutions/` or
//! `examples/`: a problem that has only some of its pieces is reported for
//! the rest.

use std::collections::BTreeSet;
use std::path::Path;

/// Everything missing or inconsistent, one line each, for every problem of
/// the workspace at `root`.
pub fn recipe_problems(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let names = problem_names(root);
    if names.is_empty() {
        problems.push(format!("{}: no problems found", root.display()));
    }
    let workspace = read_toml(root, "Cargo.toml", &mut problems);
    let summary = std::fs::read_to_string(root.join("book/src/SUMMARY.md")).unwrap_or_default();
    for name in &names {
        let mut check = Check {
            root,
            name,
            problems: &mut problems,
        };
        check.workspace(workspace.as_ref());
        let steps = check.exercise();
        check.hints(&steps);
        check.solution(&steps);
        check.program();
        check.bench();
        check.book(&summary);
    }
    problems
}

/// The names of the problems: the folders of `exercises/`, `solutions/`
/// and `examples/`, together.
pub fn problem_names(root: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for kind in ["exercises", "solutions", "examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                names.insert(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    names
}

/// A graded step as the recipe needs it.
struct Step {
    id: String,
}

struct Check<'a> {
    root: &'a Path,
    name: &'a str,
    problems: &'a mut Vec<String>,
}

impl Check<'_> {
    fn missing(&mut self, what: impl std::fmt::Display) {
        self.problems
            .push(format!("problem `{}`: {what}", self.name));
    }

    fn exists(&mut self, relative: &str, what: &str) -> bool {
        let found = self.root.join(relative).exists();
        if !found {
            self.missing(format_args!("{what} ({relative}) is missing"));
        }
        found
    }

    /// Listed in `members`, the solution and the program also in
    /// `default-members` (the exercise must not be: `cargo test` would fail
    /// on the stubs), and both libraries in `[workspace.dependencies]`.
    fn workspace(&mut self, workspace: Option<&toml::Table>) {
        let Some(workspace) = workspace.and_then(|w| w.get("workspace")) else {
            return self.missing("the root Cargo.toml has no [workspace]");
        };
        let list = |key: &str| crate::project::toml_strings(workspace.get(key));
        let members = list("members");
        let defaults = list("default-members");
        let name = self.name;
        for kind in ["exercises", "solutions", "examples"] {
            let path = format!("{kind}/{name}");
            if !members.contains(&path) {
                self.missing(format_args!("`{path}` is not in the workspace's `members`"));
            }
            let is_default = defaults.contains(&path);
            if kind == "exercises" && is_default {
                self.missing(format_args!(
                    "`{path}` is in `default-members`: plain `cargo test` would fail on the stubs"
                ));
            } else if kind != "exercises" && !is_default {
                self.missing(format_args!(
                    "`{path}` is not in `default-members`, so `cargo test` skips it"
                ));
            }
        }
        let deps = workspace.get("dependencies").and_then(|d| d.as_table());
        for (package, folder) in [("exercise", "exercises"), ("solution", "solutions")] {
            let key = format!("{name}-{package}");
            let path = deps
                .and_then(|d| d.get(&key))
                .and_then(|d| d.get("path"))
                .and_then(|p| p.as_str());
            if path != Some(&format!("{folder}/{name}")) {
                self.missing(format_args!(
                    "[workspace.dependencies] has no `{key} = {{ path = \"{folder}/{name}\" }}`"
                ));
            }
        }
    }

    /// The learner's crate: its names, its steps, each step's file and
    /// test, the suite's test root, and the given code's checksums.
    fn exercise(&mut self) -> Vec<Step> {
        let name = self.name;
        let dir = format!("exercises/{name}");
        let Some(manifest) = read_toml(self.root, &format!("{dir}/Cargo.toml"), self.problems)
        else {
            return Vec::new();
        };
        self.names(&manifest, &format!("{dir}/Cargo.toml"), "exercise");
        let grade = manifest
            .get("package")
            .and_then(|p| p.get("metadata"))
            .and_then(|m| m.get("grade"));
        let declared = grade
            .and_then(|g| g.get("steps"))
            .and_then(|s| s.as_array())
            .cloned()
            .unwrap_or_default();
        if declared.is_empty() {
            self.missing(format_args!(
                "{dir}/Cargo.toml declares no [package.metadata.grade] steps"
            ));
        }
        let suite = rust_sources(&self.root.join(&dir).join("tests"));
        let mut steps = Vec::new();
        for step in &declared {
            let field = |key: &str| step.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            let (Some(id), Some(_title), Some(test), Some(file)) =
                (field("id"), field("title"), field("test"), field("file"))
            else {
                self.missing(format_args!(
                    "a step in {dir}/Cargo.toml lacks one of id, title, test, file"
                ));
                continue;
            };
            self.exists(
                &format!("{dir}/{file}"),
                &format!("the file of step `{id}`"),
            );
            if !suite.contains(&format!("fn {test}(")) {
                self.missing(format_args!(
                    "step `{id}` names test `{test}`, which no file under {dir}/tests defines"
                ));
            }
            steps.push(Step { id });
        }
        self.exists(&format!("{dir}/tests/grade.rs"), "the exercise's test root");
        if self.root.join(&dir).join(crate::given::DIR).is_dir() {
            let recorded = grade
                .and_then(|g| g.get("given"))
                .and_then(|g| g.as_table())
                .is_some_and(|t| !t.is_empty());
            if !recorded {
                self.missing(format_args!(
                    "{dir}/{} has no checksums in [package.metadata.grade.given]",
                    crate::given::DIR
                ));
            }
        }
        steps
    }

    /// `HINTS.md`: a `## step` section with at least one `### hint` for
    /// every step.
    fn hints(&mut self, steps: &[Step]) {
        let path = format!("exercises/{}/HINTS.md", self.name);
        let Ok(text) = std::fs::read_to_string(self.root.join(&path)) else {
            return self.missing(format_args!("{path} is missing"));
        };
        // Hints per `## ` section, counted line by line.
        let mut per_section = std::collections::BTreeMap::<&str, usize>::new();
        let mut section = None;
        for line in text.lines() {
            if let Some(id) = line.strip_prefix("## ") {
                section = Some(id.trim());
                per_section.entry(id.trim()).or_default();
            } else if line.starts_with("### ")
                && let Some(id) = section
            {
                *per_section.entry(id).or_default() += 1;
            }
        }
        for step in steps {
            if per_section.get(step.id.as_str()).is_none_or(|&n| n == 0) {
                self.missing(format_args!(
                    "{path} has no hint for step `{0}` (a `## {0}` section with `### ` hints)",
                    step.id
                ));
            }
        }
    }

    /// The reference: its names, the suite included, and a mutant for
    /// every step — a check that nothing wrong ever failed is not shown to
    /// work.
    fn solution(&mut self, steps: &[Step]) {
        let name = self.name;
        let dir = format!("solutions/{name}");
        if let Some(manifest) = read_toml(self.root, &format!("{dir}/Cargo.toml"), self.problems) {
            self.names(&manifest, &format!("{dir}/Cargo.toml"), "solution");
        }
        let root_file = format!("{dir}/tests/grade.rs");
        if self.exists(&root_file, "the reference's test root") {
            let text = std::fs::read_to_string(self.root.join(&root_file)).unwrap_or_default();
            if !text.contains(&format!("exercises/{name}/tests/suite")) {
                self.missing(format_args!(
                    "{root_file} does not include the exercise's suite (exercises/{name}/tests/suite)"
                ));
            }
        }
        if self
            .root
            .join("exercises")
            .join(name)
            .join(crate::given::DIR)
            .is_dir()
        {
            let lib = std::fs::read_to_string(self.root.join(&dir).join("src/lib.rs"))
                .unwrap_or_default();
            if !lib.contains(&format!("exercises/{name}/src/given/mod.rs")) {
                self.missing(format_args!(
                    "{dir}/src/lib.rs does not compile the exercise's given code \
                     (#[path = \"../../../exercises/{name}/src/given/mod.rs\"])"
                ));
            }
        }
        let mut caught = BTreeSet::new();
        if let Ok(entries) = std::fs::read_dir(self.root.join(&dir).join("mutants")) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    if let Some(step) = text
                        .parse::<toml::Table>()
                        .ok()
                        .and_then(|t| t.get("step")?.as_str().map(str::to_owned))
                    {
                        caught.insert(step);
                    }
                }
            }
        }
        for step in steps {
            if !caught.contains(&step.id) {
                self.missing(format_args!(
                    "no mutant in {dir}/mutants/ is caught by step `{}`",
                    step.id
                ));
            }
        }
    }

    /// The program: package name = folder name, on the reference by
    /// default and on the learner's code with `--features mine`.
    fn program(&mut self) {
        let name = self.name;
        let path = format!("examples/{name}/Cargo.toml");
        let Some(manifest) = read_toml(self.root, &path, self.problems) else {
            return;
        };
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str());
        if package != Some(name) {
            self.missing(format_args!("{path}: the package must be named `{name}`"));
        }
        let features = manifest.get("features").and_then(|f| f.as_table());
        let feature = |key: &str| {
            features
                .and_then(|f| f.get(key))
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        if !feature("default").contains(&"reference")
            || !feature("reference").contains(&format!("dep:{name}-solution").as_str())
            || !feature("mine").contains(&format!("dep:{name}-exercise").as_str())
        {
            self.missing(format_args!(
                "{path} lacks the features `default = [\"reference\"]`, \
                 `reference = [\"dep:{name}-solution\"]` and `mine = [\"dep:{name}-exercise\"]`"
            ));
        }
        self.conventions();
    }

    /// The command-line conventions every program shares (the `cli`
    /// crate): `--version`, `--color` and `--quiet` through `cli::Common`,
    /// set up before anything is printed, and the exit codes through
    /// `cli::exit`; tested in `tests/cli.rs`. Read from the source: a new
    /// program is born with them, or this names what it lacks.
    fn conventions(&mut self) {
        let name = self.name;
        let main = format!("examples/{name}/src/main.rs");
        let Ok(text) = std::fs::read_to_string(self.root.join(&main)) else {
            self.missing(format_args!("{main} is missing"));
            return;
        };
        let code: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let version = code.split("#[command(").skip(1).any(|attr| {
            let attr = &attr[..attr.find(")]").unwrap_or(attr.len())];
            attr.split([',', '(', ' ', '\n'])
                .any(|word| word.trim() == "version")
        });
        for (found, what) in [
            (version, "`#[command(version)]` (for --version)"),
            (
                code.contains("cli::Common"),
                "a flattened `cli::Common` (--color, --quiet)",
            ),
            (
                code.contains(".init()"),
                "`common.init()` (logs without escape codes off a terminal)",
            ),
            (
                code.contains("cli::exit("),
                "`cli::exit(...)` (the exit codes)",
            ),
        ] {
            if !found {
                self.missing(format_args!("{main} lacks {what}"));
            }
        }
        self.exists(
            &format!("examples/{name}/tests/cli.rs"),
            "the program's command-line tests",
        );
    }

    /// A bench of its own (`cargo xtask bench NAME`) and the page it writes.
    fn bench(&mut self) {
        let module = self.name.replace('-', "_");
        self.exists(
            &format!("xtask/src/bench/{module}.rs"),
            "the bench (`cargo xtask bench` subcommand)",
        );
        let registered = std::fs::read_to_string(self.root.join("xtask/src/bench/mod.rs"))
            .is_ok_and(|text| text.contains(&format!("mod {module};")));
        if !registered {
            self.missing(format_args!(
                "xtask/src/bench/mod.rs does not declare `mod {module};`"
            ));
        }
        self.exists(
            &format!("book/src/measured/{}.md", self.name),
            "the bench's measured page",
        );
    }

    /// A chapter, and both it and the measured page in `SUMMARY.md`.
    fn book(&mut self, summary: &str) {
        let name = self.name;
        self.exists(&format!("book/src/{name}/index.md"), "the book chapter");
        for page in [format!("{name}/index.md"), format!("measured/{name}.md")] {
            if !summary.contains(&format!("]({page})")) {
                self.missing(format_args!("book/src/SUMMARY.md does not link {page}"));
            }
        }
    }

    /// `<name>-<kind>` as the package, `<name>_<kind>` as the library.
    fn names(&mut self, manifest: &toml::Table, path: &str, kind: &str) {
        let package = format!("{}-{kind}", self.name);
        let lib = package.replace('-', "_");
        let found = |table: &str| {
            manifest
                .get(table)
                .and_then(|t| t.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        };
        if found("package").as_deref() != Some(&package) {
            self.missing(format_args!(
                "{path}: the package must be named `{package}`"
            ));
        }
        if found("lib").as_deref() != Some(&lib) {
            self.missing(format_args!(
                "{path}: the library must be named `{lib}` ([lib] name)"
            ));
        }
    }
}

fn read_toml(root: &Path, relative: &str, problems: &mut Vec<String>) -> Option<toml::Table> {
    let Ok(text) = std::fs::read_to_string(root.join(relative)) else {
        problems.push(format!("{relative} is missing"));
        return None;
    };
    match text.parse() {
        Ok(table) => Some(table),
        Err(err) => {
            problems.push(format!("{relative} is not valid TOML: {err}"));
            None
        }
    }
}

/// Every `.rs` file under `dir`, concatenated (to look for a test by name).
fn rust_sources(dir: &Path) -> String {
    let mut text = String::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return text;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&rust_sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn every_problem_follows_the_recipe() {
        let root = crate::project::root();
        assert!(problem_names(&root).len() >= 3);
        let problems = recipe_problems(&root);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// A copy of what the recipe reads, in a temporary folder of its own.
    struct Copy(PathBuf);

    impl Copy {
        fn new(label: &str) -> Copy {
            let root = crate::project::root();
            let to = std::env::temp_dir().join(format!(
                "recipe-{label}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&to);
            for part in [
                "exercises",
                "solutions",
                "examples",
                "book/src",
                "xtask/src",
            ] {
                copy_tree(&root.join(part), &to.join(part));
            }
            std::fs::copy(root.join("Cargo.toml"), to.join("Cargo.toml")).unwrap();
            assert!(recipe_problems(&to).is_empty(), "the copy is complete");
            Copy(to)
        }

        fn edit(&self, relative: &str, change: impl FnOnce(String) -> String) {
            let path = self.0.join(relative);
            let text = std::fs::read_to_string(&path).unwrap();
            let changed = change(text.clone());
            assert_ne!(changed, text, "{relative} was changed");
            std::fs::write(path, changed).unwrap();
        }

        fn problems(&self) -> String {
            recipe_problems(&self.0).join("\n")
        }
    }

    impl Drop for Copy {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            let dest = to.join(entry.file_name());
            if path.is_dir() {
                copy_tree(&path, &dest);
            } else {
                std::fs::copy(&path, &dest).unwrap();
            }
        }
    }

    #[test]
    fn a_missing_chapter_bench_or_hint_is_caught() {
        let copy = Copy::new("pieces");
        std::fs::remove_file(copy.0.join("book/src/crawler/index.md")).unwrap();
        std::fs::remove_file(copy.0.join("xtask/src/bench/image_processor.rs")).unwrap();
        copy.edit("exercises/concepts/HINTS.md", |text| {
            text.replace("## queue-explored\n", "## queue-explored-renamed\n")
        });
        let problems = copy.problems();
        for expected in [
            "problem `crawler`: the book chapter (book/src/crawler/index.md) is missing",
            "problem `image-processor`: the bench (`cargo xtask bench` subcommand) \
             (xtask/src/bench/image_processor.rs) is missing",
            "problem `concepts`: exercises/concepts/HINTS.md has no hint for step `queue-explored`",
        ] {
            assert!(
                problems.contains(expected),
                "{expected:?} not in:\n{problems}"
            );
        }
    }

    #[test]
    fn a_missing_listing_mutant_or_program_is_caught() {
        let copy = Copy::new("listings");
        copy.edit("book/src/SUMMARY.md", |text| {
            text.replace("(measured/crawler.md)", "(measured/elsewhere.md)")
        });
        copy.edit("Cargo.toml", |text| {
            text.replacen("    \"solutions/concepts\",\n", "", 2)
        });
        for entry in std::fs::read_dir(copy.0.join("solutions/crawler/mutants"))
            .unwrap()
            .flatten()
        {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            if text.contains("step = \"links\"") {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        std::fs::remove_dir_all(copy.0.join("examples/image-processor")).unwrap();
        copy.edit("examples/crawler/src/main.rs", |text| {
            text.replace("cli::Common", "cli::Uncommon")
                .replacen("    version,\n", "", 1)
        });
        let problems = copy.problems();
        for expected in [
            "problem `crawler`: examples/crawler/src/main.rs lacks `#[command(version)]` (for --version)",
            "problem `crawler`: examples/crawler/src/main.rs lacks a flattened `cli::Common` (--color, --quiet)",
            "problem `crawler`: book/src/SUMMARY.md does not link measured/crawler.md",
            "problem `concepts`: `solutions/concepts` is not in the workspace's `members`",
            "problem `crawler`: no mutant in solutions/crawler/mutants/ is caught by step `links`",
            "examples/image-processor/Cargo.toml is missing",
        ] {
            assert!(
                problems.contains(expected),
                "{expected:?} not in:\n{problems}"
            );
        }
    }
}
