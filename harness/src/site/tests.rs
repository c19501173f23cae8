//! The site's tests, over real HTTP with a tiny blocking client (the harness
//! has no HTTP client dependency): one request per connection,
//! `Connection: close`, read to the end.
//!
//! Run with `cargo test -p harness site`.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use super::*;

// ---------------------------------------------------------------- client

struct Reply {
    status: u16,
    /// Names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Send a request and return the open stream (for responses read piecemeal).
fn send(addr: SocketAddr, method: &str, target: &str, host: &str, agent: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect to the site");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\n\
         Connection: close\r\n\r\n"
    )
    .expect("send the request");
    stream
}

/// Read until the end of the head; returns it parsed, plus any body bytes
/// already read.
fn read_head(stream: &mut TcpStream) -> Reply {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).expect("read the response head");
        assert!(n > 0, "connection closed before the end of the head");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: data[end + 4..].to_vec(),
    }
}

fn request(addr: SocketAddr, method: &str, target: &str, host: &str, agent: &str) -> Reply {
    let mut stream = send(addr, method, target, host, agent);
    let mut reply = read_head(&mut stream);
    stream
        .read_to_end(&mut reply.body)
        .expect("read the response body");
    reply
}

fn get(site: &Site, target: &str) -> Reply {
    request(
        site.addr(),
        "GET",
        target,
        &site.addr().to_string(),
        "site-test",
    )
}

// ------------------------------------------------- an independent extractor

/// What a correct crawler extracts: html5gum tokens (with the naive state
/// switching that treats `<script>` as raw text), `<base href>`, `<a>` and
/// `<area>` hrefs resolved by the `url` crate, fragments dropped, same
/// origin only, deduplicated in order. Written independently of the site's
/// generator, so agreeing with `expected_links` means something.
fn extract(html: &str, page: &str) -> Vec<String> {
    use html5gum::{DefaultEmitter, Token, Tokenizer};
    let page = url::Url::parse(page).expect("page URL");
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    let mut base = None;
    let mut hrefs = Vec::new();
    for token in Tokenizer::new_with_emitter(html, emitter) {
        let Ok(Token::StartTag(tag)) = token else {
            continue;
        };
        let Some(href) = tag.attributes.get(b"href".as_slice()) else {
            continue;
        };
        let href = String::from_utf8_lossy(&href.value).into_owned();
        match tag.name.as_slice() {
            b"base" if base.is_none() => base = page.join(&href).ok(),
            b"a" | b"area" => hrefs.push(href),
            _ => {}
        }
    }
    let base = base.unwrap_or_else(|| page.clone());
    let mut links = Vec::new();
    for href in hrefs {
        let Ok(mut url) = base.join(&href) else {
            continue;
        };
        url.set_fragment(None);
        if url.origin() == page.origin() && !links.contains(&url.to_string()) {
            links.push(url.to_string());
        }
    }
    links
}

// ------------------------------------------------------------------ graph

