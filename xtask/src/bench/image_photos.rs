//! The input of `cargo xtask bench image-processor`: real photographs,
//! gathered from a folder at any depth into one flat folder that every row
//! reads, with their formats and sizes (read from the headers by the
//! `image` crate, nothing decoded).
//!
//! By default the wallpapers of the Debian/Ubuntu package
//! `plasma-workspace-wallpapers` in `/usr/share/wallpapers` (photographs and
//! renders, JPEG and PNG), or any folder given with `--photos DIR`; images
//! of 2 to 20 megapixels are taken from it. Without such a folder,
//! `image-processor generate` makes synthetic ones, and the page says so.

use super::files::walk;
use anyhow::{Context, Result, bail};
use image::ImageFormat;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Photos smaller than this are left out: a thumbnail of a small image says
/// little about decoding speed, and "2–20 megapixels" is what cameras and
/// phones produce.
const MIN_PIXELS: u64 = 2_000_000;
const MAX_PIXELS: u64 = 20_000_000;
/// Synthetic images made when there is no photo folder.
const GENERATED: usize = 100;
/// Where `plasma-workspace-wallpapers` installs its pictures.
pub const DEFAULT_PHOTOS: &str = "/usr/share/wallpapers";

/// An image's format and pixel size, read from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

impl Size {
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// The format and size of the JPEG or PNG in `path`, or `None` for
/// anything else. The format is judged by the file's first bytes, never by
/// its name (a PNG saved as `.jpg` is a PNG); only the header is decoded.
pub fn probe(path: &Path) -> Option<Size> {
    let file = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    let reader = image::ImageReader::new(file).with_guessed_format().ok()?;
    let format = reader
        .format()
        .filter(|f| matches!(f, ImageFormat::Jpeg | ImageFormat::Png))?;
    let (width, height) = reader.into_dimensions().ok()?;
    (width > 0 && height > 0).then_some(Size {
        format,
        width,
        height,
    })
}

/// One input image, in the flat folder every row reads.
#[derive(Debug, Clone)]
pub struct Photo {
    pub path: PathBuf,
    pub size: Size,
}

impl Photo {
    /// The file name without its extension: every tool names the thumbnail
    /// `<stem>.jpg`.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
    }
}

/// What the page says about the input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSummary {
    /// The folder the images came from.
    pub source: String,
    /// Made by `image-processor generate`, for want of a photo folder.
    pub synthetic: bool,
    pub count: usize,
    pub jpeg: usize,
    pub png: usize,
    pub total_megapixels: f64,
    pub smallest_megapixels: f64,
    pub largest_megapixels: f64,
}

impl InputSummary {
    pub fn of(source: String, synthetic: bool, photos: &[Photo]) -> Self {
        let mp = |p: &Photo| p.size.pixels() as f64 / 1e6;
        let count = |format| photos.iter().filter(|p| p.size.format == format).count();
        InputSummary {
            source,
            synthetic,
            count: photos.len(),
            jpeg: count(ImageFormat::Jpeg),
            png: count(ImageFormat::Png),
            total_megapixels: photos.iter().map(mp).sum(),
            smallest_megapixels: photos.iter().map(mp).fold(f64::INFINITY, f64::min),
            largest_megapixels: photos.iter().map(mp).fold(0.0, f64::max),
        }
    }
}

/// The images every row thumbnails, in the empty folder `input`: the photos
/// of `--photos` or of [`DEFAULT_PHOTOS`], or, when neither exists, the
/// synthetic images of `image-processor generate` (`exe`).
pub fn photos(
    given: Option<&Path>,
    exe: &Path,
    input: &Path,
) -> Result<(InputSummary, Vec<Photo>)> {
    // The photos, gathered into one flat folder that every row reads. The
    // first round may read them from disk, the later ones find them in the
    // page cache: one more reason to keep each row's best round.
    let source = given.map_or_else(|| PathBuf::from(DEFAULT_PHOTOS), Path::to_path_buf);
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
        let summary = InputSummary::of(source.display().to_string(), false, &photos);
        return Ok((summary, photos));
    }
    if given.is_some() {
        bail!("{} is not a folder", source.display());
    }
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
    let summary = InputSummary::of(DEFAULT_PHOTOS.into(), true, &photos);
    Ok((summary, photos))
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

