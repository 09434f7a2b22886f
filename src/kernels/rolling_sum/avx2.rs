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
use super::{DIRECT_MAX_PERIOD, DOUBLING_MAX_PERIOD, SUB};
use crate::dispatch::Avx2Fma;

/// Rolling sum (or mean) with AVX2; same contract as
/// [`scalar::rolling`].
pub(crate) fn rolling<const MEAN: bool, const FIN: bool>(
    _token: Avx2Fma,
    x: &[f64],
    p: usize,
    out: &mut [f64],
) {
    assert!(p >= 1 && p <= x.len() && x.len() == out.len());
    // SAFETY: the token proves AVX2 and FMA are available; the lengths were
    // checked just above, which is all `rolling_avx2` requires.
    unsafe { rolling_avx2::<MEAN, FIN>(x, p, out) }
}

/// # Safety
///
/// The CPU must support AVX2 and FMA, and `1 <= p <= x.len() ==
/// out.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn rolling_avx2<const MEAN: bool, const FIN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    if p <= DIRECT_MAX_PERIOD {
        // SAFETY: same contract, and the features are enabled here.
        unsafe { direct::<MEAN, FIN>(x, p, out) };
        return;
    }
    if p <= DOUBLING_MAX_PERIOD {
        macro_rules! by_period {
            ($($q:literal)*) => {
                match p {
                    // SAFETY: same contract, with P == p in
                    // DIRECT_MAX_PERIOD + 1 ..= DOUBLING_MAX_PERIOD.
                    $($q => unsafe {
                        let sink = Plain(out.as_mut_ptr());
                        doubling::<MEAN, FIN, $q, _>(x, out, &sink);
                    },)*
                    _ => unreachable!("doubling range is 9..=31"),
                }
            };
        }
        by_period!(9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
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
            unsafe { region::<MEAN, FIN>(x, p, out, s, vinv, top_mask) };
        } else {
            scalar::region::<MEAN, FIN>(x, p, out, s, inv);
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
unsafe fn direct<const MEAN: bool, const FIN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
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
            _mm256_storeu_pd(op.add(i), finish::<MEAN, FIN>(acc, inv));
        }
        i += 4;
    }
    scalar::direct::<MEAN, FIN>(x, p, out, i);
}

/// The output vector `acc` in its final form: times `vinv` for the mean,
/// then, if `FIN`, `v` for every finite `v` (the sign of a zero
/// included) and the canonical NaN for ±inf and NaN: the scalar
/// `finish`, bit for bit.
///
/// # Safety
///
/// AVX2 and FMA must be available.
#[inline(always)]
unsafe fn finish<const MEAN: bool, const FIN: bool>(acc: __m256d, vinv: __m256d) -> __m256d {
    // SAFETY: register-only intrinsics; the caller guarantees AVX2 + FMA.
    unsafe {
        let mut v = acc;
        if MEAN {
            v = _mm256_mul_pd(v, vinv);
        }
        if FIN {
            // `v·0` is ±0 for every finite `v` and NaN otherwise; the
            // blend writes the canonical NaN (not the sign-varying NaN
            // that ∞ − ∞ or a propagated payload would give), so the
            // bits do not depend on which path produced an output.
            let zero = _mm256_setzero_pd();
            let finite = _mm256_cmp_pd::<_CMP_EQ_OQ>(_mm256_mul_pd(v, zero), zero);
            v = _mm256_blendv_pd(_mm256_set1_pd(f64::NAN), v, finite);
        }
        v
    }
}

/// Where the doubling path puts four finished outputs.
pub(crate) trait Sink {
    /// Takes the outputs `j .. j + 4` (already in their final form).
    ///
    /// # Safety
    ///
    /// AVX2 must be available; `j + 4` is at most the length of every
    /// buffer the sink writes, and `j` is a position the doubling path may
    /// store to (32-byte aligned in `out`).
    unsafe fn put(&self, j: usize, v: __m256d);
}

/// Stores into `out` (the plain rolling sum or mean).
struct Plain(*mut f64);

