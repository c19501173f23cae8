//! The SQLite database the store stage writes: its schema, opening it, and
//! reading it back (what is done, and every row, for comparisons and
//! reports).
//!
//! Given code: the schema is a contract — every strategy of the program,
//! the Python pipeline of the bench and the report read the same tables.
//! *Writing* it (one writer, batched transactions, a file's rows all or
//! nothing) is yours, in `store.rs`. The reference solution compiles this
//! same file, so leave it as it is.

use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The tables. `files` records every input that finished, done or failed:
/// a re-run skips the done ones. A done file's `endpoints` and `clients`
/// rows belong with its `files` row: written in the same transaction, so
/// that a file is either wholly in the database or not at all.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    error TEXT,
    lines INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    s1xx INTEGER NOT NULL DEFAULT 0, s2xx INTEGER NOT NULL DEFAULT 0, s3xx INTEGER NOT NULL DEFAULT 0,
    s4xx INTEGER NOT NULL DEFAULT 0, s5xx INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS endpoints (
    file TEXT NOT NULL, path TEXT NOT NULL,
    requests INTEGER NOT NULL, bytes INTEGER NOT NULL, errors INTEGER NOT NULL, timed INTEGER NOT NULL,
    hist TEXT NOT NULL,
    PRIMARY KEY (file, path)
);
CREATE TABLE IF NOT EXISTS clients (
    file TEXT NOT NULL, client TEXT NOT NULL, requests INTEGER NOT NULL,
    PRIMARY KEY (file, client)
);
";

/// Why the store failed. Unlike an input's error, this one ends the run:
/// without its database the pipeline has nowhere to put anything.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct StoreError {
    context: String,
    #[source]
    source: rusqlite::Error,
}

impl StoreError {
    /// `source`, while doing `context`.
    pub fn new(context: impl Into<String>, source: rusqlite::Error) -> StoreError {
        StoreError {
            context: context.into(),
            source,
        }
    }
}

/// Attach a context to a rusqlite result.
pub trait Context<T> {
    /// The result, its error explained by `context`.
    fn context(self, context: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, context: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::new(context, e))
    }
}

/// An open database, schema in place. One writer: it is `Send` but not
/// `Sync`, so one thread owns it at a time.
#[derive(Debug)]
pub struct Db {
    /// The connection. The store stage writes through it.
    pub conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Open (or create) the database at `path`. WAL, so that a reader (the
    /// report, a test) never waits for the writer; `synchronous = FULL`,
    /// so that a committed transaction survives a power cut — which is
    /// what makes each commit cost an fsync, and batching worth it.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        let conn = Connection::open(path).context(&format!("opening {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .context("setting the busy timeout")?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .context("switching to WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")
            .context("setting synchronous")?;
        conn.execute_batch(SCHEMA).context("creating the tables")?;
        Ok(Db {
            conn,
            path: path.to_owned(),
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The inputs stored as done: a re-run skips them.
    pub fn done(&self) -> Result<BTreeSet<String>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT name FROM files WHERE status = 'done'")
            .context("reading the done files")?;
        let names = statement
            .query_map([], |row| row.get(0))
            .context("reading the done files")?
            .collect::<rusqlite::Result<BTreeSet<String>>>()
            .context("reading the done files")?;
        Ok(names)
    }

    /// The stored error of a failed input, if it failed.
    pub fn error_of(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT error FROM files WHERE name = ?1 AND status = 'failed'",
                [name],
                |row| row.get(0),
            )
            .optional()
            .context("reading an error")
    }

    /// Every row of every table, sorted, as text: two databases hold the
    /// same answers when their dumps are equal.
    pub fn dump(&self) -> Result<Dump, StoreError> {
        let rows = |sql: &str| -> Result<Vec<String>, StoreError> {
            let mut statement = self.conn.prepare(sql).context("dumping")?;
            let columns = statement.column_count();
            let rows = statement
                .query_map([], |row| {
                    let mut fields = Vec::with_capacity(columns);
                    for i in 0..columns {
                        let value: rusqlite::types::Value = row.get(i)?;
                        fields.push(match value {
                            rusqlite::types::Value::Null => "NULL".to_owned(),
                            rusqlite::types::Value::Integer(n) => n.to_string(),
                            rusqlite::types::Value::Real(x) => x.to_string(),
                            rusqlite::types::Value::Text(t) => format!("{t:?}"),
                            rusqlite::types::Value::Blob(b) => format!("{b:?}"),
                        });
                    }
                    Ok(fields.join("|"))
                })
                .context("dumping")?
                .collect::<rusqlite::Result<Vec<String>>>()
                .context("dumping")?;
            Ok(rows)
        };
        Ok(Dump {
            files: rows("SELECT * FROM files ORDER BY name")?,
            endpoints: rows("SELECT * FROM endpoints ORDER BY file, path")?,
            clients: rows("SELECT * FROM clients ORDER BY file, client")?,
        })
    }
}

/// Every row of a database, as text, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump {
    /// The `files` rows.
    pub files: Vec<String>,
    /// The `endpoints` rows.
    pub endpoints: Vec<String>,
    /// The `clients` rows.
    pub clients: Vec<String>,
}

impl Dump {
    /// The first difference from `other`, in words, or None.
    pub fn difference(&self, other: &Dump) -> Option<String> {
        for (table, mine, theirs) in [
            ("files", &self.files, &other.files),
            ("endpoints", &self.endpoints, &other.endpoints),
            ("clients", &self.clients, &other.clients),
        ] {
            if mine == theirs {
                continue;
            }
            let (mine_set, theirs_set): (BTreeSet<&String>, BTreeSet<&String>) =
                (mine.iter().collect(), theirs.iter().collect());
            let only_here: Vec<&&String> = mine_set.difference(&theirs_set).collect();
            let only_there: Vec<&&String> = theirs_set.difference(&mine_set).collect();
            return Some(format!(
                "table {table}: {} rows against {}; {} only here (first: {}), {} only there (first: {})",
                mine.len(),
                theirs.len(),
                only_here.len(),
                only_here.first().map_or("-", |s| s.as_str()),
                only_there.len(),
                only_there.first().map_or("-", |s| s.as_str()),
            ));
        }
        None
    }
}
