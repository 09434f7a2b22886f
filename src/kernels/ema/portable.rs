//! The scan on `wide::f64x4` (two SSE2 registers on a default x86_64
//! build): 4-bar blocks whose local scan is computed off the critical
//! path, then `y = a^{j+1}·carry + z` as one vector multiply-add; the
//! loop-carried chain is one multiply-add per 4 bars.

use wide::f64x4;

/// `[a, a², a³, a⁴]`.
#[inline(always)]
fn powers4(a: f64) -> [f64; 4] {
    let a2 = a * a;
    let a3 = a2 * a;
    [a, a2, a3, a3 * a]
}

#[inline(always)]
fn load(s: &[f64], i: usize) -> f64x4 {
    let c: [f64; 4] = s[i..i + 4].try_into().unwrap();
    f64x4::new(c)
}

#[inline(always)]
fn store(s: &mut [f64], i: usize, v: f64x4) {
    s[i..i + 4].copy_from_slice(&v.to_array());
}

/// Local inclusive scan of one 4-bar block: `z_j = Σ_{m≤j} a^{j−m} b_m`.
#[inline(always)]
fn local(a: f64, b: f64x4) -> f64x4 {
    let b = b.to_array();
    let z1 = a * b[0] + b[1];
    let z2 = a * z1 + b[2];
    let z3 = a * z2 + b[3];
    f64x4::new([b[0], z1, z2, z3])
}

/// `out[i] = a·out[i−1] + c·x[i]`, starting from `y0`.
pub(crate) fn affine(a: f64, c: f64, x: &[f64], y0: f64, out: &mut [f64]) {
    let n = x.len();
    let pw = f64x4::new(powers4(a));
    let cv = f64x4::splat(c);
    let mut carry = y0;
    let mut i = 0;
    while i + 4 <= n {
        let z = local(a, cv * load(x, i));
        let y = pw.mul_add(f64x4::splat(carry), z);
        store(out, i, y);
        carry = y.to_array()[3];
        i += 4;
    }
    while i < n {
        carry = a * carry + c * x[i];
        out[i] = carry;
        i += 1;
    }
}

/// RSI after the seed (see `scalar::rsi_tail`), both Wilder averages
/// scanned side by side.
pub(crate) fn rsi_tail(period: usize, x: &[f64], g0: f64, l0: f64, out: &mut [f64]) {
    let n = out.len();
    let inv = 1.0 / period as f64;
    let a = (period - 1) as f64 * inv;
    let pw = f64x4::new(powers4(a));
    let iv = f64x4::splat(inv);
    let zero = f64x4::splat(0.0);
    let hundred = f64x4::splat(100.0);
    let (mut g, mut l) = (g0, l0);
    let mut i = 0;
    while i + 4 <= n {
        let d = load(x, i + 1) - load(x, i);
        let gain = d.fast_max(zero);
        let loss = gain - d;
        let gv = pw.mul_add(f64x4::splat(g), local(a, gain * iv));
        let lv = pw.mul_add(f64x4::splat(l), local(a, loss * iv));
        let s = gv + lv;
        let r = hundred * (gv / s);
        store(out, i, s.simd_gt(zero).select(r, zero));
        g = gv.to_array()[3];
        l = lv.to_array()[3];
        i += 4;
    }
    while i < n {
        let d = x[i + 1] - x[i];
        let gd = if d > 0.0 { d } else { 0.0 };
        g = a * g + gd * inv;
        l = a * l + (gd - d) * inv;
        out[i] = super::rsi_value(g, l);
        i += 1;
    }
}

#[inline(always)]
fn tr4(h: &[f64], l: &[f64], c: &[f64], i: usize) -> f64x4 {
    let (hv, lv, cv) = (load(h, i), load(l, i), load(c, i));
    (hv - lv).max((hv - cv).abs()).max((lv - cv).abs())
}

/// True range (see `scalar::trange`).
pub(crate) fn trange(h: &[f64], l: &[f64], c: &[f64], out: &mut [f64]) {
    let n = out.len();
    let mut i = 0;
    while i + 4 <= n {
        store(out, i, tr4(h, l, c, i));
        i += 4;
    }
    super::scalar::trange(&h[i..], &l[i..], &c[i..], &mut out[i..]);
}

/// ATR after the seed (see `scalar::atr_tail`).
pub(crate) fn atr_tail(period: usize, h: &[f64], l: &[f64], c: &[f64], y0: f64, out: &mut [f64]) {
    let n = out.len();
    let inv = 1.0 / period as f64;
    let a = (period - 1) as f64 / period as f64;
    let pw = f64x4::new(powers4(a));
    let iv = f64x4::splat(inv);
    let mut y = y0;
    let mut i = 0;
    while i + 4 <= n {
        let v = pw.mul_add(f64x4::splat(y), local(a, tr4(h, l, c, i) * iv));
        store(out, i, v);
        y = v.to_array()[3];
        i += 4;
    }
    while i < n {
        let cp = c[i];
        let tr = (h[i] - l[i]).max((h[i] - cp).abs()).max((l[i] - cp).abs());
        y = a * y + tr * inv;
        out[i] = y;
        i += 1;
    }
}

