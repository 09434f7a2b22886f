//! Portable backend on `wide::f64x4`; the scalar definition on the tail.

use wide::f64x4;

use super::scalar;

fn load(s: &[f64]) -> f64x4 {
    f64x4::from([s[0], s[1], s[2], s[3]])
}

/// As `scalar::raw_k` (same bits, same flag).
pub(crate) fn raw_k(close: &[f64], hh: &[f64], out: &mut [f64]) -> bool {
    let n = out.len();
    let body = n / 4 * 4;
    let (zero, one, hundred) = (f64x4::ZERO, f64x4::ONE, f64x4::splat(100.0));
    for i in (0..body).step_by(4) {
        let (c, h, l) = (load(&close[i..]), load(&hh[i..]), load(&out[i..]));
        let range = h - l;
        let flat = range.simd_eq(zero);
        let num = flat.bitselect(zero, c - l);
        let den = flat.bitselect(one, range / hundred);
        out[i..i + 4].copy_from_slice(&(num / den).to_array());
    }
    let tail = scalar::raw_k(&close[body..], &hh[body..], &mut out[body..]);
    let head = out[..body]
        .iter()
        .zip(&close[..body])
        .all(|(v, c)| (v.abs() <= super::TAME) & c.is_finite());
    tail & head
}
