//! The tools the image-processor bench compares, and one round of one of
//! them: its command lines (ours sequential and with rayon, Pillow with
//! multiprocessing, vipsthumbnail, ImageMagick's mogrify), how to find each
//! tool and its version (or why its row is skipped), and the check that a
//! round really made every thumbnail.

use super::image_photos::{Photo, balanced_chunks, probe};
use super::image_processor::{BOX, QUALITY};
use super::process::{self, Finished};
use image::ImageFormat;
use serde::Deserialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The rows of the table, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    OursSequential,
    OursRayon,
    Pillow,
    Vips,
    Magick,
}

impl Tool {
    /// The name the verdict and the list of commands use.
    pub fn short(self) -> &'static str {
        match self {
            Tool::OursSequential => "ours, sequential",
            Tool::OursRayon => "ours with rayon",
            Tool::Pillow => "Pillow + multiprocessing",
            Tool::Vips => "vipsthumbnail",
            Tool::Magick => "ImageMagick",
        }
    }

    pub fn is_ours(self) -> bool {
        matches!(self, Tool::OursSequential | Tool::OursRayon)
    }
}

/// What the rows need to build their command lines.
pub struct Setup {
    pub exe: PathBuf,
    pub python: PathBuf,
    /// The program (and subcommand) to run as `mogrify`: `["magick",
    /// "mogrify"]` for ImageMagick 7, `["/usr/bin/mogrify"]` for 6.
    pub mogrify: Vec<OsString>,
    pub cores: usize,
}

/// The processes one round of `tool` runs side by side.
fn commands(tool: Tool, setup: &Setup, photos: &[Photo], input: &Path, out: &Path) -> Vec<Command> {
    let size = format!("{BOX}x{BOX}");
    let folder_to_folder = |program: &OsString, script: Option<&Path>, jobs: usize| {
        let mut c = Command::new(program);
        c.args(script);
        c.arg("--input").arg(input).arg("--output").arg(out);
        c.args(["--resize", &size, "--quality", &QUALITY.to_string()]);
        c.args(["--jobs", &jobs.to_string(), "--json"]);
        vec![c]
    };
    let ours = setup.exe.clone().into_os_string();
    match tool {
        Tool::OursSequential => folder_to_folder(&ours, None, 1),
        Tool::OursRayon => folder_to_folder(&ours, None, setup.cores),
        Tool::Pillow => folder_to_folder(&"python3".into(), Some(&setup.python), setup.cores),
        Tool::Vips => balanced_chunks(photos, setup.cores)
            .into_iter()
            .map(|files| {
                let mut c = Command::new("vipsthumbnail");
                // One thread per process: there are already as many
                // processes as cores, and libvips would otherwise start a
                // worker thread per core in each, oversubscribing the cores
                // and measuring contention instead of libvips.
                c.env("VIPS_CONCURRENCY", "1");
                c.args(["--size", &size, "-o"]);
                // %s is the input's stem; [Q=85] is the JPEG saver's option.
                c.arg(out.join(format!("%s.jpg[Q={QUALITY}]")));
                c.args(files);
                c
            })
            .collect(),
        Tool::Magick => balanced_chunks(photos, setup.cores)
            .into_iter()
            .map(|files| {
                let mut c = Command::new(&setup.mogrify[0]);
                c.args(&setup.mogrify[1..]);
                // ImageMagick parallelises one image's work with OpenMP over
                // every core; with one process per core that is the same
                // oversubscription as libvips's, so one thread each.
                c.env("MAGICK_THREAD_LIMIT", "1");
                c.arg("-path").arg(out);
                c.args(["-format", "jpg"]);
                // Tells libjpeg the size wanted, so that it decodes a JPEG
                // at 1/2, 1/4 or 1/8 scale while still at least this large
                // ("shrink on load"): the same trick Pillow's draft(),
                // libvips and ours use. Twice the box leaves the resize
                // filter real pixels to work with.
                c.args(["-define", &format!("jpeg:size={}x{}", 2 * BOX, 2 * BOX)]);
                c.args(["-thumbnail", &size, "-quality", &QUALITY.to_string()]);
                c.args(files);
                c
            })
            .collect(),
    }
}

