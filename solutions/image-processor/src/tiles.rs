//! Step 4: one huge image, split across the cores — the reference.
//!
//! Both passes hand out whole output rows with `par_chunks_mut`; each row
//! reads what it needs from the shared, read-only source of its pass.
//! Nothing is split but the writing, so the result is the sequential one,
//! byte for byte.

use crate::blur::{horizontal_row, kernel, vertical_row};
use rayon::prelude::*;

/// The same result as [`crate::blur::blur_sequential`], byte for byte,
/// with the rows of both passes spread over rayon's threads.
pub fn blur_parallel(
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
    across
        .par_chunks_mut(row_len)
        .zip(pixels.par_chunks(row_len))
        .for_each(|(dst, src)| horizontal_row(src, dst, channels, &kernel));
    let mut out = vec![0u8; pixels.len()];
    // `across` is complete before this line: the vertical pass of a row
    // reads rows written by other threads in the first pass.
    out.par_chunks_mut(row_len)
        .enumerate()
        .for_each(|(y, dst)| vertical_row(&across, row_len, y, dst, &kernel));
    out
}
