//! `cargo xtask bench image-processor`: thumbnailing a folder of real
//! photographs, ours against the tools people already use, in one run on
//! this machine; the table and a chart go to
//! `book/src/measured/image-processor.md` and `image-processor.svg`.
//!
//! Every row turns each photo into a JPEG (quality 85) that fits within
//! 512×512, with the same cores:
//! 1. `image-processor --jobs 1`: ours, one image at a time;
//! 2. `image-processor --jobs N`: ours, rayon, N = the cores available;
//! 3. `examples/image-processor/python/thumbnail.py`: Pillow in a
//!    multiprocessing pool of N processes (skipped without Pillow);
//! 4. `vipsthumbnail` (libvips), N processes side by side (skipped without it);
//! 5. ImageMagick's `mogrify`, N processes side by side (skipped without it).
//!
//! The photos: by default the wallpapers of the Debian/Ubuntu package
//! `plasma-workspace-wallpapers` in `/usr/share/wallpapers` (photographs and
//! renders, JPEG and PNG; those of 2 to 20 megapixels are used), or any folder given with
//! `--photos DIR`; images of 2 to 20 megapixels are taken from it, at any
//! depth. Without such a folder, `image-processor generate` makes synthetic
//! ones, and the page says so.
//!
//! A row counts only if it did the job: as many JPEGs out as images in, each
//! of the expected size. One that did not is reported as failed, not ranked.

use crate::bench::{machine, write_atomically};
use crate::bench_crawler::walk;
use crate::project::{self, Project};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

/// Every thumbnail fits within BOX × BOX pixels.
const BOX: u32 = 512;
/// JPEG quality of every thumbnail.
const QUALITY: u32 = 85;
/// Rounds of every row; each row keeps its best.
const RUNS: usize = 3;
/// Photos smaller than this are left out: a thumbnail of a small image says
/// little about decoding speed, and "2–20 megapixels" is what cameras and
/// phones produce.
const MIN_PIXELS: u64 = 2_000_000;
const MAX_PIXELS: u64 = 20_000_000;
/// Synthetic images made when there is no photo folder.
const GENERATED: usize = 100;
/// Where `plasma-workspace-wallpapers` installs its pictures.
const DEFAULT_PHOTOS: &str = "/usr/share/wallpapers";

/// The container formats the header parser knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
}

/// An image's format and pixel size, read from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Size {
    format: Format,
    width: u32,
    height: u32,
}

impl Size {
    fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// The format and size of a PNG or JPEG from its first bytes, without
/// decoding it: enough to pick photos by megapixels and to check the
/// thumbnails, with no image library in the tooling.
fn image_size(bytes: &[u8]) -> Option<Size> {
    png_size(bytes)
        .map(|(width, height)| Size {
            format: Format::Png,
            width,
            height,
        })
        .or_else(|| {
            jpeg_size(bytes).map(|(width, height)| Size {
                format: Format::Jpeg,
                width,
                height,
            })
        })
}

/// A PNG starts with an 8-byte signature, and its first chunk must be IHDR:
/// length (4 bytes), "IHDR", then width and height, big-endian.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) || bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
    let height = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
    (width > 0 && height > 0).then_some((width, height))
}

/// A JPEG is a string of segments, each a marker (0xFF, code) and, for most
/// codes, a 2-byte length that counts itself. The size is in the frame
/// header (SOFn), which comes after the metadata segments (EXIF, ICC
/// profiles…) and before the first scan.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        // A marker may be padded with any number of extra 0xFF bytes.
        while *bytes.get(at)? == 0xFF {
            at += 1;
        }
        let code = bytes[at];
        at += 1;
        match code {
            // Markers that stand alone, with no length: SOI, TEM, RST0–7.
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            // The end of the image, or a scan, before any frame header.
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        if length < 2 {
            return None;
        }
        // SOF0–SOF15, except the three codes in that range that are not
        // frame headers: DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&code) && !matches!(code, 0xC4 | 0xC8 | 0xCC) {
            // length (2), sample precision (1), height (2), width (2).
            let height = u16::from_be_bytes([*bytes.get(at + 3)?, *bytes.get(at + 4)?]);
            let width = u16::from_be_bytes([*bytes.get(at + 5)?, *bytes.get(at + 6)?]);
            // A height of 0 means "given later, after the first scan" (DNL),
            // which no camera writes; such a file is not measured.
            return (width > 0 && height > 0).then_some((u32::from(width), u32::from(height)));
        }
        at += length;
    }
}

/// The size of the image in `path`. The first MiB holds the header of any
/// ordinary file; a JPEG with more metadata than that in front of its frame
/// header is read whole.
fn probe(path: &Path) -> Option<Size> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_end(&mut head)
        .ok()?;
    image_size(&head).or_else(|| {
        let len = std::fs::metadata(path).ok()?.len();
        if len > head.len() as u64 {
            image_size(&std::fs::read(path).ok()?)
        } else {
            None
        }
    })
}

/// One input image, in the flat folder every row reads.
#[derive(Debug, Clone)]
struct Photo {
    path: PathBuf,
    size: Size,
}

impl Photo {
    /// The file name without its extension: every tool names the thumbnail
    /// `<stem>.jpg`.
    fn stem(&self) -> String {
        self.path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
    }
}

/// What the page says about the input.
#[derive(Debug, Clone, PartialEq)]
struct InputSummary {
    /// The folder the images came from.
    source: String,
    /// Made by `image-processor generate`, for want of a photo folder.
    synthetic: bool,
    count: usize,
    jpeg: usize,
    png: usize,
    total_megapixels: f64,
    smallest_megapixels: f64,
    largest_megapixels: f64,
}

impl InputSummary {
    fn of(source: String, synthetic: bool, photos: &[Photo]) -> Self {
        let mp = |p: &Photo| p.size.pixels() as f64 / 1e6;
        InputSummary {
            source,
            synthetic,
            count: photos.len(),
            jpeg: photos
                .iter()
                .filter(|p| p.size.format == Format::Jpeg)
                .count(),
            png: photos
                .iter()
                .filter(|p| p.size.format == Format::Png)
                .count(),
            total_megapixels: photos.iter().map(mp).sum(),
            smallest_megapixels: photos.iter().map(mp).fold(f64::INFINITY, f64::min),
            largest_megapixels: photos.iter().map(mp).fold(0.0, f64::max),
        }
    }
}

