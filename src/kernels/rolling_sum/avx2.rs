//! AVX2 backend: the canonical order of `scalar.rs`, four lanes at a time.
//!
//! The in-register scans use `-0.0` as the shifted-in zero (an exact
//! identity of `+`, so lanes that add it keep their value bit for bit):
//!
//! - prefix: `t = v + [-0, v0, -0, v2]` (`unpacklo`), then
//!   `u = t + [-0, -0, t1, t1]` (`permute` + `permute2f128`);
//! - suffix: `t = v + [v1, -0, v3, -0]` (`unpackhi`), then
//!   `u = t + [t2, t2, -0, -0]`.
//!
//! The group total (lane 3 of a prefix group, lane 0 of a suffix group) is
//! broadcast and added to the carry off the output's path, so the only
//! loop-carried dependency is one `vaddpd` per group of four.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::scalar;
use super::{DIRECT_MAX_PERIOD, SUB};
use crate::dispatch::Avx2Fma;

/// Rolling sum (or mean) with AVX2; same contract as
/// [`scalar::rolling`].
pub(crate) fn rolling<const MEAN: bool>(_token: Avx2Fma, x: &[f64], p: usize, out: &mut [f64]) {
    assert!(p >= 1 && p <= x.len() && x.len() == out.len());
    // SAFETY: the token proves AVX2 and FMA are available; the lengths were
    // checked just above, which is all `rolling_avx2` requires.
    unsafe { rolling_avx2::<MEAN>(x, p, out) }
}

/// # Safety
///
/// The CPU must support AVX2 and FMA, and `1 <= p <= x.len() ==
/// out.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn rolling_avx2<const MEAN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    if p <= DIRECT_MAX_PERIOD {
        // SAFETY: same contract, and the features are enabled here.
        unsafe { direct::<MEAN>(x, p, out) };
        return;
    }
    let inv = 1.0 / p as f64;
    scalar::drive(
        x,
        p,
        out,
        // SAFETY: `drive` passes slices of equal length; features enabled.
        |y, d| unsafe { suffix_scan(y, d) },
        // SAFETY: as above.
        |y, d| unsafe { prefix_add::<MEAN>(y, d, inv) },
    );
}

/// Sums each window left to right, four windows per instruction.
///
/// # Safety
///
/// AVX2 must be available and `1 <= p <= x.len() == out.len()`.
#[inline(always)]
unsafe fn direct<const MEAN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    let n = x.len();
    // SAFETY: register-only intrinsic; the caller guarantees AVX2.
    let inv = unsafe { _mm256_set1_pd(1.0 / p as f64) };
    let xp = x.as_ptr();
    let op = out.as_mut_ptr();
    let mut i = p - 1;
    while i + 4 <= n {
        let w = i + 1 - p;
        // SAFETY: the loads read x[w + j .. w + j + 4] for j < p, whose
        // last index is w + p - 1 + 3 = i + 3 < n; the store writes
        // out[i .. i + 4], in bounds since i + 4 <= n == out.len().
        unsafe {
            let mut acc = _mm256_loadu_pd(xp.add(w));
            for j in 1..p {
                acc = _mm256_add_pd(acc, _mm256_loadu_pd(xp.add(w + j)));
            }
            if MEAN {
                acc = _mm256_mul_pd(acc, inv);
            }
            _mm256_storeu_pd(op.add(i), acc);
        }
        i += 4;
    }
    scalar::direct::<MEAN>(x, p, out, i);
}

/// `[-0, v0, -0, v2] + v`, then `+ [-0, -0, t1, t1]`: canonical prefix4.
///
/// # Safety
///
/// AVX2 must be available.
#[inline(always)]
unsafe fn prefix4(v: __m256d, nz: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    unsafe {
        let t = _mm256_add_pd(v, _mm256_unpacklo_pd(nz, v));
        let d = _mm256_permute_pd::<0b1111>(t);
        _mm256_add_pd(t, _mm256_permute2f128_pd::<0x02>(d, nz))
    }
}

/// `v + [v1, -0, v3, -0]`, then `+ [t2, t2, -0, -0]`: canonical suffix4.
///
/// # Safety
///
/// AVX2 must be available.
#[inline(always)]
unsafe fn suffix4(v: __m256d, nz: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    unsafe {
        let t = _mm256_add_pd(v, _mm256_unpackhi_pd(v, nz));
        let d = _mm256_permute_pd::<0b0000>(t);
        _mm256_add_pd(t, _mm256_permute2f128_pd::<0x21>(d, nz))
    }
}

