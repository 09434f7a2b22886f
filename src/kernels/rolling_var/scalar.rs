//! Scalar backend: the canonical operation order, one element at a time.
//!
//! Every backend performs exactly the operations defined here, in this
//! order, so all backends give bit-identical results. The AVX2 path
//! evaluates four of these formulas per instruction for the regions it
//! can cover with whole vectors and calls [`region`] for the others; the
//! long-period path ([`region_long`]) is shared by every backend.
//!
//! Sequential path (`p <=` [`SEQUENTIAL_MAX`], [`region_seq`]): plain
//! running sums of both chunks about the one reference `x[s]` (no `δ`
//! terms), see [`region_seq`].
//!
//! Grouped path (`SEQUENTIAL_MAX < p <=` [`GROUPED_MAX`]), for a region `s` (a multiple of
//! `p`; chunk `k` is `x[s-p..s]`, chunk `k+1` is `x[s..s+p]`):
//!
//! - references `ra = x[s-1]`, `rb = x[s]` (`ra = rb` for region 0), and
//!   `δ = rb - ra`;
//! - suffix scan of `y[t] = x[s-p+1+t] - ra` for `t < p-1`, `y[t] = -0.0`
//!   for `t >= p-1` (and of `y[t]²`), in groups of four aligned to `t = 0`
//!   and walked backward with a carry: `S1a(t) = carry + suffix4(group)`,
//!   then `carry += group total`; the prefix scan of `x[s+t] - rb` (and
//!   its squares) is the mirror image with [`prefix4`];
//! - the combination `d = if t == p-1 { 0 } else { δ }`, `nd = (t+1)·d`,
//!   `S1 = (S1a + S1b) + nd`, `S2 = (S2a + S2b) + d·((S1b + S1b) + nd)`,
//!   and [`finish`].

use super::{GROUPED_MAX, SEQUENTIAL_MAX};

/// Outputs of the long-period path are produced in pieces of this many.
pub(crate) const PIECE: usize = 256;

/// The group scans are the SMA kernel's, so both families sum a group of
/// four in one canonical order.
pub(crate) use crate::kernels::rolling_sum::scalar::{prefix4, suffix4};

/// Variance from the window's shifted sums: `V = S2 - (S1·(1/p))·S1`,
/// clamped at `+0.0` (a NaN passes through: `0 > NaN` is false), times
/// `1/(p - ddof)`.
#[inline(always)]
pub(crate) fn finish(s1: f64, s2: f64, invp: f64, invd: f64) -> f64 {
    let v = s2 - (s1 * invp) * s1;
    let c = if 0.0 > v { 0.0 } else { v };
    (c + 0.0) * invd
}

/// The combination of the suffix sums about `ra` and the prefix sums
/// about `rb` for output `t` of a region (see the module docs).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn combine(
    t: usize,
    p: usize,
    delta: f64,
    s1a: f64,
    s2a: f64,
    s1b: f64,
    s2b: f64,
    invp: f64,
    invd: f64,
) -> f64 {
    let d = if t == p - 1 { 0.0 } else { delta };
    let nd = (t + 1) as f64 * d;
    let s1 = (s1a + s1b) + nd;
    let s2 = (s2a + s2b) + d * ((s1b + s1b) + nd);
    finish(s1, s2, invp, invd)
}

/// Rolling variance of `x` over `p` values with divisor `p - ddof` into
/// `out`. Requires `1 <= p <= x.len() == out.len()` and `ddof < p`.
/// Writes every output from index `p - 1` on; `out[..p - 1]` is left
/// with scratch values that the caller overwrites with NaN.
pub(crate) fn rolling(x: &[f64], p: usize, ddof: usize, out: &mut [f64]) {
    debug_assert!(p >= 1 && p <= x.len() && x.len() == out.len() && ddof < p);
    let invp = 1.0 / p as f64;
    let invd = 1.0 / (p - ddof) as f64;
    let mut s = 0;
    if p > GROUPED_MAX {
        let mut buf = [0.0; PIECE];
        while s < x.len() {
            region_long(x, p, out, s, invp, invd, &mut buf);
            s += p;
        }
        return;
    }
    if p <= SEQUENTIAL_MAX {
        let (mut b1, mut b2) = ([0.0; SEQUENTIAL_MAX], [0.0; SEQUENTIAL_MAX]);
        while s < x.len() {
            region_seq(x, p, out, s, invp, invd, &mut b1, &mut b2);
            s += p;
        }
        return;
    }
    let mut buf = [0.0; GROUPED_MAX + 4];
    while s < x.len() {
        region(x, p, out, s, invp, invd, &mut buf);
        s += p;
    }
}

