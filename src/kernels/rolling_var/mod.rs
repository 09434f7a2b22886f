//! Rolling variance, standard deviation, and the one-pass mean + variance
//! that Bollinger Bands use.
//!
//! # Algorithm
//!
//! The series is cut into *finite runs* (stretches without NaN/±inf); the
//! outputs whose window holds a non-finite value are NaN, and each run is
//! processed on its own, so a non-finite value never enters a running sum
//! and the outputs recover as soon as it has left the window.
//!
//! Inside a run, outputs are produced in **blocks** of at most
//! `B = clamp(period, 128, 2048)` outputs `s..e`. Each block
//!
//! 1. picks a reference `r` = the middle value of the block's inputs
//!    `x[s+1-p .. e]` and makes one pre-pass over them computing
//!    `Q = Σ (x-r)²`, `L = Σ |x-r|` and `min |x|` (a non-finite `Q` or `L`
//!    reveals a NaN/±inf or an overflow), plus the first window's shifted
//!    sums `S1 = Σ (x-r)`, `S2 = Σ (x-r)²`;
//! 2. slides the window with `d1 = a_k - b_k`, `d2 = a_k² - b_k²`
//!    (`a_k = x_k - r`, `b_k = x_{k-p} - r`); the AVX2 path forms the
//!    running sums as an in-register prefix scan over 4 lanes with the
//!    carry added once per 8 outputs, so the loop-carried chain is one add
//!    per 8 outputs;
//! 3. outputs `V = S2 - S1²/p`, `var = max(V, 0) / (p - ddof)`
//!    (`mean = r + S1/p` for [`rolling_mean_var`]) **and checks each one
//!    against a rigorous bound of its own rounding error** (below). An
//!    output whose bound is not small enough (a nearly constant window, a
//!    calm window next to a large move, subnormal data) is *flagged*: it is
//!    recomputed by the exact path, and the next block starts right after
//!    it with a fresh reference (*re-anchoring*) and a short length (8,
//!    doubling back to `B` after each clean block), so a stale reference
//!    never keeps flagging a calm stretch.
//!
//! The exact path is a corrected two-pass over the window shifted by its
//! first value `c`, with Neumaier-compensated sums: `y = x - c`,
//! `m = Σy/p`, `z = y - m`, `V = Σz² - (Σz)²/p`. A window of identical
//! values gives `y = 0` and so **exactly `0.0`**; the driver then emits
//! `0.0` for as long as the next input equals `c` (a constant run costs
//! O(1) per output) and restarts after it.
//!
//! # Error bound
//!
//! With `u = 2⁻⁵³`, `η = 2⁻¹⁰⁷⁴` (bounds the underflow error of one
//! product, which is at most `2⁻¹⁰⁷⁵`),
//! `k = i - s ≤ K = e - 1 - s`, every computed `S` is a summation tree of
//! the `k + 1` terms `S(s), d(s+1..=i)`, so (Higham, Thm 4.1 style):
//!
//! * `|Ŝ1 - S1| ≤ β = 1.01·u·L·(D + 2 + 2K)`: `D·u·L` for the first
//!   window's sum, formed in chunks of 64 per lane so that its depth is
//!   `D = min(p, 67 + p/64)` on every backend, `u·Σ(|a|+|b|) ≤ 2u·L` for the `d1`, and tree depth
//!   `≤ k` times `Σ|terms| ≤ 2L` (every input is counted at most twice);
//! * `|Ŝ2 - S2| ≤ α = 1.01·u·Q·(D + 4.001 + 2K) + 1.01·η·(p + 2K + 4)`
//!   (`d2` has two roundings, `≤ 2u(a²+b²)` in total; the `η` terms are
//!   the underflow of the squares and vanish when `L = 0`);
//! * rounding `x - r` perturbs each deviation by `≤ u|x - r|`, which moves
//!   `V` by `≤ 2u√(V·Q) ≤ u(1000·V + Q/1000)` (the `0.001` above);
//! * forming `V̂ = Ŝ2 - (Ŝ1·(1/p))·Ŝ1` adds `≤ β(2|Ŝ1| + β)/p + 3.05u·q`
//!   (`q` the computed `Ŝ1²/p`) and `u|V̂|`.
//!
//! An output is accepted only if
//! `E = α + β²/p + 3·1.01η + (2.02β/p)·|Ŝ1| + 3.05u·q ≤ 4e-12 · V̂`;
//! otherwise it goes to the exact path. An accepted output therefore has
//! relative error `≤ 4e-12 + 1003u < 4.2e-12`, and `V̂ > 0` unless every
//! deviation is exactly zero (then `V̂ = 0` exactly). The exact path's
//! relative error is a few `u` (the compensated sums are correct to
//! `2u` of their value, `z`'s rounding moves `V` by `≤ 2u√(1 + 2p·u²)`).
//!
//! **Guarantee** (what the tests assert): against the corrected two-pass
//! reference with exactly rounded sums, every variance output satisfies
//! `|v̂ - v| ≤ 1e-11·v + F` with the absolute floor
//! `F = (2p + 8)·2⁻¹⁰⁷⁴ / (p - ddof)`. The floor exists only because of
//! underflow: squares of numbers below about `1.5e-154` lose bits or
//! vanish (`(1e-160)² = 0`), in our result and in the reference alike
//! (each of the `≤ p + 4` products on either side is off by at most
//! `2⁻¹⁰⁷⁵`). For normal-range data `F` is below `1e-320` and irrelevant.
//! Standard deviation: `|σ̂ - σ| ≤ 1e-11·σ + √F` (the square root halves
//! the relative error). Variance is never negative, and exactly `0.0` for
//! a window of identical values.
//!
//! The mean of [`rolling_mean_var`] is accepted only if its own bound
//! `((β + 1.01u·L) + 2.02u|Ŝ1|)/p·1.01 + 1.01u|m̂| ≤ 0.9e-13 · max(min|x|, |m̂|)`,
//! otherwise it is recomputed with a compensated sum: its absolute error
//! is `≤ 1e-13 ×` the mean of `|x|` over the window, the SMA bound.
//!
//! Long periods: blocks are capped at 2048 outputs so the bound stays
//! near `u·(p/64 + 4100)·Q`; each block still costs one O(p) first-window
//! sum, i.e. `p/2048` extra work per output.
//!
//! # Non-finite values
//!
//! An output whose window holds a NaN or ±inf is NaN (the variance of a
//! window containing ±inf is NaN: `inf - inf` has no meaning), and so is
//! the mean of [`rolling_mean_var`] there. Finite inputs whose squared
//! deviations overflow (`|x| ≳ 1e154`) give NaN or `+inf`; nothing more is
//! promised for them.
//!
//! # Backends
//!
//! Scalar, portable and AVX2 run the same blocks, references and bounds
//! but sum in different orders, so accepted outputs may differ in the last
//! bits (within the bound above); an output near the acceptance threshold
//! may be flagged on one backend and not another. Bit-identical across
//! backends: the NaN warm-up, NaN windows, exact zeros of constant windows,
//! and `period == 1` (all zeros).

