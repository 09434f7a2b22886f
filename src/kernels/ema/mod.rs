//! Recursive indicators on an affine-recurrence scan: EMA, Wilder's RSI,
//! ATR/TRANGE and MACD, single series and (EMA, RSI) many series at once.
//!
//! # Algorithm
//!
//! Every recursion here is a first-order affine recurrence
//! `y_i = a·y_{i−1} + b_i`, with a constant `0 <= a < 1`:
//! EMA `a = 1 − k`, `b_i = k·x_i`, `k = 2/(p+1)`; Wilder (RSI, ATR)
//! `a = (p−1)/p`, `b_i = v_i/p`. TA-Lib evaluates it one bar at a time,
//! which chains two or three dependent floating-point operations per bar
//! (≈ 9–10 cycles): the loop is latency-bound.
//!
//! The vector backends scan instead. Within a 4-lane vector, two
//! shift-and-FMA steps (Hillis–Steele) give `z_j = Σ_{m≤j} a^{j−m} b_m`;
//! four vectors are composed into a 16-bar block map off the critical path,
//! and the block's outputs are `y_j = z_j + a^{j+1}·carry` (one FMA each with
//! a broadcast carry). The loop-carried chain is then one FMA per 16 bars.
//! RSI computes gains and losses from the vectorized differences and runs
//! its two Wilder scans side by side, then divides vectorized; ATR computes
//! the true range vectorized and runs one Wilder scan.
//!
//! MACD's three EMAs (fast, slow, and the signal line on their difference)
//! run fused in one pass after a short serial warm-up of `signal − 1`
//! bars. TA-Lib 0.8.1 also runs them in one lockstep loop, whose three
//! chains overlap, so three block scans (each ≈ one EMA) gained only 1.5×
//! on it. The AVX2 path therefore unrolls each recurrence by four instead:
//! `y_i = a⁴·y_{i−4} + k·(x_i + a·x_{i−1} + a²·x_{i−2} + a³·x_{i−3})`, the
//! bracket a 4-tap filter evaluated from unaligned loads (the signal's from
//! shifted copies of the previous MACD vector), so a whole vector of 4 bars
//! follows from the previous one with one FMA and no in-register scan: 15
//! multiplies/FMAs, 2 subtractions and 3 shuffles per 4 bars for all three
//! lines, where the block scans needed 36 shuffles more per 16 bars.
//!
//! The many-series functions put 4 series in the lanes of one register
//! (4×4 transposes in and out), so each bar is one FMA per 4 series, with 2
//! groups of 4 interleaved to hide the FMA latency.
//!
//! The [`Backend::Scalar`] path is the plain serial recurrence in TA-Lib
//! 0.8.1's arithmetic order (EMA `(x − y)·k + y`; RSI
//! `(g·(p−1) + gain)·(1/p)`; ATR `(y·(p−1) + tr)/p`); seeds are summed left
//! to right and divided by `p` on every backend.
//!
//! # Error bound
//!
//! The scan reassociates, so the vector backends are not bit-identical to
//! the serial loop. Write `ε = f64::EPSILON`, `η = 2^−1074` (the smallest
//! subnormal), and let `M` be the largest `|input|` of the run up to that
//! bar (price for EMA, true range for ATR, price for MACD). Against the
//! scalar backend, every output satisfies
//! - EMA, ATR: `|Δ| ≤ 32·(p + 16)·(ε·M + η)`;
//! - MACD (macd, signal, hist): `|Δ| ≤ 96·(slow + signal + 32)·(ε·M + η)`;
//! - RSI: `|Δ| ≤ 100 · 64·(p + 16)·(ε + η/D)` RSI points, where `D` is the
//!   bar's average gain plus average loss (the `η/D` term only matters when
//!   the averages are subnormal, where roundings are absolute, not
//!   relative: there RSI itself has few significant bits).
//!
//! Why: each block adds a few roundings of size `ε·M`; `|a| < 1` makes old
//! errors decay by `a^16` per block, so they sum to at most
//! `≈ 16/(1 − a^16) ≈ p` block errors. MACD's unrolled form is the same
//! argument with 4-bar steps: each adds about ten roundings of size `ε·M`
//! (the filter's terms are at most `4·M`) and they decay by `a⁴` per step,
//! `≈ p/4` steps' worth. RSI's gain and loss averages are sums
//! of non-negative terms (no cancellation), so their relative error stays at
//! that level; RSI is their ratio. (Stretches of many more than `p` bars
//! with *exactly* zero change make TA-Lib's own loop drift by up to ~3ε
//! relative per bar; the bound holds for the generators in the tests, which
//! include constant runs of up to 300 bars.) The tests assert exactly these
//! bounds on adversarial inputs against the serial reference.
//!
//! Bit-identical across all backends: warm-up NaNs, seeds (first output of
//! EMA, RSI, ATR, and MACD's first line value), TRANGE, EMA with period 1.
//!
//! # NaN / ±inf
//!
//! These kernels treat the slice as one run starting at bar 0, exactly as
//! TA-Lib called with `startIdx = 0`: a non-finite input propagates through
//! the recursion into every later output. The indicator layer
//! ([`crate::ema`] and friends) splits the series into finite runs and
//! calls these kernels on each.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod portable;
mod scalar;

