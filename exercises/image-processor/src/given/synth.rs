//! Deterministic, photo-like test images, made on the spot.
//!
//! The demo, the tests and the fallback benchmark need folders of images
//! at real photo sizes, and the repository must not carry megabytes of
//! binaries. So they are drawn from a seed: a sky gradient, a few rolling
//! hills, soft blobs of colour and fine grain. The grain matters: a JPEG
//! of a smooth gradient is tiny and decodes unrealistically fast, while
//! grain gives every 8×8 block real detail to encode, as in a photo.
//!
//! The same seed always gives the same pixels, so the tests can compare
//! outputs byte for byte across runs and strategies.

use image::{ImageBuffer, RgbImage};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A small, fast, deterministic hash of a few integers (SplitMix64's
/// finaliser): the source of every "random" choice here.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn unit(seed: u64, i: u64) -> f32 {
    (mix(seed ^ mix(i)) >> 40) as f32 / (1u64 << 24) as f32
}

/// A `width` × `height` photo-like RGB image for `seed`.
pub fn photo(width: u32, height: u32, seed: u64) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let sky_top = [0.25 + 0.5 * unit(seed, 1), 0.45 + 0.3 * unit(seed, 2), 0.9];
    let ground = [0.2 + 0.3 * unit(seed, 3), 0.35 + 0.3 * unit(seed, 4), 0.15];
    let hills: Vec<[f32; 3]> = (0..3)
        .map(|i| {
            let i = 10 + 3 * i;
            [
                0.45 + 0.25 * unit(seed, i),
                4.0 + 10.0 * unit(seed, i + 1),
                std::f32::consts::TAU * unit(seed, i + 2),
            ]
        })
        .collect();
    let blobs: Vec<[f32; 6]> = (0..6)
        .map(|i| {
            let i = 30 + 6 * i;
            [
                w * unit(seed, i),
                h * unit(seed, i + 1),
                w.min(h) * (0.05 + 0.15 * unit(seed, i + 2)),
                unit(seed, i + 3),
                unit(seed, i + 4),
                unit(seed, i + 5),
            ]
        })
        .collect();
    let mut image: RgbImage = ImageBuffer::new(width, height);
    let row_len = width as usize * 3;
    image
        .as_mut()
        .par_chunks_mut(row_len)
        .enumerate()
        .for_each(|(y, row)| {
            let fy = y as f32 / h;
            for x in 0..width as usize {
                let fx = x as f32 / w;
                let horizon = hills
                    .iter()
                    .map(|[base, freq, phase]| base + 0.06 * (fx * freq + phase).sin())
                    .fold(1.0f32, f32::min);
                let mut colour = if fy < horizon {
                    let t = fy / horizon;
                    [
                        sky_top[0] + (0.95 - sky_top[0]) * t,
                        sky_top[1] + (0.9 - sky_top[1]) * t,
                        sky_top[2] + (0.85 - sky_top[2]) * t,
                    ]
                } else {
                    let shade = 0.7 + 0.3 * ((fy - horizon) * 9.0).cos();
                    ground.map(|c| c * shade)
                };
                for [bx, by, r, cr, cg, cb] in &blobs {
                    let d = ((x as f32 - bx).powi(2) + (y as f32 - by).powi(2)).sqrt();
                    let a = (1.0 - d / r).clamp(0.0, 1.0);
                    let a = a * a * 0.8;
                    colour = [
                        colour[0] * (1.0 - a) + cr * a,
                        colour[1] * (1.0 - a) + cg * a,
                        colour[2] * (1.0 - a) + cb * a,
                    ];
                }
                let grain = (unit(seed, (y as u64) << 32 | x as u64) - 0.5) * 0.08;
                for c in 0..3 {
                    row[x * 3 + c] = ((colour[c] + grain) * 255.0).clamp(0.0, 255.0) as u8;
                }
            }
        });
    image
}

/// The kind of file [`write_set`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// JPEG, quality 90 (as a camera would).
    Jpeg,
    /// PNG (as a screenshot or an edited export would).
    Png,
}

/// One image of a generated set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// File name, e.g. `photo-007.jpg`.
    pub name: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// JPEG or PNG.
    pub kind: Kind,
    /// Seed of its pixels.
    pub seed: u64,
}

/// Photo sizes from phones and cameras, 2 to 12 megapixels, landscape and
/// portrait.
pub const PHOTO_SIZES: &[(u32, u32)] = &[
    (1920, 1080),
    (2048, 1536),
    (2560, 1600),
    (3000, 2000),
    (1536, 2048),
    (3264, 2448),
    (2448, 3264),
    (4000, 3000),
];

/// `count` specs for `seed`: mostly JPEG, one in five PNG, sizes drawn from
/// `sizes`.
pub fn specs(count: usize, seed: u64, sizes: &[(u32, u32)]) -> Vec<Spec> {
    (0..count as u64)
        .map(|i| {
            let pick = mix(seed ^ (i << 8));
            let (width, height) = sizes[(pick % sizes.len() as u64) as usize];
            let kind = if (pick >> 20).is_multiple_of(5) {
                Kind::Png
            } else {
                Kind::Jpeg
            };
            let ext = if kind == Kind::Png { "png" } else { "jpg" };
            Spec {
                name: format!("photo-{i:03}.{ext}"),
                width,
                height,
                kind,
                seed: mix(seed.wrapping_add(i)),
            }
        })
        .collect()
}

/// The encoded bytes of `spec`'s image.
pub fn encode(spec: &Spec) -> Vec<u8> {
    let image = photo(spec.width, spec.height, spec.seed);
    let mut out = Vec::new();
    let result = match spec.kind {
        Kind::Jpeg => image.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 90,
        )),
        Kind::Png => image.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out)),
    };
    result.expect("encoding to memory cannot fail");
    out
}

/// Write the images of `specs` into `dir` (in parallel), returning their
/// paths in order.
pub fn write_set(dir: &Path, specs: &[Spec]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    specs
        .par_iter()
        .map(|spec| {
            let path = dir.join(&spec.name);
            std::fs::write(&path, encode(spec))?;
            Ok(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_pixels() {
        assert_eq!(photo(64, 48, 7), photo(64, 48, 7));
        assert_ne!(photo(64, 48, 7), photo(64, 48, 8));
    }

    #[test]
    fn sets_mix_formats_and_sizes() {
        let set = specs(100, 1, PHOTO_SIZES);
        let pngs = set.iter().filter(|s| s.kind == Kind::Png).count();
        assert!((10..=35).contains(&pngs), "{pngs} PNGs of 100");
        let distinct: std::collections::BTreeSet<_> = set.iter().map(|s| s.width).collect();
        assert!(distinct.len() >= 5);
    }
}
