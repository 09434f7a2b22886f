//! Recursive indicators (EMA, RSI, ATR, MACD) over one long series, chunk
//! by chunk in parallel, by composing the chunks' affine maps.
//!
//! # Algorithm
//!
//! After its seed, each indicator is an affine recurrence on a small state
//! `s` (EMA, ATR: the average; RSI: average gain and loss; MACD: fast,
//! slow and signal EMAs): `s_t = J·s_{t−1} + b_t`, `J` constant, `b_t` a
//! function of the bars. The series is split into finite runs (the NaN
//! policy restarts the seeding after a gap, as [`crate::ema`] does); each
//! run's warm-up and seed are computed serially exactly as the serial
//! indicator does (bit for bit, they are short), and its tail is cut on the
//! chunk grid. Then:
//!
//! 1. in parallel, each piece's composite map `s ↦ J^L·s + B` (`L` its
//!    length): `B` by Horner's rule from a zero state over the piece's last
//!    `W` bars, where `W` is the smallest count with `‖J‖^W ≤ 2⁻⁸⁰` (older
//!    bars contribute less than `2⁻⁸⁰·M`; a long piece costs `W` steps,
//!    not `L`), `J^L` by repeated squaring. RSI's bound is relative to its
//!    averages, which shrink geometrically in a flat run, so RSI keeps the
//!    horizon only where the older bars' share is below `2⁻⁶⁴` of the
//!    averages and sums the whole piece otherwise, and applies `a^L` in
//!    factors that cannot underflow before the state does;
//! 2. serially, the maps are applied in order from each run's seed, giving
//!    every piece's true initial state;
//! 3. in parallel, each piece runs the indicator's dispatched kernel from
//!    its initial state, writing its outputs in place.
//!
//! # Error bound
//!
//! With `ε = f64::EPSILON`, `η = 2⁻¹⁰⁷⁴`, `M` the largest `|input|` of the
//! run (price for EMA and MACD, true range for ATR) and `D` the bar's
//! average gain plus average loss (RSI), every output satisfies, against
//! the serial indicator on the scalar backend (TA-Lib's loop):
//! - EMA, ATR: `|Δ| ≤ 64·(p + 16)·(ε·M + η)`;
//! - MACD (macd, signal, hist): `|Δ| ≤ 192·(slow + signal + 32)·(ε·M + η)`;
//! - RSI: `|Δ| ≤ 200·64·(p + 16)·(ε + η/D)` RSI points;
//!
//! twice the bounds of [`crate::kernels::ema`] (one for the kernel run
//! from the carried state, one for the carried state itself: the Horner
//! sums and map applications round like the serial recurrence they replace,
//! and their errors decay with the same factor). For prices (`M` the price
//! level) and `p ≤ 30` the EMA/ATR bound is below `1e-12·M`. Warm-up NaNs,
//! gaps and seeds are bit-identical to the serial indicator; so is the
//! whole output when the series fits in one chunk. The results do not
//! depend on the number of threads.

use super::{ChunkLen, carve, finite_runs, par_each, par_map};
use crate::Backend;
use crate::Macd;
use crate::error::{Result, check_len};
use crate::kernels::ema::from_state;
use crate::kernels::ema::macd_order;
use crate::kernels::ema::run::{Be, resolve};

/// Bars after which `a^W ≤ 2⁻⁸⁰` (`0 ≤ a < 1`).
fn horizon(a: f64) -> usize {
    if a <= 0.0 {
        return 1;
    }
    let w = (80.0 * core::f64::consts::LN_2 / -a.ln()).ceil();
    if w.is_finite() && w < usize::MAX as f64 {
        w as usize + 1
    } else {
        usize::MAX
    }
}

/// Sum left to right from 0.0, divided by the count (TA-Lib's seed, as the
/// kernels compute it).
fn seed_mean(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in v {
        s += x;
    }
    s / v.len() as f64
}

