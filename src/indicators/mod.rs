//! The indicators, identical to TA-Lib 0.8.1's (same lookbacks, seeds and
//! parameter ranges), NaN-padded to the input's length.
//!
//! Every indicator has an allocating function, an `_into` twin writing into
//! the caller's buffers (no allocation) and a `_lookback(params)` function
//! giving the number of leading bars without output on a finite series.
//!
//! # NaN policy
//!
//! TA-Lib leaves NaN input undefined; ta-kernels defines it:
//! - Leading NaNs are skipped, as TA-Lib's Python wrapper does: outputs
//!   start `lookback` bars after the first finite input.
//! - An interior NaN (or ±inf) in a *windowed* indicator (SMA, WMA,
//!   BBANDS, STDDEV, VAR, MIN/MAX, STOCH) makes the outputs whose window
//!   contains it NaN; they recover once it has left the window.
//! - *Recursive* indicators (EMA, RSI, MACD, ATR) restart their seeding
//!   after the gap, as if the series began at the next finite bar: outputs
//!   are NaN in the gap and for `lookback` bars after it.

mod common;

mod atr;
mod bands;
mod ema;
mod ma;
mod macd;
mod minmax;
mod rsi;
mod stoch;

pub use atr::*;
pub use bands::*;
pub use ema::*;
pub use ma::*;
pub use macd::*;
pub use minmax::*;
pub use rsi::*;
pub use stoch::*;
