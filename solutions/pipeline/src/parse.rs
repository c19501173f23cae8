//! Step 1, *parse*: one access-log line into an [`Entry`], and a whole
//! file's text into its [`FileStats`].
//!
//! Reference solution of `exercises/pipeline/src/parse.rs`.

use crate::answer::{Entry, FileStats};

// ANCHOR: summarise
/// Add up every line of `text` (already decompressed). Blank lines are
/// skipped; a malformed line is counted and never stops the file.
pub fn summarise(text: &[u8]) -> FileStats {
    let mut stats = FileStats::default();
    // memchr finds each line end many bytes at a time (SIMD), where a
    // `split` on a closure would look at every byte in turn.
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    for end in ends {
        let line = &text[start..end];
        start = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(entry) => stats.add(&entry),
            None => stats.add_malformed(),
        }
    }
    stats
}
// ANCHOR_END: summarise

// ANCHOR: parse_line
/// One line, without its line ending: the entry it records, or None when
/// it is malformed.
pub fn parse_line(line: &[u8]) -> Option<Entry<'_>> {
    // A line that is not UTF-8 is malformed as a whole: borrowing `&str`
    // fields from it would need a lossy copy that changes what is counted.
    let line = std::str::from_utf8(line).ok()?;
    let mut rest = line;
    let client = field(&mut rest)?;
    let _ident = field(&mut rest)?;
    let _user = field(&mut rest)?;
    let _time = bracketed(&mut rest)?;
    let request = quoted(&mut rest)?;
    rest = rest.strip_prefix(' ')?;
    let status = status(field(&mut rest)?)?;
    let bytes = byte_count(field(&mut rest)?)?;
    let _referer = quoted(&mut rest)?;
    rest = rest.strip_prefix(' ')?;
    let _agent = quoted(&mut rest)?;
    let time_ms = match rest {
        "" => None,
        _ => Some(millis(rest.strip_prefix(' ')?)?),
    };
    Some(Entry {
        client,
        endpoint: endpoint(request),
        status,
        bytes,
        time_ms,
    })
}
// ANCHOR_END: parse_line

/// A non-empty field up to the next space, which is consumed too.
fn field<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let (value, after) = rest.split_once(' ')?;
    if value.is_empty() {
        return None;
    }
    *rest = after;
    Some(value)
}

/// `[...]` and the space after it.
fn bracketed<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let inner = rest.strip_prefix('[')?;
    let (value, after) = inner.split_once(']')?;
    *rest = after.strip_prefix(' ')?;
    Some(value)
}

/// A double-quoted string, as written (escapes kept), without the space
/// after it. A backslash escapes the next character, so `\"` does not end
/// the string.
fn quoted<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let inner = rest.strip_prefix('"')?;
    let bytes = inner.as_bytes();
    let mut i = 0;
    // Jump from one `"` or `\` to the next (memchr2 scans many bytes at a
    // time): user agents are long, and their bytes between are not looked
    // at one by one.
    while let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
        i += found;
        if bytes[i] == b'"' {
            *rest = &inner[i + 1..];
            return Some(&inner[..i]);
        }
        i += 2;
        if i > bytes.len() {
            return None;
        }
    }
    None
}

/// The endpoint of a request line: its target up to the `?`, or `-` when
/// the line is not `METHOD TARGET PROTOCOL`.
fn endpoint(request: &str) -> &str {
    let mut parts = request.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), Some(protocol), None)
            if !method.is_empty() && !target.is_empty() && !protocol.is_empty() =>
        {
            target.split('?').next().unwrap_or(target)
        }
        _ => "-",
    }
}

/// Exactly three digits, 100 to 599.
fn status(text: &str) -> Option<u16> {
    if text.len() != 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let status: u16 = text.parse().ok()?;
    (100..=599).contains(&status).then_some(status)
}

/// Digits, or `-` for none.
fn byte_count(text: &str) -> Option<u64> {
    if text == "-" {
        return Some(0);
    }
    digits(text)
}

/// Seconds with exactly three decimals, in milliseconds.
fn millis(text: &str) -> Option<u64> {
    let (seconds, thousandths) = text.split_once('.')?;
    if thousandths.len() != 3 {
        return None;
    }
    let seconds = digits(seconds)?;
    let thousandths = digits(thousandths)?;
    seconds.checked_mul(1000)?.checked_add(thousandths)
}

/// Decimal digits only (no sign, no space), as a number.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
