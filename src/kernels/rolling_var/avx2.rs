//! AVX2 backend: the canonical order of `scalar.rs`, four lanes at a time.
//!
//! Periods up to [`SEQUENTIAL_MAX`] run the *vertical* layout: four
//! consecutive regions (see [`scalar::region_seq`]) at a time, one per
//! lane, each lane performing the scalar running sums in their order. Four
//! values of each region are loaded together and transposed (4×4), and the
//! outputs are transposed back before their store, so the scans need no
//! other shuffles: about half the instructions of the grouped layout below.
//!
//! For longer periods (up to [`GROUPED_MAX`]) each region (see [`scalar::region`]) runs a backward in-register suffix
//! scan of chunk `k` (deviations from `ra` and their squares, fused in one
//! pass: two independent carry chains) and a forward prefix scan of chunk
//! `k+1` (deviations from `rb`), which combines each output right away.
//! The in-register scans use `-0.0` as the shifted-in zero (an exact
//! identity of `+`), as in `rolling_sum/avx2.rs`:
//!
//! - prefix: `t = v + [-0, v0, -0, v2]` (`unpacklo`), then
//!   `u = t + [-0, -0, t1, t1]`;
//! - suffix: `t = v + [v1, -0, v3, -0]` (`unpackhi`), then
//!   `u = t + [t2, t2, -0, -0]`.
//!
//! The group total is broadcast and added to the carry off the outputs'
//! path, so each loop-carried chain is one `vaddpd` per group of four.
//! Squares are plain `vmulpd` (not fused into the adds), so the results
//! are bit-identical to the scalar code. Periods above
//! [`GROUPED_MAX`] and regions too close to the end of the series for
//! whole vectors use the scalar code.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::scalar;
use super::{GROUPED_MAX, SEQUENTIAL_MAX};
use crate::dispatch::Avx2Fma;

/// Rolling variance with AVX2; same contract as [`scalar::rolling`].
pub(crate) fn rolling(_token: Avx2Fma, x: &[f64], p: usize, ddof: usize, out: &mut [f64]) {
    assert!(p >= 1 && p <= x.len() && x.len() == out.len() && ddof < p);
    if p > GROUPED_MAX {
        scalar::rolling(x, p, ddof, out);
        return;
    }
    if p <= SEQUENTIAL_MAX {
        // SAFETY: the token proves AVX2 and FMA are available; the lengths
        // and `p <= SEQUENTIAL_MAX` were checked just above, which is all
        // `rolling_vertical` requires.
        unsafe { rolling_vertical(x, p, ddof, out) }
        return;
    }
    // SAFETY: the token proves AVX2 and FMA are available; the lengths and
    // `p <= GROUPED_MAX` were checked just above, which is all
    // `rolling_avx2` requires.
    unsafe { rolling_avx2(x, p, ddof, out) }
}

/// # Safety
///
/// The CPU must support AVX2 and FMA; `1 <= p <= min(x.len(),
/// GROUPED_MAX)`, `x.len() == out.len()`, `ddof < p`.
#[target_feature(enable = "avx2,fma")]
unsafe fn rolling_avx2(x: &[f64], p: usize, ddof: usize, out: &mut [f64]) {
    let n = x.len();
    let invp = 1.0 / p as f64;
    let invd = 1.0 / (p - ddof) as f64;
    let w = p.div_ceil(4) * 4;
    let c = Consts {
        top_mask: _mm256_castsi256_pd(_mm256_cmpgt_epi64(
            _mm256_set1_epi64x(((p - 1) % 4) as i64),
            _mm256_setr_epi64x(0, 1, 2, 3),
        )),
        vinvp: _mm256_set1_pd(invp),
        vinvd: _mm256_set1_pd(invd),
        pv: _mm256_set1_pd(p as f64),
    };
    let mut buf = [0.0; GROUPED_MAX + 4];
    let mut s = 0;
    while s < n {
        if s + w <= n {
            // SAFETY: s + 4·⌈p/4⌉ <= n, s is 0 or a multiple of p >= p,
            // p <= GROUPED_MAX; AVX2 is enabled here.
            unsafe { region(x, p, out, s, &c, &mut buf) };
        } else {
            scalar::region(x, p, out, s, invp, invd, &mut buf);
        }
        s += p;
    }
}