#[cfg(target_arch = "x86_64")]
mod avx2;
mod portable;
mod scalar;

use crate::Backend;
use crate::error::{Error, Result, check_len, check_period};

/// Unit roundoff of `f64`.
const U: f64 = f64::EPSILON / 2.0;
/// Bound on the underflow error of one product: the smallest subnormal
/// (the error is at most half of it).
const ETA: f64 = f64::from_bits(1);
/// Acceptance threshold of the fast path's variance bound (relative).
const TOL_VAR: f64 = 4e-12;
/// Acceptance threshold of the fast path's mean bound (relative to mean |x|).
const TOL_MEAN: f64 = 0.9e-13;
/// Shortest full block (in outputs); blocks are `period` long, clamped
/// to `BLOCK..=BLOCK_CAP`.
const BLOCK: usize = 128;
/// Longest block: keeps the `2K` chain term of the bound small for long
/// periods.
const BLOCK_CAP: usize = 2048;
/// The first window's sums are formed in chunks of this many values per
/// accumulator lane, so their summation depth is at most
/// [`init_depth`]`(p)` on every backend.
pub(crate) const CHUNK: usize = 64;

/// Bound on the summation depth of the first window's sums: sequential
/// within chunks of [`CHUNK`] per lane (≤ 64), ≤ 2 to combine 4 lanes,
/// then one add per chunk.
fn init_depth(p: usize) -> f64 {
    p.min(CHUNK + 3 + p / CHUNK) as f64
}
/// Block length right after a flagged output.
const BLOCK_MIN: usize = 8;

