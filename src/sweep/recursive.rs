//! EMA and RSI over many periods of one series.
//!
//! A recursive indicator's periods share no arithmetic worth sharing (each
//! period is its own recurrence; the single-period kernels already scan it
//! with one FMA per 16 bars on the critical path, see
//! [`crate::kernels::ema`]), so the sweep runs the periods in parallel
//! (feature `rayon`; serially without it), each through the single-call
//! function on the **caller's** backend. Results are therefore
//! **bit-identical** to [`crate::ema`] / [`crate::rsi`] called one period
//! at a time on that backend, NaN policy included.

use crate::error::Result;
use crate::{Backend, with_backend};

use super::check_periods;

/// Runs `f(period)` for every period on `backend`, in parallel with rayon.
fn each(
    backend: Backend,
    periods: &[usize],
    f: impl Fn(usize) -> Result<Vec<f64>> + Sync,
) -> Result<Vec<Vec<f64>>> {
    // Rayon's workers do not inherit a `with_backend` override: pin it.
    let one = |p: usize| with_backend(backend, || f(p)).and_then(|r| r);
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        periods.par_iter().map(|&p| one(p)).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        periods.iter().map(|&p| one(p)).collect()
    }
}

/// [`crate::ema`] of `x` for every period of `periods`, in order
/// (bit-identical to the single calls on the caller's backend).
///
/// Errors: empty `periods` → [`InvalidPeriod`](crate::Error::InvalidPeriod)
/// named `"periods.len()"`; a period outside `1..=100000` →
/// `InvalidPeriod` named `"period"`.
pub fn ema_sweep(x: &[f64], periods: &[usize]) -> Result<Vec<Vec<f64>>> {
    check_periods("periods.len()", "period", periods, 1)?;
    let backend = Backend::active();
    backend.check()?;
    each(backend, periods, |p| crate::ema(x, p))
}

/// [`crate::rsi`] of `x` for every period of `periods`, in order
/// (bit-identical to the single calls on the caller's backend).
///
/// Errors: empty `periods` → [`InvalidPeriod`](crate::Error::InvalidPeriod)
/// named `"periods.len()"`; a period outside `2..=100000` →
/// `InvalidPeriod` named `"period"`.
pub fn rsi_sweep(x: &[f64], periods: &[usize]) -> Result<Vec<Vec<f64>>> {
    check_periods("periods.len()", "period", periods, 2)?;
    let backend = Backend::active();
    backend.check()?;
    each(backend, periods, |p| crate::rsi(x, p))
}
