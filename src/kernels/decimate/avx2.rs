//! AVX2 backend: four running (value, index) pairs per `__m256d`, updated
//! with ordered strict comparisons and blends.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::{Extremes, finish_tail, reduce_lanes};
use crate::dispatch::Avx2Fma;

/// Argmin and argmax of `x[start..end]`, NaN ignored, first occurrence.
pub(crate) fn extremes(_token: Avx2Fma, x: &[f64], start: usize, end: usize) -> Extremes {
    assert!(start <= end && end <= x.len(), "bucket inside the series");
    // SAFETY: the token proves AVX2 and FMA are available; the bounds were
    // just checked.
    unsafe { extremes_avx2(x, start, end) }
}

/// # Safety
///
/// The CPU must support AVX2 and FMA, and `start <= end <= x.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn extremes_avx2(x: &[f64], start: usize, end: usize) -> Extremes {
    let body = (end - start) / 4 * 4;
    let mut min_v = _mm256_set1_pd(f64::INFINITY);
    let mut max_v = _mm256_set1_pd(f64::NEG_INFINITY);
    let unset = _mm256_set1_pd(-1.0);
    let mut min_i = unset;
    let mut max_i = unset;
    let mut idx = _mm256_add_pd(
        _mm256_setr_pd(0.0, 1.0, 2.0, 3.0),
        _mm256_set1_pd(start as f64),
    );
    let four = _mm256_set1_pd(4.0);
    let base = x.as_ptr();
    let mut i = start;
    while i < start + body {
        // SAFETY: `i + 4 <= start + body <= end <= x.len()`, so the four
        // elements read are inside `x`.
        let v = unsafe { _mm256_loadu_pd(base.add(i)) };
        let ordered = _mm256_cmp_pd::<_CMP_ORD_Q>(v, v);
        let take_min = _mm256_or_pd(
            _mm256_cmp_pd::<_CMP_LT_OQ>(v, min_v),
            _mm256_and_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(min_i, unset), ordered),
        );
        let take_max = _mm256_or_pd(
            _mm256_cmp_pd::<_CMP_GT_OQ>(v, max_v),
            _mm256_and_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(max_i, unset), ordered),
        );
        min_v = _mm256_blendv_pd(min_v, v, take_min);
        min_i = _mm256_blendv_pd(min_i, idx, take_min);
        max_v = _mm256_blendv_pd(max_v, v, take_max);
        max_i = _mm256_blendv_pd(max_i, idx, take_max);
        idx = _mm256_add_pd(idx, four);
        i += 4;
    }
    let lanes = |vals: __m256d, ids: __m256d, better: fn(f64, f64) -> bool| {
        let mut v = [0.0f64; 4];
        let mut d = [0.0f64; 4];
        // SAFETY: each array holds exactly four f64, the width of one store.
        unsafe {
            _mm256_storeu_pd(v.as_mut_ptr(), vals);
            _mm256_storeu_pd(d.as_mut_ptr(), ids);
        }
        let valid = d.map(|i| i >= 0.0);
        let best = reduce_lanes(v, d.map(|i| i.max(0.0) as usize), valid, better);
        finish_tail(x, start + body, end, best, better)
    };
    let lo = lanes(min_v, min_i, |a, b| a < b)?;
    let hi = lanes(max_v, max_i, |a, b| a > b)?;
    Some((lo.1, hi.1))
}
