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
    let lookback = (fastk - 1) + (slowk - 1) + (slowd - 1);
    // Optimistic pass: the whole series as one run, each kernel reporting
    // on the inputs it reads anyway (high, low, close from bar fastk − 1);
    // if all were finite (and raw %K tame) the outputs are exactly what
    // the run-splitting path below computes for a single all-finite run.
    if lookback < n
        && run(backend, high, low, close, (fastk, slowk, slowd), k, d)?
        && close[..fastk - 1].iter().all(|c| c.is_finite())
    {
        return Ok(());
    }
    exact(backend, high, low, close, (fastk, slowk, slowd), k, d)
}

/// The run-splitting path (some input is NaN or ±inf, or raw %K is not
/// tame): per run of usable bars, each SMA seeing only finite values of
/// one run. Correct on any input (the optimistic pass is a shortcut to
/// its result).
fn exact(
    backend: Backend,
    high: &[f64],
    low: &[f64],
    close: &[f64],
    (fastk, slowk, slowd): (usize, usize, usize),
    k: &mut [f64],
    d: &mut [f64],
) -> Result<()> {
    let n = high.len();
    let lookback = (fastk - 1) + (slowk - 1) + (slowd - 1);
    let mut i = 0;
    while i < n {
        let b = usable_end(backend, high, low, close, i);
        let a = i;
        if a + lookback < b {
            let s = a..b;
            run(
                backend,
                &high[s.clone()],
                &low[s.clone()],
                &close[s.clone()],
                (fastk, slowk, slowd),
                &mut k[s.clone()],
                &mut d[s],
            )?;
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

/// STOCH over one run of bars `m > lookback` long, believed usable: HH
/// into k, LL into d, raw %K into d (valid from r0), slow %K into k (valid
/// from r1), slow %D into d (valid from r2). Returns whether high, low and
/// close (the latter from bar r0) were all finite and raw %K tame. On a
/// run that really is all finite the outputs are right whatever the flag
/// (non-finite results of an untame raw %K are cleaned to NaN); otherwise
/// they are unspecified, and computing stops early when high or low was
/// not finite.
fn run(
    backend: Backend,
    high: &[f64],
    low: &[f64],
    close: &[f64],
    (fastk, slowk, slowd): (usize, usize, usize),
    k: &mut [f64],
    d: &mut [f64],
) -> Result<bool> {
    let m = high.len();
    let (r0, r1) = (fastk - 1, fastk - 1 + slowk - 1);
    let r2 = r1 + slowd - 1;
    let finite_h = rolling_extreme_finite::<false>(backend, high, fastk, k)?;
    let finite_l = rolling_extreme_finite::<true>(backend, low, fastk, d)?;
    if !(finite_h && finite_l) {
        return Ok(false);
    }
    let tame = kernels::stoch::raw_k_tame(backend, &close[r0..], &k[r0..], &mut d[r0..])?;
    rolling_mean(backend, &d[r0..m], slowk, &mut k[r0..m])?;
    rolling_mean(backend, &k[r1..m], slowd, &mut d[r1..m])?;
    k[..r2].fill(f64::NAN);
    d[..r2].fill(f64::NAN);
    if !tame {
        clean(&mut k[r2..], &mut d[r2..]);
    }
    Ok(tame)
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

    /// The optimistic pass and the run-splitting path agree bit for bit on
    /// every backend, with a NaN or ±inf in high only, low only or close
    /// only at every bar (first, last, vector bodies, tails, the close
    /// bars raw %K does not read, flat windows where raw %K ignores the
    /// close); and the optimistic pass flags every such input itself.
    #[test]
    fn optimistic_pass_matches_exact_path() {
        let n = 97;
        let h0: Vec<f64> = (0..n)
            .map(|i| match i {
                // A flat stretch longer than every fastk below: windows
                // with HH == LL, raw %K 0 whatever the close.
                30..72 => 7.0,
                _ => 10.0 + ((i * 7) % 5) as f64,
            })
            .collect();
        let l0: Vec<f64> = (0..n)
            .map(|i| {
                if (30..72).contains(&i) {
                    7.0
                } else {
                    h0[i] - 2.5 - (i % 3) as f64
                }
            })
            .collect();
        let c0: Vec<f64> = (0..n).map(|i| (h0[i] + l0[i]) / 2.0).collect();
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        // fastk 3: scalar code on every backend; 14: AVX2's direct
        // reduction; 30: AVX2's scans.
        for (fk, sk, sd) in [(3, 2, 2), (14, 3, 3), (30, 1, 4)] {
            for be in Backend::available() {
                let mut series = [h0.clone(), l0.clone(), c0.clone()];
                let (mut k1, mut d1, mut k2, mut d2) =
                    (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
                let [h, l, c] = &series;
                assert!(run(be, h, l, c, (fk, sk, sd), &mut k1, &mut d1).unwrap());
                exact(be, h, l, c, (fk, sk, sd), &mut k2, &mut d2).unwrap();
                assert!(same(&k1, &k2) && same(&d1, &d2), "{be} {fk}");
                for which in 0..3 {
                    for at in 0..n {
                        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                            let keep = series[which][at];
                            series[which][at] = bad;
                            let [h, l, c] = &series;
                            let flagged = !run(be, h, l, c, (fk, sk, sd), &mut k1, &mut d1)
                                .unwrap()
                                || !c[..fk - 1].iter().all(|v| v.is_finite());
                            assert!(flagged, "{be} fastk {fk} series {which} bar {at} {bad}");
                            crate::with_backend(be, || {
                                stoch_into(h, l, c, fk, sk, sd, &mut k1, &mut d1)
                            })
                            .unwrap()
                            .unwrap();
                            exact(be, h, l, c, (fk, sk, sd), &mut k2, &mut d2).unwrap();
                            assert!(
                                same(&k1, &k2) && same(&d1, &d2),
                                "{be} fastk {fk} series {which} bar {at} {bad}"
                            );
                            // The bad bar's own outputs are NaN.
                            assert!(k1[at].is_nan() && d1[at].is_nan());
                            series[which][at] = keep;
                        }
                    }
                }
            }
        }
    }

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
