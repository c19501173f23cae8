//! Checks on the book that mdBook itself does not make.
//!
//! mdBook fails on an `{{#include}}` of a missing file, but an anchor that
//! does not exist (renamed, or its `// ANCHOR:` line deleted) silently
//! becomes an empty code block. [`include_problems`] finds those, and
//! [`quoted_location_problems`] the grader reports quoted in a page whose
//! `file:line` no longer points at a `todo!`; tests run both on `book/src`
//! as part of `cargo test`.

use std::path::Path;

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
    Some(end.saturating_sub(1))
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

fn collect_markdown(dir: &Path, pages: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_markdown(&path, pages);
        } else if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
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
}
