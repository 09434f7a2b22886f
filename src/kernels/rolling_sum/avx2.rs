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
    let n = x.len();
    let inv = 1.0 / p as f64;
    let w = p.div_ceil(4) * 4;
    let valid = ((p - 1) % 4) as i64;
    let vinv = _mm256_set1_pd(inv);
    let top_mask = _mm256_castsi256_pd(_mm256_cmpgt_epi64(
        _mm256_set1_epi64x(valid),
        _mm256_setr_epi64x(0, 1, 2, 3),
    ));
    let mut s = 0;
    while s < n {
        if s + w <= n {
            // SAFETY: s + 4·⌈p/4⌉ <= n, s is 0 or a multiple of p >= p,
            // p > DIRECT_MAX_PERIOD, top_mask as documented; AVX2 enabled.
            unsafe { region::<MEAN>(x, p, out, s, vinv, top_mask) };
        } else {
            scalar::region::<MEAN>(x, p, out, s, inv);
        }
        s += p;
    }
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

/// One region `s` (see [`scalar::region`]) with vectors only.
///
/// Reads `x[s - p + 1 .. s + w]` and writes `out[s .. s + w]`, where
/// `w = 4·⌈p/4⌉`: the lanes past the region hold scratch values that the
/// next region overwrites before reading.
///
/// # Safety
///
/// AVX2 must be available; `x.len() == out.len()`, `p > DIRECT_MAX_PERIOD`,
/// and `s + 4·⌈p/4⌉ <= x.len()`; `s` is 0 or `>= p`. `top_mask` has
/// all bits set in the lanes `j < (p - 1) % 4` (the valid lanes of the
/// suffix scan's last group).
#[inline(always)]
unsafe fn region<const MEAN: bool>(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    vinv: __m256d,
    top_mask: __m256d,
) {
    debug_assert!(s + p.div_ceil(4) * 4 <= x.len() && x.len() == out.len());
    let xp = x.as_ptr();
    let op = out.as_mut_ptr();
    // SAFETY: register-only intrinsic; the caller guarantees AVX2.
    let nz = unsafe { _mm256_set1_pd(-0.0) };
    if s == 0 {
        for k in (0..p).step_by(4) {
            // SAFETY: k + 4 <= 4·⌈p/4⌉ <= out.len() (caller's contract).
            unsafe { _mm256_storeu_pd(op.add(k), nz) };
        }
    } else {
        // Suffix scan of y'[t] = x[s - p + 1 + t] (y'[t] = -0 for t >= p - 1),
        // groups aligned to t = 0 mod 4, sub-blocks of SUB, both backward.
        let y0 = s + 1 - p;
        let mut base = nz;
        let mut first = true;
        let mut sub_end = p;
        let mut top = true;
        while sub_end > 0 {
            let beg = (sub_end - 1) / SUB * SUB;
            let mut carry = nz;
            let mut k = beg + (sub_end - beg - 1) / 4 * 4;
            loop {
                // SAFETY: reads x[y0 + k .. y0 + k + 4]: y0 >= 1, and
                // y0 + k + 4 <= s + 1 - p + 4·⌈p/4⌉ <= s + 4·⌈p/4⌉ <= x.len()
                // (k <= 4·⌈p/4⌉ - 4); writes out[s + k .. s + k + 4], in
                // bounds by the same inequality.
                unsafe {
                    let mut v = _mm256_loadu_pd(xp.add(y0 + k));
                    if top {
                        v = _mm256_blendv_pd(nz, v, top_mask);
                        top = false;
                    }
                    let u = suffix4(v, nz);
                    let mut local = _mm256_add_pd(carry, u);
                    if !first {
                        local = _mm256_add_pd(base, local);
                    }
                    _mm256_storeu_pd(op.add(s + k), local);
                    carry = _mm256_add_pd(carry, _mm256_permute4x64_pd::<0x00>(u));
                }
                if k == beg {
                    break;
                }
                k -= 4;
            }
            // SAFETY: register-only intrinsic; the caller guarantees AVX2.
            base = unsafe { _mm256_add_pd(base, carry) };
            first = false;
            sub_end = beg;
        }
    }
    // Prefix scan of x[s .. s + p], added in place; the lanes past p see
    // scratch, which only affects lanes past p.
    let mut base = nz;
    let mut beg = 0;
    let mut first = true;
    while beg < p {
        let end = (beg + SUB).min(p);
        let mut carry = nz;
        let mut k = beg;
        while k < end {
            // SAFETY: k < p and k is a multiple of 4, so k + 4 <= 4·⌈p/4⌉ and
            // s + k + 4 <= x.len() == out.len(): the loads of x and out and
            // the store are in bounds.
            unsafe {
                let u = prefix4(_mm256_loadu_pd(xp.add(s + k)), nz);
                let mut pre = _mm256_add_pd(carry, u);
                if !first {
                    pre = _mm256_add_pd(base, pre);
                }
                let mut v = _mm256_add_pd(_mm256_loadu_pd(op.add(s + k)), pre);
                if MEAN {
                    v = _mm256_mul_pd(v, vinv);
                }
                _mm256_storeu_pd(op.add(s + k), v);
                carry = _mm256_add_pd(carry, _mm256_permute4x64_pd::<0xFF>(u));
            }
            k += 4;
        }
        // SAFETY: register-only intrinsic; the caller guarantees AVX2.
        base = unsafe { _mm256_add_pd(base, carry) };
        first = false;
        beg = end;
    }
}
