//! AVX2 van Herk / Gil-Werman rolling extreme: segmented in-register scans
//! (see the module docs).
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::{NO_INDEX, scalar};
use crate::dispatch::Avx2Fma;

/// 2^52: adding it to an integer-valued `f64` in `[0, 2^52)` puts the
/// integer in the low mantissa bits (exact conversion both ways).
const MAGIC: f64 = 4_503_599_627_370_496.0;

/// Rolling extreme of the finite run `y` (`y.len() >= period`), indices
/// offset by `base`. Same results as [`scalar::run`], bit for bit, and
/// the same flag: whether every value of `y` is finite.
pub(crate) fn run<const MIN: bool>(
    _token: Avx2Fma,
    y: &[f64],
    period: usize,
    base: usize,
    out: &mut [f64],
    index: Option<&mut [usize]>,
) -> bool {
    let m = y.len();
    assert_eq!(out.len(), m);
    // Indices travel as f64 lanes: they must stay below 2^52.
    if period < 4 || m < period || base.saturating_add(m) >= (1usize << 52) {
        return scalar::run::<MIN>(y, period, base, out, index);
    }
    if index.is_none() && period <= DIRECT_MAX_PERIOD {
        // SAFETY: the token proves AVX2+FMA; out has y.len() elements and
        // 4 <= period <= y.len() (checked above).
        return unsafe { direct::<MIN>(y, period, out) };
    }
    match index {
        Some(ix) => {
            assert_eq!(ix.len(), m);
            // SAFETY: the token proves AVX2+FMA; out and ix have y.len()
            // elements, period >= 4 and y.len() >= period (checked above).
            unsafe { passes::<MIN, true>(y, period, base, out, ix) }
        }
        None => {
            // SAFETY: as above; with IDX = false the index slice is unused.
            unsafe { passes::<MIN, false>(y, period, base, out, &mut []) }
        }
    }
}

/// Up to this period, values without indices are taken straight from the
/// window (`period − 1` max/min per four outputs), which beats the scans'
/// constant cost of about twenty operations per four outputs.
const DIRECT_MAX_PERIOD: usize = 24;

/// The extreme of each window by direct reduction over its `p` bars, four
/// consecutive windows per vector, oldest bar first so that ties go to the
/// newest (values only: selections, so identical to the scans' values,
/// signed zeros included). Returns whether every value of `y` is finite
/// (if not, the outputs are unspecified: `max`/`min` have no NaN rule).
///
/// # Safety
///
/// The CPU must support AVX2 and FMA; `out.len() == y.len() >= p >= 4`.
#[target_feature(enable = "avx2,fma")]
unsafe fn direct<const MIN: bool>(y: &[f64], p: usize, out: &mut [f64]) -> bool {
    let m = y.len();
    // Window starts j in 0..jn; window j ends at output j + p - 1.
    let jn = m - p + 1;
    let jv = jn / 4 * 4;
    let yp = y.as_ptr();
    let op = out.as_mut_ptr();
    // `max_pd(acc, new)` is `acc > new ? acc : new`: on ties (±0) the
    // newer bar wins, as everywhere in this module.
    let ext = |a: __m256d, b: __m256d| {
        if MIN {
            _mm256_min_pd(a, b)
        } else {
            _mm256_max_pd(a, b)
        }
    };
    // The OR of `v − v` over the first load of each step (bars 0..jv):
    // all bits clear while those bars are finite, a NaN's once one is not.
    let mut bad = _mm256_setzero_pd();
    let mut j = 0;
    while j < jv {
        // SAFETY: the loads cover y[j + k .. j + k + 4] for k < p, whose
        // last element j + p + 2 <= jv + p - 2 < jn + p - 1 = m; the store
        // covers out[j + p - 1 .. j + p + 3], inside out (len m) likewise.
        unsafe {
            let mut acc = _mm256_loadu_pd(yp.add(j));
            bad = _mm256_or_pd(bad, _mm256_sub_pd(acc, acc));
            for k in 1..p {
                acc = ext(acc, _mm256_loadu_pd(yp.add(j + k)));
            }
            _mm256_storeu_pd(op.add(j + p - 1), acc);
        }
        j += 4;
    }
    for j in jv..jn {
        let w = &y[j..j + p];
        out[j + p - 1] = w[1..].iter().fold(w[0], |a, &b| {
            if (MIN && b <= a) || (!MIN && b >= a) {
                b
            } else {
                a
            }
        });
    }
    out[..p - 1].fill(f64::NAN);
    // Bars jv..m (at most p + 2 of them) are checked one by one.
    let head = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_UNORD_Q>(bad, bad)) == 0;
    head && super::first_non_finite_scalar(y, jv) == m
}