impl Sink for Plain {
    #[inline(always)]
    unsafe fn put(&self, j: usize, v: __m256d) {
        // SAFETY: `out[j .. j + 4]` is in bounds and 32-byte aligned (the
        // contract of `put`); AVX is available.
        unsafe { _mm256_store_pd(self.0.add(j), v) }
    }
}

/// Forms Bollinger bands from each mean as it is computed: `var` holds
/// the variance on entry and the upper band on return, as
/// [`bands_from_mean_var`](crate::kernels::bands::bands_from_mean_var)
/// does (the same operations: bit-identical).
struct Bands {
    middle: *mut f64,
    var: *mut f64,
    lower: *mut f64,
    up: __m256d,
    dn: __m256d,
}

impl Sink for Bands {
    #[inline(always)]
    unsafe fn put(&self, j: usize, m: __m256d) {
        // SAFETY: the three buffers have `out`'s length, so `j .. j + 4` is
        // in bounds of each (the contract of `put`); `middle` is `out`
        // (aligned store), the others are accessed unaligned; AVX2 is
        // available.
        unsafe {
            let v = _mm256_loadu_pd(self.var.add(j));
            let sd = crate::kernels::bands::avx2::root(v);
            let (m, u, l) = crate::kernels::bands::avx2::band_values(m, sd, v, self.up, self.dn);
            _mm256_store_pd(self.middle.add(j), m);
            _mm256_storeu_pd(self.var.add(j), u);
            _mm256_storeu_pd(self.lower.add(j), l);
        }
    }
}

/// [`super::mean_and_bands`] on the AVX2 doubling path: `None` (nothing
/// written) for other periods, `p > x.len()` or slices of other lengths.
pub(crate) fn mean_and_bands(
    _token: Avx2Fma,
    x: &[f64],
    p: usize,
    out: super::BandsInto<'_>,
) -> Option<(usize, usize)> {
    let n = x.len();
    let super::BandsInto {
        middle,
        var,
        lower,
        up,
        dn,
    } = out;
    let lengths_ok = middle.len() == n && var.len() == n && lower.len() == n;
    if !(lengths_ok && super::mean_and_bands_runs(crate::Backend::Avx2, n, p)) {
        return None;
    }
    middle[..p - 1].fill(f64::NAN);
    // SAFETY: the token proves AVX2 and FMA; the lengths and the period
    // were checked just above.
    Some(unsafe { mean_and_bands_avx2(x, p, middle, var, lower, (up, dn)) })
}

