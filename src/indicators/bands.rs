//! Bollinger Bands, standard deviation and variance over a window
//! (TA-Lib `BBANDS` with SMA, `STDDEV`, `VAR`).
//!
//! All three use the **population** variance of the window (divided by
//! `period`), from the one-pass rolling mean/variance kernel
//! ([`crate::kernels::rolling_var`]), which never returns a negative
//! variance (TA-Lib 0.8.1's floor) and gives exactly 0 on a flat window.
//!
//! Each indicator makes one pass over memory. The variance kernel
//! applies VAR's non-finite → NaN step and STDDEV's `√` itself, before
//! each store: in registers on the AVX2 path for periods up to 64 (where
//! the square roots overlap the scans' arithmetic, and VAR and STDDEV are
//! the kernel alone, and BBANDS three streaming passes: σ, the mean, the
//! bands), otherwise right after the kernel, tile by tile. Tiles hold
//! about 2048 bars (aligned to the kernels' chunks of `period` values, so
//! the results are bit-identical to untiled runs); BBANDS forms the bands
//! from σ and the mean while the tile is in cache.

use super::common::{check_outs, check_ta_period};
use crate::Backend;
use crate::error::{Error, Result};
use crate::kernels::rolling_var::Finish;
use crate::kernels::{bands, rolling_sum, rolling_var};

/// The three Bollinger bands, each of the input's length.
#[derive(Clone, Debug, PartialEq)]
pub struct Bands {
    /// `middle + nbdev_up·σ`.
    pub upper: Vec<f64>,
    /// The simple moving average.
    pub middle: Vec<f64>,
    /// `middle − nbdev_dn·σ`.
    pub lower: Vec<f64>,
}

fn check_nbdev(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: v,
            reason: "must be finite",
        })
    }
}

/// Bars before BBANDS' first output: `period − 1` (period 2..=100000).
pub fn bbands_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 2)?;
    Ok(period - 1)
}

/// Bollinger Bands (TA-Lib `BBANDS(period, nbdevup, nbdevdn, SMA)`):
/// `middle = SMA(period)`, `σ` = population standard deviation of the same
/// window, `upper = middle + nbdev_up·σ`, `lower = middle − nbdev_dn·σ`.
///
/// Lookback `period − 1`; period range 2..=100000 (TA-Lib's);
/// `nbdev_up`/`nbdev_dn` any finite value (NaN or ±inf →
/// [`Error::InvalidParameter`]). With non-negative multipliers
/// `upper ≥ middle ≥ lower`. All three bands are NaN where the window holds
/// a NaN or ±inf (see the crate's NaN policy).
pub fn bbands(x: &[f64], period: usize, nbdev_up: f64, nbdev_dn: f64) -> Result<Bands> {
    let n = x.len();
    let mut b = Bands {
        upper: vec![0.0; n],
        middle: vec![0.0; n],
        lower: vec![0.0; n],
    };
    bbands_into(
        x,
        period,
        nbdev_up,
        nbdev_dn,
        &mut b.upper,
        &mut b.middle,
        &mut b.lower,
    )?;
    Ok(b)
}

/// [`bbands`] into caller buffers of `x.len()` values (no allocation).
pub fn bbands_into(
    x: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_nbdev("nbdev_up", nbdev_up)?;
    check_nbdev("nbdev_dn", nbdev_dn)?;
    check_outs(
        x.len(),
        &[
            ("upper", upper.len()),
            ("middle", middle.len()),
            ("lower", lower.len()),
        ],
    )?;
    // σ into `upper` (the variance kernel with the square root fused),
    // the mean into `middle`, then the bands in place: over the whole
    // series where the variance kernel finishes in registers (streaming
    // passes measured faster than tiles there: BBANDS(20) in-process A/B
    // 2.41 vs 2.66 ns/bar at 1e4, 4.07 vs 4.83 at 1e6), else tile by tile
    // while each tile is in cache.
    let backend = Backend::active();
    let run = |h0: usize, a: usize, b: usize, [u, m]: [&mut [f64]; 2]| {
        let xs = &x[h0..b];
        let sigma = Finish::Sigma(1.0);
        rolling_var::rolling_var_finished(backend, xs, period, 0, &mut u[h0..b], sigma)?;
        rolling_sum::rolling_mean(backend, xs, period, &mut m[h0..b])?;
        bands::bands_from_mean_sigma(
            backend,
            &mut m[a..b],
            &mut u[a..b],
            &mut lower[a..b],
            nbdev_up,
            nbdev_dn,
        )
    };
    if rolling_var::finish_is_fused(backend, period) {
        // The variance (or σ) in one pass; then, where a kernel forms the
        // bands as it computes each mean, one more pass; else the mean and
        // the bands.
        let (up, dn) = (nbdev_up, nbdev_dn);
        // With the fused pass the variance stays raw: the pass takes the
        // square roots (they overlap its memory traffic: measured faster).
        let from_var = rolling_sum::mean_and_bands_runs(backend, x.len(), period);
        let fin = if from_var {
            Finish::Raw
        } else {
            Finish::Sigma(1.0)
        };
        rolling_var::rolling_var_finished(backend, x, period, 0, upper, fin)?;
        let out = rolling_sum::BandsInto {
            middle: &mut *middle,
            var: &mut *upper,
            lower: &mut *lower,
            up,
            dn,
        };
        let rest = match rolling_sum::mean_and_bands(backend, x, period, out) {
            Some((v0, v1)) => [(0, v0), (v1, x.len())],
            None => {
                rolling_sum::rolling_mean(backend, x, period, middle)?;
                [(0, x.len()), (x.len(), x.len())]
            }
        };
        for (a, b) in rest {
            let (m, u, l) = (&mut middle[a..b], &mut upper[a..b], &mut lower[a..b]);
            if from_var {
                bands::bands_from_mean_var(backend, m, u, l, up, dn)?;
            } else {
                bands::bands_from_mean_sigma(backend, m, u, l, up, dn)?;
            }
        }
        return Ok(());
    }
    tiled(x.len(), period, [upper, middle], run)
}

