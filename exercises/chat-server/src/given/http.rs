//! The front door: one HTTP request per connection, answered or upgraded.
//!
//! The page, its statistics and the WebSocket live on one port, so the
//! server reads the request head itself (bounded in size; the caller bounds
//! it in time), answers `/` and `/stats` with a plain HTTP response, and for
//! `/ws` writes the `101 Switching Protocols` answer and hands the socket,
//! with any bytes read past the head, to tungstenite.
//!
//! A real server would use hyper here; this is small enough to read whole,
//! and it keeps an idle connection's cost to what the chat needs.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// The longest request head read; a longer one is answered 431.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// The page's Content-Security-Policy: its own script and style files only
/// (no inline script, no `eval`), WebSocket back to the same host. Even if
/// user text were ever turned into markup, an injected `<script>` or
/// `onerror=` would not run.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What the server can answer besides the chat itself.
pub struct Site<'a> {
    /// The files of the page: (path, content type, body); `/` is
    /// `/index.html`.
    pub files: &'a [(&'a str, &'a str, &'a str)],
    /// The JSON at `/stats`.
    pub stats: &'a (dyn Fn() -> String + Sync),
    /// `Some(limit)` when the server holds its maximum of connections: an
    /// upgrade is then refused with 503.
    pub full: Option<usize>,
}

/// How one request ended.
pub enum Accepted {
    /// The client asked for `/ws` and is now a WebSocket connection.
    WebSocket(Box<WebSocketStream<TcpStream>>),
    /// A plain HTTP answer was sent (the page, the statistics, 404, 503...);
    /// the connection is done.
    Answered(u16),
}

/// Reads one request from `stream` and answers it.
///
/// Errors are the client's connection failing or closing mid-request; a
/// malformed request is answered (400) rather than an error.
pub async fn accept(
    mut stream: TcpStream,
    site: &Site<'_>,
    websocket: WebSocketConfig,
    send_buffer: usize,
) -> io::Result<Accepted> {
    // Small frames, sent as soon as they are written: no Nagle delay. And
    // a bounded kernel send buffer (see Config::socket_send_buffer).
    stream.set_nodelay(true)?;
    socket2::SockRef::from(&stream).set_send_buffer_size(send_buffer)?;
    let mut head = Vec::with_capacity(1024);
    let end = loop {
        if let Some(end) = find_end(&head) {
            break end;
        }
        if head.len() >= MAX_HEAD_BYTES {
            return answer(&mut stream, 431, "text/plain", "request head too large\n").await;
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&chunk[..n]);
    };
    let leftover = head.split_off(end);

    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(&head), Ok(httparse::Status::Complete(_))) {
        return answer(&mut stream, 400, "text/plain", "bad request\n").await;
    }
    if request.method != Some("GET") {
        return answer(&mut stream, 405, "text/plain", "only GET is served\n").await;
    }
    let path = request.path.unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    match path {
        "/stats" => answer(&mut stream, 200, "application/json", &(site.stats)()).await,
        "/ws" => {
            let header = |name: &str| {
                request
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
            };
            let upgrade = header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
            let key = header("sec-websocket-key");
            let (true, Some(key), Some("13")) = (upgrade, key, header("sec-websocket-version"))
            else {
                return answer(
                    &mut stream,
                    400,
                    "text/plain",
                    "expected a WebSocket upgrade\n",
                )
                .await;
            };
            if let Some(limit) = site.full {
                let body = format!("server full: {limit} connections\n");
                return answer(&mut stream, 503, "text/plain", &body).await;
            }
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                derive_accept_key(key.as_bytes())
            );
            stream.write_all(response.as_bytes()).await?;
            let ws = WebSocketStream::from_partially_read(
                stream,
                leftover,
                Role::Server,
                Some(websocket),
            )
            .await;
            Ok(Accepted::WebSocket(Box::new(ws)))
        }
        _ => {
            let path = if path == "/" { "/index.html" } else { path };
            match site.files.iter().find(|(p, _, _)| *p == path) {
                Some((_, kind, body)) => answer(&mut stream, 200, kind, body).await,
                None => answer(&mut stream, 404, "text/plain", "not found\n").await,
            }
        }
    }
}

/// Where the head ends (just past the blank line), if it has.
fn find_end(head: &[u8]) -> Option<usize> {
    head.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

async fn answer(
    stream: &mut TcpStream,
    status: u16,
    kind: &str,
    body: &str,
) -> io::Result<Accepted> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Content-Security-Policy: {CONTENT_SECURITY_POLICY}\r\nX-Content-Type-Options: nosniff\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(Accepted::Answered(status))
}
