//! Portable backend on `wide::f64x4`: four running (value, index) pairs.

use wide::f64x4;

use super::{Extremes, finish_tail, reduce_lanes};

/// Argmin and argmax of `x[start..end]`, NaN ignored, first occurrence.
pub(crate) fn extremes(x: &[f64], start: usize, end: usize) -> Extremes {
    let body = (end - start) / 4 * 4;
    let mut min_v = f64x4::splat(f64::INFINITY);
    let mut max_v = f64x4::splat(f64::NEG_INFINITY);
    let mut min_i = f64x4::splat(-1.0);
    let mut max_i = f64x4::splat(-1.0);
    let unset = f64x4::splat(-1.0);
    let mut idx = f64x4::from([0.0, 1.0, 2.0, 3.0]) + f64x4::splat(start as f64);
    let four = f64x4::splat(4.0);
    for chunk in x[start..start + body].chunks_exact(4) {
        let v = f64x4::from([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let ordered = v.simd_eq(v);
        let take_min = v.simd_lt(min_v) | (min_i.simd_eq(unset) & ordered);
        let take_max = v.simd_gt(max_v) | (max_i.simd_eq(unset) & ordered);
        min_v = take_min.bitselect(v, min_v);
        min_i = take_min.bitselect(idx, min_i);
        max_v = take_max.bitselect(v, max_v);
        max_i = take_max.bitselect(idx, max_i);
        idx += four;
    }
    let lanes = |vals: f64x4, ids: f64x4, better: fn(f64, f64) -> bool| {
        let (vals, ids) = (vals.to_array(), ids.to_array());
        let valid = ids.map(|i| i >= 0.0);
        let best = reduce_lanes(vals, ids.map(|i| i.max(0.0) as usize), valid, better);
        finish_tail(x, start + body, end, best, better)
    };
    let lo = lanes(min_v, min_i, |a, b| a < b)?;
    let hi = lanes(max_v, max_i, |a, b| a > b)?;
    Some((lo.1, hi.1))
}
