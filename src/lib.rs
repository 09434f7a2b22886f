//! # ta-kernels
//!
//! Trading indicators and trigger detection on hand-vectorized `f64`
//! kernels, dispatched at run time between AVX2+FMA, portable SIMD
//! (`wide`) and scalar code (see [`Backend`]).
//!
//! The core kernels:
//! - rolling sum / simple moving average ([`rolling_sum`], [`sma`]), by
//!   blocked, shifted prefix sums;
//! - rolling variance and standard deviation ([`rolling_var`],
//!   [`rolling_std`]);
//! - comparison and crossing masks into a packed [`BitMask`]
//!   ([`cross_above`], [`cross_below`], [`compare`]).
//!
//! Parameter sweeps (many periods or thresholds sharing work) are in
//! [`sweep`].
//! Streaming (one bar at a time, with snapshots): [`stream`].
//!
//! Every function validates its arguments and returns a typed [`Error`]
//! (never panics on bad input). Outputs have the input's length; warm-up
//! outputs are NaN. A NaN or ±inf in the input makes the outputs whose
//! window contains it NaN (or ±inf where the maths says so); once it has
//! left the window the outputs are finite and accurate again.
//!
//! [`engine::Engine`] holds series and memoizes the indicators trigger
//! evaluations compute on them, in a byte-bounded cache shared by threads.
//! Many symbols, and one long series, across threads: [`parallel`].
//!
//! Numerical guarantees are stated on each kernel module
//! ([`kernels::rolling_sum`], [`kernels::rolling_var`]) and tested by
//! property tests against exact references on adversarial inputs.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod bitmask;
pub mod dispatch;
pub mod engine;
mod error;
pub mod indicators;
pub mod kernels;
pub mod parallel;
pub mod stream;
pub mod sweep;
pub mod trigger;

pub use bitmask::BitMask;
pub use dispatch::{Backend, with_backend};
pub use error::{Error, Result};
pub use indicators::*;
pub use kernels::{CmpOp, Rhs};

/// Rolling sum of `x` over `period` values (NaN for the first
/// `period - 1` outputs).
pub fn rolling_sum(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    rolling_sum_into(x, period, &mut out)?;
    Ok(out)
}

/// [`rolling_sum`] into a caller's buffer.
pub fn rolling_sum_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    kernels::rolling_sum::rolling_sum(Backend::active(), x, period, out)
}

/// Rolling variance of `x` over `period` values, divided by
/// `period - ddof` (`ddof = 0`: population, `1`: sample). Never negative;
/// exactly `0.0` for a window of identical values.
/// Errors: `period == 0` or `ddof >= period` → [`Error::InvalidPeriod`].
pub fn rolling_var(x: &[f64], period: usize, ddof: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    rolling_var_into(x, period, ddof, &mut out)?;
    Ok(out)
}

/// [`rolling_var`] into a caller's buffer.
pub fn rolling_var_into(x: &[f64], period: usize, ddof: usize, out: &mut [f64]) -> Result<()> {
    kernels::rolling_var::rolling_var(Backend::active(), x, period, ddof, out)
}

/// Rolling standard deviation: the square root of [`rolling_var`].
pub fn rolling_std(x: &[f64], period: usize, ddof: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    rolling_std_into(x, period, ddof, &mut out)?;
    Ok(out)
}

/// [`rolling_std`] into a caller's buffer.
pub fn rolling_std_into(x: &[f64], period: usize, ddof: usize, out: &mut [f64]) -> Result<()> {
    kernels::rolling_var::rolling_std(Backend::active(), x, period, ddof, out)
}

/// Bars where `a` crosses above `b` (a series of the same length, or a
/// constant): bit `i` is set iff `a[i] > b[i] && a[i-1] <= b[i-1]`. Bar 0
/// never fires; a NaN in `a` or `b` at `i` or `i - 1` means no cross at `i`.
/// Touching `b` from below is not a cross; leaving equality upwards is.
/// Errors: a series `b` of another length → [`Error::LengthMismatch`].
pub fn cross_above<'b>(a: &[f64], b: impl Into<Rhs<'b>>) -> Result<BitMask> {
    let mut out = BitMask::zeros(a.len());
    cross_above_into(a, b, &mut out)?;
    Ok(out)
}

/// [`cross_above`] into a caller's mask, which must have `a`'s length
/// (else [`Error::LengthMismatch`] named `"out"`); every bit is rewritten.
pub fn cross_above_into<'b>(a: &[f64], b: impl Into<Rhs<'b>>, out: &mut BitMask) -> Result<()> {
    error::check_len("out", a.len(), out.len())?;
    kernels::cross::cross_above(Backend::active(), a, b.into(), out.words_mut())
}

/// Bars where `a` crosses below `b`: bit `i` is set iff
/// `a[i] < b[i] && a[i-1] >= b[i-1]`. Same NaN, bar-0 and error rules as
/// [`cross_above`].
pub fn cross_below<'b>(a: &[f64], b: impl Into<Rhs<'b>>) -> Result<BitMask> {
    let mut out = BitMask::zeros(a.len());
    cross_below_into(a, b, &mut out)?;
    Ok(out)
}

/// [`cross_below`] into a caller's mask, which must have `a`'s length
/// (else [`Error::LengthMismatch`] named `"out"`); every bit is rewritten.
pub fn cross_below_into<'b>(a: &[f64], b: impl Into<Rhs<'b>>, out: &mut BitMask) -> Result<()> {
    error::check_len("out", a.len(), out.len())?;
    kernels::cross::cross_below(Backend::active(), a, b.into(), out.words_mut())
}

/// Bars where `a op b` holds (a NaN on either side compares false).
/// Errors: a series `b` of another length → [`Error::LengthMismatch`].
pub fn compare<'b>(a: &[f64], op: CmpOp, b: impl Into<Rhs<'b>>) -> Result<BitMask> {
    let mut out = BitMask::zeros(a.len());
    compare_into(a, op, b, &mut out)?;
    Ok(out)
}

/// [`compare`] into a caller's mask, which must have `a`'s length (else
/// [`Error::LengthMismatch`] named `"out"`); every bit is rewritten.
pub fn compare_into<'b>(
    a: &[f64],
    op: CmpOp,
    b: impl Into<Rhs<'b>>,
    out: &mut BitMask,
) -> Result<()> {
    error::check_len("out", a.len(), out.len())?;
    kernels::cross::compare(Backend::active(), a, op, b.into(), out.words_mut())
}

/// The indices to draw of a long series: for each of `buckets` equal
/// slices, the bar with the lowest and the bar with the highest value (NaN
/// ignored), ascending. See [`kernels::decimate`].
pub fn decimate_minmax(x: &[f64], buckets: usize) -> Result<Vec<usize>> {
    let mut out = vec![0; buckets.saturating_mul(2).min(x.len())];
    let n = kernels::decimate::decimate_minmax(Backend::active(), x, buckets, &mut out)?;
    out.truncate(n);
    Ok(out)
}
