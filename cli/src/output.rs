//! `--color`, `--quiet` and the logs: decided once, at start-up, for the
//! whole program.
//!
//! Colour is for a person at a terminal. Written into a file or a pipe,
//! escape codes are noise (`\x1b[33m WARN\x1b[0m` in a log), so `auto`, the
//! default, colours a stream only when it is a terminal and `NO_COLOR` is
//! not set (<https://no-color.org>); `always` and `never` override both.
//! The decision is kept in a process-wide cell, so a library function that
//! paints (a report, a table) asks [`Output::get`] instead of being handed
//! a flag through every call.

use clap::ValueEnum;
use std::fmt;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// When to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always, even into a file or a pipe.
    Always,
    /// Never.
    Never,
}

/// The flags every program takes: `#[command(flatten)] common: cli::Common`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Common {
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Print only results and errors: no progress, no notes, no warnings.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// What the common flags decided, for the rest of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    /// `--quiet`: results and errors only.
    pub quiet: bool,
    /// Escape codes allowed on stdout.
    pub color_stdout: bool,
    /// Escape codes allowed on stderr (logs, progress).
    pub color_stderr: bool,
    /// stderr is a terminal: progress may redraw one line in place.
    pub stderr_terminal: bool,
}

static CURRENT: OnceLock<Output> = OnceLock::new();

impl Common {
    /// Decide colour and quietness, set up the logs (tracing, on stderr,
    /// warnings by default, errors only with `--quiet`, `RUST_LOG`
    /// overriding both), and remember the decision for [`Output::get`].
    /// Call it once, first thing in `main`.
    pub fn init(&self) -> Output {
        let out = self.decide();
        let _ = CURRENT.set(out);
        let level = if self.quiet { "error" } else { "warn" };
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
        // `try_init`: a second call (a test that runs `main` twice) keeps
        // the first subscriber instead of panicking.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(out.color_stderr)
            .try_init();
        out
    }

    /// The decision alone, without touching the logs.
    pub fn decide(&self) -> Output {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stdout = std::io::stdout().is_terminal();
        let stderr = std::io::stderr().is_terminal();
        Output {
            quiet: self.quiet,
            color_stdout: wants_color(self.color, stdout, no_color),
            color_stderr: wants_color(self.color, stderr, no_color),
            stderr_terminal: stderr,
        }
    }
}

/// Whether to colour one stream.
fn wants_color(choice: ColorChoice, terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    }
}

impl Output {
    /// The decision [`Common::init`] made; before it (in a library's unit
    /// test, say), `--color auto` without `--quiet` as the environment is.
    pub fn get() -> Output {
        *CURRENT.get_or_init(|| Common::default().decide())
    }

    /// A note for the person running the program, on stderr, unless
    /// `--quiet`: what is about to happen, where a file went, what to do
    /// next. Results go to stdout, never through here.
    pub fn note(&self, message: fmt::Arguments<'_>) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// `text` in an ANSI colour (`"32"` green, `"31"` red, `"33"` yellow,
    /// `"2"` dim) when stdout may be coloured, else as it is.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color_stdout {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Print the completion script of `command` for `shell` on stdout (a
/// program's `completions SHELL` subcommand). A reader that stops early
/// (`completions bash | head`) is not an error.
pub fn completions(
    shell: clap_complete::Shell,
    command: &mut clap::Command,
) -> std::io::Result<()> {
    use std::io::Write as _;
    let name = command.get_name().to_owned();
    // Generated into memory first: clap_complete panics when it cannot
    // write, and a closed pipe is an ordinary way for a script to end.
    let mut script = Vec::new();
    clap_complete::generate(shell, command, name, &mut script);
    match std::io::stdout().lock().write_all(&script) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        assert!(wants_color(ColorChoice::Auto, true, false));
        assert!(!wants_color(ColorChoice::Auto, false, false));
        assert!(!wants_color(ColorChoice::Auto, true, true));
        assert!(wants_color(ColorChoice::Always, false, true));
        assert!(!wants_color(ColorChoice::Never, true, false));
    }

    #[test]
    fn paint_adds_codes_only_when_allowed() {
        let mut out = Output {
            quiet: false,
            color_stdout: false,
            color_stderr: false,
            stderr_terminal: false,
        };
        assert_eq!(out.paint("32", "ok"), "ok");
        out.color_stdout = true;
        assert_eq!(out.paint("32", "ok"), "\x1b[32mok\x1b[0m");
    }
}