/// Both passes, then the NaN warm-up; returns whether every value of `y`
/// is finite.
///
/// # Safety
///
/// The CPU must support AVX2 and FMA. `out.len() == y.len() >= period >= 4`,
/// and if `IDX`, `ix.len() == y.len()`; `base + y.len() < 2^52`.
#[target_feature(enable = "avx2,fma")]
unsafe fn passes<const MIN: bool, const IDX: bool>(
    y: &[f64],
    p: usize,
    base: usize,
    out: &mut [f64],
    ix: &mut [usize],
) -> bool {
    let m = y.len();
    // SAFETY: forwarded preconditions.
    let (i, head) = unsafe { forward::<MIN, IDX>(y, p, base, out, ix) };
    let tail = scalar::forward::<MIN>(y, p, base, i, out, if IDX { Some(&mut *ix) } else { None });
    // Backward: j runs over 0..jn (outputs j + p - 1 < m); the top part
    // (j >= jv, which also starts the suffix inside the last block) is scalar.
    let jn = m - p + 1;
    let jv = jn / 4 * 4;
    let carry = scalar::backward::<MIN>(
        y,
        p,
        base,
        m,
        jv,
        out,
        if IDX { Some(&mut *ix) } else { None },
        None,
    );
    if jv >= 4 {
        // SAFETY: forwarded preconditions; jv + p - 1 <= m, jv % 4 == 0.
        unsafe { backward::<MIN, IDX>(y, p, base, jv, carry, out, ix) };
    }
    out[..p - 1].fill(f64::NAN);
    if IDX {
        ix[..p - 1].fill(NO_INDEX);
    }
    head && tail
}

/// `a` strictly better than `b`.
#[inline(always)]
fn better<const MIN: bool>(a: __m256d, b: __m256d) -> __m256d {
    // SAFETY: plain register arithmetic; the caller runs with AVX enabled.
    unsafe {
        if MIN {
            _mm256_cmp_pd::<_CMP_LT_OQ>(a, b)
        } else {
            _mm256_cmp_pd::<_CMP_GT_OQ>(a, b)
        }
    }
}

/// `a` better than or equal to `b`.
#[inline(always)]
fn better_eq<const MIN: bool>(a: __m256d, b: __m256d) -> __m256d {
    // SAFETY: plain register arithmetic; the caller runs with AVX enabled.
    unsafe {
        if MIN {
            _mm256_cmp_pd::<_CMP_LE_OQ>(a, b)
        } else {
            _mm256_cmp_pd::<_CMP_GE_OQ>(a, b)
        }
    }
}