/// Variance from the window's sums about a member of the window, on the
/// sequential path: `V = S2 - (S1·(1/p))·S1`, clamped at `+0.0` (a NaN
/// passes through: `0 > NaN` is false), times `1/(p - ddof)`.
///
/// `V` is never `-0.0` here: `S2` is `S2a + S2b` with `S2b` a sum of
/// squares that includes `(x[s] - x[s])² = +0`, so `S2 >= +0`, and
/// `(S1·(1/p))·S1` is a product of two factors of one sign, `>= +0`; so
/// `+0 - +0 = +0` is the only way to reach zero.
#[inline(always)]
pub(crate) fn finish_seq(s1: f64, s2: f64, invp: f64, invd: f64) -> f64 {
    let v = s2 - (s1 * invp) * s1;
    let c = if 0.0 > v { 0.0 } else { v };
    c * invd
}

/// The outputs `out[s + t]`, `t < min(p, n - s)`, of region `s` on the
/// sequential path (`p <=` [`SEQUENTIAL_MAX`]), all about the single
/// reference `r = x[s]`, which is a member of every window of the region:
///
/// - suffix sums of chunk `k`: `a = x[s - p + 1 + t] - r`, `c1 += a`,
///   `c2 += a·a`, walked from `t = p - 2` down to `0` from `-0.0` (into
///   `b1[t]`, `b2[t]`; `-0.0` at `t = p - 1` and everywhere for region 0);
/// - prefix sums of chunk `k+1`, walked up: `b = x[s + t] - r`,
///   `c1 += b`, `c2 += b·b`, then at once
///   `out[s + t] = `[`finish_seq`]`(b1[t] + c1, b2[t] + c2)`.
///
/// The AVX2 backend runs exactly these operations for four or eight
/// regions at a time, one per lane.
#[allow(clippy::too_many_arguments)]
pub(crate) fn region_seq(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    invp: f64,
    invd: f64,
    b1: &mut [f64; SEQUENTIAL_MAX],
    b2: &mut [f64; SEQUENTIAL_MAX],
) {
    let m = p.min(x.len() - s);
    let r = x[s];
    if s == 0 {
        b1[..m].fill(-0.0);
        b2[..m].fill(-0.0);
    } else {
        let (mut c1, mut c2) = (-0.0, -0.0);
        b1[p - 1] = -0.0;
        b2[p - 1] = -0.0;
        for t in (0..p - 1).rev() {
            let a = x[s + 1 + t - p] - r;
            c1 += a;
            c2 += a * a;
            b1[t] = c1;
            b2[t] = c2;
        }
    }
    let (mut c1, mut c2) = (-0.0, -0.0);
    for t in 0..m {
        let b = x[s + t] - r;
        c1 += b;
        c2 += b * b;
        out[s + t] = finish_seq(b1[t] + c1, b2[t] + c2, invp, invd);
    }
}

/// The references of region `s`: `(ra, rb, δ)`.
#[inline(always)]
pub(crate) fn refs(x: &[f64], s: usize) -> (f64, f64, f64) {
    let rb = x[s];
    let ra = if s == 0 { rb } else { x[s - 1] };
    (ra, rb, rb - ra)
}

/// The outputs `out[s + t]`, `t < min(p, n - s)`, of region `s` on the
/// grouped path (`p <= GROUPED_MAX`). `buf` holds the suffix sums `S1a`;
/// `out` holds `S2a` until each output overwrites its own slot.
pub(crate) fn region(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    invp: f64,
    invd: f64,
    buf: &mut [f64; GROUPED_MAX + 4],
) {
    let n = x.len();
    let m = p.min(n - s);
    let (ra, rb, delta) = refs(x, s);
    if s == 0 {
        buf[..m].fill(-0.0);
        out[..m].fill(-0.0);
    } else {
        let y = |t: usize| {
            if t + 1 < p {
                x[s + 1 + t - p] - ra
            } else {
                -0.0
            }
        };
        let (mut c1, mut c2) = (-0.0, -0.0);
        let mut k = (p - 1) / 4 * 4;
        loop {
            let g1 = [0, 1, 2, 3].map(|j| y(k + j));
            let g2 = g1.map(|a| a * a);
            let u1 = suffix4(g1);
            let u2 = suffix4(g2);
            for j in 0..4 {
                if k + j < m {
                    buf[k + j] = c1 + u1[j];
                    out[s + k + j] = c2 + u2[j];
                }
            }
            c1 += u1[0];
            c2 += u2[0];
            if k == 0 {
                break;
            }
            k -= 4;
        }
    }
    let (mut c1, mut c2) = (-0.0, -0.0);
    let mut k = 0;
    while k < m {
        let g1 = [0, 1, 2, 3].map(|j| if k + j < m { x[s + k + j] - rb } else { -0.0 });
        let g2 = g1.map(|b| b * b);
        let u1 = prefix4(g1);
        let u2 = prefix4(g2);
        for j in 0..4.min(m - k) {
            let t = k + j;
            out[s + t] = combine(
                t,
                p,
                delta,
                buf[t],
                out[s + t],
                c1 + u1[j],
                c2 + u2[j],
                invp,
                invd,
            );
        }
        c1 += u1[3];
        c2 += u2[3];
        k += 4;
    }
}

