//! Checks on the book that mdBook itself does not make.
//!
//! mdBook fails on an `{{#include}}` of a missing file, but an anchor that
//! does not exist (renamed, or its `// ANCHOR:` line deleted) silently
//! becomes an empty code block. [`include_problems`] finds those, and
//! [`quoted_location_problems`] the grader reports quoted in a page whose
//! `file:line` no longer points at a `todo!`.
//!
//! The book is read before a step and its walkthroughs after it, so three
//! more checks keep the answers out of the pages read first: no page
//! outside a `walkthrough/` folder pulls in reference code or a mutant
//! ([`answer_include_problems`]) or shows a line of the reference that the
//! stub does not have ([`pasted_answer_problems`]), and every graded step
//! names a walkthrough page that exists and is in the book
//! ([`walkthrough_problems`]). Tests run them all on `book/src` as part of
//! `cargo test` (`cargo test -p xtask book`).

use crate::project::Step;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

/// Every broken `{{#include path[:anchor]}}` under `src`: a missing file, a
/// missing anchor, or an anchor with nothing between its markers.
pub fn include_problems(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut pages = Vec::new();
    collect_markdown(src, &mut pages);
    for page in pages {
        let Ok(text) = std::fs::read_to_string(&page) else {
            problems.push(format!("{}: unreadable", page.display()));
            continue;
        };
        let dir = page.parent().expect("a page is in a folder");
        for (number, line) in text.lines().enumerate() {
            let Some(rest) = line.split("{{#include ").nth(1) else {
                continue;
            };
            let Some(spec) = rest.split("}}").next() else {
                continue;
            };
            let at = format!("{}:{}", page.display(), number + 1);
            let (file, anchor) = match spec.split_once(':') {
                Some((file, anchor)) => (file.trim(), Some(anchor.trim())),
                None => (spec.trim(), None),
            };
            let Ok(included) = std::fs::read_to_string(dir.join(file)) else {
                problems.push(format!("{at}: cannot read {file}"));
                continue;
            };
            // Line ranges ("10:20") are not anchors.
            let Some(anchor) = anchor.filter(|a| !a.starts_with(|c: char| c.is_ascii_digit()))
            else {
                continue;
            };
            if anchored_lines(&included, anchor).is_none_or(|n| n == 0) {
                problems.push(format!(
                    "{at}: {file} has no non-empty `ANCHOR: {anchor}` … `ANCHOR_END: {anchor}`"
                ));
            }
        }
    }
    problems
}

/// How many lines lie between the anchor's markers, if both exist.
fn anchored_lines(text: &str, anchor: &str) -> Option<usize> {
    anchor_markers(text, anchor).map(|(start, end)| end - start - 1)
}

/// The line indexes of the anchor's `ANCHOR:` and `ANCHOR_END:` markers.
fn anchor_markers(text: &str, anchor: &str) -> Option<(usize, usize)> {
    // As mdBook reads them: the name is the word after the colon, so the
    // marker may sit in any comment syntax (`// ANCHOR: x`, `<!-- ANCHOR: x -->`).
    let is_marker = |line: &str, kind: &str| {
        line.split_once(kind).is_some_and(|(_, rest)| {
            rest.trim_start()
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                .next()
                == Some(anchor)
        })
    };
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| is_marker(l, "ANCHOR:"))?;
    let end = lines[start..]
        .iter()
        .position(|l| is_marker(l, "ANCHOR_END:"))?;
    // An end marker on the start's own line is no end.
    (end > 0).then_some((start, start + end))
}

/// Every `todo!() reached at FILE:LINE` that a page quotes from the
/// grader's output and that no longer points at a `todo!` of the workspace
/// at `root`: the quoted report must stay one the reader can reproduce.
pub fn quoted_location_problems(src: &Path, root: &Path) -> Vec<String> {
    const QUOTE: &str = "todo!() reached at ";
    let mut problems = Vec::new();
    let mut pages = Vec::new();
    collect_markdown(src, &mut pages);
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let Some(place) = line.split(QUOTE).nth(1) else {
                continue;
            };
            let place = place.split_whitespace().next().unwrap_or_default();
            let Some((file, at)) = place.rsplit_once(':') else {
                continue;
            };
            let code = std::fs::read_to_string(root.join(file)).unwrap_or_default();
            let points_at_todo = at
                .parse::<usize>()
                .ok()
                .and_then(|n| code.lines().nth(n.checked_sub(1)?))
                .is_some_and(|l| l.contains("todo!"));
            if !points_at_todo {
                problems.push(format!(
                    "{}:{}: quotes `{QUOTE}{place}`, but that line of {file} holds no todo!",
                    page.display(),
                    number + 1
                ));
            }
        }
    }
    problems
}