/// A flat, unique, shell- and tool-safe file name for `relative` (a path
/// under the photo folder): its folders joined with `-`, leaving out the
/// `contents` and `images` levels of a KDE wallpaper package, so that
/// `Autumn/contents/images/2560x1600.jpg` becomes `Autumn-2560x1600.jpg`.
/// Anything but letters, digits, `.`, `-` and `_` becomes `_`: vipsthumbnail
/// would read `[…]` in a name as load options, and a space is a trap in any
/// command line. `taken` holds the stems used so far (the thumbnails are
/// named by stem, so two inputs must never share one).
fn flat_name(relative: &Path, taken: &mut BTreeSet<String>) -> String {
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Some((file, folders)) = parts.split_last() else {
        return String::new();
    };
    let (stem, extension) = match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, ext.to_ascii_lowercase()),
        _ => (file.as_str(), String::new()),
    };
    let mut name: Vec<&str> = folders
        .iter()
        .map(String::as_str)
        .filter(|f| !matches!(*f, "contents" | "images"))
        .collect();
    name.push(stem);
    let safe: String = name
        .join("-")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut unique = safe.clone();
    let mut n = 2;
    while !taken.insert(unique.clone()) {
        unique = format!("{safe}-{n}");
        n += 1;
    }
    if extension.is_empty() {
        unique
    } else {
        format!("{unique}.{extension}")
    }
}

/// Every JPEG and PNG under `source` (at any depth) of 2–20 megapixels,
/// hard-linked (or, across file systems, copied) into the empty folder
/// `flat` under a unique name. Preview images (`screenshot.*`) are left out.
fn gather(source: &Path, flat: &Path) -> Result<Vec<Photo>> {
    let is_candidate = |p: &Path| {
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png"))
            && p.file_stem().is_none_or(|s| s != "screenshot")
    };
    // Each file once, by the path it really has. A wallpaper package offers
    // one picture under many names (640x480.jpg, 1920x1080.jpg… are
    // symlinks to the one real file), which would otherwise be thumbnailed
    // many times over; and a hard link to a relative symlink would point at
    // nothing once in the flat folder. A set also sorts them, so the names
    // (and the split of the multi-process rows) are the same in every run.
    let real: BTreeSet<PathBuf> = walk(source)
        .into_iter()
        .filter(|p| is_candidate(p))
        .filter_map(|p| p.canonicalize().ok())
        .filter(|p| is_candidate(p))
        .collect();
    let root = source
        .canonicalize()
        .unwrap_or_else(|_| source.to_path_buf());
    let mut taken = BTreeSet::new();
    let mut photos = Vec::new();
    for path in real {
        let Some(size) = probe(&path) else {
            continue;
        };
        if !(MIN_PIXELS..=MAX_PIXELS).contains(&size.pixels()) {
            continue;
        }
        // A link may lead out of the folder: then only the file name says
        // what it is.
        let relative = path
            .strip_prefix(&root)
            .ok()
            .or_else(|| path.file_name().map(Path::new))
            .unwrap_or(&path);
        let target = flat.join(flat_name(relative, &mut taken));
        if std::fs::hard_link(&path, &target).is_err() {
            std::fs::copy(&path, &target)
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
        photos.push(Photo { path: target, size });
    }
    Ok(photos)
}

/// Spread the photos over `n` lists with about the same number of pixels
/// each: the largest first, each into the lightest list so far. A tool run
/// as n processes over fixed lists finishes when its slowest list does, so
/// this is the fairest a fixed split can be.
fn balanced_chunks(photos: &[Photo], n: usize) -> Vec<Vec<PathBuf>> {
    let mut by_size: Vec<&Photo> = photos.iter().collect();
    by_size.sort_by_key(|p| std::cmp::Reverse(p.size.pixels()));
    let mut chunks: Vec<(u64, Vec<PathBuf>)> = vec![(0, Vec::new()); n.max(1)];
    for photo in by_size {
        let lightest = chunks
            .iter_mut()
            .min_by_key(|(pixels, _)| *pixels)
            .expect("at least one chunk");
        lightest.0 += photo.size.pixels();
        lightest.1.push(photo.path.clone());
    }
    chunks
        .into_iter()
        .map(|(_, files)| files)
        .filter(|files| !files.is_empty())
        .collect()
}

/// The rows of the table, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    OursSequential,
    OursRayon,
    Pillow,
    Vips,
    Magick,
}

impl Tool {
    /// The name the verdict uses.
    fn short(self) -> &'static str {
        match self {
            Tool::OursSequential => "ours, sequential",
            Tool::OursRayon => "ours with rayon",
            Tool::Pillow => "Pillow + multiprocessing",
            Tool::Vips => "vipsthumbnail",
            Tool::Magick => "ImageMagick",
        }
    }
}

/// What one row achieved in its best round.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Measured {
    wall_s: f64,
    /// CPU time of the row's processes and everything they started.
    cpu_s: f64,
    /// The largest resident set of any one of the row's processes.
    peak_bytes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Measured(Measured),
    /// Not run: the tool is missing (the reason says how to get it).
    Skipped(String),
    /// Ran, and failed or made the wrong output: not ranked.
    Failed(String),
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    tool: Tool,
    /// The name shown in the table, with the tool's version.
    name: String,
    /// The command line, as the page shows it.
    command: String,
    outcome: Outcome,
}

/// What the rows need to build their command lines.
struct Setup {
    exe: PathBuf,
    python: PathBuf,
    /// The program (and subcommand) to run as `mogrify`: `["magick",
    /// "mogrify"]` for ImageMagick 7, `["/usr/bin/mogrify"]` for 6.
    mogrify: Vec<OsString>,
    cores: usize,
}

