//! The parse step's table: lines a parser must read, and lines it must
//! call malformed. Each is one of the format's rules (see the chapter's
//! "The job" page), so that a parser that breaks a rule fails on a line
//! that shows which.

/// What parsing a line must give.
pub enum Want {
    /// A well-formed line: client, endpoint, status, bytes, time in ms.
    Entry(&'static str, &'static str, u16, u64, Option<u64>),
    /// A malformed line.
    Malformed,
}

const AGENT: &str = "\"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0\"";

/// (what the line shows, the line, what it must give).
pub fn cases() -> Vec<(&'static str, Vec<u8>, Want)> {
    let line = |s: String| s.into_bytes();
    vec![
        (
            "a plain line with a request time",
            line(format!("203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] \"GET /api/v1/items HTTP/1.1\" 200 2326 \"-\" {AGENT} 0.042")),
            Want::Entry("203.0.113.7", "/api/v1/items", 200, 2326, Some(42)),
        ),
        (
            "the query is not part of the endpoint",
            line(format!("198.51.100.2 - - [10/Oct/2026:13:55:37 +0000] \"GET /search?q=rust+async&page=2 HTTP/2.0\" 200 512 \"https://example.org/?a=b\" {AGENT} 0.120")),
            Want::Entry("198.51.100.2", "/search", 200, 512, Some(120)),
        ),
        (
            "no request time (Apache's combined format)",
            line(format!("198.51.100.2 - frank [10/Oct/2026:13:55:37 +0000] \"POST /login HTTP/1.1\" 302 0 \"-\" {AGENT}")),
            Want::Entry("198.51.100.2", "/login", 302, 0, None),
        ),
        (
            "`-` for the byte count is 0",
            line(format!("192.0.2.44 - - [10/Oct/2026:13:55:38 +0000] \"GET /static/app.js HTTP/1.1\" 304 - \"-\" {AGENT} 0.001")),
            Want::Entry("192.0.2.44", "/static/app.js", 304, 0, Some(1)),
        ),
        (
            "an IPv6 client",
            line(format!("2001:db8::1f - - [10/Oct/2026:13:55:38 +0000] \"HEAD / HTTP/1.1\" 200 0 \"-\" {AGENT} 0.000")),
            Want::Entry("2001:db8::1f", "/", 200, 0, Some(0)),
        ),
        (
            "an escaped quote and spaces inside the user agent",
            line("192.0.2.9 - - [10/Oct/2026:13:55:39 +0000] \"GET /a HTTP/1.1\" 500 17 \"-\" \"curl/8.5 \\\"quoted\\\" (x y)\" 5.001".into()),
            Want::Entry("192.0.2.9", "/a", 500, 17, Some(5001)),
        ),
        (
            "an escaped backslash just before the closing quote",
            line("192.0.2.9 - - [10/Oct/2026:13:55:39 +0000] \"GET /b HTTP/1.1\" 404 9 \"-\" \"agent\\\\\" 0.015".into()),
            Want::Entry("192.0.2.9", "/b", 404, 9, Some(15)),
        ),
        (
            "a `-` request (nothing was sent) has the endpoint `-`",
            line("192.0.2.10 - - [10/Oct/2026:13:55:40 +0000] \"-\" 400 0 \"-\" \"-\" 0.000".into()),
            Want::Entry("192.0.2.10", "-", 400, 0, Some(0)),
        ),
        (
            "a TLS hello sent to a plain port has the endpoint `-`",
            line("192.0.2.10 - - [10/Oct/2026:13:55:40 +0000] \"\\x16\\x03\\x01\\x00\\xA5\\x01\" 400 157 \"-\" \"-\" 0.002".into()),
            Want::Entry("192.0.2.10", "-", 400, 157, Some(2)),
        ),
        (
            "a request of two parts has the endpoint `-`",
            line("192.0.2.11 - - [10/Oct/2026:13:55:41 +0000] \"GET /only-two\" 400 0 \"-\" \"-\" 0.000".into()),
            Want::Entry("192.0.2.11", "-", 400, 0, Some(0)),
        ),
        (
            "a request of four parts has the endpoint `-`",
            line("192.0.2.11 - - [10/Oct/2026:13:55:41 +0000] \"GET /a HTTP/1.1 extra\" 400 0 \"-\" \"-\" 0.000".into()),
            Want::Entry("192.0.2.11", "-", 400, 0, Some(0)),
        ),
        (
            "a request time counted in whole milliseconds, not through a float (1.001 s is 1001 ms)",
            line(format!("192.0.2.12 - - [10/Oct/2026:13:55:41 +0000] \"GET /t HTTP/1.1\" 200 1 \"-\" {AGENT} 1.001")),
            Want::Entry("192.0.2.12", "/t", 200, 1, Some(1001)),
        ),
        (
            "a 1xx status",
            line(format!("192.0.2.12 - - [10/Oct/2026:13:55:41 +0000] \"GET /ws HTTP/1.1\" 101 0 \"-\" {AGENT} 61.250")),
            Want::Entry("192.0.2.12", "/ws", 101, 0, Some(61250)),
        ),
        (
            "a large byte count",
            line(format!("192.0.2.13 - - [10/Oct/2026:13:55:41 +0000] \"GET /iso HTTP/1.1\" 200 4294967296123 \"-\" {AGENT} 9.999")),
            Want::Entry("192.0.2.13", "/iso", 200, 4_294_967_296_123, Some(9999)),
        ),
        ("a line cut short inside the request", line("192.0.2.14 - - [10/Oct/2026:13:55:42 +0000] \"GET /cut".into()), Want::Malformed),
        ("a line cut short inside the user agent", line("192.0.2.14 - - [10/Oct/2026:13:55:42 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11".into()), Want::Malformed),
        ("a line cut short after the status", line("192.0.2.14 - - [10/Oct/2026:13:55:42 +0000] \"GET / HTTP/1.1\" 200".into()), Want::Malformed),
        ("garbage", line("this is not an access log line at all".into()), Want::Malformed),
        ("a status that is not a number", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" abc 1 \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a status of two digits", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" 99 1 \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a status with a sign", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" +20 1 \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a status of four digits", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" 0200 1 \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a byte count with a sign", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" 200 +5 \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a status of 600", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" 600 1 \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a byte count with a unit", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" 200 12k \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a negative byte count", line(format!("192.0.2.15 - - [10/Oct/2026:13:55:43 +0000] \"GET / HTTP/1.1\" 200 -5 \"-\" {AGENT} 0.001")), Want::Malformed),
        ("a time with two decimals", line(format!("192.0.2.16 - - [10/Oct/2026:13:55:44 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" {AGENT} 0.42")), Want::Malformed),
        ("text after the request time", line(format!("192.0.2.16 - - [10/Oct/2026:13:55:44 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" {AGENT} 0.042 extra")), Want::Malformed),
        ("a space after the user agent and no time", line(format!("192.0.2.16 - - [10/Oct/2026:13:55:44 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" {AGENT} ")), Want::Malformed),
        ("no closing bracket on the time", line(format!("192.0.2.17 - - [10/Oct/2026:13:55:44 +0000 \"GET / HTTP/1.1\" 200 1 \"-\" {AGENT}")), Want::Malformed),
        ("two spaces between fields", line(format!("192.0.2.17  - - [10/Oct/2026:13:55:44 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" {AGENT}")), Want::Malformed),
        ("the user agent's closing quote escaped away", line("192.0.2.18 - - [10/Oct/2026:13:55:45 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"agent\\\" 0.001".into()), Want::Malformed),
        (
            "invalid UTF-8 in the user agent",
            {
                let mut l = b"192.0.2.19 - - [10/Oct/2026:13:55:45 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"bad ".to_vec();
                l.extend_from_slice(&[0xff, 0xfe]);
                l.extend_from_slice(b"\" 0.001");
                l
            },
            Want::Malformed,
        ),
        ("a missing referer", line(format!("192.0.2.20 - - [10/Oct/2026:13:55:46 +0000] \"GET / HTTP/1.1\" 200 1 {AGENT} 0.001")), Want::Malformed),
    ]
}
