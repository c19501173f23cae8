//! One HTTP fetch, blocking or async, with the limits a crawler needs
//! against hostile servers: a redirect limit, no redirects off the site, and
//! a cap on the body read.
//!
//! Given code, shared by every strategy: it is about HTTP, not concurrency.
//! Timeouts and retries are *not* here: how to wait, and how to give up
//! waiting, is what each strategy must decide for itself.
//!
//! Given code: the reference solution compiles this same file (see
//! `solutions/crawler/src/lib.rs`), so leave it as it is.

use crate::crawl::{CrawlError, Options};
use std::io::Read;
use std::time::Duration;
use url::{Origin, Url};

/// One answer, read whole (up to the cap).
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The HTTP status.
    pub status: u16,
    /// Where the body came from, after redirects (links resolve against it).
    pub final_url: Url,
    /// Is the body HTML (by its Content-Type)? Only HTML is searched for links.
    pub is_html: bool,
    /// The body.
    pub body: Vec<u8>,
    /// Body bytes read.
    pub bytes: u64,
}

impl Fetched {
    /// 5xx: the server may answer next time.
    pub fn is_server_error(&self) -> bool {
        self.status >= 500
    }
}

/// Why a fetch produced no usable answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No answer within `Options::timeout`.
    #[error("timed out")]
    Timeout,
    /// The body is longer than `Options::max_body`.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The cap that was hit.
        limit: u64,
    },
    /// More than `Options::max_redirects` redirects, or a loop.
    #[error("too many redirects")]
    TooManyRedirects,
    /// A redirect to another site, which the crawler does not follow.
    #[error("redirected off the site, to {0}")]
    OffSite(String),
    /// Anything else: refused connection, reset, malformed answer...
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// A short name for summaries: "timeout", "too-large"...
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout => "timeout",
            FetchError::TooLarge { .. } => "too-large",
            FetchError::TooManyRedirects => "too-many-redirects",
            FetchError::OffSite(_) => "off-site-redirect",
            FetchError::Other(_) => "error",
        }
    }

    /// Worth trying again? Timeouts and broken connections may go away;
    /// a redirect loop or an oversized body will not.
    pub fn is_transient(&self) -> bool {
        matches!(self, FetchError::Timeout | FetchError::Other(_))
    }

    fn from_reqwest(error: reqwest::Error) -> FetchError {
        if error.is_timeout() {
            return FetchError::Timeout;
        }
        if error.is_redirect() {
            // Our redirect policy stops off-site redirects itself (see
            // `redirect_policy`); every other redirect error is the limit.
            return FetchError::TooManyRedirects;
        }
        // The chain of sources says what really happened ("connection
        // refused"); the top level only says "error sending request".
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        FetchError::Other(text)
    }
}

/// Follow at most `max` redirects, and only within `origin`: a redirect off
/// the site ends the fetch with that redirect as the answer (a 3xx status),
/// which [`check_redirect`] turns into [`FetchError::OffSite`].
fn redirect_policy(max: usize, origin: Origin) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max {
            attempt.error("too many redirects")
        } else if attempt.url().origin() != origin {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// A 3xx answer at the end means the policy stopped at an off-site redirect.
fn check_redirect(status: u16, headers: &reqwest::header::HeaderMap) -> Result<(), FetchError> {
    if (300..400).contains(&status)
        && let Some(location) = headers.get(reqwest::header::LOCATION)
    {
        return Err(FetchError::OffSite(
            String::from_utf8_lossy(location.as_bytes()).into_owned(),
        ));
    }
    Ok(())
}

/// What the status line and headers decide, before any body is read.
struct Head {
    status: u16,
    final_url: Url,
    is_html: bool,
}

impl Head {
    /// Refuse an off-site redirect, or a body announced as too big.
    fn check(
        status: u16,
        headers: &reqwest::header::HeaderMap,
        final_url: &Url,
        content_length: Option<u64>,
        max_body: u64,
    ) -> Result<Head, FetchError> {
        check_redirect(status, headers)?;
        if content_length.is_some_and(|n| n > max_body) {
            return Err(FetchError::TooLarge { limit: max_body });
        }
        Ok(Head {
            status,
            final_url: final_url.clone(),
            is_html: is_html(headers),
        })
    }

    fn with_body(self, body: Vec<u8>, bytes: u64) -> Fetched {
        Fetched {
            status: self.status,
            final_url: self.final_url,
            is_html: self.is_html,
            body,
            bytes,
        }
    }
}

fn is_html(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|mime| mime == "text/html" || mime == "application/xhtml+xml")
}