/// The processes one round of `tool` runs side by side.
fn commands(tool: Tool, setup: &Setup, photos: &[Photo], input: &Path, out: &Path) -> Vec<Command> {
    let size = format!("{BOX}x{BOX}");
    let ours = |jobs: usize| {
        let mut c = Command::new(&setup.exe);
        c.arg("--input").arg(input).arg("--output").arg(out);
        c.args(["--resize", &size, "--quality", &QUALITY.to_string()]);
        c.args(["--jobs", &jobs.to_string(), "--json"]);
        vec![c]
    };
    match tool {
        Tool::OursSequential => ours(1),
        Tool::OursRayon => ours(setup.cores),
        Tool::Pillow => {
            let mut c = Command::new("python3");
            c.arg(&setup.python);
            c.arg("--input").arg(input).arg("--output").arg(out);
            c.args(["--resize", &size, "--quality", &QUALITY.to_string()]);
            c.args(["--jobs", &setup.cores.to_string(), "--json"]);
            vec![c]
        }
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
fn shown_command(tool: Tool, cores: usize) -> String {
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

/// The first line a program prints for `args`, if it runs and succeeds.
fn first_line(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines().next().map(|l| l.trim().to_owned())
}

/// Pillow's version, or why the row is skipped.
fn pillow() -> Result<String, String> {
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
fn vips() -> Result<String, String> {
    first_line("vipsthumbnail", &["--vips-version"])
        .ok_or_else(|| "vipsthumbnail is not installed (`apt-get install libvips-tools`)".into())
}

/// A real ImageMagick `mogrify` and its version, or why the row is skipped.
///
/// Being on PATH proves nothing: a `convert` or `mogrify` can be a wrapper
/// or a stand-in that merely shares the name (this project's own CI image
/// has one). Only a program whose `-version` says "ImageMagick" is used, and
/// the usual install locations are tried as well as PATH.
fn magick() -> Result<(Vec<OsString>, String), String> {
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
        if let Some(line) = first_line(candidate[0], &args).filter(|l| l.contains("ImageMagick")) {
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

/// One finished process of a row.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Its peak resident set, with that of any children it waited for.
    max_rss_bytes: u64,
}

/// Wait for `child` with `wait4`, which (unlike `Child::wait`) also hands
/// back the child's resource usage: its own peak memory, where
/// `getrusage(RUSAGE_CHILDREN)` only has the largest of every child this
/// process ever had, so it could never go down from one row to the next.
fn wait_with_usage(child: &Child) -> std::io::Result<(ExitStatus, u64)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    loop {
        // SAFETY: `status` and `usage` are valid for writes; `pid` is our
        // own child, which nothing else waits for (std's `Child` only
        // waits when asked to, and it never is for these).
        let rc = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // SAFETY: wait4 returned the pid, so it filled in `usage`.
    let usage = unsafe { usage.assume_init() };
    // Linux reports ru_maxrss in KiB.
    let max_rss = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    Ok((ExitStatus::from_raw(status), max_rss))
}

/// Start every command at once and wait for all of them, collecting their
/// output (on threads, so that no child blocks on a full pipe).
fn run_side_by_side(commands: Vec<Command>) -> Result<Vec<Finished>, String> {
    let mut children = Vec::new();
    for mut command in commands {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match command.spawn() {
            Ok(child) => children.push(child),
            Err(e) => {
                for mut started in children {
                    let _ = started.kill();
                    let _ = started.wait();
                }
                return Err(format!("cannot start {:?}: {e}", command.get_program()));
            }
        }
    }
    std::thread::scope(|scope| {
        let waiting: Vec<_> = children
            .iter_mut()
            .map(|child| {
                let mut stdout = child.stdout.take().expect("piped");
                let mut stderr = child.stderr.take().expect("piped");
                let child = &*child;
                scope.spawn(move || {
                    let errors = std::thread::spawn(move || {
                        let mut bytes = Vec::new();
                        let _ = stderr.read_to_end(&mut bytes);
                        bytes
                    });
                    let mut out = Vec::new();
                    let _ = stdout.read_to_end(&mut out);
                    let err = errors.join().unwrap_or_default();
                    wait_with_usage(child).map(|(status, max_rss_bytes)| Finished {
                        status,
                        stdout: out,
                        stderr: err,
                        max_rss_bytes,
                    })
                })
            })
            .collect();
        waiting
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| "a waiting thread panicked".to_owned())?
                    .map_err(|e| format!("cannot wait for a process: {e}"))
            })
            .collect()
    })
}

/// The counts both our `--json` and thumbnail.py's print.
#[derive(Debug, Deserialize)]
struct Counts {
    images: usize,
    processed: usize,
    failed: usize,
}

/// One round of one row: a fresh, empty output folder, the row's processes,
/// then the check of what they made.
fn attempt(
    tool: Tool,
    setup: &Setup,
    photos: &[Photo],
    input: &Path,
    out: &Path,
) -> Result<Measured, String> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let commands = commands(tool, setup, photos, input, out);
    // The project's CPU lock, held for one round of one row (seconds): a
    // graded test measuring cores used, in this or another checkout, never
    // runs beside a round, so neither skews the other.
    let _cpu = harness::exclusive::cpu();
    let (finished, usage) = harness::cpu::measure_with_children(|| run_side_by_side(commands));
    let finished = finished?;
    for f in &finished {
        if !f.status.success() {
            let said = String::from_utf8_lossy(&f.stderr);
            let last = said
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(format!("exited with {}: {last}", f.status));
        }
    }
    if matches!(tool, Tool::OursSequential | Tool::OursRayon | Tool::Pillow) {
        let counts: Counts = serde_json::from_slice(&finished[0].stdout)
            .map_err(|e| format!("its --json output is unreadable: {e}"))?;
        if counts.images != photos.len() || counts.processed != photos.len() || counts.failed != 0 {
            return Err(format!(
                "it reports {} of {} images processed, {} failed ({} given)",
                counts.processed,
                counts.images,
                counts.failed,
                photos.len()
            ));
        }
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
        let bytes = std::fs::read(&path).map_err(|_| format!("made no {}", path.display()))?;
        let Some((width, height)) = jpeg_size(&bytes) else {
            return Err(format!("{} is not a JPEG", path.display()));
        };
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

/// The images every row thumbnails, in the empty folder `input`: the photos
/// of `--photos` or of [`DEFAULT_PHOTOS`], or, when neither exists, the
/// synthetic images of `image-processor generate`.
fn photos(
    args: &crate::bench::Args,
    exe: &Path,
    input: &Path,
) -> Result<(InputSummary, Vec<Photo>)> {
    // The photos, gathered into one flat folder that every row reads. The
    // first round may read them from disk, the later ones find them in the
    // page cache: one more reason to keep each row's best round.
    let source = args
        .photos
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PHOTOS));
    if source.is_dir() {
        eprintln!(
            "gathering photos of 2–20 megapixels from {}…",
            source.display()
        );
        let photos = gather(&source, input)?;
        if photos.is_empty() {
            bail!(
                "{} holds no JPEG or PNG of 2 to 20 megapixels; give another folder with --photos",
                source.display()
            );
        }
        Ok((
            InputSummary::of(source.display().to_string(), false, &photos),
            photos,
        ))
    } else if args.photos.is_some() {
        bail!("{} is not a folder", source.display());
    } else {
        eprintln!(
            "no photos in {DEFAULT_PHOTOS} (on Debian or Ubuntu: `apt-get install \
             plasma-workspace-wallpapers`, or give a folder with --photos DIR); using \
             {GENERATED} synthetic images from `image-processor generate` instead"
        );
        let status = Command::new(exe)
            .arg("generate")
            .arg("--output")
            .arg(input)
            .args(["--count", &GENERATED.to_string()])
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("cannot run {} generate", exe.display()))?;
        if !status.success() {
            bail!("`image-processor generate` failed ({status})");
        }
        // Generated images are used whatever their size: they are all there is.
        let mut photos: Vec<Photo> = walk(input)
            .into_iter()
            .filter_map(|path| probe(&path).map(|size| Photo { path, size }))
            .collect();
        photos.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((
            InputSummary::of(DEFAULT_PHOTOS.into(), true, &photos),
            photos,
        ))
    }
}