/// The mdBook directives that pull a file into a page.
const DIRECTIVES: [&str; 3] = ["{{#include ", "{{#rustdoc_include ", "{{#playground "];

/// A file pulled into a page: the path as written and what follows it (an
/// anchor, a line range, or a playground's attributes).
struct Directive<'a> {
    file: &'a str,
    rest: Option<&'a str>,
}

/// Every directive on `line`, in order; an escaped one (`\{{#include`) is
/// text, as mdBook treats it.
fn directives(line: &str) -> Vec<Directive<'_>> {
    let mut found = Vec::new();
    for directive in DIRECTIVES {
        let mut from = 0;
        while let Some(at) = line[from..].find(directive).map(|at| at + from) {
            from = at + directive.len();
            if line[..at].ends_with('\\') {
                continue;
            }
            let spec = line[from..].split("}}").next().unwrap_or_default().trim();
            let (path, rest) = match spec.split_once(char::is_whitespace) {
                // `{{#playground file.rs editable}}`
                Some((path, attributes)) if directive == "{{#playground " => {
                    (path, Some(attributes))
                }
                _ => match spec.split_once(':') {
                    Some((path, rest)) => (path, Some(rest)),
                    None => (spec, None),
                },
            };
            found.push(Directive {
                file: path.trim(),
                rest: rest.map(str::trim),
            });
        }
    }
    found
}