#[cfg(target_arch = "x86_64")]
use crate::dispatch::Avx2Fma;
use crate::error::{Result, check_len, check_period};
use crate::{Backend, Error};

/// TA-Lib's largest period.
const MAX_PERIOD: usize = 100_000;

/// A backend resolved to something callable.
#[derive(Clone, Copy)]
pub(crate) enum Be {
    Scalar,
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2Fma),
}

pub(crate) fn resolve(backend: Backend) -> Result<Be> {
    backend.check()?;
    match backend {
        Backend::Scalar => Ok(Be::Scalar),
        Backend::Portable => Ok(Be::Portable),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => Avx2Fma::try_new()
            .map(Be::Avx2)
            .ok_or(Error::BackendUnavailable { backend }),
        #[cfg(not(target_arch = "x86_64"))]
        Backend::Avx2 => Err(Error::BackendUnavailable { backend }),
    }
}

/// Sum left to right from 0.0, divided by `p` (TA-Lib's seed).
#[inline]
fn seed_mean(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in v {
        s += x;
    }
    s / v.len() as f64
}

/// `out[i] = a·out[i−1] + k·x[i]` from `y0`; scalar: `(x − y)·k + y`.
fn ema_tail(be: Be, k: f64, x: &[f64], y0: f64, out: &mut [f64]) {
    debug_assert_eq!(x.len(), out.len());
    match be {
        Be::Scalar => scalar::ema_tail(k, x, y0, out),
        Be::Portable => portable::affine(1.0 - k, k, x, y0, out),
        #[cfg(target_arch = "x86_64")]
        Be::Avx2(t) => avx2::affine(t, 1.0 - k, k, x, y0, out),
    }
}

pub(crate) fn ema_run(be: Be, x: &[f64], period: usize, out: &mut [f64]) {
    let n = x.len();
    if period == 1 {
        out.copy_from_slice(x);
        return;
    }
    let lb = period - 1;
    if n <= lb {
        out.fill(f64::NAN);
        return;
    }
    out[..lb].fill(f64::NAN);
    let seed = seed_mean(&x[..period]);
    out[lb] = seed;
    let k = 2.0 / (period + 1) as f64;
    ema_tail(be, k, &x[period..], seed, &mut out[period..]);
}

