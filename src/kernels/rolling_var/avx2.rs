//! AVX2 backend: the canonical order of `scalar.rs`, four lanes at a time.
//!
//! Periods up to [`SEQUENTIAL_MAX`] run the *vertical* layout: eight
//! consecutive regions (see [`scalar::region_seq`]) at a time, one per
//! lane of two vectors (then four, then the scalar code for the last few),
//! each lane performing the scalar running sums in their order. The two
//! vectors are independent chains, so the 3-cycle latency of the running
//! `vaddpd` is hidden. The values of four regions are transposed into
//! lanes from half-width loads ([`load4h`]: two values of two regions per
//! `vinsertf128` load, then one `vunpck{l,h}pd` per step), and the outputs
//! leave the same way ([`store4h`]: one `vunpck` per step, then 128-bit
//! stores), so the scans need no other shuffles. Per four outputs: 16
//! arithmetic operations, 3 in-lane shuffles, 2 inserting loads and one
//! extracting store, no division (the full 4×4 transposes of [`load4`]
//! took 6 shuffles, on the same ports as the adds).
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
use super::{Finish, GROUPED_MAX, SEQUENTIAL_MAX};
use crate::dispatch::Avx2Fma;
use crate::kernels::bands;

/// Rolling variance with AVX2 (same contract as [`scalar::rolling`]),
/// each output finished by `fin` (see [`Finish`]). On the
/// vertical path (`p <=` [`SEQUENTIAL_MAX`]) the finishing operations run
/// in registers before the store (so the square root of STDDEV overlaps
/// the scans' arithmetic); elsewhere they follow the kernel as a pass
/// over `out`. Either way they are exactly the operations of
/// [`crate::kernels::bands`], so the bits are the same.
pub(crate) fn rolling_finished(
    token: Avx2Fma,
    x: &[f64],
    p: usize,
    ddof: usize,
    out: &mut [f64],
    fin: Finish,
) {
    assert!(p >= 1 && p <= x.len() && x.len() == out.len() && ddof < p);
    if p <= SEQUENTIAL_MAX {
        // SAFETY: the token proves AVX2 and FMA are available; the lengths
        // and `p <= SEQUENTIAL_MAX` were checked just above, which is all
        // `rolling_vertical` requires.
        unsafe {
            match fin {
                Finish::Raw => rolling_vertical::<FIN_RAW>(x, p, ddof, out, 1.0),
                Finish::FiniteOrNan => rolling_vertical::<FIN_FINITE>(x, p, ddof, out, 1.0),
                Finish::Sigma(k) => rolling_vertical::<FIN_SIGMA>(x, p, ddof, out, k),
            }
        }
        return;
    }
    if p > GROUPED_MAX {
        scalar::rolling(x, p, ddof, out);
    } else {
        // SAFETY: the token proves AVX2 and FMA are available; the lengths
        // and `p <= GROUPED_MAX` were checked just above, which is all
        // `rolling_avx2` requires.
        unsafe { rolling_avx2(x, p, ddof, out) }
    }
    match fin {
        Finish::Raw => {}
        Finish::FiniteOrNan => bands::avx2::finite_or_nan(token, out),
        Finish::Sigma(k) => bands::avx2::stddev(token, out, k),
    }
}

/// The finishing step of one vertical-layout vector, `F` one of
/// [`FIN_RAW`], [`FIN_FINITE`], [`FIN_SIGMA`] (with `k` the multiplier):
/// the operations of `kernels::bands`' AVX2 `finite_or_nan` and `stddev`.
#[inline(always)]
fn finish_vec<const F: u8>(v: __m256d, k: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; only inlined into functions that
    // enable AVX2.
    unsafe {
        let nan = _mm256_set1_pd(f64::NAN);
        let finite = _mm256_cmp_pd::<_CMP_LT_OQ>(
            _mm256_andnot_pd(_mm256_set1_pd(-0.0), v),
            _mm256_set1_pd(f64::INFINITY),
        );
        match F {
            FIN_RAW => v,
            FIN_FINITE => _mm256_blendv_pd(nan, v, finite),
            _ => {
                let positive = _mm256_cmp_pd::<_CMP_GT_OQ>(v, _mm256_setzero_pd());
                let sd = _mm256_mul_pd(_mm256_sqrt_pd(_mm256_and_pd(positive, v)), k);
                _mm256_blendv_pd(nan, sd, finite)
            }
        }
    }
}