/// A 3×3 matrix (row-major), for MACD's state map.
type Mat3 = [[f64; 3]; 3];

fn mat_mul(a: &Mat3, b: &Mat3) -> Mat3 {
    core::array::from_fn(|i| core::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

/// `m^e` by repeated squaring.
fn mat_pow(m: &Mat3, mut e: usize) -> Mat3 {
    let mut r: Mat3 =
        core::array::from_fn(|i| core::array::from_fn(|j| f64::from(u8::from(i == j))));
    let mut b = *m;
    while e > 0 {
        if e & 1 == 1 {
            r = mat_mul(&r, &b);
        }
        b = mat_mul(&b, &b);
        e >>= 1;
    }
    r
}

/// A recurrence after its seed: how to compose a piece's map and run the
/// kernel on a piece from a state.
trait Recurrence<const S: usize, const K: usize>: Sync {
    /// The composite map of bars `[p0, p1)`: `(J^L, B)`.
    fn map(&self, p0: usize, p1: usize) -> (Mat3, [f64; S]);
    /// The kernel on bars `[p0, p1)` from `state` into `outs`.
    fn run(&self, be: Be, p0: usize, p1: usize, state: [f64; S], outs: [&mut [f64]; K]);
    /// The state after bars `[p0, p1)` from `state`, given their map.
    fn apply(&self, _p0: usize, _p1: usize, map: &(Mat3, [f64; S]), state: [f64; S]) -> [f64; S] {
        apply(&map.0, &map.1, state)
    }
}

fn apply<const S: usize>(j: &Mat3, b: &[f64; S], s: [f64; S]) -> [f64; S] {
    core::array::from_fn(|i| (0..S).map(|k| j[i][k] * s[k]).sum::<f64>() + b[i])
}

/// A piece to run: its bars `[p0, p1)`, initial state and outputs.
type Task<'o, const S: usize, const K: usize> = (usize, usize, [f64; S], [&'o mut [f64]; K]);

/// Steps 1–3 of the module docs for the tails `(t0, end, seed state)`.
fn run_tails<const S: usize, const K: usize>(
    rec: &impl Recurrence<S, K>,
    tails: &[(usize, usize, [f64; S])],
    chunk: usize,
    outs: [&mut [f64]; K],
) -> Result<()> {
    let be = resolve(Backend::active())?;
    // Pieces on the chunk grid: (tail index, p0, p1).
    let mut pieces: Vec<(usize, usize, usize)> = Vec::new();
    for (ti, &(t0, e, _)) in tails.iter().enumerate() {
        let mut p0 = t0;
        while p0 < e {
            let p1 = ((p0 / chunk + 1) * chunk).min(e);
            pieces.push((ti, p0, p1));
            p0 = p1;
        }
    }
    let maps = par_map(&pieces, |&(_, p0, p1)| Ok(rec.map(p0, p1)))?;
    let mut starts = Vec::with_capacity(pieces.len());
    let mut state = [0.0; S];
    let mut last_tail = usize::MAX;
    for (&(ti, p0, p1), map) in pieces.iter().zip(&maps) {
        if ti != last_tail {
            state = tails[ti].2;
            last_tail = ti;
        }
        starts.push(state);
        state = rec.apply(p0, p1, map, state);
    }
    let ranges: Vec<(usize, usize)> = pieces.iter().map(|&(_, a, b)| (a, b)).collect();
    let mut carved = outs.map(|o| carve(o, &ranges).into_iter());
    let mut tasks: Vec<Task<'_, S, K>> = ranges
        .iter()
        .zip(&starts)
        .map(|(&(a, b), &s)| {
            let o = core::array::from_fn(|k| carved[k].next().unwrap_or_default());
            (a, b, s, o)
        })
        .collect();
    par_each(&mut tasks, |(a, b, s, o)| {
        rec.run(be, *a, *b, *s, o.each_mut().map(|p| &mut **p));
        Ok(())
    })
}

