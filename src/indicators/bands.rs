//! Bollinger Bands, standard deviation and variance over a window
//! (TA-Lib `BBANDS` with SMA, `STDDEV`, `VAR`).
//!
//! All three use the **population** variance of the window (divided by
//! `period`), from the one-pass rolling mean/variance kernel
//! ([`crate::kernels::rolling_var`]), which never returns a negative
//! variance (TA-Lib 0.8.1's floor) and gives exactly 0 on a flat window.

use super::common::{check_outs, check_ta_period};
use crate::Backend;
use crate::error::{Error, Result};
use crate::kernels::{bands, rolling_var};

/// The three Bollinger bands, each of the input's length.
#[derive(Clone, Debug, PartialEq)]
pub struct Bands {
    /// `middle + nbdev_up·σ`.
    pub upper: Vec<f64>,
    /// The simple moving average.
    pub middle: Vec<f64>,
    /// `middle − nbdev_dn·σ`.
    pub lower: Vec<f64>,
}

fn check_nbdev(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: v,
            reason: "must be finite",
        })
    }
}

/// Bars before BBANDS' first output: `period − 1` (period 2..=100000).
pub fn bbands_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 2)?;
    Ok(period - 1)
}

/// Bollinger Bands (TA-Lib `BBANDS(period, nbdevup, nbdevdn, SMA)`):
/// `middle = SMA(period)`, `σ` = population standard deviation of the same
/// window, `upper = middle + nbdev_up·σ`, `lower = middle − nbdev_dn·σ`.
///
/// Lookback `period − 1`; period range 2..=100000 (TA-Lib's);
/// `nbdev_up`/`nbdev_dn` any finite value (NaN or ±inf →
/// [`Error::InvalidParameter`]). With non-negative multipliers
/// `upper ≥ middle ≥ lower`. All three bands are NaN where the window holds
/// a NaN or ±inf (see the crate's NaN policy).
pub fn bbands(x: &[f64], period: usize, nbdev_up: f64, nbdev_dn: f64) -> Result<Bands> {
    let n = x.len();
    let mut b = Bands {
        upper: vec![0.0; n],
        middle: vec![0.0; n],
        lower: vec![0.0; n],
    };
    bbands_into(
        x,
        period,
        nbdev_up,
        nbdev_dn,
        &mut b.upper,
        &mut b.middle,
        &mut b.lower,
    )?;
    Ok(b)
}

/// [`bbands`] into caller buffers of `x.len()` values (no allocation).
pub fn bbands_into(
    x: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_nbdev("nbdev_up", nbdev_up)?;
    check_nbdev("nbdev_dn", nbdev_dn)?;
    check_outs(
        x.len(),
        &[
            ("upper", upper.len()),
            ("middle", middle.len()),
            ("lower", lower.len()),
        ],
    )?;
    // The variance goes to `upper` first, then the bands are formed in place.
    let backend = Backend::active();
    rolling_var::rolling_mean_var(backend, x, period, 0, middle, upper)?;
    bands::bands_from_mean_var(backend, middle, upper, lower, nbdev_up, nbdev_dn)?;
    Ok(())
}

/// Block length of the in/out finishing passes: a block of every buffer
/// (4 KiB each) stays in L1 between the copy and the in-place kernel.
const FINISH_BLOCK: usize = 512;

/// [`crate::kernels::bands::stddev_from_var`] from `var` into `out`
/// (`out[i] = nbdev·sqrt(max(var[i], 0))`, NaN for a non-finite variance)
/// without touching `var`: each block is copied into `out` and finished
/// there while it is in L1, so the pass reads `var` once and writes `out`
/// once. The kernel is elementwise, so the bits are exactly the in-place
/// kernel's (and [`stddev_into`]'s from the same variance).
/// Errors: `out` not of `var`'s length ([`Error::LengthMismatch`]), an
/// unavailable backend.
pub(crate) fn stddev_from_var_into(
    backend: Backend,
    var: &[f64],
    nbdev: f64,
    out: &mut [f64],
) -> Result<()> {
    crate::error::check_len("out", var.len(), out.len())?;
    for (v, o) in var.chunks(FINISH_BLOCK).zip(out.chunks_mut(FINISH_BLOCK)) {
        o.copy_from_slice(v);
        bands::stddev_from_var(backend, o, nbdev)?;
    }
    Ok(())
}

/// [`crate::kernels::bands::bands_from_mean_var`] from a rolling `mean`
/// and `var` into `upper`, `middle`, `lower`, leaving the inputs intact
/// (block by block, as [`stddev_from_var_into`]): the same bits as
/// [`bbands_into`] forms from the same mean and variance.
/// Errors: an output or `var` not of `mean`'s length
/// ([`Error::LengthMismatch`]), an unavailable backend.
// The two inputs, the two multipliers and the three outputs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn bands_from_mean_var_into(
    backend: Backend,
    mean: &[f64],
    var: &[f64],
    nbdev_up: f64,
    nbdev_dn: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<()> {
    check_outs(
        mean.len(),
        &[
            ("var", var.len()),
            ("upper", upper.len()),
            ("middle", middle.len()),
            ("lower", lower.len()),
        ],
    )?;
    let blocks = mean
        .chunks(FINISH_BLOCK)
        .zip(var.chunks(FINISH_BLOCK))
        .zip(upper.chunks_mut(FINISH_BLOCK))
        .zip(middle.chunks_mut(FINISH_BLOCK))
        .zip(lower.chunks_mut(FINISH_BLOCK));
    for ((((m, v), u), mid), l) in blocks {
        mid.copy_from_slice(m);
        u.copy_from_slice(v);
        bands::bands_from_mean_var(backend, mid, u, l, nbdev_up, nbdev_dn)?;
    }
    Ok(())
}

/// Bars before STDDEV's first output: `period − 1` (period 2..=100000).
pub fn stddev_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 2)?;
    Ok(period - 1)
}

/// Standard deviation (TA-Lib `STDDEV(period, nbdev)`):
/// `sqrt(VAR(period))·nbdev`, population variance. Lookback `period − 1`;
/// period 2..=100000; `nbdev` finite (else [`Error::InvalidParameter`]).
/// NaN where the window holds a NaN or ±inf.
pub fn stddev(x: &[f64], period: usize, nbdev: f64) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    stddev_into(x, period, nbdev, &mut out)?;
    Ok(out)
}

/// [`stddev`] into a caller's buffer of `x.len()` values (no allocation).
pub fn stddev_into(x: &[f64], period: usize, nbdev: f64, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_nbdev("nbdev", nbdev)?;
    check_outs(x.len(), &[("out", out.len())])?;
    let backend = Backend::active();
    rolling_var::rolling_var(backend, x, period, 0, out)?;
    bands::stddev_from_var(backend, out, nbdev)
}

/// Bars before VAR's first output: `period − 1` (period 1..=100000).
pub fn var_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 1)?;
    Ok(period - 1)
}

/// Variance (TA-Lib `VAR(period)`): population variance of the window,
/// `mean(x²) − mean(x)²` in exact arithmetic, never negative, exactly 0 on
/// a flat window (period 1 gives 0). Lookback `period − 1`; period
/// 1..=100000. NaN where the window holds a NaN or ±inf.
pub fn var(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    var_into(x, period, &mut out)?;
    Ok(out)
}

/// [`var`] into a caller's buffer of `x.len()` values (no allocation).
pub fn var_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 1)?;
    check_outs(x.len(), &[("out", out.len())])?;
    rolling_var::rolling_var(Backend::active(), x, period, 0, out)?;
    super::ma::nan_non_finite(out);
    Ok(())
}
