//! Step 1: find the links on a page.
//!
//! A crawler is only as good as its link extraction. The page's HTML goes
//! through a real tokenizer (html5gum, which follows the WHATWG spec), so
//! that `&amp;` in an attribute is decoded, a link inside a `<!-- comment -->`
//! or a `<script>` string is not a link, and quoting styles don't matter.
//! A regular expression gets every one of those wrong.
//!
//! Then each link is made absolute and comparable:
//! resolved against the page URL (or the page's `<base href>`), fragment
//! dropped (`/a#top` and `/a` are one page), an empty query dropped, and
//! the rest normalised by the `url` crate (lowercase scheme and host,
//! default port removed, `.` and `..` segments resolved). Only links to the
//! same site (same scheme, host and port) are kept.

use html5gum::{DefaultEmitter, Token, Tokenizer};
use url::Url;

/// The same-site links on a page: absolute, normalised, deduplicated, in
/// the order they first appear. `page` is the URL the HTML came from.
///
/// Links are the `href` of `<a>` and `<area>` elements and the `src` of
/// `<iframe>` and `<frame>` (a framed page is a page of the site too).
// ANCHOR: extract_links
pub fn extract_links(page: &Url, html: &[u8]) -> Vec<Url> {
    let mut emitter = DefaultEmitter::default();
    // Inside <script> and <style> the tokenizer must read raw text, not
    // tags; a tree builder would tell it so, and this does the same.
    emitter.naively_switch_states(true);
    let mut base = page.clone();
    let mut seen = std::collections::HashSet::new();
    let mut links = Vec::new();
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        let Token::StartTag(tag) = token else {
            continue;
        };
        let attribute = match tag.name.as_slice() {
            b"iframe" | b"frame" => b"src".as_slice(),
            _ => b"href".as_slice(),
        };
        let Some(href) = tag.attributes.get(attribute) else {
            continue;
        };
        let href = String::from_utf8_lossy(href);
        match tag.name.as_slice() {
            // Later relative links resolve against <base href>, itself
            // resolved against the page.
            b"base" => {
                if let Ok(url) = page.join(href.trim()) {
                    base = url;
                }
            }
            b"a" | b"area" | b"iframe" | b"frame" => {
                let Ok(url) = base.join(href.trim()) else {
                    continue; // not a URL at all: skip it, don't fail the page
                };
                let url = normalise(url);
                if same_site(&url, page) && seen.insert(url.clone()) {
                    links.push(url);
                }
            }
            _ => {}
        }
    }
    links
}
// ANCHOR_END: extract_links

/// The form of `url` the crawler compares and fetches: no fragment, no
/// empty query. (Parsing already lowercased the scheme and host, dropped a
/// default port and resolved dot segments.)
pub fn normalise(mut url: Url) -> Url {
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    url
}

/// Same site: http(s), same scheme, host and port. A crawler told to crawl
/// one site stays on it.
pub fn same_site(a: &Url, b: &Url) -> bool {
    matches!(a.scheme(), "http" | "https") && a.origin() == b.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(page: &str, html: &str) -> Vec<String> {
        extract_links(&Url::parse(page).unwrap(), html.as_bytes())
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn resolves_normalises_and_filters() {
        let html = r##"<a href="b.html#x">1</a><A HREF='../c?x=1&amp;y=2'>2</A>
            <a href=/d>3</a><!-- <a href="/ghost"> --><script>var s = "<a href='/ghost2'>";</script>
            <a href="HTTP://Example.COM:80/e?">4</a><a href="mailto:x@y">m</a>
            <a href="https://example.com/f">other scheme</a><a href="b.html">dup</a>"##;
        assert_eq!(
            links("http://example.com/dir/page.html", html),
            [
                "http://example.com/dir/b.html",
                "http://example.com/c?x=1&y=2",
                "http://example.com/d",
                "http://example.com/e",
            ]
        );
    }

    #[test]
    fn base_href_changes_resolution() {
        let html = r#"<base href="/other/"><a href="x.html">x</a>"#;
        assert_eq!(links("http://h/dir/p", html), ["http://h/other/x.html"]);
    }
}
