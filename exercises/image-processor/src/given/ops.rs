//! The operations a job applies to each image, and their text form.
//!
//! `--ops fit=1024x1024,sharpen,grayscale` on the command line becomes a
//! `Vec<Op>` applied left to right by [`apply`]. Nothing here is about
//! concurrency: every operation is a pure function from one image to the
//! next, which is exactly what makes a batch of them trivially parallel.
//! The one exception is [`Op::Blur`], which on a huge image is worth
//! splitting across cores by itself: it runs [`crate::tiles::blur_parallel`].

use crate::error::ProcessError;
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView};
use std::fmt;
use std::str::FromStr;

/// One operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `fit=WxH`: scale down to fit within the box, keeping the aspect
    /// ratio, with a Lanczos filter (sharp, no aliasing). Never enlarges.
    Fit {
        /// Box width.
        width: u32,
        /// Box height.
        height: u32,
    },
    /// `thumbnail=WxH`: fill the box exactly: scale to cover it, then crop
    /// the middle.
    Thumbnail {
        /// Box width.
        width: u32,
        /// Box height.
        height: u32,
    },
    /// `grayscale`.
    Grayscale,
    /// `blur=SIGMA`: Gaussian blur, SIGMA pixels (0.1–50).
    Blur {
        /// Standard deviation in pixels.
        sigma: f32,
    },
    /// `sharpen` or `sharpen=SIGMA`: unsharp mask (default sigma 1.0).
    Sharpen {
        /// Radius of the blur that is subtracted.
        sigma: f32,
    },
    /// `crop=WxH+X+Y`.
    Crop {
        /// Left edge.
        x: u32,
        /// Top edge.
        y: u32,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// `rotate=90|180|270`, clockwise.
    Rotate {
        /// Degrees.
        degrees: u16,
    },
}

/// A malformed operation list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad operation {text:?}: {reason}")]
pub struct OpError {
    /// The offending item.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

fn bad(text: &str, reason: impl Into<String>) -> OpError {
    OpError {
        text: text.to_owned(),
        reason: reason.into(),
    }
}

/// Parse `WxH` with both sides in 1..=65535.
pub fn parse_size(text: &str) -> Result<(u32, u32), OpError> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| bad(text, "expected WIDTHxHEIGHT, like 512x512"))?;
    let side = |s: &str| match s.trim().parse::<u32>() {
        Ok(n) if (1..=65_535).contains(&n) => Ok(n),
        _ => Err(bad(text, format!("{s:?} is not a size from 1 to 65535"))),
    };
    Ok((side(w)?, side(h)?))
}

fn parse_sigma(text: &str, value: Option<&str>, default: f32) -> Result<f32, OpError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.trim().parse::<f32>() {
        Ok(s) if (0.1..=50.0).contains(&s) => Ok(s),
        _ => Err(bad(text, "sigma must be a number from 0.1 to 50")),
    }
}

impl FromStr for Op {
    type Err = OpError;

    fn from_str(text: &str) -> Result<Op, OpError> {
        let text = text.trim();
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (text, None),
        };
        let need = |what: &str| value.ok_or_else(|| bad(text, format!("needs a value: {what}")));
        match name.to_ascii_lowercase().as_str() {
            "fit" | "resize" => {
                let (width, height) = parse_size(need("fit=WxH")?)?;
                Ok(Op::Fit { width, height })
            }
            "thumbnail" | "thumb" => {
                let (width, height) = parse_size(need("thumbnail=WxH")?)?;
                Ok(Op::Thumbnail { width, height })
            }
            "grayscale" | "greyscale" | "gray" | "grey" => match value {
                None => Ok(Op::Grayscale),
                Some(_) => Err(bad(text, "takes no value")),
            },
            "blur" => Ok(Op::Blur {
                sigma: parse_sigma(text, Some(need("blur=SIGMA")?), 1.0)?,
            }),
            "sharpen" => Ok(Op::Sharpen {
                sigma: parse_sigma(text, value, 1.0)?,
            }),
            "crop" => {
                let spec = need("crop=WxH+X+Y")?;
                let mut parts = spec.splitn(3, '+');
                let (width, height) = parse_size(parts.next().unwrap_or(""))?;
                let mut coordinate = || {
                    parts
                        .next()
                        .and_then(|p| p.trim().parse::<u32>().ok())
                        .ok_or_else(|| bad(text, "expected crop=WxH+X+Y, like 800x600+10+20"))
                };
                let (x, y) = (coordinate()?, coordinate()?);
                Ok(Op::Crop {
                    x,
                    y,
                    width,
                    height,
                })
            }
            "rotate" => match need("rotate=90|180|270")? {
                "90" => Ok(Op::Rotate { degrees: 90 }),
                "180" => Ok(Op::Rotate { degrees: 180 }),
                "270" | "-90" => Ok(Op::Rotate { degrees: 270 }),
                _ => Err(bad(text, "rotate by 90, 180 or 270 degrees")),
            },
            _ => Err(bad(
                text,
                "unknown; use fit=WxH, thumbnail=WxH, grayscale, blur=SIGMA, sharpen[=SIGMA], \
                 crop=WxH+X+Y or rotate=90|180|270",
            )),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Fit { width, height } => write!(f, "fit={width}x{height}"),
            Op::Thumbnail { width, height } => write!(f, "thumbnail={width}x{height}"),
            Op::Grayscale => write!(f, "grayscale"),
            Op::Blur { sigma } => write!(f, "blur={sigma}"),
            Op::Sharpen { sigma } => write!(f, "sharpen={sigma}"),
            Op::Crop {
                x,
                y,
                width,
                height,
            } => write!(f, "crop={width}x{height}+{x}+{y}"),
            Op::Rotate { degrees } => write!(f, "rotate={degrees}"),
        }
    }
}

