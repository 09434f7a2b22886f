//! Rolling sum and simple moving average (SMA).
//!
//! PLACEHOLDER: the scalar loop below is temporary; the blocked, shifted
//! prefix-sum kernels replace it.

use crate::Backend;
use crate::error::{Result, check_len, check_period};

/// Rolling sum over `period` values into `out` (`out.len() == x.len()`);
/// the first `period - 1` outputs are NaN.
pub fn rolling_sum(backend: Backend, x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    backend.check()?;
    check_period("period", period, 1, usize::MAX)?;
    check_len("out", x.len(), out.len())?;
    for i in 0..x.len() {
        out[i] = if i + 1 >= period {
            x[i + 1 - period..=i].iter().sum()
        } else {
            f64::NAN
        };
    }
    Ok(())
}

/// Simple moving average over `period` values into `out`.
pub fn rolling_mean(backend: Backend, x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    rolling_sum(backend, x, period, out)?;
    let p = period as f64;
    for v in out.iter_mut() {
        *v /= p;
    }
    Ok(())
}