pub fn run(args: &crate::bench::Args) -> Result<()> {
    let project = Project::load()?;
    eprintln!("building image-processor (release)…");
    let built = project
        .cargo()
        .args(["build", "--release", "--package", "image-processor"])
        .status()?;
    if !built.success() {
        bail!("the release build of image-processor failed");
    }
    let exe = project.target_dir.join("release").join("image-processor");
    let scratch = project.target_dir.join("bench-image-processor");
    let _ = std::fs::remove_dir_all(&scratch);
    let input = scratch.join("photos");
    std::fs::create_dir_all(&input)?;

    let (summary, photos) = photos(args, &exe, &input)?;
    eprintln!(
        "{} images ({} JPEG, {} PNG), {:.0} megapixels in all",
        summary.count, summary.jpeg, summary.png, summary.total_megapixels
    );

    // Every row is started by this process and inherits its CPU affinity,
    // so every row gets the very same cores; N is how many there are.
    let cores = harness::cpu::available_cores();
    let magick = magick();
    let setup = Setup {
        exe,
        python: project::root().join("examples/image-processor/python/thumbnail.py"),
        mogrify: magick.as_ref().map(|(m, _)| m.clone()).unwrap_or_default(),
        cores,
    };
    let row = |tool: Tool, name: String, ready: Result<(), String>| Row {
        tool,
        name,
        command: shown_command(tool, cores),
        outcome: match ready {
            // Until round_robin replaces it with the row's figures.
            Ok(()) => Outcome::Failed("not run".into()),
            Err(reason) => Outcome::Skipped(reason),
        },
    };
    let pillow = pillow();
    let vips = vips();
    let mut rows = vec![
        row(
            Tool::OursSequential,
            "ours, sequential (`--jobs 1`)".into(),
            Ok(()),
        ),
        row(
            Tool::OursRayon,
            format!("ours, rayon (`--jobs {cores}`)"),
            Ok(()),
        ),
        row(
            Tool::Pillow,
            format!(
                "Pillow {} + multiprocessing, {cores} processes",
                pillow.as_deref().unwrap_or("")
            ),
            pillow.as_ref().map(|_| ()).map_err(Clone::clone),
        ),
        row(
            Tool::Vips,
            format!(
                "vipsthumbnail ({}), {cores} processes",
                vips.as_deref().unwrap_or("libvips")
            ),
            vips.as_ref().map(|_| ()).map_err(Clone::clone),
        ),
        row(
            Tool::Magick,
            format!(
                "{} mogrify, {cores} processes",
                magick.as_ref().map_or("ImageMagick", |(_, v)| v.as_str())
            ),
            magick.as_ref().map(|_| ()).map_err(Clone::clone),
        ),
    ];
    for r in &rows {
        if let Outcome::Skipped(reason) = &r.outcome {
            eprintln!("skipping {}: {reason}", r.tool.short());
        }
    }

    round_robin(&mut rows, &setup, &photos, &input, &scratch);

    println!("{}", text_table(&rows, summary.count));
    let machine = machine(cores, setup_uses_python(&rows));
    let page = render(&machine, &summary, cores, &rows);
    let dir = project::root().join("book/src/measured");
    std::fs::create_dir_all(&dir)?;
    write_atomically(
        &dir.join("image-processor.svg"),
        &chart(&rows, summary.count),
    )?;
    write_atomically(&dir.join("image-processor.md"), &page)?;
    println!(
        "wrote {} and image-processor.svg",
        dir.join("image-processor.md").display()
    );
    Ok(())
}

