//! Naive references for the recursive indicators: literal serial loops in
//! TA-Lib 0.8.1's order (one obvious loop each, from the documented
//! conventions), plus the NaN policy (restart on each finite run). No
//! dependency on proptest or the crate, so a fuzz target can include it.

/// Maximal runs `[s, e)` where `finite(i)`.
pub fn runs(n: usize, finite: impl Fn(usize) -> bool) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < n {
        if !finite(i) {
            i += 1;
            continue;
        }
        let s = i;
        while i < n && finite(i) {
            i += 1;
        }
        v.push((s, i));
    }
    v
}

/// EMA on one run (TA-Lib called with startIdx = 0).
pub fn ema_run(x: &[f64], p: usize) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![f64::NAN; n];
    if p == 1 {
        return x.to_vec();
    }
    if n < p {
        return out;
    }
    let mut sum = 0.0;
    for &v in &x[..p] {
        sum += v;
    }
    let mut prev = sum / p as f64;
    out[p - 1] = prev;
    let k = 2.0 / (p + 1) as f64;
    for i in p..n {
        prev = (x[i] - prev) * k + prev;
        out[i] = prev;
    }
    out
}

/// RSI on one run.
pub fn rsi_run(x: &[f64], p: usize) -> Vec<f64> {
    rsi_parts_run(x, p).0
}

/// RSI and its denominator `g + l` (average gain plus average loss) per
/// bar, TA-Lib's loop.
pub fn rsi_parts_run(x: &[f64], p: usize) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    let mut out = vec![f64::NAN; n];
    let mut den = vec![f64::NAN; n];
    if n <= p {
        return (out, den);
    }
    let inv = 1.0 / p as f64;
    let (mut g, mut l) = (0.0, 0.0);
    for i in 1..=p {
        let d = x[i] - x[i - 1];
        if d > 0.0 {
            g += d;
        } else {
            l -= d;
        }
    }
    g *= inv;
    l *= inv;
    let val = |g: f64, l: f64| {
        if g + l > 0.0 {
            100.0 * (g / (g + l))
        } else {
            0.0
        }
    };
    out[p] = val(g, l);
    den[p] = g + l;
    for i in p + 1..n {
        let d = x[i] - x[i - 1];
        let (gd, ld) = if d > 0.0 { (d, 0.0) } else { (0.0, -d) };
        g = (g * (p - 1) as f64 + gd) * inv;
        l = (l * (p - 1) as f64 + ld) * inv;
        out[i] = val(g, l);
        den[i] = g + l;
    }
    (out, den)
}

/// True range of bar `i >= 1`.
pub fn tr(h: &[f64], l: &[f64], c: &[f64], i: usize) -> f64 {
    let a = h[i] - l[i];
    let b = (h[i] - c[i - 1]).abs();
    let d = (l[i] - c[i - 1]).abs();
    a.max(b).max(d)
}

/// TRANGE on one run.
pub fn trange_run(h: &[f64], l: &[f64], c: &[f64]) -> Vec<f64> {
    let n = h.len();
    (0..n)
        .map(|i| if i == 0 { f64::NAN } else { tr(h, l, c, i) })
        .collect()
}

/// ATR on one run.
pub fn atr_run(h: &[f64], l: &[f64], c: &[f64], p: usize) -> Vec<f64> {
    if p == 1 {
        return trange_run(h, l, c);
    }
    let n = h.len();
    let mut out = vec![f64::NAN; n];
    if n <= p {
        return out;
    }
    let mut sum = 0.0;
    for i in 1..=p {
        sum += tr(h, l, c, i);
    }
    let mut prev = sum / p as f64;
    out[p] = prev;
    for (i, o) in out.iter_mut().enumerate().skip(p + 1) {
        prev = (prev * (p - 1) as f64 + tr(h, l, c, i)) / p as f64;
        *o = prev;
    }
    out
}

