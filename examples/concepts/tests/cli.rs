//! The `concepts` program end to end, at small sizes: its worker processes,
//! its JSON output and its errors. `cargo test -p concepts`.

use std::path::Path;
use std::process::Command;

/// The program cargo built for these tests.
const EXE: &str = env!("CARGO_BIN_EXE_concepts");

#[test]
fn worker_processes_count_their_shares() {
    let total = concepts::gil::count_primes_processes(Path::new(EXE), 20_000, 3).unwrap();
    assert_eq!(total, 2262);
}

#[test]
fn the_gil_lesson_runs_every_strategy_and_they_agree() {
    let output = Command::new(EXE)
        .args(["gil", "--limit", "20000", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = report["lessons"][0]["rows"].as_array().unwrap();
    let strategies: Vec<&str> = rows
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(
        strategies,
        [
            "serial",
            "threads",
            "threads + simulated GIL",
            "processes",
            "rayon"
        ]
    );
    assert!(
        rows.iter().all(|r| r["detail"] == "2262 primes"),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r["wall_ms"].as_f64().unwrap() > 0.0));
}

#[test]
fn bad_arguments_are_refused_with_a_message() {
    let output = Command::new(EXE)
        .args(["gil", "--limit", "many"])
        .output()
        .unwrap();
    // The exit-code convention (the `cli` crate): 2 for a usage error,
    // whether clap or the program itself refuses it.
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--limit"), "{stderr}");

    let output = Command::new(EXE)
        .args(["gil", "--requests", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: --requests, --latency-ms and --workers must be at least 1"),
        "{stderr}"
    );
}

#[test]
fn processes_pass_messages_through_pipes_and_share_mapped_memory() {
    let exe = Path::new(EXE);
    let sum = concepts::processes::messages_to_process(exe, 1000).unwrap();
    assert_eq!(sum, (0..1000).sum::<u64>());
    let count = concepts::processes::shared_between_processes(exe, 2, 5_000).unwrap();
    assert_eq!(
        count, 10_000,
        "both processes' increments land in one counter"
    );
}
