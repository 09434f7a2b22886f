//! STOCH's raw %K from the window's highest high and lowest low.
//!
//! `%K = (close − LL) / ((HH − LL) / 100)`, TA-Lib's formula with its two
//! divisions, and 0 on a flat window (`HH == LL`). Scalar divisions are
//! latency-bound and made this step as costly as both rolling extremes, so
//! it has its own paths: scalar, portable (`wide`) and AVX2. Every path
//! performs the same correctly rounded operations, so **the results are
//! bit-identical across backends** (and to TA-Lib's formula).

mod portable;
mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx2;

use crate::Backend;
use crate::error::{Error, Result, check_len};

/// The largest raw %K magnitude [`raw_k_tame`] calls tame: sums of up to
/// 100000 such values (an SMA window) stay far below `f64::MAX`.
pub const TAME: f64 = 1e300;

/// Raw %K per bar: `ll_to_k` holds the lowest lows on entry and the raw %K
/// on return; `close` and `hh` are read. Errors: slices of different
/// lengths ([`Error::LengthMismatch`]).
pub fn raw_k(backend: Backend, close: &[f64], hh: &[f64], ll_to_k: &mut [f64]) -> Result<()> {
    raw_k_tame(backend, close, hh, ll_to_k).map(|_| ())
}

/// [`raw_k`], also telling whether every output is *tame* (finite and at
/// most [`TAME`] in magnitude) **and every close is finite**. Then SMAs of
/// it (periods up to 100000) cannot overflow, so STOCH skips its
/// non-finite cleanup pass; and a close that is NaN or ±inf is caught even
/// on a flat window, whose raw %K is 0 whatever the close (STOCH's
/// optimistic pass relies on it). The flag costs a few compares per vector
/// in the division-bound loop.
pub fn raw_k_tame(
    backend: Backend,
    close: &[f64],
    hh: &[f64],
    ll_to_k: &mut [f64],
) -> Result<bool> {
    backend.check()?;
    check_len("hh", close.len(), hh.len())?;
    check_len("ll_to_k", close.len(), ll_to_k.len())?;
    match backend {
        Backend::Scalar => Ok(scalar::raw_k(close, hh, ll_to_k)),
        Backend::Portable => Ok(portable::raw_k(close, hh, ll_to_k)),
        Backend::Avx2 => avx2_raw_k(close, hh, ll_to_k),
    }
}

#[cfg(target_arch = "x86_64")]
fn avx2_raw_k(close: &[f64], hh: &[f64], out: &mut [f64]) -> Result<bool> {
    let token = crate::dispatch::Avx2Fma::try_new().ok_or(Error::BackendUnavailable {
        backend: Backend::Avx2,
    })?;
    Ok(avx2::raw_k(token, close, hh, out))
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_raw_k(_close: &[f64], _hh: &[f64], _out: &mut [f64]) -> Result<bool> {
    Err(Error::BackendUnavailable {
        backend: Backend::Avx2,
    })
}
