//! `pipeline report --db FILE`: what a database answers — totals, the
//! failed inputs, the busiest paths with their error rates and latency
//! percentiles, the busiest clients. Read-only: a report never changes the
//! database, and a missing one is an error, not a new empty file.

use crate::kata::answer::{BOUNDS_MS, BUCKETS, Histogram};
use anyhow::{Context, Result};
use cli::human;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to report on.
#[derive(Clone, Debug)]
pub struct ReportArgs {
    /// The database a run wrote.
    pub db: PathBuf,
    /// How many paths and clients to list.
    pub top: usize,
    /// Print one JSON object instead of text.
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
struct Totals {
    files: u64,
    done: u64,
    failed: u64,
    lines: u64,
    requests: u64,
    malformed: u64,
    bytes: u64,
    /// Requests per status class, 1xx to 5xx.
    status: [u64; 5],
}

#[derive(Debug, Serialize)]
struct PathRow {
    path: String,
    requests: u64,
    bytes: u64,
    /// 5xx answers ÷ requests.
    error_rate: f64,
    /// Requests that carried a request time.
    timed: u64,
    /// Upper bounds of the buckets holding the 50th, 95th and 99th
    /// percentile of the request times, in ms (None: no times, or beyond
    /// the last bound).
    p50_ms: Option<u64>,
    p95_ms: Option<u64>,
    p99_ms: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Answers {
    db: PathBuf,
    totals: Totals,
    failed: Vec<(String, String)>,
    paths: Vec<PathRow>,
    clients: Vec<(String, u64)>,
}

/// Print what the database holds. Exit 1 when it records failed inputs.
pub fn report(args: &ReportArgs, _out: &cli::Output) -> Result<cli::Finished> {
    if !args.db.is_file() {
        anyhow::bail!("{}: no such database", args.db.display());
    }
    let conn = Connection::open_with_flags(&args.db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", args.db.display()))?;
    let answers = read(&conn, args).with_context(|| {
        format!(
            "reading {} (is it a database written by pipeline?)",
            args.db.display()
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&answers)?);
    } else {
        print(&answers);
    }
    Ok(cli::Finished::with_failures(answers.totals.failed > 0))
}

fn read(conn: &Connection, args: &ReportArgs) -> rusqlite::Result<Answers> {
    let totals = conn.query_row(
        "SELECT count(*), total(status = 'done'), total(status = 'failed'), total(lines),
                total(requests), total(malformed), total(bytes),
                total(s1xx), total(s2xx), total(s3xx), total(s4xx), total(s5xx)
         FROM files",
        [],
        |row| {
            let n = |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, f64>(i)? as u64) };
            Ok(Totals {
                files: row.get::<_, i64>(0)? as u64,
                done: n(1)?,
                failed: n(2)?,
                lines: n(3)?,
                requests: n(4)?,
                malformed: n(5)?,
                bytes: n(6)?,
                status: [n(7)?, n(8)?, n(9)?, n(10)?, n(11)?],
            })
        },
    )?;
    let failed = conn
        .prepare(
            "SELECT name, coalesce(error, '') FROM files WHERE status = 'failed' ORDER BY name",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    // The histograms of every file add up, bucket by bucket: percentiles
    // over all files come from the sum.
    let mut per_path: BTreeMap<String, (u64, u64, u64, u64, Histogram)> = BTreeMap::new();
    let mut statement =
        conn.prepare("SELECT path, requests, bytes, errors, timed, hist FROM endpoints")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let entry = per_path.entry(row.get(0)?).or_default();
        entry.0 += row.get::<_, i64>(1)? as u64;
        entry.1 += row.get::<_, i64>(2)? as u64;
        entry.2 += row.get::<_, i64>(3)? as u64;
        entry.3 += row.get::<_, i64>(4)? as u64;
        let hist: String = row.get(5)?;
        for (slot, count) in entry.4.iter_mut().zip(hist.split(',')) {
            *slot += count.trim().parse::<u64>().unwrap_or(0);
        }
    }
    let mut paths: Vec<PathRow> = per_path
        .into_iter()
        .map(|(path, (requests, bytes, errors, timed, hist))| PathRow {
            path,
            requests,
            bytes,
            error_rate: errors as f64 / requests.max(1) as f64,
            timed,
            p50_ms: percentile(&hist, 0.50),
            p95_ms: percentile(&hist, 0.95),
            p99_ms: percentile(&hist, 0.99),
        })
        .collect();
    paths.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.path.cmp(&b.path)));
    paths.truncate(args.top);
    let clients = conn
        .prepare(
            "SELECT client, sum(requests) AS n FROM clients GROUP BY client
             ORDER BY n DESC, client LIMIT ?1",
        )?
        .query_map([args.top as i64], |row| {
            Ok((row.get(0)?, row.get::<_, i64>(1)? as u64))
        })?
        .collect::<rusqlite::Result<Vec<(String, u64)>>>()?;
    Ok(Answers {
        db: args.db.clone(),
        totals,
        failed,
        paths,
        clients,
    })
}

