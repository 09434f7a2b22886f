//! Parameter sweeps: one indicator or trigger over many parameter sets,
//! sharing the work the single calls would repeat.
//!
//! - [`sma_sweep`]: SMA for a list of periods from one set of *dyadic
//!   block sums* (see [`sma`] for the algorithm and the error
//!   bound, which is window-local like the single-period kernel's);
//!   [`sma_sweep_blocks`] hands the rows out block by block of bars (in
//!   cache) instead of materializing `periods × n` values.
//! - [`ema_sweep`], [`rsi_sweep`]: many periods of one series, periods in
//!   parallel (feature `rayon`); **bit-identical** to [`crate::ema`] /
//!   [`crate::rsi`] on the caller's backend.
//! - [`cross_sweep`], [`cross_sweep_counts`]: `SMA(fast)` crosses above
//!   `SMA(slow)` for every pair `fast < slow`, as packed [`BitMask`]s and
//!   event counts, without materializing the SMA series (and
//!   [`cross_sweep_par`] / [`cross_sweep_counts_par`] with rayon).
//! - [`threshold_sweep`], [`threshold_cross_sweep`]: one series against
//!   many constant thresholds, through the crate's comparison kernels run
//!   block by block of bars so that the series stays in L1 (measured about
//!   as fast as separate calls: the kernels are already memory-bound on
//!   their output).
//!
//! # Measured speed
//!
//! `cargo bench --bench sweep` (criterion medians, all ids of a row
//! measured in the same run) on a shared 2-core VM at load average 6–10,
//! so only the ratios mean much:
//!
//! | sweep (1e5 bars) | sweep | separate calls | ratio |
//! |---|---|---|---|
//! | SMA 2..=200, block-wise (256 bars) with a consumer summing every row | 11.1 ms | 65.5 ms (199 `sma_into`, reused buffers) | 5.9x |
//! | SMA 2..=200, block-wise (512 bars), same consumer and run | 14.3 ms | 65.5 ms | 4.6x |
//! | SMA 2..=200, into reused buffers (159 MB written) | 45 ms | 96 ms | 2.1x |
//! | SMA 2..=200, allocating (159 MB, page faults dominate) | 365 ms | 278 ms | 0.76x |
//! | cross, 14,751 pairs, counts only | 546 ms | 2.93 s (199 `sma` + 14,751 `cross_above_into`) | 5.4x |
//! | cross, 14,751 pairs, masks | 1.69 s | 2.93 s | 1.7x |
//! | cross, masks / counts, rayon | 1.36 s / 591 ms | | (no gain at this load) |
//! | cross, masks, event-driven vs pair loop (later run, load 2–7) | 571 ms | 907 ms (pair loop) | 1.6x |
//! | cross, counts, event-driven vs pair loop (same run) | 388 ms | 397 ms (pair loop) | 1.0x |
//! | cross, counts, event-driven vs pair loop, 2 threads (later run, load 1–2, reworked AVX2 step) | 71 ms | 138 ms (pair loop) | 1.9x |
//! | cross, masks into warm buffers, same run | 108 ms | 247 ms (pair loop) | 2.3x |
//! | 31 thresholds, `compare` | 642 µs | 709 µs | 1.1x |
//! | 31 thresholds, crosses | 1.20 ms | 1.10 ms | 0.92x |
//! | EMA / RSI, periods 2..=64 (rayon) | 77 / 66 ms | 91 / 94 ms | 1.2x / 1.4x |
//!
//! (The allocating SMA, cross-masks, threshold and EMA/RSI rows are from
//! an earlier run, before the row kernel below.) The SMA rows come from
//! a prefix tree of the periods ([`sma`]): one addition and one product
//! per output for a contiguous period range, in AVX2 code. The
//! block-wise form reaches the 5x target with blocks of 256 bars (the 199
//! rows of a block, 400 KB, stay in L2; about 0.56 ns of wall time per
//! output, the consumer's reading included; load average 6 in that run,
//! 4.2x at 512 bars in a run at load 10); the materializing forms are
//! bound by writing `periods × n` values. The
//! cross sweep's counting form costs 0.37 ns per pair-bar in wall time
//! here through the pair loop (16 `vcmppd` + packs per 64 bars per pair,
//! both rows loaded from L1); with masks, writing 186 MB of fresh mask
//! memory roughly triples that. The event-driven form reaches the 0.05 ns
//! goal on 2 threads (0.048 ns per pair-bar in the later run above).
//!
//! # Errors (all sweeps)
//!
//! - an empty parameter list → [`Error::InvalidPeriod`] named after the
//!   list with a `.len()` suffix (e.g. `"periods.len()"`), value 0, min 1;
//! - a period outside the single-call function's range (SMA and EMA
//!   `1..=100000`, RSI `2..=100000`) → [`Error::InvalidPeriod`];
//! - for crosses, pairs with `fast >= slow` are **skipped** (documented
//!   layout below); lists that give no pair at all are not an error, the
//!   result simply has no pairs.
//!
//! NaN policy: exactly the single-call functions' (SMA windows holding a
//! NaN or ±inf are NaN, NaN compares false, a NaN at `i` or `i − 1`
//! means no cross at `i`).
//!
//! [`BitMask`]: crate::BitMask
//! [`Error::InvalidPeriod`]: crate::Error::InvalidPeriod

pub mod cross;
mod cross_events;
mod recursive;
pub mod sma;
pub mod threshold;
mod words;

pub use cross::{
    CrossAlgorithm, CrossSweep, cross_pairs, cross_sweep, cross_sweep_counts,
    cross_sweep_counts_with, cross_sweep_into, cross_sweep_with,
};
#[cfg(feature = "rayon")]
pub use cross::{cross_sweep_counts_par, cross_sweep_par};
pub use recursive::{ema_sweep, rsi_sweep};
pub use sma::{SmaBlock, sma_sweep, sma_sweep_blocks, sma_sweep_into};
pub use threshold::{ThresholdSweep, threshold_cross_sweep, threshold_sweep};

use crate::error::{Result, check_period};

/// TA-Lib's largest period, as the single-call indicators.
const MAX_PERIOD: usize = 100_000;

/// `Err(InvalidPeriod)` for an empty list (`name` ends in `.len()`), else
/// checks each period against `min..=100000`.
pub(crate) fn check_periods(
    list_name: &'static str,
    name: &'static str,
    periods: &[usize],
    min: usize,
) -> Result<()> {
    check_period(list_name, periods.len(), 1, usize::MAX)?;
    for &p in periods {
        check_period(name, p, min, MAX_PERIOD)?;
    }
    Ok(())
}