/// MACD on one run: (macd, signal, hist).
pub fn macd_run(x: &[f64], fast: usize, slow: usize, sig: usize) -> [Vec<f64>; 3] {
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let n = x.len();
    let lb = (slow - 1) + (sig - 1);
    let mut m = vec![f64::NAN; n];
    let mut s = vec![f64::NAN; n];
    let mut h = vec![f64::NAN; n];
    if n <= lb {
        return [m, s, h];
    }
    let (mut sf, mut ss) = (0.0, 0.0);
    for &v in &x[slow - fast..slow] {
        sf += v;
    }
    for &v in &x[..slow] {
        ss += v;
    }
    let mut ef = sf / fast as f64;
    let mut es = ss / slow as f64;
    let (kf, ks) = (2.0 / (fast + 1) as f64, 2.0 / (slow + 1) as f64);
    let mut line = vec![f64::NAN; n];
    line[slow - 1] = ef - es;
    for i in slow..n {
        ef = (x[i] - ef) * kf + ef;
        es = (x[i] - es) * ks + es;
        line[i] = ef - es;
    }
    let mut sum = 0.0;
    for &v in &line[slow - 1..=lb] {
        sum += v;
    }
    let mut e = sum / sig as f64;
    let kg = 2.0 / (sig + 1) as f64;
    for i in lb..n {
        if sig == 1 {
            e = line[i];
        } else if i > lb {
            e = (line[i] - e) * kg + e;
        }
        m[i] = line[i];
        s[i] = e;
        h[i] = line[i] - e;
    }
    [m, s, h]
}

/// Applies a single-run reference to each finite run of `x`; NaN elsewhere.
pub fn on_runs(x: &[f64], f: impl Fn(&[f64]) -> Vec<f64>) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    for (s, e) in runs(x.len(), |i| x[i].is_finite()) {
        out[s..e].copy_from_slice(&f(&x[s..e]));
    }
    out
}

/// EMA with the NaN policy.
pub fn ema(x: &[f64], p: usize) -> Vec<f64> {
    on_runs(x, |r| ema_run(r, p))
}

/// RSI with the NaN policy.
pub fn rsi(x: &[f64], p: usize) -> Vec<f64> {
    on_runs(x, |r| rsi_run(r, p))
}

/// The RSI denominator `g + l` per bar, with the NaN policy.
pub fn rsi_denominator(x: &[f64], p: usize) -> Vec<f64> {
    on_runs(x, |r| rsi_parts_run(r, p).1)
}

/// MACD with the NaN policy.
pub fn macd(x: &[f64], fast: usize, slow: usize, sig: usize) -> [Vec<f64>; 3] {
    let n = x.len();
    let mut out = [vec![f64::NAN; n], vec![f64::NAN; n], vec![f64::NAN; n]];
    for (s, e) in runs(n, |i| x[i].is_finite()) {
        let r = macd_run(&x[s..e], fast, slow, sig);
        for k in 0..3 {
            out[k][s..e].copy_from_slice(&r[k]);
        }
    }
    out
}

fn hlc_runs(h: &[f64], l: &[f64], c: &[f64]) -> Vec<(usize, usize)> {
    runs(h.len(), |i| {
        h[i].is_finite() && l[i].is_finite() && c[i].is_finite()
    })
}

/// ATR with the NaN policy.
pub fn atr(h: &[f64], l: &[f64], c: &[f64], p: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; h.len()];
    for (s, e) in hlc_runs(h, l, c) {
        out[s..e].copy_from_slice(&atr_run(&h[s..e], &l[s..e], &c[s..e], p));
    }
    out
}

/// TRANGE with the NaN policy.
pub fn trange(h: &[f64], l: &[f64], c: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; h.len()];
    for (s, e) in hlc_runs(h, l, c) {
        out[s..e].copy_from_slice(&trange_run(&h[s..e], &l[s..e], &c[s..e]));
    }
    out
}
