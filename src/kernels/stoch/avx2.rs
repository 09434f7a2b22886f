//! AVX2 backend: four bars per `__m256d`; the scalar definition on the tail.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::scalar;
use crate::dispatch::Avx2Fma;

/// As `scalar::raw_k` (same bits, same flag).
pub(crate) fn raw_k(_token: Avx2Fma, close: &[f64], hh: &[f64], out: &mut [f64]) -> bool {
    assert!(close.len() == out.len() && hh.len() == out.len());
    // SAFETY: the token proves AVX2 and FMA; the three slices were just
    // checked to have one length.
    unsafe { raw_k_avx2(close, hh, out) }
}

/// # Safety
///
/// The CPU must support AVX2 and FMA; `close`, `hh` and `out` have the same
/// length.
#[target_feature(enable = "avx2,fma")]
unsafe fn raw_k_avx2(close: &[f64], hh: &[f64], out: &mut [f64]) -> bool {
    let n = out.len();
    let body = n / 4 * 4;
    let (zero, one, hundred) = (
        _mm256_setzero_pd(),
        _mm256_set1_pd(1.0),
        _mm256_set1_pd(100.0),
    );
    let (sign, tame) = (_mm256_set1_pd(-0.0), _mm256_set1_pd(super::TAME));
    // All lanes ones while every output so far is tame (`<=` is false on
    // NaN) and every close finite (`c − c == 0` is false on NaN and ±inf).
    let mut ok = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    let (cp, hp, op) = (close.as_ptr(), hh.as_ptr(), out.as_mut_ptr());
    let mut i = 0;
    while i < body {
        // SAFETY: `i + 4 <= body <= n` and all three slices have length
        // `n`: the lanes read and written are in bounds.
        unsafe {
            let c = _mm256_loadu_pd(cp.add(i));
            let h = _mm256_loadu_pd(hp.add(i));
            let l = _mm256_loadu_pd(op.add(i));
            let range = _mm256_sub_pd(h, l);
            let flat = _mm256_cmp_pd::<_CMP_EQ_OQ>(range, zero);
            let num = _mm256_blendv_pd(_mm256_sub_pd(c, l), zero, flat);
            let den = _mm256_blendv_pd(_mm256_div_pd(range, hundred), one, flat);
            let k = _mm256_div_pd(num, den);
            _mm256_storeu_pd(op.add(i), k);
            let small = _mm256_cmp_pd::<_CMP_LE_OQ>(_mm256_andnot_pd(sign, k), tame);
            let finite = _mm256_cmp_pd::<_CMP_EQ_OQ>(_mm256_sub_pd(c, c), zero);
            ok = _mm256_and_pd(ok, _mm256_and_pd(small, finite));
        }
        i += 4;
    }
    let tail = scalar::raw_k(&close[body..], &hh[body..], &mut out[body..]);
    tail & (_mm256_movemask_pd(ok) == 0xF)
}
