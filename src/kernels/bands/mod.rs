//! Turning rolling variances into standard deviations and Bollinger bands
//! (and the VAR indicator's non-finite-to-NaN step).
//!
//! STDDEV and BBANDS finish the rolling mean/variance kernel's output with
//! a square root per bar. A scalar `sqrt` per element is latency-bound and
//! costs as much as the whole variance kernel, so the finishing pass has
//! its own dispatched paths: scalar, portable (`wide`, 2 lanes) and AVX2
//! (4 lanes).
//!
//! Every path performs the same IEEE operations in the same order
//! (`max(v, +0) → sqrt → ×k`, and `middle ± (k·σ)` without FMA), all
//! correctly rounded, so **the outputs are bit-identical across
//! backends**. A non-finite variance or mean gives NaN in every output of
//! that bar (the crate's NaN policy).

mod portable;
pub(crate) mod scalar;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;

use crate::Backend;
use crate::error::{Error, Result, check_len};

/// Replaces every NaN or ±inf in `v` by `f64::NAN` (the VAR indicator's
/// finishing step: a window whose squared deviations overflow gives
/// `+inf`, which the crate's NaN policy reports as NaN). Finite values are
/// left as they are, so the outputs are bit-identical across backends.
pub fn finite_or_nan(backend: Backend, v: &mut [f64]) -> Result<()> {
    backend.check()?;
    match backend {
        Backend::Scalar => scalar::finite_or_nan(v),
        Backend::Portable => portable::finite_or_nan(v),
        Backend::Avx2 => avx2_finite_or_nan(v)?,
    }
    Ok(())
}

/// Replaces each variance `v` in `var` by `nbdev·sqrt(max(v, 0))`, or NaN
/// where `v` is NaN or ±inf.
pub fn stddev_from_var(backend: Backend, var: &mut [f64], nbdev: f64) -> Result<()> {
    backend.check()?;
    match backend {
        Backend::Scalar => scalar::stddev(var, nbdev),
        Backend::Portable => portable::stddev(var, nbdev),
        Backend::Avx2 => avx2_stddev(var, nbdev)?,
    }
    Ok(())
}

/// Forms Bollinger bands in place from a rolling mean (`middle`) and a
/// rolling variance (given in `upper`): `upper = middle + up·σ`,
/// `lower = middle − dn·σ` with `σ = sqrt(max(var, 0))`; every output is
/// NaN where the mean or the variance is not finite.
/// Errors: `upper` or `lower` not of `middle`'s length
/// ([`Error::LengthMismatch`]).
pub fn bands_from_mean_var(
    backend: Backend,
    middle: &mut [f64],
    upper: &mut [f64],
    lower: &mut [f64],
    up: f64,
    dn: f64,
) -> Result<()> {
    backend.check()?;
    check_len("upper", middle.len(), upper.len())?;
    check_len("lower", middle.len(), lower.len())?;
    match backend {
        Backend::Scalar => scalar::bands::<true>(middle, upper, lower, up, dn),
        Backend::Portable => portable::bands::<true>(middle, upper, lower, up, dn),
        Backend::Avx2 => avx2_bands::<true>(middle, upper, lower, up, dn)?,
    }
    Ok(())
}

/// [`bands_from_mean_var`] from the standard deviation instead of the
/// variance: `sigma` holds `σ = `[`stddev_from_var`]`(var, 1.0)` (NaN for a
/// non-finite variance), and the bands are formed in place,
/// `upper = middle + up·σ`, `lower = middle − dn·σ`, NaN everywhere the
/// mean or `σ` is not finite. Bit-identical to [`bands_from_mean_var`]
/// given the variance (the same operations, with the square root done
/// earlier, e.g. fused into the variance kernel).
/// Errors: `sigma` or `lower` not of `middle`'s length
/// ([`Error::LengthMismatch`]).
pub fn bands_from_mean_sigma(
    backend: Backend,
    middle: &mut [f64],
    sigma: &mut [f64],
    lower: &mut [f64],
    up: f64,
    dn: f64,
) -> Result<()> {
    backend.check()?;
    check_len("sigma", middle.len(), sigma.len())?;
    check_len("lower", middle.len(), lower.len())?;
    match backend {
        Backend::Scalar => scalar::bands::<false>(middle, sigma, lower, up, dn),
        Backend::Portable => portable::bands::<false>(middle, sigma, lower, up, dn),
        Backend::Avx2 => avx2_bands::<false>(middle, sigma, lower, up, dn)?,
    }
    Ok(())
}

fn unavailable() -> Error {
    Error::BackendUnavailable {
        backend: Backend::Avx2,
    }
}

#[cfg(target_arch = "x86_64")]
fn avx2_finite_or_nan(v: &mut [f64]) -> Result<()> {
    let token = crate::dispatch::Avx2Fma::try_new().ok_or_else(unavailable)?;
    avx2::finite_or_nan(token, v);
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_finite_or_nan(_v: &mut [f64]) -> Result<()> {
    Err(unavailable())
}

#[cfg(target_arch = "x86_64")]
fn avx2_stddev(var: &mut [f64], nbdev: f64) -> Result<()> {
    let token = crate::dispatch::Avx2Fma::try_new().ok_or_else(unavailable)?;
    avx2::stddev(token, var, nbdev);
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_stddev(_var: &mut [f64], _nbdev: f64) -> Result<()> {
    Err(unavailable())
}

#[cfg(target_arch = "x86_64")]
fn avx2_bands<const ROOT: bool>(
    m: &mut [f64],
    u: &mut [f64],
    l: &mut [f64],
    up: f64,
    dn: f64,
) -> Result<()> {
    let token = crate::dispatch::Avx2Fma::try_new().ok_or_else(unavailable)?;
    avx2::bands::<ROOT>(token, m, u, l, up, dn);
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_bands<const ROOT: bool>(
    _m: &mut [f64],
    _u: &mut [f64],
    _l: &mut [f64],
    _up: f64,
    _dn: f64,
) -> Result<()> {
    Err(unavailable())
}
