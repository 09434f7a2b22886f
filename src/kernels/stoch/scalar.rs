//! Scalar backend, and the per-bar definition the other paths follow.

/// Raw %K of one bar; 0 on a flat window (the selects come before the
/// divisions: `0 / 1 = 0`).
#[inline(always)]
pub(crate) fn one(c: f64, h: f64, l: f64) -> f64 {
    let range = h - l;
    let flat = range == 0.0;
    let num = if flat { 0.0 } else { c - l };
    let den = if flat { 1.0 } else { range / 100.0 };
    num / den
}

/// Raw %K into `out` (which holds the lowest lows on entry); returns
/// whether every output is tame (see [`super::TAME`]) and every close
/// finite.
pub(crate) fn raw_k(close: &[f64], hh: &[f64], out: &mut [f64]) -> bool {
    let mut tame = true;
    for ((o, &c), &h) in out.iter_mut().zip(close).zip(hh) {
        *o = one(c, h, *o);
        tame &= (o.abs() <= super::TAME) & c.is_finite();
    }
    tame
}
