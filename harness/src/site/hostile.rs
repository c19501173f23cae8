//! Hostile corners of the site: what a real crawler meets sooner or later.
//!
//! Each mode is off unless listed in [`SiteConfig::hostile`]; when it is off,
//! its paths answer 404 and the root page does not link to them. When it is
//! on, the root page links its entry paths ([`Hostile::entries`]), so a
//! crawler starting at `/` finds them.
//!
//! [`SiteConfig::hostile`]: super::SiteConfig::hostile

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use hyper::StatusCode;

use super::paths;
use super::server::{Reply, Shared, Source};

/// A trap the site can set for a crawler. See the module docs of
/// [`site`](super) for what each one serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hostile {
    /// `/trap/N` links `/trap/2N` and `/trap/2N+1`, forever: only a page or
    /// depth limit stops a crawler.
    Trap,
    /// `/loop/a` redirects (302) to `/loop/b`, which redirects back.
    RedirectLoop,
    /// `/huge.html` is [`HUGE_BYTES`] of HTML: a crawler must cap body size.
    HugePage,
    /// `/drip.html` sends its headers at once, then one byte every
    /// [`DRIP_INTERVAL`]: only a whole-request timeout stops it.
    SlowDrip,
    /// `/missing.html` answers 404, `/broken.html` always 500.
    ErrorPages,
    /// `/flaky.html` answers 500 [`FLAKY_FAILURES`] times, then 200 with a
    /// link to `/recovered.html`: a crawler that retries finds one more page.
    Flaky,
    /// `/dropped.html`: the connection is closed without an answer
    /// [`DROPPED_FAILURES`] times, then 200 — a failure that is not an HTTP
    /// status at all, and worth retrying as much as a 500.
    Dropped,
    /// `/logo.png` (an image) and `/notes.txt` (plain text containing an
    /// `<a href>` to `/from-text.html`, which is 404): a crawler must look at
    /// the Content-Type before parsing.
    NonHtml,
    /// `/latin1.html` is HTML with bytes that are not UTF-8 around a valid
    /// link to `/after-latin1.html`: decoding must be lossy, not fatal.
    InvalidUtf8,
    /// `/robots.txt` disallows `/private/` for everyone (and everything for
    /// `BadBot`); the root links `/private/secret.html` and `/private/`,
    /// which answer 200 to a crawler that ignores robots.txt.
    Robots,
}

/// Size in bytes of `/huge.html`.
pub const HUGE_BYTES: u64 = 64 << 20;
/// How many times `/flaky.html` answers 500 before it answers 200 (per site,
/// counted again from zero by [`Site::reset_stats`](super::Site::reset_stats)).
pub const FLAKY_FAILURES: usize = 2;
/// How many times `/dropped.html` hangs up before it answers 200 (counted
/// again from zero by [`Site::reset_stats`](super::Site::reset_stats)).
pub const DROPPED_FAILURES: usize = 2;
/// Pause between two bytes of `/drip.html`.
pub const DRIP_INTERVAL: Duration = Duration::from_millis(200);
/// Length of `/drip.html`: 120 s of dripping at one byte per [`DRIP_INTERVAL`].
pub const DRIP_BYTES: usize = 600;

/// `/huge.html` is produced in chunks of this size (the body is never held
/// whole in memory).
pub(crate) const CHUNK: usize = 64 << 10;

impl Hostile {
    /// Every mode, in a fixed order (the order the root page links them).
    pub const ALL: [Hostile; 10] = [
        Hostile::Trap,
        Hostile::RedirectLoop,
        Hostile::HugePage,
        Hostile::SlowDrip,
        Hostile::ErrorPages,
        Hostile::Flaky,
        Hostile::Dropped,
        Hostile::NonHtml,
        Hostile::InvalidUtf8,
        Hostile::Robots,
    ];

