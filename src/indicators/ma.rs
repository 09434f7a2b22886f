//! Moving averages over a window: SMA and WMA.

use super::common::check_ta_period;
use crate::Backend;
use crate::error::Result;
use crate::kernels::rolling_sum;

/// Bars before SMA's first output: `period - 1`.
pub fn sma_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 1)?;
    Ok(period - 1)
}

/// Simple moving average (TA-Lib `SMA`): output `i` is the mean of
/// `x[i + 1 - period ..= i]`; the first `period - 1` outputs are NaN, and
/// so is every output whose window holds a NaN or ±inf.
///
/// Period range 1..=100000 (TA-Lib's); a period longer than `x` gives all
/// NaN. Accuracy: see [`crate::kernels::rolling_sum`].
pub fn sma(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    sma_into(x, period, &mut out)?;
    Ok(out)
}

/// [`sma`] into a caller's buffer of `x.len()` values (no allocation).
pub fn sma_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 1)?;
    rolling_sum::rolling_mean(Backend::active(), x, period, out)
}
