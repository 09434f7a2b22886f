//! Scalar backend: the canonical operation order, one element at a time.
//!
//! Every backend performs exactly the additions defined here, in this
//! order, so all backends give bit-identical results. The vector paths
//! evaluate four of these formulas per instruction; wherever they cannot
//! (short tails, the last partial region) they call these functions.
//!
//! See the module docs of [`super`] for the algorithm. The doubling path
//! (`9 <= p <= 31`) is defined by [`doubling_one`]. The chunked path's
//! building blocks, for a group of four values `v0..v3` (the "zero" used by the
//! vector code is `-0.0`, which is an exact identity of `+`, so it does
//! not appear here):
//!
//! - prefix group: `[v0, v0+v1, v2+(v0+v1), (v2+v3)+(v0+v1)]`;
//! - suffix group: `[(v0+v1)+(v2+v3), v1+(v2+v3), v2+v3, v3]`;
//! - groups are aligned to the start of the chunk in both scans (so the
//!   suffix scan's stores line up with the prefix scan's loads); a partial
//!   last group is padded with `-0.0`;
//! - a carry runs through the groups of a sub-block (forward for the
//!   prefix, backward for the suffix): each output is `carry +
//!   group_value`, and the next carry is `carry + group_total`;
//! - sub-blocks of [`SUB`] elements (aligned to the chunk start) restart
//!   the carry at `-0.0`; from the second sub-block processed on, every
//!   output is `base + local`, where `base` is the running sum of the
//!   already processed sub-blocks' totals.

use super::{DIRECT_MAX_PERIOD, DOUBLING_MAX_PERIOD, SUB};

/// Prefix sums of a group of four, in the canonical order.
#[inline(always)]
pub(crate) fn prefix4(v: [f64; 4]) -> [f64; 4] {
    let t1 = v[0] + v[1];
    let t3 = v[2] + v[3];
    [v[0], t1, v[2] + t1, t3 + t1]
}

/// Suffix sums of a group of four, in the canonical order.
#[inline(always)]
pub(crate) fn suffix4(v: [f64; 4]) -> [f64; 4] {
    let t0 = v[0] + v[1];
    let t2 = v[2] + v[3];
    [t0 + t2, v[1] + t2, t2, v[3]]
}

/// Rolling sum (or mean if `MEAN`) of `x` over `p` values into `out`.
///
/// Requires `1 <= p <= x.len() == out.len()`. Writes every output from
/// index `p - 1` on; `out[..p - 1]` is left with scratch values that the
/// caller overwrites with NaN.
pub(crate) fn rolling<const MEAN: bool, const FIN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    debug_assert!(p >= 1 && p <= x.len() && x.len() == out.len());
    if p <= DIRECT_MAX_PERIOD {
        direct::<MEAN, FIN>(x, p, out, p - 1);
        return;
    }
    if p <= DOUBLING_MAX_PERIOD {
        doubling::<MEAN, FIN>(x, p, out);
        return;
    }
    let inv = 1.0 / p as f64;
    let mut s = 0;
    while s < x.len() {
        region::<MEAN, FIN>(x, p, out, s, inv);
        s += p;
    }
}

/// Outputs `from..` by summing each window left to right:
/// `((x[i-p+1] + x[i-p+2]) + ...) + x[i]`, then `* (1/p)` for the mean.
pub(crate) fn direct<const MEAN: bool, const FIN: bool>(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    from: usize,
) {
    let inv = 1.0 / p as f64;
    for i in from.max(p - 1)..x.len() {
        let w = &x[i + 1 - p..=i];
        let mut s = w[0];
        for &v in &w[1..] {
            s += v;
        }
        out[i] = finish::<MEAN, FIN>(s, inv);
    }
}

/// `⌊log₂ p⌋` (`p >= 1`): the largest block of the doubling path is
/// `2^level(p)` values.
#[inline(always)]
pub(crate) fn level(p: usize) -> usize {
    (usize::BITS - 1 - p.leading_zeros()) as usize
}

/// The canonical sum of the `2^b` values `x[j + 1 - 2^b ..= j]` (`b <=
/// 4`): a balanced binary tree, `block(b, j) = block(b-1, j - 2^(b-1)) +
/// block(b-1, j)`, with `block(0, j) = x[j]`, evaluated level by level
/// (adjacent pairs, older + newer) without recursion.
fn block(x: &[f64], b: usize, j: usize) -> f64 {
    let m = 1usize << b;
    let mut t = [0.0f64; 16];
    t[..m].copy_from_slice(&x[j + 1 - m..=j]);
    let mut len = m;
    while len > 1 {
        len /= 2;
        for k in 0..len {
            t[k] = t[2 * k] + t[2 * k + 1];
        }
    }
    t[0]
}

/// The output `s` (a window sum, or its mean's numerator) in its final
/// form: times `inv` for the mean, then, if `FIN`, NaN unless finite
/// (the crate's NaN policy for windows holding ±inf; the vector paths
/// blend in the same canonical NaN, so every path gives the same bits).
#[inline(always)]
pub(crate) fn finish<const MEAN: bool, const FIN: bool>(s: f64, inv: f64) -> f64 {
    let v = if MEAN { s * inv } else { s };
    if FIN && !v.is_finite() { f64::NAN } else { v }
}