    /// The mode's name, as accepted by `FromStr` (`"redirect-loop"`).
    pub fn name(&self) -> &'static str {
        match self {
            Hostile::Trap => "trap",
            Hostile::RedirectLoop => "redirect-loop",
            Hostile::HugePage => "huge-page",
            Hostile::SlowDrip => "slow-drip",
            Hostile::ErrorPages => "error-pages",
            Hostile::Flaky => "flaky",
            Hostile::Dropped => "dropped",
            Hostile::NonHtml => "non-html",
            Hostile::InvalidUtf8 => "invalid-utf8",
            Hostile::Robots => "robots",
        }
    }

    /// The paths the root page links when this mode is on, in that order.
    /// (`/robots.txt` is not linked: crawlers fetch it by convention.)
    pub fn entries(&self) -> &'static [&'static str] {
        match self {
            Hostile::Trap => &["/trap/1"],
            Hostile::RedirectLoop => &[paths::LOOP_A],
            Hostile::HugePage => &[paths::HUGE],
            Hostile::SlowDrip => &[paths::DRIP],
            Hostile::ErrorPages => &[paths::MISSING, paths::BROKEN],
            Hostile::Flaky => &[paths::FLAKY],
            Hostile::Dropped => &[paths::DROPPED],
            Hostile::NonHtml => &[paths::IMAGE, paths::TEXT],
            Hostile::InvalidUtf8 => &[paths::LATIN1],
            Hostile::Robots => &[paths::SECRET, paths::PRIVATE],
        }
    }
}

impl fmt::Display for Hostile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown hostile-mode name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseHostileError {
    input: String,
}

impl fmt::Display for ParseHostileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Hostile::ALL.iter().map(Hostile::name).collect();
        write!(
            f,
            "unknown hostile mode {:?}: expected one of {}",
            self.input,
            names.join(", ")
        )
    }
}

impl std::error::Error for ParseHostileError {}

impl FromStr for Hostile {
    type Err = ParseHostileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Hostile::ALL
            .into_iter()
            .find(|h| h.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParseHostileError {
                input: s.to_string(),
            })
    }
}

/// The answer for `target` if it belongs to an active hostile mode.
pub(crate) fn route(shared: &Shared, active: &[Hostile], target: &str) -> Option<Reply> {
    let on = |mode| active.contains(&mode);
    if on(Hostile::Trap)
        && let Some(reply) = trap(target)
    {
        return Some(reply);
    }
    let reply = match target {
        paths::LOOP_A if on(Hostile::RedirectLoop) => Reply::redirect(paths::LOOP_B.into()),
        paths::LOOP_B if on(Hostile::RedirectLoop) => Reply::redirect(paths::LOOP_A.into()),
        paths::HUGE if on(Hostile::HugePage) => {
            let doc = shared.huge.clone()?;
            Reply::new(StatusCode::OK, HTML, Source::Huge(doc))
        }
        paths::DRIP if on(Hostile::SlowDrip) => {
            Reply::new(StatusCode::OK, HTML, Source::Drip(drip_body()))
        }
        paths::MISSING if on(Hostile::ErrorPages) => Reply::html(
            StatusCode::NOT_FOUND,
            small_page("Not found", "<p>This page was removed.</p>"),
        ),
        paths::BROKEN if on(Hostile::ErrorPages) => Reply::html(
            StatusCode::INTERNAL_SERVER_ERROR,
            small_page(
                "Server error",
                "<p>Something broke, and it stays broken.</p>",
            ),
        ),
        paths::FLAKY if on(Hostile::Flaky) => {
            // fetch_add numbers concurrent requests consistently: exactly
            // FLAKY_FAILURES of them fail, whatever the interleaving.
            if shared.flaky_hits.fetch_add(1, Ordering::SeqCst) < FLAKY_FAILURES {
                Reply::html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    small_page("Try again", "<p>Temporary failure; retry later.</p>"),
                )
            } else {
                Reply::html(
                    StatusCode::OK,
                    small_page(
                        "Flaky, but up",
                        "<p>Third time lucky. <a href=\"/recovered.html\">Read on</a>.</p>",
                    ),
                )
            }
        }
        paths::DROPPED if on(Hostile::Dropped) => {
            if shared.dropped_hits.fetch_add(1, Ordering::SeqCst) < DROPPED_FAILURES {
                Reply::hang_up()
            } else {
                Reply::html(
                    StatusCode::OK,
                    small_page("Back", "<p>The connection held this time.</p>"),
                )
            }
        }
        paths::RECOVERED if on(Hostile::Flaky) => Reply::html(
            StatusCode::OK,
            small_page("Recovered", "<p>Only a crawler that retries gets here.</p>"),
        ),
        paths::IMAGE if on(Hostile::NonHtml) => Reply::new(
            StatusCode::OK,
            "image/png",
            Source::Bytes(Bytes::from_static(PNG)),
        ),
        paths::TEXT if on(Hostile::NonHtml) => Reply::new(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            Source::Bytes(Bytes::from_static(NOTES.as_bytes())),
        ),
        paths::LATIN1 if on(Hostile::InvalidUtf8) => Reply::new(
            // No charset, as on many legacy Latin-1 pages: a crawler must
            // decode lossily rather than give up on the page.
            StatusCode::OK,
            "text/html",
            Source::Bytes(Bytes::from_static(LATIN1_PAGE)),
        ),
        paths::AFTER_LATIN1 if on(Hostile::InvalidUtf8) => Reply::html(
            StatusCode::OK,
            small_page(
                "After Latin-1",
                "<p>Reached through a page that is not UTF-8.</p>",
            ),
        ),
        paths::ROBOTS if on(Hostile::Robots) => Reply::new(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            Source::Bytes(Bytes::from_static(ROBOTS_TXT.as_bytes())),
        ),
        paths::PRIVATE | paths::SECRET if on(Hostile::Robots) => Reply::html(
            StatusCode::OK,
            small_page(
                "Private",
                "<p>robots.txt asked you not to come here. <a href=\"/\">Home</a></p>",
            ),
        ),
        _ => return None,
    };
    Some(reply)
}

