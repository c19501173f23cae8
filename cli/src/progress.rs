//! Progress on long work: a bar redrawn in place on a terminal, a plain
//! line every few seconds when stderr is a file or a pipe, nothing with
//! `--quiet`.
//!
//! indicatif hides a bar whose terminal is not "user attended", which is
//! right for a bar (a redrawn line is a stream of escape codes in a file)
//! but leaves a 22-second crawl silent in a CI log. [`Progress::start`]
//! therefore draws, off a terminal, through [`LogLines`]: the same state as
//! a bar, written as a whole line at most every [`LOG_EVERY`].

use crate::Output;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a progress line is written when stderr is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// Builds a progress bar for `unit`s of work ("pages", "images").
#[derive(Debug, Clone)]
pub struct Progress {
    /// Shown before the bar: which strategy or job this is.
    pub label: String,
    /// What is counted, plural.
    pub unit: String,
    /// How many in all, when known.
    pub total: Option<u64>,
}

impl Progress {
    /// A bar for `total` (or an unknown number of) `unit`s, labelled.
    pub fn new(label: &str, unit: &str, total: Option<u64>) -> Progress {
        Progress {
            label: label.to_owned(),
            unit: unit.to_owned(),
            total,
        }
    }

    /// Start it, as `out` decided: hidden when quiet, a bar on a terminal,
    /// log lines otherwise.
    pub fn start(&self, out: &Output) -> ProgressBar {
        if out.quiet {
            return ProgressBar::hidden();
        }
        let unit = &self.unit;
        let (bar, template) = match (self.total, out.stderr_terminal) {
            (Some(total), true) => (
                ProgressBar::new(total),
                format!(
                    "{{prefix:>10}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{rate}}, {{elapsed}} {{msg}}"
                ),
            ),
            (None, true) => (
                ProgressBar::new_spinner(),
                format!("{{prefix:>10}} {{spinner}} {{pos}} {unit}, {{rate}}, {{elapsed}} {{msg}}"),
            ),
            (Some(total), false) => (
                ProgressBar::with_draw_target(Some(total), log_target()),
                format!("{{prefix}}: {{pos}}/{{len}} {unit} ({{percent}}%), {{elapsed}} {{msg}}"),
            ),
            (None, false) => (
                ProgressBar::with_draw_target(None, log_target()),
                format!("{{prefix}}: {{pos}} {unit}, {{elapsed}} {{msg}}"),
            ),
        };
        // `{rate}` rather than indicatif's `{per_sec}` ("0.8756/s"): three
        // significant figures, as every other figure here.
        let unit_rate = self.unit.clone();
        let style = ProgressStyle::with_template(&template)
            .expect("a valid template")
            .with_key(
                "rate",
                move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&crate::human::rate(state.per_sec(), &unit_rate));
                },
            )
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(self.label.clone());
        // A steady tick keeps a stalled job visibly alive (and, off a
        // terminal, makes sure a line is due even when nothing advanced).
        bar.enable_steady_tick(Duration::from_millis(if out.stderr_terminal {
            100
        } else {
            1000
        }));
        bar
    }
}

fn log_target() -> ProgressDrawTarget {
    ProgressDrawTarget::term_like_with_hz(Box::new(LogLines::new(std::io::stderr, LOG_EVERY)), 1)
}

/// A "terminal" that cannot move its cursor: every draw that is due is
/// written as one line, the others dropped. The first is due one interval
/// after the start: work shorter than that leaves no progress in the log,
/// only its result.
pub struct LogLines<W> {
    writer: fn() -> W,
    every: Duration,
    last: Mutex<Instant>,
}

impl<W> std::fmt::Debug for LogLines<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogLines")
            .field("every", &self.every)
            .finish()
    }
}

impl<W: std::io::Write> LogLines<W> {
    /// Lines to `writer()`, at most one per `every`.
    pub fn new(writer: fn() -> W, every: Duration) -> LogLines<W> {
        LogLines {
            writer,
            every,
            last: Mutex::new(Instant::now()),
        }
    }

    /// Whether a line is due now, recording it.
    fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if now.duration_since(*last) < self.every {
            return false;
        }
        *last = now;
        true
    }
}

impl<W: std::io::Write + 'static> TermLike for LogLines<W> {
    fn width(&self) -> u16 {
        // Wide enough that indicatif never truncates the line.
        u16::MAX
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, line: &str) -> std::io::Result<()> {
        let line = line.trim_end();
        if line.is_empty() || !self.due() {
            return Ok(());
        }
        writeln!((self.writer)(), "{line}")
    }
    fn write_str(&self, text: &str) -> std::io::Result<()> {
        self.write_line(text)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        (self.writer)().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static LINES: AtomicUsize = AtomicUsize::new(0);

    /// Counts the lines written to it.
    struct Counter;
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let lines = buf.iter().filter(|b| **b == b'\n').count();
            LINES.fetch_add(lines, Ordering::SeqCst);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn off_a_terminal_a_line_is_written_at_most_once_per_interval() {
        let log = LogLines::new(|| Counter, Duration::from_millis(200));
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(500) {
            log.write_line("crawl: 10/100 pages").unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        // ~100 draws in 500 ms, a line at 200 and 400 ms: 2 (1 or 3 on a
        // machine that preempts the loop at the edges), never one a draw.
        let lines = LINES.load(Ordering::SeqCst);
        assert!((1..=3).contains(&lines), "{lines} lines");
    }
}
