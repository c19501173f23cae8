//! Step 1, *parse*: one access-log line into an [`Entry`], and a whole
//! file's text into its [`FileStats`].
//!
//! The format, nginx's "combined" with its request time appended:
//!
//! ```text
//! CLIENT IDENT USER [TIME] "REQUEST" STATUS BYTES "REFERER" "AGENT"[ REQUEST_TIME]
//! 203.0.113.7 - - [10/Oct/2026:13:55:36 +0000] "GET /api/v1/items?page=2 HTTP/1.1" 200 2326 "-" "Mozilla/5.0 (X11)" 0.042
//! ```
//!
//! - Fields are separated by exactly one space. CLIENT, IDENT and USER are
//!   tokens without spaces; TIME is anything between `[` and `]`.
//! - REQUEST, REFERER and AGENT are double-quoted and may hold spaces;
//!   inside them a backslash escapes the next character (`\"` does not end
//!   the string).
//! - The *endpoint* is the request's target up to its `?`; a request that
//!   is not `METHOD TARGET PROTOCOL` (nginx logs `"-"` for an empty one)
//!   is still a well-formed line, with the endpoint `-`.
//! - STATUS is three digits, 100 to 599; BYTES is digits, or `-` for 0.
//! - REQUEST_TIME is optional: seconds with exactly three decimals
//!   (`0.042` is 42 ms); a line may end right after AGENT's quote.
//! - Anything else — a missing field or quote, a bad number, text after
//!   the end, a line cut short, a line that is not UTF-8 — is *malformed*.
//!
//! A malformed line is counted, never fatal: real logs have them.
//!
//! Test it with `cargo xtask grade pipeline parse`.

use crate::answer::{Entry, FileStats};

/// Add up every line of `text` (already decompressed): lines end with
/// `\n` (a `\r` before it is not part of the line; the last line may have
/// no `\n`); blank lines are skipped and not counted; each other line is
/// added to the answer with [`FileStats::add`] or
/// [`FileStats::add_malformed`].
pub fn summarise(text: &[u8]) -> FileStats {
    let _ = text;
    todo!("split into lines, parse each, add it up")
}

/// One line, without its line ending: the entry it records, or None when
/// it is malformed. Borrow the fields from `line` rather than copying
/// them: a file has hundreds of thousands of lines.
pub fn parse_line(line: &[u8]) -> Option<Entry<'_>> {
    let _ = line;
    todo!("read the fields one after another; any surprise is None")
}
