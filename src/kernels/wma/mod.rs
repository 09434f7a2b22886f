//! Weighted moving average (TA-Lib `WMA`): weights `1..=period`, newest
//! heaviest, divided by `period·(period+1)/2`.
//!
//! # Algorithm
//!
//! The two-level sliding recurrence `S_i = S_{i-1} + y_i − y_{i−p}`,
//! `W_i = W_{i-1} + p·y_i − S_{i-1}` (plain and weighted window sums),
//! restarted every [`block_len`]`(p)` outputs from a fresh dot product and
//! run on values shifted by a per-block reference `r` (the block's first
//! output bar): `WMA_i = r + W_i / d` with `W` the weighted sum of `y − r`.
//! The restart bounds the drift of TA-Lib's running sums, and the shift
//! removes the cancellation a large level (1e9 + tiny noise) would cause.
//!
//! On the AVX2 path four consecutive outputs come out of one vector: the
//! differences `y_i − y_{i−p}` and the terms `p·(y_i − r) − S_{i−1}` are
//! prefix-summed inside the register (two shift-and-add steps), and the
//! carries `S`, `W` advance by one add per vector; the carry of `W` does
//! not wait on `S` (`W += scan_3 − 4·S` is split so each chain is a single
//! add). The fresh dot products are vectorized with FMA.
//!
//! # Backends
//!
//! `scalar`: the recurrence one bar at a time. `portable`: runs the scalar
//! code (the in-register scan needs lane permutes the `wide` crate does not
//! offer; the recurrence is the whole cost). `avx2`: as above. Backends
//! differ in the last bits (summation order, FMA), within the bound below;
//! `period == 1` copies the input exactly on every backend.
//!
//! # NaN and ±inf
//!
//! The input is split into maximal finite runs; an output whose window
//! holds a NaN or ±inf is NaN, as are the first `period − 1` outputs of
//! each run.
//!
//! # Error bound
//!
//! With `u = 2^-53`, `B = block_len(p)` and `A` the largest `|y_t − r|`
//! over the inputs of the block holding output `i` (these lie within
//! `x[i+1−p−B ..= i+B]`, so `A` is at most the spread `max − min` of `x`
//! there), every finite output satisfies
//!
//! `|wma_i − WMA_i| ≤ 2u·|WMA_i| + K(p)·(u·A + 2^-1074)`,
//! `K(p) = 8·(p + B)·(1 + B/p)` ([`error_factor`]),
//!
//! where `WMA_i` is the exact weighted mean. (Worst-case rounding analysis
//! of the fresh sums, `B` recurrence steps and the final `r + W/d`.) On a
//! price series this is far below TA-Lib's own drift.

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

/// Outputs per restart of the recurrence: `max(2·period, 256)`.
pub const fn block_len(period: usize) -> usize {
    let b = period.saturating_mul(2);
    if b < 256 { 256 } else { b }
}

/// `K(p)` of the module's error bound: `8·(p + B)·(1 + B/p)`.
pub fn error_factor(period: usize) -> f64 {
    let p = period as f64;
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
    // One fused sweep: the finiteness of each chunk is checked just before
    // its outputs are computed (while it is in cache). Blocks restart at
    // every chunk start, so the recurrence never runs longer than B bars.
    let n = x.len();
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