/// Loop-invariant vectors.
struct Consts {
    /// All bits set in lanes `j < (p - 1) % 4`: the valid lanes of the
    /// suffix scan's top group.
    top_mask: __m256d,
    vinvp: __m256d,
    vinvd: __m256d,
    pv: __m256d,
}

// The in-register group scans are the SMA kernel's (same canonical order).
use crate::kernels::rolling_sum::avx2::{prefix4, suffix4};

/// One region `s` (see [`scalar::region`]) with vectors only.
///
/// Reads `x[s - p + 1 .. s + w]` and writes `out[s .. s + w]` and
/// `buf[.. w]`, where `w = 4·⌈p/4⌉`: the lanes past the region hold
/// scratch values that the next region overwrites before reading.
///
/// # Safety
///
/// AVX2 must be available; `x.len() == out.len()`, `1 <= p <=
/// GROUPED_MAX`, `s + 4·⌈p/4⌉ <= x.len()`, and `s` is 0 or `>= p`.
#[inline(always)]
unsafe fn region(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    c: &Consts,
    buf: &mut [f64; GROUPED_MAX + 4],
) {
    debug_assert!(s + p.div_ceil(4) * 4 <= x.len() && x.len() == out.len());
    let xp = x.as_ptr();
    let op = out.as_mut_ptr();
    let bp = buf.as_mut_ptr();
    let (ra, rb, delta) = scalar::refs(x, s);
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    let (nz, zero) = unsafe { (_mm256_set1_pd(-0.0), _mm256_setzero_pd()) };
    if s == 0 {
        for k in (0..p).step_by(4) {
            // SAFETY: k + 4 <= 4·⌈p/4⌉ <= min(out.len(), GROUPED_MAX + 4)
            // (caller's contract), so both stores are in bounds.
            unsafe {
                _mm256_storeu_pd(op.add(k), nz);
                _mm256_storeu_pd(bp.add(k), nz);
            }
        }
    } else {
        // Suffix scan of y[t] = x[s - p + 1 + t] - ra (y[t] = -0 for
        // t >= p - 1), groups aligned to t = 0 mod 4, walked backward.
        let y0 = s + 1 - p;
        // SAFETY: register-only intrinsics; the caller guarantees AVX2.
        let (rav, mut c1, mut c2) = unsafe { (_mm256_set1_pd(ra), nz, nz) };
        let mut k = (p - 1) / 4 * 4;
        let mut top = true;
        loop {
            // SAFETY: reads x[y0 + k .. y0 + k + 4]: y0 >= 1 and
            // y0 + k + 4 <= s + 1 - p + 4·⌈p/4⌉ <= s + 4·⌈p/4⌉ <= x.len()
            // (k <= 4·⌈p/4⌉ - 4 and p >= 1); writes out[s + k .. s + k + 4]
            // (in bounds by the same inequality) and buf[k .. k + 4]
            // (k + 4 <= 4·⌈p/4⌉ <= GROUPED_MAX + 4).
            unsafe {
                let mut a = _mm256_sub_pd(_mm256_loadu_pd(xp.add(y0 + k)), rav);
                if top {
                    a = _mm256_blendv_pd(nz, a, c.top_mask);
                    top = false;
                }
                let sq = _mm256_mul_pd(a, a);
                let u1 = suffix4(a, nz);
                let u2 = suffix4(sq, nz);
                _mm256_storeu_pd(bp.add(k), _mm256_add_pd(c1, u1));
                _mm256_storeu_pd(op.add(s + k), _mm256_add_pd(c2, u2));
                c1 = _mm256_add_pd(c1, _mm256_permute4x64_pd::<0x00>(u1));
                c2 = _mm256_add_pd(c2, _mm256_permute4x64_pd::<0x00>(u2));
            }
            if k == 0 {
                break;
            }
            k -= 4;
        }
    }
    // Prefix scan of x[s + t] - rb, combined with the suffix sums; the
    // lanes past p see scratch, which only affects lanes past p.
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    let (rbv, dv, four, mut nbv, mut c1, mut c2) = unsafe {
        (
            _mm256_set1_pd(rb),
            _mm256_set1_pd(delta),
            _mm256_set1_pd(4.0),
            _mm256_setr_pd(1.0, 2.0, 3.0, 4.0),
            nz,
            nz,
        )
    };
    let mut k = 0;
    while k < p {
        // SAFETY: k < p and k is a multiple of 4, so k + 4 <= 4·⌈p/4⌉:
        // x[s + k .. s + k + 4] and out[s + k .. s + k + 4] are in bounds
        // (s + 4·⌈p/4⌉ <= x.len() == out.len()), buf[k .. k + 4] too
        // (4·⌈p/4⌉ <= GROUPED_MAX + 4).
        unsafe {
            let b = _mm256_sub_pd(_mm256_loadu_pd(xp.add(s + k)), rbv);
            let sq = _mm256_mul_pd(b, b);
            let u1 = prefix4(b, nz);
            let u2 = prefix4(sq, nz);
            let s1b = _mm256_add_pd(c1, u1);
            let s2b = _mm256_add_pd(c2, u2);
            c1 = _mm256_add_pd(c1, _mm256_permute4x64_pd::<0xFF>(u1));
            c2 = _mm256_add_pd(c2, _mm256_permute4x64_pd::<0xFF>(u2));
            // d = 0 where t = p - 1 (the window is chunk k + 1 alone).
            let d = _mm256_andnot_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(nbv, c.pv), dv);
            let nd = _mm256_mul_pd(nbv, d);
            let s1 = _mm256_add_pd(_mm256_add_pd(_mm256_loadu_pd(bp.add(k)), s1b), nd);
            let s2 = _mm256_add_pd(
                _mm256_add_pd(_mm256_loadu_pd(op.add(s + k)), s2b),
                _mm256_mul_pd(d, _mm256_add_pd(_mm256_add_pd(s1b, s1b), nd)),
            );
            let v = _mm256_sub_pd(s2, _mm256_mul_pd(_mm256_mul_pd(s1, c.vinvp), s1));
            // max(0, v) keeps a NaN v (it returns the second operand when
            // the compare is false); + 0 turns -0 into +0.
            let r = _mm256_mul_pd(_mm256_add_pd(_mm256_max_pd(zero, v), zero), c.vinvd);
            _mm256_storeu_pd(op.add(s + k), r);
            nbv = _mm256_add_pd(nbv, four);
        }
        k += 4;
    }
}

