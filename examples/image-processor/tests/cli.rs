//! The `image-processor` program end to end, through its real binary: a
//! folder with bad files ends with each failure reported once and exit
//! status 1, a good folder with 0, usage mistakes with 2 and a clear
//! message; an output folder overlapping the input is refused before
//! anything is written, existing outputs are skipped unless --overwrite, a
//! dry run writes nothing, --recursive keeps the folder structure; the
//! conventions every program shares (--version, --color, --quiet, no escape
//! codes in a log); and the comparison runs every strategy. Small images:
//! this checks behaviour, the bench measures speed.

use image_processor::kata::synth::{self, Kind, Spec};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Run the program with `args`, killing it if it outlives `limit`.
fn program(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_image-processor"))
        .args(args)
        // The tests decide colour themselves (--color), whatever the
        // environment they run in says.
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let began = Instant::now();
    while child.try_wait().expect("can wait").is_none() {
        if began.elapsed() > limit {
            let _ = child.kill();
            panic!("image-processor {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output is collected")
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("image-processor-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn small_photos(dir: &Path, count: u64) {
    let specs: Vec<Spec> = (0..count)
        .map(|i| Spec {
            name: format!("p{i}.{}", if i % 2 == 0 { "jpg" } else { "png" }),
            width: 320 + 40 * i as u32,
            height: 240,
            kind: if i % 2 == 0 { Kind::Jpeg } else { Kind::Png },
            seed: i,
        })
        .collect();
    synth::write_set(dir, &specs).expect("writing test photos");
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn a_bad_file_is_reported_and_the_rest_processed() {
    let dir = scratch("bad");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 3);
    // A real JPEG's headers, then noise where the image data should be.
    let mut broken = std::fs::read(input.join("p0.jpg")).unwrap()[..200].to_vec();
    broken.extend((0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1));
    std::fs::write(input.join("broken.jpg"), broken).unwrap();
    std::fs::write(input.join("readme.txt"), b"not an image, not listed").unwrap();
    let out = program(
        &[
            "--input",
            s(&input),
            "--output",
            s(&output),
            "--resize",
            "64x64",
            "--json",
        ],
        LIMIT,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(report["images"], 4);
    assert_eq!(report["processed"], 3);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["failures"][0]["kind"], "corrupt", "{report}");
    assert!(
        report["failures"][0]["input"]
            .as_str()
            .unwrap()
            .ends_with("broken.jpg")
    );
    // Three thumbnails, nothing half-written, no temporary file.
    assert_eq!(names(&output), ["p0.jpg", "p1.jpg", "p2.jpg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_good_folder_exits_zero_with_a_summary() {
    let dir = scratch("good");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 2);
    let out = program(
        &[
            "--input",
            s(&input),
            "--output",
            s(&output),
            "--ops",
            "thumbnail=32x32,grayscale,rotate=90",
            "--format",
            "png",
            "--jobs",
            "1",
        ],
        LIMIT,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("2 of 2 images processed"), "{text}");
    assert_eq!(names(&output), ["p0.png", "p1.png"]);
    let bytes = std::fs::read(output.join("p0.png")).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every path under `dir` (links not followed) with its size, sorted: what
/// a refused run must leave as it was.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    fn walk(dir: &Path, found: &mut Vec<(PathBuf, u64)>) {
        for entry in std::fs::read_dir(dir).expect("a folder") {
            let path = entry.expect("an entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            found.push((path.clone(), meta.len()));
            if meta.is_dir() {
                walk(&path, found);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, &mut found);
    found.sort();
    found
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_output_overlapping_the_input_is_refused_before_anything_is_written() {
    let dir = scratch("overlap");
    let input = dir.join("in");
    small_photos(&input, 2);
    small_photos(&input.join("sub"), 1);
    std::fs::create_dir_all(dir.join("apart")).unwrap();
    let mut cases = vec![
        (input.clone(), "is the input folder itself"),
        (input.join("."), "is the input folder itself"),
        (input.join("thumbs"), "is inside --input"),
        (input.join("sub/new/deeper"), "is inside --input"),
        (dir.join("apart/../in/thumbs"), "is inside --input"),
        (dir.clone(), "is inside --output"),
    ];
    #[cfg(unix)]
    {
        // A link to the input folder, under another name.
        std::os::unix::fs::symlink(&input, dir.join("link")).unwrap();
        cases.push((dir.join("link/thumbs"), "is inside --input"));
    }
    for (output, needle) in cases {
        for extra in [&[][..], &["--recursive"], &["--dry-run"]] {
            let before = listing(&dir);
            let mut args = vec!["--input", s(&input), "--output", s(&output)];
            args.extend(extra);
            let out = program(&args, LIMIT);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(needle), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
            assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
            assert_eq!(listing(&dir), before, "{args:?} changed the folders");
        }
    }
    #[cfg(unix)]
    {
        // A link inside the input tree that leads to the output: refused
        // when --recursive would follow it, whatever it is called.
        let output = dir.join("apart");
        std::os::unix::fs::symlink(&output, input.join("sub/to-output")).unwrap();
        let before = listing(&dir);
        let args = ["--input", s(&input), "--output", s(&output), "--recursive"];
        let out = program(&args, LIMIT);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("to-output"), "{}", stderr(&out));
        assert_eq!(listing(&dir), before);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn an_output_that_is_a_link_to_an_input_is_refused_and_reported_once() {
    let dir = scratch("linked-output");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 2);
    std::fs::create_dir_all(&output).unwrap();
    // out/p0.jpg is in/p0.jpg under another name: writing it would
    // destroy the photo.
    std::os::unix::fs::symlink(input.join("p0.jpg"), output.join("p0.jpg")).unwrap();
    let before = std::fs::read(input.join("p0.jpg")).unwrap();
    let args = [
        "--input",
        s(&input),
        "--output",
        s(&output),
        "--resize",
        "64x64",
    ];
    let out = program(&args, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out) + &stderr(&out);
    assert!(text.contains("would overwrite an input"), "{text}");
    assert_eq!(text.matches("in/p0.jpg").count(), 1, "{text}");
    assert_eq!(std::fs::read(input.join("p0.jpg")).unwrap(), before);
    assert!(output.join("p1.jpg").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn existing_outputs_are_skipped_unless_overwrite() {
    let dir = scratch("skip");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 2);
    let args = [
        "--input",
        s(&input),
        "--output",
        s(&output),
        "--resize",
        "64x64",
    ];
    assert!(program(&args, LIMIT).status.success());
    std::fs::write(output.join("p0.jpg"), b"edited by hand").unwrap();
    let again = program(&args, LIMIT);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let text = stdout(&again);
    assert!(
        text.contains("Nothing to do: all 2 outputs are already in"),
        "{text}"
    );
    assert!(text.contains("--overwrite"), "{text}");
    assert_eq!(
        std::fs::read(output.join("p0.jpg")).unwrap(),
        b"edited by hand"
    );
    let mut json = args.to_vec();
    json.push("--json");
    let report: Value = serde_json::from_slice(&program(&json, LIMIT).stdout).unwrap();
    assert_eq!(
        (report["images"].as_u64(), report["skipped"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(report["processed"], 0, "{report}");
    let mut overwrite = args.to_vec();
    overwrite.push("--overwrite");
    let redone = program(&overwrite, LIMIT);
    assert!(redone.status.success(), "{}", stderr(&redone));
    assert!(
        stdout(&redone).contains("2 of 2 images processed"),
        "{}",
        stdout(&redone)
    );
    assert!(!stdout(&redone).contains("skipped"), "{}", stdout(&redone));
    assert!(
        std::fs::read(output.join("p0.jpg"))
            .unwrap()
            .starts_with(b"\xff\xd8")
    );
    // Replaced atomically: nothing but the two thumbnails is left.
    assert_eq!(names(&output), ["p0.jpg", "p1.jpg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_dry_run_lists_what_would_happen_and_writes_nothing() {
    let dir = scratch("dry-run");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 3);
    // p0.png would become p0.jpg, as p0.jpg does: refused.
    std::fs::copy(input.join("p1.png"), input.join("p0.png")).unwrap();
    let args = ["--input", s(&input), "--output", s(&output), "--dry-run"];
    let out = program(&args, LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!output.exists(), "a dry run created the output folder");
    let row = |text: &str, name: &str| -> String {
        let line = text.lines().find(|l| l.contains(name)).unwrap_or_default();
        line.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let text = stdout(&out);
    assert_eq!(row(&text, "p0.jpg "), "write", "{text}");
    assert_eq!(row(&text, "p0.png"), "refuse", "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    // With one output already there: listed as skipped, left alone.
    std::fs::create_dir_all(&output).unwrap();
    std::fs::write(output.join("p1.jpg"), b"kept").unwrap();
    let out = program(&args, LIMIT);
    let text = stdout(&out);
    assert_eq!(row(&text, "p1.png"), "skip", "{text}");
    assert!(text.contains("2 to write, 1 to skip, 1 refused"), "{text}");
    assert_eq!(names(&output), ["p1.jpg"]);
    let mut json = args.to_vec();
    json.push("--json");
    let plan: Value = serde_json::from_slice(&program(&json, LIMIT).stdout).unwrap();
    assert_eq!(plan["write"].as_array().map(Vec::len), Some(2), "{plan}");
    assert_eq!(plan["refuse"][0]["kind"], "collision", "{plan}");
    assert_eq!(names(&output), ["p1.jpg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn recursive_keeps_the_folder_structure() {
    let dir = scratch("recursive");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 1);
    small_photos(&input.join("2024/summer"), 2);
    small_photos(&input.join(".cache"), 1);
    std::fs::create_dir_all(input.join("empty")).unwrap();
    let args = [
        "--input",
        s(&input),
        "--output",
        s(&output),
        "--resize",
        "32x32",
    ];
    let flat = program(&args, LIMIT);
    assert!(flat.status.success(), "{}", stderr(&flat));
    assert_eq!(names(&output), ["p0.jpg"]);
    let mut recursive = args.to_vec();
    recursive.push("--recursive");
    let out = program(&recursive, LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 of 3 images processed"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("1 skipped"), "{}", stdout(&out));
    let written: Vec<PathBuf> = listing(&output)
        .into_iter()
        .map(|(path, _)| path.strip_prefix(&output).unwrap().to_path_buf())
        .collect();
    let expected: Vec<PathBuf> = [
        "2024",
        "2024/summer",
        "2024/summer/p0.jpg",
        "2024/summer/p1.jpg",
        "p0.jpg",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    // Hidden folders skipped, no empty folder created for an empty one.
    assert_eq!(written, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_failure_is_reported_once() {
    let dir = scratch("once");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 2);
    let mut broken = std::fs::read(input.join("p0.jpg")).unwrap()[..200].to_vec();
    broken.extend((0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1));
    std::fs::write(input.join("broken-photo.jpg"), broken).unwrap();
    // Refused before any work: its output is p0.jpg's.
    std::fs::copy(input.join("p1.png"), input.join("p0.png")).unwrap();
    let out = program(
        &[
            "--input",
            s(&input),
            "--output",
            s(&output),
            "--resize",
            "64x64",
        ],
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out) + &stderr(&out);
    assert!(text.contains("2 failed"), "{text}");
    assert_eq!(text.matches("broken-photo.jpg").count(), 1, "{text}");
    assert_eq!(text.matches("p0.png").count(), 1, "{text}");
    assert!(!text.contains("WARN"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// More threads than cores: the one warning the program gives for sure.
fn too_many_jobs() -> String {
    (harness::cpu::available_cores() + 1).to_string()
}

#[test]
fn version_names_the_program() {
    let out = program(&["--version"], LIMIT);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("image-processor {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_escape_codes_off_a_terminal_unless_asked_for() {
    let dir = scratch("color");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 2);
    std::fs::write(input.join("empty.jpg"), b"").unwrap();
    let jobs = too_many_jobs();
    let args = [
        "--input",
        s(&input),
        "--output",
        s(&output),
        "--resize",
        "32x32",
        "--jobs",
        &jobs,
    ];
    for color in [None, Some("auto"), Some("never"), Some("always")] {
        let _ = std::fs::remove_dir_all(&output);
        let mut args = args.to_vec();
        args.extend(color.iter().flat_map(|c| ["--color", c]));
        let out = program(&args, LIMIT);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("WARN") && err.contains("--jobs"),
            "{args:?}: {err}"
        );
        assert!(stdout(&out).contains("empty.jpg"), "{}", stdout(&out));
        if color == Some("always") {
            // Proof that the check below can see escape codes at all.
            assert!(err.contains("\x1b["), "--color always: {err:?}");
        } else {
            assert!(!err.contains("\x1b["), "{args:?}: {err:?}");
            assert!(
                !stdout(&out).contains("\x1b["),
                "{args:?}: {:?}",
                stdout(&out)
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn quiet_prints_results_and_nothing_else() {
    let dir = scratch("quiet");
    let (input, output) = (dir.join("in"), dir.join("out"));
    small_photos(&input, 2);
    let jobs = too_many_jobs();
    let loud = [
        "--input",
        s(&input),
        "--output",
        s(&output),
        "--resize",
        "32x32",
        "--jobs",
        &jobs,
    ];
    let out = program(&loud, LIMIT);
    // Without --quiet: the warning, the note on what runs and what to do
    // next (a run this short logs no progress line: the first is due after
    // `cli::progress::LOG_EVERY`).
    let err = stderr(&out);
    for needle in ["WARN", "fit 32×32, JPEG quality 85", "next: "] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let mut quiet = loud.to_vec();
    quiet.extend(["--quiet", "--overwrite"]);
    let out = program(&quiet, LIMIT);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "--quiet");
    assert!(
        stdout(&out).contains("2 of 2 images processed"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_comparison_table_speaks_in_units() {
    let out = program(
        &[
            "--count",
            "2",
            "--strategy",
            "sequential,rayon",
            "--runs",
            "2",
        ],
        LIMIT,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("fit 512×512, JPEG quality 85"), "{text}");
    assert!(text.contains("the median of 2 runs"), "{text}");
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("strategy"))
        .expect("a header");
    let columns: Vec<&str> = header
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        columns,
        [
            "strategy",
            "workers",
            "wall",
            "images/s",
            "speed-up",
            "cores used",
            "threads started",
            "peak heap",
            "peak RSS"
        ]
    );
    let rayon = text
        .lines()
        .find(|l| l.trim_start().starts_with("rayon"))
        .expect("a rayon row");
    assert!(
        rayon.contains(" MB") && rayon.contains('×') && rayon.contains("–"),
        "{rayon}"
    );
    for debug in ["Jpeg {", "quality:", "Some("] {
        assert!(!text.contains(debug), "{debug}: {text}");
    }
    // The table ends with its takeaway, in this run's figures.
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Rayon processed ") && last.contains("× the rate of one image at a time"),
        "{text}"
    );
    assert!(
        stderr(&out).contains("next: cargo xtask grade image-processor"),
        "{}",
        stderr(&out)
    );
    let json = program(
        &[
            "--count",
            "2",
            "--strategy",
            "sequential,rayon",
            "--runs",
            "2",
            "--json",
        ],
        LIMIT,
    );
    let runs: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let runs: Vec<(u64, &str)> = runs
        .as_array()
        .expect("every run")
        .iter()
        .map(|r| (r["run"].as_u64().unwrap(), r["strategy"].as_str().unwrap()))
        .collect();
    assert_eq!(
        runs,
        [
            (1, "sequential"),
            (1, "rayon"),
            (2, "sequential"),
            (2, "rayon")
        ]
    );
    // No figure above its physical bound: a process cannot keep more cores
    // busy than it may run on (a little over, from clock granularity).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let all: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    for run in all.as_array().expect("every run") {
        let used = run["cores_used"].as_f64().expect("cores_used");
        assert!(
            (0.0..=cores * 1.05 + 0.1).contains(&used),
            "{} kept {used} cores busy on {cores}",
            run["strategy"]
        );
    }
}

#[test]
fn usage_mistakes_exit_two_and_say_what_is_wrong() {
    let dir = scratch("usage");
    let missing = dir.join("nope");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for (args, needle) in [
        (
            vec!["--input", s(&missing), "--output", s(&dir)],
            "not a folder",
        ),
        (
            vec!["--input", s(&empty), "--output", s(&missing)],
            "no images there",
        ),
        (
            vec!["--input", s(&dir), "--output", s(&dir)],
            "the input folder itself",
        ),
        (vec!["--overwrite"], "--input"),
        (vec!["--recursive"], "--input"),
        (vec!["--runs", "0"], "1..=100"),
        (vec!["--input", s(&dir)], "--output"),
        (vec!["--ops", "emboss"], "unknown"),
        (vec!["--resize", "12"], "WIDTHxHEIGHT"),
        (vec!["--quality", "0"], "1..=100"),
        (vec!["--output", s(&dir)], "needs --input"),
    ] {
        let out = program(&args, LIMIT);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let help = program(&["--help"], LIMIT);
    let text = String::from_utf8_lossy(&help.stdout);
    for option in [
        "--input",
        "--output",
        "--resize",
        "--ops",
        "--jobs",
        "--json",
        "generate",
        "--recursive",
        "--overwrite",
        "--dry-run",
        "--runs",
        "--color",
        "--quiet",
        "--version",
    ] {
        assert!(text.contains(option), "--help lacks {option}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_comparison_runs_every_strategy() {
    let out = program(&["--count", "3", "--json"], LIMIT);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = rows.as_array().expect("one row per strategy");
    let strategies: Vec<&str> = rows
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies, ["sequential", "thread-per-image", "rayon"]);
    for row in rows {
        assert_eq!(row["processed"], 3, "{row}");
        assert!(row["peak_heap_bytes"].as_u64().unwrap() > 0, "{row}");
    }
    assert_eq!(rows[1]["jobs"], 3, "a thread per image");
}

#[test]
fn generate_writes_the_set() {
    let dir = scratch("generate");
    let out = program(
        &[
            "generate",
            "--output",
            s(&dir),
            "--count",
            "2",
            "--seed",
            "5",
        ],
        LIMIT,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(names(&dir).len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
