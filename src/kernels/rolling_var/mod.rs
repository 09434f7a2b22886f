//! Rolling variance and standard deviation.
//!
//! PLACEHOLDER: the two-pass loop below is temporary.

use crate::Backend;
use crate::error::{Result, check_len, check_period};

/// Rolling variance with `ddof` (0 = population) into `out`.
pub fn rolling_var(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    out: &mut [f64],
) -> Result<()> {
    backend.check()?;
    check_period("period", period, 1, usize::MAX)?;
    check_period("ddof", ddof, 0, period - 1)?;
    check_len("out", x.len(), out.len())?;
    for i in 0..x.len() {
        out[i] = if i + 1 >= period {
            let w = &x[i + 1 - period..=i];
            let m = w.iter().sum::<f64>() / period as f64;
            w.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (period - ddof) as f64
        } else {
            f64::NAN
        };
    }
    Ok(())
}

/// Rolling standard deviation with `ddof` into `out`.
pub fn rolling_std(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    out: &mut [f64],
) -> Result<()> {
    rolling_var(backend, x, period, ddof, out)?;
    for v in out.iter_mut() {
        *v = v.sqrt();
    }
    Ok(())
}

/// Rolling mean and variance in one pass.
pub fn rolling_mean_var(
    backend: Backend,
    x: &[f64],
    period: usize,
    ddof: usize,
    mean_out: &mut [f64],
    var_out: &mut [f64],
) -> Result<()> {
    crate::kernels::rolling_sum::rolling_mean(backend, x, period, mean_out)?;
    rolling_var(backend, x, period, ddof, var_out)
}