/// The async client for a crawl of `site`: our User-Agent, the redirect
/// limit, and no redirects off the site. One client per crawl: it keeps the
/// connections open between requests (a pool per host).
pub fn client(site: &Url, options: &Options) -> Result<reqwest::Client, CrawlError> {
    install_tls_provider();
    reqwest::Client::builder()
        .user_agent(&options.user_agent)
        .redirect(redirect_policy(options.max_redirects, site.origin()))
        // Every idle connection may be reused: a crawl hits one host over
        // and over, and a new TCP (and TLS) handshake per page is waste.
        .pool_max_idle_per_host(options.concurrency.min(1024))
        .build()
        .map_err(CrawlError::Client)
}

/// The blocking client, the same way; it also applies `options.timeout` to
/// every request, since a blocking call cannot be cancelled from outside.
pub fn blocking_client(
    site: &Url,
    options: &Options,
) -> Result<reqwest::blocking::Client, CrawlError> {
    install_tls_provider();
    reqwest::blocking::Client::builder()
        .user_agent(&options.user_agent)
        .redirect(redirect_policy(options.max_redirects, site.origin()))
        .timeout(options.timeout)
        .pool_max_idle_per_host(options.concurrency.min(1024))
        .build()
        .map_err(CrawlError::Client)
}

/// Make ring rustls's cryptography for https sites. reqwest's own default
/// (aws-lc-rs) needs cmake and minutes of C compilation; ring builds in
/// seconds. Installing it is process-wide and the first call wins, so
/// later calls (every client) find it there and change nothing.
fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Fetch `url` once with the async client, reading at most `max_body` bytes.
///
/// Not cancel-safe in any special way, and need not be: dropping the future
/// (say, when a timeout fires) drops the connection with it.
pub async fn fetch(
    client: &reqwest::Client,
    url: &Url,
    max_body: u64,
) -> Result<Fetched, FetchError> {
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .map_err(FetchError::from_reqwest)?;
    let head = Head::check(
        response.status().as_u16(),
        response.headers(),
        response.url(),
        response.content_length(),
        max_body,
    )?;
    // Read chunk by chunk, so a huge (or endless) body is cut off at the cap
    // instead of being buffered whole first.
    let mut body = Vec::new();
    let mut bytes = 0u64;
    while let Some(chunk) = response.chunk().await.map_err(FetchError::from_reqwest)? {
        bytes += chunk.len() as u64;
        if bytes > max_body {
            return Err(FetchError::TooLarge { limit: max_body });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(head.with_body(body, bytes))
}

/// Fetch `url` once with the blocking client, reading at most `max_body`
/// bytes, and giving up after `timeout` (the same value the client was
/// built with).
pub fn fetch_blocking(
    client: &reqwest::blocking::Client,
    url: &Url,
    max_body: u64,
    timeout: Duration,
) -> Result<Fetched, FetchError> {
    let began = std::time::Instant::now();
    let response = client
        .get(url.clone())
        .send()
        .map_err(FetchError::from_reqwest)?;
    let head = Head::check(
        response.status().as_u16(),
        response.headers(),
        response.url(),
        response.content_length(),
        max_body,
    )?;
    // The blocking client's timeout bounds each *read*, not the whole body:
    // a server dripping a byte now and then would never trip it. So the
    // body is read in pieces against a deadline of our own.
    let mut body = Vec::new();
    let mut response = response;
    let mut piece = vec![0u8; 64 << 10];
    loop {
        if began.elapsed() > timeout {
            return Err(FetchError::Timeout);
        }
        let n = response.read(&mut piece).map_err(|e| {
            match e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            {
                Some(inner) if inner.is_timeout() => FetchError::Timeout,
                _ if e.kind() == std::io::ErrorKind::TimedOut => FetchError::Timeout,
                _ => FetchError::Other(e.to_string()),
            }
        })?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&piece[..n]);
        // One byte more than allowed tells "exactly at the cap" from "over it".
        if body.len() as u64 > max_body {
            return Err(FetchError::TooLarge { limit: max_body });
        }
    }
    let bytes = body.len() as u64;
    Ok(head.with_body(body, bytes))
}

/// How long the `attempt`-th retry (0 for the first) waits: `base`, then
/// twice that, four times... capped at a minute.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.min(16))
        .min(Duration::from_secs(60))
}
