//! ATR (average true range) and TRANGE (true range).

use super::common::{check_hlc, check_outs, check_ta_period};
use super::ema::per_run;
use crate::Backend;
use crate::error::Result;
use crate::kernels::ema::run;

/// Bars without output before the first TRANGE on a finite series: 1.
pub fn trange_lookback() -> Result<usize> {
    Ok(1)
}

/// True range, as TA-Lib 0.8.1's `TRANGE(high, low, close)`:
/// `max(high − low, |high − close_prev|, |low − close_prev|)`; lookback 1
/// (bar 0 has no previous close). Bit-identical on every backend.
///
/// NaN policy: a bar is finite only if its high, low and close all are; the
/// first bar of each finite run has no previous close and is NaN, as are
/// non-finite bars.
///
/// Errors: high, low, close of different lengths → [`Error::LengthMismatch`](crate::Error::LengthMismatch).
pub fn trange(high: &[f64], low: &[f64], close: &[f64]) -> Result<Vec<f64>> {
    let mut out = vec![f64::NAN; high.len()];
    trange_into(high, low, close, &mut out)?;
    Ok(out)
}

/// [`trange`] into `out`; allocates nothing.
pub fn trange_into(high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) -> Result<()> {
    check_hlc(high, low, close)?;
    check_outs(high.len(), &[("out", out.len())])?;
    let be = run::resolve(Backend::active())?;
    let fin = |i: usize| high[i].is_finite() && low[i].is_finite() && close[i].is_finite();
    per_run(high.len(), fin, out, |s, e, o| {
        run::trange_run(be, &high[s..e], &low[s..e], &close[s..e], o)
    });
    Ok(())
}

/// Bars without output before the first ATR on a finite series: `period`.
/// Errors: `period` outside `1..=100000` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
pub fn atr_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 1)?;
    Ok(period)
}

/// Average true range (Wilder), as TA-Lib 0.8.1's `ATR(high, low, close,
/// period)`: lookback `period`; the first ATR (bar `period`) is the mean of
/// TR[1..=period] (summed left to right, divided by `period`); then
/// `atr = (atr·(period − 1) + tr)/period`. `period == 1` gives [`trange`].
///
/// NaN policy: as [`trange`] for finiteness of a bar; an interior
/// non-finite bar restarts the seeding after the gap.
///
/// Errors: `period` outside `1..=100000` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod);
/// lengths differ → [`Error::LengthMismatch`](crate::Error::LengthMismatch).
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![f64::NAN; high.len()];
    atr_into(high, low, close, period, &mut out)?;
    Ok(out)
}

/// [`atr`] into `out`; allocates nothing.
pub fn atr_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<()> {
    check_ta_period("period", period, 1)?;
    check_hlc(high, low, close)?;
    check_outs(high.len(), &[("out", out.len())])?;
    let be = run::resolve(Backend::active())?;
    let fin = |i: usize| high[i].is_finite() && low[i].is_finite() && close[i].is_finite();
    per_run(high.len(), fin, out, |s, e, o| {
        run::atr_run(be, &high[s..e], &low[s..e], &close[s..e], period, o)
    });
    Ok(())
}
