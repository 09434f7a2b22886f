//! Naive references for the windowed indicators, written from the
//! documented conventions (one obvious loop each; exact sums where the
//! kernels claim a bound). No proptest dependency.

use super::exact::fsum;

/// Sentinel index where the value is NaN (mirrors `ta_kernels::NO_INDEX`).
pub const NO_INDEX: usize = usize::MAX;

fn window_finite(w: &[f64]) -> bool {
    w.iter().all(|v| v.is_finite())
}

/// Exact SMA (correctly rounded sum / p); NaN for warm-up or non-finite windows.
pub fn sma(x: &[f64], p: usize) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            if i + 1 < p || !window_finite(&x[i + 1 - p..=i]) {
                f64::NAN
            } else {
                fsum(x[i + 1 - p..=i].iter().copied()) / p as f64
            }
        })
        .collect()
}

/// WMA with the weighted sum exact (products split with FMA), then one
/// division: within 1 ulp of the exact weighted mean.
pub fn wma(x: &[f64], p: usize) -> Vec<f64> {
    let d = (p * (p + 1) / 2) as f64;
    (0..x.len())
        .map(|i| {
            if i + 1 < p || !window_finite(&x[i + 1 - p..=i]) {
                return f64::NAN;
            }
            let w = &x[i + 1 - p..=i];
            let terms = w.iter().enumerate().flat_map(|(k, &v)| {
                let wt = (k + 1) as f64;
                let hi = wt * v;
                let lo = wt.mul_add(v, -hi);
                [hi, lo]
            });
            fsum(terms) / d
        })
        .collect()
}

/// Population variance, two-pass around the exact mean.
pub fn var(x: &[f64], p: usize) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            if i + 1 < p || !window_finite(&x[i + 1 - p..=i]) {
                return f64::NAN;
            }
            let w = &x[i + 1 - p..=i];
            let m = fsum(w.iter().copied()) / p as f64;
            fsum(w.iter().map(|v| (v - m) * (v - m))) / p as f64
        })
        .collect()
}

/// Rolling extreme and the newest index holding it (ties → newest).
pub fn extreme(x: &[f64], p: usize, min: bool) -> (Vec<f64>, Vec<usize>) {
    let mut vals = vec![f64::NAN; x.len()];
    let mut idx = vec![NO_INDEX; x.len()];
    for i in 0..x.len() {
        if i + 1 < p || !window_finite(&x[i + 1 - p..=i]) {
            continue;
        }
        let mut best = i + 1 - p;
        for j in i + 1 - p..=i {
            let better_or_eq = if min {
                x[j] <= x[best]
            } else {
                x[j] >= x[best]
            };
            if better_or_eq {
                best = j;
            }
        }
        vals[i] = x[best];
        idx[i] = best;
    }
    (vals, idx)
}

/// STOCH from its definition: raw %K = (C − LL)/((HH − LL)/100), 0 when
/// HH == LL; slow %K = mean of the last `sk` raw %K; slow %D = mean of the
/// last `sd` slow %K; slow %K is NaN wherever slow %D is. A bar is unusable if any of H/L/C is non-finite; any
/// output depending on an unusable bar (or on a bar before 0) is NaN.
pub fn stoch(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    fk: usize,
    sk: usize,
    sd: usize,
) -> (Vec<f64>, Vec<f64>) {
    let n = c.len();
    let usable = |i: usize| h[i].is_finite() && l[i].is_finite() && c[i].is_finite();
    let raw: Vec<f64> = (0..n)
        .map(|t| {
            if t + 1 < fk || !(t + 1 - fk..=t).all(usable) {
                return f64::NAN;
            }
            let hh = h[t + 1 - fk..=t]
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            let ll = l[t + 1 - fk..=t]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            if hh == ll {
                0.0
            } else {
                (c[t] - ll) / ((hh - ll) / 100.0)
            }
        })
        .collect();
    let mean = |v: &[f64], p: usize| -> Vec<f64> {
        (0..v.len())
            .map(|t| {
                if t + 1 < p || v[t + 1 - p..=t].iter().any(|x| x.is_nan()) {
                    f64::NAN
                } else {
                    fsum(v[t + 1 - p..=t].iter().copied()) / p as f64
                }
            })
            .collect()
    };
    let mut k = mean(&raw, sk);
    let d = mean(&k, sd);
    // Both lines start together (TA-Lib's single outBegIdx).
    for (kv, dv) in k.iter_mut().zip(&d) {
        if dv.is_nan() {
            *kv = f64::NAN;
        }
    }
    (k, d)
}
