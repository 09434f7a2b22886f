//! The naive trigger interpreter of `tests/common/naive_trigger.rs` with
//! its indicators computed by the streaming states pushed bar by bar
//! (everything above them is the same interpreter), to check the
//! streaming engine's logic exactly.

use crate::common::naive_trigger::{self, Truth};
use ta_kernels::stream::{
    Atr, Bbands, Ema, Hlc, Macd, Max, Min, Rsi, Sma, Stddev, Stoch, Stream, Trange, Var, Wma,
};
use ta_kernels::trigger::{BandsField, Bars, Column, Cond, Indicator, MacdField, StochField};

fn run<S: Stream<Input = f64>>(mut s: S, x: &[f64], f: impl Fn(S::Output) -> f64) -> Vec<f64> {
    x.iter().map(|&v| f(s.push(v))).collect()
}

fn run_hlc<S: Stream<Input = Hlc>>(
    mut s: S,
    bars: &Bars<'_>,
    n: usize,
    f: impl Fn(S::Output) -> f64,
) -> Vec<f64> {
    let col = |c: Column| bars.column(c).expect("column present");
    let (h, l, c) = (col(Column::High), col(Column::Low), col(Column::Close));
    (0..n)
        .map(|i| f(s.push(Hlc::new(h[i], l[i], c[i]))))
        .collect()
}

/// The indicator's values, pushed bar by bar through the streaming states.
fn indicator(ind: &Indicator, x: &[f64], bars: &Bars<'_>, n: usize) -> Vec<f64> {
    let id = |v: f64| v;
    match *ind {
        Indicator::Sma { period, .. } => run(Sma::new(period).unwrap(), x, id),
        Indicator::Ema { period, .. } => run(Ema::new(period).unwrap(), x, id),
        Indicator::Wma { period, .. } => run(Wma::new(period).unwrap(), x, id),
        Indicator::Rsi { period, .. } => run(Rsi::new(period).unwrap(), x, id),
        Indicator::Max { period, .. } => run(Max::new(period).unwrap(), x, id),
        Indicator::Min { period, .. } => run(Min::new(period).unwrap(), x, id),
        Indicator::Var { period, .. } => run(Var::new(period).unwrap(), x, id),
        Indicator::Stddev { period, nbdev, .. } => run(Stddev::new(period, nbdev).unwrap(), x, id),
        Indicator::Macd {
            fast,
            slow,
            signal,
            field,
            ..
        } => run(Macd::new(fast, slow, signal).unwrap(), x, |m| match field {
            MacdField::Macd => m.macd,
            MacdField::Signal => m.signal,
            MacdField::Hist => m.hist,
        }),
        Indicator::Bbands {
            period,
            nbdev_up,
            nbdev_dn,
            field,
            ..
        } => run(
            Bbands::new(period, nbdev_up, nbdev_dn).unwrap(),
            x,
            |b| match field {
                BandsField::Upper => b.upper,
                BandsField::Middle => b.middle,
                BandsField::Lower => b.lower,
            },
        ),
        Indicator::Stoch {
            fastk,
            slowk,
            slowd,
            field,
        } => run_hlc(
            Stoch::new(fastk, slowk, slowd).unwrap(),
            bars,
            n,
            |s| match field {
                StochField::K => s.k,
                StochField::D => s.d,
            },
        ),
        Indicator::Atr { period } => run_hlc(Atr::new(period).unwrap(), bars, n, |v| v),
        Indicator::Trange => run_hlc(Trange::new(), bars, n, |v| v),
    }
}

/// The truth of `c` at every bar, indicators from the streaming states.
pub fn cond(c: &Cond, bars: &Bars<'_>, n: usize) -> Vec<Truth> {
    naive_trigger::cond_with(c, bars, n, indicator)
}
