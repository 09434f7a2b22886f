//! The miss path of [`Engine::indicator`](super::Engine::indicator) for an
//! indicator read straight from the series' columns (`sma(20)`,
//! `ema(high, 10)`, `macd(12, 26, 9).signal`, `atr(14)`, …): it calls the
//! indicator's `_into` function on the stored columns, writing into
//! buffers from the engine's [`Pool`], with no plan compiled, scheduled and
//! dropped per call (that bookkeeping cost about 1–2 µs per miss, 5–10 %
//! of a 1e4-bar SMA). These are the functions a [`Plan`] step runs for the
//! same indicator, so the outputs are bit-identical to
//! [`Plan::evaluate`]'s (tests/engine.rs checks every indicator kind).
//! Anything else (an input expression such as `rsi(ema(close, 5), 14)`, a
//! column the series lacks) goes through [`Plan::indicator_with`].
//!
//! [`Plan`]: crate::trigger::Plan
//! [`Plan::evaluate`]: crate::trigger::Plan::evaluate
//! [`Plan::indicator_with`]: crate::trigger::Plan::indicator_with

use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Result;
use crate::trigger::{Column, Indicator, IndicatorOutputs, Series};

use super::Ohlcv;

/// The most idle buffers a [`Pool`] keeps (each `take` scans them).
const MAX_IDLE: usize = 64;

/// Idle output buffers, taken back from entries the cache dropped (evicted
/// or cleared) while nobody else held them, and handed to the next
/// computation of a similar length: a fresh buffer costs a zeroing pass
/// (and, for long series, a page fault per 4 KiB) that a reused one does
/// not. Holds at most `limit` bytes and [`MAX_IDLE`] buffers.
#[derive(Debug)]
pub(crate) struct Pool {
    idle: Mutex<Idle>,
    limit: u64,
}

#[derive(Debug, Default)]
struct Idle {
    bufs: Vec<Vec<f64>>,
    bytes: u64,
}

fn bytes_of(v: &Vec<f64>) -> u64 {
    (v.capacity() * size_of::<f64>()) as u64
}

impl Pool {
    pub(crate) fn new(limit: u64) -> Pool {
        Pool {
            idle: Mutex::default(),
            limit,
        }
    }

    /// Bytes held by idle buffers.
    pub(crate) fn bytes(&self) -> u64 {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }

    /// A buffer of length `n` with stale contents (callers overwrite all
    /// of it): the idle one of the smallest capacity in `n..=2n`, else a
    /// fresh one. (Entries are charged by capacity, so a much larger
    /// buffer would waste cache room.)
    pub(crate) fn take(&self, n: usize) -> Vec<f64> {
        let found = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            let best = idle
                .bufs
                .iter()
                .enumerate()
                .filter(|(_, v)| (n..=n.saturating_mul(2)).contains(&v.capacity()))
                .min_by_key(|(_, v)| v.capacity())
                .map(|(i, _)| i);
            best.map(|i| {
                let v = idle.bufs.swap_remove(i);
                idle.bytes -= bytes_of(&v);
                v
            })
        };
        match found {
            Some(mut v) => {
                // Stale values stay; only growth writes (zeros).
                if v.len() >= n {
                    v.truncate(n);
                } else {
                    v.resize(n, 0.0);
                }
                v
            }
            None => vec![0.0; n],
        }
    }

    /// Keeps `v` for reuse if there is room (else frees it, outside the
    /// lock).
    pub(crate) fn put(&self, v: Vec<f64>) {
        if v.capacity() == 0 {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.bufs.len() < MAX_IDLE && idle.bytes + bytes_of(&v) <= self.limit {
            idle.bytes += bytes_of(&v);
            idle.bufs.push(v);
        } else {
            drop(idle);
            drop(v);
        }
    }

    /// Takes the buffers of `outputs` back if nobody else holds them (a
    /// caller may still hold an [`Output`](super::Output) sharing them).
    pub(crate) fn recycle(&self, mut outputs: IndicatorOutputs) {
        if let Some(bufs) = Arc::get_mut(&mut outputs) {
            for v in bufs {
                self.put(std::mem::take(v));
            }
        }
    }

    /// Frees every idle buffer.
    pub(crate) fn clear(&self) {
        let bufs = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.bytes = 0;
            std::mem::take(&mut idle.bufs)
        };
        drop(bufs);
    }
}

