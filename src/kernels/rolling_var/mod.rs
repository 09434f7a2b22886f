//! Rolling variance, standard deviation, and the mean + variance that
//! Bollinger Bands use.
//!
//! # Algorithm: window-local shifted sums
//!
//! The same decomposition as [`rolling_sum`](crate::kernels::rolling_sum):
//! the series is cut into chunks of exactly `p` values, and the window of
//! output `i` is a suffix (`na` values, possibly none) of chunk `k` plus a
//! prefix (`nb >= 1` values) of chunk `k+1`. Every partial sum holds only
//! values of the window, so errors depend only on the window, and NaN/±inf
//! need no bookkeeping.
//!
//! The sums are *shifted* by a reference that is itself a member of every
//! window using them: for chunk `k` its last element `ra` (in every window
//! with `na >= 1`), for chunk `k+1` its first element `rb`. A backward scan
//! of chunk `k` gives the suffix sums `S1a = Σ(x - ra)`, `S2a = Σ(x - ra)²`;
//! a forward scan of chunk `k+1` gives `S1b = Σ(x - rb)`, `S2b = Σ(x - rb)²`.
//! With `δ = rb - ra` the b-sums are moved to `ra`:
//! `S1 = S1a + S1b + nb·δ`, `S2 = S2a + S2b + δ·(2·S1b + nb·δ)`, and
//! `var = max(0, S2 - S1²/p) / (p - ddof)` (the clamp keeps a NaN). When
//! `na = 0` the window is chunk `k+1` alone and the b-sums are used as is.
//! Deviations and squares of both quantities are formed in the same pass.
//!
//! - `p <=` [`SEQUENTIAL_MAX`] (= 64): plain running sums (depth
//!   `<= p - 1`), and both chunks shifted by the *one* reference `x[s]`
//!   (the first value of chunk `k+1`, a member of every window of the
//!   region), so no `δ` terms: `S1 = S1a + S1b`, `S2 = S2a + S2b`. The
//!   AVX2 backend runs eight regions at a time, one per lane (the
//!   *vertical* layout: values enter and leave the lanes through
//!   half-width loads and stores and three in-lane shuffles per four
//!   outputs, and the scans need no other shuffles);
//! - `p <=` [`GROUPED_MAX`] (= 128): scans in groups of four (an
//!   in-register scan per group plus a carry, as in `rolling_sum`), so
//!   every sum has depth `<= p/4 + 3`;
//! - longer periods: Neumaier-compensated sequential scans, outputs in
//!   pieces of 256 (the suffix sums of a piece live on the stack; each
//!   piece starts from the suffix sum beyond it, recorded by a first
//!   backward pass). O(1) work per output for every period.
//!
//! A window of identical values gives deviations that are all exactly
//! `0` (and `δ = 0` where it is used), hence **exactly `0.0`** wherever
//! it is in the series.
//!
//! # Error bound (derivation sketch)
//!
//! Let `σ²` be the window's population variance, `u = 2⁻⁵³`. Because the
//! reference `r` is in the window, Samuelson's inequality gives
//! `(mean - r)² <= (p-1)·σ²`, so `Σ(x - r)² = p·σ² + p·(mean - r)² <=
//! p²·σ²`: every shifted sum (`S2a`, `S2b`, `nb·δ²`, `|2δ·S1b|`, `S1²/p`)
//! is at most a few `p²σ²`, i.e. at most a factor `~p` above the result
//! `p·σ²`. On the grouped path each sum has depth `D <= p/4 + 3`, so
//! (first order) `|ΔS2| <~ D·u·(10·p²σ²)` and `|Δ(S1²/p)| <~ 2D·u·p²σ²`;
//! together **relative error `<~ 4·p²·u`**, i.e. `<= 7.3e-12 < 1e-11` for
//! every `p <= 128`. On the sequential path (one reference, no `δ`
//! terms) write `T = Σ(x - r)² <= p²σ²`. `S2` sums `p` squares (each
//! within `3u`) with depth `<= p`: `|ΔS2| <= (p + 3)·u·T`. `S1` sums `p`
//! deviations (each within `u`) with depth `<= p`: `|ΔS1| <= (p + 1)·u·Σ|x - r|
//! <= (p + 1)·u·√(p·T)`, and `|S1| = p·|mean - r| <= p·√(p-1)·σ`, so
//! `|Δ(S1²/p)| <= 2(p + 1)·p²·u·σ² + 3u·S1²/p`. With the final subtraction
//! and the multiply by `1/(p - ddof)`, the relative error is
//! `<= (3p² + 8p)·u <= 12·p²·u`, i.e. `<= 5.5e-12` for every `p <= 64`.
//! On the compensated path the sums are good to `~2u`
//! of their magnitude and the combination adds a few roundings, giving
//! `<~ 40·p·u` (`<= 1e-11` for `p` up to about 2000; beyond that the worst
//! case needs the reference to be an outlier by `√p·σ` *and* aligned
//! rounding errors). These are worst cases; measured errors on the
//! adversarial inputs of the tests are around `1e-14` (see the test
//! `worst_error_per_kind`). Rounding `x - r` perturbs each deviation by
//! `u|x - r|`, which moves `V` by `<= 2p·u` relative (included above).
//!
//! **Guarantee** (what the tests assert, against the corrected two-pass
//! reference with exactly rounded sums): `|v̂ - v| <= 1e-11·v + F` with
//! the underflow floor `F = (2p + 8)·2⁻¹⁰⁷⁴ / (p - ddof)` (squares of
//! numbers below about `1.5e-154` lose bits or vanish, in our result and
//! the reference alike; `F` is below `1e-320` for normal data).
//! Standard deviation: `|σ̂ - σ| <= 1e-11·σ + √F`. Never negative (and
//! `+0.0`, not `-0.0`), exactly `0.0` for identical windows.
//!
//! The mean of [`rolling_mean_var`] is the SMA kernel's output
//! ([`rolling_mean`](crate::kernels::rolling_sum::rolling_mean), error
//! `<= 1e-13 ×` mean `|x|` over the window), with no fallback anywhere.
//!
//! # Non-finite values
//!
//! An output whose window holds a NaN or ±inf is NaN (the variance of a
//! window containing ±inf is `inf - inf`), as is the mean of
//! [`rolling_mean_var`] there; as soon as the value has left the window the
//! outputs are finite and accurate again — no partial sum ever held it.
//! Finite inputs whose squared deviations overflow (`|x| >~ 1e154`) give
//! NaN or `+inf`; nothing more is promised for them.
//!
//! # Backends and speed
//!
//! Scalar, portable and AVX2 perform the same operations in the same order
//! (defined in `scalar.rs`; the AVX2 squares are plain multiplies, not
//! FMAs, to keep this), so **every output is bit-identical across
//! backends**. The portable backend is the scalar code (no `wide`
//! shuffles for the scans). Periods above [`GROUPED_MAX`] run the scalar
//! compensated path on every backend.
//!
//! Measured (criterion, p = 20, random walk, shared 2-core Zen 3, one
//! run): the eight-lane vertical layout ran at 5.0× (n = 1e4) and 2.9×
//! (n = 1e6) the plain sliding sum-and-sum-of-squares loop
//! (`benches/rolling_var.rs`).

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
mod portable;
mod scalar;

