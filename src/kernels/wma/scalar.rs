//! Scalar blocked, shifted WMA recurrence (see the module docs).

use super::block_len;

/// Plain and weighted sums of `y[s+1−p ..= s] − r` (weights 1..=p).
#[inline]
pub(super) fn fresh(y: &[f64], s: usize, p: usize, r: f64) -> (f64, f64) {
    let w = &y[s + 1 - p..=s];
    let (mut s0, mut s1, mut w0, mut w1) = (0.0, 0.0, 0.0, 0.0);
    let mut k = 0;
    while k + 2 <= p {
        let a = w[k] - r;
        let b = w[k + 1] - r;
        s0 += a;
        s1 += b;
        w0 += (k + 1) as f64 * a;
        w1 += (k + 2) as f64 * b;
        k += 2;
    }
    if k < p {
        let a = w[k] - r;
        s0 += a;
        w0 += (k + 1) as f64 * a;
    }
    (s0 + s1, w0 + w1)
}

/// WMA outputs `from..y.len()` of the finite run `y` into `out`
/// (`p >= 2`, `from >= p - 1`); earlier outputs are left untouched.
pub(super) fn run(y: &[f64], p: usize, out: &mut [f64], from: usize) {
    let m = y.len();
    let pf = p as f64;
    let inv_d = 2.0 / (pf * (pf + 1.0));
    let blk = block_len(p);
    let mut s = from;
    while s < m {
        let e = (s + blk).min(m);
        let r = y[s];
        let (mut sum, mut w) = fresh(y, s, p, r);
        out[s] = r + w * inv_d;
        for i in s + 1..e {
            let prev = sum;
            sum += y[i] - y[i - p];
            w += pf * (y[i] - r) - prev;
            out[i] = r + w * inv_d;
        }
        s = e;
    }
}