/// The upper bound of the bucket holding quantile `q` of `hist`; None
/// without counts, or when it falls beyond the last bound.
fn percentile(hist: &Histogram, q: f64) -> Option<u64> {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = (q * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, &count) in hist.iter().enumerate().take(BUCKETS) {
        seen += count;
        if seen >= rank {
            return BOUNDS_MS.get(i).copied();
        }
    }
    None
}

fn print(a: &Answers) {
    let t = &a.totals;
    println!(
        "{}: {} ({} done, {} failed), {} lines, {} requests, {} malformed, {} sent",
        a.db.display(),
        human::count(t.files as usize, "file", "files"),
        t.done,
        t.failed,
        t.lines,
        t.requests,
        t.malformed,
        human::bytes(t.bytes)
    );
    let share = |n: u64| format!("{:.1}%", 100.0 * n as f64 / t.requests.max(1) as f64);
    println!(
        "status: 1xx {}, 2xx {}, 3xx {}, 4xx {}, 5xx {}",
        share(t.status[0]),
        share(t.status[1]),
        share(t.status[2]),
        share(t.status[3]),
        share(t.status[4])
    );
    for (name, error) in &a.failed {
        println!("failed: {name}: {error}");
    }
    if !a.paths.is_empty() {
        println!();
        let mut table =
            cli::table::Table::new(["path", "requests", "bytes", "5xx", "p50", "p95", "p99"])
                .numeric(1..7);
        let ms = |bound: Option<u64>, timed: u64| match bound {
            _ if timed == 0 => "-".to_owned(),
            Some(ms) => format!("≤ {ms} ms"),
            None => format!("> {} ms", BOUNDS_MS[BOUNDS_MS.len() - 1]),
        };
        for p in &a.paths {
            table.row([
                p.path.clone(),
                p.requests.to_string(),
                human::bytes(p.bytes),
                format!("{:.2}%", p.error_rate * 100.0),
                ms(p.p50_ms, p.timed),
                ms(p.p95_ms, p.timed),
                ms(p.p99_ms, p.timed),
            ]);
        }
        print!("{table}");
    }
    if !a.clients.is_empty() {
        println!();
        let mut table = cli::table::Table::new(["client", "requests"]).numeric([1]);
        for (client, n) in &a.clients {
            table.row([client.clone(), n.to_string()]);
        }
        print!("{table}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentile_is_the_bound_of_the_bucket_that_holds_it() {
        let mut hist = [0; BUCKETS];
        hist[0] = 50; // ≤ 1 ms
        hist[3] = 45; // ≤ 10 ms
        hist[6] = 5; // ≤ 100 ms
        assert_eq!(percentile(&hist, 0.50), Some(1));
        assert_eq!(percentile(&hist, 0.51), Some(10));
        assert_eq!(percentile(&hist, 0.95), Some(10));
        assert_eq!(percentile(&hist, 0.99), Some(100));
        assert_eq!(percentile(&[0; BUCKETS], 0.5), None);
        let mut slow = [0; BUCKETS];
        slow[BUCKETS - 1] = 1;
        assert_eq!(percentile(&slow, 0.5), None, "beyond the last bound");
    }
}
