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
//! (bad periods → [`Error::InvalidPeriod`]);
//! a per-symbol error (mismatched column lengths, a missing column) is
//! returned for the first symbol (in input order) that has one.

use super::par_map;
use crate::error::{Error, Result};
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

/// Checks that `outs` has one buffer per series, each of its series'
/// length ([`Error::LengthMismatch`] otherwise, naming `what`).
fn check_outs(what: &'static str, xs: &[&[f64]], outs: &[&mut [f64]]) -> Result<()> {
    if outs.len() != xs.len() {
        return Err(Error::LengthMismatch {
            name: what,
            expected: xs.len(),
            got: outs.len(),
        });
    }
    for (x, o) in xs.iter().zip(outs) {
        if o.len() != x.len() {
            return Err(Error::LengthMismatch {
                name: what,
                expected: x.len(),
                got: o.len(),
            });
        }
    }
    Ok(())
}

/// `f(series, out)` on each pair in parallel, after [`check_outs`],
/// longest first (see [`longest_first`]).
fn each_into(
    xs: &[&[f64]],
    outs: &mut [&mut [f64]],
    f: impl Fn(&[f64], &mut [f64]) -> Result<()> + Sync + Send,
) -> Result<()> {
    check_outs("outs", xs, outs)?;
    let pairs: Vec<(&[f64], &mut [f64])> = xs
        .iter()
        .zip(outs.iter_mut())
        .map(|(x, o)| (*x, &mut **o))
        .collect();
    longest_first(pairs, |(x, _)| x.len(), |(x, o)| f(x, o))
}

/// Runs `f` on every job (each writing its own outputs) in parallel, in
/// order of decreasing `len`, so that uneven symbols do not leave one
/// thread finishing a long series alone at the end of a call: the last
/// jobs each thread runs or steals are the short ones. Results are
/// unaffected; the error returned is that of the first failing job in
/// input order, as without the reordering.
fn longest_first<T: Send>(
    jobs: Vec<T>,
    len: impl Fn(&T) -> usize,
    f: impl Fn(&mut T) -> Result<()> + Sync + Send,
) -> Result<()> {
    let mut jobs: Vec<(usize, T)> = jobs.into_iter().enumerate().collect();
    // Stable: input order within a length.
    jobs.sort_by_key(|(_, j)| core::cmp::Reverse(len(j)));
    let results = super::par_each_all(&mut jobs, |(_, j)| f(j));
    let first = jobs
        .iter()
        .zip(results)
        .filter_map(|((i, _), r)| r.err().map(|e| (*i, e)))
        .min_by_key(|(i, _)| *i);
    match first {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// [`sma_many`] into caller buffers: `outs[i]` (of `xs[i].len()` values)
/// receives [`crate::sma`] of `xs[i]`, bit-identical to it. Allocates no
/// series-long memory, so a caller reusing its buffers across calls pays
/// no page faults (which serialize threads on the process's memory map).
/// Errors: a bad period, or `outs` not matching `xs` in count or lengths
/// → [`Error::LengthMismatch`] named `"outs"`. Earlier buffers are
/// unspecified after an error.
pub fn sma_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    crate::sma_lookback(period)?;
    each_into(xs, outs, |x, o| crate::sma_into(x, period, o))
}

/// [`wma_many`] into caller buffers (as [`sma_many_into`]; bit-identical
/// to [`crate::wma`]).
pub fn wma_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    crate::wma_lookback(period)?;
    each_into(xs, outs, |x, o| crate::wma_into(x, period, o))
}

/// [`var_many`] into caller buffers (as [`sma_many_into`]; bit-identical
/// to [`crate::var`]).
pub fn var_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    crate::var_lookback(period)?;
    each_into(xs, outs, |x, o| crate::var_into(x, period, o))
}

/// [`stddev_many`] into caller buffers (as [`sma_many_into`];
/// bit-identical to [`crate::stddev`]).
pub fn stddev_many_into(
    xs: &[&[f64]],
    period: usize,
    nbdev: f64,
    outs: &mut [&mut [f64]],
) -> Result<()> {
    crate::stddev(&[], period, nbdev)?;
    each_into(xs, outs, |x, o| crate::stddev_into(x, period, nbdev, o))
}

