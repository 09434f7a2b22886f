//! Weighted moving average (TA-Lib `WMA`): weights `1..=period`, newest
//! heaviest, divided by `d = period·(period+1)/2`.
//!
//! # Algorithm: periods up to [`SEQUENTIAL_MAX`] (window-local)
//!
//! As in [`rolling_var`](crate::kernels::rolling_var): the series is cut
//! into regions of `p` outputs starting at multiples of `p`; the window of
//! output `s + t` of region `s` is a suffix of chunk `k = x[s-p..s]` plus a
//! prefix of chunk `k+1 = x[s..s+p]`. Every value is shifted by the one
//! reference `r = x[s]`, a member of every window of the region. A
//! backward scan of chunk `k` keeps `u = Σ a` and `v += u`, which is the
//! chunk's part of the weighted sum, `Σ (t' - t + 1)·a_{t'}`; a forward
//! scan of chunk `k+1` keeps `p0 = Σ b_j` and `q = Σ (t - j)·b_j` (`q += p0`
//! before `p0 += b`), whose part is `p·p0 - q`. The output is
//! `r + W·(1/d)` with `W` the sum of both parts. Every partial sum holds
//! only values of the window: no drift, no restarts, nothing to
//! re-synchronise, and a NaN or ±inf affects exactly the windows holding
//! it. The exact operation order is `scalar::region_local`'s (in `scalar.rs`).
//!
//! # Algorithm: longer periods (blocked recurrence)
//!
//! The two-level sliding recurrence `S_i = S_{i-1} + y_i − y_{i−p}`,
//! `W_i = W_{i-1} + p·y_i − S_{i-1}` (plain and weighted window sums),
//! restarted every [`block_len`]`(p)` outputs from a fresh dot product and
//! run on values shifted by a per-block reference `r` (the block's first
//! output bar): `WMA_i = r + W_i / d` with `W` the weighted sum of `y − r`.
//! The restart bounds the drift of TA-Lib's running sums, and the shift
//! removes the cancellation a large level (1e9 + tiny noise) would cause.
//! The input is split into maximal finite runs first.
//!
//! On the AVX2 path four consecutive outputs come out of one vector: the
//! differences `y_i − y_{i−p}` and the terms `p·(y_i − r) − S_{i−1}` are
//! prefix-summed inside the register (two shift-and-add steps), and the
//! carries `S`, `W` advance by one add per vector. The fresh dot products
//! are vectorized with FMA.
//!
//! # Backends
//!
//! `scalar`; `portable` runs the scalar code (the in-register scans need
//! lane permutes the `wide` crate does not offer); `avx2`: for periods up
//! to [`SEQUENTIAL_MAX`] eight regions at a time, one per lane, with the
//! scalar operations in their order, so **every output is bit-identical
//! across backends** there; for longer periods the backends differ in the
//! last bits (summation order, FMA), within the bound below. `period == 1`
//! copies the input exactly on every backend.
//!
//! # NaN and ±inf
//!
//! An output whose window holds a NaN or ±inf is NaN (so are the first
//! `period − 1` outputs after one). Periods up to [`SEQUENTIAL_MAX`]: a
//! non-finite result is turned into NaN by the last operation
//! (`o + o·0`), which also reports finite windows whose sums overflow
//! (`|x| >~ 1e300`) as NaN. Longer periods split the input into maximal
//! finite runs.
//!
//! # Error bound
//!
//! With `u = 2^-53`, every finite output satisfies
//!
//! `|wma_i − WMA_i| ≤ 2u·|WMA_i| + K(p)·(u·A + 2^-1074)`
//! ([`error_factor`] gives `K(p)`), where `WMA_i` is the exact weighted
//! mean and:
//!
//! - `p <=` [`SEQUENTIAL_MAX`]: `K(p) = 12·p` and `A` is the spread
//!   `max − min` of the window itself (`>= |x − r|` for every value, as
//!   `r` is in the window). Derivation: with `n_a + n_b = p` terms in the
//!   two chunks and `|x − r| <= A`, the running sums `u`, `p0` are within
//!   `n²·u·A`; `v` and `q` add up to `n` of them, so each is within
//!   `(5/6)·n³·u·A`; `p·p0` within `p·n_b²·u·A`; the three final adds
//!   within `u·(p·n_b + p·n_b + d)·A` and the deviations `x − r` within
//!   `u·d·A`. In total `|ΔW| <= (11/6·p³ + 3p² + p)·u·A`, so
//!   `|ΔW|/d <= (11/3·p + 6)·u·A`; the product by `1/d` adds `2u·A` and
//!   the last add `u·|WMA|`: `<= 2u·|WMA| + (4p + 8)·u·A`. Subnormal
//!   roundings add at most `2^-1075` each, fewer than `12p` of them.
//! - longer periods: `K(p) = 8·(p + B)·(1 + B/p)` with `B = block_len(p)`
//!   and `A` the largest `|y_t − r|` over the inputs of the block holding
//!   output `i` (these lie within `x[i+1−p−B ..= i+B]`, so `A` is at most
//!   the spread `max − min` of `x` there). (Worst-case rounding analysis
//!   of the fresh sums, `B` recurrence steps and the final `r + W/d`.)
//!
//! On a price series this is far below TA-Lib's own drift.
//!
//! # Speed
//!
//! Measured (p = 20, random walk, shared 2-core Zen 3, best CPU time of
//! repeated calls, same process): the AVX2 window-local path ran at 2.6×
//! (n = 1e4) and 2.2× (n = 1e6) the TA-Lib loop port of
//! `benches/window.rs` (group `wma_20`); the previous blocked recurrence
//! ran at 1.2× and 0.9×.