/// Measure every row that is not skipped [`RUNS`] times and keep its best
/// round, or the reason it failed.
fn round_robin(rows: &mut [Row], setup: &Setup, photos: &[Photo], input: &Path, scratch: &Path) {
    // Round-robin: every row once, then every row again. A slow spell of
    // the machine (another program, a hot CPU throttling) then hits every
    // row alike, and each row's best round is the one least disturbed.
    let mut best: Vec<Option<Measured>> = vec![None; rows.len()];
    let mut failed: Vec<Option<String>> = vec![None; rows.len()];
    for round in 1..=RUNS {
        for (i, r) in rows.iter().enumerate() {
            if matches!(r.outcome, Outcome::Skipped(_)) || failed[i].is_some() {
                continue;
            }
            let out = scratch.join(format!("out-{}", i + 1));
            eprint!("round {round}/{RUNS}: {}… ", r.tool.short());
            match attempt(r.tool, setup, photos, input, &out) {
                Ok(m) => {
                    eprintln!("{:.2} s", m.wall_s);
                    if best[i].is_none_or(|b| m.wall_s < b.wall_s) {
                        best[i] = Some(m);
                    }
                }
                Err(reason) => {
                    eprintln!("failed: {reason}");
                    failed[i] = Some(reason);
                }
            }
        }
    }
    for (i, r) in rows.iter_mut().enumerate() {
        if matches!(r.outcome, Outcome::Skipped(_)) {
            continue;
        }
        r.outcome = match (&failed[i], best[i]) {
            (Some(reason), _) => Outcome::Failed(reason.clone()),
            (None, Some(m)) => Outcome::Measured(m),
            (None, None) => Outcome::Failed("not run".into()),
        };
    }
}

/// Name Python's version on the machine line only when a Python row ran.
fn setup_uses_python(rows: &[Row]) -> bool {
    rows.iter()
        .any(|r| r.tool == Tool::Pillow && !matches!(r.outcome, Outcome::Skipped(_)))
}

/// The measured figures of a row, as the table cells show them:
/// (wall s, images/s, speed vs ours sequential, cores used, peak MB).
fn cells(row: &Row, images: usize, sequential: Option<f64>) -> Option<[String; 5]> {
    let Outcome::Measured(m) = &row.outcome else {
        return None;
    };
    Some([
        format!("{:.2}", m.wall_s),
        format!("{:.1}", images as f64 / m.wall_s),
        sequential.map_or("—".into(), |s| format!("{:.2}×", s / m.wall_s)),
        format!("{:.2}", m.cpu_s / m.wall_s),
        m.peak_bytes
            .map_or("—".into(), |b| format!("{:.0}", b as f64 / 1e6)),
    ])
}

/// Why a row has no figures, if it has none.
fn not_ranked(row: &Row) -> Option<String> {
    match &row.outcome {
        Outcome::Measured(_) => None,
        Outcome::Skipped(reason) => Some(format!("not measured: {reason}")),
        Outcome::Failed(reason) => Some(format!("failed, not ranked: {reason}")),
    }
}

fn sequential_wall(rows: &[Row]) -> Option<f64> {
    rows.iter().find_map(|r| match (&r.tool, &r.outcome) {
        (Tool::OursSequential, Outcome::Measured(m)) => Some(m.wall_s),
        _ => None,
    })
}

/// The table for the terminal.
fn text_table(rows: &[Row], images: usize) -> String {
    let sequential = sequential_wall(rows);
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = format!(
        "{:width$}  {:>7}  {:>8}  {:>10}  {:>5}  {:>7}\n",
        "row", "wall s", "images/s", "vs ours seq", "cores", "peak MB"
    );
    for row in rows {
        match cells(row, images, sequential) {
            Some([wall, rate, speed, cores, peak]) => {
                let _ = writeln!(
                    text,
                    "{:width$}  {wall:>7}  {rate:>8}  {speed:>10}  {cores:>5}  {peak:>7}",
                    row.name
                );
            }
            None => {
                let why = not_ranked(row).unwrap_or_default();
                let _ = writeln!(text, "{:width$}  {why}", row.name);
            }
        }
    }
    text
}

/// One sentence from the figures: did ours (rayon) beat Pillow and libvips
/// on wall time?
fn verdict(rows: &[Row]) -> String {
    let find = |tool: Tool| rows.iter().find(|r| r.tool == tool);
    let Some(Outcome::Measured(ours)) = find(Tool::OursRayon).map(|r| &r.outcome) else {
        return "**Verdict:** none: ours with rayon did not produce a correct result, so it \
                is not compared."
            .into();
    };
    let mut said = Vec::new();
    for tool in [Tool::Pillow, Tool::Vips] {
        let name = tool.short();
        said.push(match find(tool).map(|r| &r.outcome) {
            Some(Outcome::Measured(them)) if ours.wall_s < them.wall_s => format!(
                "beat {name} ({:.2} s: ours was {:.2}× as fast)",
                them.wall_s,
                them.wall_s / ours.wall_s
            ),
            Some(Outcome::Measured(them)) => format!(
                "did not beat {name} ({:.2} s: {:.2}× as fast as ours)",
                them.wall_s,
                ours.wall_s / them.wall_s
            ),
            _ => format!("could not be compared with {name} (not measured)"),
        });
    }
    format!(
        "**Verdict:** on wall time, ours with rayon ({:.2} s) {}.",
        ours.wall_s,
        said.join(" and ")
    )
}