/// Loop-invariant vectors of the vertical layout.
struct VConsts {
    vinvp: __m256d,
    vinvd: __m256d,
}

/// # Safety
///
/// The CPU must support AVX2 and FMA; `1 <= p <= min(x.len(),
/// SEQUENTIAL_MAX)`, `x.len() == out.len()`, `ddof < p`.
#[target_feature(enable = "avx2,fma")]
unsafe fn rolling_vertical(x: &[f64], p: usize, ddof: usize, out: &mut [f64]) {
    let n = x.len();
    let invp = 1.0 / p as f64;
    let invd = 1.0 / (p - ddof) as f64;
    let c = VConsts {
        vinvp: _mm256_set1_pd(invp),
        vinvd: _mm256_set1_pd(invd),
    };
    let (mut b1, mut b2) = ([0.0; SEQUENTIAL_MAX], [0.0; SEQUENTIAL_MAX]);
    let z = _mm256_setzero_pd();
    let (mut v1, mut v2) = ([z; SEQUENTIAL_MAX], [z; SEQUENTIAL_MAX]);
    // Region 0 has no chunk before it; the scalar code handles it.
    scalar::region_seq(x, p, out, 0, invp, invd, &mut b1, &mut b2);
    let span = 3 * p + p.div_ceil(4) * 4;
    let mut s = p;
    while s + span <= n {
        // SAFETY: s >= p and s + 3p + 4·⌈p/4⌉ <= n; AVX2 is enabled here.
        unsafe { quad(x, p, out, s, &c, &mut v1, &mut v2) };
        s += 4 * p;
    }
    while s < n {
        scalar::region_seq(x, p, out, s, invp, invd, &mut b1, &mut b2);
        s += p;
    }
}

