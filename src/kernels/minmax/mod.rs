//! Rolling maximum and minimum over a window, with the index of the
//! extreme (TA-Lib `MAX`, `MIN`, `MAXINDEX`, `MININDEX`, `MINMAX`).
//!
//! # Algorithm
//!
//! van Herk / Gil-Werman: cut each finite run of the input into blocks of
//! `period` bars. A window `[i + 1 - period, i]` then covers the tail of one
//! block and the head of the next, so its extreme is the better of a
//! *suffix* extreme of the first block and a *prefix* extreme of the second.
//! A forward pass writes the block-prefix extremes (value and index) into
//! the caller's output buffers; a backward pass runs the block-suffix
//! extreme and combines it, in place, with the prefix stored `period - 1`
//! bars later. That is about three comparisons per bar whatever the period
//! (O(n), no rescans, no deque, no scratch memory), where TA-Lib's loop
//! rescans the whole window each time the extreme leaves it (O(n·period)
//! on a steadily falling series for MAX).
//!
//! On the AVX2 path both passes are *segmented in-register scans*: four
//! consecutive bars per vector, two shift-and-compare steps inside the
//! vector (masked where a block boundary falls between lanes, the lane's
//! offset inside its block being kept in a vector), then the carry from
//! the previous vector. The carry update is written so that its dependency
//! chain is one compare and one blend per vector. Periods below 4 use the
//! scalar code.
//!
//! Ties go to the **newest** bar (TA-Lib's `>=` / `<=`): among equal
//! extremes the index reported is the largest.
//!
//! # Backends
//!
//! `scalar` is the algorithm above one bar at a time; `portable` runs the
//! same scalar code (the `wide` crate has no lane permutes, which the
//! segmented scan is made of, so a `wide` version would not pay); `avx2` is
//! the vectorized scan. The extremes are selections (no arithmetic), so
//! **every backend gives bit-identical values and identical indices**.
//!
//! # NaN and ±inf
//!
//! The input is split into maximal runs of finite values. An output whose
//! window holds a NaN or ±inf is NaN (index [`NO_INDEX`]); the first
//! `period - 1` outputs of each run are NaN too (a run shorter than the
//! window gives nothing). So leading non-finite values are skipped and
//! outputs recover `period - 1` bars after an interior one.
//!
//! # Error bound
//!
//! None needed: every finite output is exactly an input value, the window's
//! extreme, and its index is the newest position holding that value.

use crate::Backend;
#[cfg(target_arch = "x86_64")]
use crate::dispatch::Avx2Fma;
use crate::error::{Error, Result, check_len, check_period};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod scalar;

/// The index written where the output value is NaN (no extreme exists).
pub const NO_INDEX: usize = usize::MAX;

/// Rolling maximum of `x` over `period` bars into `out`, and, if `index`
/// is given, the position (into `x`) of the newest bar holding it.
///
/// `out` (and `index`) must have `x.len()` elements. `period` must be at
/// least 1 (1 copies the input). See the module docs for NaN handling.
pub fn rolling_max(
    backend: Backend,
    x: &[f64],
    period: usize,
    out: &mut [f64],
    index: Option<&mut [usize]>,
) -> Result<()> {
    run::<false>(backend, x, period, out, index)
}

/// Rolling minimum; otherwise as [`rolling_max`].
pub fn rolling_min(
    backend: Backend,
    x: &[f64],
    period: usize,
    out: &mut [f64],
    index: Option<&mut [usize]>,
) -> Result<()> {
    run::<true>(backend, x, period, out, index)
}

