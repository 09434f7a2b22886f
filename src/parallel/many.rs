//! Indicators and triggers over many symbols in parallel.
//!
//! Inputs: a slice of series (`&[&[f64]]`, one per symbol, lengths may
//! differ) for single-input indicators, or a slice of
//! [`Bars`] (borrowed OHLCV columns per symbol) for indicators reading
//! high/low/close, generic series expressions ([`map_series`]) and trigger
//! plans ([`evaluate_many`]). Outputs come back in input order.
//!
//! Guarantee: every result is **bit-for-bit** the result of the serial
//! function named in each function's docs, whatever the number of threads
//! (and with the `rayon` feature off). Errors are checked before any work
//! (bad periods → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod));
//! a per-symbol error (mismatched column lengths, a missing column) is
//! returned for the first symbol (in input order) that has one.

use super::{par_each, par_map};
use crate::error::Result;
use crate::trigger::{Bars, Evaluation, Indicator, Plan, Series};
use crate::trigger::{Scratch, StochField, TriggerSet};
use crate::{Backend, Bands, Macd, Stoch};

/// `f` on each series in parallel.
fn each(
    xs: &[&[f64]],
    f: impl Fn(&[f64]) -> Result<Vec<f64>> + Sync + Send,
) -> Result<Vec<Vec<f64>>> {
    par_map(xs, |x| f(x))
}

/// [`crate::sma`] of every series, in parallel (bit-identical to it).
pub fn sma_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::sma_lookback(period)?;
    each(xs, |x| crate::sma(x, period))
}

/// [`crate::wma`] of every series, in parallel (bit-identical to it).
pub fn wma_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::wma_lookback(period)?;
    each(xs, |x| crate::wma(x, period))
}

/// [`crate::var`] of every series, in parallel (bit-identical to it).
pub fn var_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::var_lookback(period)?;
    each(xs, |x| crate::var(x, period))
}

/// [`crate::stddev`] of every series, in parallel (bit-identical to it).
pub fn stddev_many(xs: &[&[f64]], period: usize, nbdev: f64) -> Result<Vec<Vec<f64>>> {
    crate::stddev(&[], period, nbdev)?;
    each(xs, |x| crate::stddev(x, period, nbdev))
}

/// [`crate::max`] of every series, in parallel (bit-identical to it).
pub fn max_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::max_lookback(period)?;
    each(xs, |x| crate::max(x, period))
}

/// [`crate::min`] of every series, in parallel (bit-identical to it).
pub fn min_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::min_lookback(period)?;
    each(xs, |x| crate::min(x, period))
}

/// [`crate::bbands`] of every series, in parallel (bit-identical to it).
pub fn bbands_many(
    xs: &[&[f64]],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
) -> Result<Vec<Bands>> {
    crate::bbands(&[], period, nbdev_up, nbdev_dn)?;
    par_map(xs, |x| crate::bbands(x, period, nbdev_up, nbdev_dn))
}

/// [`crate::macd`] of every series, in parallel (bit-identical to it).
pub fn macd_many(xs: &[&[f64]], fast: usize, slow: usize, signal: usize) -> Result<Vec<Macd>> {
    crate::macd_lookback(fast, slow, signal)?;
    par_map(xs, |x| crate::macd(x, fast, slow, signal))
}

/// Series of one length per group handed to the 4-lane kernels (two
/// register groups, interleaved, as [`crate::ema_many`] processes them).
const LANE_GROUP: usize = 8;

/// One group: its series and their outputs.
type LaneTask<'x, 'o> = (Vec<&'x [f64]>, Vec<&'o mut [f64]>);

/// Runs a many-series kernel on groups of up to [`LANE_GROUP`] series of
/// one length (in input order within each length), one group per task.
fn lane_groups(
    xs: &[&[f64]],
    kernel: impl Fn(&[&[f64]], &mut [&mut [f64]]) -> Result<()> + Sync + Send,
) -> Result<Vec<Vec<f64>>> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by_key(|&i| xs[i].len()); // stable: input order within a length
    let mut store: Vec<Vec<f64>> = xs.iter().map(|x| vec![f64::NAN; x.len()]).collect();
    let mut slots: Vec<Option<&mut Vec<f64>>> = store.iter_mut().map(Some).collect();
    let mut tasks: Vec<LaneTask<'_, '_>> = Vec::new();
    for same in order.chunk_by(|&a, &b| xs[a].len() == xs[b].len()) {
        for group in same.chunks(LANE_GROUP) {
            let ins = group.iter().map(|&i| xs[i]).collect();
            let outs = group
                .iter()
                .filter_map(|&i| slots[i].take().map(|v| v.as_mut_slice()))
                .collect();
            tasks.push((ins, outs));
        }
    }
    par_each(&mut tasks, |(ins, outs)| kernel(ins, outs))?;
    Ok(store)
}