/// `/trap/N` for N ≥ 1 written canonically (no sign, no leading zero).
fn trap(target: &str) -> Option<Reply> {
    let number = target.strip_prefix(paths::TRAP)?;
    let n: u64 = number.parse().ok()?;
    if n == 0 || n.to_string() != number {
        return None;
    }
    let mut body = format!("<h1>Trap {n}</h1>\n<p>There is always another page.</p>\n<ul>\n");
    // Near u64::MAX the trap runs out of numbers; no crawler gets there.
    if let Some(left) = n.checked_mul(2) {
        body.push_str(&format!("<li><a href=\"/trap/{left}\">Left</a></li>\n"));
        if let Some(right) = left.checked_add(1) {
            body.push_str(&format!("<li><a href=\"/trap/{right}\">Right</a></li>\n"));
        }
    }
    body.push_str("</ul>");
    Some(Reply::html(
        StatusCode::OK,
        small_page(&format!("Trap {n}"), &body),
    ))
}

pub(crate) const HTML: &str = "text/html; charset=utf-8";

/// A complete, small HTML document.
pub(crate) fn small_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
}

/// robots.txt with two groups. `BadBot`'s group comes first, so a parser
/// that applies the first `Disallow` it meets, whatever the `User-agent`,
/// stops crawling altogether instead of skipping only `/private/`.
const ROBOTS_TXT: &str = "\
# Test site: everyone stays out of /private/; BadBot stays out of everything.
User-agent: BadBot
Disallow: /

User-agent: *
Disallow: /private/
";

/// Plain text that *looks* like it has a link.
const NOTES: &str = "Notes (plain text, not HTML)\n\n\
The old page was <a href=\"/from-text.html\">x</a>; a crawler that parses \
text/plain as HTML will try to fetch it.\n";

/// "Café crème — ÿ" in Latin-1 (0xE9, 0xE8, lone 0xFF and 0x97) around a
/// valid link.
const LATIN1_PAGE: &[u8] =
    b"<!DOCTYPE html>\n<html>\n<head>\n<title>Caf\xe9</title>\n</head>\n<body>\n\
<p>Caf\xe9 cr\xe8me \x97 \xff\xfe</p>\n\
<p><a href=\"/after-latin1.html\">Suite \xe0 lire</a></p>\n\
<p>Fin \xe9\xe9\xe9.</p>\n</body>\n</html>\n";

/// A valid 1×1 RGB PNG (one orange pixel), checksums and all.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x38, 0x63, 0xcc, 0x00,
    0x00, 0x02, 0xce, 0x01, 0x00, 0x57, 0xc9, 0x6c, 0xa4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The drip page: a complete HTML document of exactly [`DRIP_BYTES`].
fn drip_body() -> Bytes {
    let head = "<!DOCTYPE html><html><head><title>Drip</title></head><body><p>";
    let tail = "</p></body></html>\n";
    let mut text = String::with_capacity(DRIP_BYTES);
    text.push_str(head);
    while text.len() < DRIP_BYTES - tail.len() {
        text.push('.');
    }
    text.push_str(tail);
    Bytes::from(text)
}

/// `/huge.html`, described rather than stored: a head, one block of
/// paragraphs repeated, space padding, and a tail. [`HugeDoc::chunk`]
/// produces any slice of it on demand, so serving it costs one chunk of
/// memory per connection, not [`HUGE_BYTES`].
#[derive(Debug)]
pub(crate) struct HugeDoc {
    head: Vec<u8>,
    block: Vec<u8>,
    tail: Vec<u8>,
    total: u64,
}

