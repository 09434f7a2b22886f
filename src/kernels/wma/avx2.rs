//! AVX2 backend (see the module docs).
//!
//! Periods up to [`SEQUENTIAL_MAX`]: the window-local path in the
//! *vertical* layout, eight consecutive regions at a time (then four, then
//! the scalar code for the last few), one per lane of two vectors, each
//! lane performing [`scalar::region_local`]'s operations in its order
//! (plain multiplies and adds, no FMA), so every output is bit-identical
//! to the scalar backend. Four values of each region are loaded together
//! and transposed (4×4), the outputs are transposed back before their
//! store. Per four outputs: 4 loads, 13 arithmetic operations, 6
//! shuffles, no division, no finiteness pre-pass. The two lane groups
//! are processed one after the other within each block of four steps
//! (their chains are independent, so they still overlap), which keeps
//! the live vectors within the 16 registers.
//!
//! Longer periods: the blocked, shifted recurrence with in-register prefix
//! scans (FMA), within the same bound as the scalar code.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::{SEQUENTIAL_MAX, block_len, scalar};
use crate::dispatch::Avx2Fma;
// The region-lane loads are rolling variance's (same layout).
use crate::kernels::rolling_var::avx2::{load4, region_refs, transpose};

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

// ------------------------------------------------ window-local, vertical

/// Regions per vertical group: `4·G_MAX` at most.
const G_MAX: usize = 2;

/// Per-step suffix sums of the vertical layout, `[t][g]` (lane = region).
type Scratch = [[__m256d; G_MAX]; SEQUENTIAL_MAX];

/// Window-local WMA (`2 <= p <= SEQUENTIAL_MAX`, `p <= x.len() ==
/// out.len()`): bit-identical to [`scalar::local`]; `out[..p - 1]` is left
/// with scratch values the caller overwrites.
pub(crate) fn local(_token: Avx2Fma, x: &[f64], p: usize, out: &mut [f64]) {
    assert!((2..=SEQUENTIAL_MAX).contains(&p) && p <= x.len() && x.len() == out.len());
    // SAFETY: the token proves AVX2+FMA; the bounds were checked just above.
    unsafe { local_impl(x, p, out) }
}

/// # Safety
///
/// AVX2 must be available; `2 <= p <= SEQUENTIAL_MAX`, `p <= x.len() ==
/// out.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn local_impl(x: &[f64], p: usize, out: &mut [f64]) {
    let n = x.len();
    let pf = p as f64;
    let inv_d = 2.0 / (pf * (pf + 1.0));
    let c = VConsts {
        pv: _mm256_set1_pd(pf),
        inv_d: _mm256_set1_pd(inv_d),
    };
    let mut sv = [0.0; SEQUENTIAL_MAX];
    let z = _mm256_setzero_pd();
    let mut v: Scratch = [[z; G_MAX]; SEQUENTIAL_MAX];
    // Region 0 has no chunk before it; the scalar code handles it.
    scalar::region_local(x, p, out, 0, inv_d, &mut sv);
    let w = p.div_ceil(4) * 4;
    let mut s = p;
    // Eight regions at a time: two independent chains per running sum.
    while s + 7 * p + w <= n {
        // SAFETY: s >= p and s + 7p + 4·⌈p/4⌉ <= n; AVX2 is enabled here.
        unsafe { group::<2>(x, p, out, s, &c, &mut v) };
        s += 8 * p;
    }
    if s + 3 * p + w <= n {
        // SAFETY: s >= p and s + 3p + 4·⌈p/4⌉ <= n; AVX2 is enabled here.
        unsafe { group::<1>(x, p, out, s, &c, &mut v) };
        s += 4 * p;
    }
    while s < n {
        scalar::region_local(x, p, out, s, inv_d, &mut sv);
        s += p;
    }
}

/// Loop-invariant vectors of the vertical layout.
struct VConsts {
    pv: __m256d,
    inv_d: __m256d,
}

/// One suffix step of [`scalar::region_local`]: `a = x - r`, `u += a`,
/// `v += u`.
#[inline(always)]
fn suffix_step(x: __m256d, r: __m256d, u: &mut __m256d, v: &mut __m256d) {
    // SAFETY: register-only intrinsics; only inlined into functions that
    // enable AVX2.
    unsafe {
        *u = _mm256_add_pd(*u, _mm256_sub_pd(x, r));
        *v = _mm256_add_pd(*v, *u);
    }
}

/// One prefix step of [`scalar::region_local`], finished with the suffix
/// sum `sv` (plain multiplies and adds, no FMA: the scalar order).
#[inline(always)]
fn prefix_step(
    x: __m256d,
    r: __m256d,
    p0: &mut __m256d,
    q: &mut __m256d,
    sv: __m256d,
    c: &VConsts,
) -> __m256d {
    // SAFETY: register-only intrinsics; only inlined into functions that
    // enable AVX2.
    unsafe {
        let b = _mm256_sub_pd(x, r);
        *q = _mm256_add_pd(*q, *p0);
        *p0 = _mm256_add_pd(*p0, b);
        let w = _mm256_add_pd(sv, _mm256_sub_pd(_mm256_mul_pd(c.pv, *p0), *q));
        let o = _mm256_add_pd(r, _mm256_mul_pd(w, c.inv_d));
        _mm256_add_pd(o, _mm256_mul_pd(o, _mm256_setzero_pd()))
    }
}