/// [`rolling_max`] (`MIN = false`) or [`rolling_min`] without index,
/// optimistically treating `y` as all finite (no separate scan for
/// non-finite values). Returns whether it was: `Ok(true)` means every
/// value of `y` is finite and `out` is exactly [`rolling_max`]'s (or
/// [`rolling_min`]'s); after `Ok(false)` `out` holds unspecified
/// finite-or-NaN values (never a panic or out-of-bounds access). The
/// test rides on the kernels' own loads: a subtract and an OR per vector
/// (per bar on the scalar path).
pub(crate) fn rolling_extreme_finite<const MIN: bool>(
    backend: Backend,
    y: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<bool> {
    check_period("period", period, 1, usize::MAX)?;
    check_len("out", y.len(), out.len())?;
    backend.check()?;
    if y.len() < period {
        out.fill(f64::NAN);
        return Ok(first_non_finite(y, 0) == y.len());
    }
    match backend {
        Backend::Scalar | Backend::Portable => Ok(scalar::run::<MIN>(y, period, 0, out, None)),
        Backend::Avx2 => {
            #[cfg(target_arch = "x86_64")]
            return Ok(avx2::run::<MIN>(
                Avx2Fma::try_new().ok_or(Error::BackendUnavailable { backend })?,
                y,
                period,
                0,
                out,
                None,
            ));
            #[cfg(not(target_arch = "x86_64"))]
            return Err(Error::BackendUnavailable { backend });
        }
    }
}

fn run<const MIN: bool>(
    backend: Backend,
    x: &[f64],
    period: usize,
    out: &mut [f64],
    mut index: Option<&mut [usize]>,
) -> Result<()> {
    check_period("period", period, 1, usize::MAX)?;
    check_len("out", x.len(), out.len())?;
    if let Some(idx) = index.as_deref() {
        check_len("index", x.len(), idx.len())?;
    }
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
    let scan = |x: &[f64], from: usize| -> usize {
        #[cfg(target_arch = "x86_64")]
        if let Some(t) = token {
            return avx2::first_non_finite(t, x, from);
        }
        first_non_finite(x, from)
    };
    for_each_finite_run(x, scan, |a, b, finite| {
        let o = &mut out[a..b];
        let ix = index.as_deref_mut().map(|s| &mut s[a..b]);
        if !finite || b - a < period {
            o.fill(f64::NAN);
            if let Some(ix) = ix {
                ix.fill(NO_INDEX);
            }
            return;
        }
        let y = &x[a..b];
        // The run is finite by construction: its flag says nothing new.
        match backend {
            Backend::Scalar | Backend::Portable => {
                scalar::run::<MIN>(y, period, a, o, ix);
            }
            Backend::Avx2 =>
            {
                #[cfg(target_arch = "x86_64")]
                if let Some(t) = token {
                    avx2::run::<MIN>(t, y, period, a, o, ix);
                }
            }
        }
    });
    Ok(())
}

/// Calls `f(start, end, finite)` for consecutive ranges covering
/// `0..x.len()`: maximal runs where every value of `x` is finite
/// (`finite = true`) and the non-finite stretches between them
/// (`finite = false`). `scan(x, from)` finds the next non-finite index.
pub(crate) fn for_each_finite_run(
    x: &[f64],
    scan: impl Fn(&[f64], usize) -> usize,
    mut f: impl FnMut(usize, usize, bool),
) {
    let n = x.len();
    let mut i = 0;
    while i < n {
        let end = scan(x, i);
        if end > i {
            f(i, end, true);
        }
        i = end;
        let mut j = i;
        while j < n && !x[j].is_finite() {
            j += 1;
        }
        if j > i {
            f(i, j, false);
        }
        i = j;
    }
}

/// The first index `>= from` holding a NaN or ±inf, or `x.len()`.
#[inline]
pub(crate) fn first_non_finite(x: &[f64], from: usize) -> usize {
    const CHUNK: usize = 16;
    let mut i = from;
    while i + CHUNK <= x.len() {
        // the branch-free fold vectorizes.
        let ok = x[i..i + CHUNK]
            .iter()
            .fold(true, |acc, &v| acc & (v.is_finite()));
        if !ok {
            break;
        }
        i += CHUNK;
    }
    first_non_finite_scalar(x, i)
}

/// The first index `>= from` holding a NaN or ±inf, one bar at a time.
#[inline]
pub(crate) fn first_non_finite_scalar(x: &[f64], from: usize) -> usize {
    let mut i = from;
    while i < x.len() && x[i].is_finite() {
        i += 1;
    }
    i
}

/// [`first_non_finite`] on the fastest path `backend` allows.
#[inline]
pub(crate) fn first_non_finite_on(backend: Backend, x: &[f64], from: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if backend == Backend::Avx2
        && let Some(t) = Avx2Fma::try_new()
    {
        return avx2::first_non_finite(t, x, from);
    }
    let _ = backend;
    first_non_finite(x, from)
}
