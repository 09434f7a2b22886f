//! One series against many constant thresholds.
//!
//! [`threshold_sweep`] gives, for every threshold `t`, the mask of
//! [`crate::compare`]`(x, op, t)`; [`threshold_cross_sweep`] the mask of
//! the transition `x[i] now t && x[i−1] before t` (`(Gt, Le)` is
//! [`crate::cross_above`]`(x, t)`, `(Lt, Ge)` is [`crate::cross_below`]).
//! Both run the crate's comparison kernels ([`crate::kernels::cross`], on
//! the caller's backend) block by block of [`BLOCK_BARS`] bars, all
//! thresholds per block, so each block of `x` is read from L1 once per
//! threshold instead of streaming the whole series from memory per
//! threshold. The masks are **bit-identical** to the single calls (the
//! comparisons are exact); for transitions the first bar of each block is
//! evaluated from its predecessor (the block kernel treats it as a bar 0).
//!
//! NaN policy as the single calls: NaN compares false (a NaN threshold
//! never fires); a NaN at `i` or `i − 1` means no transition at `i`.

use crate::bitmask::words_for;
use crate::error::{Result, check_period};
use crate::kernels::cross;
use crate::{Backend, BitMask, CmpOp, Rhs};

/// Bars per block (a multiple of 64): 16 KiB of the series.
pub const BLOCK_BARS: usize = 2048;

/// The result of a threshold sweep: one mask and one count per threshold,
/// in the thresholds' order.
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdSweep {
    thresholds: Vec<f64>,
    masks: Vec<BitMask>,
    counts: Vec<u64>,
}

impl ThresholdSweep {
    /// The thresholds, as given.
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// `masks()[k]`: the bars where the condition holds for threshold `k`.
    pub fn masks(&self) -> &[BitMask] {
        &self.masks
    }

    /// `counts()[k]`: `masks()[k].count_ones()`.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The masks, by value.
    pub fn into_masks(self) -> Vec<BitMask> {
        self.masks
    }
}

fn sweep(
    x: &[f64],
    thresholds: &[f64],
    mut block: impl FnMut(Backend, usize, &[f64], f64, &mut [u64]) -> Result<()>,
) -> Result<ThresholdSweep> {
    check_period("thresholds.len()", thresholds.len(), 1, usize::MAX)?;
    let backend = Backend::active();
    backend.check()?;
    let mut masks = thresholds
        .iter()
        .map(|_| BitMask::zeros(x.len()))
        .collect::<Vec<_>>();
    let mut b0 = 0;
    while b0 < x.len() {
        let b1 = (b0 + BLOCK_BARS).min(x.len());
        let (w0, w1) = (b0 / 64, b0 / 64 + words_for(b1 - b0));
        for (m, &t) in masks.iter_mut().zip(thresholds) {
            block(backend, b0, &x[b0..b1], t, &mut m.words_mut()[w0..w1])?;
        }
        b0 = b1;
    }
    let counts = masks.iter().map(|m| m.count_ones() as u64).collect();
    Ok(ThresholdSweep {
        thresholds: thresholds.to_vec(),
        masks,
        counts,
    })
}

/// For every threshold `t` of `thresholds`, the mask of
/// [`crate::compare`]`(x, op, t)` and its count (bit-identical to the
/// single calls). Errors: empty `thresholds` →
/// [`InvalidPeriod`](crate::Error::InvalidPeriod) named
/// `"thresholds.len()"`.
pub fn threshold_sweep(x: &[f64], op: CmpOp, thresholds: &[f64]) -> Result<ThresholdSweep> {
    sweep(x, thresholds, |be, _, xb, t, out| {
        cross::compare(be, xb, op, Rhs::Value(t), out)
    })
}

/// For every threshold `t`, the transition mask `x[i] now t &&
/// x[i−1] before t` (bar 0 never fires) and its count: `(Gt, Le)` equals
/// [`crate::cross_above`]`(x, t)`, `(Lt, Ge)` [`crate::cross_below`]`(x,
/// t)`, bit for bit. Errors as [`threshold_sweep`].
pub fn threshold_cross_sweep(
    x: &[f64],
    now: CmpOp,
    before: CmpOp,
    thresholds: &[f64],
) -> Result<ThresholdSweep> {
    sweep(x, thresholds, |be, b0, xb, t, out| {
        cross::transition(be, xb, now, before, Rhs::Value(t), out)?;
        // The kernel saw bar `b0` as a bar 0: evaluate it from `x[b0 - 1]`.
        if b0 > 0 && now.eval(xb[0], t) && before.eval(x[b0 - 1], t) {
            out[0] |= 1;
        }
        Ok(())
    })
}
