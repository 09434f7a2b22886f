//! AVX2 backend: four bars per `__m256d`; the scalar definitions on the
//! tail. No FMA, so results are bit-identical to the scalar path.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::scalar;
use crate::dispatch::Avx2Fma;

pub(crate) fn finite_or_nan(_token: Avx2Fma, v: &mut [f64]) {
    // SAFETY: the token proves AVX2 and FMA are available.
    unsafe { finite_or_nan_avx2(v) }
}

pub(crate) fn stddev(_token: Avx2Fma, var: &mut [f64], k: f64) {
    // SAFETY: the token proves AVX2 and FMA are available.
    unsafe { stddev_avx2(var, k) }
}

/// The bands in place, as `scalar::bands` (same bits): `upper` holds the
/// variance (`ROOT`) or σ on entry.
pub(crate) fn bands<const ROOT: bool>(
    _token: Avx2Fma,
    middle: &mut [f64],
    upper: &mut [f64],
    lower: &mut [f64],
    up: f64,
    dn: f64,
) {
    assert!(upper.len() == middle.len() && lower.len() == middle.len());
    // SAFETY: the token proves AVX2 and FMA are available; the three
    // slices were just checked to have one length.
    unsafe { bands_avx2::<ROOT>(middle, upper, lower, up, dn) }
}

/// All-ones lanes where `|v| < ∞` (false for NaN).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn finite(v: __m256d) -> __m256d {
    let abs = _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
    _mm256_cmp_pd::<_CMP_LT_OQ>(abs, _mm256_set1_pd(f64::INFINITY))
}

/// `sqrt(v > 0 ? v : +0)` per lane (the scalar `stddev_one` with k = 1,
/// before the finiteness select).
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(crate) fn root(v: __m256d) -> __m256d {
    let positive = _mm256_cmp_pd::<_CMP_GT_OQ>(v, _mm256_setzero_pd());
    _mm256_sqrt_pd(_mm256_and_pd(positive, v))
}

/// # Safety
///
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn finite_or_nan_avx2(v: &mut [f64]) {
    let n = v.len();
    let body = n / 4 * 4;
    let nan = _mm256_set1_pd(f64::NAN);
    let p = v.as_mut_ptr();
    let mut i = 0;
    while i < body {
        // SAFETY: `i + 4 <= body <= v.len()`: the four lanes read and
        // written are inside `v`.
        unsafe {
            let x = _mm256_loadu_pd(p.add(i));
            _mm256_storeu_pd(p.add(i), _mm256_blendv_pd(nan, x, finite(x)));
        }
        i += 4;
    }
    scalar::finite_or_nan(&mut v[body..]);
}

/// # Safety
///
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
unsafe fn stddev_avx2(var: &mut [f64], k: f64) {
    let n = var.len();
    let body = n / 4 * 4;
    let (kv, nan) = (_mm256_set1_pd(k), _mm256_set1_pd(f64::NAN));
    let p = var.as_mut_ptr();
    let mut i = 0;
    while i < body {
        // SAFETY: `i + 4 <= body <= var.len()`: the four lanes read and
        // written are inside `var`.
        unsafe {
            let v = _mm256_loadu_pd(p.add(i));
            let sd = _mm256_mul_pd(root(v), kv);
            _mm256_storeu_pd(p.add(i), _mm256_blendv_pd(nan, sd, finite(v)));
        }
        i += 4;
    }
    scalar::stddev(&mut var[body..], k);
}

/// `(middle, upper, lower)` from the mean `m` and σ `sd`: `m ± k·σ`
/// (multiply, then add: no FMA), all three NaN where `m` or `tested` (σ,
/// or the variance it came from) is not finite. The one definition the bands pass and the fused mean-and-bands
/// kernel share, so both give the scalar path's bits.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(crate) fn band_values(
    m: __m256d,
    sd: __m256d,
    tested: __m256d,
    upv: __m256d,
    dnv: __m256d,
) -> (__m256d, __m256d, __m256d) {
    let nan = _mm256_set1_pd(f64::NAN);
    let ok = _mm256_and_pd(finite(m), finite(tested));
    let u = _mm256_add_pd(m, _mm256_mul_pd(upv, sd));
    let l = _mm256_sub_pd(m, _mm256_mul_pd(dnv, sd));
    (
        _mm256_blendv_pd(nan, m, ok),
        _mm256_blendv_pd(nan, u, ok),
        _mm256_blendv_pd(nan, l, ok),
    )
}

/// # Safety
///
/// The CPU must support AVX2 and FMA, and the three slices must have the
/// same length.
#[target_feature(enable = "avx2,fma")]
unsafe fn bands_avx2<const ROOT: bool>(
    middle: &mut [f64],
    upper: &mut [f64],
    lower: &mut [f64],
    up: f64,
    dn: f64,
) {
    let n = middle.len();
    let body = n / 4 * 4;
    let (upv, dnv) = (_mm256_set1_pd(up), _mm256_set1_pd(dn));
    let (pm, pu, pl) = (middle.as_mut_ptr(), upper.as_mut_ptr(), lower.as_mut_ptr());
    let mut i = 0;
    while i < body {
        // SAFETY: `i + 4 <= body <= n`, and all three slices have length
        // `n` (the caller's contract): every access is in bounds.
        unsafe {
            let m = _mm256_loadu_pd(pm.add(i));
            let v = _mm256_loadu_pd(pu.add(i));
            let sd = if ROOT { root(v) } else { v };
            // NaN where the mean or the variance (σ) is not finite.
            let (m, u, l) = band_values(m, sd, v, upv, dnv);
            _mm256_storeu_pd(pm.add(i), m);
            _mm256_storeu_pd(pu.add(i), u);
            _mm256_storeu_pd(pl.add(i), l);
        }
        i += 4;
    }
    scalar::bands::<ROOT>(
        &mut middle[body..],
        &mut upper[body..],
        &mut lower[body..],
        up,
        dn,
    );
}
