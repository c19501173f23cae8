//! A separable Gaussian blur, row by row: the sequential version and its
//! building blocks.
//!
//! A 2-D Gaussian blur is two 1-D passes: along each row (horizontal), then
//! along each column (vertical). Both passes are written here as "compute
//! one output row", because that is the unit a parallel version hands out:
//!
//! - [`horizontal_row`] reads one input row and writes the same output row;
//! - [`vertical_row`] reads the rows `y - radius ..= y + radius` of the
//!   intermediate image and writes output row `y`.
//!
//! Every output row is computed by the same arithmetic in the same order
//! wherever it runs, so a parallel blur built from these functions gives
//! exactly the bytes of [`blur_sequential`]. Rows near the image's top and
//! bottom edge repeat the edge row (clamping); that is the detail a blur
//! split into independent tiles gets wrong.
//!
//! The parallel version is the learner's: [`crate::tiles::blur_parallel`].

use image::{DynamicImage, ImageBuffer, Pixel};

/// The weights of a normalised 1-D Gaussian, `2 * radius + 1` of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// Symmetric, summing to 1.
    pub weights: Vec<f32>,
}

impl Kernel {
    /// How many pixels on each side contribute.
    pub fn radius(&self) -> usize {
        self.weights.len() / 2
    }
}

/// The kernel for standard deviation `sigma` pixels, cut off at 3 sigma
/// (beyond that the weights are below 0.5%).
pub fn kernel(sigma: f32) -> Kernel {
    let sigma = sigma.max(0.01);
    let radius = (3.0 * sigma).ceil() as usize;
    let raw: Vec<f32> = (0..=2 * radius)
        .map(|i| {
            let d = i as f32 - radius as f32;
            (-(d * d) / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let total: f32 = raw.iter().sum();
    Kernel {
        weights: raw.into_iter().map(|w| w / total).collect(),
    }
}

fn to_byte(value: f32) -> u8 {
    (value + 0.5).clamp(0.0, 255.0) as u8
}

/// Blur one row of interleaved pixels (`channels` bytes each) along x.
/// `src` and `dst` are the same row of the input and the output.
pub fn horizontal_row(src: &[u8], dst: &mut [u8], channels: usize, kernel: &Kernel) {
    let _counted = crate::stages::HORIZONTAL.enter();
    let width = src.len() / channels;
    let radius = kernel.radius() as isize;
    for x in 0..width {
        for c in 0..channels {
            let mut sum = 0.0f32;
            for (i, weight) in kernel.weights.iter().enumerate() {
                // Past the left or right edge, repeat the edge pixel.
                let sx = (x as isize + i as isize - radius).clamp(0, width as isize - 1) as usize;
                sum += weight * f32::from(src[sx * channels + c]);
            }
            dst[x * channels + c] = to_byte(sum);
        }
    }
}

/// Output row `y` of the vertical pass: a weighted sum of the rows around
/// `y` in `src` (the whole intermediate image, `row_len` bytes a row).
/// Rows above the top or below the bottom repeat the edge row.
pub fn vertical_row(src: &[u8], row_len: usize, y: usize, dst: &mut [u8], kernel: &Kernel) {
    let _counted = crate::stages::VERTICAL.enter();
    let height = src.len() / row_len;
    let radius = kernel.radius() as isize;
    let mut sums = vec![0.0f32; row_len];
    for (i, weight) in kernel.weights.iter().enumerate() {
        let sy = (y as isize + i as isize - radius).clamp(0, height as isize - 1) as usize;
        let row = &src[sy * row_len..(sy + 1) * row_len];
        for (sum, &byte) in sums.iter_mut().zip(row) {
            *sum += weight * f32::from(byte);
        }
    }
    for (out, sum) in dst.iter_mut().zip(sums) {
        *out = to_byte(sum);
    }
}

/// Blur `pixels` (`width` × `height`, `channels` interleaved bytes a pixel)
/// on this thread alone. The reference a parallel blur must match byte for
/// byte.
pub fn blur_sequential(
    pixels: &[u8],
    width: usize,
    height: usize,
    channels: usize,
    sigma: f32,
) -> Vec<u8> {
    assert_eq!(pixels.len(), width * height * channels, "buffer size");
    let kernel = kernel(sigma);
    let row_len = width * channels;
    let mut across = vec![0u8; pixels.len()];
    for (src, dst) in pixels.chunks(row_len).zip(across.chunks_mut(row_len)) {
        horizontal_row(src, dst, channels, &kernel);
    }
    let mut out = vec![0u8; pixels.len()];
    for (y, dst) in out.chunks_mut(row_len).enumerate() {
        vertical_row(&across, row_len, y, dst, &kernel);
    }
    out
}

/// [`Op::Blur`](crate::ops::Op::Blur) on a whole image: 8-bit grey, grey +
/// alpha, RGB or RGBA, through [`crate::tiles::blur_parallel`]. Other
/// sample types are blurred as 8-bit RGB(A).
pub fn blur_image(image: &DynamicImage, sigma: f32) -> DynamicImage {
    let (w, h) = (image.width(), image.height());
    let (width, height) = (w as usize, h as usize);
    let run = |pixels: &[u8], channels| {
        crate::tiles::blur_parallel(pixels, width, height, channels, sigma)
    };
    fn rebuilt<P: Pixel<Subpixel = u8>>(
        w: u32,
        h: u32,
        pixels: Vec<u8>,
    ) -> ImageBuffer<P, Vec<u8>> {
        ImageBuffer::from_raw(w, h, pixels).expect("same size as the input")
    }
    match image {
        DynamicImage::ImageLuma8(i) => DynamicImage::ImageLuma8(rebuilt(w, h, run(i.as_raw(), 1))),
        DynamicImage::ImageLumaA8(i) => {
            DynamicImage::ImageLumaA8(rebuilt(w, h, run(i.as_raw(), 2)))
        }
        DynamicImage::ImageRgb8(i) => DynamicImage::ImageRgb8(rebuilt(w, h, run(i.as_raw(), 3))),
        other if other.color().has_alpha() => {
            DynamicImage::ImageRgba8(rebuilt(w, h, run(other.to_rgba8().as_raw(), 4)))
        }
        other => DynamicImage::ImageRgb8(rebuilt(w, h, run(other.to_rgb8().as_raw(), 3))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_is_normalised_and_symmetric() {
        let k = kernel(2.0);
        assert_eq!(k.radius(), 6);
        assert!((k.weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(k.weights[0], k.weights[12]);
        assert!(k.weights[6] > k.weights[5]);
    }

    #[test]
    fn a_flat_image_stays_flat_and_an_edge_softens() {
        let flat = vec![77u8; 20 * 10 * 3];
        assert_eq!(blur_sequential(&flat, 20, 10, 3, 1.5), flat);
        // Left half black, right half white: the middle columns become grey.
        let edge: Vec<u8> = (0..10 * 20)
            .map(|i| if i % 20 < 10 { 0 } else { 255 })
            .collect();
        let out = blur_sequential(&edge, 20, 10, 1, 1.5);
        assert!(
            out[9] > 0 && out[9] < 128 && out[10] > 128 && out[10] < 255,
            "{:?}",
            &out[..20]
        );
        assert_eq!((out[0], out[19]), (0, 255));
    }
}