/// Parse a comma-separated list: `fit=512x512,sharpen`. An empty list is
/// allowed (re-encode only).
pub fn parse_list(text: &str) -> Result<Vec<Op>, OpError> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::parse)
        .collect()
}

/// The size that fits `(width, height)` within `(box_w, box_h)` keeping the
/// aspect ratio, never larger than the original, never 0.
pub fn fit_within(width: u32, height: u32, box_w: u32, box_h: u32) -> (u32, u32) {
    if width <= box_w && height <= box_h {
        return (width, height);
    }
    let scale = f64::min(
        f64::from(box_w) / f64::from(width),
        f64::from(box_h) / f64::from(height),
    );
    let side = |n: u32| ((f64::from(n) * scale).round() as u32).max(1);
    (side(width).min(box_w), side(height).min(box_h))
}

/// The size that covers `(box_w, box_h)` keeping the aspect ratio (the
/// first half of [`Op::Thumbnail`]).
pub fn cover(width: u32, height: u32, box_w: u32, box_h: u32) -> (u32, u32) {
    let scale = f64::max(
        f64::from(box_w) / f64::from(width),
        f64::from(box_h) / f64::from(height),
    );
    let side = |n: u32| ((f64::from(n) * scale).ceil() as u32).max(1);
    (side(width).max(box_w), side(height).max(box_h))
}

/// How small the decoder may make an image of `width`×`height` without
/// losing anything `ops` needs: the size the first operation scales it to,
/// if the first operation is a [`Op::Fit`] or [`Op::Thumbnail`]. A JPEG
/// decoder can then decode at 1/2, 1/4 or 1/8 scale ("shrink on load"),
/// which is most of the speed of a thumbnailer.
pub fn shrink_target(ops: &[Op], width: u32, height: u32) -> Option<(u32, u32)> {
    match ops.first()? {
        Op::Fit {
            width: bw,
            height: bh,
        } => Some(fit_within(width, height, *bw, *bh)),
        Op::Thumbnail {
            width: bw,
            height: bh,
        } => Some(cover(width, height, *bw, *bh)),
        _ => None,
    }
}

/// Apply `ops` to `image`, left to right.
pub fn apply(mut image: DynamicImage, ops: &[Op]) -> Result<DynamicImage, ProcessError> {
    let _counted = crate::stages::APPLY.enter();
    for op in ops {
        image = apply_one(image, op)?;
    }
    Ok(image)
}

/// Resize to exactly `w`×`h` in two stages when shrinking a lot: first a
/// fast box average by a whole factor, down to no less than twice the
/// target, then Lanczos3 for the rest. Lanczos3 alone would weigh 6 × the
/// shrink factor source pixels for every output pixel (60 at 10×); the box
/// pass touches each source pixel once, and the final Lanczos pass still
/// decides the look. Pillow's `reducing_gap` and libvips' shrink-then-reduce
/// work the same way.
fn resize(image: DynamicImage, w: u32, h: u32) -> DynamicImage {
    let (width, height) = image.dimensions();
    if (w, h) == (width, height) {
        return image;
    }
    let factor = (width / (2 * w)).min(height / (2 * h));
    let image = if factor >= 2 {
        image.thumbnail_exact(width.div_ceil(factor), height.div_ceil(factor))
    } else {
        image
    };
    image.resize_exact(w, h, FilterType::Lanczos3)
}

