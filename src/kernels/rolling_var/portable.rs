//! Portable backend: the scalar code (see [`super::scalar`]).
//!
//! The kernel is two short in-register scans per chunk; `wide` offers no
//! cross-lane shuffles to build them, and under run-time dispatch its
//! `f64x4` is two SSE2 halves, so a `wide` version would not beat the
//! scalar loop (the same choice as `rolling_sum`'s scans). Same operations
//! in the same order as `scalar.rs`, hence the same bits.

use super::scalar;

/// Rolling variance; same contract as [`scalar::rolling`].
pub(crate) fn rolling(x: &[f64], p: usize, ddof: usize, out: &mut [f64]) {
    scalar::rolling(x, p, ddof, out);
}