/// Forward segmented prefix scan over whole vectors; returns the first
/// bar not processed (a multiple of 4) and whether every bar before it is
/// finite.
///
/// # Safety
///
/// As [`passes`].
#[inline(always)]
unsafe fn forward<const MIN: bool, const IDX: bool>(
    y: &[f64],
    p: usize,
    base: usize,
    out: &mut [f64],
    ix: &mut [usize],
) -> (usize, bool) {
    let m = y.len();
    let yp = y.as_ptr();
    let op = out.as_mut_ptr();
    let ip = ix.as_mut_ptr();
    // SAFETY: register-only intrinsics (AVX2 enabled by the caller), and
    // loads/stores at bars i..i+4 with i + 4 <= m, inside y, out and (if
    // IDX) ix, which all have m elements.
    unsafe {
        let pf = _mm256_set1_pd(p as f64);
        let one = _mm256_set1_pd(1.0);
        let two = _mm256_set1_pd(2.0);
        let four = _mm256_set1_pd(4.0);
        let lane_plus1 = _mm256_setr_pd(1.0, 2.0, 3.0, 4.0);
        let magic = _mm256_set1_pd(MAGIC);
        let magic_i = _mm256_castpd_si256(magic);
        // p >= 4: the offsets of bars 0..4 inside block 0 are 0..4.
        let mut off = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
        let b = base as f64;
        let mut ixv = _mm256_setr_pd(b, b + 1.0, b + 2.0, b + 3.0);
        let mut cv = _mm256_set1_pd(y[0]);
        let mut cix = _mm256_set1_pd(b);
        // The OR of `v − v` over the bars, as in `direct`.
        let mut bad = _mm256_setzero_pd();
        let mut i = 0;
        while i + 4 <= m {
            let mut v = _mm256_loadu_pd(yp.add(i));
            bad = _mm256_or_pd(bad, _mm256_sub_pd(v, v));
            let mut xi = ixv;
            // Step 1: lane l against lane l-1 (same block iff off_l >= 1).
            let pv = _mm256_permute4x64_pd::<0x90>(v);
            let mk = _mm256_and_pd(better::<MIN>(pv, v), _mm256_cmp_pd::<_CMP_GE_OQ>(off, one));
            v = _mm256_blendv_pd(v, pv, mk);
            if IDX {
                xi = _mm256_blendv_pd(xi, _mm256_permute4x64_pd::<0x90>(xi), mk);
            }
            // Step 2: lane l against lane l-2 (same block iff off_l >= 2).
            let pv = _mm256_permute4x64_pd::<0x40>(v);
            let mk = _mm256_and_pd(better::<MIN>(pv, v), _mm256_cmp_pd::<_CMP_GE_OQ>(off, two));
            v = _mm256_blendv_pd(v, pv, mk);
            if IDX {
                xi = _mm256_blendv_pd(xi, _mm256_permute4x64_pd::<0x40>(xi), mk);
            }
            // Carry from bar i-1 (same block iff off_l >= l + 1).
            let s = _mm256_permute4x64_pd::<0xFF>(v);
            let six = _mm256_permute4x64_pd::<0xFF>(xi);
            let in_blk = _mm256_cmp_pd::<_CMP_GE_OQ>(off, lane_plus1);
            let mk = _mm256_and_pd(better::<MIN>(cv, v), in_blk);
            v = _mm256_blendv_pd(v, cv, mk);
            _mm256_storeu_pd(op.add(i), v);
            if IDX {
                xi = _mm256_blendv_pd(xi, cix, mk);
                let bits = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(xi, magic)), magic_i);
                _mm256_storeu_si256(ip.add(i).cast(), bits);
            }
            // New carry = lane 3 of v, computed off the chain from `s`.
            let off3 = _mm256_permute4x64_pd::<0xFF>(off);
            let m3 = _mm256_and_pd(
                better::<MIN>(cv, s),
                _mm256_cmp_pd::<_CMP_GE_OQ>(off3, four),
            );
            cv = _mm256_blendv_pd(s, cv, m3);
            if IDX {
                cix = _mm256_blendv_pd(six, cix, m3);
            }
            off = _mm256_add_pd(off, four);
            off = _mm256_sub_pd(off, _mm256_and_pd(pf, _mm256_cmp_pd::<_CMP_GE_OQ>(off, pf)));
            ixv = _mm256_add_pd(ixv, four);
            i += 4;
        }
        (
            i,
            _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_UNORD_Q>(bad, bad)) == 0,
        )
    }
}