/// Fills every output with NaN, chunk by chunk in parallel.
fn fill_nan(outs: &mut [&mut [f64]], chunk: usize) -> Result<()> {
    for o in outs.iter_mut() {
        let mut pieces: Vec<&mut [f64]> = o.chunks_mut(chunk).collect();
        par_each(&mut pieces, |p| {
            p.fill(f64::NAN);
            Ok(())
        })?;
    }
    Ok(())
}

// ---------- EMA ----------

struct Ema<'a> {
    x: &'a [f64],
    k: f64,
    w: usize,
}

impl Recurrence<1, 1> for Ema<'_> {
    fn map(&self, p0: usize, p1: usize) -> (Mat3, [f64; 1]) {
        let a = 1.0 - self.k;
        let mut b = 0.0;
        for &v in &self.x[p1.saturating_sub(self.w).max(p0)..p1] {
            b = a * b + self.k * v;
        }
        let mut j = [[0.0; 3]; 3];
        j[0][0] = a.powf((p1 - p0) as f64);
        (j, [b])
    }
    fn run(&self, be: Be, p0: usize, p1: usize, s: [f64; 1], [o]: [&mut [f64]; 1]) {
        from_state::ema(be, self.k, &self.x[p0..p1], s[0], o);
    }
}

/// [`crate::ema`] over one long series, chunk by chunk in parallel (see the
/// module docs for the method and the bound; NaN policy as [`crate::ema`]).
/// Errors: as [`crate::ema`]; `ChunkLen::Fixed(0)` →
/// [`Error::InvalidPeriod`](crate::Error::InvalidPeriod) named `"chunk_len"`.
pub fn ema_chunked(x: &[f64], period: usize, chunk_len: impl Into<ChunkLen>) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    ema_chunked_into(x, period, chunk_len, &mut out)?;
    Ok(out)
}

/// [`ema_chunked`] into `out` (`x`'s length, else
/// [`Error::LengthMismatch`](crate::Error::LengthMismatch)); identical
/// values, no allocation of a series-long buffer (a repeated run reusing
/// `out` pays no page faults).
pub fn ema_chunked_into(
    x: &[f64],
    period: usize,
    chunk_len: impl Into<ChunkLen>,
    out: &mut [f64],
) -> Result<()> {
    crate::ema_lookback(period)?;
    let n = x.len();
    check_len("out", n, out.len())?;
    let chunk = chunk_len.into().resolve(n, period)?;
    fill_nan(&mut [&mut *out], chunk)?;
    let runs = finite_runs(n, chunk, |i| x[i].is_finite())?;
    if period == 1 {
        let mut pieces = carve(out, &runs);
        let mut tasks: Vec<(usize, &mut [f64])> =
            runs.iter().map(|r| r.0).zip(pieces.drain(..)).collect();
        return par_each(&mut tasks, |(s, o)| {
            o.copy_from_slice(&x[*s..*s + o.len()]);
            Ok(())
        });
    }
    let mut tails = Vec::new();
    for &(s, e) in &runs {
        if e - s >= period {
            let seed = seed_mean(&x[s..s + period]);
            out[s + period - 1] = seed;
            tails.push((s + period, e, [seed]));
        }
    }
    let k = 2.0 / (period + 1) as f64;
    let rec = Ema {
        x,
        k,
        w: horizon(1.0 - k),
    };
    run_tails(&rec, &tails, chunk, [out])
}

// ---------- RSI ----------

struct Rsi<'a> {
    x: &'a [f64],
    period: usize,
    w: usize,
}

impl Rsi<'_> {
    /// `(g, l)` after bars `[t0, p1)` from a zero state.
    fn horner(&self, t0: usize, p1: usize) -> [f64; 2] {
        let p = self.period as f64;
        let a = (p - 1.0) / p;
        let inv = 1.0 / p;
        let (mut g, mut l) = (0.0, 0.0);
        for t in t0..p1 {
            let d = self.x[t] - self.x[t - 1];
            let gd = if d > 0.0 { d } else { 0.0 };
            g = a * g + gd * inv;
            l = a * l + (gd - d) * inv;
        }
        [g, l]
    }
}

