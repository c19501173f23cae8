//! What one log file adds up to: the per-file answer the parser computes,
//! the store keeps and the report reads back.
//!
//! Given code: the reference solution compiles this same file, so leave it
//! as it is. The format and the answer are specified in the chapter's
//! "The job" page and in `parse.rs`'s documentation.

use std::collections::HashMap;

/// Upper bounds, in milliseconds, of the request-time buckets; a 13th
/// bucket holds everything slower than the last. Buckets, not the times
/// themselves: a file's answer stays small however many lines it has, and
/// two files' histograms add up (percentiles over many files can be read
/// from the sum; percentiles of each file cannot be combined).
pub const BOUNDS_MS: [u64; 12] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/// Number of buckets in a [`Histogram`].
pub const BUCKETS: usize = BOUNDS_MS.len() + 1;

/// Request times, counted per bucket (see [`BOUNDS_MS`]).
pub type Histogram = [u64; BUCKETS];

/// The bucket a request time falls in: the first whose bound is at least
/// `ms`.
pub fn bucket(ms: u64) -> usize {
    BOUNDS_MS
        .iter()
        .position(|&bound| ms <= bound)
        .unwrap_or(BOUNDS_MS.len())
}

/// One well-formed line, borrowed from the text it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The client's address, as written (`203.0.113.7`, `2001:db8::1f`).
    pub client: &'a str,
    /// The request target up to its `?`, or `-` when the request line is
    /// not `METHOD TARGET PROTOCOL`.
    pub endpoint: &'a str,
    /// The HTTP status, 100 to 599.
    pub status: u16,
    /// Body bytes sent (`-` is 0).
    pub bytes: u64,
    /// The request time in whole milliseconds, when the line carries one.
    pub time_ms: Option<u64>,
}

/// What one endpoint of one file adds up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// Requests to it.
    pub requests: u64,
    /// Body bytes sent for them.
    pub bytes: u64,
    /// Requests answered 5xx.
    pub errors: u64,
    /// Requests that carried a request time.
    pub timed: u64,
    /// Their request times, per bucket.
    pub hist: Histogram,
}

/// What one log file adds up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Non-blank lines.
    pub lines: u64,
    /// Well-formed lines.
    pub requests: u64,
    /// Lines that are not (`lines - requests`).
    pub malformed: u64,
    /// Body bytes sent, over all requests.
    pub bytes: u64,
    /// Requests per status class: `status[0]` is 1xx, `status[4]` 5xx.
    pub status: [u64; 5],
    /// Per endpoint. A hash map, not a sorted one: it is looked up once
    /// per line, and the order is the database's business (a dump sorts).
    pub endpoints: HashMap<String, EndpointStats>,
    /// Requests per client address.
    pub clients: HashMap<String, u64>,
    /// Size of the uncompressed text, in bytes (for throughput figures;
    /// not stored).
    pub plain_bytes: u64,
}

impl FileStats {
    /// Count one well-formed line.
    pub fn add(&mut self, entry: &Entry<'_>) {
        self.lines += 1;
        self.requests += 1;
        self.bytes += entry.bytes;
        self.status[usize::from(entry.status / 100) - 1] += 1;
        // `get_mut` first: the endpoint is nearly always known already, and
        // `entry(key.to_owned())` would allocate a String per line.
        let endpoint = match self.endpoints.get_mut(entry.endpoint) {
            Some(stats) => stats,
            None => self.endpoints.entry(entry.endpoint.to_owned()).or_default(),
        };
        endpoint.requests += 1;
        endpoint.bytes += entry.bytes;
        endpoint.errors += u64::from(entry.status >= 500);
        if let Some(ms) = entry.time_ms {
            endpoint.timed += 1;
            endpoint.hist[bucket(ms)] += 1;
        }
        match self.clients.get_mut(entry.client) {
            Some(count) => *count += 1,
            None => {
                self.clients.insert(entry.client.to_owned(), 1);
            }
        }
    }

    /// Count one malformed line.
    pub fn add_malformed(&mut self) {
        self.lines += 1;
        self.malformed += 1;
    }
}