#[test]
fn every_page_answers_200_with_its_html_and_links_only_pages() {
    // CPU-heavy for a moment: keep out of the way of the harness's own
    // CPU measurements, which count every thread of this process.
    let _cpu = crate::exclusive::cpu();
    let site = Site::start(SiteConfig::default());
    let pages = site.pages();
    assert_eq!(pages.len(), 1000);
    assert_eq!(site.depth("/"), Some(0));
    let root = site.root();
    for path in &pages {
        let depth = site
            .depth(path)
            .unwrap_or_else(|| panic!("{path} has no depth"));
        assert!(path == "/" || depth > 0);
        let reply = get(&site, path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        let html = site.html(path).expect("a page has HTML");
        assert_eq!(reply.text(), html, "{path} served differently");
        assert_eq!(
            reply.header("content-length"),
            Some(html.len().to_string().as_str())
        );
        for link in site.expected_links(path) {
            let target = link
                .strip_prefix(root.trim_end_matches('/'))
                .unwrap_or_else(|| panic!("{link} is not on the site"));
            assert!(pages.contains(target), "{path} links {link}, not a page");
            // A link is one step: depths are breadth-first distances.
            assert!(site.depth(target) <= Some(depth + 1));
        }
    }
    assert_eq!(site.stats().requests, 1000);
    assert!(site.stats().duplicates().is_empty());
    assert_eq!(site.html("/nope.html"), None);
    assert_eq!(site.depth("/nope.html"), None);
    assert!(site.expected_links("/nope.html").is_empty());
}

#[test]
fn same_seed_same_site() {
    // CPU-heavy for a moment: keep out of the way of the harness's own
    // CPU measurements, which count every thread of this process.
    let _cpu = crate::exclusive::cpu();
    let a = Site::start(SiteConfig::pages(200).with_seed(5));
    let b = Site::start(SiteConfig::pages(200).with_seed(5));
    let c = Site::start(SiteConfig::pages(200).with_seed(6));
    assert_eq!(a.pages(), b.pages());
    assert_ne!(a.pages(), c.pages());
    // The HTML differs only by the port in absolute links.
    let (host_a, host_b) = (a.addr().to_string(), b.addr().to_string());
    for path in a.pages() {
        let html_a = a.html(&path).expect("page").replace(&host_a, "HOST");
        let html_b = b.html(&path).expect("page").replace(&host_b, "HOST");
        assert_eq!(html_a, html_b, "{path}");
        assert_eq!(a.depth(&path), b.depth(&path));
    }
}

#[test]
fn expected_links_match_a_real_extractor() {
    // CPU-heavy for a moment: keep out of the way of the harness's own
    // CPU measurements, which count every thread of this process.
    let _cpu = crate::exclusive::cpu();
    let site = Site::start(SiteConfig::default().with_hostile(&Hostile::ALL));
    for path in site.pages() {
        let html = site.html(&path).expect("page");
        assert_eq!(
            extract(&html, &site.url(&path)),
            site.expected_links(&path),
            "links of {path}"
        );
    }
}

#[test]
fn every_link_form_and_decoy_is_exercised() {
    // CPU-heavy for a moment: keep out of the way of the harness's own
    // CPU measurements, which count every thread of this process.
    let _cpu = crate::exclusive::cpu();
    let site = Site::start(SiteConfig::default());
    let host = site.addr().to_string();
    let all: String = site.pages().iter().filter_map(|p| site.html(p)).collect();
    for needle in [
        "href=\"p".to_string(),            // relative, same directory
        "href=\"../".to_string(),          // relative, up
        "href=\"?page=".to_string(),       // query only
        "href=\"/".to_string(),            // absolute path
        format!("href=\"http://{host}/"),  // absolute URL
        format!("href=\"http://{host}\""), // root without a slash
        format!("href=\"//{host}/"),       // scheme-relative
        "href=\"HTTP://".to_string(),      // case
        "/../".to_string(),                // dot segments
        "#section-".to_string(),           // fragment
        "href='".to_string(),              // single quotes
        "href=/".to_string(),              // unquoted
        "<A ".to_string(),                 // capitals
        "&amp;sort=".to_string(),          // escaped query
        "<base href=".to_string(),
        "<area ".to_string(),
        "href=\"#top\"".to_string(),
        "<!-- <a href=\"/ghost-".to_string(), // commented out
        "<script>var u = \"<a href='/ghost-".to_string(),
        "href=\"mailto:".to_string(),
        "href=\"http://127.0.0.1:1/".to_string(),
        "href=\"https://docs.example.invalid/".to_string(),
    ] {
        assert!(all.contains(&needle), "no page has {needle:?}");
    }
    // Without hostile modes the root links no hostile path.
    let root = site.html("/").expect("root");
    for mode in Hostile::ALL {
        for entry in mode.entries() {
            assert!(!root.contains(&format!("\"{entry}\"")), "{entry}");
        }
    }
}

// ------------------------------------------------------------- in flight

#[test]
fn peak_in_flight_equals_concurrent_clients() {
    const CLIENTS: usize = 8;
    let site =
        Site::start(SiteConfig::pages(50).with_latency(Latency::Fixed(Duration::from_millis(50))));
    let pages: Vec<String> = site.pages().into_iter().collect();
    let start = Barrier::new(CLIENTS);
    std::thread::scope(|s| {
        for path in pages.iter().take(CLIENTS) {
            let (site, start) = (&site, &start);
            s.spawn(move || {
                start.wait();
                assert_eq!(get(site, path).status, 200);
            });
        }
    });
    let stats = site.stats();
    assert_eq!(stats.requests, CLIENTS);
    assert_eq!(stats.peak_in_flight, CLIENTS);
    assert_eq!(stats.in_flight, 0, "every client read its whole response");
    let host = stats.per_host.get(&site.addr().to_string()).expect("host");
    assert_eq!(host.peak_in_flight, CLIENTS);
    assert_eq!(host.in_flight, 0);
}

#[test]
fn one_client_at_a_time_peaks_at_one() {
    // The in-flight count ends before the last byte leaves: a client that
    // has read a whole response and sends the next request must never be
    // seen as two.
    let site = Site::start(SiteConfig::pages(40).with_hostile(&[Hostile::ErrorPages]));
    for _round in 0..3 {
        for path in site.pages() {
            get(&site, &path);
        }
        get(&site, paths::MISSING);
        get(&site, "/nothing-here");
    }
    let stats = site.stats();
    assert_eq!(stats.requests, 3 * 42);
    assert_eq!(stats.peak_in_flight, 1);
    assert_eq!(stats.in_flight, 0);
}

#[test]
fn latency_delays_every_response() {
    let delay = Duration::from_millis(60);
    let site = Site::start(SiteConfig::pages(5).with_latency(Latency::Fixed(delay)));
    for target in ["/", "/nothing-here", paths::ROBOTS, paths::STYLE] {
        let started = Instant::now();
        get(&site, target);
        assert!(started.elapsed() >= delay, "{target} answered early");
    }
}

#[test]
fn head_requests_get_headers_only() {
    let site = Site::start(SiteConfig::pages(5));
    let host = site.addr().to_string();
    let reply = request(site.addr(), "HEAD", "/", &host, "head-test");
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    let len = site.html("/").expect("root").len().to_string();
    assert_eq!(reply.header("content-length"), Some(len.as_str()));
    assert_eq!(site.stats().in_flight, 0);
}

// ------------------------------------------------------------------ stats

#[test]
fn counts_per_path_host_and_agent() {
    let site = Site::start(SiteConfig::pages(100));
    let addr = site.addr();
    let ip_host = addr.to_string();
    let name_host = format!("localhost:{}", addr.port());
    let query_page = site
        .pages()
        .into_iter()
        .find(|p| p.contains('?'))
        .expect("a query page");

    let mut sent = 0;
    for (target, host, agent) in [
        ("/", ip_host.as_str(), "alpha/1"),
        ("/", ip_host.as_str(), "alpha/1"),
        (query_page.as_str(), ip_host.as_str(), "beta/2"),
        ("/", name_host.as_str(), "beta/2"),
        ("/ghost-1-comment.html", name_host.as_str(), "alpha/1"),
    ] {
        sent += request(addr, "GET", target, host, agent).body.len() as u64;
    }
    let stats = site.stats();
    assert_eq!(stats.requests, 5);
    assert_eq!(stats.count("/"), 3);
    assert_eq!(stats.count(&query_page), 1);
    assert_eq!(stats.count("/ghost-1-comment.html"), 1);
    assert_eq!(stats.count("/never"), 0);
    assert_eq!(stats.duplicates(), vec![("/".to_string(), 3)]);
    assert_eq!(stats.per_host[&ip_host].requests, 3);
    assert_eq!(stats.per_host[&name_host].requests, 2);
    assert_eq!(
        stats.user_agents,
        BTreeSet::from(["alpha/1".to_string(), "beta/2".to_string()])
    );
    let times = &stats.times["/"];
    assert_eq!(times.len(), 3);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(stats.bytes_sent, sent);

    site.reset_stats();
    let stats = site.stats();
    assert_eq!(stats, Stats::default());
}

#[test]
fn absolute_links_follow_the_host_header() {
    let site = Site::start(SiteConfig::pages(100));
    let ip_host = site.addr().to_string();
    let name_host = format!("localhost:{}", site.addr().port());
    let path = site
        .pages()
        .into_iter()
        .find(|p| {
            site.html(p)
                .is_some_and(|h| h.contains(&format!("//{ip_host}/")))
        })
        .expect("a page with an absolute link");
    let reply = request(site.addr(), "GET", &path, &name_host, "t");
    // Lower-cased: one of the forms writes the host in capitals.
    let body = reply.text().to_ascii_lowercase();
    assert!(body.contains(&format!("//{name_host}/")), "{body}");
    assert!(!body.contains(&ip_host));
}

// ---------------------------------------------------------------- hostile

#[test]
fn hostile_paths_are_404_when_off() {
    let site = Site::start(SiteConfig::pages(10));
    let mut targets: Vec<&str> = Hostile::ALL
        .iter()
        .flat_map(|m| m.entries())
        .copied()
        .collect();
    targets.extend([
        paths::ROBOTS,
        paths::LOOP_B,
        paths::RECOVERED,
        paths::AFTER_LATIN1,
        "/trap/2",
    ]);
    for target in targets {
        let reply = get(&site, target);
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    assert!(
        site.expected_links("/")
            .iter()
            .all(|l| site.pages().contains(&l[site.root().len() - 1..]))
    );
}

#[test]
fn hostile_modes_behave_as_documented() {
    let site = Site::start(SiteConfig::pages(20).with_hostile(&Hostile::ALL));
    let root_links = site.expected_links("/");
    for mode in Hostile::ALL {
        for entry in mode.entries() {
            assert!(root_links.contains(&site.url(entry)), "/ lacks {entry}");
            assert!(!site.pages().contains(*entry));
        }
    }

    // Dropped: the connection closes with no answer, twice; then 200.
    for _ in 0..DROPPED_FAILURES {
        let mut stream = send(
            site.addr(),
            "GET",
            paths::DROPPED,
            &site.addr().to_string(),
            "site-test",
        );
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(answer.is_empty(), "an answer from a hang-up: {answer:?}");
    }
    assert_eq!(get(&site, paths::DROPPED).status, 200);
    assert_eq!(site.stats().count(paths::DROPPED), 1 + DROPPED_FAILURES);
    assert_eq!(site.stats().in_flight, 0);

    // Trap: always two more pages.
    let trap = get(&site, "/trap/5");
    assert_eq!(trap.status, 200);
    assert_eq!(
        extract(&trap.text(), &site.url("/trap/5")),
        vec![site.url("/trap/10"), site.url("/trap/11")]
    );
    for bad in ["/trap/0", "/trap/01", "/trap/", "/trap/x"] {
        assert_eq!(get(&site, bad).status, 404, "{bad}");
    }

    // Redirect loop.
    let a = get(&site, paths::LOOP_A);
    assert_eq!(a.status, 302);
    assert_eq!(a.header("location"), Some(paths::LOOP_B));
    assert_eq!(a.header("content-length"), Some("0"));
    let b = get(&site, paths::LOOP_B);
    assert_eq!(b.status, 302);
    assert_eq!(b.header("location"), Some(paths::LOOP_A));

    // Error pages.
    assert_eq!(get(&site, paths::MISSING).status, 404);
    assert_eq!(get(&site, paths::BROKEN).status, 500);
    assert_eq!(get(&site, paths::BROKEN).status, 500);

    // Flaky: FLAKY_FAILURES failures, then success, and again after a reset.
    for _ in 0..2 {
        for _ in 0..FLAKY_FAILURES {
            assert_eq!(get(&site, paths::FLAKY).status, 500);
        }
        let ok = get(&site, paths::FLAKY);
        assert_eq!(ok.status, 200);
        assert!(ok.text().contains("href=\"/recovered.html\""));
        assert_eq!(get(&site, paths::FLAKY).status, 200);
        site.reset_stats();
    }
    assert_eq!(get(&site, paths::RECOVERED).status, 200);

    // Non-HTML.
    let png = get(&site, paths::IMAGE);
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert!(png.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    let text = get(&site, paths::TEXT);
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(text.text().contains("<a href=\"/from-text.html\">x</a>"));
    assert_eq!(get(&site, paths::FROM_TEXT).status, 404);

    // Invalid UTF-8 around a valid link.
    let latin1 = get(&site, paths::LATIN1);
    assert_eq!(latin1.status, 200);
    assert_eq!(latin1.header("content-type"), Some("text/html"));
    assert!(std::str::from_utf8(&latin1.body).is_err());
    assert_eq!(
        extract(&latin1.text(), &site.url(paths::LATIN1)),
        vec![site.url(paths::AFTER_LATIN1)]
    );
    assert_eq!(get(&site, paths::AFTER_LATIN1).status, 200);

    // Robots.
    let robots = get(&site, paths::ROBOTS);
    assert_eq!(robots.status, 200);
    assert_eq!(
        robots.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let robots = robots.text();
    assert!(robots.contains("User-agent: *\nDisallow: /private/\n"));
    assert!(robots.contains("User-agent: BadBot\nDisallow: /\n"));
    assert_eq!(get(&site, paths::PRIVATE).status, 200);
    assert_eq!(get(&site, paths::SECRET).status, 200);

    // The rest of the site is unchanged.
    assert_eq!(
        get(&site, paths::STYLE).header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(get(&site, "/ghost-3-script.html").status, 404);
    assert_eq!(site.stats().in_flight, 0);
}

#[test]
fn huge_page_announces_its_size_and_streams() {
    let site = Site::start(SiteConfig::pages(5).with_hostile(&[Hostile::HugePage]));
    let host = site.addr().to_string();
    let mut stream = send(site.addr(), "GET", paths::HUGE, &host, "t");
    let mut reply = read_head(&mut stream);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-length"),
        Some(HUGE_BYTES.to_string().as_str())
    );
    while reply.body.len() < 64 << 10 {
        let mut buf = [0u8; 8192];
        let n = stream.read(&mut buf).expect("read the huge page");
        assert!(n > 0, "huge page ended early");
        reply.body.extend_from_slice(&buf[..n]);
    }
    assert!(reply.body.starts_with(b"<!DOCTYPE html>"));
    assert!(reply.text().contains("<a href=\"/\">"));
    assert_eq!(site.stats().in_flight, 1, "still sending");

    // Hanging up ends the request: the server drops the body.
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    while site.stats().in_flight != 0 {
        assert!(Instant::now() < deadline, "abandoned body still counted");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(site.stats().bytes_sent < HUGE_BYTES);
}

#[test]
fn drip_starts_at_once_and_drop_does_not_wait_for_it() {
    let site = Site::start(SiteConfig::pages(5).with_hostile(&[Hostile::SlowDrip]));
    let host = site.addr().to_string();
    let mut stream = send(site.addr(), "GET", paths::DRIP, &host, "t");
    let mut reply = read_head(&mut stream);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-length"),
        Some(DRIP_BYTES.to_string().as_str())
    );
    // Two bytes: the first comes with the head, the second a drip later.
    while reply.body.len() < 2 {
        let mut buf = [0u8; 16];
        let n = stream.read(&mut buf).expect("read the drip");
        assert!(n > 0, "drip ended early");
        reply.body.extend_from_slice(&buf[..n]);
    }
    assert!(reply.body.starts_with(b"<!"));
    assert_eq!(site.stats().in_flight, 1);

    let dropping = Instant::now();
    drop(site);
    let took = dropping.elapsed();
    // A hang check, not a performance figure: a drop that waited for the
    // drip would take two minutes.
    assert!(took < Duration::from_secs(5), "drop took {took:?}");
    // And the connection was closed, not left dangling.
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(rest.len() < DRIP_BYTES - 2);
}

// ------------------------------------------------------------- serve_dir

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "harness-site-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    fn write(&self, path: &str, contents: &[u8]) {
        let path = self.0.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(path, contents).expect("write file");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn serve_dir_serves_a_folder_and_nothing_outside_it() {
    let scratch = Scratch::new("dir");
    scratch.write("secret.txt", b"outside the root");
    scratch.write("www/index.html", b"<a href=\"guide/\">guide</a>");
    scratch.write("www/guide/index.html", b"<h1>Guide</h1>");
    scratch.write("www/guide/a b.css", b"body {}");
    scratch.write("www/img/logo.svg", b"<svg/>");
    scratch.write("www/data.bin", b"\x00\x01");
    // Bigger than one chunk, and not a repeating pattern.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    scratch.write("www/big.txt", &big);

    let site = Site::serve_dir(scratch.0.join("www"), Latency::None).expect("serve dir");
    assert!(site.pages().is_empty());
    assert!(site.expected_links("/").is_empty());
    assert_eq!(site.html("/"), None);

    let index = get(&site, "/");
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(index.body, b"<a href=\"guide/\">guide</a>");

    let redirect = get(&site, "/guide?x=1");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("/guide/?x=1"));
    assert_eq!(get(&site, "/guide/").body, b"<h1>Guide</h1>");

    for (target, content_type) in [
        ("/guide/a%20b.css", "text/css; charset=utf-8"),
        ("/img/logo.svg", "image/svg+xml"),
        ("/data.bin", "application/octet-stream"),
    ] {
        let reply = get(&site, target);
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{target}");
    }

    let reply = get(&site, "/big.txt");
    assert_eq!(reply.header("content-length"), Some("300000"));
    assert!(reply.body == big, "big file corrupted");

    for bad in [
        "/../secret.txt",
        "/guide/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/guide/..%2f..%2fsecret.txt",
        "/missing.html",
        "/img/",
    ] {
        assert_eq!(get(&site, bad).status, 404, "{bad}");
    }
    assert_eq!(site.stats().in_flight, 0);

    let file = scratch.0.join("secret.txt");
    assert!(Site::serve_dir(&file, Latency::None).is_err());
    assert!(Site::serve_dir(scratch.0.join("nope"), Latency::None).is_err());
}

// ----------------------------------------------------------------- runtime

#[test]
fn site_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Site>();
    check::<Stats>();
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_a_current_thread_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Start and drop on the runtime's only thread: neither may block_on
    // here nor drop a runtime in async context.
    let site = Site::start(SiteConfig::pages(5));
    let mut stream = tokio::net::TcpStream::connect(site.addr())
        .await
        .expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    assert!(response.starts_with(b"HTTP/1.1 200"));
    drop(site);
}

// ------------------------------------------------------------- slot use

/// The path of an absolute URL of `site`.
fn path_of(site: &Site, url: &str) -> String {
    url[site.root().len() - 1..].to_owned()
}

/// A crawl with `bound` requests at a time, in waves: start a batch, wait
/// for all of it, start the next.
fn crawl_in_waves(site: &Site, bound: usize) {
    let mut seen = BTreeSet::from(["/".to_owned()]);
    let mut frontier = vec!["/".to_owned()];
    while !frontier.is_empty() {
        let wave: Vec<String> = frontier.drain(..frontier.len().min(bound)).collect();
        std::thread::scope(|s| {
            for path in &wave {
                s.spawn(move || get(site, path));
            }
        });
        for path in &wave {
            for link in site.expected_links(path) {
                let link = path_of(site, &link);
                if seen.insert(link.clone()) {
                    frontier.push(link);
                }
            }
        }
    }
}

/// The same crawl with `bound` workers, each taking the next page as soon
/// as it is free.
fn crawl_refilling(site: &Site, bound: usize) {
    use std::sync::mpsc;
    let (jobs, job_queue) = mpsc::channel::<String>();
    let job_queue = std::sync::Mutex::new(job_queue);
    let (done, results) = mpsc::channel::<String>();
    std::thread::scope(|s| {
        for _ in 0..bound {
            let (job_queue, done) = (&job_queue, done.clone());
            s.spawn(move || {
                loop {
                    // The lock only for taking a job, not for fetching it.
                    let next = job_queue.lock().unwrap().recv();
                    let Ok(path) = next else { break };
                    get(site, &path);
                    let _ = done.send(path);
                }
            });
        }
        let mut seen = BTreeSet::from(["/".to_owned()]);
        jobs.send("/".to_owned()).unwrap();
        let mut pending = 1;
        while pending > 0 {
            let path = results.recv().unwrap();
            pending -= 1;
            for link in site.expected_links(&path) {
                let link = path_of(site, &link);
                if seen.insert(link.clone()) {
                    jobs.send(link).unwrap();
                    pending += 1;
                }
            }
        }
        drop(jobs);
    });
}

#[test]
fn slot_use_tells_waves_from_refilling() {
    let _cpu = crate::exclusive::cpu();
    let spread = Latency::Uniform {
        min: Duration::from_millis(2),
        max: Duration::from_millis(40),
    };
    let site = Site::start(SiteConfig::pages(120).with_latency(spread));
    let meter = crate::cpu::Meter::start();
    crawl_in_waves(&site, 6);
    let waves = site.slot_use(6);
    assert_eq!(site.stats().requests, 120);
    site.reset_stats();
    crawl_refilling(&site, 6);
    let refilling = site.slot_use(6);
    assert_eq!(site.stats().requests, 120);
    let usage = meter.stop();
    // Idle slots are timing: on a busy machine the crawlers' threads may
    // have waited for a core (see crate::busy).
    if refilling.idle_share() >= 0.15 && !crate::busy::is_quiet(&usage) {
        crate::grade::inconclusive(crate::busy::inconclusive_message(
            "two crawls of the site ran",
            &usage,
            1,
        ));
        return;
    }
    assert!(
        waves.idle_share() > 0.3,
        "waves left only {:.2} idle",
        waves.idle_share()
    );
    assert!(
        refilling.idle_share() < 0.15,
        "refilling left {:.2} idle",
        refilling.idle_share()
    );
    assert!(refilling.mean_in_flight() > waves.mean_in_flight());
}
