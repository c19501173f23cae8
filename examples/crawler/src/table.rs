//! The summary table, one row per [`Outcome`], and the failures of a row
//! grouped in one line ([`failure_summary`]).
//!
//! `main.rs` prints the table, the failure lines under it and then the
//! takeaway ([`takeaway`](fn@crate::takeaway)).

use crate::outcome::Outcome;
use std::time::Duration;

/// The summary table, one row per outcome; the columns of figures nobody
/// measured (speed-up without a sequential row, peak in flight on a real
/// site) left out.
pub fn table(outcomes: &[Outcome]) -> String {
    use cli::human;
    let several = outcomes.iter().any(|o| o.runs.len() > 1);
    let any = |f: fn(&Outcome) -> bool| outcomes.iter().any(f);
    let columns: [(&str, bool); 11] = [
        ("strategy", true),
        ("pages", true),
        ("failures", true),
        (if several { "wall (median)" } else { "wall" }, true),
        (
            if several {
                "pages/s (median)"
            } else {
                "pages/s"
            },
            true,
        ),
        ("pages/s (min–max)", several),
        ("speed-up", any(|o| o.speedup.is_some())),
        ("peak in flight", any(|o| o.peak_in_flight.is_some())),
        ("threads", any(|o| o.threads.is_some())),
        ("peak heap", any(|o| o.peak_heap_bytes.is_some())),
        ("CPU", true),
    ];
    let shown = |i: usize| columns[i].1;
    let header = columns.iter().filter(|c| c.1).map(|c| c.0);
    let figures = 1..columns.iter().filter(|c| c.1).count();
    let mut table = cli::table::Table::new(header).numeric(figures);
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".into());
    for o in outcomes {
        let (lo, hi) = o.pages_per_s_range();
        let cells = [
            o.label.clone(),
            o.pages.to_string(),
            o.failures.to_string(),
            human::duration(Duration::from_secs_f64(o.seconds)),
            human::sig3(o.pages_per_s),
            format!("{}–{}", human::sig3(lo), human::sig3(hi)),
            or_dash(o.speedup.map(human::times)),
            or_dash(o.peak_in_flight.map(|p| p.to_string())),
            or_dash(o.threads.map(|t| t.to_string())),
            or_dash(o.peak_heap_bytes.map(human::bytes)),
            human::duration(Duration::from_secs_f64(o.cpu_seconds)),
        ];
        table.row(
            cells
                .into_iter()
                .enumerate()
                .filter(|&(i, _)| shown(i))
                .map(|(_, cell)| cell),
        );
    }
    table.to_string()
}

/// The failures, grouped: "HTTP 404: 3, timeout: 1".
pub fn failure_summary(outcome: &Outcome) -> Option<String> {
    let failed: Vec<String> = outcome
        .outcomes
        .iter()
        .filter(|(what, _)| what.as_str() != "ok")
        .map(|(what, n)| format!("{what}: {n}"))
        .collect();
    (!failed.is_empty()).then(|| failed.join(", "))
}