/// `path` with `.` and `..` resolved as written, without asking the file
/// system (the file need not exist).
fn lexical(path: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// Is `file` (resolved, under `root`) reference code: a solution's source
/// (`solutions/<p>/src/…`) or a mutant declaration (`solutions/<p>/mutants/…`),
/// whose hunks quote the reference?
fn is_reference(file: &Path, root: &Path) -> bool {
    let Ok(relative) = file.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<_> = relative.components().collect();
    parts.len() > 3
        && parts[0] == Component::Normal("solutions".as_ref())
        && matches!(parts[2], Component::Normal(p) if p == "src" || p == "mutants")
}

/// Is `page` inside a `walkthrough/` folder of `src`: a page read after its
/// step has passed, which may show the reference?
fn is_walkthrough(page: &Path, src: &Path) -> bool {
    page.strip_prefix(src)
        .ok()
        .and_then(Path::parent)
        .is_some_and(|folder| {
            folder
                .components()
                .any(|c| c == Component::Normal("walkthrough".as_ref()))
        })
}

/// Every page outside a `walkthrough/` folder that pulls reference code
/// into itself with `{{#include}}`, `{{#rustdoc_include}}` or
/// `{{#playground}}`: a chapter is read before its step, and showing the
/// answer there gives it away. `root` is the workspace the paths resolve in.
pub fn answer_include_problems(src: &Path, root: &Path) -> Vec<String> {
    let root = lexical(root);
    let mut problems = Vec::new();
    for page in pages(src) {
        if is_walkthrough(&page, src) {
            continue;
        }
        let text = std::fs::read_to_string(&page).unwrap_or_default();
        let dir = lexical(page.parent().expect("a page is in a folder"));
        for (number, line) in text.lines().enumerate() {
            for directive in directives(line) {
                if is_reference(&lexical(&dir.join(directive.file)), &root) {
                    problems.push(format!(
                        "{}:{}: pulls in {}, reference code: only a page in a walkthrough/ \
                         folder, read after the step passes, may show it",
                        page.display(),
                        number + 1,
                        directive.file
                    ));
                }
            }
        }
    }
    problems
}

/// Shorter lines are too common to be anyone's answer (`let mut found = 0;`,
/// `return found;`, `}) -> Vec<u8> {`).
const DISTINCTIVE_CHARS: usize = 25;

/// Could this line (trimmed) identify code as the reference's? Comments,
/// imports, attributes and short lines could belong to anyone.
fn is_distinctive(line: &str) -> bool {
    line.chars().count() >= DISTINCTIVE_CHARS
        && !line.starts_with("//")
        && !line.starts_with("/*")
        && !line.starts_with('*')
        && !line.starts_with("use ")
        && !line.starts_with("pub use ")
        && !line.starts_with("#[")
        && !line.starts_with("#![")
}

/// The lines that only the answers hold: every distinctive line (trimmed)
/// of each `solutions/<p>/src/` file, before its tests, that no file under
/// any `exercises/*/src/` also has. A signature, a hint or given code that
/// a stub shows is the learner's already, whichever exercise hands it out
/// (`std::thread::scope(|scope| {` is in a given file of one exercise and
/// the answer of another). Each maps to the file it came from.
fn reference_lines(root: &Path) -> BTreeMap<String, String> {
    let mut handed_out = Vec::new();
    if let Ok(exercises) = std::fs::read_dir(root.join("exercises")) {
        for exercise in exercises.flatten() {
            collect_files(&exercise.path().join("src"), "rs", &mut handed_out);
        }
    }
    let handed_out: Vec<String> = handed_out
        .iter()
        .filter_map(|file| std::fs::read_to_string(file).ok())
        .collect();
    let handed_out: HashSet<&str> = handed_out
        .iter()
        .flat_map(|text| text.lines().map(str::trim))
        .collect();
    let mut lines = BTreeMap::new();
    let Ok(solutions) = std::fs::read_dir(root.join("solutions")) else {
        return lines;
    };
    for solution in solutions.flatten() {
        let name = solution.file_name().to_string_lossy().into_owned();
        let src = solution.path().join("src");
        let mut files = Vec::new();
        collect_files(&src, "rs", &mut files);
        for file in files {
            let relative = file.strip_prefix(&src).expect("found under src");
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let shown = format!("solutions/{name}/src/{}", relative.display());
            for line in text
                .lines()
                .map(str::trim)
                // The reference's own unit tests are examples, not answers.
                .take_while(|line| *line != "#[cfg(test)]")
                .filter(|line| is_distinctive(line) && !handed_out.contains(line))
            {
                lines.insert(line.to_owned(), shown.clone());
            }
        }
    }
    lines
}

/// The lines of `text` an include shows: between an anchor's markers (the
/// markers of other anchors left out, as mdBook does), a line range
/// (`3`, `3:`, `:9`, `3:9`, counted from 1), or the whole file.
fn included_lines<'a>(text: &'a str, rest: Option<&str>) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(rest) = rest.filter(|r| !r.is_empty()) else {
        return lines;
    };
    let is_range = rest.starts_with(|c: char| c.is_ascii_digit() || c == ':');
    if is_range {
        let number = |s: &str| s.trim().parse::<usize>().ok();
        let (first, last) = match rest.split_once(':') {
            Some((a, b)) => (number(a).unwrap_or(1), number(b).unwrap_or(lines.len())),
            None => {
                let only = number(rest).unwrap_or(1);
                (only, only)
            }
        };
        let first = first.max(1) - 1;
        let last = last.min(lines.len());
        return lines
            .get(first..last.max(first))
            .unwrap_or_default()
            .to_vec();
    }
    let Some((start, end)) = anchor_markers(text, rest) else {
        return Vec::new();
    };
    lines[start + 1..end]
        .iter()
        .copied()
        .filter(|l| !l.contains("ANCHOR:") && !l.contains("ANCHOR_END:"))
        .collect()
}

