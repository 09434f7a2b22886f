//! Portable backend on `wide`: the direct path (`p <= 8`) sums four
//! windows per `f64x4` operation; the scans of the chunked path reuse the
//! scalar code, because `wide` offers no cross-lane shuffles to build an
//! in-register scan (and under run-time dispatch `f64x4` is two SSE2
//! halves anyway). Same operation order as `scalar.rs`, hence the same
//! bits.

use wide::f64x4;

use super::DIRECT_MAX_PERIOD;
use super::scalar;

/// Rolling sum (or mean); same contract as [`scalar::rolling`].
pub(crate) fn rolling<const MEAN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    debug_assert!(p >= 1 && p <= x.len() && x.len() == out.len());
    if p > DIRECT_MAX_PERIOD {
        scalar::rolling::<MEAN>(x, p, out);
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
        out[i..i + 4].copy_from_slice(&acc.to_array());
        i += 4;
    }
    scalar::direct::<MEAN>(x, p, out, i);
}

#[inline(always)]
fn load(s: &[f64]) -> f64x4 {
    f64x4::new([s[0], s[1], s[2], s[3]])
}
