//! AVX2+FMA rolling variance: the block algorithm of the
//! [module docs](super) with the sliding sums formed by 4-lane
//! in-register prefix scans, 8 outputs per iteration, and one add per
//! iteration on each loop-carried chain.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::{Block, Kernel, Pre, TOL_MEAN};
use crate::dispatch::Avx2Fma;

/// The AVX2+FMA backend; holding the token proves the features exist.
pub(crate) struct Avx2(pub(crate) Avx2Fma);

impl Kernel for Avx2 {
    fn prepass(&self, xs: &[f64], p: usize, r: f64) -> Pre {
        let _token = self.0;
        // SAFETY: the `Avx2Fma` token proves AVX2 and FMA are present;
        // `prepass_avx2` only reads `xs` within its length.
        unsafe { prepass_avx2(xs, p, r) }
    }

    fn run<const MEAN: bool>(
        &self,
        x: &[f64],
        b: &Block,
        var: &mut [f64],
        mean: &mut [f64],
    ) -> usize {
        let _token = self.0;
        debug_assert!(b.s + 1 >= b.p && b.e <= x.len() && var.len() == x.len());
        debug_assert!(!MEAN || mean.len() == x.len());
        // SAFETY: the token proves AVX2 and FMA are present; the driver
        // guarantees `p - 1 <= s < e <= x.len() == var.len()` (and
        // `mean.len() == x.len()` when `MEAN`), which is all `run_avx2`
        // needs for its accesses to stay in bounds.
        unsafe { run_avx2::<MEAN>(x, b, var, mean) }
    }
}

/// `|v|` lane-wise.
#[inline(always)]
fn abs(v: __m256d) -> __m256d {
    // SAFETY: register-only AVX operations; this helper is only inlined
    // into `#[target_feature(enable = "avx2,fma")]` functions.
    unsafe { _mm256_andnot_pd(_mm256_set1_pd(-0.0), v) }
}

/// Inclusive prefix sum of the 4 lanes: `[a, a+b, a+b+c, a+b+c+d]`.
#[inline(always)]
fn scan4(v: __m256d) -> __m256d {
    // SAFETY: register-only AVX/AVX2 operations, inlined into
    // `#[target_feature(enable = "avx2,fma")]` functions only.
    unsafe {
        let zero = _mm256_setzero_pd();
        // [0, a, 0, c] added: [a, a+b, c, c+d]
        let v = _mm256_add_pd(v, _mm256_unpacklo_pd(zero, v));
        // [0, 0, a+b, a+b] added: the upper half gets the lower total.
        let t = _mm256_blend_pd::<0b0011>(_mm256_permute4x64_pd::<0b01_01_00_00>(v), zero);
        _mm256_add_pd(v, t)
    }
}

/// Broadcast of lane 3.
#[inline(always)]
fn bcast3(v: __m256d) -> __m256d {
    // SAFETY: register-only AVX2 permute, inlined into AVX2 functions only.
    unsafe { _mm256_permute4x64_pd::<0xFF>(v) }
}

/// Horizontal sum of the 4 lanes.
#[inline(always)]
fn hsum(v: __m256d) -> f64 {
    // SAFETY: register-only AVX operations, inlined into AVX2 functions only.
    unsafe {
        let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
        _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
    }
}

/// Horizontal minimum of the 4 lanes.
#[inline(always)]
fn hmin(v: __m256d) -> f64 {
    // SAFETY: register-only AVX operations, inlined into AVX2 functions only.
    unsafe {
        let s = _mm_min_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
        _mm_cvtsd_f64(_mm_min_sd(s, _mm_unpackhi_pd(s, s)))
    }
}

