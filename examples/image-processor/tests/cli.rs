//! The `image-processor` program end to end, through its real binary: a
//! folder with bad files ends with each failure reported and exit status 1,
//! a good folder with 0, usage mistakes with 2 and a clear message, and the
//! comparison runs every strategy. Small images: this checks behaviour, the
//! bench measures speed.

use image_processor::kata::synth::{self, Kind, Spec};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Run the program with `args`, killing it if it outlives `limit`.
fn program(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_image-processor"))
        .args(args)
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

#[test]
fn processing_a_folder_into_itself_never_touches_an_input() {
    let dir = scratch("itself");
    small_photos(&dir, 2);
    let before = std::fs::read(dir.join("p0.jpg")).unwrap();
    let out = program(&["--input", s(&dir), "--output", s(&dir), "--json"], LIMIT);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failures"][0]["kind"], "would-overwrite", "{report}");
    assert_eq!(std::fs::read(dir.join("p0.jpg")).unwrap(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_mistakes_exit_two_and_say_what_is_wrong() {
    let dir = scratch("usage");
    let missing = dir.join("nope");
    for (args, needle) in [
        (
            vec!["--input", s(&missing), "--output", s(&dir)],
            "not a folder",
        ),
        (
            vec!["--input", s(&dir), "--output", s(&dir)],
            "no images there",
        ),
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
        "--input", "--output", "--resize", "--ops", "--jobs", "--json", "generate",
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
