//! Serving a real folder (`Site::serve_dir`): crawl your own documentation
//! (`cargo doc`'s `target/doc`, an mdBook's `book/`) on loopback.
//!
//! Just enough of a static file server for a crawler: `index.html` for
//! directory URLs, a 301 from `/dir` to `/dir/` (as real servers do, so that
//! relative links inside resolve correctly), a Content-Type from the file
//! extension, files streamed in chunks, and no way out of the folder.
//! A real server would also list directories, honour `If-Modified-Since`
//! and serve ranges; a crawler needs none of that.

use std::path::{Path, PathBuf};

use hyper::StatusCode;

use super::server::{Reply, Source};

/// The answer for `target` (path and query, as received) under `root`.
pub(crate) async fn serve(root: &Path, target: &str) -> Reply {
    let (raw_path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let Some(file) = resolve(root, raw_path) else {
        return Reply::not_found();
    };
    let Ok(meta) = tokio::fs::metadata(&file).await else {
        return Reply::not_found();
    };
    let file = if meta.is_dir() {
        if !raw_path.ends_with('/') {
            let location = match query {
                Some(query) => format!("{raw_path}/?{query}"),
                None => format!("{raw_path}/"),
            };
            return Reply::redirect_with(StatusCode::MOVED_PERMANENTLY, location);
        }
        file.join("index.html")
    } else {
        file
    };
    let Ok(handle) = tokio::fs::File::open(&file).await else {
        return Reply::not_found();
    };
    let len = match handle.metadata().await {
        Ok(meta) if meta.is_file() => meta.len(),
        // index.html that is a directory, or metadata failing: no page.
        _ => return Reply::not_found(),
    };
    Reply::new(
        StatusCode::OK,
        content_type(&file),
        Source::File { file: handle, len },
    )
}

/// Map a URL path to a file under `root`, or `None` if it is malformed or
/// tries to leave `root`.
///
/// Segments are checked *after* percent-decoding, so `%2e%2e` and `..%2f`
/// are caught like `..`. Symbolic links inside `root` are followed (a
/// documentation folder may use them legitimately).
fn resolve(root: &Path, raw_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(raw_path)?;
    let rest = decoded.strip_prefix('/')?;
    let mut path = root.to_path_buf();
    for segment in rest.split('/') {
        if segment.is_empty() {
            continue;
        }
        let forbidden = segment == "."
            || segment == ".."
            || segment.contains('\\')
            || segment.contains('\0')
            // On Windows "C:" would replace the whole path when pushed.
            || Path::new(segment).has_root()
            || Path::new(segment).is_absolute();
        if forbidden {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

/// `%41` → `A`; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            // from_str_radix alone would accept "%+1".
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Content-Type from the extension; unknown types are opaque bytes.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused_in_every_spelling() {
        let root = Path::new("/srv/docs");
        for bad in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc/passwd",
            "/..%2fetc",
            "/a%5c..%5c..%5cetc",
            "/./index.html",
            "/%zz",
            "/%ff",
            "relative",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
        assert_eq!(
            resolve(root, "/guide/a%20b.html"),
            Some(PathBuf::from("/srv/docs/guide/a b.html"))
        );
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/srv/docs")));
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(
            content_type(Path::new("a/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.svg")), "image/svg+xml");
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("Makefile")),
            "application/octet-stream"
        );
    }
}
