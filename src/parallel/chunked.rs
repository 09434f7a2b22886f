//! Windowed indicators over one long series, chunk by chunk in parallel.
//!
//! Each chunk `[c0, c1)` recomputes a warm-up overlap (halo) `[h0, c0)`
//! with the serial indicator on `x[h0..c1]` and keeps the outputs of
//! `[c0, c1)`. The halo covers the lookback, and where the kernel's
//! summation order depends on where the window sits in the slice it
//! starts at a position the serial run is aligned with:
//! - SMA, VAR, STDDEV, BBANDS: the kernels cut the series into chunks of
//!   exactly `period` values from its start, so `h0` is a multiple of
//!   `period` → **bit-identical** to [`crate::sma`], [`crate::var`],
//!   [`crate::stddev`], [`crate::bbands`];
//! - MIN, MAX: exact, any halo of `period − 1` bars → bit-identical;
//! - STOCH: per run of usable bars, the %K and %D smoothings are SMAs
//!   aligned to the run's start, so `h0` is the run's start plus a multiple
//!   of `lcm(slowk, slowd)` → bit-identical to [`crate::stoch`];
//! - WMA: the kernel restarts its running sums at positions that depend
//!   on the history since the series' start (blocks within 4096-bar
//!   pieces within finite runs), which a halo cannot reproduce: equal to
//!   [`crate::wma`] within twice [`crate::kernels::wma`]'s bound (both are
//!   within it of the exact WMA), not bit for bit.

use super::{ChunkLen, carve, grid, last_bad_before, par_each, split_outs};
use crate::error::{Result, check_len};
use crate::{Bands, Stoch};

/// The largest multiple of `align` at most `c0 − reach` (0 if none).
pub(super) fn aligned(c0: usize, reach: usize, align: usize) -> usize {
    c0.saturating_sub(reach) / align * align
}