/// Canonical suffix sums of `y` into `dst`.
///
/// # Safety
///
/// AVX2 must be available and `dst.len() == y.len()`.
#[inline(always)]
unsafe fn suffix_scan(y: &[f64], dst: &mut [f64]) {
    assert_eq!(y.len(), dst.len());
    // SAFETY: register-only intrinsic; the caller guarantees AVX2.
    let nz = unsafe { _mm256_set1_pd(-0.0) };
    let yp = y.as_ptr();
    let dp = dst.as_mut_ptr();
    let mut base = nz;
    let mut end = y.len();
    let mut first = true;
    while end > 0 {
        let beg = end.saturating_sub(SUB);
        let mut carry = nz;
        let mut k = end;
        while k >= beg + 4 {
            k -= 4;
            // SAFETY: beg <= k and k + 4 <= end <= y.len() == dst.len(), so
            // the load of y[k..k+4] and the store to dst[k..k+4] are in
            // bounds.
            unsafe {
                let u = suffix4(_mm256_loadu_pd(yp.add(k)), nz);
                let mut local = _mm256_add_pd(carry, u);
                if !first {
                    local = _mm256_add_pd(base, local);
                }
                _mm256_storeu_pd(dp.add(k), local);
                carry = _mm256_add_pd(carry, _mm256_permute4x64_pd::<0x00>(u));
            }
        }
        // SAFETY: register-only intrinsics; the caller guarantees AVX2.
        let (mut c, b) = unsafe { (_mm256_cvtsd_f64(carry), _mm256_cvtsd_f64(base)) };
        while k > beg {
            k -= 1;
            c += y[k];
            dst[k] = if first { c } else { b + c };
        }
        // SAFETY: register-only intrinsic; the caller guarantees AVX2.
        base = unsafe { _mm256_set1_pd(b + c) };
        first = false;
        end = beg;
    }
}

/// `dst[t] = dst[t] + Pre[t]` (times `inv` if `MEAN`).
///
/// # Safety
///
/// AVX2 must be available and `dst.len() == y.len()`.
#[inline(always)]
unsafe fn prefix_add<const MEAN: bool>(y: &[f64], dst: &mut [f64], inv: f64) {
    assert_eq!(y.len(), dst.len());
    let n = y.len();
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    let (nz, vinv) = unsafe { (_mm256_set1_pd(-0.0), _mm256_set1_pd(inv)) };
    let yp = y.as_ptr();
    let dp = dst.as_mut_ptr();
    let mut base = nz;
    let mut beg = 0;
    let mut first = true;
    while beg < n {
        let end = (beg + SUB).min(n);
        let mut carry = nz;
        let mut k = beg;
        while k + 4 <= end {
            // SAFETY: k + 4 <= end <= n == y.len() == dst.len(): the loads
            // of y[k..k+4] and dst[k..k+4] and the store are in bounds.
            unsafe {
                let u = prefix4(_mm256_loadu_pd(yp.add(k)), nz);
                let mut pre = _mm256_add_pd(carry, u);
                if !first {
                    pre = _mm256_add_pd(base, pre);
                }
                let mut s = _mm256_add_pd(_mm256_loadu_pd(dp.add(k)), pre);
                if MEAN {
                    s = _mm256_mul_pd(s, vinv);
                }
                _mm256_storeu_pd(dp.add(k), s);
                carry = _mm256_add_pd(carry, _mm256_permute4x64_pd::<0xFF>(u));
            }
            k += 4;
        }
        // SAFETY: register-only intrinsics; the caller guarantees AVX2.
        let (mut c, b) = unsafe { (_mm256_cvtsd_f64(carry), _mm256_cvtsd_f64(base)) };
        while k < end {
            c += y[k];
            let pre = if first { c } else { b + c };
            let s = dst[k] + pre;
            dst[k] = if MEAN { s * inv } else { s };
            k += 1;
        }
        // SAFETY: register-only intrinsic; the caller guarantees AVX2.
        base = unsafe { _mm256_set1_pd(b + c) };
        first = false;
        beg = end;
    }
}
