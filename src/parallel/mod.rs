//! Multi-threaded indicators and triggers (issue #6): many symbols at once,
//! and one long series split across threads.
//!
//! Everything here runs on [rayon](https://docs.rs/rayon)'s current pool
//! (use `ThreadPool::install` to choose one) when the `rayon` feature is on
//! (the default), and serially otherwise, with **identical results**: the
//! work is cut into pieces that do not depend on the number of threads, and
//! each piece runs the same serial code. The kernels' backend is the one
//! active on the calling thread ([`crate::Backend::active`], including a
//! [`crate::with_backend`] override), passed on to every worker. (Inside
//! `pool.install(..)` the calling thread is a worker of that pool: set the
//! override inside the closure, `pool.install(|| with_backend(b, || ..))`.)
//!
//! # Many series ([`many`])
//!
//! One task per symbol (or per group of 8 series of one length for
//! [`ema_many`] and [`rsi_many`], which then use the 4-lane many-series
//! kernels). Each symbol's result is bit-for-bit the result of the serial
//! single-symbol function named in each function's docs. [`evaluate_many`]
//! runs a compiled trigger [`Plan`](crate::trigger::Plan) over many
//! [`Bars`](crate::trigger::Bars) with one
//! [`Scratch`](crate::trigger::Scratch) per worker job;
//! [`evaluate_many_in`] keeps those scratches in a caller's pool across
//! calls, and [`map_series_into`] uses such a pool to write series
//! expressions for every symbol into one caller block per symbol (one
//! job per symbol for all of them). Every single-output and BBANDS/ATR function has an `_into`
//! variant ([`sma_many_into`], [`bbands_many_into`], [`atr_many_into`], …)
//! writing into caller buffers: fresh series-long outputs cost a page
//! fault per 4 KiB, and page faults serialize threads on the process's
//! memory map, so a repeated scan should reuse its buffers.
//!
//! # Figures (`benches/parallel.rs`, one run, 2-core machine under load 6–9)
//!
//! 64 symbols × 1e5 bars, five indicators (SMA, EMA, RSI, BBANDS, ATR):
//! into reused buffers 3.2× faster than the allocating functions on one
//! thread (117 ms vs 369 ms). Two threads against one: 0.75× into
//! buffers, 1.09× allocating — but a trivially parallel control (summing
//! each symbol's closes) measured 0.89× in the same run, i.e. the machine
//! gave this process about one core, so the thread scaling (issue #6's
//! target: ≥ 1.8×) is not measurable there; rerun the bench on an idle
//! machine. Long series (1e7 bars, 2 threads vs serial, one run at load
//! 10 where the read-only control measured 1.06×, i.e. about one core for
//! this process): the trigger set of the bench 1.59× (0.48× before its
//! windowed indicators were computed piece by piece and its mask words
//! written in place); SMA 0.92× and EMA 0.96× with fresh outputs, whose
//! page faults cost about 90 % of the time (a read-only pass over the
//! same 80 MB took 28 ms, a serial SMA with a fresh output 218 ms): use
//! [`sma_chunked_into`] / [`ema_chunked_into`] with a reused buffer.
//!
//! # One long series ([`chunked`], [`carry`], [`triggers`])
//!
//! The series is cut into chunks of [`ChunkLen`] bars, computed in
//! parallel and written in place:
//! - windowed indicators (SMA, VAR, STDDEV, BBANDS, MIN/MAX, STOCH, WMA)
//!   recompute a warm-up overlap (halo) before each chunk; where the
//!   kernel's summation order depends on the position of the window in
//!   the slice (chunks of `period` values for SMA and the variance
//!   family, of `lcm(slowk, slowd)` bars for STOCH), the halo starts at a
//!   position with the serial run's alignment, so the outputs are
//!   **bit-identical** to the serial indicator. WMA restarts its running
//!   sums at positions that depend on the whole history, so it is equal
//!   within [`crate::kernels::wma`]'s bound instead (see [`wma_chunked`]);
//! - recursive indicators (EMA, RSI, ATR, MACD) compose each chunk's
//!   affine map in parallel, scan the maps for every chunk's true initial
//!   state, then run each chunk's kernel from it ([`carry`]); equal to the
//!   serial indicator within the bound documented there;
//! - triggers ([`evaluate_chunked`]): indicator series computed chunked,
//!   then each chunk's masks with a halo covering every `prev`, crossing,
//!   `held` and `within` reach, stitched into one mask per trigger.

