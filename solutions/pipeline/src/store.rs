//! Step 5, *store*: the database as the pipeline's sink — a batch in one
//! transaction, a file's rows all or nothing, a failed input recorded.
//!
//! Reference solution of `exercises/pipeline/src/store.rs`.

use rusqlite::{Connection, params};
use std::collections::BTreeSet;

use crate::db::{Context, Db, StoreError};
use crate::input::Processed;
use crate::options::Sink;

// ANCHOR: write
impl Sink for Db {
    fn done(&mut self) -> Result<BTreeSet<String>, StoreError> {
        Db::done(self)
    }

    /// One transaction for the whole batch: one commit, one fsync, however
    /// many rows. If anything fails, the transaction is dropped unfinished
    /// and rolls back: none of the batch is stored.
    fn write(&mut self, batch: &[Processed]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().context("starting a transaction")?;
        for item in batch {
            write_item(&tx, item)?;
        }
        tx.commit().context("committing")
    }
}
// ANCHOR_END: write

// ANCHOR: write_item
/// One item's rows, through `tx` (a transaction: a `Transaction` is a
/// `Connection` while it lasts).
fn write_item(tx: &Connection, item: &Processed) -> Result<(), StoreError> {
    // A re-run retries a failed input: whatever an earlier run stored
    // under this name goes first, so the name is never stored twice.
    for table in ["endpoints", "clients"] {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE file = ?1"))
            .and_then(|mut s| s.execute([&item.name]))
            .context("clearing an earlier attempt")?;
    }
    let stats = match &item.outcome {
        Ok(stats) => stats,
        Err(error) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO files (name, status, error) VALUES (?1, 'failed', ?2)",
            )
            .and_then(|mut s| s.execute(params![item.name, error.to_string()]))
            .context("recording a failed input")?;
            return Ok(());
        }
    };
    let [s1, s2, s3, s4, s5] = stats.status;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO files (name, status, error, lines, requests, malformed, bytes,
             s1xx, s2xx, s3xx, s4xx, s5xx)
         VALUES (?1, 'done', NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            item.name,
            stats.lines,
            stats.requests,
            stats.malformed,
            stats.bytes,
            s1,
            s2,
            s3,
            s4,
            s5
        ])
    })
    .context("storing a file")?;
    // Prepared once per transaction (cached), bound per row: parsing the
    // SQL for each of thousands of rows would cost more than inserting.
    let mut endpoint = tx
        .prepare_cached(
            "INSERT INTO endpoints (file, path, requests, bytes, errors, timed, hist)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .context("storing endpoints")?;
    for (path, e) in &stats.endpoints {
        let hist = e.hist.map(|n| n.to_string()).join(",");
        endpoint
            .execute(params![
                item.name, path, e.requests, e.bytes, e.errors, e.timed, hist
            ])
            .context("storing an endpoint")?;
    }
    let mut client = tx
        .prepare_cached("INSERT INTO clients (file, client, requests) VALUES (?1, ?2, ?3)")
        .context("storing clients")?;
    for (address, requests) in &stats.clients {
        client
            .execute(params![item.name, address, requests])
            .context("storing a client")?;
    }
    Ok(())
}
// ANCHOR_END: write_item
