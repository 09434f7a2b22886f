//! Scalar backend: the blocked, shifted WMA recurrence (long periods) and
//! the window-local path's canonical operation order (see the module
//! docs).

use super::{SEQUENTIAL_MAX, block_len};

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

/// The window-local output of the sequential path: `o = r + W·(1/d)`,
/// then `o + o·0`, which is `o` for every finite `o` (the sign of a zero
/// included) and NaN for `±inf` or NaN, so a window holding a non-finite
/// value (or sums that overflow) gives NaN.
#[inline(always)]
pub(crate) fn finish_local(r: f64, w: f64, inv_d: f64) -> f64 {
    let o = r + w * inv_d;
    o + o * 0.0
}

/// Window-local WMA of every output from `p - 1` on (`2 <= p <=`
/// [`SEQUENTIAL_MAX`], `p <= x.len() == out.len()`); `out[..p - 1]` is
/// left with scratch values the caller overwrites with NaN.
pub(crate) fn local(x: &[f64], p: usize, out: &mut [f64]) {
    debug_assert!((2..=SEQUENTIAL_MAX).contains(&p) && p <= x.len() && x.len() == out.len());
    let pf = p as f64;
    let inv_d = 2.0 / (pf * (pf + 1.0));
    let mut sv = [0.0; SEQUENTIAL_MAX];
    let mut s = 0;
    while s < x.len() {
        region_local(x, p, out, s, inv_d, &mut sv);
        s += p;
    }
}

/// The outputs `out[s + t]`, `t < min(p, n - s)`, of region `s` (a
/// multiple of `p`), all about the reference `r = x[s]`, a member of every
/// window of the region. This is the canonical operation order of the
/// window-local path; the AVX2 backend performs it for four or eight
/// regions at a time, one per lane.
///
/// - Suffix of chunk `k` (`x[s - p .. s]`), `t = p - 2` down to `0`:
///   `a = x[s - p + 1 + t] - r`, `u += a`, `v += u`, `sv[t] = v`, from
///   `u = v = -0.0`; `sv[p - 1] = -0.0` (all of `sv` for region 0). Then
///   `sv[t] = Σ_{t' >= t} (t' - t + 1)·a_{t'}`: the part of the window's
///   weighted sum that lies in chunk `k`.
/// - Prefix of chunk `k+1`, `t = 0` up: `b = x[s + t] - r`, `q += p0`,
///   `p0 += b` (from `-0.0`), so `p0 = Σ_{j <= t} b_j` and
///   `q = Σ_{j <= t} (t - j)·b_j`; the weight of `b_j` in output `t` is
///   `p - (t - j)`, so `W = sv[t] + (p·p0 - q)` and the output is
///   [`finish_local`]`(r, W, 1/d)`.
pub(crate) fn region_local(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    inv_d: f64,
    sv: &mut [f64; SEQUENTIAL_MAX],
) {
    let m = p.min(x.len() - s);
    let pf = p as f64;
    let r = x[s];
    if s == 0 {
        sv[..m].fill(-0.0);
    } else {
        sv[p - 1] = -0.0;
        let (mut u, mut v) = (-0.0, -0.0);
        for t in (0..p - 1).rev() {
            let a = x[s + 1 + t - p] - r;
            u += a;
            v += u;
            sv[t] = v;
        }
    }
    let (mut p0, mut q) = (-0.0, -0.0);
    for t in 0..m {
        let b = x[s + t] - r;
        q += p0;
        p0 += b;
        let w = sv[t] + (pf * p0 - q);
        out[s + t] = finish_local(r, w, inv_d);
    }
}
