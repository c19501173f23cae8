//! The takeaway: the line under the table that says what this run's
//! figures show about the choice between threads and async, computed from
//! the measured rows.
//!
//! `main.rs` prints it under the comparison's table. The unit tests below
//! run with `cargo test -p crawler --lib`.

use crate::outcome::Outcome;
use crate::strategy::Strategy;

/// Are two rates the same within what this run can tell? With several
/// runs each, when their ranges overlap or their medians are within 5%;
/// with one run each, within 10% (what two runs of one crawler commonly
/// differ by on a shared machine).
fn alike(a: &Outcome, b: &Outcome) -> bool {
    let (x, y) = (a.pages_per_s, b.pages_per_s);
    let gap = (x - y).abs() / x.max(y).max(1e-9);
    if a.runs.len() > 1 && b.runs.len() > 1 {
        let (a_lo, a_hi) = a.pages_per_s_range();
        let (b_lo, b_hi) = b.pages_per_s_range();
        gap < 0.05 || (a_lo <= b_hi && b_lo <= a_hi)
    } else {
        gap < 0.10
    }
}

/// The line under the table: what this run's figures say about the
/// choice, phrased from them (never a claim made in advance). `None` when
/// there is nothing to compare.
pub fn takeaway(outcomes: &[Outcome]) -> Option<String> {
    use cli::human::{sig3, times};
    let of = |strategy: Strategy| outcomes.iter().filter(move |o| o.strategy == strategy);
    // Like with like: threads and async at the same limit, the largest
    // such limit (where a difference between the models would show most).
    let pair = of(Strategy::Threads)
        .filter_map(|t| {
            of(Strategy::Async)
                .find(|a| a.concurrency == t.concurrency)
                .map(|a| (t, a))
        })
        .max_by_key(|(t, _)| t.concurrency);
    if let Some((t, a)) = pair {
        let limit = t.concurrency;
        if t.failures + a.failures > 0 {
            // Failed pages are not failed alike: async retries a 5xx or a
            // timeout after a backoff, threads do not, so the two did
            // different work and their speeds say nothing about the models.
            return Some(format!(
                "At {limit} in flight, pages failed ({} for threads, {} for async): the two \
                 handled them differently (async retries, after a backoff), so their speeds \
                 do not compare; the lines above say how each page ended.",
                t.failures, a.failures
            ));
        }
        let counted = match (t.threads, a.threads) {
            (Some(tt), Some(at)) => format!(
                " ({} against {} here)",
                cli::human::count(at, "thread", "threads"),
                tt
            ),
            _ => String::new(),
        };
        let cost = format!("a task per waiting request instead of a thread{counted}");
        let gain = match (t.speedup, a.speedup) {
            (Some(ts), Some(at)) => format!(
                "the gain over one request at a time ({} and {}) comes from overlapping the \
                 waits, not from async",
                times(ts),
                times(at)
            ),
            _ => "at one limit, the model makes no difference to speed here".into(),
        };
        // A gap seen in one run each may be the machine's, not the
        // models': say how to tell.
        let once = if t.runs.len() < 2 || a.runs.len() < 2 {
            "; one run each, --runs 5 shows whether the gap outlasts the noise"
        } else {
            ""
        };
        return Some(if alike(t, a) {
            let gap = (t.pages_per_s - a.pages_per_s).abs() / t.pages_per_s.max(a.pages_per_s);
            let within = (gap * 100.0).ceil().max(1.0);
            format!(
                "At {limit} in flight, threads and async crawl at {} and {} pages/s (within \
                 {within}%): {gain}; async's edge is {cost}, which matters at thousands in \
                 flight.",
                sig3(t.pages_per_s),
                sig3(a.pages_per_s),
            )
        } else if a.pages_per_s > t.pages_per_s {
            format!(
                "At {limit} in flight, async crawls {} as fast as threads ({} against {} \
                 pages/s{once}): here it gains beyond overlapping the waits, and it waits \
                 cheaper, {cost}.",
                times(a.pages_per_s / t.pages_per_s),
                sig3(a.pages_per_s),
                sig3(t.pages_per_s),
            )
        } else {
            format!(
                "At {limit} in flight, threads crawl {} as fast as async ({} against {} \
                 pages/s{once}): async is no faster at equal limits here; its edge is {cost}, \
                 which matters at thousands in flight.",
                times(t.pages_per_s / a.pages_per_s),
                sig3(t.pages_per_s),
                sig3(a.pages_per_s),
            )
        });
    }
    let best = |strategy| {
        of(strategy).max_by(|a: &&Outcome, b: &&Outcome| a.pages_per_s.total_cmp(&b.pages_per_s))
    };
    if let (Some(t), Some(a)) = (best(Strategy::Threads), best(Strategy::Async)) {
        let per_slot = |o: &Outcome| sig3(o.pages_per_s / o.concurrency as f64);
        let like = t.concurrency.max(a.concurrency);
        return Some(format!(
            "{} and {} ran at different limits ({} and {} pages/s per request allowed in \
             flight): for like with like, give them one, e.g. --threads {like} --concurrency \
             {like}.",
            t.label,
            a.label,
            per_slot(t),
            per_slot(a),
        ));
    }
    let fastest = outcomes
        .iter()
        .filter(|o| o.strategy != Strategy::Sequential)
        .max_by(|a, b| a.pages_per_s.total_cmp(&b.pages_per_s))?;
    let speedup = fastest.speedup?;
    Some(format!(
        "{} crawls {} as fast as sequential{}: the waits overlap.",
        fastest.label,
        times(speedup),
        fastest
            .peak_in_flight
            .map(|p| format!(", with {p} requests in flight at the peak against 1"))
            .unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::tests::{row, run};

    /// Sequential at 45 pages/s, then threads and async at 64 in flight.
    fn outcomes(threads: f64, tasks: f64) -> Vec<Outcome> {
        let mut all = vec![
            Outcome::new(row(Strategy::Sequential, 1), vec![run(45.0, 2)]),
            Outcome::new(row(Strategy::Threads, 64), vec![run(threads, 66)]),
            Outcome::new(row(Strategy::Async, 64), vec![run(tasks, 3)]),
        ];
        for o in &mut all {
            o.speedup = Some(o.pages_per_s / 45.0);
        }
        all
    }

    #[test]
    fn the_takeaway_says_what_the_figures_say() {
        let alike = takeaway(&outcomes(2250.0, 2213.0)).unwrap();
        assert!(
            alike.contains("At 64 in flight, threads and async crawl at 2250 and 2213 pages/s")
                && alike.contains("within 2%")
                && alike.contains("(50.0× and 49.2×)")
                && alike.contains("3 threads against 66"),
            "{alike}"
        );
        let faster = takeaway(&outcomes(2000.0, 3000.0)).unwrap();
        assert!(
            faster.contains(
                "async crawls 1.50× as fast as threads (3000 against 2000 pages/s; one run each"
            ),
            "{faster}"
        );
        let slower = takeaway(&outcomes(3000.0, 2000.0)).unwrap();
        assert!(
            slower.contains("threads crawl 1.50× as fast as async"),
            "{slower}"
        );

        let apart = vec![
            Outcome::new(row(Strategy::Threads, 16), vec![run(700.0, 18)]),
            Outcome::new(row(Strategy::Async, 64), vec![run(2200.0, 3)]),
        ];
        let line = takeaway(&apart).unwrap();
        assert!(
            line.contains("threads (16) and async (64) ran at different limits")
                && line.contains("--threads 64 --concurrency 64"),
            "{line}"
        );
        assert_eq!(takeaway(&outcomes(1.0, 1.0)[..1]), None);

        let mut failed = outcomes(3000.0, 2000.0);
        failed[2].failures = 3;
        let line = takeaway(&failed).unwrap();
        assert!(
            line.contains("pages failed (0 for threads, 3 for async)") && !line.contains("as fast"),
            "{line}"
        );
        // Without a sequential row there is no speed-up to explain.
        let mut concurrent = outcomes(2250.0, 2213.0).split_off(1);
        concurrent.iter_mut().for_each(|o| o.speedup = None);
        let line = takeaway(&concurrent).unwrap();
        assert!(
            line.contains("the model makes no difference to speed here"),
            "{line}"
        );
    }

    #[test]
    fn runs_whose_ranges_overlap_are_alike_and_apart_are_not() {
        let of = |rates: &[f64], strategy| {
            Outcome::new(
                row(strategy, 64),
                rates.iter().map(|&r| run(r, 3)).collect(),
            )
        };
        let threads = of(&[1800.0, 2000.0, 2300.0], Strategy::Threads);
        assert!(alike(
            &threads,
            &of(&[2250.0, 2400.0, 2500.0], Strategy::Async)
        ));
        assert!(!alike(
            &threads,
            &of(&[2400.0, 2500.0, 2600.0], Strategy::Async)
        ));
    }
}
