//! The inputs: where a log comes from, one download, one decompression, and
//! the errors either can end in.
//!
//! Given code: it is about HTTP and gzip, not concurrency. How many
//! downloads run at once, and what runs them, is the pipeline's business;
//! a single [`Fetcher::fetch`] only gives up after its own timeout.
//! The reference solution compiles this same file, so leave it as it is.

use bytes::Bytes;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::answer::FileStats;
use crate::meter::Meter;

/// One input: a name (the last segment of its URL or its file name) and
/// where to read it from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The name it is stored under: `access-0007.log.gz`.
    pub name: String,
    /// Where it is.
    pub location: Location,
}

/// Where an input is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Downloaded over HTTP.
    Url(String),
    /// Read from a file.
    File(PathBuf),
}

impl Source {
    /// An input downloaded from `url`, named after the URL's last segment.
    pub fn url(url: impl Into<String>) -> Source {
        let url = url.into();
        let path = url.split(['?', '#']).next().unwrap_or(&url);
        let name = path.rsplit('/').next().unwrap_or(path).to_owned();
        Source {
            name,
            location: Location::Url(url),
        }
    }

    /// An input read from `path`, named after its file name.
    pub fn file(path: impl Into<PathBuf>) -> Source {
        let path = path.into();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Source {
            name,
            location: Location::File(path),
        }
    }
}

/// Why an input gave no answer. Every one of these is recorded against its
/// input, with its text, and the run goes on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The server answered, but not 200.
    #[error("HTTP status {0}")]
    Status(u16),
    /// No complete answer within the timeout.
    #[error("timed out")]
    Timeout,
    /// The connection ended before the body did.
    #[error("truncated download: {0}")]
    Truncated(String),
    /// Connection refused, reset, a malformed answer...
    #[error("download failed: {0}")]
    Download(String),
    /// A file could not be read.
    #[error("cannot read: {0}")]
    Read(String),
    /// It says gzip, but does not decompress.
    #[error("corrupt gzip: {0}")]
    CorruptGzip(String),
}

impl InputError {
    /// A short name for summaries: "status", "timeout"...
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::Status(_) => "status",
            InputError::Timeout => "timeout",
            InputError::Truncated(_) => "truncated",
            InputError::Download(_) => "download",
            InputError::Read(_) => "read",
            InputError::CorruptGzip(_) => "corrupt-gzip",
        }
    }
}

/// One downloaded input, on its way to the CPU stage: its body as it
/// arrived (still compressed), or why there is none.
#[derive(Debug)]
pub struct Fetched {
    /// The input's name.
    pub name: String,
    /// The body, or the error that ended the download.
    pub body: Result<Bytes, InputError>,
}

/// One processed input, on its way to the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Processed {
    /// The input's name.
    pub name: String,
    /// Its answer, or why there is none.
    pub outcome: Result<FileStats, InputError>,
    /// Bytes downloaded (or read) for it.
    pub downloaded: u64,
}

/// Downloads (and file reads), with one HTTP client shared by all of them:
/// its connection pool lets downloads to one server reuse connections.
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    meter: Meter,
}

impl Fetcher {
    /// A fetcher giving up on a download after `timeout` (connecting,
    /// waiting and reading together), counting into `meter`.
    pub fn new(timeout: Duration, meter: Meter) -> Fetcher {
        // ring's cryptography for an https URL (reqwest's default needs
        // cmake and minutes of C); process-wide, and the first call wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // No gzip *transfer* decoding: the logs themselves are .gz
            // files, decompressed in the CPU stage, where it belongs.
            .no_proxy()
            .build()
            .expect("an HTTP client without TLS always builds");
        Fetcher { client, meter }
    }

    /// Download (or read) one input, whole. Counts itself into the meter:
    /// in flight while it runs, then downloaded.
    pub async fn fetch(&self, source: &Source) -> Fetched {
        let _in_flight = self.meter.downloading();
        let body = match &source.location {
            Location::Url(url) => self.download(url).await,
            Location::File(path) => tokio::fs::read(path)
                .await
                .map(Bytes::from)
                .map_err(|e| InputError::Read(format!("{}: {e}", path.display()))),
        };
        self.meter
            .downloaded(body.as_ref().map_or(0, |b| b.len() as u64));
        Fetched {
            name: source.name.clone(),
            body,
        }
    }

    async fn download(&self, url: &str) -> Result<Bytes, InputError> {
        let response = self.client.get(url).send().await.map_err(from_reqwest)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(InputError::Status(status));
        }
        let expected = response.content_length();
        let body = response.bytes().await.map_err(from_reqwest)?;
        // hyper already fails a body cut short of its Content-Length; this
        // is the belt to those braces.
        match expected {
            Some(len) if len != body.len() as u64 => Err(InputError::Truncated(format!(
                "{} of {len} bytes",
                body.len()
            ))),
            _ => Ok(body),
        }
    }
}

fn from_reqwest(error: reqwest::Error) -> InputError {
    if error.is_timeout() {
        return InputError::Timeout;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    if error.is_body() || error.is_decode() {
        InputError::Truncated(text)
    } else {
        InputError::Download(text)
    }
}

/// The text of a body: decompressed when it starts with the gzip magic
/// bytes (whatever its name says), as it is otherwise. CPU work: call it
/// from the CPU stage, never on the async runtime.
pub fn decode(body: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, InputError> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    // Several gzip members one after another are one file (`cat a.gz b.gz`
    // is valid gzip): MultiGzDecoder reads them all.
    let mut text = Vec::with_capacity(body.len() * 8);
    flate2::read::MultiGzDecoder::new(body)
        .read_to_end(&mut text)
        .map_err(|e| InputError::CorruptGzip(e.to_string()))?;
    Ok(std::borrow::Cow::Owned(text))
}

/// The inputs named by `input`: every regular file of a folder (sorted by
/// name), or the URLs listed in a file, one per line (blank lines and
/// `#` comments skipped). A list given as an `http://` URL is downloaded
/// by [`list_from_url`].
pub fn list_inputs(input: &Path) -> std::io::Result<Vec<Source>> {
    if input.is_dir() {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(input)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                files.push(entry.path());
            }
        }
        files.sort();
        return Ok(files.into_iter().map(Source::file).collect());
    }
    let text = std::fs::read_to_string(input)?;
    Ok(urls_in(&text))
}

/// The inputs listed at `url` (a text body, one URL per line).
pub async fn list_from_url(url: &str, timeout: Duration) -> Result<Vec<Source>, InputError> {
    let fetcher = Fetcher::new(timeout, Meter::default());
    let text = fetcher.download(url).await?;
    Ok(urls_in(&String::from_utf8_lossy(&text)))
}

fn urls_in(text: &str) -> Vec<Source> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(Source::url)
        .collect()
}
