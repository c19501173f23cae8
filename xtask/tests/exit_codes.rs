//! `cargo xtask` keeps the workspace's exit-code convention (the `cli`
//! crate): 2 when it cannot do what it was asked — an unknown flag, an
//! exercise or step that does not exist — with the reason on stderr.
//! (1, something graded failed, is what `.ci/run`'s `--expect-untouched`
//! and `--mutants` runs rely on.) `cargo test -p xtask --test exit_codes`.

use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask starts")
}

#[test]
fn what_cannot_be_done_exits_two_and_says_why() {
    for (args, says) in [
        (&["grade", "--no-such-flag"][..], "--no-such-flag"),
        (
            &["grade", "no-such-exercise"][..],
            "there is no exercise `no-such-exercise`",
        ),
        (
            &["hint", "concepts", "no-such-step"][..],
            "has no step `no-such-step`",
        ),
        (
            &["run", "no-such-program"][..],
            "there is no example program",
        ),
        (
            &["reset", "no-such-exercise"][..],
            "there is no exercise `no-such-exercise`; there are: ",
        ),
        (
            &["reset", "concepts", "no-such-step"][..],
            "its steps are: primes-threads, primes-rayon",
        ),
        (&["grade", "--color", "sometimes"][..], "sometimes"),
    ] {
        let output = xtask(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn help_exits_zero() {
    let output = xtask(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("grade"));
}

#[test]
fn version_exits_zero_and_names_the_program() {
    let output = xtask(&["--version"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("cargo xtask "), "{stdout}");
}
