//! Scalar backend: the canonical operation order, one element at a time.
//!
//! Every backend performs exactly the additions defined here, in this
//! order, so all backends give bit-identical results. The vector paths
//! evaluate four of these formulas per instruction; wherever they cannot
//! (short tails, the last partial region) they call these functions.
//!
//! See the module docs of [`super`] for the algorithm. The building
//! blocks, for a group of four values `v0..v3` (the "zero" used by the
//! vector code is `-0.0`, which is an exact identity of `+`, so it does
//! not appear here):
//!
//! - prefix group: `[v0, v0+v1, v2+(v0+v1), (v2+v3)+(v0+v1)]`;
//! - suffix group: `[(v0+v1)+(v2+v3), v1+(v2+v3), v2+v3, v3]`;
//! - a carry runs through the groups of a sub-block: each output is
//!   `carry + group_value`, and the next carry is `carry + group_total`;
//! - the `len % 4` elements left at the far end of a sub-block are added
//!   one at a time to the carry;
//! - sub-blocks of [`SUB`] elements restart the carry at `-0.0`; from the
//!   second sub-block on, every output is `base + local`, where `base` is
//!   the running sum of the earlier sub-blocks' totals.

use super::{DIRECT_MAX_PERIOD, SUB};

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
pub(crate) fn rolling<const MEAN: bool>(x: &[f64], p: usize, out: &mut [f64]) {
    debug_assert!(p >= 1 && p <= x.len() && x.len() == out.len());
    if p <= DIRECT_MAX_PERIOD {
        direct::<MEAN>(x, p, out, p - 1);
    } else {
        let inv = 1.0 / p as f64;
        drive(x, p, out, suffix_scan, |y, d| prefix_add::<MEAN>(y, d, inv));
    }
}

/// Outputs `from..` by summing each window left to right:
/// `((x[i-p+1] + x[i-p+2]) + ...) + x[i]`, then `* (1/p)` for the mean.
pub(crate) fn direct<const MEAN: bool>(x: &[f64], p: usize, out: &mut [f64], from: usize) {
    let inv = 1.0 / p as f64;
    for i in from.max(p - 1)..x.len() {
        let w = &x[i + 1 - p..=i];
        let mut s = w[0];
        for &v in &w[1..] {
            s += v;
        }
        out[i] = if MEAN { s * inv } else { s };
    }
}

/// The region driver shared by the chunked backends.
///
/// Region `r` holds the outputs `r*p .. (r+1)*p`. Output `i` of region
/// `r >= 1` is `Suf(i - p + 1) + Pre(i)`: the sum of the elements of chunk
/// `r - 1` from `i - p + 1` to its end, plus the sum of the elements of
/// chunk `r` from its start to `i`. `suffix` writes the first term into
/// `out`, `prefix` adds the second (and scales for the mean).
/// `suffix(y, dst)` must store the canonical suffix sums of `y` into `dst`
/// (`dst.len() == y.len()`); `prefix(y, dst)` must set `dst[t] =
/// fin(dst[t] + Pre[t])` (`dst.len() == y.len()`).
#[inline(always)]
pub(crate) fn drive(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    mut suffix: impl FnMut(&[f64], &mut [f64]),
    mut prefix: impl FnMut(&[f64], &mut [f64]),
) {
    let n = x.len();
    // Region 0: only its last output (the first full window) is kept.
    out[..p].fill(-0.0);
    prefix(&x[..p], &mut out[..p]);
    let mut start = p;
    while start < n {
        let m = p.min(n - start);
        let y = &x[start + 1 - p..start];
        if m == p {
            suffix(y, &mut out[start..start + p - 1]);
            out[start + p - 1] = -0.0;
        } else {
            suffix_scan_partial(y, &mut out[start..start + m]);
        }
        prefix(&x[start..start + m], &mut out[start..start + m]);
        start += m;
    }
}

/// Canonical suffix sums of `y` into `dst` (same length).
pub(crate) fn suffix_scan(y: &[f64], dst: &mut [f64]) {
    suffix_scan_partial(y, dst);
}

/// Canonical suffix sums of `y`; stores only the first `dst.len()`
/// (`<= y.len()`) of them.
pub(crate) fn suffix_scan_partial(y: &[f64], dst: &mut [f64]) {
    let keep = dst.len();
    debug_assert!(keep <= y.len());
    let mut base = -0.0;
    let mut end = y.len();
    let mut first = true;
    while end > 0 {
        let beg = end.saturating_sub(SUB);
        let mut carry = -0.0;
        let mut k = end;
        while k >= beg + 4 {
            k -= 4;
            let u = suffix4([y[k], y[k + 1], y[k + 2], y[k + 3]]);
            for (j, &uj) in u.iter().enumerate() {
                if k + j < keep {
                    let local = carry + uj;
                    dst[k + j] = if first { local } else { base + local };
                }
            }
            carry += u[0];
        }
        while k > beg {
            k -= 1;
            carry += y[k];
            if k < keep {
                dst[k] = if first { carry } else { base + carry };
            }
        }
        base += carry;
        first = false;
        end = beg;
    }
}

/// `dst[t] = dst[t] + Pre[t]` (times `inv` if `MEAN`), with the canonical
/// prefix sums `Pre` of `y` (`dst.len() == y.len()`).
pub(crate) fn prefix_add<const MEAN: bool>(y: &[f64], dst: &mut [f64], inv: f64) {
    debug_assert_eq!(y.len(), dst.len());
    let n = y.len();
    let mut base = -0.0;
    let mut beg = 0;
    let mut first = true;
    while beg < n {
        let end = (beg + SUB).min(n);
        let mut carry = -0.0;
        let mut k = beg;
        while k + 4 <= end {
            let u = prefix4([y[k], y[k + 1], y[k + 2], y[k + 3]]);
            for (j, &uj) in u.iter().enumerate() {
                let local = carry + uj;
                let pre = if first { local } else { base + local };
                let s = dst[k + j] + pre;
                dst[k + j] = if MEAN { s * inv } else { s };
            }
            carry += u[3];
            k += 4;
        }
        while k < end {
            carry += y[k];
            let pre = if first { carry } else { base + carry };
            let s = dst[k] + pre;
            dst[k] = if MEAN { s * inv } else { s };
            k += 1;
        }
        base += carry;
        first = false;
        beg = end;
    }
}