/// TA-Lib's EMA of `x` (seed = mean of the first `period` values at bar
/// `period − 1`, then `k = 2/(period+1)`) into `out`; NaN before the seed.
/// Period 1 copies `x`. Errors: `period` outside `1..=100000` →
/// [`Error::InvalidPeriod`]; `out.len() != x.len()` →
/// [`Error::LengthMismatch`].
pub fn ema(backend: Backend, x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_period("period", period, 1, MAX_PERIOD)?;
    check_len("out", x.len(), out.len())?;
    let be = resolve(backend)?;
    ema_run(be, x, period, out);
    Ok(())
}

/// RSI output from the two averages (TA-Lib 0.8.1: exact test, flat → 0).
#[inline(always)]
fn rsi_value(g: f64, l: f64) -> f64 {
    let s = g + l;
    if s > 0.0 { 100.0 * (g / s) } else { 0.0 }
}

/// The seed averages over the first `period` changes (`x.len() > period`):
/// gains and losses summed left to right, times `1/period`.
#[inline]
fn rsi_seed(x: &[f64], period: usize) -> (f64, f64) {
    let inv = 1.0 / period as f64;
    let (mut g, mut l) = (0.0, 0.0);
    for i in 1..=period {
        let d = x[i] - x[i - 1];
        let gd = if d > 0.0 { d } else { 0.0 };
        g += gd;
        l += gd - d;
    }
    (g * inv, l * inv)
}

pub(crate) fn rsi_run(be: Be, x: &[f64], period: usize, out: &mut [f64]) {
    let n = x.len();
    if n <= period {
        out.fill(f64::NAN);
        return;
    }
    out[..period].fill(f64::NAN);
    let (g, l) = rsi_seed(x, period);
    out[period] = rsi_value(g, l);
    let xs = &x[period..];
    let os = &mut out[period + 1..];
    match be {
        Be::Scalar => scalar::rsi_tail(period, xs, g, l, os),
        Be::Portable => portable::rsi_tail(period, xs, g, l, os),
        #[cfg(target_arch = "x86_64")]
        Be::Avx2(t) => avx2::rsi_tail(t, period, xs, g, l, os),
    }
}

/// TA-Lib's RSI (Wilder) of `x` into `out`: lookback `period`; the averages
/// are seeded with the mean gain and loss of the first `period` changes and
/// then follow `avg = (avg·(p−1) + cur)/p`; `RSI = 100·g/(g + l)`, and `0`
/// when `g + l == 0` (TA-Lib 0.8.1's rule). Errors: `period` outside
/// `2..=100000`; `out.len() != x.len()`.
pub fn rsi(backend: Backend, x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_period("period", period, 2, MAX_PERIOD)?;
    check_len("out", x.len(), out.len())?;
    let be = resolve(backend)?;
    rsi_run(be, x, period, out);
    Ok(())
}

/// True range at bar `i ≥ 1`.
#[inline(always)]
fn tr_at(h: &[f64], l: &[f64], c: &[f64], i: usize) -> f64 {
    let cp = c[i - 1];
    (h[i] - l[i]).max((h[i] - cp).abs()).max((l[i] - cp).abs())
}

pub(crate) fn trange_run(be: Be, h: &[f64], l: &[f64], c: &[f64], out: &mut [f64]) {
    let n = out.len();
    if n == 0 {
        return;
    }
    out[0] = f64::NAN;
    if n == 1 {
        return;
    }
    match be {
        Be::Scalar => scalar::trange(&h[1..], &l[1..], &c[..n - 1], &mut out[1..]),
        Be::Portable => portable::trange(&h[1..], &l[1..], &c[..n - 1], &mut out[1..]),
        #[cfg(target_arch = "x86_64")]
        Be::Avx2(t) => avx2::trange(t, &h[1..], &l[1..], &c[..n - 1], &mut out[1..]),
    }
}

