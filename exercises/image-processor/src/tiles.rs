//! Step 4: one huge image, split across the cores.
//!
//! A batch of many images parallelises by itself: one image per core. One
//! 100-megapixel panorama does not; it needs the work *inside* the image
//! split. A blur is the classic case: every output row is computed
//! independently (see [`crate::blur`]), so the rows can be handed out to
//! rayon's threads, each writing its own rows of the output.
//!
//! The trap: cutting the image into bands and blurring each band as if it
//! were a picture of its own. The rows at a band's edge then miss their
//! neighbours on the other side, and the result shows seams. The vertical
//! pass of a row must read the rows around it *in the whole image*; only
//! what each thread *writes* is split.
//!
//! And the nesting: in a batch, [`crate::batch::parallel`] already keeps
//! every core busy with whole images. A blur inside one of them still asks
//! rayon for parallel rows; rayon runs them on the same pool (no new
//! threads), so nothing is oversubscribed.

#[allow(unused_imports)]
use crate::blur::{self, horizontal_row, kernel, vertical_row};
#[allow(unused_imports)]
use rayon::prelude::*;

/// The same result as [`blur::blur_sequential`], byte for byte, with the
/// rows of both passes spread over rayon's threads.
///
/// Hints: `slice::par_chunks_mut(row_len)` hands each thread whole output
/// rows; `.enumerate()` says which row `y` it is; the input (and, in the
/// second pass, the intermediate image) is shared read-only.
pub fn blur_parallel(
    pixels: &[u8],
    width: usize,
    height: usize,
    channels: usize,
    sigma: f32,
) -> Vec<u8> {
    let _ = (pixels, width, height, channels, sigma);
    todo!("step 4: both passes of blur_sequential, with rows in parallel")
}