/// Rolling variance with `ddof` (0 = population, 1 = sample) into `out`.
///
/// `out[i]` is the variance of `x[i+1-period ..= i]`, divided by
/// `period - ddof`; the first `period - 1` outputs are NaN (all of them if
/// `period > x.len()`). Never negative; exactly `0.0` for a window of
/// identical values; NaN for a window holding NaN or ±inf. Error bound:
/// see the [module docs](self).
///
/// # Errors
/// `period == 0` → [`Error::InvalidPeriod`] (`"period"`); `ddof >= period`
/// → [`Error::InvalidPeriod`] (`"ddof"`); `out.len() != x.len()` →
/// [`Error::LengthMismatch`]; backend not available →
/// [`Error::BackendUnavailable`].
pub fn rolling_var(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    out: &mut [f64],
) -> Result<()> {
    check_args(backend, x, period, ddof)?;
    check_len("out", x.len(), out.len())?;
    dispatch::<false>(backend, x, period, ddof, out, &mut [])
}

/// Rolling standard deviation (`√` of [`rolling_var`]) into `out`.
///
/// Same conventions and errors as [`rolling_var`]; the square root halves
/// the relative error.
pub fn rolling_std(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    out: &mut [f64],
) -> Result<()> {
    rolling_var(backend, x, period, ddof, out)?;
    for v in out.iter_mut() {
        *v = v.sqrt();
    }
    Ok(())
}

/// Rolling mean and variance in one pass (the moving average and the
/// squared band width of Bollinger Bands).
///
/// `var_out` is exactly what [`rolling_var`] documents; `mean_out[i]` is
/// the mean of the window, with absolute error `≤ 1e-13 ×` the mean of
/// `|x|` over the window (the SMA bound). Both are NaN during the warm-up
/// and for windows holding NaN or ±inf.
///
/// # Errors
/// As [`rolling_var`], plus [`Error::LengthMismatch`] naming `"mean_out"`
/// or `"var_out"`.
pub fn rolling_mean_var(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    mean_out: &mut [f64],
    var_out: &mut [f64],
) -> Result<()> {
    check_args(backend, x, period, ddof)?;
    check_len("mean_out", x.len(), mean_out.len())?;
    check_len("var_out", x.len(), var_out.len())?;
    dispatch::<true>(backend, x, period, ddof, var_out, mean_out)
}

fn check_args(backend: Backend, _x: &[f64], period: usize, ddof: usize) -> Result<()> {
    check_period("period", period, 1, usize::MAX)?;
    check_period("ddof", ddof, 0, period - 1)?;
    backend.check()
}

fn dispatch<const MEAN: bool>(
    backend: Backend,
    x: &[f64],
    p: usize,
    ddof: usize,
    var: &mut [f64],
    mean: &mut [f64],
) -> Result<()> {
    match backend {
        Backend::Scalar => drive::<MEAN, _>(&scalar::Scalar, x, p, ddof, var, mean),
        Backend::Portable => drive::<MEAN, _>(&portable::Portable, x, p, ddof, var, mean),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => match crate::dispatch::Avx2Fma::try_new() {
            Some(t) => drive::<MEAN, _>(&avx2::Avx2(t), x, p, ddof, var, mean),
            None => return Err(Error::BackendUnavailable { backend }),
        },
        #[cfg(not(target_arch = "x86_64"))]
        Backend::Avx2 => return Err(Error::BackendUnavailable { backend }),
    }
    Ok(())
}

/// What the pre-pass of a block returns.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pre {
    /// `Σ (x - r)` over the first window.
    pub s1: f64,
    /// `Σ (x - r)²` over the first window.
    pub s2: f64,
    /// `Σ (x - r)²` over all the block's inputs.
    pub q: f64,
    /// `Σ |x - r|` over all the block's inputs.
    pub l: f64,
    /// `min |x|` over all the block's inputs.
    pub minabs: f64,
}

/// One block: outputs `s..e`, everything the backends need to run it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Block {
    pub s: usize,
    pub e: usize,
    pub p: usize,
    pub r: f64,
    pub s1: f64,
    pub s2: f64,
    pub invp: f64,
    pub invd: f64,
    /// Error-bound coefficients, already divided by `TOL_VAR`:
    /// accept iff `e0 + e1·|Ŝ1| + e2·q ≤ V̂`.
    pub e0: f64,
    pub e1: f64,
    pub e2: f64,
    /// Mean bound: accept iff `m0 + m1·|Ŝ1| + m2·|m̂| ≤ TOL_MEAN·max(minabs, |m̂|)`.
    pub m0: f64,
    pub m1: f64,
    pub m2: f64,
    pub minabs: f64,
}

