//! Recursive states: EMA, RSI, MACD, TRANGE, ATR.
//!
//! Each is the serial recurrence of the batch scalar backend, in TA-Lib
//! 0.8.1's arithmetic order, with the seeds summed left to right from 0.0
//! and divided (or multiplied by `1/p`) as in batch: pushing a series
//! gives the batch output on [`Backend::Scalar`](crate::Backend::Scalar)
//! **bit for bit**. A non-finite input restarts the seeding at the next
//! finite bar (the batch NaN policy). The states are small `Copy` values,
//! so [`Stream::peek`] runs the same code on a copy.

use super::snapshot::{StateReader, put_f};
use super::{Hlc, Stream};
use crate::error::{Result, check_period};

const MAX_PERIOD: usize = 100_000;

/// Implements the bookkeeping methods of [`Stream`] for a `Copy` state
/// built by `$ctor` and saved as the listed fields (`f` float, `u` count).
macro_rules! copy_state {
    ($ty:ty, $lookback:expr, [$($ff:ident),*], [$($uf:ident),*]) => {
        #[inline]
        fn peek(&self, x: Self::Input) -> Self::Output {
            let mut c = *self;
            c.push(x)
        }

        fn reset(&mut self) {
            $(self.$ff = <$ty>::default_float(stringify!($ff));)*
            $(self.$uf = 0;)*
        }

        fn lookback(&self) -> usize {
            let f: fn(&$ty) -> usize = $lookback;
            f(self)
        }

        fn memory_bytes(&self) -> usize {
            core::mem::size_of::<$ty>()
        }

        fn save(&self, out: &mut Vec<u64>) {
            $(put_f(out, self.$ff);)*
            $(out.push(self.$uf as u64);)*
        }

        fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
            $(self.$ff = r.float()?;)*
            $(self.$uf = r.count(u32::MAX as u64)? as _;)*
            Ok(())
        }
    };
}

/// Exponential moving average, as [`crate::ema`]: seeded by the mean of
/// the first `period` values of each finite run, then
/// `ema = (x − ema)·k + ema`, `k = 2/(period+1)`.
#[derive(Clone, Copy, Debug)]
pub struct Ema {
    p: usize,
    k: f64,
    /// Bars of the current finite run seen (saturates at `p + 1`).
    n: u32,
    sum: f64,
    y: f64,
}

impl Ema {
    /// An EMA of `period`. Errors: `period` outside `1..=100000` →
    /// [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
    pub fn new(period: usize) -> Result<Self> {
        check_period("period", period, 1, MAX_PERIOD)?;
        Ok(Ema {
            p: period,
            k: 2.0 / (period + 1) as f64,
            n: 0,
            sum: 0.0,
            y: 0.0,
        })
    }

    fn default_float(_: &str) -> f64 {
        0.0
    }
}

impl Stream for Ema {
    type Input = f64;
    type Output = f64;

    // All inline: an out-of-line seeding call would force a caller's loop
    // to keep the state in memory instead of registers.
    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            self.n = 0;
            self.sum = 0.0;
            return f64::NAN;
        }
        if self.p == 1 {
            return x;
        }
        let p = self.p as u32;
        if self.n >= p {
            self.y = (x - self.y) * self.k + self.y;
            return self.y;
        }
        self.n += 1;
        self.sum += x;
        if self.n < p {
            f64::NAN
        } else {
            self.y = self.sum / self.p as f64;
            self.y
        }
    }

    copy_state!(Ema, |s| s.p - 1, [sum, y], [n]);
}

/// Wilder's RSI, as [`crate::rsi`]: the averages are seeded with the mean
/// gain and loss of the first `period` changes of each finite run, then
/// `avg = (avg·(p−1) + cur)·(1/p)`; `RSI = 100·g/(g + l)`, 0 when
/// `g + l == 0`.
#[derive(Clone, Copy, Debug)]
pub struct Rsi {
    p: usize,
    pm1: f64,
    inv: f64,
    /// Bars of the current finite run seen (saturates at `p + 1`).
    n: u32,
    prev: f64,
    g: f64,
    l: f64,
}

#[inline]
fn rsi_value(g: f64, l: f64) -> f64 {
    let s = g + l;
    if s > 0.0 { 100.0 * (g / s) } else { 0.0 }
}

