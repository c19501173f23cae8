//! Bytes in, pixels out, and back: format sniffing, guarded decoding with
//! shrink-on-load, encoding.
//!
//! Three things here make the tool safe and fast on real folders:
//!
//! - **The format comes from the bytes, not the name.** A `.jpg` that is
//!   really a GIF, or a text file renamed, is reported as what it is.
//! - **Dimensions are checked before decoding.** Every format states its
//!   size in a header of a few bytes; a "decompression bomb" states a huge
//!   one and relies on the decoder to allocate it. [`decode`] reads the
//!   header first and refuses anything over the pixel limit
//!   ([`crate::Settings::max_pixels`]).
//! - **JPEGs shrink on load.** A JPEG stores 8×8 blocks of frequencies; a
//!   decoder can reconstruct each block at 4×4, 2×2 or 1×1 pixels for a
//!   fraction of the work. When the first operation scales the image down
//!   ([`crate::ops::shrink_target`]), [`decode`] asks for the smallest scale
//!   still at least as big as the target, so a 24-megapixel photo headed
//!   for a 512-pixel thumbnail is decoded at 1/8 size and never exists at
//!   full size. Pillow's `draft`, libvips' `shrink-on-load` and
//!   ImageMagick's `jpeg:size` do the same.

use crate::error::ProcessError;
use crate::ops::{self, Op};
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The formats this tool decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JPEG (baseline and progressive; grayscale, RGB, CMYK).
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy and lossless).
    WebP,
}

/// How to encode the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// JPEG at a quality from 1 to 100 (85 is the usual trade-off).
    Jpeg {
        /// 1–100.
        quality: u8,
    },
    /// PNG (lossless; keeps transparency).
    Png,
}

impl OutputFormat {
    /// The file extension for outputs.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg { .. } => "jpg",
            OutputFormat::Png => "png",
        }
    }
}

/// The default pixel limit: 100 megapixels, several times any camera's
/// photo, and about 400 MB as RGBA.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// What the first bytes say the file is.
pub fn sniff(bytes: &[u8]) -> Result<Format, ProcessError> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    // A file cut inside its own signature is short, not foreign.
    let cut_short = |magic: &[u8]| bytes.len() < magic.len() && magic.starts_with(bytes);
    if !bytes.is_empty() && (cut_short(&[0xFF, 0xD8, 0xFF]) || cut_short(b"\x89PNG\r\n\x1a\n")) {
        return Err(ProcessError::Truncated(
            "the file ends inside its signature".into(),
        ));
    }
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Format::WebP);
    }
    let known = if starts(b"GIF87a") || starts(b"GIF89a") {
        "GIF"
    } else if starts(b"BM") {
        "BMP"
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        "TIFF"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        match &bytes[8..12] {
            b"avif" | b"avis" => "AVIF",
            b"heic" | b"heix" | b"mif1" | b"msf1" => "HEIF/HEIC",
            _ => "an ISO media file",
        }
    } else if starts(b"%PDF") {
        "PDF"
    } else if bytes.is_empty() {
        return Err(ProcessError::Truncated("the file is empty".into()));
    } else {
        return Err(ProcessError::Unsupported(
            "not a JPEG, PNG or WebP image".into(),
        ));
    };
    Err(ProcessError::Unsupported(format!(
        "{known} (this tool reads JPEG, PNG and WebP)"
    )))
}

/// Decode `bytes`, refusing more than `max_pixels`, at the smallest size
/// that still serves `ops` (see [`ops::shrink_target`]).
pub fn decode(bytes: &[u8], ops: &[Op], max_pixels: u64) -> Result<DynamicImage, ProcessError> {
    let _counted = crate::stages::DECODE.enter();
    match sniff(bytes)? {
        Format::Jpeg => decode_jpeg(bytes, ops, max_pixels),
        Format::Png => decode_with_image(bytes, ImageFormat::Png, max_pixels),
        Format::WebP => decode_with_image(bytes, ImageFormat::WebP, max_pixels),
    }
}

