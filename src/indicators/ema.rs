//! EMA (exponential moving average), single series and many series.

use super::common::{check_outs, check_ta_period, finite_runs};
use crate::Backend;
use crate::error::{Result, check_len};
use crate::kernels::ema::run::{self, Be};

/// Bars without output before the first EMA on a finite series:
/// `period − 1`. Errors: `period` outside `1..=100000` →
/// [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
pub fn ema_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 1)?;
    Ok(period - 1)
}

/// Exponential moving average, as TA-Lib 0.8.1's `EMA(x, period)`.
///
/// - `k = 2/(period + 1)`; lookback `period − 1`.
/// - Seed: the mean of the first `period` values (summed left to right from
///   0.0, then divided by `period`) is the output at bar `period − 1`.
/// - Then `ema = (x − ema)·k + ema` (TA-Lib 0.8.1's arithmetic order,
///   reproduced bit-for-bit by the scalar backend; the vector backends scan
///   the same recurrence within the bound stated in
///   [`crate::kernels::ema`]).
/// - `period == 1` returns a copy of `x`.
///
/// NaN policy: leading non-finite values are skipped (outputs start
/// `period − 1` bars after the first finite input); an interior NaN or ±inf
/// restarts the seeding after the gap, as if the series began at the next
/// finite bar. Outputs are NaN in the gaps and warm-ups.
///
/// Errors: `period` outside `1..=100000` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
pub fn ema(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![f64::NAN; x.len()];
    ema_into(x, period, &mut out)?;
    Ok(out)
}

/// [`ema`] into `out` (same length as `x`, else
/// [`Error::LengthMismatch`](crate::Error::LengthMismatch)); allocates nothing.
pub fn ema_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 1)?;
    check_outs(x.len(), &[("out", out.len())])?;
    let be = run::resolve(Backend::active())?;
    ema_runs(be, x, period, out);
    Ok(())
}

/// Applies `f` to each maximal finite run of `x` and fills the gaps with
/// NaN.
pub(super) fn per_run(
    n: usize,
    finite: impl Fn(usize) -> bool,
    out: &mut [f64],
    mut f: impl FnMut(usize, usize, &mut [f64]),
) {
    let mut last = 0;
    for (s, e) in finite_runs(n, finite) {
        out[last..s].fill(f64::NAN);
        f(s, e, &mut out[s..e]);
        last = e;
    }
    out[last..].fill(f64::NAN);
}

fn ema_runs(be: Be, x: &[f64], period: usize, out: &mut [f64]) {
    per_run(
        x.len(),
        |i| x[i].is_finite(),
        out,
        |s, e, o| run::ema_run(be, &x[s..e], period, o),
    );
}

/// Checks a batch: as many outputs as series, all of one length.
pub(super) fn check_batch(xs: &[&[f64]], outs: &[&mut [f64]]) -> Result<()> {
    check_len("outs", xs.len(), outs.len())?;
    let n = xs.first().map_or(0, |x| x.len());
    for x in xs {
        check_len("xs[i]", n, x.len())?;
    }
    for o in outs {
        check_len("outs[i]", n, o.len())?;
    }
    Ok(())
}

/// Runs `many` on chunks of 8 fully finite series and `one` on the others.
pub(super) fn batch(
    xs: &[&[f64]],
    outs: &mut [&mut [f64]],
    mut many: impl FnMut(&[&[f64]], &mut [&mut [f64]]),
    mut one: impl FnMut(&[f64], &mut [f64]),
) {
    let finite = |x: &[f64]| x.iter().all(|v| v.is_finite());
    for (xc, oc) in xs.chunks(8).zip(outs.chunks_mut(8)) {
        if xc.iter().all(|x| finite(x)) {
            many(xc, oc);
        } else {
            for (x, o) in xc.iter().zip(oc.iter_mut()) {
                one(x, o);
            }
        }
    }
}

/// [`ema`] of many series of one length at once: returns one output per
/// series, in order.
///
/// Layout: a slice of series in, one `Vec` per series out ([`ema_many_into`]
/// writes into a slice of mutable slices). On the AVX2 backend 4 series
/// share the lanes of one register (4×4 transposes; one FMA per bar per 4
/// series, 2 groups interleaved); results equal one-by-one [`ema`] within
/// the bound of [`crate::kernels::ema`] (bit-identical on the scalar
/// backend). A series containing a non-finite value is processed alone
/// under the NaN policy of [`ema`].
///
/// Errors: bad `period` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod); series of different
/// lengths → [`Error::LengthMismatch`](crate::Error::LengthMismatch).
pub fn ema_many(xs: &[&[f64]], period: usize) -> Result<Vec<Vec<f64>>> {
    let n = xs.first().map_or(0, |x| x.len());
    let mut store: Vec<Vec<f64>> = xs.iter().map(|_| vec![f64::NAN; n]).collect();
    let mut outs: Vec<&mut [f64]> = store.iter_mut().map(|v| v.as_mut_slice()).collect();
    ema_many_into(xs, period, &mut outs)?;
    Ok(store)
}

/// [`ema_many`] into `outs[j]` (one buffer per series, each of the series'
/// length; else [`Error::LengthMismatch`](crate::Error::LengthMismatch)); allocates nothing.
pub fn ema_many_into(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) -> Result<()> {
    check_ta_period("period", period, 1)?;
    check_batch(xs, outs)?;
    let be = run::resolve(Backend::active())?;
    batch(
        xs,
        outs,
        |xc, oc| crate::kernels::ema::ema_many_run(be, xc, period, oc),
        |x, o| ema_runs(be, x, period, o),
    );
    Ok(())
}
