//! Rolling extremes: TA-Lib `MAX`, `MIN`, `MAXINDEX`, `MININDEX`, `MINMAX`.
//!
//! Output `i` is the extreme of `x[i + 1 − period ..= i]` (the window
//! includes the current bar); lookback `period − 1`; period 2..=100000
//! (TA-Lib's). The index variants give the position in `x` of the **newest**
//! bar holding the extreme (TA-Lib's `>=`/`<=` tie rule), or [`NO_INDEX`]
//! where the value is NaN. O(n) whatever the period (van Herk /
//! Gil-Werman, see [`crate::kernels::minmax`]); the values are exact.
//!
//! NaN policy: outputs whose window holds a NaN or ±inf are NaN.

use super::common::{check_outs, check_ta_period};
use crate::Backend;
use crate::error::Result;
use crate::kernels::minmax::{rolling_max, rolling_min};

pub use crate::kernels::minmax::NO_INDEX;

/// Rolling minimum and maximum of the same window (TA-Lib `MINMAX`).
#[derive(Clone, Debug, PartialEq)]
pub struct MinMax {
    /// The window minimum.
    pub min: Vec<f64>,
    /// The window maximum.
    pub max: Vec<f64>,
}

/// Rolling argmin and argmax (TA-Lib `MINMAXINDEX`): positions in `x`.
#[derive(Clone, Debug, PartialEq)]
pub struct MinMaxIndex {
    /// Newest position of the window minimum ([`NO_INDEX`] where NaN).
    pub min_idx: Vec<usize>,
    /// Newest position of the window maximum ([`NO_INDEX`] where NaN).
    pub max_idx: Vec<usize>,
}

/// Bars before the first MAX/MIN/MINMAX output: `period − 1` (2..=100000).
pub fn max_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 2)?;
    Ok(period - 1)
}

/// Same as [`max_lookback`].
pub fn min_lookback(period: usize) -> Result<usize> {
    max_lookback(period)
}

/// Same as [`max_lookback`].
pub fn minmax_lookback(period: usize) -> Result<usize> {
    max_lookback(period)
}

/// Rolling maximum (TA-Lib `MAX`); see the module docs.
pub fn max(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    max_into(x, period, &mut out)?;
    Ok(out)
}

/// [`max`] into a caller's buffer (no allocation).
pub fn max_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 2)?;
    rolling_max(Backend::active(), x, period, out, None)
}

/// Rolling minimum (TA-Lib `MIN`); see the module docs.
pub fn min(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    min_into(x, period, &mut out)?;
    Ok(out)
}

/// [`min`] into a caller's buffer (no allocation).
pub fn min_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 2)?;
    rolling_min(Backend::active(), x, period, out, None)
}

/// Position of the rolling maximum (TA-Lib `MAXINDEX`), [`NO_INDEX`] where
/// [`max`] is NaN.
pub fn max_index(x: &[f64], period: usize) -> Result<Vec<usize>> {
    let mut value = vec![0.0; x.len()];
    let mut index = vec![0; x.len()];
    max_index_into(x, period, &mut value, &mut index)?;
    Ok(index)
}

/// [`max_index`] into caller buffers (no allocation); also writes the
/// maximum itself into `value` (the kernel needs it as working space).
pub fn max_index_into(
    x: &[f64],
    period: usize,
    value: &mut [f64],
    index: &mut [usize],
) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_outs(x.len(), &[("value", value.len()), ("index", index.len())])?;
    rolling_max(Backend::active(), x, period, value, Some(index))
}

/// Position of the rolling minimum (TA-Lib `MININDEX`), [`NO_INDEX`] where
/// [`min`] is NaN.
pub fn min_index(x: &[f64], period: usize) -> Result<Vec<usize>> {
    let mut value = vec![0.0; x.len()];
    let mut index = vec![0; x.len()];
    min_index_into(x, period, &mut value, &mut index)?;
    Ok(index)
}

/// [`min_index`] into caller buffers (no allocation); also writes the
/// minimum itself into `value`.
pub fn min_index_into(
    x: &[f64],
    period: usize,
    value: &mut [f64],
    index: &mut [usize],
) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_outs(x.len(), &[("value", value.len()), ("index", index.len())])?;
    rolling_min(Backend::active(), x, period, value, Some(index))
}

/// Rolling minimum and maximum together (TA-Lib `MINMAX`).
pub fn minmax(x: &[f64], period: usize) -> Result<MinMax> {
    let mut r = MinMax {
        min: vec![0.0; x.len()],
        max: vec![0.0; x.len()],
    };
    minmax_into(x, period, &mut r.min, &mut r.max)?;
    Ok(r)
}

/// [`minmax`] into caller buffers (no allocation).
pub fn minmax_into(x: &[f64], period: usize, min: &mut [f64], max: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_outs(x.len(), &[("min", min.len()), ("max", max.len())])?;
    rolling_min(Backend::active(), x, period, min, None)?;
    rolling_max(Backend::active(), x, period, max, None)
}

/// Positions of the rolling minimum and maximum (TA-Lib `MINMAXINDEX`).
pub fn minmax_index(x: &[f64], period: usize) -> Result<MinMaxIndex> {
    let mut scratch = vec![0.0; x.len()];
    let mut r = MinMaxIndex {
        min_idx: vec![0; x.len()],
        max_idx: vec![0; x.len()],
    };
    min_index_into(x, period, &mut scratch, &mut r.min_idx)?;
    max_index_into(x, period, &mut scratch, &mut r.max_idx)?;
    Ok(r)
}
