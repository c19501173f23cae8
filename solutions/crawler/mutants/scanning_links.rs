//! MUTANT of `src/links.rs`: finds links by scanning the text for
//! `href="`, as a regular expression would: misses single-quoted and
//! unquoted attributes, keeps `&amp;` undecoded, and "finds" links inside
//! comments and scripts.
//! Expected diagnosis: `not-a-tokenizer` in step `links`.

use url::Url;

/// The same-site links on a page, found by scanning for `href="`.
pub fn extract_links(page: &Url, html: &[u8]) -> Vec<Url> {
    let text = String::from_utf8_lossy(html);
    let mut links = Vec::new();
    // BUG: text search instead of a tokenizer.
    for piece in text.split("href=\"").skip(1) {
        let Some(end) = piece.find('"') else { continue };
        let Ok(url) = page.join(&piece[..end]) else {
            continue;
        };
        let url = normalise(url);
        if same_site(&url, page) && !links.contains(&url) {
            links.push(url);
        }
    }
    links
}

/// No fragment, no empty query.
pub fn normalise(mut url: Url) -> Url {
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    url
}

/// Same scheme, host and port.
pub fn same_site(a: &Url, b: &Url) -> bool {
    matches!(a.scheme(), "http" | "https") && a.origin() == b.origin()
}
