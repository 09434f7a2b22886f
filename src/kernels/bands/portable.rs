//! Portable backend: two lanes of `wide::f64x2` (the width `wide` gives
//! under run-time dispatch), the scalar definitions on the tail.

use wide::f64x2;

use super::scalar;

/// Lanes where `|v| < ∞` (false for NaN).
#[inline(always)]
fn finite(v: f64x2) -> f64x2 {
    v.abs().simd_lt(f64x2::splat(f64::INFINITY))
}

/// `σ` per lane, NaN where `v` is not finite.
#[inline(always)]
fn sigma(v: f64x2) -> f64x2 {
    let clamped = v.simd_gt(f64x2::ZERO) & v;
    finite(v).bitselect(clamped.sqrt(), f64x2::splat(f64::NAN))
}

pub(crate) fn finite_or_nan(v: &mut [f64]) {
    let mut chunks = v.chunks_exact_mut(2);
    let nan = f64x2::splat(f64::NAN);
    for c in &mut chunks {
        let x = f64x2::from([c[0], c[1]]);
        c.copy_from_slice(&finite(x).bitselect(x, nan).to_array());
    }
    scalar::finite_or_nan(chunks.into_remainder());
}

pub(crate) fn stddev(var: &mut [f64], k: f64) {
    let mut chunks = var.chunks_exact_mut(2);
    let kk = f64x2::splat(k);
    for c in &mut chunks {
        let v = f64x2::from([c[0], c[1]]);
        c.copy_from_slice(&(sigma(v) * kk).to_array());
    }
    scalar::stddev(chunks.into_remainder(), k);
}

/// As `scalar::bands` (same bits): `upper` holds the variance (`ROOT`) or
/// σ on entry.
pub(crate) fn bands<const ROOT: bool>(
    middle: &mut [f64],
    upper: &mut [f64],
    lower: &mut [f64],
    up: f64,
    dn: f64,
) {
    let n = middle.len();
    let body = n / 2 * 2;
    let (upv, dnv, nan) = (f64x2::splat(up), f64x2::splat(dn), f64x2::splat(f64::NAN));
    for i in (0..body).step_by(2) {
        let m = f64x2::from([middle[i], middle[i + 1]]);
        let v = f64x2::from([upper[i], upper[i + 1]]);
        let sd = if ROOT { sigma(v) } else { v };
        let ok = finite(m) & finite(v);
        let mo = ok.bitselect(m, nan);
        let uo = ok.bitselect(m + upv * sd, nan);
        let lo = ok.bitselect(m - dnv * sd, nan);
        middle[i..i + 2].copy_from_slice(&mo.to_array());
        upper[i..i + 2].copy_from_slice(&uo.to_array());
        lower[i..i + 2].copy_from_slice(&lo.to_array());
    }
    scalar::bands::<ROOT>(
        &mut middle[body..],
        &mut upper[body..],
        &mut lower[body..],
        up,
        dn,
    );
}