/// Neumaier-compensated accumulator `(sum, correction)`.
#[derive(Clone, Copy)]
struct Comp(f64, f64);

impl Comp {
    #[inline(always)]
    fn add(&mut self, v: f64) {
        let t = self.0 + v;
        let e = if self.0.abs() >= v.abs() {
            (self.0 - t) + v
        } else {
            (v - t) + self.0
        };
        self.0 = t;
        self.1 += e;
    }
    #[inline(always)]
    fn get(self) -> f64 {
        self.0 + self.1
    }
}

/// The outputs of region `s` on the long-period path (`p > GROUPED_MAX`):
/// the same sums with Neumaier-compensated running sums, outputs in
/// pieces of [`PIECE`] so that the suffix sums fit in `buf`.
///
/// A first backward pass over chunk `k` records, for each piece `j`, the
/// suffix sum beyond the piece's last output, `T(j)` (folded to one `f64` each for `S1`
/// and `S2`), in `out[s + j·PIECE]` and `out[s + j·PIECE + 1]` (the last
/// piece's in locals); each piece then re-scans its own part of chunk `k`
/// backward from `T(j)` and runs the prefix scan of chunk `k+1` forward.
/// Every sum still holds only values of the window.
pub(crate) fn region_long(
    x: &[f64],
    p: usize,
    out: &mut [f64],
    s: usize,
    invp: f64,
    invd: f64,
    buf: &mut [f64; PIECE],
) {
    let n = x.len();
    let m = p.min(n - s);
    let (ra, rb, delta) = refs(x, s);
    let pieces = m.div_ceil(PIECE);
    let last = pieces - 1;
    let a_at = |t: usize| x[s + 1 + t - p] - ra;
    let mut tail_last = (-0.0, -0.0);
    if s > 0 {
        let (mut a1, mut a2) = (Comp(-0.0, 0.0), Comp(-0.0, 0.0));
        let mut t = p - 1;
        for j in (0..pieces).rev() {
            let b = ((j + 1) * PIECE).min(m);
            while t > b {
                t -= 1;
                let a = a_at(t);
                a1.add(a);
                a2.add(a * a);
            }
            if j == last {
                tail_last = (a1.get(), a2.get());
            } else {
                out[s + j * PIECE] = a1.get();
                out[s + j * PIECE + 1] = a2.get();
            }
        }
    }
    let (mut b1, mut b2) = (Comp(-0.0, 0.0), Comp(-0.0, 0.0));
    for j in 0..pieces {
        let lo = j * PIECE;
        let hi = (lo + PIECE).min(m);
        let tail = if s == 0 {
            (-0.0, -0.0)
        } else if j == last {
            tail_last
        } else {
            (out[s + lo], out[s + lo + 1])
        };
        let (mut a1, mut a2) = (Comp(tail.0, 0.0), Comp(tail.1, 0.0));
        for t in (lo..hi).rev() {
            if s > 0 && t + 1 < p {
                let a = a_at(t);
                a1.add(a);
                a2.add(a * a);
            }
            buf[t - lo] = a1.get();
            out[s + t] = a2.get();
        }
        for t in lo..hi {
            let b = x[s + t] - rb;
            b1.add(b);
            b2.add(b * b);
            out[s + t] = combine(
                t,
                p,
                delta,
                buf[t - lo],
                out[s + t],
                b1.get(),
                b2.get(),
                invp,
                invd,
            );
        }
    }
}