fn apply_one(image: DynamicImage, op: &Op) -> Result<DynamicImage, ProcessError> {
    let (width, height) = image.dimensions();
    Ok(match *op {
        Op::Fit {
            width: bw,
            height: bh,
        } => {
            let (w, h) = fit_within(width, height, bw, bh);
            resize(image, w, h)
        }
        Op::Thumbnail {
            width: bw,
            height: bh,
        } => {
            let (w, h) = cover(width, height, bw, bh);
            // Covering a big box can mean enlarging a small image a lot:
            // refuse what no decoder would have been allowed to make.
            if u64::from(w) * u64::from(h) > crate::codec::DEFAULT_MAX_PIXELS {
                return Err(ProcessError::Operation(format!(
                    "{op} would enlarge the {width}×{height} image to {w}×{h}"
                )));
            }
            let scaled = resize(image, w, h);
            scaled.crop_imm((w - bw) / 2, (h - bh) / 2, bw, bh)
        }
        Op::Grayscale => image.grayscale(),
        Op::Blur { sigma } => crate::blur::blur_image(&image, sigma),
        Op::Sharpen { sigma } => image.unsharpen(sigma, 2),
        Op::Crop {
            x,
            y,
            width: w,
            height: h,
        } => {
            let fits = u64::from(x) + u64::from(w) <= u64::from(width)
                && u64::from(y) + u64::from(h) <= u64::from(height);
            if !fits {
                return Err(ProcessError::Operation(format!(
                    "{op} reaches outside the {width}×{height} image"
                )));
            }
            image.crop_imm(x, y, w, h)
        }
        Op::Rotate { degrees: 90 } => image.rotate90(),
        Op::Rotate { degrees: 180 } => image.rotate180(),
        Op::Rotate { .. } => image.rotate270(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_print_back() {
        let ops = parse_list("fit=512x384, grayscale,blur=2.5,sharpen,crop=10x20+3+4,rotate=270")
            .unwrap();
        let text: Vec<String> = ops.iter().map(Op::to_string).collect();
        assert_eq!(
            text.join(","),
            "fit=512x384,grayscale,blur=2.5,sharpen=1,crop=10x20+3+4,rotate=270"
        );
        assert_eq!(parse_list("").unwrap(), vec![]);
    }

    #[test]
    fn bad_items_say_what_is_wrong() {
        for (text, needle) in [
            ("fit=512", "WIDTHxHEIGHT"),
            ("fit=0x10", "1 to 65535"),
            ("blur", "needs a value"),
            ("blur=900", "0.1 to 50"),
            ("rotate=45", "90, 180 or 270"),
            ("crop=10x10", "WxH+X+Y"),
            ("emboss", "unknown"),
        ] {
            let error = parse_list(text).unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn fitting_keeps_the_aspect_ratio_and_never_enlarges() {
        assert_eq!(fit_within(4000, 3000, 512, 512), (512, 384));
        assert_eq!(fit_within(3000, 4000, 512, 512), (384, 512));
        assert_eq!(fit_within(300, 200, 512, 512), (300, 200));
        assert_eq!(fit_within(10_000, 1, 100, 100), (100, 1));
        assert_eq!(cover(4000, 3000, 256, 256), (342, 256));
    }

    #[test]
    fn only_a_leading_resize_lets_the_decoder_shrink() {
        let fit = Op::Fit {
            width: 500,
            height: 500,
        };
        assert_eq!(shrink_target(&[fit], 4000, 2000), Some((500, 250)));
        assert_eq!(shrink_target(&[Op::Grayscale, fit], 4000, 2000), None);
        assert_eq!(shrink_target(&[], 4000, 2000), None);
    }

    #[test]
    fn a_crop_outside_the_image_is_an_error_not_a_panic() {
        let image = DynamicImage::new_rgb8(10, 10);
        let crop = Op::Crop {
            x: 5,
            y: 5,
            width: 10,
            height: 2,
        };
        assert!(matches!(
            apply(image, &[crop]),
            Err(ProcessError::Operation(_))
        ));
    }
}
