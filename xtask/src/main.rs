//! `cargo xtask`: the project's own tooling, as one ordinary binary.
//!
//! ```text
//! cargo xtask grade [EXERCISE]          grade your code in exercises/, ending with your progress
//! cargo xtask grade --solutions         grade the reference solutions (must all pass)
//! cargo xtask grade --mutants           prove each known-wrong variant fails, for its own reason
//! cargo xtask grade --solutions --under-load   the reference beside a CPU hog: never failed
//! cargo xtask hint EXERCISE [STEP]      the next hint for a step (--reset starts over)
//! cargo xtask watch [EXERCISE]          re-grade on every save; keys: h hint, n next step, r re-grade, q quit
//! cargo xtask reset EXERCISE [STEP]     put a step's file back as handed out (yours is kept in target/xtask/reset/)
//! cargo xtask run EXERCISE [--mine]     run the example program on the reference or on your code
//! cargo xtask bench concepts [--python] measure the lessons (release) into book/src/measured/
//! cargo xtask bench crawler [--docs DIR]          the crawler's strategies, Python and wget
//! cargo xtask bench image-processor [--photos DIR] thumbnails: ours, Pillow, libvips, ImageMagick
//! ```
//!
//! Every command takes `--color auto|always|never` (auto: on a terminal,
//! unless `NO_COLOR` is set; no escape codes at all into a file or a pipe)
//! and `--quiet` (results and errors only); `--version` says which build.
//!
//! Exit status (the `cli` crate's convention): 0 done and everything
//! passed, 1 something graded failed (or a mutant was missed), 2 it could
//! not be done (a usage error, or an error).
//!
//! The alias lives in `.cargo/config.toml`. Everything is plain Rust and
//! `cargo` subprocesses, so it works wherever the toolchain does (the
//! "xtask" convention: no make, no shell scripts to port).

mod bench;
#[cfg(test)]
mod book;
mod git;
mod given;
mod grade;
mod hint;
mod hog;
mod keys;
mod mutant;
mod mutant_build;
mod outcome;
mod project;
#[cfg(test)]
mod recipe;
mod report;
mod reset;
mod stubs;
mod watch;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    propagate_version = true,
    about = "Grade, hint and watch the exercises of When to Use What",
    after_help = "Start with `cargo xtask grade`, then `cargo xtask hint concepts`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    common: cli::Common,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Grade exercises: for each step, passed / failed (and why) / not started / timed out / skipped.
    ///
    /// Without flags it grades your code in exercises/. Each step runs in its
    /// own process under a time limit; nothing is ever written into exercises/.
    /// The exit status is 0 only when every graded step passed (or was skipped).
    Grade(grade::Args),
    /// Show the next hint for a step (each call reveals one more).
    Hint(hint::Args),
    /// Re-grade an exercise every time one of its files is saved; keys: h hint, n next step, r re-grade, q quit.
    Watch(watch::Args),
    /// Put a step's file (or every file of an exercise) back as it was handed out.
    ///
    /// Your version is copied first to target/xtask/reset/<exercise>/<time>/,
    /// and the report says where: nothing is lost. The stub is found in the
    /// git history by the checksum recorded in the exercise's Cargo.toml.
    Reset(reset::Args),
    /// Run an exercise's example program, on the reference solution or on your code.
    Run(RunArgs),
    /// Measure an example program (release build) beside its peers and write the figures into book/src/measured/.
    Bench(bench::Args),
    /// Spin on one core until killed (the load of `grade --under-load`).
    #[command(hide = true)]
    Hog,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The example to run (a folder of examples/, e.g. `concepts`).
    example: String,
    /// Build it on your code in exercises/ instead of the reference solution.
    #[arg(long)]
    mine: bool,
    /// Build in release mode (for figures worth comparing).
    #[arg(long)]
    release: bool,
    /// Arguments passed on to the program (after `--`).
    #[arg(last = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = cli.common.init();
    let outcome = match cli.command {
        Command::Grade(args) => grade::run(&args),
        Command::Hint(args) => hint::run(&args).map(|()| true),
        Command::Watch(args) => watch::run(&args, &out).map(|()| true),
        Command::Reset(args) => reset::run(&args, &out).map(|()| true),
        Command::Run(args) => run_example(&args),
        Command::Bench(args) => bench::run(&args).map(|()| true),
        Command::Hog => hog::run().map(|()| true),
    };
    // 0 all passed (or done), 1 something graded failed, 2 could not run.
    cli::exit(outcome.map(|ok| cli::Finished::with_failures(!ok)))
}

fn run_example(args: &RunArgs) -> Result<bool> {
    let project = project::Project::load()?;
    if !project.root.join("examples").join(&args.example).is_dir() {
        anyhow::bail!(
            "there is no example program `{}` (see the folders of examples/)",
            args.example
        );
    }
    let mut cargo = project.cargo();
    cargo.args(["run", "--package", &args.example]);
    grade::cargo_output(&mut cargo);
    if args.release {
        cargo.arg("--release");
    }
    if args.mine {
        cargo.args(["--no-default-features", "--features", "mine"]);
    }
    cargo.arg("--").args(&args.args);
    Ok(cargo.status()?.success())
}