/// The 4×4 transpose: `r[j]` lane `l` = `v[l]` lane `j`.
#[inline(always)]
fn transpose(v: [__m256d; 4]) -> [__m256d; 4] {
    // SAFETY: register-only intrinsics; only inlined into functions that
    // enable AVX2.
    unsafe {
        let t0 = _mm256_unpacklo_pd(v[0], v[1]);
        let t1 = _mm256_unpackhi_pd(v[0], v[1]);
        let t2 = _mm256_unpacklo_pd(v[2], v[3]);
        let t3 = _mm256_unpackhi_pd(v[2], v[3]);
        [
            _mm256_permute2f128_pd::<0x20>(t0, t2),
            _mm256_permute2f128_pd::<0x20>(t1, t3),
            _mm256_permute2f128_pd::<0x31>(t0, t2),
            _mm256_permute2f128_pd::<0x31>(t1, t3),
        ]
    }
}

/// Regions `s`, `s + p`, `s + 2p`, `s + 3p` in the four lanes, with the
/// operations of [`scalar::region_seq`] in its order (so the same bits).
///
/// Reads `x[s + 1 - p .. s + 3p + 4·⌈p/4⌉]`, writes `out[s .. s + 4p]`
/// and the scratch `v1[..p]`, `v2[..p]` (the suffix sums per lane).
///
/// # Safety
///
/// AVX2 must be available; `x.len() == out.len()`, `1 <= p <=
/// SEQUENTIAL_MAX`, `s >= p`, `s + 3p + 4·⌈p/4⌉ <= x.len()`.
#[inline(always)]
unsafe fn quad(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    c: &VConsts,
    v1: &mut [__m256d; SEQUENTIAL_MAX],
    v2: &mut [__m256d; SEQUENTIAL_MAX],
) {
    debug_assert!(s >= p && s + 3 * p + p.div_ceil(4) * 4 <= x.len() && x.len() == out.len());
    let xp = x.as_ptr();
    let op = out.as_mut_ptr();
    let lane = [s, s + p, s + 2 * p, s + 3 * p];
    let (ra, rb) = (lane.map(|sl| x[sl - 1]), lane.map(|sl| x[sl]));
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    let (nz, zero, rav, rbv) = unsafe {
        (
            _mm256_set1_pd(-0.0),
            _mm256_setzero_pd(),
            _mm256_setr_pd(ra[0], ra[1], ra[2], ra[3]),
            _mm256_setr_pd(rb[0], rb[1], rb[2], rb[3]),
        )
    };
    // SAFETY: register-only intrinsic; the caller guarantees AVX2.
    let dv = unsafe { _mm256_sub_pd(rbv, rav) };
    // Four values of every lane, from `x[base[l] + off ..]`, transposed.
    let load = |base: [usize; 4], off: usize| {
        // SAFETY: every caller below keeps `base[l] + off + 4 <= x.len()`
        // (see the bounds there).
        transpose(base.map(|b| unsafe { _mm256_loadu_pd(xp.add(b + off)) }))
    };
    // Chunk k of each lane starts its suffix terms at x[sl + 1 - p] (s >= p).
    let below = lane.map(|sl| sl + 1 - p);

    // Suffix sums of chunk k, t = p - 2 down to 0 (q = p - 1 terms).
    v1[p - 1] = nz;
    v2[p - 1] = nz;
    let q = p - 1;
    if q > 0 {
        let (mut c1, mut c2) = (nz, nz);
        let mut step = |v: __m256d, t: usize| {
            // SAFETY: register-only intrinsics; AVX2 is available.
            unsafe {
                let a = _mm256_sub_pd(v, rav);
                c1 = _mm256_add_pd(c1, a);
                c2 = _mm256_add_pd(c2, _mm256_mul_pd(a, a));
            }
            v1[t] = c1;
            v2[t] = c2;
        };
        // The top block (t0 .. q, possibly partial), then whole blocks.
        // Each reads x[sl + 1 - p + t0 .. + 4]: sl + 1 - p >= 1 (s >= p),
        // and t0 <= q - 1 = p - 2 gives sl + 1 - p + t0 + 4 <= s + 3p + 3
        // <= s + 3p + 4·⌈p/4⌉ <= x.len().
        let mut t0 = (q - 1) / 4 * 4;
        let v = load(below, t0);
        for j in (0..q - t0).rev() {
            step(v[j], t0 + j);
        }
        while t0 > 0 {
            t0 -= 4;
            let v = load(below, t0);
            step(v[3], t0 + 3);
            step(v[2], t0 + 2);
            step(v[1], t0 + 1);
            step(v[0], t0);
        }
    }

    // Prefix sums of chunk k+1, t = 0 up to p - 1, combined at once.
    let (mut c1, mut c2) = (nz, nz);
    let mut t0 = 0;
    while t0 < p {
        // Reads x[sl + t0 .. + 4]: t0 <= 4·⌈p/4⌉ - 4, so the end is
        // <= s + 3p + 4·⌈p/4⌉ <= x.len().
        let v = load(lane, t0);
        let mut r = [zero; 4];
        let jn = (p - t0).min(4);
        for j in 0..jn {
            let t = t0 + j;
            // SAFETY: register-only intrinsics; AVX2 is available.
            unsafe {
                let b = _mm256_sub_pd(v[j], rbv);
                c1 = _mm256_add_pd(c1, b);
                c2 = _mm256_add_pd(c2, _mm256_mul_pd(b, b));
                // scalar::combine, lane-wise.
                let d = if t == p - 1 { zero } else { dv };
                let nd = _mm256_mul_pd(_mm256_set1_pd((t + 1) as f64), d);
                let s1 = _mm256_add_pd(_mm256_add_pd(v1[t], c1), nd);
                let s2 = _mm256_add_pd(
                    _mm256_add_pd(v2[t], c2),
                    _mm256_mul_pd(d, _mm256_add_pd(_mm256_add_pd(c1, c1), nd)),
                );
                let w = _mm256_sub_pd(s2, _mm256_mul_pd(_mm256_mul_pd(s1, c.vinvp), s1));
                // max(0, w) keeps a NaN w (the second operand is returned
                // when the compare is false); + 0 turns -0 into +0.
                r[j] = _mm256_mul_pd(_mm256_add_pd(_mm256_max_pd(zero, w), zero), c.vinvd);
            }
        }
        let r = transpose(r);
        for l in 0..4 {
            // SAFETY: out[lane[l] + t0 .. + jn] is in bounds (lane[l] + p
            // <= s + 4p <= x.len() == out.len(), t0 + jn <= p); a partial
            // block stores only its first jn lanes (maskstore), so the next
            // region's outputs are untouched.
            unsafe {
                let dst = op.add(lane[l] + t0);
                if jn == 4 {
                    _mm256_storeu_pd(dst, r[l]);
                } else {
                    let mask = _mm256_cmpgt_epi64(
                        _mm256_set1_epi64x(jn as i64),
                        _mm256_setr_epi64x(0, 1, 2, 3),
                    );
                    _mm256_maskstore_pd(dst, mask, r[l]);
                }
            }
        }
        t0 += 4;
    }
}
