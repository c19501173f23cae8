//! `cargo xtask hint`: each call shows one more hint, and `--reset` starts
//! a step over without showing one, so the next call shows hint 1. Run
//! with its own target directory, so the learner's hint progress (in
//! `target/xtask/hints.json`) is never touched; `hint` builds nothing.
//! `cargo test -p xtask --test hint`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo xtask ARGS` keeping its state under `target`; its stdout.
fn xtask(target: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("xtask starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The hint numbers shown in a `hint` run's output ("hint 2 of 4: ...").
fn shown(stdout: &str) -> Vec<usize> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("hint ")?.split(' ').next()?.parse().ok())
        .collect()
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn reset_starts_the_hints_over_without_showing_one() {
    let target = Scratch(std::env::temp_dir().join(format!("xtask-hint-{}", std::process::id())));
    let step = ["hint", "concepts", "primes-threads"];
    assert_eq!(shown(&xtask(&target.0, &step)), [1]);
    assert_eq!(shown(&xtask(&target.0, &step)), [2]);
    let progress = target.0.join("xtask/hints.json");
    let seen = || std::fs::read_to_string(&progress).unwrap();
    assert!(
        seen().contains("\"concepts/primes-threads\": 2"),
        "{}",
        seen()
    );

    let reset = xtask(
        &target.0,
        &["hint", "--reset", "concepts", "primes-threads"],
    );
    assert_eq!(shown(&reset), Vec::<usize>::new(), "{reset}");
    assert!(reset.contains("shows hint 1"), "{reset}");
    assert!(!seen().contains("concepts/primes-threads"), "{}", seen());

    assert_eq!(shown(&xtask(&target.0, &step)), [1]);
    // Another step's progress is its own.
    assert_eq!(
        shown(&xtask(&target.0, &["hint", "concepts", "primes-rayon"])),
        [1]
    );
    assert_eq!(shown(&xtask(&target.0, &step)), [2]);
}
