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
use crate::error::{Result, check_len, check_period};

/// Periods up to this use the grouped (vectorized) scans; longer periods
/// use compensated scans (see the module docs).
pub const GROUPED_MAX: usize = 128;

/// Rolling variance with `ddof` (0 = population, 1 = sample) into `out`.
///
/// `out[i]` is the variance of `x[i+1-period ..= i]`, divided by
/// `period - ddof`; the first `period - 1` outputs are NaN (all of them if
/// `period > x.len()`). Never negative; exactly `0.0` for a window of
/// identical values; NaN for a window holding NaN or ±inf. Error bound:
/// see the [module docs](self).
///
/// # Errors
/// `period == 0` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod)
/// (`"period"`); `ddof >= period` → `InvalidPeriod` (`"ddof"`);
/// `out.len() != x.len()` →
/// [`Error::LengthMismatch`](crate::Error::LengthMismatch); backend not
/// available → [`Error::BackendUnavailable`](crate::Error::BackendUnavailable).
pub fn rolling_var(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    out: &mut [f64],
) -> Result<()> {
    check_args(backend, period, ddof)?;
    check_len("out", x.len(), out.len())?;
    let p = period;
    if p > x.len() {
        out.fill(f64::NAN);
        return Ok(());
    }
    match backend {
        Backend::Scalar => scalar::rolling(x, p, ddof, out),
        Backend::Portable => portable::rolling(x, p, ddof, out),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => {
            let Some(token) = crate::dispatch::Avx2Fma::try_new() else {
                return Err(crate::Error::BackendUnavailable { backend });
            };
            avx2::rolling(token, x, p, ddof, out);
        }
        #[cfg(not(target_arch = "x86_64"))]
        Backend::Avx2 => return Err(crate::Error::BackendUnavailable { backend }),
    }
    out[..p - 1].fill(f64::NAN);
    Ok(())
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

/// Rolling mean and variance (the moving average and the squared band
/// width of Bollinger Bands).
///
/// `var_out` is exactly what [`rolling_var`] documents; `mean_out` is the
/// SMA kernel's output ([`rolling_mean`](crate::kernels::rolling_sum::rolling_mean),
/// absolute error `≤ 1e-13 ×` the mean of `|x|` over the window), except
/// that a non-finite mean (a window holding NaN or ±inf, or an overflowing
/// sum) is reported as NaN. Both are NaN during the warm-up.
///
/// # Errors
/// As [`rolling_var`], plus [`LengthMismatch`](crate::Error::LengthMismatch)
/// naming `"mean_out"` or `"var_out"`.
pub fn rolling_mean_var(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    mean_out: &mut [f64],
    var_out: &mut [f64],
) -> Result<()> {
    check_args(backend, period, ddof)?;
    check_len("mean_out", x.len(), mean_out.len())?;
    check_len("var_out", x.len(), var_out.len())?;
    rolling_var(backend, x, period, ddof, var_out)?;
    crate::kernels::rolling_sum::rolling_mean(backend, x, period, mean_out)?;
    for m in mean_out.iter_mut() {
        if !m.is_finite() {
            *m = f64::NAN;
        }
    }
    Ok(())
}

fn check_args(backend: Backend, period: usize, ddof: usize) -> Result<()> {
    check_period("period", period, 1, usize::MAX)?;
    check_period("ddof", ddof, 0, period - 1)?;
    backend.check()
}