impl Rsi {
    /// An RSI of `period`. Errors: `period` outside `2..=100000` →
    /// [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
    pub fn new(period: usize) -> Result<Self> {
        check_period("period", period, 2, MAX_PERIOD)?;
        Ok(Rsi {
            p: period,
            pm1: (period - 1) as f64,
            inv: 1.0 / period as f64,
            n: 0,
            prev: 0.0,
            g: 0.0,
            l: 0.0,
        })
    }

    fn default_float(_: &str) -> f64 {
        0.0
    }
}

impl Stream for Rsi {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        if !x.is_finite() {
            self.n = 0;
            return f64::NAN;
        }
        let p = self.p as u32;
        if self.n == 0 {
            self.n = 1;
            self.prev = x;
            self.g = 0.0;
            self.l = 0.0;
            return f64::NAN;
        }
        let d = x - self.prev;
        self.prev = x;
        let gd = if d > 0.0 { d } else { 0.0 };
        if self.n > p {
            self.g = (self.g * self.pm1 + gd) * self.inv;
            self.l = (self.l * self.pm1 + (gd - d)) * self.inv;
            return rsi_value(self.g, self.l);
        }
        // Change number `n` of the run (1-based).
        self.g += gd;
        self.l += gd - d;
        self.n += 1;
        if self.n <= p {
            f64::NAN
        } else {
            self.g *= self.inv;
            self.l *= self.inv;
            rsi_value(self.g, self.l)
        }
    }

    copy_state!(Rsi, |s| s.p, [prev, g, l], [n]);
}

/// One bar of MACD.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdValue {
    /// The MACD line: fast EMA − slow EMA.
    pub macd: f64,
    /// The signal line: EMA of the MACD line.
    pub signal: f64,
    /// `macd − signal`.
    pub hist: f64,
}

const MACD_NAN: MacdValue = MacdValue {
    macd: f64::NAN,
    signal: f64::NAN,
    hist: f64::NAN,
};

/// MACD, as [`crate::macd`]: `fast > slow` are swapped; both price EMAs
/// are seeded on windows ending at run bar `slow − 1` (the fast one on the
/// last `fast` of those bars), the signal EMA on the mean of the first
/// `signal` MACD values; lookback `(slow − 1) + (signal − 1)`.
#[derive(Clone, Copy, Debug)]
pub struct Macd {
    fast: usize,
    slow: usize,
    signal: usize,
    kf: f64,
    ks: f64,
    kg: f64,
    /// Bars of the current finite run seen (saturates past the lookback).
    n: u32,
    sf: f64,
    ss: f64,
    ef: f64,
    es: f64,
    sum: f64,
    eg: f64,
}

impl Macd {
    /// A MACD of `fast`, `slow`, `signal`. Errors: fast or slow outside
    /// `2..=100000`, signal outside `1..=100000` →
    /// [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self> {
        crate::macd_lookback(fast, slow, signal)?;
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Ok(Macd {
            fast,
            slow,
            signal,
            kf: 2.0 / (fast + 1) as f64,
            ks: 2.0 / (slow + 1) as f64,
            kg: 2.0 / (signal + 1) as f64,
            n: 0,
            sf: 0.0,
            ss: 0.0,
            ef: 0.0,
            es: 0.0,
            sum: 0.0,
            eg: 0.0,
        })
    }

    fn default_float(_: &str) -> f64 {
        0.0
    }

    fn lb(&self) -> usize {
        (self.slow - 1) + (self.signal - 1)
    }
}

impl Stream for Macd {
    type Input = f64;
    type Output = MacdValue;

