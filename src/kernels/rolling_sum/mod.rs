//! Rolling sum and simple moving average (SMA).
//!
//! # Algorithm: window-local prefix and suffix sums
//!
//! A sliding sum (`s += x[i] - x[i-p]`) or a difference of long prefix sums
//! (`P[i] - P[i-p]`) carries the rounding errors of values that have long
//! left the window: after a large value or a high price level, a window of
//! small values inherits an error proportional to the *old* magnitudes, and
//! a single NaN or infinity poisons every later output unless it is
//! removed by bookkeeping. This kernel instead never adds a value that is
//! outside the window (the "van Herk / Gil-Werman" decomposition of a
//! sliding aggregate):
//!
//! - the series is cut into chunks of exactly `p` values; a window of `p`
//!   values covers the tail of one chunk and the head of the next;
//! - output `i` is `Suf(i-p+1) + Pre(i)`: the sum of the window's part in
//!   the earlier chunk (a *suffix* sum of that chunk, computed by a
//!   backward scan) plus the sum of its part in the later chunk (a
//!   *prefix* sum of that chunk, computed by a forward scan), then
//!   multiplied by `1/p` for the mean;
//! - the backward scan of chunk `r-1` writes its suffix sums straight into
//!   `out` (at the positions of region `r`), and the forward scan of chunk
//!   `r` adds its prefix sums in place, so the kernel needs no scratch
//!   memory and each chunk is still in L1 when it is read the second time;
//! - the scans run four lanes at a time: an in-register scan of each group
//!   of four, plus a carry broadcast to all lanes. The carry's update
//!   (`carry + group total`) is computed off the critical path, so the
//!   loop-carried chain is one vector add per four outputs;
//! - blocked: each scan restarts every [`SUB`] = 256 elements from zero,
//!   and the sub-block totals are accumulated separately, which keeps the
//!   depth of every sum logarithmic-ish (`~ 256/4 + p/256` additions)
//!   however long the window is.
//!
//! For `p <=` [`DIRECT_MAX_PERIOD`] (= 8) each window is simply summed left
//! to right (four windows per vector instruction); that is cheaper than two
//! scans and just as local.
//!
//! For `DIRECT_MAX_PERIOD < p <=` [`DOUBLING_MAX_PERIOD`] (= 31) the window
//! is cut, from its newest end, into one power-of-two block per set bit of
//! `p`, largest first (`20 = 16 + 4`: `x[i-15..=i]` and `x[i-19..=i-16]`),
//! each block summed along a balanced binary tree; `out = ((B₁ + B₂) +
//! B₃) + ...`. The block sums of every position are built incrementally:
//! `block(2, j) = (x[j-3] + x[j-2]) + (x[j-1] + x[j])` from four
//! overlapping loads, `block(b, j) = block(b-1, j - 2^(b-1)) + block(b-1,
//! j)` from the vector computed `2^(b-3)` steps earlier. That is about six
//! vertical adds per four outputs, no shuffles and no second pass, with
//! every earlier vector kept in registers (a ring of them in memory, which
//! longer periods would need, measured twice as slow: loads of vectors
//! stored one or two steps earlier stall). Longer periods use the chunked
//! scans above.
//!
//! Because every partial sum only ever contains values of the window
//! (and every addition is of two such partials), the error of an output
//! depends only on its own window: there is no drift along the series, no
//! dependence on the price level beyond the window's own magnitude, and
//! nothing to reset after a jump. The suggested design (a sliding
//! sum about a per-block reference) bounds the error by the *block's*
//! history instead, which fails the bound below for a window of small
//! values right after large ones (e.g. `[1e20, 1, 1]` with `p = 2`).
//!
//! # Measured speed
//!
//! Criterion medians (`cargo bench --bench rolling_sum`), one thread, on
//! a shared, noisy 2-core Zen 3 VM; two runs, all ids of a run measured
//! together. `plain` is `s += x[i] - x[i-p]; out[i] = s / p`, `copy` a
//! plain copy of the same bytes:
//!
//! | SMA          | scalar  | portable | AVX2    | plain   | copy    | AVX2 vs plain |
//! |--------------|---------|----------|---------|---------|---------|---------------|
//! | p=20, n=1e4  | 100/74 µs | 18/13 µs | 8.1/6.6 µs | 31/23 µs | 4.1/3.5 µs | 3.8x / 3.5x |
//! | p=20, n=1e6  | 10.3/13.3 ms | 2.7/2.6 ms | 1.59/1.91 ms | 3.36/2.89 ms | 1.43/1.87 ms | 2.1x / 1.5x |
//! | p=200, n=1e4 | 47/46 µs | 50/43 µs | 18/12 µs | 32/24 µs | 3.6/3.0 µs | 1.75x / 1.9x |
//! | p=200, n=1e6 | 9.7/6.8 ms | 8.4/5.5 ms | 4.7/3.5 ms | 3.6/2.9 ms | 1.9/1.4 ms | 0.8x / 0.8x |
//!
//! A third run of SMA(20) at n = 1e6 gave AVX2 1.14 ms, plain 1.99 ms
//! (1.74x), copy 0.91 ms. So SMA(20) meets the 2.5x target at 1e4; at 1e6
//! it runs at 1.0-1.25x the time of a copy and its ratio to the plain
//! loop (1.5-2.1x) follows how memory-bound the machine is at the moment
//! (the plain loop is compute-bound and does not slow down with it). The
//! 16 MB of x and out stay in L3; non-temporal stores were tried and were
//! slower at 1e5-1e6. Periods `>= 32` use the chunked scans, about 1.5-2x
//! the plain loop at 1e4 and slower than it at 1e6.
//!
//! # Error bound
//!
//! Let `W` be an output's window, `S = Σ_W x` computed exactly, and
//! `A = Σ_W |x|`. Every output is a sum of the window's values along a
//! binary tree of depth at most `D = 72 + ⌈p/256⌉` (direct path: `p - 1`;
//! doubling path: `2·⌊log₂ p⌋ <= 8`),
//! so, as long as no partial sum overflows,
//!
//! - rolling sum: `|out - S| <= D·2⁻⁵³·A`,
//! - rolling mean: `|out - S/p| <= (D + 2)·2⁻⁵³·A/p + 2⁻¹⁰⁷⁵`
//!   (the last term is the rounding of the final product at subnormal
//!   scale; additions are exact there).
//!
//! For every `p <= 200_000` this gives the **guarantee**, on any finite
//! input whose window sums do not overflow, against the exactly rounded
//! references `fsum(W)` and `fsum(W) / p`:
//!
//! > `|rolling_mean error| <= 1e-13 · mean(|x| over W) + 2⁻¹⁰⁷⁴`,
//! > `|rolling_sum error| <= 1e-13 · Σ_W |x| + 2⁻¹⁰⁷⁴`
//!
//! (the reference's own rounding, at most `2·2⁻⁵³·A/p` and `2⁻¹⁰⁷⁵`, is inside the slack: `(D + 4)·2⁻⁵³ <
//! 1e-13`). For larger `p` the first two bounds still hold, i.e. the error
//! grows like `p/256·2⁻⁵³` relative to `mean(|x|)`. Consequences: period 1
//! is the identity (exact); a window of zeros gives exactly `0`; constant
//! windows are within a few ulps of the constant; a series of
//! `1e9 + noise` keeps its noise to within the bound.
//!
//! # NaN and infinities
//!
//! Since every partial sum holds only values of the window, IEEE
//! arithmetic gives the documented behaviour with no bookkeeping: an
//! output whose window contains a NaN, or both `+inf` and `-inf`, is NaN;
//! one kind of infinity gives that infinity; as soon as the value leaves
//! the window the outputs are finite and accurate again (the bound above
//! holds for them). A finite window whose partial sums overflow may give
//! `±inf` (or NaN when the overflowed partial meets the opposite
//! infinity); this is accepted — it needs sums beyond `f64::MAX`.
//!
//! # Backends
//!
//! Scalar, portable and AVX2 perform the same additions in the same order
//! (defined in `scalar.rs`), so **every output is bit-identical across
//! backends** (the doubling path's vector code evaluates its head and
//! tail outputs with the scalar definition, so the alignment of `out`
//! does not matter either). The portable backend vectorizes the direct
//! and doubling paths with `wide::f64x4`; its scans reuse the scalar code
//! (`wide` has no cross-lane shuffles to build the in-register scan).