/// Runs `f(h0, c1, outs)` (the serial indicator on bars `[h0, c1)`, into
/// buffers of `c1 − h0` values) for each chunk, with `h0 = start(c0)`, and
/// keeps the chunk's outputs.
///
/// When no halo `[h0, c0)` is longer than a chunk, the spans `[h0, c1)` of
/// every other chunk are disjoint, so `f` writes straight into the output
/// in two rounds (even chunks, then odd ones), with no series-long
/// temporary and no copy of the chunk: an even chunk's halo lands in the
/// odd chunk before it, which the second round rewrites whole; an odd
/// chunk's halo lands in the (final) tail of the even chunk before it,
/// which is saved first and put back after (`c0 − h0` values). Otherwise
/// each chunk runs into temporaries and copies its part out.
fn halo_run<const K: usize>(
    mut outs: [&mut [f64]; K],
    chunk: usize,
    start: impl Fn(usize) -> usize + Sync + Send,
    f: impl Fn(usize, usize, [&mut [f64]; K]) -> Result<()> + Sync + Send,
) -> Result<()> {
    let n = outs.first().map_or(0, |o| o.len());
    let spans: Vec<(usize, usize, usize)> = grid(n, chunk)
        .map(|(c0, c1)| (start(c0).min(c0), c0, c1))
        .collect();
    if spans.iter().any(|&(h0, c0, _)| c0 - h0 > chunk) {
        return halo_run_copy(outs, chunk, start, f);
    }
    for parity in 0..2 {
        let round: Vec<(usize, usize, usize)> =
            spans.iter().copied().skip(parity).step_by(2).collect();
        let ranges: Vec<(usize, usize)> = round.iter().map(|&(h0, _, c1)| (h0, c1)).collect();
        let mut pieces = outs.each_mut().map(|o| carve(o, &ranges).into_iter());
        let mut tasks: Vec<(usize, usize, usize, [&mut [f64]; K])> = round
            .iter()
            .map(|&(h0, c0, c1)| {
                let p = core::array::from_fn(|k| pieces[k].next().unwrap_or_default());
                (h0, c0, c1, p)
            })
            .collect();
        par_each(&mut tasks, |(h0, c0, c1, p)| {
            let (h0, c0, c1) = (*h0, *c0, *c1);
            let halo = c0 - h0;
            // The chunk before's final outputs, in the first round
            // rewritten anyway (that chunk is odd and runs next).
            let kept: [Vec<f64>; K] = core::array::from_fn(|k| match parity {
                1 => p[k][..halo].to_vec(),
                _ => Vec::new(),
            });
            f(h0, c1, p.each_mut().map(|q| &mut **q))?;
            if parity == 1 {
                for (q, v) in p.iter_mut().zip(&kept) {
                    q[..halo].copy_from_slice(v);
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// [`halo_run`] for halos longer than a chunk: each chunk runs into
/// temporaries of `c1 − h0` values and copies its part out.
fn halo_run_copy<const K: usize>(
    outs: [&mut [f64]; K],
    chunk: usize,
    start: impl Fn(usize) -> usize + Sync + Send,
    f: impl Fn(usize, usize, [&mut [f64]; K]) -> Result<()> + Sync + Send,
) -> Result<()> {
    let mut tasks = split_outs(outs, chunk);
    par_each(&mut tasks, |(c0, c1, pieces)| {
        let (c0, c1) = (*c0, *c1);
        let h0 = start(c0).min(c0);
        if h0 == c0 {
            return f(c0, c1, pieces.each_mut().map(|p| &mut **p));
        }
        let mut tmp: [Vec<f64>; K] = core::array::from_fn(|_| vec![0.0; c1 - h0]);
        f(h0, c1, tmp.each_mut().map(|v| v.as_mut_slice()))?;
        for (piece, t) in pieces.iter_mut().zip(&tmp) {
            piece.copy_from_slice(&t[c0 - h0..]);
        }
        Ok(())
    })
}

/// [`crate::sma`] computed chunk by chunk in parallel; bit-identical to it.
/// Errors: as [`crate::sma`], and `ChunkLen::Fixed(0)` →
/// [`Error::InvalidPeriod`](crate::Error::InvalidPeriod) named `"chunk_len"`.
pub fn sma_chunked(x: &[f64], period: usize, chunk_len: impl Into<ChunkLen>) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    sma_chunked_into(x, period, chunk_len, &mut out)?;
    Ok(out)
}

/// [`sma_chunked`] into `out` (`x`'s length, else
/// [`Error::LengthMismatch`](crate::Error::LengthMismatch)); bit-identical
/// to [`crate::sma`], no allocation of a series-long buffer (a repeated
/// run reusing `out` pays no page faults).
pub fn sma_chunked_into(
    x: &[f64],
    period: usize,
    chunk_len: impl Into<ChunkLen>,
    out: &mut [f64],
) -> Result<()> {
    crate::sma_lookback(period)?;
    check_len("out", x.len(), out.len())?;
    let chunk = chunk_len.into().resolve(x.len(), 2 * period)?;
    halo_run(
        [out],
        chunk,
        |c0| aligned(c0, period - 1, period),
        |h0, c1, [o]| crate::sma_into(&x[h0..c1], period, o),
    )
}

/// [`crate::var`] chunk by chunk in parallel; bit-identical to it.
/// Errors: as [`sma_chunked`].
pub fn var_chunked(x: &[f64], period: usize, chunk_len: impl Into<ChunkLen>) -> Result<Vec<f64>> {
    crate::var_lookback(period)?;
    let chunk = chunk_len.into().resolve(x.len(), 2 * period)?;
    let mut out = vec![0.0; x.len()];
    halo_run(
        [&mut out],
        chunk,
        |c0| aligned(c0, period - 1, period),
        |h0, c1, [o]| crate::var_into(&x[h0..c1], period, o),
    )?;
    Ok(out)
}

/// [`crate::stddev`] chunk by chunk in parallel; bit-identical to it.
/// Errors: as [`crate::stddev`] and [`sma_chunked`].
pub fn stddev_chunked(
    x: &[f64],
    period: usize,
    nbdev: f64,
    chunk_len: impl Into<ChunkLen>,
) -> Result<Vec<f64>> {
    crate::stddev_into(&[], period, nbdev, &mut [])?;
    let chunk = chunk_len.into().resolve(x.len(), 2 * period)?;
    let mut out = vec![0.0; x.len()];
    halo_run(
        [&mut out],
        chunk,
        |c0| aligned(c0, period - 1, period),
        |h0, c1, [o]| crate::stddev_into(&x[h0..c1], period, nbdev, o),
    )?;
    Ok(out)
}

/// [`crate::bbands`] chunk by chunk in parallel; bit-identical to it.
/// Errors: as [`crate::bbands`] and [`sma_chunked`].
pub fn bbands_chunked(
    x: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    chunk_len: impl Into<ChunkLen>,
) -> Result<Bands> {
    crate::bbands(&[], period, nbdev_up, nbdev_dn)?;
    let chunk = chunk_len.into().resolve(x.len(), 2 * period)?;
    let n = x.len();
    let mut b = Bands {
        upper: vec![0.0; n],
        middle: vec![0.0; n],
        lower: vec![0.0; n],
    };
    halo_run(
        [&mut b.upper, &mut b.middle, &mut b.lower],
        chunk,
        |c0| aligned(c0, period - 1, period),
        |h0, c1, [u, m, l]| crate::bbands_into(&x[h0..c1], period, nbdev_up, nbdev_dn, u, m, l),
    )?;
    Ok(b)
}

/// [`crate::max`] chunk by chunk in parallel; bit-identical to it.
/// Errors: as [`crate::max`] and [`sma_chunked`].
pub fn max_chunked(x: &[f64], period: usize, chunk_len: impl Into<ChunkLen>) -> Result<Vec<f64>> {
    crate::max_lookback(period)?;
    window_halo_run(x, period, chunk_len, crate::max_into)
}

/// [`crate::min`] chunk by chunk in parallel; bit-identical to it.
/// Errors: as [`crate::min`] and [`sma_chunked`].
pub fn min_chunked(x: &[f64], period: usize, chunk_len: impl Into<ChunkLen>) -> Result<Vec<f64>> {
    crate::min_lookback(period)?;
    window_halo_run(x, period, chunk_len, crate::min_into)
}

/// [`crate::wma`] chunk by chunk in parallel (halo `period − 1` bars).
/// Equal to [`crate::wma`] within twice the bound of
/// [`crate::kernels::wma`] (`2·(2u·|WMA| + K(p)·(u·A + 2⁻¹⁰⁷⁴))`, see
/// there), NaN at the same bars; not bit for bit (see the module docs).
/// Errors: as [`crate::wma`] and [`sma_chunked`].
pub fn wma_chunked(x: &[f64], period: usize, chunk_len: impl Into<ChunkLen>) -> Result<Vec<f64>> {
    crate::wma_lookback(period)?;
    window_halo_run(x, period, chunk_len, crate::wma_into)
}

/// A one-output windowed indicator whose chunks need `period − 1` bars of
/// halo, into a fresh vector.
fn window_halo_run(
    x: &[f64],
    period: usize,
    chunk_len: impl Into<ChunkLen>,
    into: impl Fn(&[f64], usize, &mut [f64]) -> Result<()> + Sync,
) -> Result<Vec<f64>> {
    let chunk = chunk_len.into().resolve(x.len(), period)?;
    let mut out = vec![0.0; x.len()];
    halo_run(
        [&mut out],
        chunk,
        |c0| c0.saturating_sub(period - 1),
        |h0, c1, [o]| into(&x[h0..c1], period, o),
    )?;
    Ok(out)
}

fn lcm(a: usize, b: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    a / gcd(a, b) * b
}

/// [`crate::stoch`] chunk by chunk in parallel; bit-identical to it.
/// Errors: as [`crate::stoch`] and [`sma_chunked`].
#[allow(clippy::too_many_arguments)]
pub fn stoch_chunked(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
    chunk_len: impl Into<ChunkLen>,
) -> Result<Stoch> {
    let lb = crate::stoch_lookback(fastk, slowk, slowd)?;
    check_len("low", high.len(), low.len())?;
    check_len("close", high.len(), close.len())?;
    let n = high.len();
    let align = lcm(slowk, slowd);
    let chunk = chunk_len
        .into()
        .resolve(n, lb.saturating_add(align).saturating_add(1))?;
    let usable = |i: usize| high[i].is_finite() && low[i].is_finite() && close[i].is_finite();
    // The start of the run of usable bars holding each chunk's start.
    let bad = last_bad_before(n, chunk, |i| !usable(i))?;
    let mut s = Stoch {
        k: vec![0.0; n],
        d: vec![0.0; n],
    };
    halo_run(
        [&mut s.k, &mut s.d],
        chunk,
        |c0| {
            let run = bad.get(c0 / chunk).copied().flatten().map_or(0, |j| j + 1);
            if c0 >= run + lb {
                run + (c0 - lb - run) / align * align
            } else {
                run
            }
        },
        |h0, c1, [k, d]| {
            crate::stoch_into(
                &high[h0..c1],
                &low[h0..c1],
                &close[h0..c1],
                fastk,
                slowk,
                slowd,
                k,
                d,
            )
        },
    )?;
    Ok(s)
}
