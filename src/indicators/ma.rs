//! Moving averages over a window: SMA and WMA.

use super::common::check_ta_period;
use crate::Backend;
use crate::error::{Result, check_len};
use crate::kernels::{rolling_sum, wma as wma_kernel};

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
    rolling_sum::rolling_mean_strict(Backend::active(), x, period, out)
}

/// Bars before WMA's first output: `period - 1`.
pub fn wma_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 1)?;
    Ok(period - 1)
}

/// Weighted moving average (TA-Lib `WMA`): output `i` is
/// `Σ_{j=0}^{p-1} (p − j)·x[i − j] / (p(p+1)/2)` — weights `1..=p`, the
/// newest bar heaviest. Lookback `period − 1`; period 1 copies the input.
///
/// Period range 1..=100000. Outputs whose window holds a NaN or ±inf are
/// NaN (leading non-finite values are skipped; the output recovers
/// `period − 1` bars after an interior one). Accuracy: see
/// [`crate::kernels::wma`] (TA-Lib keeps running sums that drift; this
/// uses window-local sums up to period 64 and restarts them every block
/// above, so it agrees with TA-Lib to ~1e-12 on prices).
pub fn wma(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    wma_into(x, period, &mut out)?;
    Ok(out)
}

/// [`wma`] into a caller's buffer of `x.len()` values (no allocation).
pub fn wma_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 1)?;
    check_len("out", x.len(), out.len())?;
    wma_kernel::wma(Backend::active(), x, period, out)
}