/// The doubling path's output `i` (`DIRECT_MAX_PERIOD < p <=
/// DOUBLING_MAX_PERIOD`, `i >= p - 1`), evaluated straight from its
/// definition: the window is cut, from its newest end, into one block per
/// set bit of `p`, largest first; `acc` starts as the largest block and
/// adds the others in that order. The vector paths use this for their
/// few head and tail outputs.
pub(crate) fn doubling_one<const MEAN: bool, const FIN: bool>(
    x: &[f64],
    p: usize,
    i: usize,
) -> f64 {
    let l = level(p);
    let mut acc = block(x, l, i);
    let mut off = 1 << l;
    for b in (0..l).rev() {
        if p >> b & 1 == 1 {
            acc += block(x, b, i - off);
            off += 1 << b;
        }
    }
    finish::<MEAN, FIN>(acc, 1.0 / p as f64)
}

/// [`doubling_one`] for the outputs `from..to`.
pub(crate) fn doubling_some<const MEAN: bool, const FIN: bool>(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    from: usize,
    to: usize,
) {
    for (i, o) in out[from..to].iter_mut().enumerate() {
        *o = doubling_one::<MEAN, FIN>(x, p, from + i);
    }
}

/// Ring length of the doubling path's level histories (a power of two
/// `>= DOUBLING_MAX_PERIOD`).
const RING: usize = 32;

/// The doubling path (`DIRECT_MAX_PERIOD < p <= DOUBLING_MAX_PERIOD`): the
/// same sums as [`doubling_one`], computed incrementally. For every
/// position `j >= 3`, `block(2, j)` is summed from `x`, and `block(b, j)`
/// for `b = 3 ..= level(p)` is `block(b-1, j - 2^(b-1)) + block(b-1, j)`,
/// the first term taken from a ring of earlier positions.
pub(crate) fn doubling<const MEAN: bool, const FIN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    debug_assert!(p > DIRECT_MAX_PERIOD && p <= DOUBLING_MAX_PERIOD && p <= x.len());
    let l = level(p);
    let inv = 1.0 / p as f64;
    let m = RING - 1;
    // ring[b - 2][j % RING] = block(b, j) for b = 2 ..= l - 1.
    let mut ring = [[0.0f64; RING]; 2];
    for j in 3..x.len() {
        let mut s = (x[j - 3] + x[j - 2]) + (x[j - 1] + x[j]);
        for b in 3..=l {
            let h = 1usize << (b - 1);
            let old = ring[b - 3][j.wrapping_sub(h) & m];
            ring[b - 3][j & m] = s;
            s += old;
        }
        if j + 1 >= p {
            let mut acc = s;
            let mut off = 1 << l;
            for b in (2..l).rev() {
                if p >> b & 1 == 1 {
                    acc += ring[b - 2][(j - off) & m];
                    off += 1 << b;
                }
            }
            if p & 2 != 0 {
                acc += x[j - off - 1] + x[j - off];
                off += 2;
            }
            if p & 1 != 0 {
                acc += x[j - off];
            }
            out[j] = finish::<MEAN, FIN>(acc, inv);
        }
    }
}

/// The outputs of region `s` (a multiple of `p`): `out[s + t]` for
/// `t < min(p, n - s)` is `Suf(t) + Pre(t)` (times `inv` for the mean),
/// where `Suf(t)` is the sum of `x[s - p + 1 + t .. s]` (the window's part
/// in the previous chunk; empty for region 0 and for `t = p - 1`) and
/// `Pre(t)` the sum of `x[s ..= s + t]`, both in the canonical order.
/// Region 0 only produces `out[p - 1]` meaningfully.
pub(crate) fn region<const MEAN: bool, const FIN: bool>(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    inv: f64,
) {
    let n = x.len();
    let m = p.min(n - s);
    // Suffix scan of y'[t] = x[s - p + 1 + t] (t < p - 1), y'[p - 1] = -0.
    if s == 0 {
        out[..m].fill(-0.0);
    } else {
        let y = |t: usize| if t + 1 < p { x[s + 1 + t - p] } else { -0.0 };
        let mut base = -0.0;
        let mut first = true;
        let mut sub_end = p;
        while sub_end > 0 {
            let beg = (sub_end - 1) / SUB * SUB;
            let mut carry = -0.0;
            let mut k = beg + (sub_end - beg - 1) / 4 * 4;
            loop {
                let g = [0, 1, 2, 3].map(|j| if k + j < sub_end { y(k + j) } else { -0.0 });
                let u = suffix4(g);
                for (j, &uj) in u.iter().enumerate() {
                    if k + j < m {
                        let local = carry + uj;
                        out[s + k + j] = if first { local } else { base + local };
                    }
                }
                carry += u[0];
                if k == beg {
                    break;
                }
                k -= 4;
            }
            base += carry;
            first = false;
            sub_end = beg;
        }
    }
    // Prefix scan of x[s..s + m], added in place.
    let mut base = -0.0;
    let mut beg = 0;
    let mut first = true;
    while beg < m {
        let end = (beg + SUB).min(m);
        let mut carry = -0.0;
        let mut k = beg;
        while k < end {
            let g = [0, 1, 2, 3].map(|j| if k + j < end { x[s + k + j] } else { -0.0 });
            let u = prefix4(g);
            for (j, &uj) in u.iter().enumerate().take(end - k) {
                let local = carry + uj;
                let pre = if first { local } else { base + local };
                let v = out[s + k + j] + pre;
                out[s + k + j] = finish::<MEAN, FIN>(v, inv);
            }
            carry += u[3];
            k += 4;
        }
        base += carry;
        first = false;
        beg = end;
    }
}