pub(crate) mod avx2;
mod portable;
pub(crate) mod scalar;

use crate::Backend;
use crate::error::{Result, check_len, check_period};

/// Periods up to this are summed directly, window by window.
pub const DIRECT_MAX_PERIOD: usize = 8;

/// Periods `DIRECT_MAX_PERIOD < p <=` this use the doubling path.
pub const DOUBLING_MAX_PERIOD: usize = 31;

/// The scans restart from zero every `SUB` elements (a multiple of 4).
pub const SUB: usize = 256;

/// Rolling sum over `period` values into `out` (`out.len() == x.len()`);
/// the first `period - 1` outputs are NaN, and all outputs are NaN if
/// `period > x.len()`.
///
/// Errors: `period == 0` → [`InvalidPeriod`](crate::Error::InvalidPeriod);
/// `out.len() != x.len()` → [`LengthMismatch`](crate::Error::LengthMismatch);
/// an unavailable `backend` →
/// [`BackendUnavailable`](crate::Error::BackendUnavailable). See the
/// [module docs](self) for the error bound and NaN behaviour.
pub fn rolling_sum(backend: Backend, x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    run::<false, false>(backend, x, period, out)
}

/// Simple moving average over `period` values into `out`: the rolling
/// sum times `1/period`. Same conventions and errors as [`rolling_sum`].
pub fn rolling_mean(backend: Backend, x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    run::<true, false>(backend, x, period, out)
}