/// The markdown page.
fn render(machine: &str, input: &InputSummary, cores: usize, rows: &[Row]) -> String {
    let mut page = String::new();
    let _ = writeln!(page, "# Measured: the image processor\n");
    // mdBook anchors: the chapter includes each part with
    // {{#include ../measured/image-processor.md:NAME}}.
    let _ = writeln!(page, "<!-- ANCHOR: machine -->");
    let _ = writeln!(
        page,
        "Generated by `cargo xtask bench image-processor` (release build) on {machine}. Every \
         figure was measured in that one run; run the command to replace them with your \
         machine's."
    );
    let _ = writeln!(page, "<!-- ANCHOR_END: machine -->\n");

    let _ = writeln!(page, "## The input\n");
    let _ = writeln!(page, "<!-- ANCHOR: input -->");
    if input.synthetic {
        let _ = writeln!(
            page,
            "**Synthetic images, not photographs:** there was no photo folder at `{}` (on \
             Debian or Ubuntu, `apt-get install plasma-workspace-wallpapers` puts real \
             photographs there; or give any folder with `--photos DIR`), so the input is the \
             {} images `image-processor generate` made: {} JPEG and {} PNG, {:.0} megapixels in \
             all ({:.1} to {:.1} each).",
            input.source,
            input.count,
            input.jpeg,
            input.png,
            input.total_megapixels,
            input.smallest_megapixels,
            input.largest_megapixels
        );
    } else {
        let _ = writeln!(
            page,
            "{} images from `{}`: {} JPEG and {} PNG, {:.0} megapixels in all ({:.1} to {:.1} \
             each). Every JPEG and PNG of 2 to 20 megapixels under the folder was taken, each file \
             once however many names link to it (preview `screenshot.*` files left out), and \
             gathered into one flat folder that every row reads.",
            input.count,
            input.source,
            input.jpeg,
            input.png,
            input.total_megapixels,
            input.smallest_megapixels,
            input.largest_megapixels
        );
    }
    let _ = writeln!(page, "<!-- ANCHOR_END: input -->\n");

    let _ = writeln!(page, "## Thumbnails within {BOX}×{BOX}\n");
    let _ = writeln!(page, "<!-- ANCHOR: table -->");
    let _ = writeln!(
        page,
        "Each row makes a JPEG (quality {QUALITY}) that fits within {BOX}×{BOX} from every \
         image, on the same {cores} cores; each ran {RUNS} times, round-robin, and keeps its \
         fastest round. A row counts only if it made one JPEG per image, each of the right \
         size. Cores used = CPU time ÷ wall time of the row's processes; peak MB = the largest \
         resident memory of any *one* of its processes (a row of {cores} processes can use up \
         to {cores} times that together).\n"
    );
    let _ = writeln!(
        page,
        "| row | wall (s) | images/s | speed vs ours sequential | cores used | peak MB |"
    );
    let _ = writeln!(page, "|---|---:|---:|---:|---:|---:|");
    let sequential = sequential_wall(rows);
    for row in rows {
        match cells(row, input.count, sequential) {
            Some([wall, rate, speed, cores_used, peak]) => {
                let _ = writeln!(
                    page,
                    "| {} | {wall} | {rate} | {speed} | {cores_used} | {peak} |",
                    row.name
                );
            }
            None => {
                let why = not_ranked(row).unwrap_or_default().replace('|', "\\|");
                let _ = writeln!(page, "| {} | {why} | | | | |", row.name);
            }
        }
    }
    let _ = writeln!(page, "\n{}", verdict(rows));
    let _ = writeln!(page, "<!-- ANCHOR_END: table -->\n");

    let _ = writeln!(page, "## Images per second\n");
    let _ = writeln!(page, "<!-- ANCHOR: chart -->");
    let _ = writeln!(
        page,
        "![images per second, by row](../measured/image-processor.svg)"
    );
    let _ = writeln!(page, "<!-- ANCHOR_END: chart -->\n");

    let _ = writeln!(page, "## The commands\n");
    let _ = writeln!(page, "<!-- ANCHOR: commands -->");
    let _ = writeln!(
        page,
        "IN is the flat folder of images, OUT a fresh, empty folder in every round. \
         vipsthumbnail and mogrify take a list of files and work through it one at a time, so \
         they run as {cores} processes started together, each on its own list (FILES); the \
         lists hold about equal numbers of pixels. A fixed split can \
         leave one process finishing before the other: the cores-used column shows how \
         much.\n"
    );
    for row in rows {
        let _ = writeln!(page, "- {}: `{}`", row.tool.short(), row.command);
    }
    let _ = writeln!(page, "<!-- ANCHOR_END: commands -->");
    page
}