pub(crate) fn atr_run(be: Be, h: &[f64], l: &[f64], c: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        trange_run(be, h, l, c, out);
        return;
    }
    let n = out.len();
    if n <= period {
        out.fill(f64::NAN);
        return;
    }
    out[..period].fill(f64::NAN);
    let mut s = 0.0;
    for i in 1..=period {
        s += tr_at(h, l, c, i);
    }
    let y0 = s / period as f64;
    out[period] = y0;
    let (hs, ls, cs) = (&h[period + 1..], &l[period + 1..], &c[period..n - 1]);
    let os = &mut out[period + 1..];
    match be {
        Be::Scalar => scalar::atr_tail(period, hs, ls, cs, y0, os),
        Be::Portable => portable::atr_tail(period, hs, ls, cs, y0, os),
        #[cfg(target_arch = "x86_64")]
        Be::Avx2(t) => avx2::atr_tail(t, period, hs, ls, cs, y0, os),
    }
}

/// TA-Lib's TRANGE into `out`: `max(h−l, |h−c_prev|, |l−c_prev|)` from bar 1
/// (bar 0 is NaN). Errors: high, low, close or out of different lengths.
pub fn trange(
    backend: Backend,
    high: &[f64],
    low: &[f64],
    close: &[f64],
    out: &mut [f64],
) -> Result<()> {
    check_len("low", high.len(), low.len())?;
    check_len("close", high.len(), close.len())?;
    check_len("out", high.len(), out.len())?;
    let be = resolve(backend)?;
    trange_run(be, high, low, close, out);
    Ok(())
}