/// # Safety
///
/// AVX2 and FMA must be available; `x`, `middle`, `var` and `lower` have
/// one length `n`, and `DIRECT_MAX_PERIOD < p <= min(DOUBLING_MAX_PERIOD,
/// n)`.
#[target_feature(enable = "avx2,fma")]
unsafe fn mean_and_bands_avx2(
    x: &[f64],
    p: usize,
    middle: &mut [f64],
    var: &mut [f64],
    lower: &mut [f64],
    (up, dn): (f64, f64),
) -> (usize, usize) {
    let (up, dn) = (_mm256_set1_pd(up), _mm256_set1_pd(dn));
    let sink = Bands {
        middle: middle.as_mut_ptr(),
        var: var.as_mut_ptr(),
        lower: lower.as_mut_ptr(),
        up,
        dn,
    };
    macro_rules! by_period {
        ($($q:literal)*) => {
            match p {
                // SAFETY: AVX2 and FMA are enabled here; P == p in the
                // doubling range, p <= n; the sink writes `middle` (= out,
                // at the aligned positions the doubling path stores to)
                // and `var`, `lower`, both of length n.
                $($q => unsafe { doubling::<true, false, $q, _>(x, middle, &sink) },)*
                _ => unreachable!("doubling range is 9..=31"),
            }
        };
    }
    by_period!(9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
}

/// Histories of the doubling path: `h4[t] = block(2, j - 4(t+1))`,
/// `h8[t] = block(3, j - 4(t+1))` for the current position `j`.
struct History {
    h4: [__m256d; 8],
    h8: [__m256d; 8],
}

/// One step of the doubling path at position `j` (four positions `j ..
/// j + 4`): computes `block(2, ·)` and `block(3, ·)`, and, if `STORE`, the
/// window sums, which it stores (aligned) at `out[j ..]`; then shifts the
/// histories.
///
/// # Safety
///
/// AVX2 and FMA must be available; `3 <= j`, `j + 4 <= x.len() ==
/// out.len()`; if `STORE`, `j >= P - 1` and `sink` may be given the
/// outputs `j .. j + 4` (its own contract: see [`Sink::put`]).
#[inline(always)]
unsafe fn doubling_step<
    const MEAN: bool,
    const FIN: bool,
    const P: usize,
    const STORE: bool,
    S: Sink,
>(
    xp: *const f64,
    sink: &S,
    j: usize,
    h: &mut History,
    vinv: __m256d,
) {
    let l = scalar::level(P);
    // SAFETY: 3 <= j and j + 4 <= n, so the loads read x[j - 3 .. j + 4]
    // in bounds; if STORE: every history used is off / 4 <= 6 < 8 steps
    // back; the x loads read x[j - off - 1 .. j - off + 4] with j - off - 1
    // >= j + 1 - P >= 0 and j - off + 4 <= j + 4 <= n; the store writes
    // out[j .. j + 4] through the sink, in bounds and aligned (caller's
    // contract).
    unsafe {
        let a = _mm256_add_pd(
            _mm256_loadu_pd(xp.add(j - 3)),
            _mm256_loadu_pd(xp.add(j - 2)),
        );
        let c = _mm256_add_pd(_mm256_loadu_pd(xp.add(j - 1)), _mm256_loadu_pd(xp.add(j)));
        let s4 = _mm256_add_pd(a, c);
        let s8 = _mm256_add_pd(h.h4[0], s4);
        if STORE {
            let mut acc = if l == 4 {
                _mm256_add_pd(h.h8[1], s8)
            } else {
                s8
            };
            let mut off = 1usize << l;
            if l == 4 && P & 8 != 0 {
                acc = _mm256_add_pd(acc, h.h8[off / 4 - 1]);
                off += 8;
            }
            if P & 4 != 0 {
                acc = _mm256_add_pd(acc, h.h4[off / 4 - 1]);
                off += 4;
            }
            if P & 2 != 0 {
                let t = _mm256_add_pd(
                    _mm256_loadu_pd(xp.add(j - off - 1)),
                    _mm256_loadu_pd(xp.add(j - off)),
                );
                acc = _mm256_add_pd(acc, t);
                off += 2;
            }
            if P & 1 != 0 {
                acc = _mm256_add_pd(acc, _mm256_loadu_pd(xp.add(j - off)));
            }
            sink.put(j, finish::<MEAN, FIN>(acc, vinv));
        }
        let h4 = &h.h4;
        let h8 = &h.h8;
        h.h4 = [s4, h4[0], h4[1], h4[2], h4[3], h4[4], h4[5], h4[6]];
        h.h8 = [s8, h8[0], h8[1], h8[2], h8[3], h8[4], h8[5], h8[6]];
    }
}

/// The doubling path (see [`scalar::doubling`]) for the period `P`,
/// four positions per step, every history in registers.
///
/// Positions `j` advance by 4 from `j0 >= 3`, in the residue class mod 4
/// that makes the output stores 32-byte aligned. Per step: `block(2, ·)`
/// from four overlapping loads of `x`; `block(3, j) = block(2, j - 4) +
/// block(2, j)` and `block(4, j) = block(3, j - 8) + block(3, j)` with the
/// earlier vectors kept in (register) arrays `h4`, `h8` of the last 8
/// steps; from the first step at or after `P - 1` on, the window's
/// blocks are added (`off / 4` steps back, or loaded from `x` for the
/// blocks of 2 and 1) and stored. The warm-up steps before that are a
/// loop of their own, and the main loop is unrolled four times (so the
/// histories shift by renaming registers, not by moves). The at most 3
/// outputs before the first step and after the last use
/// [`scalar::doubling_one`].
///
/// (A ring of histories in memory, for longer periods, was measured 2x
/// slower: the loads of vectors stored one or two steps earlier stall.)
///
/// # Safety
///
/// AVX2 must be available; `x.len() == out.len()`,
/// `DIRECT_MAX_PERIOD < P <= min(DOUBLING_MAX_PERIOD, x.len())`, and
/// `sink` may be given every output of `P - 1 .. n` whose position in
/// `out` is 32-byte aligned (see [`Sink::put`]).
///
/// Returns `[v0, v1)`, the outputs given to `sink` (the others are written
/// to `out` by the scalar definition).
#[inline(always)]
unsafe fn doubling<const MEAN: bool, const FIN: bool, const P: usize, S: Sink>(
    x: &[f64],
    out: &mut [f64],
    sink: &S,
) -> (usize, usize) {
    const { assert!(P > DIRECT_MAX_PERIOD && P <= DOUBLING_MAX_PERIOD && P < 32) };
    let n = x.len();
    // First output position whose store is 32-byte aligned (out is
    // 8-aligned, so one of P - 1 ..= P + 2).
    let mis = (out.as_ptr() as usize / 8).wrapping_add(P - 1) % 4;
    let first = P - 1 + (4 - mis) % 4;
    // Outputs P - 1 .. first (and, below, the tail): from the definition.
    scalar::doubling_some::<MEAN, FIN>(x, P, out, P - 1, first.min(n));
    if first + 4 > n {
        scalar::doubling_some::<MEAN, FIN>(x, P, out, first.min(n), n);
        return (n, n);
    }
    let xp = x.as_ptr();
    // SAFETY: register-only intrinsics; the caller guarantees AVX2.
    let (nz, vinv) = unsafe { (_mm256_set1_pd(-0.0), _mm256_set1_pd(1.0 / P as f64)) };
    // Entries for positions before j0 hold -0 and are never used for an
    // output.
    let mut h = History {
        h4: [nz; 8],
        h8: [nz; 8],
    };
    let mut j = 3 + (first - 3) % 4;
    // Warm-up: j < first <= n - 4.
    while j < first {
        // SAFETY: 3 <= j, j + 4 <= first + 4 <= n; no store.
        unsafe { doubling_step::<MEAN, FIN, P, false, S>(xp, sink, j, &mut h, vinv) };
        j += 4;
    }
    // From here on j >= first >= P - 1 and j ≡ first (mod 4).
    while j + 16 <= n {
        // SAFETY: j >= P - 1 >= 3, j + 16 <= n, out + j aligned (j ≡ first
        // mod 4), and so for j + 4, j + 8, j + 12.
        unsafe {
            doubling_step::<MEAN, FIN, P, true, S>(xp, sink, j, &mut h, vinv);
            doubling_step::<MEAN, FIN, P, true, S>(xp, sink, j + 4, &mut h, vinv);
            doubling_step::<MEAN, FIN, P, true, S>(xp, sink, j + 8, &mut h, vinv);
            doubling_step::<MEAN, FIN, P, true, S>(xp, sink, j + 12, &mut h, vinv);
        }
        j += 16;
    }
    while j + 4 <= n {
        // SAFETY: as above, for one step.
        unsafe { doubling_step::<MEAN, FIN, P, true, S>(xp, sink, j, &mut h, vinv) };
        j += 4;
    }
    scalar::doubling_some::<MEAN, FIN>(x, P, out, j, n);
    (first, j)
}

/// `[-0, v0, -0, v2] + v`, then `+ [-0, -0, t1, t1]`: canonical prefix4.
///
/// # Safety
///
/// AVX2 must be available.
#[inline(always)]
pub(crate) unsafe fn prefix4(v: __m256d, nz: __m256d) -> __m256d {
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
pub(crate) unsafe fn suffix4(v: __m256d, nz: __m256d) -> __m256d {
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
unsafe fn region<const MEAN: bool, const FIN: bool>(
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
                let v = _mm256_add_pd(_mm256_loadu_pd(op.add(s + k)), pre);
                _mm256_storeu_pd(op.add(s + k), finish::<MEAN, FIN>(v, vinv));
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