fn check_size(width: u32, height: u32, max_pixels: u64) -> Result<(), ProcessError> {
    if width == 0 || height == 0 {
        return Err(ProcessError::Corrupt(format!(
            "the header says {width}×{height}"
        )));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ProcessError::TooLarge {
            width,
            height,
            limit: max_pixels,
        });
    }
    Ok(())
}

fn jpeg_error(error: jpeg_decoder::Error) -> ProcessError {
    match error {
        jpeg_decoder::Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ProcessError::Truncated("JPEG data ends early".into())
        }
        jpeg_decoder::Error::Unsupported(feature) => {
            ProcessError::Unsupported(format!("a JPEG using {feature:?}"))
        }
        other => ProcessError::Corrupt(other.to_string()),
    }
}

fn decode_jpeg(bytes: &[u8], ops: &[Op], max_pixels: u64) -> Result<DynamicImage, ProcessError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| ProcessError::Corrupt("no frame header".into()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height, max_pixels)?;
    // The EXIF segment comes before the frame header, so it is known by
    // now. A photo stored sideways is turned upright *after* decoding, so
    // the target applies to the turned size: work it out upright, then
    // swap it back to the stored axes.
    let orientation = exif_orientation(decoder.exif_data());
    let sideways = orientation.is_some_and(|o| {
        use image::metadata::Orientation::*;
        matches!(o, Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH)
    });
    let upright = if sideways {
        (height, width)
    } else {
        (width, height)
    };
    if let Some((w, h)) = ops::shrink_target(ops, upright.0, upright.1) {
        let (w, h) = if sideways { (h, w) } else { (w, h) };
        // A thumbnail box bigger than the photo asks for more than its
        // size (the decoder then decodes at full size); u16 is the most a
        // JPEG can have anyway.
        let side = |n: u32| n.min(u32::from(u16::MAX)) as u16;
        decoder.scale(side(w), side(h)).map_err(jpeg_error)?;
    }
    let pixels = decoder.decode().map_err(jpeg_error)?;
    // After `scale`, the frame's size is the reduced one.
    let info = decoder
        .info()
        .ok_or_else(|| ProcessError::Corrupt("no frame header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let short = || ProcessError::Corrupt("the decoder returned too few pixels".into());
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => {
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(short)?)
        }
        jpeg_decoder::PixelFormat::L16 => {
            let wide = pixels
                .chunks_exact(2)
                // The decoder hands 16-bit samples back in native byte order.
                .map(|b| u16::from_ne_bytes([b[0], b[1]]))
                .collect();
            DynamicImage::ImageLuma16(ImageBuffer::from_raw(w, h, wide).ok_or_else(short)?)
        }
        jpeg_decoder::PixelFormat::RGB24 => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, pixels).ok_or_else(short)?)
        }
        jpeg_decoder::PixelFormat::CMYK32 => {
            // The decoder hands back the amount of ink (255 = full); the
            // light left is what neither the colour's ink nor the black
            // absorbs: (255 − C)(255 − K) / 255.
            let rgb = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let white = 255 - u16::from(p[3]);
                    [0, 1, 2].map(|c| (((255 - u16::from(p[c])) * white + 127) / 255) as u8)
                })
                .collect();
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, rgb).ok_or_else(short)?)
        }
    };
    Ok(match orientation {
        Some(orientation) => {
            let mut image = image;
            image.apply_orientation(orientation);
            image
        }
        None => image,
    })
}