/// The command line of a row, as the page shows it.
pub fn shown_command(tool: Tool, cores: usize) -> String {
    let common = format!("--input IN --output OUT --resize {BOX}x{BOX} --quality {QUALITY}");
    match tool {
        Tool::OursSequential => format!("image-processor {common} --jobs 1 --json"),
        Tool::OursRayon => format!("image-processor {common} --jobs {cores} --json"),
        Tool::Pillow => format!(
            "python3 examples/image-processor/python/thumbnail.py {common} --jobs {cores} --json"
        ),
        Tool::Vips => format!(
            "VIPS_CONCURRENCY=1 vipsthumbnail --size {BOX}x{BOX} -o 'OUT/%s.jpg[Q={QUALITY}]' \
             FILES…"
        ),
        Tool::Magick => format!(
            "MAGICK_THREAD_LIMIT=1 mogrify -path OUT -format jpg -define jpeg:size={}x{} \
             -thumbnail {BOX}x{BOX} -quality {QUALITY} FILES…",
            2 * BOX,
            2 * BOX
        ),
    }
}

/// Pillow's version, or why the row is skipped.
pub fn pillow() -> Result<String, String> {
    match Command::new("python3")
        .args(["-c", "import PIL; print(PIL.__version__)"])
        .output()
    {
        Err(_) => Err("python3 is not installed".into()),
        Ok(o) if !o.status.success() => {
            Err("Pillow is not installed (`pip install pillow`)".into())
        }
        Ok(o) => Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned()),
    }
}

/// libvips's version ("libvips 8.14.1"), or why the row is skipped.
pub fn vips() -> Result<String, String> {
    process::first_line("vipsthumbnail", &["--vips-version"])
        .ok_or_else(|| "vipsthumbnail is not installed (`apt-get install libvips-tools`)".into())
}

/// A real ImageMagick `mogrify` and its version, or why the row is skipped.
///
/// Being on PATH proves nothing: a `convert` or `mogrify` can be a wrapper
/// or a stand-in that merely shares the name. Only a program whose
/// `-version` says "ImageMagick" is used, and the usual install locations
/// are tried as well as PATH.
pub fn magick() -> Result<(Vec<OsString>, String), String> {
    let candidates: [&[&str]; 6] = [
        &["magick", "mogrify"],
        &["/usr/bin/magick", "mogrify"],
        &["/usr/local/bin/magick", "mogrify"],
        &["mogrify"],
        &["/usr/bin/mogrify"],
        &["/usr/local/bin/mogrify"],
    ];
    for candidate in candidates {
        let mut args = candidate[1..].to_vec();
        args.push("-version");
        let line = process::first_line(candidate[0], &args);
        if let Some(line) = line.filter(|l| l.contains("ImageMagick")) {
            // "Version: ImageMagick 6.9.11-60 Q16 x86_64 2021-01-25 https://…"
            let version = line
                .trim_start_matches("Version:")
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            return Ok((candidate.iter().map(OsString::from).collect(), version));
        }
    }
    Err("ImageMagick is not installed (`apt-get install imagemagick`)".into())
}

/// What one round of a row achieved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub wall_s: f64,
    /// CPU time of the row's processes and everything they started.
    pub cpu_s: f64,
    /// The largest resident set of any one of the row's processes.
    pub peak_bytes: Option<u64>,
}

/// The counts both our `--json` and thumbnail.py's print.
#[derive(Debug, Deserialize)]
struct Counts {
    images: usize,
    processed: usize,
    failed: usize,
}

/// One round of one row: a fresh, empty output folder, the row's processes
/// side by side, then the check of what they made.
pub fn attempt(
    tool: Tool,
    setup: &Setup,
    photos: &[Photo],
    input: &Path,
    out: &Path,
) -> Result<Measured, String> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let (finished, usage) =
        process::measured_side_by_side(commands(tool, setup, photos, input, out));
    let finished = finished?;
    if let Some(f) = finished.iter().find(|f| !f.status.success()) {
        return Err(format!("exited with {}: {}", f.status, f.last_words()));
    }
    if matches!(tool, Tool::OursSequential | Tool::OursRayon | Tool::Pillow) {
        check_counts(&finished[0], photos.len())?;
    }
    check_output(out, photos)?;
    Ok(Measured {
        wall_s: usage.wall.as_secs_f64(),
        cpu_s: usage.cpu.as_secs_f64(),
        peak_bytes: finished
            .iter()
            .map(|f| f.max_rss_bytes)
            .max()
            .filter(|&b| b > 0),
    })
}