/// Outputs per tile of the one-pass VAR, STDDEV and BBANDS (about this
/// many, rounded to whole groups of eight regions of `period` values):
/// the kernels write a tile and the finishing step rewrites it while it is
/// in L1/L2, so each indicator streams its input and outputs through
/// memory once.
const TILE: usize = 2048;

/// Periods above this are not tiled (the halo would cost too much): the
/// kernels run over the whole series, then the finishing step.
const TILE_MAX_PERIOD: usize = 256;

/// Runs `f(h0, a, b, outs)` over tiles `[a, b)` that cover `0..n` in
/// order, for kernels that cut the series into chunks of exactly `period`
/// values from its start (the rolling variance and mean).
///
/// Every tile but the first starts at a multiple `a` of `period` and
/// `f` runs its kernels on `x[h0..b]` with `h0 = a − period` (the
/// warm-up halo, itself a multiple of `period`), so the chunks of the
/// slice are the chunks of the whole series and the outputs `[a, b)` are
/// **bit-identical** to one run over the whole series (the property the
/// chunked parallel functions rely on too). The kernels also write the
/// halo `outs[k][h0..a]`, which the previous tile has already finished:
/// it is saved before `f` and put back after. `f` finishes `[a, b)` only.
fn tiled<const K: usize>(
    n: usize,
    period: usize,
    mut outs: [&mut [f64]; K],
    mut f: impl FnMut(usize, usize, usize, [&mut [f64]; K]) -> Result<()>,
) -> Result<()> {
    let group = 8 * period;
    if period > TILE_MAX_PERIOD || n <= TILE + group {
        return f(0, 0, n, outs.each_mut().map(|o| &mut **o));
    }
    let tile = group * (TILE / group).max(1);
    let mut saved = [[0.0; TILE_MAX_PERIOD]; K];
    let mut a = 0;
    while a < n {
        // The first tile has no halo; later ones start at a multiple of
        // `period` (tile lengths are multiples of `period`).
        let b = if n - a < tile + group { n } else { a + tile };
        let h0 = a.saturating_sub(period);
        for (s, o) in saved.iter_mut().zip(outs.iter()) {
            s[..a - h0].copy_from_slice(&o[h0..a]);
        }
        f(h0, a, b, outs.each_mut().map(|o| &mut **o))?;
        for (s, o) in saved.iter().zip(outs.iter_mut()) {
            o[h0..a].copy_from_slice(&s[..a - h0]);
        }
        a = b;
    }
    Ok(())
}

/// Block length of the in/out finishing passes: a block of every buffer
/// (4 KiB each) stays in L1 between the copy and the in-place kernel.
const FINISH_BLOCK: usize = 512;