/// Regions `s + k·p`, `k < 4·G`, one per lane (vector `g` holds regions
/// `4g .. 4g + 4`), with the operations of [`scalar::region_local`] in its
/// order, so the same bits. The `G` vectors are independent chains.
///
/// Reads `x[s + 1 - p .. s + (4G - 1)·p + 4·⌈p/4⌉]`, writes
/// `out[s .. s + 4G·p]` and the scratch `sv[..p]` (entries `..G`).
///
/// # Safety
///
/// AVX2 must be available; `x.len() == out.len()`, `2 <= p <=
/// SEQUENTIAL_MAX`, `1 <= G <= G_MAX`, `s >= p`,
/// `s + (4G - 1)·p + 4·⌈p/4⌉ <= x.len()`.
#[inline(always)]
unsafe fn group<const G: usize>(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    c: &VConsts,
    sv: &mut Scratch,
) {
    debug_assert!(
        (1..=G_MAX).contains(&G)
            && (2..=SEQUENTIAL_MAX).contains(&p)
            && s >= p
            && s + (4 * G - 1) * p + p.div_ceil(4) * 4 <= x.len()
            && x.len() == out.len()
    );
    let xp = x.as_ptr();
    let op = out.as_mut_ptr();
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    let (nz, zero) = unsafe { (_mm256_set1_pd(-0.0), _mm256_setzero_pd()) };
    // SAFETY: the caller guarantees AVX2; s + 4G·p <= n (debug-asserted).
    let (base, rv) = unsafe { region_refs::<G>(x, s, p) };
    let sv = &mut sv[..p];

    // Suffix of chunk k, t = p - 2 down to 0 (q = p - 1 >= 1 terms). Chunk
    // k of each lane starts its terms at x[b + 1 - p] (s >= p). Each block
    // reads x[b + 1 - p + t0 .. + 4] with t0 <= p - 2: the end is <=
    // s + (4G - 1)p + 3 <= s + (4G - 1)p + 4·⌈p/4⌉ <= x.len().
    sv[p - 1] = [nz; G_MAX];
    let q = p - 1;
    let mut below = base;
    for b in below.iter_mut() {
        for bl in b.iter_mut() {
            *bl = *bl + 1 - p;
        }
    }
    let (mut u, mut v) = ([nz; G], [nz; G]);
    let mut t0 = (q - 1) / 4 * 4;
    let mut xv = [[zero; 4]; G];
    for g in 0..G {
        // SAFETY: in bounds (above); AVX2 is available.
        xv[g] = unsafe { load4(xp, &below[g], t0) };
    }
    for j in (0..q - t0).rev() {
        for g in 0..G {
            suffix_step(xv[g][j], rv[g], &mut u[g], &mut v[g]);
            sv[t0 + j][g] = v[g];
        }
    }
    // Whole blocks, one lane group after the other (the groups' chains are
    // independent, so they still overlap in the pipeline, and only one
    // group's block is live in registers: no spills).
    while t0 > 0 {
        t0 -= 4;
        let blk = &mut sv[t0..t0 + 4];
        for g in 0..G {
            // SAFETY: in bounds (above); AVX2 is available.
            let xg = unsafe { load4(xp, &below[g], t0) };
            for j in (0..4).rev() {
                suffix_step(xg[j], rv[g], &mut u[g], &mut v[g]);
                blk[j][g] = v[g];
            }
        }
    }

    // Prefix of chunk k+1, t = 0 up to p - 1, finished at once.
    let (mut p0, mut qs) = ([nz; G], [nz; G]);
    let mut t0 = 0;
    // Whole blocks: each reads x[b + t0 .. + 4] with t0 + 4 <= p (end <=
    // s + 4G·p <= x.len()) and writes out[b + t0 .. + 4], inside the
    // lane's region.
    // (Lane groups one after the other, as in the suffix.)
    while t0 + 4 <= p {
        let blk = &sv[t0..t0 + 4];
        for g in 0..G {
            // SAFETY: in bounds (above); AVX2 is available.
            let xg = unsafe { load4(xp, &base[g], t0) };
            let mut r = [zero; 4];
            for j in 0..4 {
                r[j] = prefix_step(xg[j], rv[g], &mut p0[g], &mut qs[g], blk[j][g], c);
            }
            let r = transpose(r);
            for l in 0..4 {
                // SAFETY: out[base[g][l] + t0 .. + 4] is in bounds (above).
                unsafe { _mm256_storeu_pd(op.add(base[g][l] + t0), r[l]) };
            }
        }
        t0 += 4;
    }
    let jn = p - t0;
    if jn > 0 {
        // The partial last block: reads x[b + t0 .. + 4], t0 = 4·⌊p/4⌋,
        // end <= s + (4G - 1)p + 4·⌈p/4⌉ <= x.len(); stores only the first
        // jn lanes (maskstore), so the next region's outputs are untouched.
        for g in 0..G {
            // SAFETY: in bounds (above); AVX2 is available.
            xv[g] = unsafe { load4(xp, &base[g], t0) };
        }
        let mut r = [[zero; 4]; G];
        for j in 0..jn {
            let a = sv[t0 + j];
            for g in 0..G {
                r[g][j] = prefix_step(xv[g][j], rv[g], &mut p0[g], &mut qs[g], a[g], c);
            }
        }
        // SAFETY: register-only intrinsics; AVX2 is available.
        let mask = unsafe {
            _mm256_cmpgt_epi64(
                _mm256_set1_epi64x(jn as i64),
                _mm256_setr_epi64x(0, 1, 2, 3),
            )
        };
        for g in 0..G {
            let r = transpose(r[g]);
            for l in 0..4 {
                // SAFETY: out[base[g][l] + t0 .. + jn] is in bounds
                // (base + p <= s + 4G·p <= x.len() == out.len()).
                unsafe { _mm256_maskstore_pd(op.add(base[g][l] + t0), mask, r[l]) };
            }
        }
    }
}