/// Escape text for SVG.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A horizontal bar chart of images per second, one bar per measured row;
/// ours in orange, the others in blue. Rows without figures are named with
/// no bar.
fn chart(rows: &[Row], images: usize) -> String {
    let (w, left, right, top, bar, gap) = (720.0, 290.0, 70.0, 40.0, 22.0, 12.0);
    let h = top + rows.len() as f64 * (bar + gap) + 30.0;
    let rate = |r: &Row| match &r.outcome {
        Outcome::Measured(m) if m.wall_s > 0.0 => Some(images as f64 / m.wall_s),
        _ => None,
    };
    let max = rows
        .iter()
        .filter_map(rate)
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let mut svg = crate::bench::svg_start(
        w,
        h,
        &format!("thumbnails per second ({BOX}×{BOX}, JPEG q{QUALITY}): longer is faster"),
        22.0,
    );
    let _ = writeln!(
        svg,
        r#"<line x1="{left}" y1="{}" x2="{left}" y2="{}" stroke="black"/>"#,
        top - 6.0,
        h - 24.0
    );
    for (i, row) in rows.iter().enumerate() {
        let y = top + i as f64 * (bar + gap);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + bar / 2.0 + 4.0,
            xml(&row.name.replace('`', ""))
        );
        match rate(row) {
            Some(r) => {
                let length = r / max * (w - left - right);
                let color = if matches!(row.tool, Tool::OursSequential | Tool::OursRayon) {
                    "#e6550d"
                } else {
                    "#3182bd"
                };
                let _ = writeln!(
                    svg,
                    r#"<rect x="{left}" y="{y:.1}" width="{length:.1}" height="{bar}" fill="{color}"/>"#
                );
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}">{r:.1}</text>"#,
                    left + length + 6.0,
                    y + bar / 2.0 + 4.0
                );
            }
            None => {
                let _ = writeln!(
                    svg,
                    r##"<text x="{}" y="{:.1}" fill="#888">{}</text>"##,
                    left + 6.0,
                    y + bar / 2.0 + 4.0,
                    if matches!(row.outcome, Outcome::Skipped(_)) {
                        "not measured"
                    } else {
                        "failed"
                    }
                );
            }
        }
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">images per second, best of {RUNS} rounds</text>"#,
        (left + w - right) / 2.0,
        h - 8.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes of a PNG of the given size.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 2, 0, 0, 0]);
        bytes
    }

    /// A segment: marker, length (counting itself), payload.
    fn segment(code: u8, payload: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0xFF, code];
        bytes.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        bytes.extend(payload);
        bytes
    }

    /// A frame header's payload: 8-bit samples, height, width, 3 components.
    fn frame(width: u16, height: u16) -> Vec<u8> {
        let mut payload = vec![8];
        payload.extend(height.to_be_bytes());
        payload.extend(width.to_be_bytes());
        payload.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        payload
    }

    fn jpeg(segments: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8];
        for s in segments {
            bytes.extend(s);
        }
        bytes.extend([0xFF, 0xD9]);
        bytes
    }

    #[test]
    fn a_png_size_comes_from_its_ihdr() {
        assert_eq!(
            image_size(&png(5120, 2880)),
            Some(Size {
                format: Format::Png,
                width: 5120,
                height: 2880
            })
        );
        // Cut short, or not a PNG at all.
        assert_eq!(image_size(&png(5120, 2880)[..20]), None);
        assert_eq!(png_size(b"GIF89a\x01\x00\x01\x00"), None);
        assert_eq!(png_size(&png(0, 10)), None);
    }

    #[test]
    fn a_jpeg_size_comes_from_its_frame_header_after_the_metadata() {
        let exif = segment(0xE1, &[b'E'; 3000]);
        let tables = segment(0xDB, &[0; 65]);
        let huffman = segment(0xC4, &[0; 30]);
        let baseline = jpeg(&[
            segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
            exif.clone(),
            tables.clone(),
            segment(0xC0, &frame(4032, 3024)),
        ]);
        assert_eq!(
            image_size(&baseline),
            Some(Size {
                format: Format::Jpeg,
                width: 4032,
                height: 3024
            })
        );
        // A Huffman table (C4) sits among the frame codes but is no frame;
        // a progressive frame (C2) is one.
        let progressive = jpeg(&[huffman, segment(0xC2, &frame(2560, 1600))]);
        assert_eq!(jpeg_size(&progressive), Some((2560, 1600)));
        // Fill bytes before a marker are allowed.
        let mut padded = vec![0xFF, 0xD8, 0xFF, 0xFF, 0xFF];
        padded.extend(&segment(0xC1, &frame(640, 480))[1..]);
        assert_eq!(jpeg_size(&padded), Some((640, 480)));
    }

    #[test]
    fn a_jpeg_without_a_readable_frame_header_has_no_size() {
        let exif = segment(0xE1, &[0; 100]);
        // A scan before any frame header.
        assert_eq!(
            jpeg_size(&jpeg(&[exif.clone(), segment(0xDA, &[0; 10])])),
            None
        );
        // Cut short inside the metadata, and a broken segment length.
        let whole = jpeg(&[exif.clone(), segment(0xC0, &frame(10, 10))]);
        assert_eq!(jpeg_size(&whole[..50]), None);
        assert_eq!(jpeg_size(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 0]), None);
        // Not a JPEG, and a height left for later (DNL).
        assert_eq!(jpeg_size(b"hello"), None);
        assert_eq!(jpeg_size(&jpeg(&[segment(0xC0, &frame(10, 0))])), None);
    }

    #[test]
    fn probe_reads_past_the_first_mib_when_the_metadata_is_that_long() {
        let dir = std::env::temp_dir().join(format!("bench-image-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut segments: Vec<Vec<u8>> = (0..20).map(|_| segment(0xE2, &[0; 65_000])).collect();
        segments.push(segment(0xC0, &frame(6000, 4000)));
        let path = dir.join("big.jpg");
        std::fs::write(&path, jpeg(&segments)).unwrap();
        let size = probe(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(size.map(|s| (s.width, s.height)), Some((6000, 4000)));
    }

    #[test]
    fn gather_takes_each_photo_of_the_right_size_once() {
        let dir = std::env::temp_dir().join(format!("bench-image-gather-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (source, flat) = (dir.join("wallpapers"), dir.join("flat"));
        let images = source.join("Pic/contents/images");
        std::fs::create_dir_all(&images).unwrap();
        std::fs::create_dir_all(source.join("Tall/contents/images")).unwrap();
        std::fs::create_dir_all(&flat).unwrap();
        std::fs::write(images.join("2560x1600.png"), png(2560, 1600)).unwrap();
        // The same picture under a second name, as wallpaper packages do.
        std::os::unix::fs::symlink("2560x1600.png", images.join("640x480.png")).unwrap();
        std::fs::write(source.join("Pic/contents/screenshot.png"), png(2560, 1600)).unwrap();
        // Too small (1 megapixel), too large (25), and not an image.
        std::fs::write(
            source.join("Tall/contents/images/720x1440.png"),
            png(720, 1440),
        )
        .unwrap();
        let big = jpeg(&[segment(0xC0, &frame(6000, 4200))]);
        std::fs::write(source.join("Tall/contents/images/big.jpg"), big).unwrap();
        std::fs::write(source.join("Pic/notes.jpg"), b"not a picture").unwrap();

        let photos = gather(&source, &flat).unwrap();
        let names: Vec<String> = photos
            .iter()
            .map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let linked_is_a_file = std::fs::symlink_metadata(flat.join("Pic-2560x1600.png"))
            .is_ok_and(|m| m.file_type().is_file());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(names, ["Pic-2560x1600.png"]);
        assert_eq!((photos[0].size.width, photos[0].size.height), (2560, 1600));
        assert!(linked_is_a_file, "a file, not a link that points nowhere");
    }

    #[test]
    fn flat_names_are_unique_and_safe() {
        let mut taken = BTreeSet::new();
        let mut name = |p: &str| flat_name(Path::new(p), &mut taken);
        assert_eq!(
            name("Autumn/contents/images/2560x1600.jpg"),
            "Autumn-2560x1600.jpg"
        );
        assert_eq!(
            name("Kay/contents/images_dark/5120x2880.PNG"),
            "Kay-images_dark-5120x2880.png"
        );
        // Same stem as the first: the thumbnails would collide.
        assert_eq!(
            name("Autumn/contents/images/2560x1600.png"),
            "Autumn-2560x1600-2.png"
        );
        assert_eq!(
            name("My trip [2024]/IMG 1.jpeg"),
            "My_trip__2024_-IMG_1.jpeg"
        );
    }

    fn photo(name: &str, width: u32, height: u32) -> Photo {
        Photo {
            path: PathBuf::from(name),
            size: Size {
                format: Format::Jpeg,
                width,
                height,
            },
        }
    }

    #[test]
    fn chunks_hold_about_the_same_number_of_pixels() {
        let photos = [
            photo("a", 5000, 3000),
            photo("b", 2000, 1000),
            photo("c", 3000, 2000),
            photo("d", 4000, 2500),
            photo("e", 2000, 1000),
        ];
        let chunks = balanced_chunks(&photos, 2);
        let pixels = |chunk: &[PathBuf]| -> u64 {
            chunk
                .iter()
                .map(|p| photos.iter().find(|q| &q.path == p).unwrap().size.pixels())
                .sum()
        };
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 5);
        // 15 + 2 and 10 + 6 + 2 megapixels: as even as these five allow.
        assert_eq!(pixels(&chunks[0]), 17_000_000);
        assert_eq!(pixels(&chunks[1]), 18_000_000);
        // More workers than photos: no empty process.
        assert_eq!(balanced_chunks(&photos[..1], 4).len(), 1);
    }

    #[test]
    fn thumbnails_fit_the_box_and_keep_the_shape() {
        assert_eq!(expected_size(5120, 2880), (512, 288));
        assert_eq!(expected_size(1080, 1920), (288, 512));
        assert_eq!(expected_size(300, 200), (300, 200));
    }

    fn measured(wall_s: f64, cpu_s: f64, peak_mb: u64) -> Outcome {
        Outcome::Measured(Measured {
            wall_s,
            cpu_s,
            peak_bytes: Some(peak_mb * 1_000_000),
        })
    }

    fn rows() -> Vec<Row> {
        let row = |tool: Tool, name: &str, outcome: Outcome| Row {
            tool,
            name: name.into(),
            command: shown_command(tool, 2),
            outcome,
        };
        vec![
            row(
                Tool::OursSequential,
                "ours, sequential",
                measured(10.0, 9.9, 80),
            ),
            row(Tool::OursRayon, "ours, rayon", measured(5.0, 9.8, 120)),
            row(
                Tool::Pillow,
                "Pillow 13.0.0 + multiprocessing",
                measured(8.0, 15.0, 60),
            ),
            row(
                Tool::Vips,
                "vipsthumbnail (libvips 8.14.1)",
                measured(4.0, 7.5, 50),
            ),
            row(
                Tool::Magick,
                "ImageMagick mogrify",
                Outcome::Skipped(
                    "ImageMagick is not installed (`apt-get install imagemagick`)".into(),
                ),
            ),
        ]
    }

    fn input() -> InputSummary {
        InputSummary::of(
            "/usr/share/wallpapers".into(),
            false,
            &[photo("a.jpg", 5120, 2880), {
                let mut p = photo("b.png", 2560, 1600);
                p.size.format = Format::Png;
                p
            }],
        )
    }

    #[test]
    fn the_page_has_the_anchors_the_input_and_a_ranked_table() {
        let page = render("a 2-core test machine", &input(), 2, &rows());
        for anchor in ["machine", "input", "table", "chart", "commands"] {
            assert!(
                page.contains(&format!("<!-- ANCHOR: {anchor} -->"))
                    && page.contains(&format!("<!-- ANCHOR_END: {anchor} -->")),
                "anchor {anchor}"
            );
        }
        assert!(page.contains("on a 2-core test machine."));
        assert!(page.contains("2 images from `/usr/share/wallpapers`: 1 JPEG and 1 PNG, 19 megapixels in all (4.1 to 14.7 each)"));
        // wall, images/s (2 images), speed vs sequential, cores, peak MB.
        assert!(page.contains("| ours, sequential | 10.00 | 0.2 | 1.00× | 0.99 | 80 |"));
        assert!(page.contains("| ours, rayon | 5.00 | 0.4 | 2.00× | 1.96 | 120 |"));
        assert!(
            page.contains("| vipsthumbnail (libvips 8.14.1) | 4.00 | 0.5 | 2.50× | 1.88 | 50 |")
        );
        assert!(page.contains(
            "| ImageMagick mogrify | not measured: ImageMagick is not installed (`apt-get install imagemagick`) | | | | |"
        ));
        assert!(page.contains("![images per second, by row](../measured/image-processor.svg)"));
        assert!(page.contains("`image-processor --input IN --output OUT --resize 512x512 --quality 85 --jobs 2 --json`"));
        assert!(!page.contains("Synthetic"));
    }

    #[test]
    fn the_verdict_is_read_from_the_figures() {
        let page = render("m", &input(), 2, &rows());
        assert!(page.contains(
            "**Verdict:** on wall time, ours with rayon (5.00 s) beat Pillow + multiprocessing \
             (8.00 s: ours was 1.60× as fast) and did not beat vipsthumbnail (4.00 s: 1.25× as \
             fast as ours)."
        ));
        let mut rows = rows();
        rows[2].outcome = Outcome::Failed("made 1 JPEGs from 2 images".into());
        rows[3].outcome = measured(6.0, 6.0, 50);
        let v = verdict(&rows);
        assert!(
            v.contains("beat vipsthumbnail (6.00 s: ours was 1.20× as fast)"),
            "{v}"
        );
        assert!(
            v.contains("could not be compared with Pillow + multiprocessing"),
            "{v}"
        );
        rows[1].outcome = Outcome::Failed("exited with exit status: 1".into());
        assert!(verdict(&rows).contains("none"));
    }

    #[test]
    fn a_failed_row_is_shown_but_not_ranked() {
        let mut rows = rows();
        rows[0].outcome = Outcome::Failed("a | b".into());
        let page = render("m", &input(), 2, &rows);
        assert!(page.contains("| ours, sequential | failed, not ranked: a \\| b | | | | |"));
        // No sequential figure, so no speed-up to show.
        assert!(page.contains("| ours, rayon | 5.00 | 0.4 | — | 1.96 | 120 |"));
        let text = text_table(&rows, 2);
        assert!(text.contains("failed, not ranked: a | b"));
        let svg = chart(&rows, 2);
        assert!(svg.contains(">failed</text>") && svg.contains(">not measured</text>"));
        assert_eq!(svg.matches("<rect").count(), 1 + 3, "background + 3 bars");
    }

    #[test]
    fn a_synthetic_input_says_so() {
        let mut input = input();
        input.synthetic = true;
        let page = render("m", &input, 2, &rows());
        assert!(page.contains("**Synthetic images, not photographs:**"));
        assert!(page.contains("apt-get install plasma-workspace-wallpapers"));
    }
}