/// The block pre-pass (see [`Pre`]).
///
/// # Safety
/// The CPU must support AVX2 and FMA; `p <= xs.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn prepass_avx2(xs: &[f64], p: usize, r: f64) -> Pre {
    let rv = _mm256_set1_pd(r);
    let ptr = xs.as_ptr();
    let (mut s1, mut s2, mut l) = (
        _mm256_setzero_pd(),
        _mm256_setzero_pd(),
        _mm256_setzero_pd(),
    );
    let mut mn = _mm256_set1_pd(f64::INFINITY);
    let p4 = p & !3;
    let (mut t1, mut t2) = (0.0, 0.0);
    let mut i = 0;
    while i < p4 {
        // SAFETY: i + 4 <= p4 <= p <= xs.len().
        let v = unsafe { _mm256_loadu_pd(ptr.add(i)) };
        let a = _mm256_sub_pd(v, rv);
        s1 = _mm256_add_pd(s1, a);
        s2 = _mm256_fmadd_pd(a, a, s2);
        l = _mm256_add_pd(l, abs(a));
        mn = _mm256_min_pd(mn, abs(v));
        i += 4;
        if i % (4 * super::CHUNK) == 0 {
            // One chunk of 64 per lane done: fold it into the totals.
            t1 += hsum(s1);
            t2 += hsum(s2);
            s1 = _mm256_setzero_pd();
            s2 = _mm256_setzero_pd();
        }
    }
    let (mut s1, mut s2) = (t1 + hsum(s1), t2 + hsum(s2));
    let mut ls = 0.0;
    let mut minabs = f64::INFINITY;
    for &v in &xs[p4..p] {
        let a = v - r;
        s1 += a;
        s2 += a * a;
        ls += a.abs();
        minabs = minabs.min(v.abs());
    }
    let mut q = _mm256_setzero_pd();
    let n = xs.len();
    let mut i = p;
    while i + 4 <= n {
        // SAFETY: i + 4 <= n = xs.len().
        let v = unsafe { _mm256_loadu_pd(ptr.add(i)) };
        let a = _mm256_sub_pd(v, rv);
        q = _mm256_fmadd_pd(a, a, q);
        l = _mm256_add_pd(l, abs(a));
        mn = _mm256_min_pd(mn, abs(v));
        i += 4;
    }
    let mut q = hsum(q) + s2;
    ls += hsum(l);
    minabs = minabs.min(hmin(mn));
    for &v in &xs[i..] {
        let a = v - r;
        q += a * a;
        ls += a.abs();
        minabs = minabs.min(v.abs());
    }
    Pre {
        s1,
        s2,
        q,
        l: ls,
        minabs,
    }
}

/// Variance of 4 outputs from their running sums, and the lanes whose
/// bound rejects them (all-ones lanes).
#[inline(always)]
fn finish4(b: &Block, s1: __m256d, s2: __m256d) -> (__m256d, __m256d) {
    // SAFETY: register-only AVX/FMA operations, inlined into AVX2+FMA
    // functions only.
    unsafe {
        let q = _mm256_mul_pd(_mm256_mul_pd(s1, _mm256_set1_pd(b.invp)), s1);
        let v = _mm256_sub_pd(s2, q);
        let var = _mm256_mul_pd(
            _mm256_max_pd(v, _mm256_setzero_pd()),
            _mm256_set1_pd(b.invd),
        );
        let err = _mm256_fmadd_pd(_mm256_set1_pd(b.e1), abs(s1), _mm256_set1_pd(b.e0));
        let err = _mm256_fmadd_pd(_mm256_set1_pd(b.e2), q, err);
        (var, _mm256_cmp_pd::<_CMP_NLE_UQ>(err, v))
    }
}

/// Mean of 4 outputs, and the lanes whose bound rejects them.
#[inline(always)]
fn finish_mean4(b: &Block, s1: __m256d) -> (__m256d, __m256d) {
    // SAFETY: register-only AVX/FMA operations, inlined into AVX2+FMA
    // functions only.
    unsafe {
        let m = _mm256_fmadd_pd(s1, _mm256_set1_pd(b.invp), _mm256_set1_pd(b.r));
        let am = abs(m);
        let err = _mm256_fmadd_pd(_mm256_set1_pd(b.m1), abs(s1), _mm256_set1_pd(b.m0));
        let err = _mm256_fmadd_pd(_mm256_set1_pd(b.m2), am, err);
        let rhs = _mm256_mul_pd(
            _mm256_set1_pd(TOL_MEAN),
            _mm256_max_pd(_mm256_set1_pd(b.minabs), am),
        );
        (m, _mm256_cmp_pd::<_CMP_NLE_UQ>(err, rhs))
    }
}