/// The scalar finishing step of [`finish_vec`] over `out` (the regions
/// the vertical layout leaves to the scalar code).
#[inline(always)]
fn finish_slice<const F: u8>(out: &mut [f64], k: f64) {
    match F {
        FIN_RAW => {}
        FIN_FINITE => bands::scalar::finite_or_nan(out),
        _ => bands::scalar::stddev(out, k),
    }
}

/// [`Finish::Raw`] as a const parameter.
const FIN_RAW: u8 = 0;
/// [`Finish::FiniteOrNan`] as a const parameter.
const FIN_FINITE: u8 = 1;
/// [`Finish::Sigma`] as a const parameter.
const FIN_SIGMA: u8 = 2;

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

/// The regions of a vertical group: `base[g][l]`, the first output of the
/// region in lane `l` of vector `g` (`s + (4g + l)·p`), and `rv[g]`, the
/// reference `x[base]` of every lane (the variance and WMA kernels shift
/// each region's values by it).
///
/// # Safety
///
/// AVX2 must be available; `s + (4G − 1)·p < x.len()` (every base is read).
#[inline(always)]
pub(crate) unsafe fn region_refs<const G: usize>(
    x: &[f64],
    s: usize,
    p: usize,
) -> ([[usize; 4]; G], [__m256d; G]) {
    let mut base = [[0usize; 4]; G];
    // SAFETY: register-only intrinsic; the caller guarantees AVX2.
    let mut rv = [unsafe { _mm256_setzero_pd() }; G];
    for g in 0..G {
        for (l, b) in base[g].iter_mut().enumerate() {
            *b = s + (4 * g + l) * p;
        }
        let b = base[g];
        // SAFETY: register-only intrinsic (the indexing is checked); the
        // caller guarantees AVX2.
        rv[g] = unsafe { _mm256_setr_pd(x[b[0]], x[b[1]], x[b[2]], x[b[3]]) };
    }
    (base, rv)
}

/// Loop-invariant vectors of the vertical layout.
struct VConsts {
    vinvp: __m256d,
    vinvd: __m256d,
    /// The multiplier of [`FIN_SIGMA`].
    k: __m256d,
}

/// Regions per vertical group: `4·G` with `G` = this many vectors.
const G_MAX: usize = 2;

/// Per-step suffix sums of the vertical layout, `[t][g]` (lane = region).
type Scratch = [[__m256d; G_MAX]; SEQUENTIAL_MAX];

/// # Safety
///
/// The CPU must support AVX2 and FMA; `1 <= p <= min(x.len(),
/// SEQUENTIAL_MAX)`, `x.len() == out.len()`, `ddof < p`.
#[target_feature(enable = "avx2,fma")]
unsafe fn rolling_vertical<const F: u8>(x: &[f64], p: usize, ddof: usize, out: &mut [f64], k: f64) {
    let n = x.len();
    let invp = 1.0 / p as f64;
    let invd = 1.0 / (p - ddof) as f64;
    let c = VConsts {
        vinvp: _mm256_set1_pd(invp),
        vinvd: _mm256_set1_pd(invd),
        k: _mm256_set1_pd(k),
    };
    let (mut b1, mut b2) = ([0.0; SEQUENTIAL_MAX], [0.0; SEQUENTIAL_MAX]);
    let z = _mm256_setzero_pd();
    let (mut v1, mut v2): (Scratch, Scratch) =
        ([[z; G_MAX]; SEQUENTIAL_MAX], [[z; G_MAX]; SEQUENTIAL_MAX]);
    // Region 0 has no chunk before it; the scalar code handles it.
    scalar::region_seq(x, p, out, 0, invp, invd, &mut b1, &mut b2);
    finish_slice::<F>(&mut out[..p.min(n)], k);
    let w = p.div_ceil(4) * 4;
    let mut s = p;
    // Eight regions at a time: two independent chains per running sum.
    while s + 7 * p + w <= n {
        // SAFETY: s >= p and s + 7p + 4·⌈p/4⌉ <= n; AVX2 is enabled here.
        unsafe { group::<2, F>(x, p, out, s, &c, &mut v1, &mut v2) };
        s += 8 * p;
    }
    if s + 3 * p + w <= n {
        // SAFETY: s >= p and s + 3p + 4·⌈p/4⌉ <= n; AVX2 is enabled here.
        unsafe { group::<1, F>(x, p, out, s, &c, &mut v1, &mut v2) };
        s += 4 * p;
    }
    while s < n {
        scalar::region_seq(x, p, out, s, invp, invd, &mut b1, &mut b2);
        finish_slice::<F>(&mut out[s..(s + p).min(n)], k);
        s += p;
    }
}