#[inline(always)]
fn gather(xs: &[&[f64]], t: usize) -> f64x4 {
    f64x4::new([xs[0][t], xs[1][t], xs[2][t], xs[3][t]])
}

#[inline(always)]
fn scatter(outs: &mut [&mut [f64]], t: usize, v: f64x4) {
    let v = v.to_array();
    for (o, &vi) in outs.iter_mut().zip(&v) {
        o[t] = vi;
    }
}

/// EMA of 4 series per vector; leftovers one by one. `n >= period >= 2`.
pub(crate) fn ema_many(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) {
    let n = xs[0].len();
    let k = 2.0 / (period + 1) as f64;
    let (av, kv) = (f64x4::splat(1.0 - k), f64x4::splat(k));
    let groups = xs.len() / 4;
    for g in 0..groups {
        let xg = &xs[4 * g..4 * g + 4];
        let og = &mut outs[4 * g..4 * g + 4];
        let mut s = f64x4::splat(0.0);
        for t in 0..period {
            s += gather(xg, t);
        }
        let mut y = s / f64x4::splat(period as f64);
        for o in og.iter_mut() {
            o[..period - 1].fill(f64::NAN);
        }
        scatter(og, period - 1, y);
        for t in period..n {
            y = av.mul_add(y, kv * gather(xg, t));
            scatter(og, t, y);
        }
    }
    let be = super::Be::Portable;
    for (x, o) in xs[4 * groups..].iter().zip(outs[4 * groups..].iter_mut()) {
        super::ema_run(be, x, period, o);
    }
}

/// RSI of 4 series per vector; leftovers one by one. `n > period >= 2`.
pub(crate) fn rsi_many(xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) {
    let n = xs[0].len();
    let inv = 1.0 / period as f64;
    let (av, iv) = (f64x4::splat((period - 1) as f64 * inv), f64x4::splat(inv));
    let zero = f64x4::splat(0.0);
    let hundred = f64x4::splat(100.0);
    let groups = xs.len() / 4;
    for gi in 0..groups {
        let xg = &xs[4 * gi..4 * gi + 4];
        let og = &mut outs[4 * gi..4 * gi + 4];
        let (mut g, mut l) = (zero, zero);
        let mut prev = gather(xg, 0);
        for t in 1..=period {
            let cur = gather(xg, t);
            let d = cur - prev;
            prev = cur;
            let gd = d.fast_max(zero);
            g += gd;
            l += gd - d;
        }
        g *= iv;
        l *= iv;
        for o in og.iter_mut() {
            o[..period].fill(f64::NAN);
        }
        let out = |g: f64x4, l: f64x4| {
            let s = g + l;
            s.simd_gt(zero).select(hundred * (g / s), zero)
        };
        scatter(og, period, out(g, l));
        for t in period + 1..n {
            let cur = gather(xg, t);
            let d = cur - prev;
            prev = cur;
            let gd = d.fast_max(zero);
            g = av.mul_add(g, gd * iv);
            l = av.mul_add(l, (gd - d) * iv);
            scatter(og, t, out(g, l));
        }
    }
    let be = super::Be::Portable;
    for (x, o) in xs[4 * groups..].iter().zip(outs[4 * groups..].iter_mut()) {
        super::rsi_run(be, x, period, o);
    }
}

/// MACD after the signal seed (see `scalar::macd_tail`): three scans fused
/// in one pass.
pub(crate) fn macd_tail(
    k: [f64; 3],
    x: &[f64],
    y: [f64; 3],
    m: &mut [f64],
    s: &mut [f64],
    h: &mut [f64],
) {
    let n = x.len();
    let a = [1.0 - k[0], 1.0 - k[1], 1.0 - k[2]];
    let pw = a.map(|a| f64x4::new(powers4(a)));
    let kv = k.map(f64x4::splat);
    let [mut ef, mut es, mut eg] = y;
    let mut i = 0;
    while i + 4 <= n {
        let xv = load(x, i);
        let fv = pw[0].mul_add(f64x4::splat(ef), local(a[0], kv[0] * xv));
        let sv = pw[1].mul_add(f64x4::splat(es), local(a[1], kv[1] * xv));
        let mv = fv - sv;
        let gv = pw[2].mul_add(f64x4::splat(eg), local(a[2], kv[2] * mv));
        store(m, i, mv);
        store(s, i, gv);
        store(h, i, mv - gv);
        ef = fv.to_array()[3];
        es = sv.to_array()[3];
        eg = gv.to_array()[3];
        i += 4;
    }
    while i < n {
        ef = a[0] * ef + k[0] * x[i];
        es = a[1] * es + k[1] * x[i];
        let v = ef - es;
        eg = a[2] * eg + k[2] * v;
        m[i] = v;
        s[i] = eg;
        h[i] = v - eg;
        i += 1;
    }
}