/// Runs the block's outputs (see [`Kernel::run`]).
///
/// # Safety
/// The CPU must support AVX2 and FMA; `b.p >= 1`,
/// `b.p - 1 <= b.s < b.e <= x.len()`, `var.len() >= b.e`, and
/// `mean.len() >= b.e` if `MEAN`.
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2<const MEAN: bool>(
    x: &[f64],
    b: &Block,
    var: &mut [f64],
    mean: &mut [f64],
) -> usize {
    let (s, e, p) = (b.s, b.e, b.p);
    let (v, ok) = b.finish(b.s1, b.s2);
    var[s] = v;
    if !ok {
        return s;
    }
    if MEAN {
        let (m, ok) = b.finish_mean(b.s1);
        mean[s] = m;
        if !ok {
            return s;
        }
    }
    let rv = _mm256_set1_pd(b.r);
    let mut c1 = _mm256_set1_pd(b.s1);
    let mut c2 = _mm256_set1_pd(b.s2);
    let xp = x.as_ptr();
    let vp = var.as_mut_ptr();
    let mp = mean.as_mut_ptr();
    let mut k = s + 1;
    while k + 8 <= e {
        // SAFETY: k - p >= s + 1 - p >= 0 and k + 8 <= e <= x.len(), so
        // x[k-p .. k-p+8] and x[k .. k+8] are in bounds.
        let (xn0, xn1, xo0, xo1) = unsafe {
            (
                _mm256_loadu_pd(xp.add(k)),
                _mm256_loadu_pd(xp.add(k + 4)),
                _mm256_loadu_pd(xp.add(k - p)),
                _mm256_loadu_pd(xp.add(k - p + 4)),
            )
        };
        let (a0, a1) = (_mm256_sub_pd(xn0, rv), _mm256_sub_pd(xn1, rv));
        let (o0, o1) = (_mm256_sub_pd(xo0, rv), _mm256_sub_pd(xo1, rv));
        let l10 = scan4(_mm256_sub_pd(a0, o0));
        let l11 = scan4(_mm256_sub_pd(a1, o1));
        let l20 = scan4(_mm256_fmsub_pd(a0, a0, _mm256_mul_pd(o0, o0)));
        let l21 = scan4(_mm256_fmsub_pd(a1, a1, _mm256_mul_pd(o1, o1)));
        let (t1, t2) = (bcast3(l10), bcast3(l20));
        let s10 = _mm256_add_pd(c1, l10);
        let s20 = _mm256_add_pd(c2, l20);
        let s11 = _mm256_add_pd(_mm256_add_pd(c1, t1), l11);
        let s21 = _mm256_add_pd(_mm256_add_pd(c2, t2), l21);
        c1 = _mm256_add_pd(c1, _mm256_add_pd(t1, bcast3(l11)));
        c2 = _mm256_add_pd(c2, _mm256_add_pd(t2, bcast3(l21)));
        let (v0, f0) = finish4(b, s10, s20);
        let (v1, f1) = finish4(b, s11, s21);
        // SAFETY: k + 8 <= e <= var.len().
        unsafe {
            _mm256_storeu_pd(vp.add(k), v0);
            _mm256_storeu_pd(vp.add(k + 4), v1);
        }
        let mut flags = _mm256_movemask_pd(f0) | (_mm256_movemask_pd(f1) << 4);
        if MEAN {
            let (m0, g0) = finish_mean4(b, s10);
            let (m1, g1) = finish_mean4(b, s11);
            // SAFETY: k + 8 <= e <= mean.len() when MEAN.
            unsafe {
                _mm256_storeu_pd(mp.add(k), m0);
                _mm256_storeu_pd(mp.add(k + 4), m1);
            }
            flags |= _mm256_movemask_pd(g0) | (_mm256_movemask_pd(g1) << 4);
        }
        if flags != 0 {
            return k + flags.trailing_zeros() as usize;
        }
        k += 8;
    }
    let (s1, s2) = (_mm256_cvtsd_f64(c1), _mm256_cvtsd_f64(c2));
    super::scalar::run_from::<MEAN>(x, b, k, s1, s2, var, mean)
}