/// Backward segmented suffix scan over `j = jv-4, jv-8, ..., 0`, combined
/// with the prefixes at `j + p - 1`. `carry` is the suffix at `jv`.
///
/// # Safety
///
/// As [`passes`], and `4 <= jv`, `jv % 4 == 0`, `jv + p - 1 <= y.len()`.
#[inline(always)]
unsafe fn backward<const MIN: bool, const IDX: bool>(
    y: &[f64],
    p: usize,
    base: usize,
    jv: usize,
    carry: (f64, usize),
    out: &mut [f64],
    ix: &mut [usize],
) {
    let yp = y.as_ptr();
    let op = out.as_mut_ptr();
    let ip = ix.as_mut_ptr();
    // SAFETY: register-only intrinsics (AVX2 enabled by the caller); loads
    // of y at j..j+4 with j + 4 <= jv <= y.len(), and loads/stores of out
    // (and ix if IDX) at j+p-1..j+p+3 with j + p + 3 <= jv + p - 1 <= m.
    unsafe {
        let pf = _mm256_set1_pd(p as f64);
        let zero = _mm256_setzero_pd();
        let four = _mm256_set1_pd(4.0);
        let pm2 = _mm256_set1_pd(p as f64 - 2.0);
        let pm3 = _mm256_set1_pd(p as f64 - 3.0);
        let pm5 = _mm256_set1_pd(p as f64 - 5.0);
        let pm5_lane = _mm256_setr_pd(
            p as f64 - 5.0,
            p as f64 - 4.0,
            p as f64 - 3.0,
            p as f64 - 2.0,
        );
        let magic = _mm256_set1_pd(MAGIC);
        let magic_i = _mm256_castpd_si256(magic);
        let mut j = jv - 4;
        let o0 = j % p;
        let lane = |l: usize| ((o0 + l) % p) as f64;
        let mut off = _mm256_setr_pd(lane(0), lane(1), lane(2), lane(3));
        let b = (base + j) as f64;
        let mut ixv = _mm256_setr_pd(b, b + 1.0, b + 2.0, b + 3.0);
        let mut cv = _mm256_set1_pd(carry.0);
        let mut cix = _mm256_set1_pd((base + carry.1) as f64);
        loop {
            let mut v = _mm256_loadu_pd(yp.add(j));
            let mut xi = ixv;
            // Step 1: lane l against lane l+1 (same block iff off_l <= p-2).
            let nv = _mm256_permute4x64_pd::<0xF9>(v);
            let mk = _mm256_and_pd(
                better_eq::<MIN>(nv, v),
                _mm256_cmp_pd::<_CMP_LE_OQ>(off, pm2),
            );
            v = _mm256_blendv_pd(v, nv, mk);
            if IDX {
                xi = _mm256_blendv_pd(xi, _mm256_permute4x64_pd::<0xF9>(xi), mk);
            }
            // Step 2: lane l against lane l+2 (same block iff off_l <= p-3).
            let nv = _mm256_permute4x64_pd::<0xFE>(v);
            let mk = _mm256_and_pd(
                better_eq::<MIN>(nv, v),
                _mm256_cmp_pd::<_CMP_LE_OQ>(off, pm3),
            );
            v = _mm256_blendv_pd(v, nv, mk);
            if IDX {
                xi = _mm256_blendv_pd(xi, _mm256_permute4x64_pd::<0xFE>(xi), mk);
            }
            // Carry from bar j+4 (same block iff off_l <= p - 5 + l).
            let s = _mm256_permute4x64_pd::<0x00>(v);
            let six = _mm256_permute4x64_pd::<0x00>(xi);
            let in_blk = _mm256_cmp_pd::<_CMP_LE_OQ>(off, pm5_lane);
            let mk = _mm256_and_pd(better_eq::<MIN>(cv, v), in_blk);
            v = _mm256_blendv_pd(v, cv, mk);
            if IDX {
                xi = _mm256_blendv_pd(xi, cix, mk);
            }
            let off0 = _mm256_permute4x64_pd::<0x00>(off);
            let m0 = _mm256_and_pd(
                better_eq::<MIN>(cv, s),
                _mm256_cmp_pd::<_CMP_LE_OQ>(off0, pm5),
            );
            cv = _mm256_blendv_pd(s, cv, m0);
            if IDX {
                cix = _mm256_blendv_pd(six, cix, m0);
            }
            // Combine with the prefix at j + p - 1 (ties keep the prefix).
            let at = j + p - 1;
            let pre = _mm256_loadu_pd(op.add(at));
            let take = better::<MIN>(v, pre);
            _mm256_storeu_pd(op.add(at), _mm256_blendv_pd(pre, v, take));
            if IDX {
                let pbits = _mm256_loadu_si256(ip.add(at).cast());
                let pix =
                    _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(pbits, magic_i)), magic);
                let r = _mm256_blendv_pd(pix, xi, take);
                let bits = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(r, magic)), magic_i);
                _mm256_storeu_si256(ip.add(at).cast(), bits);
            }
            if j == 0 {
                break;
            }
            j -= 4;
            off = _mm256_sub_pd(off, four);
            off = _mm256_add_pd(
                off,
                _mm256_and_pd(pf, _mm256_cmp_pd::<_CMP_LT_OQ>(off, zero)),
            );
            ixv = _mm256_sub_pd(ixv, four);
        }
    }
}

/// [`super::first_non_finite`] on AVX2: the first index `>= from` holding a
/// NaN or ±inf, or `x.len()`.
pub(crate) fn first_non_finite(_token: Avx2Fma, x: &[f64], from: usize) -> usize {
    // SAFETY: the token proves AVX2+FMA.
    let i = unsafe { skip_finite(x, from) };
    super::first_non_finite_scalar(x, i)
}

/// Skips whole 16-bar chunks of finite values from `from`; returns the
/// start of the first chunk holding a non-finite value (or the tail).
///
/// # Safety
///
/// AVX2 must be available.
#[target_feature(enable = "avx2,fma")]
unsafe fn skip_finite(x: &[f64], from: usize) -> usize {
    let p = x.as_ptr();
    let mut i = from;
    while i + 16 <= x.len() {
        // SAFETY: loads of x at i..i+16 with i + 16 <= x.len(); `v − v` is
        // 0 for finite v and NaN otherwise, and NaN survives the adds.
        let bad = unsafe {
            let d = |k: usize| {
                let v = _mm256_loadu_pd(p.add(i + k));
                _mm256_sub_pd(v, v)
            };
            let s = _mm256_add_pd(_mm256_add_pd(d(0), d(4)), _mm256_add_pd(d(8), d(12)));
            _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_UNORD_Q>(s, s))
        };
        if bad != 0 {
            break;
        }
        i += 16;
    }
    i
}