pub mod carry;
pub mod chunked;
pub mod many;
pub mod triggers;

pub use carry::{atr_chunked, ema_chunked, ema_chunked_into, macd_chunked, rsi_chunked};
pub use chunked::{
    bbands_chunked, max_chunked, min_chunked, sma_chunked, sma_chunked_into, stddev_chunked,
    stoch_chunked, var_chunked, wma_chunked,
};
pub use many::{
    atr_many, atr_many_into, bbands_many, bbands_many_into, ema_many, ema_many_into, evaluate_many,
    evaluate_many_in, macd_many, map_series, map_series_into, max_many, max_many_into, min_many,
    min_many_into, rsi_many, rsi_many_into, sma_many, sma_many_into, stddev_many, stddev_many_into,
    stoch_many, var_many, var_many_into, wma_many, wma_many_into,
};
pub use triggers::{ChunkedEvaluation, evaluate_chunked};

use crate::error::{Error, Result};
use crate::{Backend, with_backend};

/// How long the chunks of a long series are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChunkLen {
    /// [`default_chunk_len`] of the series' length and halo.
    #[default]
    Auto,
    /// Exactly this many bars per chunk (the last chunk may be shorter);
    /// must be at least 1. Any value gives the same results (tests force
    /// every size from 1 to the series' length).
    Fixed(usize),
}

impl From<usize> for ChunkLen {
    fn from(len: usize) -> Self {
        ChunkLen::Fixed(len)
    }
}

/// The default chunk length for a series of `n` bars whose chunks
/// recompute `halo` bars before them: about four chunks per thread of the
/// current pool (so uneven chunks even out), but at least 64 Ki bars and
/// 16 halos (so the halo and per-chunk overhead stay small), and at most
/// `n`.
pub fn default_chunk_len(n: usize, halo: usize) -> usize {
    let per = n.div_ceil(4 * threads());
    per.max(1 << 16).max(halo.saturating_mul(16)).min(n).max(1)
}

impl ChunkLen {
    /// The chunk length to use for `n` bars with a `halo`, or
    /// [`Error::InvalidPeriod`] named `"chunk_len"` for `Fixed(0)`.
    pub fn resolve(self, n: usize, halo: usize) -> Result<usize> {
        match self {
            ChunkLen::Auto => Ok(default_chunk_len(n, halo)),
            ChunkLen::Fixed(0) => Err(Error::InvalidPeriod {
                name: "chunk_len",
                value: 0,
                min: 1,
                max: usize::MAX,
            }),
            ChunkLen::Fixed(len) => Ok(len),
        }
    }
}

/// Threads of the current rayon pool (1 without the `rayon` feature).
pub fn threads() -> usize {
    #[cfg(feature = "rayon")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "rayon"))]
    {
        1
    }
}

/// Runs `f` on this thread under `backend` (workers do not inherit the
/// caller's override).
fn on<R>(backend: Backend, f: impl FnOnce() -> Result<R>) -> Result<R> {
    with_backend(backend, f).and_then(|r| r)
}

