//! The `concepts` program end to end, at small sizes: its worker processes,
//! its JSON output and its errors, no figure over its bound, repeated runs,
//! and the command-line conventions (`--version`, `--color`, `--quiet`,
//! notes on stderr, a next step). `cargo test -p concepts`.

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

/// Run the program with `args`, stdout and stderr to pipes (not terminals).
fn concepts(args: &[&str]) -> std::process::Output {
    Command::new(EXE).args(args).output().unwrap()
}

fn texts(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The most "cores used" a row may show on this machine: the CPUs the
/// program may run on, as the report says, plus the tolerance the lessons
/// allow for rounding.
fn cores_limit(report: &serde_json::Value) -> f64 {
    let cpus = report["cpus"].as_u64().expect("the report names its CPUs") as usize;
    assert!(cpus >= report["cores"].as_u64().unwrap() as usize);
    cpus as f64 + concepts::measure::cores_tolerance(cpus)
}

#[test]
fn no_figure_is_over_its_bound_in_the_lessons_that_measure_cores() {
    // The lessons whose rows measure CPU time (threads, processes, async
    // code computing), small, three runs each: every run is checked.
    let output = concepts(&[
        "gil",
        "processes",
        "sync",
        "mixed",
        "--json",
        "--runs",
        "3",
        "--limit",
        "300000",
        "--messages",
        "20000",
        "--starts",
        "5",
        "--items",
        "20000",
        "--increments",
        "100000",
        "--rounds",
        "2000000",
    ]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"));
    let limit = cores_limit(&report);
    let lessons = report["lessons"].as_array().unwrap();
    let names: Vec<&str> = lessons
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gil", "processes", "sync", "mixed"]);
    for lesson in lessons {
        for row in lesson["rows"].as_array().unwrap() {
            let runs = row["runs"].as_array().unwrap();
            assert_eq!(runs.len(), 3, "{row}");
            for figures in runs.iter().chain([row]) {
                let cores = figures["cores_used"].as_f64().unwrap();
                assert!(
                    (0.0..=limit).contains(&cores),
                    "{} / {}: {cores:.2} cores used, at most {limit:.2} possible here\n{row}",
                    lesson["name"],
                    row["strategy"]
                );
            }
            assert_eq!(row["over_bound"], serde_json::json!([]), "{row}");
        }
    }
    // Nothing over its bound: the run found no failure.
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// Small sizes for every lesson, for a whole run in a few seconds.
const SMALL: [&str; 22] = [
    "--limit",
    "100000",
    "--units",
    "100",
    "--processes",
    "10",
    "--messages",
    "10000",
    "--starts",
    "5",
    "--increments",
    "100000",
    "--items",
    "20000",
    "--backlog-items",
    "500",
    "--requests",
    "10",
    "--latency-ms",
    "2",
    "--rounds",
    "1000000",
];

#[test]
fn every_lesson_into_a_pipe_reads_plainly_within_its_bounds_and_names_the_next_step() {
    // `concepts > out.txt`: every lesson, stdout and stderr not terminals.
    let output = concepts(&SMALL);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let (stdout, stderr) = texts(&output);
    assert!(
        !stdout.contains('\x1b') && !stderr.contains('\x1b'),
        "escape codes off a terminal:\n{stdout}\n{stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&concepts(&["gil", "--json", "--limit", "1000"]).stdout).unwrap();
    let limit = cores_limit(&report);
    // Each table: a header, a rule, its rows, cells two spaces apart at
    // least (a figure such as "143 ms" has one space inside).
    let cells = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let lines: Vec<&str> = stdout.lines().collect();
    let mut tables = 0;
    for (i, line) in lines.iter().enumerate() {
        let header = cells(line);
        let Some(cores) = header.iter().position(|c| c == "cores used") else {
            continue;
        };
        tables += 1;
        assert_eq!(header[1], "wall", "{line}");
        assert!(lines[i + 1].trim().chars().all(|c| c == '-'), "{line}");
        for row in lines[i + 2..].iter().take_while(|l| !l.starts_with('→')) {
            let row = cells(row);
            assert_eq!(
                row.len(),
                header.len(),
                "every column in its place: {row:?}"
            );
            let used: f64 = row[cores].parse().unwrap_or_else(|_| panic!("{row:?}"));
            assert!(
                used <= limit,
                "{used} cores used, at most {limit:.2}: {row:?}"
            );
            // Wall times as people write them: "143 ms", "1.25 s".
            let (figure, unit) = row[1].split_once(' ').unwrap_or_else(|| panic!("{row:?}"));
            assert!(figure.parse::<f64>().is_ok(), "{row:?}");
            assert!(["µs", "ms", "s", "min"].contains(&unit), "{row:?}");
        }
    }
    assert_eq!(tables, 9, "one table per lesson:\n{stdout}");
    assert!(!stdout.contains("OVER ITS BOUND"), "{stdout}");
    // Notes on stderr, results on stdout; the last note says what next.
    assert!(!stdout.contains("running 9 lessons"), "{stdout}");
    assert!(stderr.contains("running 9 lessons"), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("next: cargo xtask grade concepts"),
        "{stderr}"
    );
}

#[test]
fn runs_show_their_median_and_spread_and_json_keeps_every_run() {
    let args = ["io", "--runs", "3", "--requests", "4", "--latency-ms", "2"];
    let output = concepts(&args);
    assert!(output.status.success(), "{output:?}");
    let (stdout, stderr) = texts(&output);
    assert!(
        stdout.contains("(median of 3 runs; spread: fastest–slowest)"),
        "{stdout}"
    );
    let header = stdout.lines().find(|l| l.contains("cores used")).unwrap();
    assert!(header.contains("spread"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(" ms–") || l.contains("–")),
        "{stdout}"
    );
    assert!(stderr.contains("3 runs of each strategy"), "{stderr}");
    // One run: no spread column.
    let (single, _) = texts(&concepts(&["io", "--requests", "4", "--latency-ms", "2"]));
    assert!(!single.contains("spread"), "{single}");

    let mut json = args.to_vec();
    json.push("--json");
    let report: serde_json::Value = serde_json::from_slice(&concepts(&json).stdout).unwrap();
    assert_eq!(report["runs"], 3);
    let rows = report["lessons"][0]["rows"].as_array().unwrap();
    let mut spread = false;
    for row in rows {
        let walls: Vec<f64> = row["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["wall_ms"].as_f64().unwrap())
            .collect();
        assert_eq!(walls.len(), 3, "{row}");
        let (min, max, median) = (
            row["wall_min_ms"].as_f64().unwrap(),
            row["wall_max_ms"].as_f64().unwrap(),
            row["wall_ms"].as_f64().unwrap(),
        );
        assert!(walls.contains(&median), "the median is a real run: {row}");
        assert!(min <= median && median <= max, "{row}");
        assert_eq!(min, walls.iter().copied().fold(f64::MAX, f64::min), "{row}");
        spread |= min < max;
    }
    assert!(spread, "three runs never take exactly as long: {rows:?}");
}

#[test]
fn version_is_the_program_and_its_version() {
    let output = concepts(&["--version"]);
    assert!(output.status.success(), "{output:?}");
    let (stdout, _) = texts(&output);
    assert_eq!(
        stdout.trim(),
        format!("concepts {}", env!("CARGO_PKG_VERSION"))
    );
}

/// A cheap run with a warning forced (the Python comparison asked for,
/// with no python3 on the PATH) beside its note and its table.
fn with_a_warning(extra: &[&str]) -> std::process::Output {
    let empty = std::env::temp_dir().join(format!("concepts-no-python-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let output = Command::new(EXE)
        .args(["io", "--python", "--requests", "2", "--latency-ms", "1"])
        .args(extra)
        .env("PATH", &empty)
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&empty);
    output
}

#[test]
fn no_escape_codes_off_a_terminal_unless_asked_for() {
    for color in [&[][..], &["--color", "never"], &["--color", "auto"]] {
        let output = with_a_warning(color);
        assert!(output.status.success(), "{output:?}");
        let (stdout, stderr) = texts(&output);
        assert!(
            stderr.contains("WARN") && stderr.contains("skipping the Python comparison"),
            "the warning was forced: {stderr}"
        );
        assert!(
            !stdout.contains("\x1b[") && !stderr.contains("\x1b["),
            "{color:?}: {stdout:?} {stderr:?}"
        );
    }
    // The test can fail: asked for, the codes are there.
    let (_, stderr) = texts(&with_a_warning(&["--color", "always"]));
    assert!(stderr.contains("\x1b["), "{stderr:?}");
}

#[test]
fn quiet_prints_the_results_only() {
    let output = with_a_warning(&["--quiet"]);
    assert!(output.status.success(), "{output:?}");
    let (stdout, stderr) = texts(&output);
    // No note, no progress, no warning: nothing at all on stderr.
    assert_eq!(stderr, "", "--quiet: {stderr}");
    assert!(stdout.contains("pool of 10 threads"), "{stdout}");
    // Without it, the notes are there, ending with the next step: the
    // chapter of the one lesson run.
    let (_, stderr) = texts(&with_a_warning(&[]));
    assert!(stderr.contains("running 1 lesson on"), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("next: book/src/lessons/io.md")),
        "{stderr}"
    );
}

#[test]
fn completions_are_printed_for_a_shell() {
    let output = concepts(&["completions", "bash"]);
    assert!(output.status.success(), "{output:?}");
    let (stdout, _) = texts(&output);
    assert!(
        stdout.contains("concepts") && stdout.contains("--runs"),
        "{stdout}"
    );
}