/// The EXIF orientation tag, if the photo has one other than "upright":
/// cameras store pixels as the sensor saw them and record how the camera
/// was held. Ignoring it turns portraits sideways.
fn exif_orientation(exif: Option<&[u8]>) -> Option<image::metadata::Orientation> {
    let tiff = exif?;
    let big_endian = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let read = |at: usize, len: usize| -> Option<u32> {
        let bytes = tiff.get(at..at + len)?;
        Some(bytes.iter().enumerate().fold(0u32, |acc, (i, b)| {
            let shift = if big_endian { 8 * (len - 1 - i) } else { 8 * i };
            acc | (u32::from(*b) << shift)
        }))
    };
    let ifd = read(4, 4)? as usize;
    let entries = read(ifd, 2)? as usize;
    (0..entries.min(512)).find_map(|i| {
        let entry = ifd + 2 + 12 * i;
        if read(entry, 2)? != 0x0112 {
            return None;
        }
        let value = read(entry + 8, 2)?;
        let orientation = image::metadata::Orientation::from_exif(u8::try_from(value).ok()?)?;
        (orientation != image::metadata::Orientation::NoTransforms).then_some(orientation)
    })
}

fn image_error(error: image::ImageError) -> ProcessError {
    use image::ImageError;
    let text = error.to_string();
    match error {
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ProcessError::Truncated(text)
        }
        ImageError::Unsupported(_) => ProcessError::Unsupported(text),
        ImageError::Limits(_) => ProcessError::Corrupt(format!("over a decoding limit: {text}")),
        _ if text.contains("end of file") || text.contains("EOF") || text.contains("eof") => {
            ProcessError::Truncated(text)
        }
        _ => ProcessError::Corrupt(text),
    }
}

fn decode_with_image(
    bytes: &[u8],
    format: ImageFormat,
    max_pixels: u64,
) -> Result<DynamicImage, ProcessError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // Belt and braces: the decoder itself also refuses to allocate much more
    // than the largest allowed image (16 bytes a pixel covers RGBA16).
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(16));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, max_pixels)?;
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image)
}

/// Encode `image` as `format`.
pub fn encode(image: &DynamicImage, format: OutputFormat) -> Result<Vec<u8>, ProcessError> {
    let _counted = crate::stages::ENCODE.enter();
    let mut out = Vec::new();
    let result = match format {
        OutputFormat::Jpeg { quality } => {
            // JPEG has no alpha channel and only 8-bit samples.
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
            if image.color().has_alpha() {
                DynamicImage::ImageRgb8(over_white(image)).write_with_encoder(encoder)
            } else if image.color().has_color() {
                DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)
            } else {
                DynamicImage::ImageLuma8(image.to_luma8()).write_with_encoder(encoder)
            }
        }
        OutputFormat::Png => {
            image.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        }
    };
    result.map_err(|e| ProcessError::Encode(e.to_string()))?;
    Ok(out)
}

/// Flatten a transparent image onto white: dropping the alpha channel
/// instead would show whatever colour the transparent pixels happen to
/// hold, usually black.
fn over_white(image: &DynamicImage) -> image::RgbImage {
    let rgba = image.to_rgba8();
    let (w, h) = rgba.dimensions();
    let pixels = rgba
        .as_raw()
        .chunks_exact(4)
        .flat_map(|p| {
            let alpha = u16::from(p[3]);
            [0, 1, 2].map(|c| ((u16::from(p[c]) * alpha + 255 * (255 - alpha) + 127) / 255) as u8)
        })
        .collect();
    ImageBuffer::from_raw(w, h, pixels).expect("same size")
}

