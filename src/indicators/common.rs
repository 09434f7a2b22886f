//! Helpers shared by the indicators: TA-Lib's parameter ranges, NaN
//! fills, and the finite runs recursive indicators restart on.

use crate::error::{Result, check_len, check_period};

/// TA-Lib's largest period for every indicator here.
pub(crate) const MAX_PERIOD: usize = 100_000;

/// `Err(InvalidPeriod)` unless `min <= period <= 100_000` (TA-Lib's range).
#[inline]
pub(crate) fn check_ta_period(name: &'static str, period: usize, min: usize) -> Result<()> {
    check_period(name, period, min, MAX_PERIOD)
}

/// `Err(LengthMismatch)` unless every output buffer has length `n`.
#[inline]
pub(crate) fn check_outs(n: usize, outs: &[(&'static str, usize)]) -> Result<()> {
    for &(name, len) in outs {
        check_len(name, n, len)?;
    }
    Ok(())
}

/// `Err(LengthMismatch)` unless high, low and close have one length.
#[inline]
pub(crate) fn check_hlc(high: &[f64], low: &[f64], close: &[f64]) -> Result<()> {
    check_len("low", high.len(), low.len())?;
    check_len("close", high.len(), close.len())
}

/// Maximal runs `[start, end)` of consecutive bars for which `finite(i)`
/// holds, in order. Recursive indicators seed anew at each run's start.
pub(crate) fn finite_runs(
    n: usize,
    finite: impl Fn(usize) -> bool,
) -> impl Iterator<Item = (usize, usize)> {
    let mut i = 0;
    core::iter::from_fn(move || {
        while i < n && !finite(i) {
            i += 1;
        }
        if i >= n {
            return None;
        }
        let start = i;
        while i < n && finite(i) {
            i += 1;
        }
        Some((start, i))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_on_non_finite() {
        let x = [
            f64::NAN,
            1.0,
            2.0,
            f64::INFINITY,
            3.0,
            f64::NAN,
            f64::NAN,
            4.0,
        ];
        let runs: Vec<_> = finite_runs(x.len(), |i| x[i].is_finite()).collect();
        assert_eq!(runs, vec![(1, 3), (4, 5), (7, 8)]);
        assert_eq!(finite_runs(0, |_| true).count(), 0);
        assert_eq!(finite_runs(3, |_| true).collect::<Vec<_>>(), vec![(0, 3)]);
    }
}
