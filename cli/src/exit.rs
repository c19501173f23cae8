//! One exit-code convention for every program here and for `cargo xtask`.
//!
//! | code | meaning | examples |
//! |---|---|---|
//! | 0 | the job was done, and nothing in it failed | every image thumbnailed; every graded step passed |
//! | 1 | the job was done, and it found failures | a corrupt photo among good ones; pages that answered 404; a step that failed |
//! | 2 | the job could not be done: a usage error, or an error that stopped it | an unknown flag, `--output` equal to `--input`, an unreadable folder |
//!
//! The same split as ripgrep's and grep's (0 found, 1 not found, 2
//! error): a script can tell "it ran and has something to tell you" from
//! "it did not run". clap already exits with 2 on a flag it cannot parse;
//! [`exit`] gives the program's own refusals and errors the same code, and
//! prints them once, with their causes (`{:#}`), on stderr.
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     cli::exit(run())
//! }
//!
//! fn run() -> anyhow::Result<cli::Finished> {
//!     let failed = 0;
//!     Ok(cli::Finished::with_failures(failed > 0))
//! }
//! ```

use std::process::ExitCode;

/// The code of a job done with nothing failed.
pub const DONE: u8 = 0;
/// The code of a job done that found failures.
pub const FAILURES: u8 = 1;
/// The code of a job that could not be done (usage error or an error).
pub const ERROR: u8 = 2;

/// How a job that ran to its end finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// Nothing failed: exit code 0.
    Clean,
    /// Some of the work failed, and was reported: exit code 1.
    WithFailures,
}

impl Finished {
    /// [`Finished::WithFailures`] when `failed`, else [`Finished::Clean`].
    pub fn with_failures(failed: bool) -> Finished {
        if failed {
            Finished::WithFailures
        } else {
            Finished::Clean
        }
    }

    /// The exit code of this outcome.
    pub fn code(self) -> u8 {
        match self {
            Finished::Clean => DONE,
            Finished::WithFailures => FAILURES,
        }
    }
}

/// The exit status of a program's run: 0 or 1 as the job finished, or 2
/// for an error, which is printed (`error: ...`, with its causes) first.
pub fn exit(result: anyhow::Result<Finished>) -> ExitCode {
    ExitCode::from(code_of(result, |err| eprintln!("error: {err:#}")))
}

/// [`exit`]'s choice of code, with the error handed to `report`.
fn code_of(result: anyhow::Result<Finished>, report: impl FnOnce(&anyhow::Error)) -> u8 {
    match result {
        Ok(finished) => finished.code(),
        Err(err) => {
            report(&err);
            ERROR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_has_its_code_and_only_errors_are_reported() {
        let mut reported = Vec::new();
        assert_eq!(code_of(Ok(Finished::Clean), |_| unreachable!()), 0);
        assert_eq!(code_of(Ok(Finished::WithFailures), |_| unreachable!()), 1);
        let err = anyhow::anyhow!("no such folder").context("--input /nowhere");
        assert_eq!(code_of(Err(err), |e| reported.push(format!("{e:#}"))), 2);
        assert_eq!(reported, ["--input /nowhere: no such folder"]);
        assert_eq!(Finished::with_failures(true), Finished::WithFailures);
        assert_eq!(Finished::with_failures(false), Finished::Clean);
    }
}
