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

/// Raw %K per bar: `ll_to_k` holds the lowest lows on entry and the raw %K
/// on return; `close` and `hh` are read. Errors: slices of different
/// lengths ([`Error::LengthMismatch`]).
pub fn raw_k(backend: Backend, close: &[f64], hh: &[f64], ll_to_k: &mut [f64]) -> Result<()> {
    backend.check()?;
    check_len("hh", close.len(), hh.len())?;
    check_len("ll_to_k", close.len(), ll_to_k.len())?;
    match backend {
        Backend::Scalar => scalar::raw_k(close, hh, ll_to_k),
        Backend::Portable => portable::raw_k(close, hh, ll_to_k),
        Backend::Avx2 => avx2_raw_k(close, hh, ll_to_k)?,
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
fn avx2_raw_k(close: &[f64], hh: &[f64], out: &mut [f64]) -> Result<()> {
    let token = crate::dispatch::Avx2Fma::try_new().ok_or(Error::BackendUnavailable {
        backend: Backend::Avx2,
    })?;
    avx2::raw_k(token, close, hh, out);
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_raw_k(_close: &[f64], _hh: &[f64], _out: &mut [f64]) -> Result<()> {
    Err(Error::BackendUnavailable {
        backend: Backend::Avx2,
    })
}
