//! MACD (moving average convergence/divergence).

use super::common::{check_outs, check_ta_period, finite_runs};
use crate::Backend;
use crate::error::Result;
use crate::kernels::ema::macd_order;
use crate::kernels::ema::run;

/// The three MACD outputs, each of the input's length.
#[derive(Clone, Debug, PartialEq)]
pub struct Macd {
    /// The MACD line: fast EMA − slow EMA.
    pub macd: Vec<f64>,
    /// The signal line: EMA of the MACD line.
    pub signal: Vec<f64>,
    /// The histogram: MACD − signal.
    pub hist: Vec<f64>,
}

fn check(fast: usize, slow: usize, signal: usize) -> Result<()> {
    check_ta_period("fast_period", fast, 2)?;
    check_ta_period("slow_period", slow, 2)?;
    check_ta_period("signal_period", signal, 1)
}

/// Bars without output on a finite series: `(slow − 1) + (signal − 1)`
/// (after swapping `fast > slow`). Errors: fast or slow outside
/// `2..=100000`, signal outside `1..=100000` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> Result<usize> {
    check(fast, slow, signal)?;
    let (_, slow) = macd_order(fast, slow);
    Ok((slow - 1) + (signal - 1))
}

/// MACD, as TA-Lib 0.8.1's `MACD(x, fast, slow, signal)`.
///
/// - If `fast > slow` the two are swapped (TA-Lib does the same), so
///   `macd(x, 26, 12, 9) == macd(x, 12, 26, 9)`.
/// - Both price EMAs are seeded on windows ending at bar `slow − 1`: the
///   slow seed is the mean of `x[0..slow]`, the fast seed the mean of
///   `x[slow − fast..slow]` (not of the first `fast` bars), each summed left
///   to right and divided by its period; they then follow the EMA recursion
///   of [`crate::ema`] (`k = 2/(p+1)`). The MACD line starts at bar
///   `slow − 1`.
/// - The signal EMA is seeded with the mean of the first `signal` MACD
///   values and recurses with `k = 2/(signal+1)`; `hist = macd − signal`.
/// - Lookback `(slow − 1) + (signal − 1)`; all three outputs are NaN before
///   it. `signal == 1` gives `signal = macd` and `hist = 0`.
///
/// NaN policy as [`crate::ema`]: leading non-finite values skipped; an
/// interior NaN or ±inf restarts the seeding after the gap.
///
/// Errors: fast or slow outside `2..=100000`, signal outside
/// `1..=100000` → [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Result<Macd> {
    let n = x.len();
    let mut m = Macd {
        macd: vec![f64::NAN; n],
        signal: vec![f64::NAN; n],
        hist: vec![f64::NAN; n],
    };
    macd_into(
        x,
        fast,
        slow,
        signal,
        &mut m.macd,
        &mut m.signal,
        &mut m.hist,
    )?;
    Ok(m)
}

/// [`macd`] into three caller buffers of `x`'s length (else
/// [`Error::LengthMismatch`](crate::Error::LengthMismatch)); allocates nothing.
pub fn macd_into(
    x: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    macd_out: &mut [f64],
    signal_out: &mut [f64],
    hist_out: &mut [f64],
) -> Result<()> {
    check(fast, slow, signal)?;
    let n = x.len();
    check_outs(
        n,
        &[
            ("macd_out", macd_out.len()),
            ("signal_out", signal_out.len()),
            ("hist_out", hist_out.len()),
        ],
    )?;
    let be = run::resolve(Backend::active())?;
    let mut last = 0;
    for (s, e) in finite_runs(n, |i| x[i].is_finite()) {
        for o in [&mut *macd_out, &mut *signal_out, &mut *hist_out] {
            o[last..s].fill(f64::NAN);
        }
        run::macd_run(
            be,
            &x[s..e],
            fast,
            slow,
            signal,
            &mut macd_out[s..e],
            &mut signal_out[s..e],
            &mut hist_out[s..e],
        );
        last = e;
    }
    for o in [macd_out, signal_out, hist_out] {
        o[last..].fill(f64::NAN);
    }
    Ok(())
}