impl Recurrence<2, 1> for Rsi<'_> {
    /// RSI's bound is relative to `D = g + l`, which decays geometrically
    /// through a flat run, so the `W`-bar horizon is kept only where the
    /// older bars' share, at most `a^W·max|Δx|`, is below `2⁻⁶⁴·D`;
    /// otherwise `B` is summed over the whole piece (all terms are ≥ 0, so
    /// it rounds relative to `D` like the serial recurrence).
    fn map(&self, p0: usize, p1: usize) -> (Mat3, [f64; 2]) {
        let t0 = p1.saturating_sub(self.w).max(p0);
        let mut b = self.horner(t0, p1);
        if t0 > p0 {
            let older = &self.x[p0 - 1..t0];
            let max_move = older
                .windows(2)
                .fold(0.0f64, |m, w| m.max((w[1] - w[0]).abs()));
            // a^W ≤ 2⁻⁸⁰ (see `horizon`).
            if max_move * 2f64.powi(-80) > 2f64.powi(-64) * (b[0] + b[1]) {
                b = self.horner(p0, p1);
            }
        }
        ([[0.0; 3]; 3], b)
    }
    fn run(&self, be: Be, p0: usize, p1: usize, s: [f64; 2], [o]: [&mut [f64]; 1]) {
        from_state::rsi(be, self.period, &self.x[p0 - 1..p1], s[0], s[1], o);
    }
    /// `a^L·s + B` with `a^L` applied in factors of at least `2⁻⁵⁰⁰`: a
    /// single `a^L` underflows long before `a^L·s` does when the averages
    /// are large, and the ratio `g : l` is the output.
    fn apply(&self, p0: usize, p1: usize, map: &(Mat3, [f64; 2]), s: [f64; 2]) -> [f64; 2] {
        let p = self.period as f64;
        let a = (p - 1.0) / p;
        let step = (500.0 * core::f64::consts::LN_2 / -a.ln()).floor().max(1.0);
        let mut left = (p1 - p0) as f64;
        let mut s = s;
        while left > 0.0 && (s[0] != 0.0 || s[1] != 0.0) {
            let f = a.powf(left.min(step));
            s = [s[0] * f, s[1] * f];
            left -= left.min(step);
        }
        [s[0] + map.1[0], s[1] + map.1[1]]
    }
}

/// RSI from the two averages (TA-Lib 0.8.1: exact test, flat → 0).
fn rsi_value(g: f64, l: f64) -> f64 {
    let s = g + l;
    if s > 0.0 { 100.0 * (g / s) } else { 0.0 }
}

/// [`crate::rsi`] over one long series, chunk by chunk in parallel (see the
/// module docs). Errors: as [`crate::rsi`] and [`ema_chunked`].
pub fn rsi_chunked(x: &[f64], period: usize, chunk_len: impl Into<ChunkLen>) -> Result<Vec<f64>> {
    crate::rsi_lookback(period)?;
    let n = x.len();
    let chunk = chunk_len.into().resolve(n, period)?;
    let mut out = vec![0.0; n];
    fill_nan(&mut [&mut out], chunk)?;
    let runs = finite_runs(n, chunk, |i| x[i].is_finite())?;
    let inv = 1.0 / period as f64;
    let mut tails = Vec::new();
    for &(s, e) in &runs {
        if e - s > period {
            let (mut g, mut l) = (0.0, 0.0);
            for i in s + 1..=s + period {
                let d = x[i] - x[i - 1];
                let gd = if d > 0.0 { d } else { 0.0 };
                g += gd;
                l += gd - d;
            }
            let (g, l) = (g * inv, l * inv);
            out[s + period] = rsi_value(g, l);
            tails.push((s + period + 1, e, [g, l]));
        }
    }
    let p = period as f64;
    let rec = Rsi {
        x,
        period,
        w: horizon((p - 1.0) / p),
    };
    run_tails(&rec, &tails, chunk, [&mut out])?;
    Ok(out)
}