use crate::Backend;
#[cfg(target_arch = "x86_64")]
use crate::dispatch::Avx2Fma;
use crate::error::{Error, Result, check_len, check_period};
use crate::kernels::minmax::first_non_finite_on;

/// Bars whose finiteness is checked before their outputs are computed.
const CHUNK: usize = 4096;

#[cfg(target_arch = "x86_64")]
mod avx2;
mod scalar;

/// Periods up to this use the window-local path (see the module docs).
pub const SEQUENTIAL_MAX: usize = 64;

/// Outputs per restart of the recurrence (periods above
/// [`SEQUENTIAL_MAX`]): `max(2·period, 256)`.
pub const fn block_len(period: usize) -> usize {
    let b = period.saturating_mul(2);
    if b < 256 { 256 } else { b }
}

/// `K(p)` of the module's error bound: `12·p` for `p <=`
/// [`SEQUENTIAL_MAX`], else `8·(p + B)·(1 + B/p)` with `B =`
/// [`block_len`]`(p)`.
pub fn error_factor(period: usize) -> f64 {
    let p = period as f64;
    if period <= SEQUENTIAL_MAX {
        return 12.0 * p;
    }
    let b = block_len(period) as f64;
    8.0 * (p + b) * (1.0 + b / p)
}

/// Weighted moving average of `x` over `period` bars into `out`
/// (`out.len() == x.len()`); `period >= 1`, 1 copies the input.
pub fn wma(backend: Backend, x: &[f64], period: usize, out: &mut [f64]) -> Result<()> {
    check_period("period", period, 1, usize::MAX)?;
    check_len("out", x.len(), out.len())?;
    backend.check()?;
    #[cfg(target_arch = "x86_64")]
    let token = match backend {
        Backend::Avx2 => Some(Avx2Fma::try_new().ok_or(Error::BackendUnavailable { backend })?),
        _ => None,
    };
    #[cfg(not(target_arch = "x86_64"))]
    if backend == Backend::Avx2 {
        return Err(Error::BackendUnavailable { backend });
    }
    let n = x.len();
    if (2..=SEQUENTIAL_MAX).contains(&period) {
        if period > n {
            out.fill(f64::NAN);
            return Ok(());
        }
        match backend {
            Backend::Scalar | Backend::Portable => scalar::local(x, period, out),
            Backend::Avx2 =>
            {
                #[cfg(target_arch = "x86_64")]
                if let Some(t) = token {
                    avx2::local(t, x, period, out);
                }
            }
        }
        out[..period - 1].fill(f64::NAN);
        return Ok(());
    }
    // One fused sweep: the finiteness of each chunk is checked just before
    // its outputs are computed (while it is in cache). Blocks restart at
    // every chunk start, so the recurrence never runs longer than B bars.
    let chunk = CHUNK.max(block_len(period));
    let mut run_start = 0; // start of the current finite run
    let mut i = 0;
    while i < n {
        let c1 = (i + chunk).min(n);
        let e = first_non_finite_on(backend, &x[..c1], i);
        let from = i.max(run_start + period - 1);
        out[i..from.min(e).max(i)].fill(f64::NAN);
        if from < e {
            let y = &x[run_start..e];
            let o = &mut out[run_start..e];
            let f = from - run_start;
            if period == 1 {
                o[f..].copy_from_slice(&y[f..]);
            } else {
                match backend {
                    Backend::Scalar | Backend::Portable => scalar::run(y, period, o, f),
                    Backend::Avx2 =>
                    {
                        #[cfg(target_arch = "x86_64")]
                        if let Some(t) = token {
                            avx2::run(t, y, period, o, f);
                        }
                    }
                }
            }
        }
        if e < c1 {
            // Skip the non-finite stretch; a new run starts after it.
            let mut j = e;
            while j < n && !x[j].is_finite() {
                out[j] = f64::NAN;
                j += 1;
            }
            run_start = j;
            i = j;
        } else {
            i = c1;
        }
    }
    Ok(())
}