/// Width and height from a JPEG, PNG or WebP header, without decoding.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), ProcessError> {
    match sniff(bytes)? {
        Format::Jpeg => {
            let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
            decoder.read_info().map_err(jpeg_error)?;
            let info = decoder
                .info()
                .ok_or_else(|| ProcessError::Corrupt("no frame header".into()))?;
            Ok((u32::from(info.width), u32::from(info.height)))
        }
        Format::Png | Format::WebP => {
            let reader = ImageReader::new(Cursor::new(bytes))
                .with_guessed_format()
                .map_err(|e| ProcessError::Corrupt(e.to_string()))?;
            reader.into_dimensions().map_err(image_error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webp_is_read_like_the_others() {
        let photo = DynamicImage::ImageRgb8(crate::synth::photo(120, 80, 3));
        let mut webp = Vec::new();
        photo
            .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut webp))
            .expect("encoding to memory");
        assert_eq!(sniff(&webp).unwrap(), Format::WebP);
        assert_eq!(dimensions(&webp).unwrap(), (120, 80));
        let decoded = decode(&webp, &[], DEFAULT_MAX_PIXELS).unwrap();
        // Lossless: the very same pixels.
        assert_eq!(decoded.to_rgb8(), photo.to_rgb8());
        let error = decode(&webp, &[], 100).unwrap_err();
        assert_eq!(error.kind(), "too-large");
    }

    #[test]
    fn jpegs_shrink_on_load_but_never_below_the_target() {
        let photo = DynamicImage::ImageRgb8(crate::synth::photo(1600, 1200, 4));
        let jpeg = encode(&photo, OutputFormat::Jpeg { quality: 90 }).unwrap();
        let fit = |w, h| {
            [Op::Fit {
                width: w,
                height: h,
            }]
        };
        // 1/4 scale (400×300) still covers a 300×300 box; 1/8 would not.
        let small = decode(&jpeg, &fit(300, 300), DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!((small.width(), small.height()), (400, 300));
        let full = decode(&jpeg, &fit(1600, 1600), DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!((full.width(), full.height()), (1600, 1200));
    }

    /// `jpeg` with an EXIF segment saying "rotate 90° clockwise to view"
    /// (orientation 6), as a phone held upright writes it.
    fn with_orientation_6(jpeg: &[u8]) -> Vec<u8> {
        let tiff: &[u8] = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn a_sideways_photo_is_turned_upright_and_shrunk_for_its_upright_box() {
        let stored = DynamicImage::ImageRgb8(crate::synth::photo(800, 400, 5));
        let jpeg = encode(&stored, OutputFormat::Jpeg { quality: 90 }).unwrap();
        let jpeg = with_orientation_6(&jpeg);
        let upright = decode(&jpeg, &[], DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!((upright.width(), upright.height()), (400, 800));
        // Upright 400×800 into 100×400 is 100×200: the decoder must keep
        // 200×100 of the stored axes (1/4), not shrink to 1/8 as the
        // stored shape alone would suggest.
        let ops = [Op::Fit {
            width: 100,
            height: 400,
        }];
        let image =
            crate::ops::apply(decode(&jpeg, &ops, DEFAULT_MAX_PIXELS).unwrap(), &ops).unwrap();
        assert_eq!((image.width(), image.height()), (100, 200));
    }

    #[test]
    fn transparency_becomes_white_in_a_jpeg() {
        // Transparent black: dropping alpha would make it black.
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::new(16, 16));
        let jpeg = encode(&clear, OutputFormat::Jpeg { quality: 90 }).unwrap();
        let back = decode(&jpeg, &[], DEFAULT_MAX_PIXELS).unwrap().to_rgb8();
        assert!(
            back.pixels().all(|p| p.0.iter().all(|&c| c > 245)),
            "{:?}",
            back.get_pixel(0, 0)
        );
    }

    #[test]
    fn a_file_cut_inside_its_signature_is_truncated() {
        assert_eq!(sniff(&[0xFF, 0xD8]).unwrap_err().kind(), "truncated");
        assert_eq!(sniff(b"\x89PN").unwrap_err().kind(), "truncated");
    }

    #[test]
    fn formats_it_cannot_read_are_named() {
        for (bytes, name) in [
            (&b"GIF89a\x01\x00"[..], "GIF"),
            (b"BM\x00\x00\x00\x00", "BMP"),
            (b"\x00\x00\x00\x1cftypheic\x00\x00", "HEIF"),
            (b"hello", "not a JPEG, PNG or WebP"),
        ] {
            let error = sniff(bytes).unwrap_err().to_string();
            assert!(error.contains(name), "{error}");
        }
    }
}