// ---------- ATR ----------

struct Atr<'a> {
    h: &'a [f64],
    l: &'a [f64],
    c: &'a [f64],
    period: usize,
    w: usize,
}

impl Atr<'_> {
    /// True range at bar `i ≥ 1` (the kernels' formula, bit-identical on
    /// every backend).
    fn tr(&self, i: usize) -> f64 {
        let cp = self.c[i - 1];
        (self.h[i] - self.l[i])
            .max((self.h[i] - cp).abs())
            .max((self.l[i] - cp).abs())
    }
}

impl Recurrence<1, 1> for Atr<'_> {
    fn map(&self, p0: usize, p1: usize) -> (Mat3, [f64; 1]) {
        let p = self.period as f64;
        let a = (p - 1.0) / p;
        let mut b = 0.0;
        for t in p1.saturating_sub(self.w).max(p0)..p1 {
            b = a * b + self.tr(t) / p;
        }
        let mut j = [[0.0; 3]; 3];
        j[0][0] = a.powf((p1 - p0) as f64);
        (j, [b])
    }
    fn run(&self, be: Be, p0: usize, p1: usize, s: [f64; 1], [o]: [&mut [f64]; 1]) {
        let (h, l, c) = (&self.h[p0..p1], &self.l[p0..p1], &self.c[p0 - 1..p1 - 1]);
        from_state::atr(be, self.period, h, l, c, s[0], o);
    }
}

/// [`crate::atr`] over one long series, chunk by chunk in parallel (see the
/// module docs; TRANGE, `period == 1`, is bit-identical). Errors: as
/// [`crate::atr`] and [`ema_chunked`].
pub fn atr_chunked(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    chunk_len: impl Into<ChunkLen>,
) -> Result<Vec<f64>> {
    crate::atr_lookback(period)?;
    check_len("low", high.len(), low.len())?;
    check_len("close", high.len(), close.len())?;
    let n = high.len();
    let chunk = chunk_len.into().resolve(n, period)?;
    let mut out = vec![0.0; n];
    fill_nan(&mut [&mut out], chunk)?;
    let fin = |i: usize| high[i].is_finite() && low[i].is_finite() && close[i].is_finite();
    let runs = finite_runs(n, chunk, fin)?;
    let p = period as f64;
    let rec = Atr {
        h: high,
        l: low,
        c: close,
        period,
        w: horizon((p - 1.0) / p),
    };
    if period == 1 {
        // TRANGE: bar-local, NaN on the first bar of each run.
        let ranges: Vec<(usize, usize)> = runs.iter().map(|&(s, e)| (s + 1, e)).collect();
        let mut tasks: Vec<(usize, &mut [f64])> = ranges
            .iter()
            .map(|r| r.0)
            .zip(carve(&mut out, &ranges))
            .collect();
        par_each(&mut tasks, |(s, o)| {
            for (j, v) in o.iter_mut().enumerate() {
                *v = rec.tr(*s + j);
            }
            Ok(())
        })?;
        return Ok(out);
    }
    let mut tails = Vec::new();
    for &(s, e) in &runs {
        if e - s > period {
            let mut sum = 0.0;
            for i in s + 1..=s + period {
                sum += rec.tr(i);
            }
            let y0 = sum / p;
            out[s + period] = y0;
            tails.push((s + period + 1, e, [y0]));
        }
    }
    run_tails(&rec, &tails, chunk, [&mut out])?;
    Ok(out)
}

// ---------- MACD ----------

struct MacdRec<'a> {
    x: &'a [f64],
    k: [f64; 3],
    sig1: bool,
    w: usize,
}