/// [`max_many`] into caller buffers (as [`sma_many_into`]; bit-identical
/// to [`crate::max`]).
pub fn max_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    crate::max_lookback(period)?;
    each_into(xs, outs, |x, o| crate::max_into(x, period, o))
}

/// [`min_many`] into caller buffers (as [`sma_many_into`]; bit-identical
/// to [`crate::min`]).
pub fn min_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    crate::min_lookback(period)?;
    each_into(xs, outs, |x, o| crate::min_into(x, period, o))
}

/// [`bbands_many`] into caller buffers: `upper[i]`, `middle[i]` and
/// `lower[i]` (each of `xs[i].len()` values) receive [`crate::bbands`] of
/// `xs[i]`, bit-identical to it. Errors as [`sma_many_into`] (the
/// mismatch names `"upper"`, `"middle"` or `"lower"`), and a non-finite
/// `nbdev_*` as [`crate::bbands`].
pub fn bbands_many_into(
    xs: &[&[f64]],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    upper: &mut [&mut [f64]],
    middle: &mut [&mut [f64]],
    lower: &mut [&mut [f64]],
) -> Result<()> {
    crate::bbands(&[], period, nbdev_up, nbdev_dn)?;
    check_outs("upper", xs, upper)?;
    check_outs("middle", xs, middle)?;
    check_outs("lower", xs, lower)?;
    type Job<'x, 'o> = (&'x [f64], &'o mut [f64], &'o mut [f64], &'o mut [f64]);
    let jobs: Vec<Job<'_, '_>> = xs
        .iter()
        .zip(
            upper
                .iter_mut()
                .zip(middle.iter_mut().zip(lower.iter_mut())),
        )
        .map(|(x, (u, (m, l)))| (*x, &mut **u, &mut **m, &mut **l))
        .collect();
    longest_first(
        jobs,
        |(x, ..)| x.len(),
        |(x, u, m, l)| crate::bbands_into(x, period, nbdev_up, nbdev_dn, u, m, l),
    )
}

/// [`ema_many`] into caller buffers (as [`sma_many_into`]): the same
/// groups of 8 through [`crate::ema_many_into`], so each result is
/// bit-identical to [`ema_many`]'s.
pub fn ema_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    crate::ema_lookback(period)?;
    check_outs("outs", xs, outs)?;
    lane_groups_into(xs, outs, |ins, outs| {
        crate::ema_many_into(ins, period, outs)
    })
}

/// [`rsi_many`] into caller buffers (as [`ema_many_into`]; bit-identical
/// to [`rsi_many`]'s results).
pub fn rsi_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    crate::rsi_lookback(period)?;
    check_outs("outs", xs, outs)?;
    lane_groups_into(xs, outs, |ins, outs| {
        crate::rsi_many_into(ins, period, outs)
    })
}