use crate::Backend;
use crate::error::{Result, check_len, check_period};

/// Periods up to this use plain running sums (on AVX2, four regions at a
/// time, one per lane); see the module docs.
pub const SEQUENTIAL_MAX: usize = 64;

/// Periods up to this (and above [`SEQUENTIAL_MAX`]) use the grouped
/// (vectorized) scans; longer periods use compensated scans (see the
/// module docs).
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
    rolling_var_finished(backend, x, period, ddof, out, Finish::Raw)
}

/// What a variance kernel does to each output before it is stored: the
/// finishing step of an indicator, fused into the kernel so the output is
/// written once (see [`rolling_var_finished`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Finish {
    /// The variance as is.
    Raw,
    /// NaN for a non-finite variance
    /// ([`finite_or_nan`](crate::kernels::bands::finite_or_nan)).
    FiniteOrNan,
    /// `k·σ`, NaN for a non-finite variance
    /// ([`stddev_from_var`](crate::kernels::bands::stddev_from_var)).
    Sigma(f64),
}

/// [`rolling_var`] followed by the finishing step `fin`, bit for bit (the
/// step is elementwise and uses the operations of
/// [`crate::kernels::bands`] on every backend), but in one pass: the AVX2
/// backend applies it in registers before each store for periods up to
/// [`SEQUENTIAL_MAX`], the other paths right after the kernel.
/// Errors: as [`rolling_var`].
pub(crate) fn rolling_var_finished(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    out: &mut [f64],
    fin: Finish,
) -> Result<()> {
    check_args(backend, period, ddof)?;
    check_len("out", x.len(), out.len())?;
    let p = period;
    if p > x.len() {
        out.fill(f64::NAN);
        return Ok(());
    }
    match backend {
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => {
            let Some(token) = crate::dispatch::Avx2Fma::try_new() else {
                return Err(crate::Error::BackendUnavailable { backend });
            };
            avx2::rolling_finished(token, x, p, ddof, out, fin);
        }
        #[cfg(not(target_arch = "x86_64"))]
        Backend::Avx2 => return Err(crate::Error::BackendUnavailable { backend }),
        Backend::Scalar | Backend::Portable => {
            if backend == Backend::Scalar {
                scalar::rolling(x, p, ddof, out);
            } else {
                portable::rolling(x, p, ddof, out);
            }
            match fin {
                Finish::Raw => {}
                Finish::FiniteOrNan => crate::kernels::bands::finite_or_nan(backend, out)?,
                Finish::Sigma(k) => crate::kernels::bands::stddev_from_var(backend, out, k)?,
            }
        }
    }
    out[..p - 1].fill(f64::NAN);
    Ok(())
}

/// Whether [`rolling_var_finished`] applies its finishing step in
/// registers before each store (AVX2, `period <=` [`SEQUENTIAL_MAX`]):
/// then the kernel alone is one pass over memory, and callers gain
/// nothing from tiling (measured: VAR(20) on 1e6 bars 1.02–1.09 ns/bar
/// untiled vs 1.39–1.41 in tiles of 2048, the tiles' halos and scalar
/// first regions costing more than they save).
pub(crate) fn finish_is_fused(backend: Backend, period: usize) -> bool {
    backend == Backend::Avx2 && period <= SEQUENTIAL_MAX
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
