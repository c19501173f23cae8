//! The chat's web page, compiled into the binary: `page/index.html`,
//! `page/app.js` and `page/app.css`, served at `/` by `cargo run -p
//! chat-server` (then open <http://127.0.0.1:8080/>).
//!
//! Three plain files, no build step and nothing fetched from elsewhere: the
//! server's Content-Security-Policy allows only the page's own script and
//! style files (no inline code) and WebSockets back to the same host.
//! `tests/browser.rs` drives the page in headless Chromium.

/// The page's files for `Config::files`: (path, content type, body).
pub const FILES: &[(&str, &str, &str)] = &[
    (
        "/index.html",
        "text/html; charset=utf-8",
        include_str!("../page/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../page/app.js"),
    ),
    (
        "/app.css",
        "text/css; charset=utf-8",
        include_str!("../page/app.css"),
    ),
];

#[cfg(test)]
mod tests {
    use super::FILES;

    fn file(path: &str) -> &'static str {
        FILES
            .iter()
            .find(|(p, _, _)| *p == path)
            .map(|(_, _, body)| *body)
            .unwrap()
    }

    /// What the policy would block, found before a browser does: inline
    /// `<script>`/`<style>`, `style=` and `on...=` attributes, and anything
    /// loaded from another host.
    fn csp_violations(html: &str) -> Vec<String> {
        let mut found = Vec::new();
        let lower = html.to_ascii_lowercase();
        for (at, _) in lower.match_indices("<script") {
            let tag = &lower[at..at + lower[at..].find('>').unwrap_or(0)];
            if !tag.contains(" src=") {
                found.push(format!("inline script at byte {at}"));
            }
        }
        if lower.contains("<style") {
            found.push("inline <style>".into());
        }
        for attribute in [
            " style=",
            " onclick=",
            " onload=",
            " onerror=",
            " onsubmit=",
        ] {
            if lower.contains(attribute) {
                found.push(format!("attribute{attribute}"));
            }
        }
        for remote in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            if lower.contains(remote) {
                found.push(format!("remote resource {remote}"));
            }
        }
        found
    }

    #[test]
    fn the_page_needs_nothing_the_policy_forbids() {
        assert_eq!(csp_violations(file("/index.html")), Vec::<String>::new());
        // The check itself sees what it is meant to.
        let bad =
            "<script>alert(1)</script><p style=\"x\" onclick=\"y\"><img src=\"https://cdn/x\">";
        assert_eq!(csp_violations(bad).len(), 4, "{:?}", csp_violations(bad));
    }

    #[test]
    fn every_file_the_page_links_is_served() {
        let html = file("/index.html");
        for linked in ["/app.js", "/app.css"] {
            assert!(
                html.contains(&format!("\"{linked}\"")),
                "index.html does not link {linked}"
            );
            assert!(!file(linked).is_empty());
        }
    }

    #[test]
    fn the_script_never_parses_text_as_markup() {
        // User text goes in through textContent and createTextNode only.
        let js = file("/app.js");
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!js.contains(sink), "app.js uses {sink}");
        }
    }
}