/// [`rolling_mean`] under the crate's NaN policy: every output that is
/// not finite (its window holds a NaN or ±inf, or its sum overflows) is
/// NaN, every finite output is bit-identical to [`rolling_mean`]'s. The
/// test is fused into the kernel's store (a compare and a blend on the vector
/// paths), so it costs no second pass over `out`; this is what
/// [`sma`](crate::sma) runs. Same conventions and errors as
/// [`rolling_sum`].
pub fn rolling_mean_strict(
    backend: Backend,
    x: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<()> {
    run::<true, true>(backend, x, period, out)
}

/// Whether [`mean_and_bands`] forms the bands for this backend, length
/// and period (else it returns `None` and writes nothing).
pub(crate) fn mean_and_bands_runs(backend: Backend, n: usize, period: usize) -> bool {
    cfg!(target_arch = "x86_64")
        && backend == Backend::Avx2
        && DIRECT_MAX_PERIOD < period
        && period <= DOUBLING_MAX_PERIOD
        && period <= n
}

/// Where [`mean_and_bands`] puts its results: the mean into `middle`;
/// `var` holds the rolling variance on entry and the upper band on
/// return; the lower band into `lower`; `up`, `dn` the band widths in σ.
pub(crate) struct BandsInto<'a> {
    pub middle: &'a mut [f64],
    pub var: &'a mut [f64],
    pub lower: &'a mut [f64],
    pub up: f64,
    pub dn: f64,
}

/// The rolling mean with Bollinger bands formed from each mean as the
/// kernel produces it (σ = √variance taken there too), where a kernel does
/// that: the AVX2 doubling path (periods `9 ..= 31`, see
/// [`mean_and_bands_runs`]). Returns the outputs `[v0, v1)` whose bands
/// are final; the caller forms the others with
/// [`bands_from_mean_var`](crate::kernels::bands::bands_from_mean_var)
/// (`middle` holds their means, `var` their variances). `None` where no
/// kernel does it (nothing written). Same bits as [`rolling_mean`] then
/// `bands_from_mean_var`, one pass fewer over three arrays, and the
/// square roots (divider-bound) overlap the pass's memory traffic instead
/// of the variance kernel's arithmetic. Every slice must have `x`'s length.
pub(crate) fn mean_and_bands(
    backend: Backend,
    x: &[f64],
    period: usize,
    out: BandsInto<'_>,
) -> Option<(usize, usize)> {
    #[cfg(target_arch = "x86_64")]
    if backend == Backend::Avx2 {
        let token = crate::dispatch::Avx2Fma::try_new()?;
        return avx2::mean_and_bands(token, x, period, out);
    }
    let _ = (backend, x, period, out);
    None
}

fn run<const MEAN: bool, const FIN: bool>(
    backend: Backend,
    x: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<()> {
    check_period("period", period, 1, usize::MAX)?;
    check_len("out", x.len(), out.len())?;
    backend.check()?;
    if period > x.len() {
        out.fill(f64::NAN);
        return Ok(());
    }
    match backend {
        Backend::Scalar => scalar::rolling::<MEAN, FIN>(x, period, out),
        Backend::Portable => portable::rolling::<MEAN, FIN>(x, period, out),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => {
            let Some(token) = crate::dispatch::Avx2Fma::try_new() else {
                return Err(crate::Error::BackendUnavailable { backend });
            };
            avx2::rolling::<MEAN, FIN>(token, x, period, out);
        }
        #[cfg(not(target_arch = "x86_64"))]
        Backend::Avx2 => return Err(crate::Error::BackendUnavailable { backend }),
    }
    out[..period - 1].fill(f64::NAN);
    Ok(())
}