/// Does the tool's own report agree: every image processed, none failed?
fn check_counts(finished: &Finished, given: usize) -> Result<(), String> {
    let counts: Counts = serde_json::from_slice(&finished.stdout)
        .map_err(|e| format!("its --json output is unreadable: {e}"))?;
    if counts.images != given || counts.processed != given || counts.failed != 0 {
        return Err(format!(
            "it reports {} of {} images processed, {} failed ({given} given)",
            counts.processed, counts.images, counts.failed,
        ));
    }
    Ok(())
}

/// The size a thumbnail of a `width`×`height` image must have: scaled down
/// to fit the box, aspect ratio kept, never scaled up.
fn expected_size(width: u32, height: u32) -> (u32, u32) {
    let scale = (f64::from(BOX) / f64::from(width))
        .min(f64::from(BOX) / f64::from(height))
        .min(1.0);
    let side = |s: u32| ((f64::from(s) * scale).round() as u32).max(1);
    (side(width), side(height))
}

/// Did the row do the job? One JPEG per photo, named `<stem>.jpg`, nothing
/// else with that extension, each within the box and of the photo's shape.
fn check_output(out: &Path, photos: &[Photo]) -> Result<(), String> {
    let made = std::fs::read_dir(out)
        .map_err(|e| format!("cannot read {}: {e}", out.display()))?
        .flatten()
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("jpg"))
        })
        .count();
    if made != photos.len() {
        return Err(format!("made {made} JPEGs from {} images", photos.len()));
    }
    for photo in photos {
        let path = out.join(format!("{}.jpg", photo.stem()));
        if !path.is_file() {
            return Err(format!("made no {}", path.display()));
        }
        let Some(size) = probe(&path).filter(|s| s.format == ImageFormat::Jpeg) else {
            return Err(format!("{} is not a JPEG", path.display()));
        };
        let (width, height) = (size.width, size.height);
        let (want_w, want_h) = expected_size(photo.size.width, photo.size.height);
        // Tools round the short side differently, by a pixel or so; a tool
        // that applies the EXIF orientation turns the picture, swapping the
        // sides.
        let near = |(w, h): (u32, u32)| w.abs_diff(want_w) <= 2 && h.abs_diff(want_h) <= 2;
        if width > BOX || height > BOX || !(near((width, height)) || near((height, width))) {
            return Err(format!(
                "{} is {width}×{height}, expected {want_w}×{want_h}",
                path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::image_photos::tests::{encoded, photo, scratch};
    use super::*;

    #[test]
    fn thumbnails_fit_the_box_and_keep_the_shape() {
        assert_eq!(expected_size(5120, 2880), (512, 288));
        assert_eq!(expected_size(1080, 1920), (288, 512));
        assert_eq!(expected_size(300, 200), (300, 200));
    }

    #[test]
    fn the_output_check_wants_one_right_sized_jpeg_per_photo() {
        let out = scratch("check");
        let photos = [photo("in/a.jpg", 5120, 2880), photo("in/b.png", 1080, 1920)];
        std::fs::write(out.join("a.jpg"), encoded(512, 288, ImageFormat::Jpeg)).unwrap();
        // A missing thumbnail.
        let missing = check_output(&out, &photos);
        // Turned upright (sides swapped): still right.
        std::fs::write(out.join("b.jpg"), encoded(512, 288, ImageFormat::Jpeg)).unwrap();
        let swapped = check_output(&out, &photos);
        // The wrong size, and a PNG named .jpg.
        std::fs::write(out.join("b.jpg"), encoded(100, 100, ImageFormat::Jpeg)).unwrap();
        let wrong_size = check_output(&out, &photos);
        std::fs::write(out.join("b.jpg"), encoded(288, 512, ImageFormat::Png)).unwrap();
        let not_jpeg = check_output(&out, &photos);
        std::fs::remove_dir_all(&out).unwrap();
        assert_eq!(missing.unwrap_err(), "made 1 JPEGs from 2 images");
        assert_eq!(swapped, Ok(()));
        assert!(
            wrong_size
                .unwrap_err()
                .ends_with("is 100×100, expected 288×512")
        );
        assert!(not_jpeg.unwrap_err().ends_with("is not a JPEG"));
    }

    #[test]
    fn shown_commands_name_the_cores_and_the_box() {
        assert_eq!(
            shown_command(Tool::OursRayon, 4),
            "image-processor --input IN --output OUT --resize 512x512 --quality 85 --jobs 4 --json"
        );
        assert!(shown_command(Tool::Vips, 2).starts_with("VIPS_CONCURRENCY=1 vipsthumbnail"));
    }
}