impl MacdRec<'_> {
    /// One step's matrix: `ef' = af·ef + kf·x`, `es' = as·es + ks·x`,
    /// `eg' = ag·eg + kg·(ef' − es')`.
    fn step(&self) -> Mat3 {
        let [kf, ks, kg] = self.k;
        let (af, as_, ag) = (1.0 - kf, 1.0 - ks, 1.0 - kg);
        [[af, 0.0, 0.0], [0.0, as_, 0.0], [kg * af, -kg * as_, ag]]
    }
}

impl Recurrence<3, 3> for MacdRec<'_> {
    fn map(&self, p0: usize, p1: usize) -> (Mat3, [f64; 3]) {
        let [kf, ks, kg] = self.k;
        let (af, as_, ag) = (1.0 - kf, 1.0 - ks, 1.0 - kg);
        let (mut ef, mut es, mut eg) = (0.0, 0.0, 0.0);
        for &v in &self.x[p1.saturating_sub(self.w).max(p0)..p1] {
            ef = af * ef + kf * v;
            es = as_ * es + ks * v;
            eg = ag * eg + kg * (ef - es);
        }
        (mat_pow(&self.step(), p1 - p0), [ef, es, eg])
    }
    fn run(&self, be: Be, p0: usize, p1: usize, s: [f64; 3], [m, g, h]: [&mut [f64]; 3]) {
        from_state::macd(be, self.k, self.sig1, &self.x[p0..p1], s, m, g, h);
        if self.sig1 {
            // TA-Lib's explicit arm: signal = macd, hist = macd − signal.
            for i in 0..m.len() {
                g[i] = m[i];
                h[i] = m[i] - g[i];
            }
        }
    }
}

/// [`crate::macd`] over one long series, chunk by chunk in parallel (see
/// the module docs; the serial warm-up of each run is bit-identical).
/// Errors: as [`crate::macd`] and [`ema_chunked`].
pub fn macd_chunked(
    x: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    chunk_len: impl Into<ChunkLen>,
) -> Result<Macd> {
    crate::macd_lookback(fast, slow, signal)?;
    let (fast, slow) = macd_order(fast, slow);
    let n = x.len();
    let chunk = chunk_len.into().resolve(n, slow + signal)?;
    let mut r = Macd {
        macd: vec![0.0; n],
        signal: vec![0.0; n],
        hist: vec![0.0; n],
    };
    fill_nan(&mut [&mut r.macd, &mut r.signal, &mut r.hist], chunk)?;
    let runs = finite_runs(n, chunk, |i| x[i].is_finite())?;
    let kf = 2.0 / (fast + 1) as f64;
    let ks = 2.0 / (slow + 1) as f64;
    let kg = if signal == 1 {
        1.0
    } else {
        2.0 / (signal + 1) as f64
    };
    let lb = (slow - 1) + (signal - 1);
    let mut tails = Vec::new();
    for &(s, e) in &runs {
        if e - s <= lb {
            continue;
        }
        // The warm-up exactly as the serial kernel runs it.
        let mut ef = seed_mean(&x[s + slow - fast..s + slow]);
        let mut es = seed_mean(&x[s..s + slow]);
        let mut sum = ef - es;
        let mut last = ef - es;
        for &v in &x[s + slow..=s + lb] {
            ef = (v - ef) * kf + ef;
            es = (v - es) * ks + es;
            last = ef - es;
            sum += last;
        }
        let eg = if signal == 1 {
            last
        } else {
            sum / signal as f64
        };
        r.macd[s + lb] = last;
        r.signal[s + lb] = eg;
        r.hist[s + lb] = last - eg;
        tails.push((s + lb + 1, e, [ef, es, eg]));
    }
    let amax = [kf, ks, kg].iter().fold(0.0f64, |m, k| m.max(1.0 - k));
    let rec = MacdRec {
        x,
        k: [kf, ks, kg],
        sig1: signal == 1,
        w: horizon(amax).saturating_mul(2),
    };
    run_tails(
        &rec,
        &tails,
        chunk,
        [&mut r.macd, &mut r.signal, &mut r.hist],
    )?;
    Ok(r)
}
