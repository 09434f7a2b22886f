//! Scalar backend, and the per-element definitions the other paths follow.

/// `σ·k` from a variance, NaN for a non-finite variance.
#[inline(always)]
pub(crate) fn stddev_one(v: f64, k: f64) -> f64 {
    // `v > 0 ? v : +0` (not `f64::max`, whose choice between ±0 is
    // unspecified) keeps every backend bit-identical.
    let clamped = if v > 0.0 { v } else { 0.0 };
    if v.is_finite() {
        clamped.sqrt() * k
    } else {
        f64::NAN
    }
}

/// `v`, or NaN where `v` is NaN or ±inf.
#[inline(always)]
pub(crate) fn finite_or_nan_one(v: f64) -> f64 {
    if v.is_finite() { v } else { f64::NAN }
}

pub(crate) fn finite_or_nan(v: &mut [f64]) {
    for x in v {
        *x = finite_or_nan_one(*x);
    }
}

pub(crate) fn stddev(var: &mut [f64], k: f64) {
    for v in var {
        *v = stddev_one(*v, k);
    }
}

/// One bar of the bands, `(middle, upper, lower)`, from the mean `m`
/// and `v`: the variance if `ROOT` (σ = `stddev_one(v, 1.0)`), else σ
/// itself (as `stddev_one` gives it). NaN lines unless both are finite.
#[inline(always)]
pub(crate) fn bands_one<const ROOT: bool>(m: f64, v: f64, up: f64, dn: f64) -> (f64, f64, f64) {
    if m.is_finite() && v.is_finite() {
        let sd = if ROOT { stddev_one(v, 1.0) } else { v };
        (m, m + up * sd, m - dn * sd)
    } else {
        (f64::NAN, f64::NAN, f64::NAN)
    }
}

/// The bands in place: `upper` holds the variance (`ROOT`) or σ on entry.
pub(crate) fn bands<const ROOT: bool>(
    middle: &mut [f64],
    upper: &mut [f64],
    lower: &mut [f64],
    up: f64,
    dn: f64,
) {
    for ((m, u), l) in middle
        .iter_mut()
        .zip(upper.iter_mut())
        .zip(lower.iter_mut())
    {
        (*m, *u, *l) = bands_one::<ROOT>(*m, *u, up, dn);
    }
}
