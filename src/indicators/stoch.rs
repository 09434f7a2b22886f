//! Stochastic oscillator (TA-Lib `STOCH` with SMA smoothing).

use super::common::{check_hlc, check_outs, check_ta_period};
use crate::Backend;
use crate::error::Result;
use crate::kernels;
use crate::kernels::minmax::{first_non_finite_on, rolling_extreme_finite};
use crate::kernels::rolling_sum::rolling_mean;

/// Slow %K and %D lines, each of the input's length.
#[derive(Clone, Debug, PartialEq)]
pub struct Stoch {
    /// Slow %K: `SMA(raw %K, slowk)`.
    pub k: Vec<f64>,
    /// Slow %D: `SMA(slow %K, slowd)`.
    pub d: Vec<f64>,
}

/// Bars before STOCH's first output: `(fastk − 1) + (slowk − 1) + (slowd − 1)`
/// (8 for TA-Lib's defaults 5/3/3); each period 1..=100000.
pub fn stoch_lookback(fastk: usize, slowk: usize, slowd: usize) -> Result<usize> {
    check_ta_period("fastk_period", fastk, 1)?;
    check_ta_period("slowk_period", slowk, 1)?;
    check_ta_period("slowd_period", slowd, 1)?;
    Ok(fastk - 1 + slowk - 1 + slowd - 1)
}

/// Stochastic (TA-Lib `STOCH(high, low, close, fastk, slowk, SMA, slowd,
/// SMA)`):
/// - raw %K at bar t: `(C_t − LL)/((HH − LL)/100)` with `HH`/`LL` the
///   highest high / lowest low of the last `fastk` bars (including t), and
///   **0 when `HH == LL`** (TA-Lib's rule, also on a flat series);
/// - slow %K = `SMA(raw %K, slowk)`, slow %D = `SMA(slow %K, slowd)`.
///
/// Lookback [`stoch_lookback`]. Values lie in `[0, 100]` when every bar has
/// `low ≤ close ≤ high`. The result is invariant under scaling all prices
/// (up to rounding). Errors: any period outside 1..=100000 →
/// `InvalidPeriod`; high/low/close of different lengths → `LengthMismatch`.
///
/// Both lines are NaN for the first `lookback` bars (TA-Lib reports them
/// from the same `outBegIdx`).
///
/// NaN policy: a bar is unusable if any of its high, low, close is NaN or
/// ±inf; every output (both lines) whose (fastk + slowk + slowd − 2)-bar
/// span holds an unusable bar is NaN, and the outputs recover after it
/// leaves.
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
) -> Result<Stoch> {
    let n = close.len();
    let mut s = Stoch {
        k: vec![0.0; n],
        d: vec![0.0; n],
    };
    stoch_into(high, low, close, fastk, slowk, slowd, &mut s.k, &mut s.d)?;
    Ok(s)
}

/// [`stoch`] into caller buffers of the input's length (no allocation).
#[allow(clippy::too_many_arguments)]
pub fn stoch_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
    k: &mut [f64],
    d: &mut [f64],
) -> Result<()> {
    stoch_lookback(fastk, slowk, slowd)?;
    check_hlc(high, low, close)?;
    let n = high.len();
    check_outs(n, &[("k", k.len()), ("d", d.len())])?;
    let backend = Backend::active();
    // Per run of usable bars [a, b): HH into k, LL into d, raw %K into d
    // (valid from r0), slow %K into k (valid from r1), slow %D into d
    // (valid from r2). Each SMA sees only finite values of one run.
    let mut i = 0;
    while i < n {
        let b = usable_end(backend, high, low, close, i);
        let a = i;
        let r2 = a + (fastk - 1) + (slowk - 1) + (slowd - 1);
        if r2 < b {
            let (r0, r1) = (a + fastk - 1, a + fastk - 1 + slowk - 1);
            // The run is all finite: no second scan inside the kernel.
            rolling_extreme_finite::<false>(backend, &high[a..b], fastk, &mut k[a..b])?;
            rolling_extreme_finite::<true>(backend, &low[a..b], fastk, &mut d[a..b])?;
            let tame =
                kernels::stoch::raw_k_tame(backend, &close[r0..b], &k[r0..b], &mut d[r0..b])?;
            rolling_mean(backend, &d[r0..b], slowk, &mut k[r0..b])?;
            rolling_mean(backend, &k[r1..b], slowd, &mut d[r1..b])?;
            k[a..r2].fill(f64::NAN);
            d[a..r2].fill(f64::NAN);
            if !tame {
                clean(&mut k[r2..b], &mut d[r2..b]);
            }
        } else {
            k[a..b].fill(f64::NAN);
            d[a..b].fill(f64::NAN);
        }
        i = b;
        while i < n && !usable(high, low, close, i) {
            k[i] = f64::NAN;
            d[i] = f64::NAN;
            i += 1;
        }
    }
    Ok(())
}

