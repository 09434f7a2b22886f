//! Portable backend on `wide`: the direct path (`p <= 8`) and the
//! doubling path (`9 <= p <= 31`) compute four outputs per `f64x4`
//! operation (vertical adds only); the scans of the chunked path
//! (`p >= 32`) reuse the scalar code, because `wide` offers no cross-lane
//! shuffles to build an in-register scan (and under run-time dispatch
//! `f64x4` is two SSE2 halves anyway). Same operation order as
//! `scalar.rs`, hence the same bits.

use wide::f64x4;

use super::scalar;
use super::{DIRECT_MAX_PERIOD, DOUBLING_MAX_PERIOD};

/// Rolling sum (or mean); same contract as [`scalar::rolling`].
pub(crate) fn rolling<const MEAN: bool, const FIN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    debug_assert!(p >= 1 && p <= x.len() && x.len() == out.len());
    if p > DOUBLING_MAX_PERIOD {
        scalar::rolling::<MEAN, FIN>(x, p, out);
        return;
    }
    if p > DIRECT_MAX_PERIOD {
        macro_rules! by_period {
            ($($q:literal)*) => {
                match p {
                    $($q => doubling::<MEAN, FIN, $q>(x, out),)*
                    _ => unreachable!("doubling range is 9..=31"),
                }
            };
        }
        by_period!(9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
        return;
    }
    let n = x.len();
    let inv = f64x4::splat(1.0 / p as f64);
    let mut i = p - 1;
    while i + 4 <= n {
        let w = i + 1 - p;
        let mut acc = load(&x[w..w + 4]);
        for j in 1..p {
            acc += load(&x[w + j..w + j + 4]);
        }
        if MEAN {
            acc *= inv;
        }
        if FIN {
            acc = canonical_finite(acc);
        }
        out[i..i + 4].copy_from_slice(&acc.to_array());
        i += 4;
    }
    scalar::direct::<MEAN, FIN>(x, p, out, i);
}

/// The doubling path (see `scalar::doubling` and the AVX2 twin): four
/// positions per step, histories of `block(2, ·)` and `block(3, ·)` over
/// the last 8 steps in (register) arrays. Requires
/// `DIRECT_MAX_PERIOD < P <= min(DOUBLING_MAX_PERIOD, x.len())`.
fn doubling<const MEAN: bool, const FIN: bool, const P: usize>(x: &[f64], out: &mut [f64]) {
    const { assert!(P > DIRECT_MAX_PERIOD && P <= DOUBLING_MAX_PERIOD && P < 32) };
    let l = scalar::level(P);
    let n = x.len();
    let first = P - 1;
    let nz = f64x4::splat(-0.0);
    let inv = f64x4::splat(1.0 / P as f64);
    let mut h4 = [nz; 8];
    let mut h8 = [nz; 8];
    let mut j = 3 + (first - 3) % 4;
    while j + 4 <= n {
        let s4 = (load(&x[j - 3..j + 1]) + load(&x[j - 2..j + 2]))
            + (load(&x[j - 1..j + 3]) + load(&x[j..j + 4]));
        let s8 = h4[0] + s4;
        let top = if l == 4 { h8[1] + s8 } else { s8 };
        if j >= first {
            let mut acc = top;
            let mut off = 1usize << l;
            if l == 4 && P & 8 != 0 {
                acc += h8[off / 4 - 1];
                off += 8;
            }
            if P & 4 != 0 {
                acc += h4[off / 4 - 1];
                off += 4;
            }
            if P & 2 != 0 {
                // Only here is `off <= P - 2 < j` guaranteed (with the
                // 2-bit set); computing it unconditionally underflowed for
                // periods that are multiples of 4 (found by the fuzzer).
                let w = j - off;
                acc += load(&x[w - 1..w + 3]) + load(&x[w..w + 4]);
                off += 2;
            }
            if P & 1 != 0 {
                acc += load(&x[j - off..j - off + 4]);
            }
            if MEAN {
                acc *= inv;
            }
            if FIN {
                acc = canonical_finite(acc);
            }
            out[j..j + 4].copy_from_slice(&acc.to_array());
        }
        h4 = [s4, h4[0], h4[1], h4[2], h4[3], h4[4], h4[5], h4[6]];
        h8 = [s8, h8[0], h8[1], h8[2], h8[3], h8[4], h8[5], h8[6]];
        j += 4;
    }
    scalar::doubling_some::<MEAN, FIN>(x, P, out, j.max(first), n);
}

#[inline(always)]
fn load(s: &[f64]) -> f64x4 {
    f64x4::new([s[0], s[1], s[2], s[3]])
}

/// `v` where finite (a zero's sign included), the canonical NaN where
/// ±inf or NaN: the scalar `finish`, bit for bit (`v·0` is ±0 exactly for
/// finite `v`).
#[inline(always)]
fn canonical_finite(v: f64x4) -> f64x4 {
    (v * f64x4::ZERO)
        .simd_eq(f64x4::ZERO)
        .bitselect(v, f64x4::splat(f64::NAN))
}