/// Spread the photos over `n` lists with about the same number of pixels
/// each: the largest first, each into the lightest list so far. A tool run
/// as n processes over fixed lists finishes when its slowest list does, so
/// this is the fairest a fixed split can be.
pub fn balanced_chunks(photos: &[Photo], n: usize) -> Vec<Vec<PathBuf>> {
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A real (black) image of the given size and format, encoded by the
    /// `image` crate: the probe must read what a real encoder writes.
    pub fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image::GrayImage::new(width, height)
            .write_to(&mut bytes, format)
            .unwrap();
        bytes.into_inner()
    }

    pub fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bench-image-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn probe_reads_the_format_from_the_bytes_and_the_size_from_the_header() {
        let dir = scratch("probe");
        std::fs::write(dir.join("a.png"), encoded(640, 480, ImageFormat::Png)).unwrap();
        std::fs::write(dir.join("b.jpg"), encoded(300, 200, ImageFormat::Jpeg)).unwrap();
        // Named as a JPEG, but a PNG; named as a JPEG, but text; a WebP.
        std::fs::write(dir.join("c.jpg"), encoded(20, 10, ImageFormat::Png)).unwrap();
        std::fs::write(dir.join("d.jpg"), b"not a picture").unwrap();
        std::fs::write(dir.join("e.png"), encoded(8, 8, ImageFormat::WebP)).unwrap();
        let sizes: Vec<Option<(ImageFormat, u32, u32)>> =
            ["a.png", "b.jpg", "c.jpg", "d.jpg", "e.png"]
                .iter()
                .map(|name| probe(&dir.join(name)).map(|s| (s.format, s.width, s.height)))
                .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            sizes,
            [
                Some((ImageFormat::Png, 640, 480)),
                Some((ImageFormat::Jpeg, 300, 200)),
                Some((ImageFormat::Png, 20, 10)),
                None,
                None,
            ]
        );
    }

    #[test]
    fn probe_reads_past_the_first_mib_when_the_metadata_is_that_long() {
        // 20 segments of 65,000 bytes of ICC profile (APP2) before the frame
        // header, spliced in right after the start-of-image marker.
        let jpeg = encoded(60, 40, ImageFormat::Jpeg);
        let mut bytes = jpeg[..2].to_vec();
        for _ in 0..20 {
            bytes.extend([0xFF, 0xE2]);
            bytes.extend(65_002u16.to_be_bytes());
            bytes.extend(std::iter::repeat_n(0u8, 65_000));
        }
        bytes.extend(&jpeg[2..]);
        let dir = scratch("probe-long");
        std::fs::write(dir.join("big.jpg"), bytes).unwrap();
        let size = probe(&dir.join("big.jpg"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(size.map(|s| (s.width, s.height)), Some((60, 40)));
    }

    #[test]
    fn gather_takes_each_photo_of_the_right_size_once() {
        let dir = scratch("gather");
        let (source, flat) = (dir.join("wallpapers"), dir.join("flat"));
        let images = source.join("Pic/contents/images");
        let tall = source.join("Tall/contents/images");
        for folder in [&images, &tall, &flat] {
            std::fs::create_dir_all(folder).unwrap();
        }
        let png = |w, h| encoded(w, h, ImageFormat::Png);
        std::fs::write(images.join("2560x1600.png"), png(2560, 1600)).unwrap();
        // The same picture under a second name, as wallpaper packages do.
        std::os::unix::fs::symlink("2560x1600.png", images.join("640x480.png")).unwrap();
        std::fs::write(source.join("Pic/contents/screenshot.png"), png(2560, 1600)).unwrap();
        // Too small (1 megapixel), too large (25), and not an image.
        std::fs::write(tall.join("720x1440.png"), png(720, 1440)).unwrap();
        std::fs::write(tall.join("big.png"), png(6000, 4200)).unwrap();
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

    pub fn photo(name: &str, width: u32, height: u32) -> Photo {
        Photo {
            path: PathBuf::from(name),
            size: Size {
                format: ImageFormat::Jpeg,
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
    fn the_summary_counts_formats_and_megapixels() {
        let mut b = photo("b.png", 2560, 1600);
        b.size.format = ImageFormat::Png;
        let summary = InputSummary::of("dir".into(), false, &[photo("a.jpg", 5120, 2880), b]);
        assert_eq!((summary.count, summary.jpeg, summary.png), (2, 1, 1));
        assert!((summary.total_megapixels - 18.84).abs() < 0.01);
        assert!((summary.smallest_megapixels - 4.096).abs() < 0.001);
        assert!((summary.largest_megapixels - 14.7456).abs() < 0.001);
    }
}