impl Block {
    fn new(s: usize, e: usize, p: usize, ddof: usize, r: f64, pre: &Pre) -> Block {
        let pf = p as f64;
        let d = init_depth(p);
        let k2 = 2.0 * (e - 1 - s) as f64;
        let invp = 1.0 / pf;
        let beta = 1.01 * U * pre.l * (d + 2.0 + k2);
        let ceta = if pre.l > 0.0 { 1.01 * ETA } else { 0.0 };
        let alpha = 1.01 * U * pre.q * (d + 4.001 + k2) + ceta * (pf + k2 + 4.0);
        let e0 = alpha + 1.01 * beta * beta * invp + 3.0 * ceta;
        let e1 = 2.02 * beta * invp;
        let e2 = 3.05 * U;
        let scale = 1.01 / TOL_VAR;
        Block {
            s,
            e,
            p,
            r,
            s1: pre.s1,
            s2: pre.s2,
            invp,
            invd: 1.0 / (p - ddof) as f64,
            e0: e0 * scale,
            e1: e1 * scale,
            e2: e2 * scale,
            m0: 1.01 * (beta + 1.01 * U * pre.l) * invp * 1.01,
            m1: 2.02 * U * invp * 1.01,
            m2: 1.01 * U,
            minabs: pre.minabs,
        }
    }

    /// Variance from the running sums, and whether it is accepted.
    #[inline(always)]
    pub(crate) fn finish(&self, s1: f64, s2: f64) -> (f64, bool) {
        let q = (s1 * self.invp) * s1;
        let v = s2 - q;
        let err = self.e0 + self.e1 * s1.abs() + self.e2 * q;
        (v.max(0.0) * self.invd, err <= v)
    }

    /// Mean from the running sum, and whether it is accepted.
    #[inline(always)]
    pub(crate) fn finish_mean(&self, s1: f64) -> (f64, bool) {
        let m = self.r + s1 * self.invp;
        let am = m.abs();
        let err = self.m0 + self.m1 * s1.abs() + self.m2 * am;
        (m, err <= TOL_MEAN * self.minabs.max(am))
    }
}

/// A backend's block kernels. The driver ([`drive`]) is shared.
pub(crate) trait Kernel {
    /// Pre-pass over a block's inputs `xs` (the first `p` form the first
    /// window) about the reference `r`.
    fn prepass(&self, xs: &[f64], p: usize, r: f64) -> Pre;

    /// Runs the block's outputs `b.s..b.e` into `var` (and `mean` if
    /// `MEAN`), returning the index of the first flagged output (its
    /// value and every later one in the block are then unspecified), or
    /// `b.e` if none was flagged. `x` holds only finite values over the
    /// block's inputs.
    fn run<const MEAN: bool>(
        &self,
        x: &[f64],
        b: &Block,
        var: &mut [f64],
        mean: &mut [f64],
    ) -> usize;
}

/// Neumaier-compensated sum of `f(i)` for `i in 0..n`.
#[inline]
fn comp_sum(n: usize, mut f: impl FnMut(usize) -> f64) -> f64 {
    let mut s = 0.0f64;
    let mut c = 0.0f64;
    for i in 0..n {
        let v = f(i);
        let t = s + v;
        if s.abs() >= v.abs() {
            c += (s - t) + v;
        } else {
            c += (v - t) + s;
        }
        s = t;
    }
    s + c
}

/// The exact path: corrected two-pass of one window with compensated
/// sums. Returns `(mean, var, constant)`; `var` is exactly `0.0` when
/// every value equals the first.
pub(crate) fn exact(w: &[f64], ddof: usize) -> (f64, f64, bool) {
    let p = w.len();
    let pf = p as f64;
    let c = w[0];
    let mean = comp_sum(p, |i| w[i]) / pf;
    if w.iter().all(|&v| v == c) {
        return (c, 0.0, true);
    }
    let m = comp_sum(p, |i| w[i] - c) / pf;
    let q = comp_sum(p, |i| {
        let z = (w[i] - c) - m;
        z * z
    });
    let cs = comp_sum(p, |i| (w[i] - c) - m);
    let v = q - cs * cs / pf;
    (mean, v.max(0.0) / (p - ddof) as f64, false)
}