/// Every line inside a fenced code block of a page outside a `walkthrough/`
/// folder that is a line of the reference answer (see [`reference_lines`]),
/// typed into the page or pulled in from another file (an example that
/// copies the reference gives it away just as well). Prose may name
/// functions and types; only code blocks are read. `root` is the workspace
/// whose solutions and stubs are compared.
pub fn pasted_answer_problems(src: &Path, root: &Path) -> Vec<String> {
    let reference = reference_lines(root);
    let root = lexical(root);
    let mut problems = Vec::new();
    for page in pages(src) {
        if is_walkthrough(&page, src) {
            continue;
        }
        let text = std::fs::read_to_string(&page).unwrap_or_default();
        let dir = lexical(page.parent().expect("a page is in a folder"));
        let mut in_code = false;
        for (number, line) in text.lines().enumerate() {
            let at = format!("{}:{}", page.display(), number + 1);
            let fence = line.trim_start();
            if fence.starts_with("```") || fence.starts_with("~~~") {
                in_code = !in_code;
                continue;
            }
            if !in_code {
                continue;
            }
            let found = directives(line);
            if found.is_empty() {
                if let Some(from) = reference.get(line.trim()) {
                    problems.push(format!(
                        "{at}: `{}` is a line of the reference ({from}); show it in a \
                         walkthrough page, read after the step passes",
                        line.trim()
                    ));
                }
                continue;
            }
            for directive in found {
                let file = lexical(&dir.join(directive.file));
                // Reference files themselves are `answer_include_problems`'.
                if is_reference(&file, &root) {
                    continue;
                }
                let included = std::fs::read_to_string(&file).unwrap_or_default();
                for shown in included_lines(&included, directive.rest) {
                    if let Some(from) = reference.get(shown.trim()) {
                        problems.push(format!(
                            "{at}: {} shows `{}`, a line of the reference ({from}); show it \
                             in a walkthrough page, read after the step passes",
                            directive.file,
                            shown.trim()
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// Every graded step of every exercise under `root` whose `walkthrough`
/// (in `[package.metadata.grade]`, relative to `book/src/`) is missing,
/// names no page, lies outside its exercise's `walkthrough/` folder or is
/// not listed in `SUMMARY.md` (mdBook renders only the pages listed there);
/// and every page of a walkthrough folder that the summary leaves out.
pub fn walkthrough_problems(root: &Path) -> Vec<String> {
    let src = root.join("book").join("src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap_or_default();
    let listed: BTreeSet<PathBuf> = summary
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| !target.is_empty())
        .map(|target| lexical(Path::new(target)))
        .collect();
    let mut problems = Vec::new();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("exercises"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("Cargo.toml"))
                .collect()
        })
        .unwrap_or_default();
    manifests.retain(|m| m.is_file());
    manifests.sort();
    for manifest in manifests {
        let exercise = manifest
            .parent()
            .and_then(Path::file_name)
            .expect("exercises/<name>/Cargo.toml")
            .to_string_lossy()
            .into_owned();
        let steps = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|table| {
                let steps = table
                    .get("package")?
                    .get("metadata")?
                    .get("grade")?
                    .get("steps")?;
                steps.clone().try_into::<Vec<Step>>().ok()
            });
        let Some(steps) = steps else {
            problems.push(format!(
                "{}: no readable [package.metadata.grade] steps",
                manifest.display()
            ));
            continue;
        };
        let folder = Path::new(&exercise).join("walkthrough");
        for step in steps {
            let at = format!("{}: step `{}`", manifest.display(), step.id);
            let Some(walkthrough) = &step.walkthrough else {
                problems.push(format!(
                    "{at} has no `walkthrough` (a page under book/src/{}/)",
                    folder.display()
                ));
                continue;
            };
            let page = lexical(Path::new(walkthrough));
            if page.parent() != Some(folder.as_path()) || page.extension() != Some("md".as_ref()) {
                problems.push(format!(
                    "{at}: walkthrough `{walkthrough}` is not a page of book/src/{}/",
                    folder.display()
                ));
            } else if !src.join(&page).is_file() {
                problems.push(format!(
                    "{at}: walkthrough book/src/{walkthrough} does not exist"
                ));
            } else if !listed.contains(&page) {
                problems.push(format!(
                    "{at}: walkthrough {walkthrough} is not listed in book/src/SUMMARY.md"
                ));
            }
        }
    }
    for page in pages(&src) {
        let relative = page
            .strip_prefix(&src)
            .expect("found under src")
            .to_path_buf();
        if is_walkthrough(&page, &src) && !listed.contains(&relative) {
            problems.push(format!(
                "book/src/{}: a walkthrough page not listed in book/src/SUMMARY.md",
                relative.display()
            ));
        }
    }
    problems
}

/// Every markdown page under `src`, in a stable order.
fn pages(src: &Path) -> Vec<PathBuf> {
    let mut pages = Vec::new();
    collect_markdown(src, &mut pages);
    pages.sort();
    pages
}

/// Every file under `dir` whose extension is `extension`.
fn collect_files(dir: &Path, extension: &str, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, extension, files);
        } else if path.extension().is_some_and(|e| e == extension) {
            files.push(path);
        }
    }
}

fn collect_markdown(dir: &Path, pages: &mut Vec<PathBuf>) {
    collect_files(dir, "md", pages);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_include_in_the_book_resolves_to_code() {
        let src = crate::project::root().join("book").join("src");
        let problems = include_problems(&src);
        assert!(
            problems.is_empty(),
            "broken includes:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn every_quoted_todo_location_is_real() {
        let root = crate::project::root();
        let problems = quoted_location_problems(&root.join("book").join("src"), &root);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        // And the check can fail: the line above the stub's todo! is not one.
        let dir = std::env::temp_dir().join(format!("book-quote-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("page.md"),
            "todo!() reached at exercises/concepts/src/primes.rs:1\n",
        )
        .unwrap();
        let problems = quoted_location_problems(&dir, &root);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn a_missing_or_empty_anchor_is_a_problem() {
        let code = "// ANCHOR: good\nfn f() {}\n// ANCHOR_END: good\n// ANCHOR: empty\n// ANCHOR_END: empty\n";
        assert_eq!(anchored_lines(code, "good"), Some(1));
        assert_eq!(anchored_lines(code, "empty"), Some(0));
        assert_eq!(anchored_lines(code, "gone"), None);
        // "good" must not match "goodbye".
        assert_eq!(
            anchored_lines("// ANCHOR: goodbye\nx\n// ANCHOR_END: goodbye\n", "good"),
            None
        );
    }

    /// A scratch workspace for a check: removed when dropped, so a failed
    /// assertion leaves nothing behind.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("book-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn write(&self, path: &str, text: &str) {
            let path = self.0.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn no_page_before_a_step_pulls_in_reference_code() {
        let root = crate::project::root();
        let problems = answer_include_problems(&root.join("book").join("src"), &root);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn an_include_of_the_reference_is_a_problem_outside_a_walkthrough() {
        let scratch = Scratch::new("includes");
        let src = scratch.0.join("book").join("src");
        let answer = "{{#include ../../../solutions/concepts/src/primes.rs:threads}}";
        let mutant = "{{#rustdoc_include ../../../solutions/concepts/mutants/racy-counter.toml}}";
        let playground = "{{#playground ../../../solutions/concepts/src/fetch.rs editable}}";
        scratch.write(
            "book/src/concepts/primes.md",
            &format!("```rust\n{answer}\n```\n{mutant}\n{playground}\n"),
        );
        // Allowed: the stub, an example, an escaped directive, a walkthrough.
        scratch.write(
            "book/src/concepts/counters.md",
            "{{#include ../../../exercises/concepts/src/counter.rs}}\n\
             {{#include ../../../examples/concepts/src/gil.rs:gil}}\n\
             \\{{#include ../../../solutions/concepts/src/counter.rs}}\n",
        );
        scratch.write(
            "book/src/concepts/walkthrough/primes.md",
            &format!("{answer}\n{mutant}\n"),
        );
        let problems = answer_include_problems(&src, &scratch.0);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems.iter().all(|p| p.contains("concepts/primes.md:")));
    }

    #[test]
    fn no_page_before_a_step_shows_a_line_of_the_reference() {
        let root = crate::project::root();
        let problems = pasted_answer_problems(&root.join("book").join("src"), &root);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_pasted_answer_is_a_problem_and_the_stub_is_not() {
        let root = crate::project::root();
        let reference =
            std::fs::read_to_string(root.join("solutions/concepts/src/primes.rs")).unwrap();
        let stub = std::fs::read_to_string(root.join("exercises/concepts/src/primes.rs")).unwrap();
        // The reference's counting threads, as a page would quote them.
        let threads = included_lines(&reference, Some("threads")).join("\n");
        let scratch = Scratch::new("pasted");
        let src = scratch.0.join("src");
        let code = |text: &str| format!("Some prose.\n\n```rust\n{text}\n```\n");
        scratch.write("src/concepts/primes.md", &code(&threads));
        // The same copy in a walkthrough or as prose, and the stub, are fine.
        scratch.write("src/concepts/walkthrough/primes.md", &code(&threads));
        scratch.write("src/concepts/prose.md", &threads);
        scratch.write("src/concepts/stub.md", &code(&stub));
        // An example that copies the reference gives it away as well.
        scratch.write(
            "src/example/copy.rs",
            &format!("// ANCHOR: copy\n{threads}\n// ANCHOR_END: copy\n"),
        );
        scratch.write(
            "src/concepts/example.md",
            &code("{{#include ../example/copy.rs:copy}}"),
        );
        let problems = pasted_answer_problems(&src, &root);
        let on = |page: &str| problems.iter().filter(|p| p.contains(page)).count();
        let pasted = on("concepts/primes.md:");
        assert!(pasted >= 5, "{problems:#?}");
        assert_eq!(on("concepts/example.md:"), pasted, "{problems:#?}");
        assert_eq!(problems.len(), 2 * pasted, "{problems:#?}");
        assert!(
            problems[0].contains("solutions/concepts/src/primes.rs"),
            "{problems:#?}"
        );
    }

    /// The paste check is blind to a step whose answer has no line of its
    /// own: every step's file must give it something to look for.
    #[test]
    fn every_step_file_has_lines_only_the_answer_holds() {
        let root = crate::project::root();
        let reference = reference_lines(&root);
        let files: BTreeSet<&str> = reference.values().map(String::as_str).collect();
        let mut blind = Vec::new();
        for entry in std::fs::read_dir(root.join("exercises")).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(text) = std::fs::read_to_string(entry.path().join("Cargo.toml")) else {
                continue;
            };
            let manifest: toml::Table = text.parse().unwrap();
            let steps = manifest["package"]["metadata"]["grade"]["steps"].clone();
            for step in steps.try_into::<Vec<Step>>().unwrap() {
                let file = format!("solutions/{name}/{}", step.file);
                if !files.contains(file.as_str()) {
                    blind.push(format!("step `{}`: {file}", step.id));
                }
            }
        }
        assert!(
            blind.is_empty(),
            "no line only the answer holds:\n{}",
            blind.join("\n")
        );
    }

    #[test]
    fn included_lines_follow_anchors_and_ranges_as_mdbook_does() {
        let text =
            "a\n// ANCHOR: x\nb\n// ANCHOR: inner\nc\n// ANCHOR_END: inner\n// ANCHOR_END: x\nd\n";
        assert_eq!(included_lines(text, Some("x")), ["b", "c"]);
        assert_eq!(included_lines(text, Some("inner")), ["c"]);
        assert!(included_lines(text, Some("gone")).is_empty());
        assert_eq!(included_lines(text, Some("1")), ["a"]);
        assert_eq!(included_lines(text, Some("7:")), ["// ANCHOR_END: x", "d"]);
        assert_eq!(included_lines(text, Some(":2")), ["a", "// ANCHOR: x"]);
        assert_eq!(included_lines("a\nb\n", None), ["a", "b"]);
    }

    #[test]
    fn every_step_has_a_walkthrough_in_the_book() {
        let problems = walkthrough_problems(&crate::project::root());
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_missing_misplaced_or_unlisted_walkthrough_is_a_problem() {
        let scratch = Scratch::new("walkthroughs");
        let step = |id: &str, walkthrough: &str| {
            format!(
                "{{ id = \"{id}\", title = \"t\", test = \"t\", file = \"src/a.rs\"{walkthrough} }},\n"
            )
        };
        let steps = [
            step("fine", ", walkthrough = \"demo/walkthrough/fine.md\""),
            step("none", ""),
            step("missing", ", walkthrough = \"demo/walkthrough/missing.md\""),
            step("chapter", ", walkthrough = \"demo/chapter.md\""),
            step("elsewhere", ", walkthrough = \"other/walkthrough/fine.md\""),
            step(
                "unlisted",
                ", walkthrough = \"demo/walkthrough/unlisted.md\"",
            ),
        ]
        .concat();
        scratch.write(
            "exercises/demo/Cargo.toml",
            &format!(
                "[package]\nname = \"demo-exercise\"\n\n[package.metadata.grade]\nsteps = [\n{steps}]\n"
            ),
        );
        scratch.write(
            "book/src/SUMMARY.md",
            "# Summary\n\n- [Chapter](demo/chapter.md)\n- [Fine](demo/walkthrough/fine.md)\n\
             - [Other](other/walkthrough/fine.md)\n",
        );
        for page in [
            "demo/chapter.md",
            "demo/walkthrough/fine.md",
            "demo/walkthrough/unlisted.md",
            "other/walkthrough/fine.md",
        ] {
            scratch.write(&format!("book/src/{page}"), "# A page\n");
        }
        let problems = walkthrough_problems(&scratch.0);
        let about = |what: &str| problems.iter().filter(|p| p.contains(what)).count();
        assert_eq!(about("step `fine`"), 0, "{problems:#?}");
        for step in ["none", "missing", "chapter", "elsewhere", "unlisted"] {
            assert_eq!(about(&format!("step `{step}`")), 1, "{step}: {problems:#?}");
        }
        // The unlisted page is also reported as a page of the book's, once.
        assert_eq!(about("a walkthrough page not listed"), 1, "{problems:#?}");
        assert_eq!(problems.len(), 6, "{problems:#?}");
    }
}
