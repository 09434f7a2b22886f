//! Min-max decimation: the indices of the lowest and the highest value of
//! each of `buckets` equal slices of a series, for drawing long series.
//!
//! A line chart of ten million bars cannot show ten million points; a
//! chart that keeps, per pixel column, the bar with the lowest and the
//! bar with the highest value draws the same picture (every spike and dip
//! survives) from at most two points per bucket.
//!
//! # Semantics
//!
//! Bucket `b` (0-based) covers `x[b·n/buckets .. (b+1)·n/buckets)` (exact
//! integer division, so buckets differ in size by at most one and cover
//! `x` exactly; with `buckets >= n` every bucket holds at most one bar).
//! For each bucket the kernel finds the index of the smallest and of the
//! largest value, NaN ignored (±inf are values, the most extreme ones),
//! the *first* such index on ties. It writes them in ascending index
//! order, one index when they coincide and none for a bucket of only NaN,
//! so the output is strictly increasing. Every backend returns the same
//! indices (the comparisons are exact).
//!
//! # Algorithm
//!
//! scalar: one pass per bucket. portable (`wide::f64x4`) and AVX2: four
//! running (value, index) pairs per register, updated with ordered
//! strict comparisons and blends (a lane not yet holding a value takes any
//! non-NaN one), reduced across lanes at the end of the bucket (smallest
//! index among equal values), the bucket's tail handled one element at a
//! time; strict comparisons in index order keep the first occurrence.

use crate::Backend;
use crate::error::{Error, Result, check_period};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod portable;
mod scalar;

/// The half-open range of bucket `b` of `buckets` over `n` elements.
#[inline]
pub(crate) fn bucket(n: usize, buckets: usize, b: usize) -> (usize, usize) {
    let edge = |k: usize| ((k as u128 * n as u128) / buckets as u128) as usize;
    (edge(b), edge(b + 1))
}

/// The extremes of one bucket, as found by a backend: (argmin, argmax),
/// `None` when the bucket holds no non-NaN value.
pub(crate) type Extremes = Option<(usize, usize)>;

/// Writes the decimated indices of `x` into `out` and returns how many
/// were written (at most `2 · buckets`, at most `x.len()`). `out` must hold
/// at least `min(2 · buckets, x.len())` indices.
///
/// Errors: `buckets == 0` → `InvalidPeriod`; `out` too short →
/// `LengthMismatch`; an unavailable backend → `BackendUnavailable`.
pub fn decimate_minmax(
    backend: Backend,
    x: &[f64],
    buckets: usize,
    out: &mut [usize],
) -> Result<usize> {
    backend.check()?;
    check_period("buckets", buckets, 1, usize::MAX)?;
    let need = buckets.saturating_mul(2).min(x.len());
    if out.len() < need {
        return Err(Error::LengthMismatch {
            name: "out",
            expected: need,
            got: out.len(),
        });
    }
    let n = x.len();
    let mut written = 0;
    for b in 0..buckets.min(n) {
        let (start, end) = if buckets >= n {
            (b, b + 1)
        } else {
            bucket(n, buckets, b)
        };
        let ext = match backend {
            Backend::Scalar => scalar::extremes(x, start, end),
            Backend::Portable => portable::extremes(x, start, end),
            Backend::Avx2 => avx2_extremes(x, start, end)?,
        };
        if let Some((lo, hi)) = ext {
            let (first, second) = if lo <= hi { (lo, hi) } else { (hi, lo) };
            out[written] = first;
            written += 1;
            if second != first {
                out[written] = second;
                written += 1;
            }
        }
    }
    Ok(written)
}

#[cfg(target_arch = "x86_64")]
fn avx2_extremes(x: &[f64], start: usize, end: usize) -> Result<Extremes> {
    let token = crate::dispatch::Avx2Fma::try_new().ok_or(Error::BackendUnavailable {
        backend: Backend::Avx2,
    })?;
    Ok(avx2::extremes(token, x, start, end))
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_extremes(_x: &[f64], _start: usize, _end: usize) -> Result<Extremes> {
    Err(Error::BackendUnavailable {
        backend: Backend::Avx2,
    })
}

/// Reduces per-lane (value, index) candidates to the first extreme: the
/// best value, and among equal values the smallest index. `better(a, b)`
/// is the strict order (`<` for the minimum).
pub(crate) fn reduce_lanes(
    values: [f64; 4],
    indices: [usize; 4],
    valid: [bool; 4],
    better: impl Fn(f64, f64) -> bool,
) -> Option<(f64, usize)> {
    let mut best: Option<(f64, usize)> = None;
    for l in 0..4 {
        if !valid[l] {
            continue;
        }
        let (v, i) = (values[l], indices[l]);
        best = match best {
            None => Some((v, i)),
            Some((bv, bi)) if better(v, bv) || (v == bv && i < bi) => Some((v, i)),
            keep => keep,
        };
    }
    best
}

/// Continues a running extreme over `x[from..end]` one element at a time
/// (strict comparisons keep the first occurrence).
pub(crate) fn finish_tail(
    x: &[f64],
    from: usize,
    end: usize,
    mut best: Option<(f64, usize)>,
    better: impl Fn(f64, f64) -> bool,
) -> Option<(f64, usize)> {
    for (i, &v) in x.iter().enumerate().take(end).skip(from) {
        if v.is_nan() {
            continue;
        }
        match best {
            Some((bv, _)) if !better(v, bv) => {}
            _ => best = Some((v, i)),
        }
    }
    best
}