/// TA-Lib's ATR into `out`: lookback `period`, seed = mean of TR[1..=p],
/// then `atr = (atr·(p−1) + tr)/p`; period 1 gives TRANGE. Errors: `period`
/// outside `1..=100000`; lengths differ.
pub fn atr(
    backend: Backend,
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<()> {
    check_period("period", period, 1, MAX_PERIOD)?;
    check_len("low", high.len(), low.len())?;
    check_len("close", high.len(), close.len())?;
    check_len("out", high.len(), out.len())?;
    let be = resolve(backend)?;
    atr_run(be, high, low, close, period, out);
    Ok(())
}

/// MACD's `(fast, slow)` after TA-Lib's swap (slow is the larger).
#[inline]
pub(crate) fn macd_order(fast: usize, slow: usize) -> (usize, usize) {
    if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn macd_run(
    be: Be,
    x: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    m: &mut [f64],
    s: &mut [f64],
    h: &mut [f64],
) {
    let (fast, slow) = macd_order(fast, slow);
    let n = x.len();
    let lb = (slow - 1) + (signal - 1);
    if n <= lb {
        m.fill(f64::NAN);
        s.fill(f64::NAN);
        h.fill(f64::NAN);
        return;
    }
    let first = slow - 1;
    let mut ef = seed_mean(&x[slow - fast..slow]);
    let mut es = seed_mean(&x[..slow]);
    let kf = 2.0 / (fast + 1) as f64;
    let ks = 2.0 / (slow + 1) as f64;
    let kg = 2.0 / (signal + 1) as f64;
    // Signal warm-up (signal − 1 bars, serial in TA-Lib's order on every
    // backend): the MACD line and the signal seed.
    let mut sum = ef - es;
    m[first] = ef - es;
    for i in slow..=lb {
        ef = (x[i] - ef) * kf + ef;
        es = (x[i] - es) * ks + es;
        m[i] = ef - es;
        sum += m[i];
    }
    let eg = if signal == 1 {
        m[lb]
    } else {
        sum / signal as f64
    };
    s[lb] = eg;
    h[lb] = m[lb] - eg;
    // Then the three recursions in lockstep, fused in one pass.
    let (xs, ms, ss, hs) = (
        &x[lb + 1..],
        &mut m[lb + 1..],
        &mut s[lb + 1..],
        &mut h[lb + 1..],
    );
    let kg = if signal == 1 { 1.0 } else { kg };
    match be {
        Be::Scalar => scalar::macd_tail([kf, ks, kg], signal == 1, xs, [ef, es, eg], ms, ss, hs),
        Be::Portable => portable::macd_tail([kf, ks, kg], xs, [ef, es, eg], ms, ss, hs),
        #[cfg(target_arch = "x86_64")]
        Be::Avx2(t) => avx2::macd_tail(t, [kf, ks, kg], xs, [ef, es, eg], ms, ss, hs),
    }
    if signal == 1 {
        // TA-Lib's explicit arm: signal = macd, hist = macd − signal.
        for i in lb..n {
            s[i] = m[i];
            h[i] = m[i] - s[i];
        }
    }
    m[..lb].fill(f64::NAN);
    s[..lb].fill(f64::NAN);
    h[..lb].fill(f64::NAN);
}

/// TA-Lib's MACD into `(macd, signal, hist)`: `fast`/`slow` swapped if
/// `fast > slow`; both price EMAs seeded on windows ending at bar
/// `slow − 1`; the signal EMA seeded with the mean of the first `signal`
/// MACD values; lookback `(slow−1) + (signal−1)`; `signal == 1` gives
/// `signal = macd`, `hist = 0`. Errors: fast or slow outside `2..=100000`,
/// signal outside `1..=100000`; output lengths differ from `x.len()`.
#[allow(clippy::too_many_arguments)]
pub fn macd(
    backend: Backend,
    x: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    macd_out: &mut [f64],
    signal_out: &mut [f64],
    hist_out: &mut [f64],
) -> Result<()> {
    check_period("fast_period", fast, 2, MAX_PERIOD)?;
    check_period("slow_period", slow, 2, MAX_PERIOD)?;
    check_period("signal_period", signal, 1, MAX_PERIOD)?;
    check_len("macd_out", x.len(), macd_out.len())?;
    check_len("signal_out", x.len(), signal_out.len())?;
    check_len("hist_out", x.len(), hist_out.len())?;
    let be = resolve(backend)?;
    macd_run(be, x, fast, slow, signal, macd_out, signal_out, hist_out);
    Ok(())
}

/// Checks a batch: every series and output of length `xs[0].len()`, as many
/// outputs as series.
fn check_many(xs: &[&[f64]], outs: &[&mut [f64]]) -> Result<()> {
    check_len("outs", xs.len(), outs.len())?;
    let n = xs.first().map_or(0, |x| x.len());
    for x in xs {
        check_len("xs[i]", n, x.len())?;
    }
    for o in outs {
        check_len("outs[i]", n, o.len())?;
    }
    Ok(())
}

/// [`ema`] over many series of one length at once: `outs[j]` receives the
/// EMA of `xs[j]`. On the AVX2 and portable backends 4 series share one
/// vector (one FMA per bar per 4 series; same error bound as [`ema`]).
/// Errors: as [`ema`], plus series or outputs of unequal length or
/// `outs.len() != xs.len()` → [`Error::LengthMismatch`].
pub fn ema_many(
    backend: Backend,
    xs: &[&[f64]],
    period: usize,
    outs: &mut [&mut [f64]],
) -> Result<()> {
    check_period("period", period, 1, MAX_PERIOD)?;
    check_many(xs, outs)?;
    let be = resolve(backend)?;
    ema_many_run(be, xs, period, outs);
    Ok(())
}

pub(crate) fn ema_many_run(be: Be, xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) {
    let n = xs.first().map_or(0, |x| x.len());
    if period == 1 || n < period || matches!(be, Be::Scalar) {
        for (x, o) in xs.iter().zip(outs.iter_mut()) {
            ema_run(be, x, period, o);
        }
        return;
    }
    match be {
        Be::Scalar => unreachable!(),
        Be::Portable => portable::ema_many(xs, period, outs),
        #[cfg(target_arch = "x86_64")]
        Be::Avx2(t) => avx2::ema_many(t, xs, period, outs),
    }
}

/// [`rsi`] over many series of one length at once (see [`ema_many`]; same
/// error bound as [`rsi`]).
pub fn rsi_many(
    backend: Backend,
    xs: &[&[f64]],
    period: usize,
    outs: &mut [&mut [f64]],
) -> Result<()> {
    check_period("period", period, 2, MAX_PERIOD)?;
    check_many(xs, outs)?;
    let be = resolve(backend)?;
    rsi_many_run(be, xs, period, outs);
    Ok(())
}

pub(crate) fn rsi_many_run(be: Be, xs: &[&[f64]], period: usize, outs: &mut [&mut [f64]]) {
    let n = xs.first().map_or(0, |x| x.len());
    if n <= period || matches!(be, Be::Scalar) {
        for (x, o) in xs.iter().zip(outs.iter_mut()) {
            rsi_run(be, x, period, o);
        }
        return;
    }
    match be {
        Be::Scalar => unreachable!(),
        Be::Portable => portable::rsi_many(xs, period, outs),
        #[cfg(target_arch = "x86_64")]
        Be::Avx2(t) => avx2::rsi_many(t, xs, period, outs),
    }
}

/// Crate-internal entry points for the indicator layer, which has already
/// validated everything and works on finite runs.
pub(crate) mod run {
    pub(crate) use super::{Be, atr_run, ema_run, macd_run, resolve, rsi_run, trange_run};
}

/// The recursions after their seeds, from a given state: the chunked
/// (multi-threaded) long-series indicators in [`crate::parallel`] run each
/// chunk from the state the chunks before it leave.
pub(crate) mod from_state {
    #[cfg(target_arch = "x86_64")]
    use super::avx2;
    use super::{Be, portable, scalar};

    /// `out[i] = (1 − k)·out[i−1] + k·x[i]` from `y0` (scalar: TA-Lib's
    /// `(x − y)·k + y`).
    pub(crate) fn ema(be: Be, k: f64, x: &[f64], y0: f64, out: &mut [f64]) {
        super::ema_tail(be, k, x, y0, out);
    }

    /// RSI from the averages `(g0, l0)` of bar 0 of `x`; `out[j]` is the
    /// RSI at bar `j + 1` of `x`.
    pub(crate) fn rsi(be: Be, period: usize, x: &[f64], g0: f64, l0: f64, out: &mut [f64]) {
        match be {
            Be::Scalar => scalar::rsi_tail(period, x, g0, l0, out),
            Be::Portable => portable::rsi_tail(period, x, g0, l0, out),
            #[cfg(target_arch = "x86_64")]
            Be::Avx2(t) => avx2::rsi_tail(t, period, x, g0, l0, out),
        }
    }

    /// ATR from `y0`: `out[j]` from `h[j], l[j]` and the previous close `c[j]`.
    pub(crate) fn atr(
        be: Be,
        period: usize,
        h: &[f64],
        l: &[f64],
        c: &[f64],
        y0: f64,
        out: &mut [f64],
    ) {
        match be {
            Be::Scalar => scalar::atr_tail(period, h, l, c, y0, out),
            Be::Portable => portable::atr_tail(period, h, l, c, y0, out),
            #[cfg(target_arch = "x86_64")]
            Be::Avx2(t) => avx2::atr_tail(t, period, h, l, c, y0, out),
        }
    }

    /// MACD's three EMAs in lockstep from `y = [fast, slow, signal]`;
    /// `k = [kf, ks, kg]` (`kg = 1` when `signal == 1`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn macd(
        be: Be,
        k: [f64; 3],
        sig1: bool,
        x: &[f64],
        y: [f64; 3],
        m: &mut [f64],
        s: &mut [f64],
        h: &mut [f64],
    ) {
        match be {
            Be::Scalar => scalar::macd_tail(k, sig1, x, y, m, s, h),
            Be::Portable => portable::macd_tail(k, x, y, m, s, h),
            #[cfg(target_arch = "x86_64")]
            Be::Avx2(t) => avx2::macd_tail(t, k, x, y, m, s, h),
        }
    }
}