/// `f` on every item, in parallel, under the caller's backend; results in
/// order. The first error (in item order) is returned.
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync + Send,
) -> Result<Vec<R>> {
    let be = Backend::active();
    #[cfg(feature = "rayon")]
    let all: Vec<Result<R>> = {
        use rayon::prelude::*;
        items.par_iter().map(|t| on(be, || f(t))).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let all: Vec<Result<R>> = items.iter().map(|t| on(be, || f(t))).collect();
    all.into_iter().collect()
}

/// `f` on every item (mutably), in parallel, under the caller's backend.
/// The first error (in item order) is returned.
pub(crate) fn par_each<T: Send>(
    items: &mut [T],
    f: impl Fn(&mut T) -> Result<()> + Sync + Send,
) -> Result<()> {
    par_each_all(items, f).into_iter().collect()
}

/// `f` on every item (mutably), in parallel, under the caller's backend;
/// every item's result, in item order.
pub(crate) fn par_each_all<T: Send>(
    items: &mut [T],
    f: impl Fn(&mut T) -> Result<()> + Sync + Send,
) -> Vec<Result<()>> {
    let be = Backend::active();
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        items.par_iter_mut().map(|t| on(be, || f(t))).collect()
    }
    #[cfg(not(feature = "rayon"))]
    items.iter_mut().map(|t| on(be, || f(t))).collect()
}
/// The chunks `[c0, c1)` of `0..n` for chunk length `len`.
pub(crate) fn grid(n: usize, len: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n.div_ceil(len)).map(move |i| (i * len, ((i + 1) * len).min(n)))
}

/// Splits `K` output buffers of length `n` into per-chunk pieces:
/// `(c0, c1, [piece; K])` for each chunk of the grid.
pub(crate) fn split_outs<const K: usize>(
    outs: [&mut [f64]; K],
    len: usize,
) -> Vec<(usize, usize, [&mut [f64]; K])> {
    let n = outs.first().map_or(0, |o| o.len());
    let mut iters = outs.map(|o| o.chunks_mut(len));
    grid(n, len)
        .map(|(c0, c1)| {
            let pieces = core::array::from_fn(|k| iters[k].next().unwrap_or_default());
            (c0, c1, pieces)
        })
        .collect()
}

/// Mutable pieces of `out` for sorted, disjoint `ranges`.
pub(crate) fn carve<'a>(out: &'a mut [f64], ranges: &[(usize, usize)]) -> Vec<&'a mut [f64]> {
    let mut rest = out;
    let mut pos = 0;
    let mut pieces = Vec::with_capacity(ranges.len());
    for &(a, b) in ranges {
        let (_, tail) = core::mem::take(&mut rest).split_at_mut(a - pos);
        let (piece, tail) = tail.split_at_mut(b - a);
        pieces.push(piece);
        rest = tail;
        pos = b;
    }
    pieces
}

/// For each chunk of the grid, the last bar before its start for which
/// `bad` holds (computed in parallel, one scan of the series).
pub(crate) fn last_bad_before(
    n: usize,
    len: usize,
    bad: impl Fn(usize) -> bool + Sync + Send,
) -> Result<Vec<Option<usize>>> {
    let chunks: Vec<(usize, usize)> = grid(n, len).collect();
    let last_in = par_map(&chunks, |&(c0, c1)| Ok((c0..c1).rev().find(|&i| bad(i))))?;
    let mut before = Vec::with_capacity(chunks.len());
    let mut last = None;
    for l in last_in {
        before.push(last);
        last = l.or(last);
    }
    Ok(before)
}

/// The maximal runs `[start, end)` of bars where `fin` holds, in order
/// (found chunk by chunk in parallel, then joined).
pub(crate) fn finite_runs(
    n: usize,
    len: usize,
    fin: impl Fn(usize) -> bool + Sync + Send,
) -> Result<Vec<(usize, usize)>> {
    let chunks: Vec<(usize, usize)> = grid(n, len).collect();
    let local = par_map(&chunks, |&(c0, c1)| {
        let mut runs = Vec::new();
        let mut i = c0;
        while i < c1 {
            while i < c1 && !fin(i) {
                i += 1;
            }
            let s = i;
            while i < c1 && fin(i) {
                i += 1;
            }
            if s < i {
                runs.push((s, i));
            }
        }
        Ok(runs)
    })?;
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (s, e) in local.into_iter().flatten() {
        match runs.last_mut() {
            Some(last) if last.1 == s => last.1 = e,
            _ => runs.push((s, e)),
        }
    }
    Ok(runs)
}
