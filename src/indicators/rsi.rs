//! RSI (Wilder's relative strength index), single series and many series.

use super::common::{check_outs, check_ta_period};
use super::ema::{batch, check_batch, per_run};
use crate::Backend;
use crate::error::Result;
use crate::kernels::ema::run::{self, Be};

/// Bars without output before the first RSI on a finite series: `period`.
/// Errors: `period` outside `2..=100000` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
pub fn rsi_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 2)?;
    Ok(period)
}

/// Relative strength index (Wilder), as TA-Lib 0.8.1's `RSI(x, period)`.
///
/// - Lookback `period` (it needs `period` price changes).
/// - Seed: the gains and losses of the first `period` changes, each summed
///   left to right and multiplied by `1/period`.
/// - Then `avg = (avg·(period − 1) + cur)·(1/period)` for gains and losses.
/// - `RSI = 100·gain/(gain + loss)`, and **0** when `gain + loss == 0`
///   (a flat window). TA-Lib changed this rule over time (0.4: `< 1e-8` → 0;
///   0.6/0.7: `< 1e-14` → 0; after issue #253 an exact test, → 0; after
///   issue #480, → 50). The 0.8.1 library we match (the one in the `ta-lib`
///   0.8.2 wheel) uses the exact test with 0: its RSI equals the hoisted
///   `1/period` form of #410 bit for bit (so it is newer than #253), and it
///   is reported to return 0.0 where its sums are NaN (which only the `else
///   0` arm of the exact test gives; #480's arm would give 50).
///   Consequences: the RSI is scale invariant (prices ×1e-7 give the same
///   RSI), and a flat window reads 0.
///
/// NaN policy as [`crate::ema`]: leading non-finite values skipped; an
/// interior NaN or ±inf restarts the seeding after the gap.
///
/// Errors: `period` outside `2..=100000` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
pub fn rsi(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![f64::NAN; x.len()];
    rsi_into(x, period, &mut out)?;
    Ok(out)
}

/// [`rsi`] into `out` (same length as `x`, else
/// [`Error::LengthMismatch`](crate::Error::LengthMismatch)); allocates nothing.
pub fn rsi_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_outs(x.len(), &[("out", out.len())])?;
    let be = run::resolve(Backend::active())?;
    rsi_runs(be, x, period, out);
    Ok(())
}

fn rsi_runs(be: Be, x: &[f64], period: usize, out: &mut [f64]) {
    per_run(
        x.len(),
        |i| x[i].is_finite(),
        out,
        |s, e, o| run::rsi_run(be, &x[s..e], period, o),
    );
}

/// [`rsi`] of many series of one length at once (layout and lane scheme as
/// [`crate::ema_many`]; results equal one-by-one [`rsi`] within the bound of
/// [`crate::kernels::ema`], bit-identical on the scalar backend).
///
/// Errors: bad `period` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod); series of different
/// lengths → [`Error::LengthMismatch`](crate::Error::LengthMismatch).
pub fn rsi_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    let n = xs.first().map_or(0, |x| x.len());
    let mut store: Vec<Vec<f64>> = xs.iter().map(|_| vec![f64::NAN; n]).collect();
    let mut outs: Vec<&mut [f64]> = store.iter_mut().map(|v| v.as_mut_slice()).collect();
    rsi_many_into(xs, period, &mut outs)?;
    Ok(store)
}

/// [`rsi_many`] into `outs[j]`; allocates nothing.
pub fn rsi_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_batch(xs, outs)?;
    let be = run::resolve(Backend::active())?;
    batch(
        xs,
        outs,
        |xc, oc| crate::kernels::ema::rsi_many_run(be, xc, period, oc),
        |x, o| rsi_runs(be, x, period, o),
    );
    Ok(())
}
