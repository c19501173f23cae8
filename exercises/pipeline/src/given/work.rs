//! The CPU stage's work on one item: decompress, then parse and add up
//! every line ([`summarise`](crate::parse::summarise), yours).
//!
//! Given code. It takes tens of milliseconds of one core for a file of a
//! few megabytes: call it from the CPU stage (a rayon pool), never on the
//! async runtime. The reference solution compiles this same file, so leave
//! it as it is.

use crate::input::{Fetched, Processed, decode};
use crate::meter::Meter;

/// Process one downloaded item: its answer, or the error its download or
/// its decompression ended in. Counts itself into `meter` while it runs.
pub fn process(fetched: Fetched, meter: &Meter) -> Processed {
    let _working = meter.processing();
    let Fetched { name, body } = fetched;
    let downloaded = body.as_ref().map_or(0, |b| b.len() as u64);
    let outcome = body.and_then(|body| {
        let text = decode(&body)?;
        let mut stats = crate::parse::summarise(&text);
        stats.plain_bytes = text.len() as u64;
        Ok(stats)
    });
    meter.processed(outcome.as_ref().map_or(0, |s| s.plain_bytes));
    Processed {
        name,
        outcome,
        downloaded,
    }
}
