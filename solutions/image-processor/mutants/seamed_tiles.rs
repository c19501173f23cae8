//! Mutant: cuts the image into one band of rows per thread and blurs each
//! band as if it were a whole picture. Parallel, and right everywhere but
//! within a blur radius of each cut, where the band's edge is clamped
//! instead of reading the next band's rows: a visible seam.

use crate::blur::blur_sequential;
use rayon::prelude::*;

/// Bands blurred independently.
pub fn blur_parallel(
    pixels: &[u8],
    width: usize,
    height: usize,
    channels: usize,
    sigma: f32,
) -> Vec<u8> {
    let row_len = width * channels;
    let bands = rayon::current_num_threads().max(2);
    let rows_per_band = height.div_ceil(bands).max(1);
    pixels
        .par_chunks(rows_per_band * row_len)
        .flat_map_iter(|band| {
            let rows = band.len() / row_len;
            blur_sequential(band, width, rows, channels, sigma)
        })
        .collect()
}