    // Always inline: returned out of line, the three lines are written
    // as three words and read back as a pair and a word, which defeats
    // store-to-load forwarding in the engine.
    #[inline(always)]
    fn push(&mut self, x: f64) -> MacdValue {
        if !x.is_finite() {
            self.reset();
            return MACD_NAN;
        }
        let lb = self.lb() as u32;
        let (slow, fast) = (self.slow as u32, self.fast as u32);
        let r = self.n; // this bar's index in the run
        if r > lb {
            self.ef = (x - self.ef) * self.kf + self.ef;
            self.es = (x - self.es) * self.ks + self.es;
            let v = self.ef - self.es;
            self.eg = if self.signal == 1 {
                v
            } else {
                (v - self.eg) * self.kg + self.eg
            };
            return MacdValue {
                macd: v,
                signal: self.eg,
                hist: v - self.eg,
            };
        }
        self.n += 1;
        let m;
        if r < slow - 1 {
            self.ss += x;
            if r >= slow - fast {
                self.sf += x;
            }
            return MACD_NAN;
        } else if r == slow - 1 {
            self.ss += x;
            self.sf += x;
            self.ef = self.sf / self.fast as f64;
            self.es = self.ss / self.slow as f64;
            m = self.ef - self.es;
            self.sum = m;
        } else {
            self.ef = (x - self.ef) * self.kf + self.ef;
            self.es = (x - self.es) * self.ks + self.es;
            m = self.ef - self.es;
            self.sum += m;
        }
        if r < lb {
            return MACD_NAN;
        }
        self.eg = if self.signal == 1 {
            m
        } else {
            self.sum / self.signal as f64
        };
        MacdValue {
            macd: m,
            signal: self.eg,
            hist: m - self.eg,
        }
    }

    copy_state!(Macd, |s| s.lb(), [sf, ss, ef, es, sum, eg], [n]);
}

/// True range, as [`crate::trange`]: `max(h − l, |h − c_prev|,
/// |l − c_prev|)`; NaN on the first bar of each finite run (no previous
/// close) and on non-finite bars.
#[derive(Clone, Copy, Debug)]
pub struct Trange {
    /// The previous close (NaN: none).
    prev: f64,
}

impl Trange {
    /// A true range state.
    pub fn new() -> Self {
        Trange { prev: f64::NAN }
    }

    fn default_float(_: &str) -> f64 {
        f64::NAN
    }
}

impl Default for Trange {
    fn default() -> Self {
        Trange::new()
    }
}

impl Stream for Trange {
    type Input = Hlc;
    type Output = f64;

    #[inline]
    fn push(&mut self, b: Hlc) -> f64 {
        if !b.is_finite() {
            self.prev = f64::NAN;
            return f64::NAN;
        }
        let cp = self.prev;
        self.prev = b.close;
        if cp.is_nan() {
            return f64::NAN;
        }
        (b.high - b.low)
            .max((b.high - cp).abs())
            .max((b.low - cp).abs())
    }

    copy_state!(Trange, |_| 1, [prev], []);
}

/// Average true range (Wilder), as [`crate::atr`]: seeded with the mean of
/// the first `period` true ranges of each finite run, then
/// `atr = (atr·(p − 1) + tr)/p`; `period == 1` gives [`Trange`].
#[derive(Clone, Copy, Debug)]
pub struct Atr {
    p: usize,
    pm1: f64,
    prev: f64,
    /// True ranges of the current run seen (saturates at `p + 1`).
    n: u32,
    sum: f64,
    y: f64,
}

impl Atr {
    /// An ATR of `period`. Errors: `period` outside `1..=100000` →
    /// [`Error::InvalidPeriod`](crate::Error::InvalidPeriod).
    pub fn new(period: usize) -> Result<Self> {
        check_period("period", period, 1, MAX_PERIOD)?;
        Ok(Atr {
            p: period,
            pm1: (period - 1) as f64,
            prev: f64::NAN,
            n: 0,
            sum: 0.0,
            y: 0.0,
        })
    }

    fn default_float(name: &str) -> f64 {
        if name == "prev" { f64::NAN } else { 0.0 }
    }
}

impl Stream for Atr {
    type Input = Hlc;
    type Output = f64;

    #[inline]
    fn push(&mut self, b: Hlc) -> f64 {
        let mut tr = Trange { prev: self.prev };
        let t = tr.push(b);
        self.prev = tr.prev;
        if !b.is_finite() {
            self.n = 0;
            self.sum = 0.0;
            return f64::NAN;
        }
        if t.is_nan() {
            // First bar of a run.
            return f64::NAN;
        }
        if self.p == 1 {
            return t;
        }
        let p = self.p as u32;
        if self.n >= p {
            self.y = (self.y * self.pm1 + t) / self.p as f64;
            return self.y;
        }
        self.n += 1;
        self.sum += t;
        if self.n < p {
            f64::NAN
        } else {
            self.y = self.sum / self.p as f64;
            self.y
        }
    }

    copy_state!(Atr, |s| s.p, [prev, sum, y], [n]);
}