/// [`atr_many`] into caller buffers: `outs[i]` (of symbol `i`'s length)
/// receives [`crate::atr`] of its high, low and close, bit-identical to
/// it. Errors: a bad period; a symbol without high, low or close →
/// the [`Error::MissingColumn`] [`atr_many`] reports; columns of
/// different lengths, or `outs` not matching the symbols in count or
/// lengths → [`Error::LengthMismatch`].
pub fn atr_many_into(bars: &[Bars<'_>], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    use crate::trigger::Column;
    crate::atr_lookback(period)?;
    let mut cols: Vec<[&[f64]; 3]> = Vec::with_capacity(bars.len());
    for b in bars {
        match (
            b.column(Column::High),
            b.column(Column::Low),
            b.column(Column::Close),
        ) {
            (Some(h), Some(l), Some(c)) => cols.push([h, l, c]),
            // The error map_series reports for this symbol.
            _ => return atr_many(std::slice::from_ref(b), period).map(|_| ()),
        }
    }
    let closes: Vec<&[f64]> = cols.iter().map(|c| c[2]).collect();
    check_outs("outs", &closes, outs)?;
    let jobs: Vec<([&[f64]; 3], &mut [f64])> = cols
        .into_iter()
        .zip(outs.iter_mut())
        .map(|(c, o)| (c, &mut **o))
        .collect();
    longest_first(
        jobs,
        |([.., c], _)| c.len(),
        |([h, l, c], o)| crate::atr_into(h, l, c, period, o),
    )
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
/// one length (in input order within each length), one group per task,
/// into fresh outputs.
fn lane_groups(
    xs: &[&[f64]],
    kernel: impl Fn(&[&[f64]], &mut [&mut [f64]]) -> Result<()> + Sync + Send,
) -> Result<Vec<Vec<f64>>> {
    let mut store: Vec<Vec<f64>> = xs.iter().map(|x| vec![f64::NAN; x.len()]).collect();
    let mut outs: Vec<&mut [f64]> = store.iter_mut().map(|v| v.as_mut_slice()).collect();
    lane_groups_into(xs, &mut outs, kernel)?;
    Ok(store)
}

/// [`lane_groups`] into `outs` (one per series, of its length: checked by
/// the callers).
fn lane_groups_into(
    xs: &[&[f64]],
    outs: &mut [&mut [f64]],
    kernel: impl Fn(&[&[f64]], &mut [&mut [f64]]) -> Result<()> + Sync + Send,
) -> Result<()> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by_key(|&i| xs[i].len()); // stable: input order within a length
    let mut slots: Vec<Option<&mut [f64]>> = outs.iter_mut().map(|o| Some(&mut **o)).collect();
    let mut tasks: Vec<LaneTask<'_, '_>> = Vec::new();
    for same in order.chunk_by(|&a, &b| xs[a].len() == xs[b].len()) {
        for group in same.chunks(LANE_GROUP) {
            let ins = group.iter().map(|&i| xs[i]).collect();
            let outs = group.iter().filter_map(|&i| slots[i].take()).collect();
            tasks.push((ins, outs));
        }
    }
    longest_first(
        tasks,
        |(ins, _)| ins.first().map_or(0, |x| x.len()),
        |(ins, outs)| kernel(ins, outs),
    )
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
/// [`Error::MissingColumn`].
pub fn atr_many(bars: &[Bars<'_>], period: usize) -> Result<Vec<Vec<f64>>> {
    crate::atr_lookback(period)?;
    let mut r = map_series(&[indicator(Indicator::Atr { period })], bars)?;
    Ok(r.iter_mut().map(|v| v.pop().unwrap_or_default()).collect())
}

/// [`crate::stoch`] of every symbol, in parallel (bit-identical to it).
/// A symbol without high, low or close →
/// [`Error::MissingColumn`].
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
/// ([`Error::MissingColumn`]); columns of a
/// symbol of different lengths; parameters out of range (trees built by
/// hand).
pub fn map_series(series: &[Series], bars: &[Bars<'_>]) -> Result<Vec<Vec<Vec<f64>>>> {
    let plan = series_plan(series);
    let evals = evaluate_many(&plan, bars)?;
    Ok(evals
        .iter()
        .map(|e| e.series().map(|(_, v)| v.to_vec()).collect())
        .collect())
}

/// A plan with `series` as its outputs (each named by its text) and no
/// triggers.
fn series_plan(series: &[Series]) -> Plan {
    let named: Vec<(String, Series)> = series.iter().map(|s| (s.to_string(), s.clone())).collect();
    Plan::with_series(&TriggerSet::new(), &named)
}

/// [`Plan::evaluate`] over every symbol, in parallel, with one
/// [`Scratch`] per worker job (buffers are reused across the symbols a
/// job evaluates, but not across calls: see [`evaluate_many_in`]). Each
/// evaluation is identical to `plan.evaluate(&bars[i])`.
pub fn evaluate_many(plan: &Plan, bars: &[Bars<'_>]) -> Result<Vec<Evaluation>> {
    evaluate_many_in(plan, bars, &mut Vec::new())
}

/// [`evaluate_many`] taking its [`Scratch`]es from `pool` and leaving them
/// there afterwards (as many as jobs ran at once, about one per thread),
/// so repeated scans (e.g. every new bar) reuse the same series buffers
/// and pay no page faults. Each evaluation is identical to
/// `plan.evaluate(&bars[i])`, whatever `pool` holds.
pub fn evaluate_many_in(
    plan: &Plan,
    bars: &[Bars<'_>],
    pool: &mut Vec<Scratch>,
) -> Result<Vec<Evaluation>> {
    let be = Backend::active();
    #[cfg(feature = "rayon")]
    let items = {
        use rayon::prelude::*;
        bars.par_iter()
    };
    #[cfg(not(feature = "rayon"))]
    let items = bars.iter();
    let all = with_scratches(items, pool, |s, b| super::on(be, || plan.evaluate_in(b, s)));
    all.into_iter().collect()
}

/// Series expressions over every symbol, in parallel, into the caller's
/// memory: symbol `i`'s values of `series[j]` go to
/// `outs[i][j·n .. (j + 1)·n]` (`n` = its bar count; one block per symbol,
/// series after series), each exactly what [`map_series`] returns. One
/// job per symbol computes all of its series (shared sub-expressions
/// once, the symbol's columns read from memory once for all of them),
/// with a [`Scratch`] from `pool` (kept there afterwards, as in
/// [`evaluate_many_in`]), so a repeated scan allocates nothing: the way
/// to run several indicators over many symbols on many threads (see the
/// figures in the [module docs](super)).
///
/// Errors: `outs` not one buffer per symbol, or a buffer not of
/// `series.len() ×` its bar count ([`Error::LengthMismatch`], `"outs"`);
/// otherwise as [`map_series`].
pub fn map_series_into(
    series: &[Series],
    bars: &[Bars<'_>],
    outs: &mut [&mut [f64]],
    pool: &mut Vec<Scratch>,
) -> Result<()> {
    crate::error::check_len("outs", bars.len(), outs.len())?;
    for (b, o) in bars.iter().zip(outs.iter()) {
        crate::error::check_len("outs", series.len() * b.len()?, o.len())?;
    }
    let plan = series_plan(series);
    let be = Backend::active();
    #[cfg(feature = "rayon")]
    let items = {
        use rayon::prelude::*;
        bars.par_iter().zip(outs.par_iter_mut())
    };
    #[cfg(not(feature = "rayon"))]
    let items = bars.iter().zip(outs.iter_mut());
    let all = with_scratches(items, pool, |s, (b, o)| {
        let n = b.len()?;
        let mut parts: Vec<&mut [f64]> = match n {
            0 => series.iter().map(|_| <&mut [f64]>::default()).collect(),
            _ => o.chunks_mut(n).collect(),
        };
        super::on(be, || plan.evaluate_series_into(b, s, &mut parts))
    });
    all.into_iter().collect()
}

/// `f(scratch, item)` for every item, in parallel (in order without the
/// `rayon` feature), each job with a [`Scratch`] taken from `pool` and
/// put back when it ends, so buffers are reused across the items a job
/// runs and across calls. Results in item order.
#[cfg(feature = "rayon")]
fn with_scratches<I, T>(
    items: I,
    pool: &mut Vec<Scratch>,
    f: impl Fn(&mut Scratch, I::Item) -> Result<T> + Sync + Send,
) -> Vec<Result<T>>
where
    I: rayon::iter::IndexedParallelIterator,
    T: Send,
{
    use rayon::prelude::*;
    use std::sync::Mutex;
    /// A scratch borrowed from the shared pool, returned on drop.
    struct Lent<'p> {
        pool: &'p Mutex<Vec<Scratch>>,
        scratch: Scratch,
    }
    impl Drop for Lent<'_> {
        fn drop(&mut self) {
            let s = std::mem::take(&mut self.scratch);
            let mut g = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            g.push(s);
        }
    }
    let shared = Mutex::new(std::mem::take(pool));
    let lend = || Lent {
        pool: &shared,
        scratch: shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default(),
    };
    let all = items
        .map_init(lend, |l, item| f(&mut l.scratch, item))
        .collect();
    *pool = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    all
}

/// The serial [`with_scratches`] (no `rayon` feature): one scratch.
#[cfg(not(feature = "rayon"))]
fn with_scratches<I, T>(
    items: I,
    pool: &mut Vec<Scratch>,
    f: impl Fn(&mut Scratch, I::Item) -> Result<T>,
) -> Vec<Result<T>>
where
    I: Iterator,
{
    let mut s = pool.pop().unwrap_or_default();
    let all = items.map(|item| f(&mut s, item)).collect();
    pool.push(s);
    all
}