/// The shared driver: finite runs, blocks, flags and re-anchoring.
fn drive<const MEAN: bool, K: Kernel>(
    k: &K,
    x: &[f64],
    p: usize,
    ddof: usize,
    var: &mut [f64],
    mean: &mut [f64],
) {
    let n = x.len();
    let warm = (p - 1).min(n);
    var[..warm].fill(f64::NAN);
    if MEAN {
        mean[..warm].fill(f64::NAN);
    }
    if p == 1 {
        for i in 0..n {
            let ok = x[i].is_finite();
            var[i] = if ok { 0.0 } else { f64::NAN };
            if MEAN {
                mean[i] = if ok { x[i] } else { f64::NAN };
            }
        }
        return;
    }
    let bmax = p.clamp(BLOCK, BLOCK_CAP);
    let mut blen = bmax;
    let mut i = p - 1;
    'outer: while i < n {
        let mut e = (i + blen).min(n);
        let lo = i + 1 - p;
        let (r, pre) = loop {
            let r = x[(lo + e - 1) / 2];
            let pre = k.prepass(&x[lo..e], p, r);
            if pre.q.is_finite() && pre.l.is_finite() {
                break (r, pre);
            }
            // A NaN/±inf in the block, or an overflow of the squares.
            match x[lo..e].iter().position(|v| !v.is_finite()) {
                Some(off) => {
                    let j = lo + off;
                    if j > i {
                        // Outputs i..j do not see it: run them on their own.
                        e = j;
                        continue;
                    }
                    // Window(i) holds x[j]: NaN until it has left.
                    let end = (j + p).min(n);
                    var[i..end].fill(f64::NAN);
                    if MEAN {
                        mean[i..end].fill(f64::NAN);
                    }
                    i = end;
                    continue 'outer;
                }
                None => {
                    // Finite but overflowing: exact path for each output.
                    for o in i..e {
                        let (m, v, _) = exact(&x[o + 1 - p..=o], ddof);
                        var[o] = v;
                        if MEAN {
                            mean[o] = m;
                        }
                    }
                    i = e;
                    continue 'outer;
                }
            }
        };
        let b = Block::new(i, e, p, ddof, r, &pre);
        let f = k.run::<MEAN>(x, &b, var, mean);
        if f >= e {
            i = e;
            blen = (blen * 2).min(bmax);
            continue;
        }
        // Flagged output f: exact path, then re-anchor after it.
        #[cfg(test)]
        tests::FLAGS.with(|c| c.set(c.get() + 1));
        let c = x[f + 1 - p];
        let (m, v, constant) = exact(&x[f + 1 - p..=f], ddof);
        var[f] = v;
        if MEAN {
            mean[f] = m;
        }
        i = f + 1;
        if constant {
            while i < n && x[i] == c {
                var[i] = 0.0;
                if MEAN {
                    mean[i] = c;
                }
                i += 1;
            }
        }
        blen = BLOCK_MIN;
    }
}

#[cfg(test)]
#[path = "../../../tests/common/inputs.rs"]
#[allow(dead_code)]
mod test_inputs;

#[cfg(test)]
mod tests {
    use super::test_inputs::{ALL_KINDS, series};
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Outputs sent to the exact path by a flag (test builds only).
        pub(super) static FLAGS: Cell<usize> = const { Cell::new(0) };
    }

    /// Flag rate per input kind and backend (run with --nocapture); the
    /// rate on a random walk and uniform noise must stay small, or the
    /// fast path would not be the common path.
    #[test]
    fn flag_rates() {
        let n = 200_000;
        for kind in ALL_KINDS {
            let x = series(kind, n, 5);
            for p in [20, 200] {
                let mut line = format!("{kind:?} p={p}:");
                for b in Backend::available() {
                    let mut v = vec![0.0; n];
                    let mut m = vec![0.0; n];
                    FLAGS.with(|c| c.set(0));
                    rolling_var(b, &x, p, 0, &mut v).unwrap();
                    let fv = FLAGS.with(Cell::get);
                    FLAGS.with(|c| c.set(0));
                    rolling_mean_var(b, &x, p, 0, &mut m, &mut v).unwrap();
                    let fm = FLAGS.with(Cell::get);
                    let t0 = std::time::Instant::now();
                    for _ in 0..5 {
                        rolling_var(b, &x, p, 0, &mut v).unwrap();
                    }
                    let ns = t0.elapsed().as_nanos() as f64 / (5 * n) as f64;
                    let outs = (n + 1 - p) as f64;
                    line += &format!(
                        " {}: var {:.4}% mean_var {:.4}% ({ns:.2} ns/elem)",
                        b.name(),
                        100.0 * fv as f64 / outs,
                        100.0 * fm as f64 / outs
                    );
                    if matches!(
                        kind,
                        test_inputs::Kind::RandomWalk | test_inputs::Kind::Uniform
                    ) {
                        assert!((fv as f64) < 0.01 * outs, "{line}");
                    }
                }
                println!("{line}");
            }
        }
    }
}