/// The input an indicator reads.
enum Input<'d> {
    /// One series (a column).
    One(&'d [f64]),
    /// High, low and close.
    Hlc(&'d [f64], &'d [f64], &'d [f64]),
}

/// How to compute `ind` directly over `data`, if its input is a column
/// the series has (or, for ATR, TRANGE and STOCH, if it has high, low and
/// close); `None` sends the caller to the plan.
pub(crate) fn plan_free<'d>(
    ind: &'d Indicator,
    data: &'d Ohlcv,
) -> Option<impl FnOnce(&Pool) -> Result<IndicatorOutputs> + 'd> {
    let input = match ind.input() {
        Some(Series::Column(c)) => Input::One(data.column(*c)?),
        Some(_) => return None,
        None => Input::Hlc(
            data.column(Column::High)?,
            data.column(Column::Low)?,
            data.column(Column::Close)?,
        ),
    };
    Some(move |pool: &Pool| compute(ind, &input, pool))
}

/// `outs` buffers of length `n` from `pool`, filled by `f`; on error they
/// go back to the pool.
fn with_bufs<const K: usize>(
    pool: &Pool,
    n: usize,
    f: impl FnOnce(&mut [Vec<f64>; K]) -> Result<()>,
) -> Result<IndicatorOutputs> {
    let mut bufs: [Vec<f64>; K] = core::array::from_fn(|_| pool.take(n));
    match f(&mut bufs) {
        Ok(()) => Ok(Arc::new(bufs)),
        Err(e) => {
            bufs.into_iter().for_each(|v| pool.put(v));
            Err(e)
        }
    }
}

/// Runs the indicator function a plan step runs for `ind` (see
/// `compute_indicator` in src/trigger/plan.rs: the same calls, so the same
/// bits and the same errors).
fn compute(ind: &Indicator, input: &Input<'_>, pool: &Pool) -> Result<IndicatorOutputs> {
    let (x, hlc) = match *input {
        Input::One(x) => (x, None),
        Input::Hlc(h, l, c) => (c, Some((h, l, c))),
    };
    let n = x.len();
    let one = |f: &dyn Fn(&mut [f64]) -> Result<()>| with_bufs::<1>(pool, n, |[o]| f(o));
    match (ind, hlc) {
        (Indicator::Sma { period, .. }, None) => one(&|o| crate::sma_into(x, *period, o)),
        (Indicator::Ema { period, .. }, None) => one(&|o| crate::ema_into(x, *period, o)),
        (Indicator::Wma { period, .. }, None) => one(&|o| crate::wma_into(x, *period, o)),
        (Indicator::Rsi { period, .. }, None) => one(&|o| crate::rsi_into(x, *period, o)),
        (Indicator::Max { period, .. }, None) => one(&|o| crate::max_into(x, *period, o)),
        (Indicator::Min { period, .. }, None) => one(&|o| crate::min_into(x, *period, o)),
        (Indicator::Var { period, .. }, None) => one(&|o| crate::var_into(x, *period, o)),
        (Indicator::Stddev { period, nbdev, .. }, None) => {
            one(&|o| crate::stddev_into(x, *period, *nbdev, o))
        }
        (
            Indicator::Macd {
                fast, slow, signal, ..
            },
            None,
        ) => with_bufs::<3>(pool, n, |[a, b, c]| {
            crate::macd_into(x, *fast, *slow, *signal, a, b, c)
        }),
        (
            Indicator::Bbands {
                period,
                nbdev_up,
                nbdev_dn,
                ..
            },
            None,
        ) => with_bufs::<3>(pool, n, |[a, b, c]| {
            crate::bbands_into(x, *period, *nbdev_up, *nbdev_dn, a, b, c)
        }),
        (Indicator::Atr { period }, Some((h, l, c))) => {
            one(&|o| crate::atr_into(h, l, c, *period, o))
        }
        (Indicator::Trange, Some((h, l, c))) => one(&|o| crate::trange_into(h, l, c, o)),
        (
            Indicator::Stoch {
                fastk,
                slowk,
                slowd,
                ..
            },
            Some((h, l, c)),
        ) => with_bufs::<2>(pool, n, |[a, b]| {
            crate::stoch_into(h, l, c, *fastk, *slowk, *slowd, a, b)
        }),
        // `plan_free` pairs each kind with its input shape.
        _ => unreachable!("an indicator's input shape is fixed by its kind"),
    }
}
