//! Scalar backend: one pass over the bucket.

use super::{Extremes, finish_tail};

/// Argmin and argmax of `x[start..end]`, NaN ignored, first occurrence.
pub(crate) fn extremes(x: &[f64], start: usize, end: usize) -> Extremes {
    let lo = finish_tail(x, start, end, None, |a, b| a < b)?;
    let hi = finish_tail(x, start, end, None, |a, b| a > b)?;
    Some((lo.1, hi.1))
}