/// The 4×4 transpose: `r[j]` lane `l` = `v[l]` lane `j` (also used by the
/// WMA kernel's region lanes).
#[inline(always)]
pub(crate) fn transpose(v: [__m256d; 4]) -> [__m256d; 4] {
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

/// Four values of each of the four lanes `b`, from `x[b[l] + off ..]`,
/// transposed (entry `j` = step `off + j` of every lane), by full-width
/// loads and the 4×4 [`transpose`] (the WMA kernel's region lanes use it;
/// this kernel uses [`load4h`]).
///
/// # Safety
///
/// AVX2 must be available; `b[l] + off + 4 <= x.len()` for every `l`.
#[inline(always)]
pub(crate) unsafe fn load4(xp: *const f64, b: &[usize; 4], off: usize) -> [__m256d; 4] {
    // SAFETY: in bounds by the caller's contract; AVX2 is available.
    unsafe {
        transpose([
            _mm256_loadu_pd(xp.add(b[0] + off)),
            _mm256_loadu_pd(xp.add(b[1] + off)),
            _mm256_loadu_pd(xp.add(b[2] + off)),
            _mm256_loadu_pd(xp.add(b[3] + off)),
        ])
    }
}

/// [`load4`] from half-width loads: `vinsertf128` takes two values of
/// lanes 0 and 2 (1 and 3) straight from memory, and one `vunpcklpd` or
/// `vunpckhpd` per step finishes the transpose (4 in-lane shuffles instead
/// of the full transpose's 8). Same values.
///
/// # Safety
///
/// AVX2 must be available; `b[l] + off + 4 <= x.len()` for every `l`.
#[inline(always)]
unsafe fn load4h(xp: *const f64, b: &[usize; 4], off: usize) -> [__m256d; 4] {
    // SAFETY: every load reads two values inside `x[b[l] + off .. + 4]`,
    // in bounds by the caller's contract; AVX2 is available.
    unsafe {
        let a01 = _mm256_loadu2_m128d(xp.add(b[2] + off), xp.add(b[0] + off));
        let b01 = _mm256_loadu2_m128d(xp.add(b[3] + off), xp.add(b[1] + off));
        let a23 = _mm256_loadu2_m128d(xp.add(b[2] + off + 2), xp.add(b[0] + off + 2));
        let b23 = _mm256_loadu2_m128d(xp.add(b[3] + off + 2), xp.add(b[1] + off + 2));
        [
            _mm256_unpacklo_pd(a01, b01),
            _mm256_unpackhi_pd(a01, b01),
            _mm256_unpacklo_pd(a23, b23),
            _mm256_unpackhi_pd(a23, b23),
        ]
    }
}

/// The inverse of [`load4h`]: step `j`'s lane `l` (`r[j]`) goes to
/// `out[b[l] + off + j]`, through one in-lane `vunpck` per step and
/// 128-bit stores (the upper halves by `vextractf128` to memory).
///
/// # Safety
///
/// AVX2 must be available; `b[l] + off + 4 <= out.len()` for every `l`,
/// where `op` points to `out`.
#[inline(always)]
unsafe fn store4h(op: *mut f64, b: &[usize; 4], off: usize, r: [__m256d; 4]) {
    // SAFETY: every store writes two values inside `out[b[l] + off .. + 4]`,
    // in bounds by the caller's contract; AVX2 is available.
    unsafe {
        let l01 = _mm256_unpacklo_pd(r[0], r[1]);
        let h01 = _mm256_unpackhi_pd(r[0], r[1]);
        let l23 = _mm256_unpacklo_pd(r[2], r[3]);
        let h23 = _mm256_unpackhi_pd(r[2], r[3]);
        _mm256_storeu2_m128d(op.add(b[2] + off), op.add(b[0] + off), l01);
        _mm256_storeu2_m128d(op.add(b[3] + off), op.add(b[1] + off), h01);
        _mm256_storeu2_m128d(op.add(b[2] + off + 2), op.add(b[0] + off + 2), l23);
        _mm256_storeu2_m128d(op.add(b[3] + off + 2), op.add(b[1] + off + 2), h23);
    }
}

/// One step of the suffix running sums (see [`scalar::region_seq`]).
#[inline(always)]
fn suffix_step(v: __m256d, r: __m256d, c1: &mut __m256d, c2: &mut __m256d) {
    // SAFETY: register-only intrinsics; only inlined into functions that
    // enable AVX2.
    unsafe {
        let a = _mm256_sub_pd(v, r);
        *c1 = _mm256_add_pd(*c1, a);
        *c2 = _mm256_add_pd(*c2, _mm256_mul_pd(a, a));
    }
}

/// One step of the prefix running sums, finished with the suffix sums
/// `a1`, `a2` (see [`scalar::region_seq`] and [`scalar::finish_seq`]).
#[inline(always)]
fn prefix_step<const F: u8>(
    v: __m256d,
    r: __m256d,
    c1: &mut __m256d,
    c2: &mut __m256d,
    a1: __m256d,
    a2: __m256d,
    c: &VConsts,
) -> __m256d {
    // SAFETY: register-only intrinsics; only inlined into functions that
    // enable AVX2.
    unsafe {
        let b = _mm256_sub_pd(v, r);
        *c1 = _mm256_add_pd(*c1, b);
        *c2 = _mm256_add_pd(*c2, _mm256_mul_pd(b, b));
        let s1 = _mm256_add_pd(a1, *c1);
        let s2 = _mm256_add_pd(a2, *c2);
        let w = _mm256_sub_pd(s2, _mm256_mul_pd(_mm256_mul_pd(s1, c.vinvp), s1));
        // max(0, w) keeps a NaN w (the second operand is returned when the
        // compare is false); w is never -0 (see scalar::finish_seq).
        let v = _mm256_mul_pd(_mm256_max_pd(_mm256_setzero_pd(), w), c.vinvd);
        finish_vec::<F>(v, c.k)
    }
}

/// Regions `s + k·p`, `k < 4·G`, one per lane (vector `g` holds regions
/// `4g .. 4g + 4`), with the operations of [`scalar::region_seq`] in its
/// order, so the same bits. The `G` vectors are independent chains, which
/// hides the latency of the running sums.
///
/// Reads `x[s + 1 - p .. s + (4G - 1)·p + 4·⌈p/4⌉]`, writes
/// `out[s .. s + 4G·p]` and the scratch `v1[..p]`, `v2[..p]` (entries
/// `..G` of each).
///
/// # Safety
///
/// AVX2 must be available; `x.len() == out.len()`, `1 <= p <=
/// SEQUENTIAL_MAX`, `1 <= G <= G_MAX`, `s >= p`,
/// `s + (4G - 1)·p + 4·⌈p/4⌉ <= x.len()`.
#[inline(always)]
unsafe fn group<const G: usize, const F: u8>(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    c: &VConsts,
    v1: &mut Scratch,
    v2: &mut Scratch,
) {
    debug_assert!(
        (1..=G_MAX).contains(&G)
            && (1..=SEQUENTIAL_MAX).contains(&p)
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
    let v1 = &mut v1[..p];
    let v2 = &mut v2[..p];

    // Suffix sums of chunk k, t = p - 2 down to 0 (q = p - 1 terms).
    v1[p - 1] = [nz; G_MAX];
    v2[p - 1] = [nz; G_MAX];
    let q = p - 1;
    if q > 0 {
        // Chunk k of each lane starts its terms at x[b + 1 - p] (s >= p).
        let mut below = base;
        for b in below.iter_mut() {
            for bl in b.iter_mut() {
                *bl = *bl + 1 - p;
            }
        }
        let (mut c1, mut c2) = ([nz; G], [nz; G]);
        // The top block (t0 .. q, possibly partial), then whole blocks.
        // Each reads x[b + 1 - p + t0 .. + 4]: b + 1 - p >= 1 (s >= p), and
        // t0 <= q - 1 = p - 2 gives an end <= s + (4G - 1)p + 3 <=
        // s + (4G - 1)p + 4·⌈p/4⌉ <= x.len().
        let mut t0 = (q - 1) / 4 * 4;
        let mut v = [[zero; 4]; G];
        for g in 0..G {
            // SAFETY: in bounds (above); AVX2 is available.
            v[g] = unsafe { load4h(xp, &below[g], t0) };
        }
        for j in (0..q - t0).rev() {
            for g in 0..G {
                suffix_step(v[g][j], rv[g], &mut c1[g], &mut c2[g]);
                v1[t0 + j][g] = c1[g];
                v2[t0 + j][g] = c2[g];
            }
        }
        while t0 > 0 {
            t0 -= 4;
            for g in 0..G {
                // SAFETY: in bounds (above); AVX2 is available.
                v[g] = unsafe { load4h(xp, &below[g], t0) };
            }
            for j in (0..4).rev() {
                for g in 0..G {
                    suffix_step(v[g][j], rv[g], &mut c1[g], &mut c2[g]);
                    v1[t0 + j][g] = c1[g];
                    v2[t0 + j][g] = c2[g];
                }
            }
        }
    }

    // Prefix sums of chunk k+1, t = 0 up to p - 1, finished at once.
    let (mut c1, mut c2) = ([nz; G], [nz; G]);
    let mut t0 = 0;
    // Whole blocks. Each reads x[b + t0 .. + 4] with t0 + 4 <= p, so the
    // end is <= s + 4G·p <= x.len() (the caller's bound, as 4·⌈p/4⌉ >= p),
    // and writes out[b + t0 .. + 4], inside the lane's region.
    while t0 + 4 <= p {
        let mut v = [[zero; 4]; G];
        for g in 0..G {
            // SAFETY: in bounds (above); AVX2 is available.
            v[g] = unsafe { load4h(xp, &base[g], t0) };
        }
        let mut r = [[zero; 4]; G];
        for j in 0..4 {
            let (a1, a2) = (v1[t0 + j], v2[t0 + j]);
            for g in 0..G {
                r[g][j] = prefix_step::<F>(v[g][j], rv[g], &mut c1[g], &mut c2[g], a1[g], a2[g], c);
            }
        }
        for g in 0..G {
            // SAFETY: out[base[g][l] + t0 .. + 4] is in bounds (above).
            unsafe { store4h(op, &base[g], t0, r[g]) };
        }
        t0 += 4;
    }
    let jn = p - t0;
    if jn > 0 {
        // The partial last block: reads x[b + t0 .. + 4], t0 = 4·⌊p/4⌋,
        // end <= s + (4G - 1)p + 4·⌈p/4⌉ <= x.len(); stores only the first
        // jn lanes (maskstore), so the next region's outputs are untouched.
        let mut v = [[zero; 4]; G];
        for g in 0..G {
            // SAFETY: in bounds (above); AVX2 is available.
            v[g] = unsafe { load4h(xp, &base[g], t0) };
        }
        let mut r = [[zero; 4]; G];
        for j in 0..jn {
            let (a1, a2) = (v1[t0 + j], v2[t0 + j]);
            for g in 0..G {
                r[g][j] = prefix_step::<F>(v[g][j], rv[g], &mut c1[g], &mut c2[g], a1[g], a2[g], c);
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
