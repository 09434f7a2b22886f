//! The plain serial recurrences, in TA-Lib 0.8.1's arithmetic order.

/// `y = (x − y)·k + y` for each `x`, from `y0`.
pub(crate) fn ema_tail(k: f64, x: &[f64], y0: f64, out: &mut [f64]) {
    let mut y = y0;
    for (o, &v) in out.iter_mut().zip(x) {
        y = (v - y) * k + y;
        *o = y;
    }
}

/// RSI after the seed: `x[0]` is the bar of the seed output, `out[j]` the
/// RSI at bar `j + 1` of `x`.
pub(crate) fn rsi_tail(period: usize, x: &[f64], g0: f64, l0: f64, out: &mut [f64]) {
    let pm1 = (period - 1) as f64;
    let inv = 1.0 / period as f64;
    let (mut g, mut l) = (g0, l0);
    for (j, o) in out.iter_mut().enumerate() {
        let d = x[j + 1] - x[j];
        let gd = if d > 0.0 { d } else { 0.0 };
        g = (g * pm1 + gd) * inv;
        l = (l * pm1 + (gd - d)) * inv;
        *o = super::rsi_value(g, l);
    }
}

/// True range: `h[j], l[j]` against the previous close `c[j]`.
pub(crate) fn trange(h: &[f64], l: &[f64], c: &[f64], out: &mut [f64]) {
    for (j, o) in out.iter_mut().enumerate() {
        let cp = c[j];
        *o = (h[j] - l[j]).max((h[j] - cp).abs()).max((l[j] - cp).abs());
    }
}

/// ATR after the seed: `out[j]` from `h[j], l[j]` and previous close `c[j]`.
pub(crate) fn atr_tail(period: usize, h: &[f64], l: &[f64], c: &[f64], y0: f64, out: &mut [f64]) {
    let pm1 = (period - 1) as f64;
    let p = period as f64;
    let mut y = y0;
    for (j, o) in out.iter_mut().enumerate() {
        let cp = c[j];
        let tr = (h[j] - l[j]).max((h[j] - cp).abs()).max((l[j] - cp).abs());
        y = (y * pm1 + tr) / p;
        *o = y;
    }
}

/// MACD after the signal seed: fast, slow and signal EMAs in lockstep, in
/// TA-Lib's order; `k = [fast, slow, signal]`, `y` their previous values.
pub(crate) fn macd_tail(
    k: [f64; 3],
    sig1: bool,
    x: &[f64],
    y: [f64; 3],
    m: &mut [f64],
    s: &mut [f64],
    h: &mut [f64],
) {
    let [kf, ks, kg] = k;
    let [mut ef, mut es, mut eg] = y;
    for i in 0..x.len() {
        ef = (x[i] - ef) * kf + ef;
        es = (x[i] - es) * ks + es;
        let v = ef - es;
        eg = if sig1 { v } else { (v - eg) * kg + eg };
        m[i] = v;
        s[i] = eg;
        h[i] = v - eg;
    }
}