#[inline]
fn usable(h: &[f64], l: &[f64], c: &[f64], i: usize) -> bool {
    h[i].is_finite() && l[i].is_finite() && c[i].is_finite()
}

/// Non-finite results (only from overflowing prices, or a range so small
/// that `range / 100` underflows) become NaN, in both lines at once.
fn clean(k: &mut [f64], d: &mut [f64]) {
    for (kv, dv) in k.iter_mut().zip(d.iter_mut()) {
        // Branch-free so it vectorizes.
        let bad = (!dv.is_finite()) | (!kv.is_finite());
        *kv = if bad { f64::NAN } else { *kv };
        *dv = if bad { f64::NAN } else { *dv };
    }
}

/// The end of the run of usable bars starting at `from`: the first bar at
/// or after it where high, low or close is NaN or ±inf (the vectorized
/// scan of each series, each bounded by the previous one's result).
fn usable_end(backend: Backend, h: &[f64], l: &[f64], c: &[f64], from: usize) -> usize {
    let e = first_non_finite_on(backend, h, from);
    let e = first_non_finite_on(backend, &l[..e], from);
    first_non_finite_on(backend, &c[..e], from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bar whose raw %K overflows (or whose range underflows to a zero
    /// divisor) makes both lines NaN over the windows that hold it, on
    /// every backend, whatever the flag of the other runs says.
    #[test]
    fn untame_raw_k_is_cleaned() {
        let n = 64;
        for (bad_h, bad_l, bad_c) in [(1e308, -1e308, 1e308), (5e-324, 0.0, 5e-324)] {
            let mut h: Vec<f64> = (0..n).map(|i| 10.0 + (i % 5) as f64).collect();
            let mut l: Vec<f64> = h.iter().map(|v| v - 3.0).collect();
            let mut c: Vec<f64> = h.iter().map(|v| v - 1.0).collect();
            // A run of tiny or huge bars so the extremes are theirs.
            for i in 30..34 {
                (h[i], l[i], c[i]) = (bad_h, bad_l, bad_c);
            }
            let mut got = Vec::new();
            for be in Backend::available() {
                let s = crate::with_backend(be, || stoch(&h, &l, &c, 3, 2, 2))
                    .unwrap()
                    .unwrap();
                for i in 0..n {
                    assert_eq!(s.k[i].is_nan(), s.d[i].is_nan(), "{be} bar {i}");
                }
                assert!(s.k[5..30].iter().all(|v| v.is_finite()), "{be}");
                assert!(s.k[40..].iter().all(|v| v.is_finite()), "{be}");
                got.push(s);
            }
            if bad_h > 1.0 {
                // (1e308 − (−1e308)) overflows: NaN while a window holds it.
                assert!(got[0].k[33].is_nan());
            }
            for s in &got[1..] {
                let same =
                    |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same(&s.k, &got[0].k) && same(&s.d, &got[0].d));
            }
        }
        // The flag itself.
        for be in Backend::available() {
            let (c, hh) = ([5.0; 9], [10.0; 9]);
            let mut ll = [0.0; 9];
            assert!(kernels::stoch::raw_k_tame(be, &c, &hh, &mut ll).unwrap());
            // One bar (in the vector body, then in the tail) whose range
            // underflows to a zero divisor: raw %K = 5/0.
            for bad in [2, 8] {
                let mut ll = [0.0; 9];
                let mut hh2 = [10.0; 9];
                hh2[bad] = 5e-324;
                assert!(
                    !kernels::stoch::raw_k_tame(be, &c, &hh2, &mut ll).unwrap(),
                    "{be}"
                );
                assert!(ll[bad].is_infinite());
            }
            let mut ll = [f64::NAN; 9];
            assert!(
                !kernels::stoch::raw_k_tame(be, &c, &hh, &mut ll).unwrap(),
                "{be}"
            );
        }
    }
}