/// [`crate::kernels::bands::stddev_from_var`] from `var` into `out`
/// (`out[i] = nbdev·sqrt(max(var[i], 0))`, NaN for a non-finite variance)
/// without touching `var`: each block is copied into `out` and finished
/// there while it is in L1, so the pass reads `var` once and writes `out`
/// once. The kernel is elementwise, so the bits are exactly the in-place
/// kernel's (and [`stddev_into`]'s from the same variance).
/// Errors: `out` not of `var`'s length ([`Error::LengthMismatch`]), an
/// unavailable backend.
pub(crate) fn stddev_from_var_into(
    backend: Backend,
    var: &[f64],
    nbdev: f64,
    out: &mut [f64],
) -> Result<()> {
    crate::error::check_len("out", var.len(), out.len())?;
    for (v, o) in var.chunks(FINISH_BLOCK).zip(out.chunks_mut(FINISH_BLOCK)) {
        o.copy_from_slice(v);
        bands::stddev_from_var(backend, o, nbdev)?;
    }
    Ok(())
}

/// [`crate::kernels::bands::bands_from_mean_var`] from a rolling `mean`
/// and `var` into `upper`, `middle`, `lower`, leaving the inputs intact
/// (block by block, as [`stddev_from_var_into`]): the same bits as
/// [`bbands_into`] forms from the same mean and variance.
/// Errors: an output or `var` not of `mean`'s length
/// ([`Error::LengthMismatch`]), an unavailable backend.
// The two inputs, the two multipliers and the three outputs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn bands_from_mean_var_into(
    backend: Backend,
    mean: &[f64],
    var: &[f64],
    nbdev_up: f64,
    nbdev_dn: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<()> {
    check_outs(
        mean.len(),
        &[
            ("var", var.len()),
            ("upper", upper.len()),
            ("middle", middle.len()),
            ("lower", lower.len()),
        ],
    )?;
    let blocks = mean
        .chunks(FINISH_BLOCK)
        .zip(var.chunks(FINISH_BLOCK))
        .zip(upper.chunks_mut(FINISH_BLOCK))
        .zip(middle.chunks_mut(FINISH_BLOCK))
        .zip(lower.chunks_mut(FINISH_BLOCK));
    for ((((m, v), u), mid), l) in blocks {
        mid.copy_from_slice(m);
        u.copy_from_slice(v);
        bands::bands_from_mean_var(backend, mid, u, l, nbdev_up, nbdev_dn)?;
    }
    Ok(())
}

/// Bars before STDDEV's first output: `period − 1` (period 2..=100000).
pub fn stddev_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 2)?;
    Ok(period - 1)
}

/// Standard deviation (TA-Lib `STDDEV(period, nbdev)`):
/// `sqrt(VAR(period))·nbdev`, population variance. Lookback `period − 1`;
/// period 2..=100000; `nbdev` finite (else [`Error::InvalidParameter`]).
/// NaN where the window holds a NaN or ±inf.
pub fn stddev(x: &[f64], period: usize, nbdev: f64) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    stddev_into(x, period, nbdev, &mut out)?;
    Ok(out)
}

/// [`stddev`] into a caller's buffer of `x.len()` values (no allocation).
pub fn stddev_into(x: &[f64], period: usize, nbdev: f64, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 2)?;
    check_nbdev("nbdev", nbdev)?;
    check_outs(x.len(), &[("out", out.len())])?;
    let backend = Backend::active();
    let fin = Finish::Sigma(nbdev);
    if rolling_var::finish_is_fused(backend, period) {
        return rolling_var::rolling_var_finished(backend, x, period, 0, out, fin);
    }
    tiled(x.len(), period, [out], |h0, _, b, [o]| {
        rolling_var::rolling_var_finished(backend, &x[h0..b], period, 0, &mut o[h0..b], fin)
    })
}

/// Bars before VAR's first output: `period − 1` (period 1..=100000).
pub fn var_lookback(period: usize) -> Result<usize> {
    check_ta_period("period", period, 1)?;
    Ok(period - 1)
}

/// Variance (TA-Lib `VAR(period)`): population variance of the window,
/// `mean(x²) − mean(x)²` in exact arithmetic, never negative, exactly 0 on
/// a flat window (period 1 gives 0). Lookback `period − 1`; period
/// 1..=100000. NaN where the window holds a NaN or ±inf.
pub fn var(x: &[f64], period: usize) -> Result<Vec<f64>> {
    let mut out = vec![0.0; x.len()];
    var_into(x, period, &mut out)?;
    Ok(out)
}

/// [`var`] into a caller's buffer of `x.len()` values (no allocation).
pub fn var_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_ta_period("period", period, 1)?;
    check_outs(x.len(), &[("out", out.len())])?;
    let backend = Backend::active();
    let fin = Finish::FiniteOrNan;
    if rolling_var::finish_is_fused(backend, period) {
        return rolling_var::rolling_var_finished(backend, x, period, 0, out, fin);
    }
    tiled(x.len(), period, [out], |h0, _, b, [o]| {
        rolling_var::rolling_var_finished(backend, &x[h0..b], period, 0, &mut o[h0..b], fin)
    })
}