/// [`crate::ema`] of every series, in parallel: series of one length go,
/// 8 at a time (in input order), through [`crate::ema_many_into`] (the
/// 4-lane kernels), one group per task. Each result is bit-identical to
/// [`crate::ema_many`] on its group, hence independent of the thread count,
/// and equal to one-by-one [`crate::ema`] within the bound of
/// [`crate::kernels::ema`] (bit-identical on the scalar backend).
pub fn ema_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::ema_lookback(period)?;
    lane_groups(xs, |ins, outs| crate::ema_many_into(ins, period, outs))
}

/// [`crate::rsi`] of every series, in parallel, through
/// [`crate::rsi_many_into`] in groups as [`ema_many`] (same guarantee).
pub fn rsi_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::rsi_lookback(period)?;
    lane_groups(xs, |ins, outs| crate::rsi_many_into(ins, period, outs))
}

fn indicator(ind: Indicator) -> Series {
    Series::Indicator(Box::new(ind))
}

/// [`crate::atr`] of every symbol's high, low and close, in parallel
/// (bit-identical to it). A symbol without one of those columns →
/// [`Error::MissingColumn`](crate::Error::MissingColumn).
pub fn atr_many(bars: &[Bars<'_>], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::atr_lookback(period)?;
    let mut r = map_series(&[indicator(Indicator::Atr { period })], bars)?;
    Ok(r.iter_mut().map(|v| v.pop().unwrap_or_default()).collect())
}

/// [`crate::stoch`] of every symbol, in parallel (bit-identical to it).
/// A symbol without high, low or close →
/// [`Error::MissingColumn`](crate::Error::MissingColumn).
pub fn stoch_many(
    bars: &[Bars<'_>],
    fastk: usize,
    slowk: usize,
    slowd: usize,
) -> Result<Vec<Stoch>> {
    crate::stoch_lookback(fastk, slowk, slowd)?;
    let field = |field| {
        indicator(Indicator::Stoch {
            fastk,
            slowk,
            slowd,
            field,
        })
    };
    let r = map_series(&[field(StochField::K), field(StochField::D)], bars)?;
    Ok(r.into_iter()
        .map(|mut v| {
            let d = v.pop().unwrap_or_default();
            let k = v.pop().unwrap_or_default();
            Stoch { k, d }
        })
        .collect())
}

/// Series expressions (any of the trigger language, e.g. `ema(close, 20)`,
/// `macd(12, 26, 9).hist`, `(high + low) / 2`) over every symbol, in
/// parallel: `result[symbol][j]` is the value of `series[j]`, each as
/// [`Plan::with_series`] computes it (shared sub-expressions once;
/// bit-identical to evaluating that plan symbol by symbol).
///
/// Errors: a column the series read is missing
/// ([`Error::MissingColumn`](crate::Error::MissingColumn)); columns of a
/// symbol of different lengths; parameters out of range (trees built by
/// hand).
pub fn map_series(series: &[Series], bars: &[Bars<'_>]) -> Result<Vec<Vec<Vec<f64>>>> {
    let named: Vec<(String, Series)> = series.iter().map(|s| (s.to_string(), s.clone())).collect();
    let plan = Plan::with_series(&TriggerSet::new(), &named);
    let evals = evaluate_many(&plan, bars)?;
    Ok(evals
        .iter()
        .map(|e| e.series().map(|(_, v)| v.to_vec()).collect())
        .collect())
}

/// [`Plan::evaluate`] over every symbol, in parallel, with one
/// [`Scratch`] per worker job (buffers are reused across the symbols a
/// job evaluates). Each evaluation is identical to `plan.evaluate(&bars[i])`.
pub fn evaluate_many(plan: &Plan, bars: &[Bars<'_>]) -> Result<Vec<Evaluation>> {
    let be = Backend::active();
    let run = |s: &mut Scratch, b: &Bars<'_>| super::on(be, || plan.evaluate_in(b, s));
    #[cfg(feature = "rayon")]
    let all: Vec<Result<Evaluation>> = {
        use rayon::prelude::*;
        bars.par_iter().map_init(Scratch::new, run).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let all: Vec<Result<Evaluation>> = {
        let mut s = Scratch::new();
        bars.iter().map(|b| run(&mut s, b)).collect()
    };
    all.into_iter().collect()
}