impl HugeDoc {
    /// A document of `total` bytes whose paragraphs link `links` (paths of
    /// graph pages, so a crawler that reads it finds nothing new).
    pub(crate) fn new(total: u64, links: &[&str]) -> HugeDoc {
        let head = b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
                     <title>A very large page</title>\n</head>\n<body>\n<h1>Everything, at once</h1>\n"
            .to_vec();
        let tail = b"\n</body>\n</html>\n".to_vec();
        let mut block = String::new();
        for link in links {
            block.push_str(&format!(
                "<p>This page goes on and on; a crawler should stop reading long before the end. \
                 <a href=\"{link}\">Somewhere else</a> would be more useful.</p>\n"
            ));
        }
        if block.is_empty() {
            block.push_str("<p>Filler.</p>\n");
        }
        assert!(
            total >= (head.len() + tail.len()) as u64,
            "HugeDoc of {total} bytes cannot hold its head and tail"
        );
        HugeDoc {
            head,
            block: block.into_bytes(),
            tail,
            total,
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.total
    }

    /// Bytes `offset .. offset + len` of the document (clipped at its end).
    pub(crate) fn chunk(&self, offset: u64, len: usize) -> Bytes {
        let head_end = self.head.len() as u64;
        let tail_start = self.total - self.tail.len() as u64;
        let block_len = self.block.len() as u64;
        // Whole blocks only, then spaces: a block cut in half could leave
        // an unclosed tag that swallows the tail.
        let blocks_end = head_end + (tail_start - head_end) / block_len * block_len;
        let end = (offset + len as u64).min(self.total);
        let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
        let mut pos = offset;
        while pos < end {
            let step = if pos < head_end {
                let n = head_end.min(end) - pos;
                out.extend_from_slice(&self.head[pos as usize..(pos + n) as usize]);
                n
            } else if pos < blocks_end {
                let within = (pos - head_end) % block_len;
                let n = (block_len - within).min(blocks_end.min(end) - pos);
                out.extend_from_slice(&self.block[within as usize..(within + n) as usize]);
                n
            } else if pos < tail_start {
                let n = tail_start.min(end) - pos;
                out.resize(out.len() + n as usize, b' ');
                n
            } else {
                let from = pos - tail_start;
                let n = end - pos;
                out.extend_from_slice(&self.tail[from as usize..(from + n) as usize]);
                n
            };
            pos += step;
        }
        Bytes::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for mode in Hostile::ALL {
            assert_eq!(mode.name().parse(), Ok(mode));
            assert_eq!(mode.to_string(), mode.name());
            assert!(!mode.entries().is_empty());
        }
        let error = "tarp".parse::<Hostile>().expect_err("not a mode");
        assert!(error.to_string().contains("redirect-loop"), "{error}");
    }

    #[test]
    fn huge_doc_chunks_tile_the_document() {
        for total in [200u64, 1000, 4097] {
            let doc = HugeDoc::new(total, &["/a.html", "/b.html"]);
            let whole = doc.chunk(0, total as usize);
            assert_eq!(whole.len() as u64, total);
            assert!(whole.starts_with(b"<!DOCTYPE html>"));
            assert!(whole.ends_with(b"</html>\n"));
            // Any tiling gives the same bytes.
            let mut tiled = Vec::new();
            let mut offset = 0;
            while offset < total {
                tiled.extend_from_slice(&doc.chunk(offset, 37));
                offset += 37;
            }
            assert_eq!(tiled, whole);
        }
        let huge = HugeDoc::new(HUGE_BYTES, &["/"]);
        let last = huge.chunk(HUGE_BYTES - CHUNK as u64, CHUNK);
        assert_eq!(last.len(), CHUNK);
        assert!(last.ends_with(b"</body>\n</html>\n"));
    }

    #[test]
    fn drip_body_has_its_advertised_length() {
        let body = drip_body();
        assert_eq!(body.len(), DRIP_BYTES);
        assert!(body.ends_with(b"</html>\n"));
    }

    #[test]
    fn latin1_page_is_not_utf8_but_keeps_its_link() {
        // 0xFF never occurs in UTF-8 (the compiler itself knows this
        // literal is invalid: see the invalid_from_utf8 lint).
        assert!(LATIN1_PAGE.contains(&0xff));
        let lossy = String::from_utf8_lossy(LATIN1_PAGE);
        assert!(lossy.contains("<a href=\"/after-latin1.html\">"));
    }
}
