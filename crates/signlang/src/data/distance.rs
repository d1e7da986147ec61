//! Pixel distances shared by the grouped split and the nearest-neighbour
//! measures: the pixel matrix, exact integer squared distances, and the row
//! chunk of the blocked distance products.

use super::{Dataset, PIXELS};
use tch::{Kind, Tensor};

/// Row-major float matrix `N×784`, pixel units (0..255), on the CPU.
pub(super) fn pixel_matrix(d: &Dataset) -> Tensor {
    Tensor::from_slice(&d.pixels)
        .view([d.len() as i64, PIXELS as i64])
        .to_kind(Kind::Float)
}

/// Exact squared distance in pixel units.
pub(super) fn exact_sq(a: &[u8], b: &[u8]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = i32::from(x) - i32::from(y);
            (d * d) as u64
        })
        .sum()
}

/// Rows per block of the blocked distance products (bounds their memory).
pub(super) const CHUNK: i64 = 1024;
