//! AVX2+FMA blocked, shifted WMA with in-register prefix scans (see the
//! module docs).
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::block_len;
use crate::dispatch::Avx2Fma;

/// WMA outputs `from..y.len()` of the finite run `y` into `out`
/// (`p >= 2`, `from >= p - 1`); earlier outputs are left untouched.
pub(crate) fn run(_token: Avx2Fma, y: &[f64], p: usize, out: &mut [f64], from: usize) {
    assert!(p >= 2 && from + 1 >= p && out.len() == y.len());
    // SAFETY: the token proves AVX2+FMA; lengths were checked just above.
    unsafe { run_impl(y, p, out, from) }
}

/// Inclusive prefix sum of the four lanes.
#[inline(always)]
fn scan(v: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; the caller enables AVX2.
    unsafe {
        let z = _mm256_setzero_pd();
        let t = _mm256_add_pd(
            v,
            _mm256_blend_pd::<0b0001>(_mm256_permute4x64_pd::<0x90>(v), z),
        );
        _mm256_add_pd(t, _mm256_permute2f128_pd::<0x08>(t, t))
    }
}

/// Lanes shifted up by one, zero into lane 0.
#[inline(always)]
fn shift_up1(v: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; the caller enables AVX2.
    unsafe { _mm256_blend_pd::<0b0001>(_mm256_permute4x64_pd::<0x90>(v), _mm256_setzero_pd()) }
}

/// Horizontal sum.
#[inline(always)]
fn hsum(v: __m256d) -> f64 {
    // SAFETY: register-only intrinsics; the caller enables AVX2.
    unsafe {
        let lo = _mm256_castpd256_pd128(v);
        let hi = _mm256_extractf128_pd::<1>(v);
        let s = _mm_add_pd(lo, hi);
        _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
    }
}

/// Fresh plain and weighted sums of `y[s+1−p ..= s] − r`, vectorized.
///
/// # Safety
///
/// AVX2+FMA must be enabled; `p - 1 <= s < y.len()`.
#[inline(always)]
unsafe fn fresh(y: &[f64], s: usize, p: usize, r: f64) -> (f64, f64) {
    let lo = s + 1 - p;
    let yp = y.as_ptr();
    let mut k = 0;
    // SAFETY: loads at lo + k .. lo + k + 4 with k + 4 <= p, i.e. up to
    // s + 1 <= y.len(); the rest is register arithmetic.
    unsafe {
        let rv = _mm256_set1_pd(r);
        let four = _mm256_set1_pd(4.0);
        let mut wt = _mm256_setr_pd(1.0, 2.0, 3.0, 4.0);
        let (mut sa, mut wa) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        while k + 4 <= p {
            let v = _mm256_sub_pd(_mm256_loadu_pd(yp.add(lo + k)), rv);
            sa = _mm256_add_pd(sa, v);
            wa = _mm256_fmadd_pd(wt, v, wa);
            wt = _mm256_add_pd(wt, four);
            k += 4;
        }
        let (mut s0, mut w0) = (hsum(sa), hsum(wa));
        while k < p {
            let v = y[lo + k] - r;
            s0 += v;
            w0 += (k + 1) as f64 * v;
            k += 1;
        }
        (s0, w0)
    }
}

/// # Safety
///
/// AVX2+FMA must be enabled; `p >= 2`, `from >= p - 1`,
/// `out.len() == y.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn run_impl(y: &[f64], p: usize, out: &mut [f64], from: usize) {
    let m = y.len();
    let pf = p as f64;
    let inv_d = 2.0 / (pf * (pf + 1.0));
    let blk = block_len(p);
    let yp = y.as_ptr();
    let op = out.as_mut_ptr();
    let mut s = from;
    while s < m {
        let e = (s + blk).min(m);
        let r = y[s];
        // SAFETY: p - 1 <= s < m.
        let (mut sum, mut w) = unsafe { fresh(y, s, p, r) };
        out[s] = r + w * inv_d;
        let mut i = s + 1;
        // SAFETY: every load is of y at i..i+4 or i−p..i−p+4 with
        // p <= s + 1 <= i and i + 4 <= e <= m; every store is of out at
        // i..i+4, inside out (m elements); the rest is register arithmetic.
        unsafe {
            let rv = _mm256_set1_pd(r);
            let pv = _mm256_set1_pd(pf);
            let idv = _mm256_set1_pd(inv_d);
            let four = _mm256_set1_pd(4.0);
            let l1234 = _mm256_setr_pd(1.0, 2.0, 3.0, 4.0);
            let mut sb = _mm256_set1_pd(sum);
            let mut wb = _mm256_set1_pd(w);
            while i + 4 <= e {
                let yv = _mm256_loadu_pd(yp.add(i));
                let yo = _mm256_loadu_pd(yp.add(i - p));
                let sd = scan(_mm256_sub_pd(yv, yo));
                // g_l = p·(y_l − r) − (S_{i+l−1} − S_{i−1})
                let g = _mm256_sub_pd(_mm256_mul_pd(_mm256_sub_pd(yv, rv), pv), shift_up1(sd));
                let sg = scan(g);
                // W_{i+l} = W_{i−1} + sg_l − (l+1)·S_{i−1}
                let wv = _mm256_fnmadd_pd(l1234, sb, _mm256_add_pd(wb, sg));
                _mm256_storeu_pd(op.add(i), _mm256_fmadd_pd(wv, idv, rv));
                let sd3 = _mm256_permute4x64_pd::<0xFF>(sd);
                let sg3 = _mm256_permute4x64_pd::<0xFF>(sg);
                wb = _mm256_add_pd(wb, _mm256_fnmadd_pd(four, sb, sg3));
                sb = _mm256_add_pd(sb, sd3);
                i += 4;
            }
            sum = _mm256_cvtsd_f64(sb);
            w = _mm256_cvtsd_f64(wb);
        }
        while i < e {
            let prev = sum;
            sum += y[i] - y[i - p];
            w += pf * (y[i] - r) - prev;
            out[i] = r + w * inv_d;
            i += 1;
        }
        s = e;
    }
}
