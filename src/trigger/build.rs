//! Building expressions in Rust, producing the same trees as parsing:
//!
//! ```
//! use ta_kernels::trigger::build::{rsi, sma};
//!
//! let t = sma(20).crosses_above(sma(50)).and(rsi(14).lt(30.0));
//! assert_eq!(
//!     t.to_string(),
//!     "sma(close, 20) crosses_above sma(close, 50) and rsi(close, 14) < 30"
//! );
//! assert_eq!(t, "sma(20) crosses_above sma(50) and rsi(14) < 30".parse().unwrap());
//! ```
//!
//! Functions here build indicators on `close`; the methods of [`Series`]
//! build them on any series (`high().ema(10)`). Periods are not checked
//! until the expression is evaluated (parsing checks them at once).

use core::ops;

use super::ast::{
    ArithOp, BandsField, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
};
use crate::CmpOp;

/// The `open` column.
pub fn open() -> Series {
    Series::Column(Column::Open)
}
/// The `high` column.
pub fn high() -> Series {
    Series::Column(Column::High)
}
/// The `low` column.
pub fn low() -> Series {
    Series::Column(Column::Low)
}
/// The `close` column.
pub fn close() -> Series {
    Series::Column(Column::Close)
}
/// The `volume` column.
pub fn volume() -> Series {
    Series::Column(Column::Volume)
}
/// A constant series.
pub fn constant(v: f64) -> Series {
    Series::Const(v)
}

/// `sma(close, period)`.
pub fn sma(period: usize) -> Series {
    close().sma(period)
}
/// `ema(close, period)`.
pub fn ema(period: usize) -> Series {
    close().ema(period)
}
/// `wma(close, period)`.
pub fn wma(period: usize) -> Series {
    close().wma(period)
}
/// `rsi(close, period)`.
pub fn rsi(period: usize) -> Series {
    close().rsi(period)
}
/// `max(close, period)`.
pub fn max(period: usize) -> Series {
    close().max(period)
}
/// `min(close, period)`.
pub fn min(period: usize) -> Series {
    close().min(period)
}
/// `var(close, period)`.
pub fn var(period: usize) -> Series {
    close().var(period)
}
/// `stddev(close, period, nbdev)`.
pub fn stddev(period: usize, nbdev: f64) -> Series {
    close().stddev(period, nbdev)
}
/// `macd(close, fast, slow, signal)`: choose an output with `.macd()`,
/// `.signal()` or `.hist()`.
pub fn macd(fast: usize, slow: usize, signal: usize) -> MacdBuilder {
    close().macd(fast, slow, signal)
}
/// `bbands(close, period, nbdev_up, nbdev_dn)`: choose an output with
/// `.upper()`, `.middle()` or `.lower()`.
pub fn bbands(period: usize, nbdev_up: f64, nbdev_dn: f64) -> BandsBuilder {
    close().bbands(period, nbdev_up, nbdev_dn)
}
/// `stoch(fastk, slowk, slowd)` on high/low/close: choose `.k()` or `.d()`.
pub fn stoch(fastk: usize, slowk: usize, slowd: usize) -> StochBuilder {
    StochBuilder {
        fastk,
        slowk,
        slowd,
    }
}
/// `atr(period)` on high/low/close.
pub fn atr(period: usize) -> Series {
    indicator(Indicator::Atr { period })
}
/// `trange()` on high/low/close.
pub fn trange() -> Series {
    indicator(Indicator::Trange)
}
/// `held(cond, bars)`: true on each of the last `bars` bars.
pub fn held(cond: Cond, bars: usize) -> Cond {
    cond.held(bars)
}
/// `within(cond, bars)`: true on any of the last `bars` bars.
pub fn within(cond: Cond, bars: usize) -> Cond {
    cond.within(bars)
}

fn indicator(i: Indicator) -> Series {
    Series::Indicator(Box::new(i))
}

/// A `macd(...)` call waiting for its output to be chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct MacdBuilder {
    input: Series,
    fast: usize,
    slow: usize,
    signal: usize,
}

impl MacdBuilder {
    fn field(self, field: MacdField) -> Series {
        indicator(Indicator::Macd {
            input: self.input,
            fast: self.fast,
            slow: self.slow,
            signal: self.signal,
            field,
        })
    }
    /// The MACD line.
    pub fn macd(self) -> Series {
        self.field(MacdField::Macd)
    }
    /// The signal line.
    pub fn signal(self) -> Series {
        self.field(MacdField::Signal)
    }
    /// The histogram.
    pub fn hist(self) -> Series {
        self.field(MacdField::Hist)
    }
}

/// A `bbands(...)` call waiting for its output to be chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct BandsBuilder {
    input: Series,
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
}

impl BandsBuilder {
    fn field(self, field: BandsField) -> Series {
        indicator(Indicator::Bbands {
            input: self.input,
            period: self.period,
            nbdev_up: self.nbdev_up,
            nbdev_dn: self.nbdev_dn,
            field,
        })
    }
    /// The upper band.
    pub fn upper(self) -> Series {
        self.field(BandsField::Upper)
    }
    /// The middle band (the SMA).
    pub fn middle(self) -> Series {
        self.field(BandsField::Middle)
    }
    /// The lower band.
    pub fn lower(self) -> Series {
        self.field(BandsField::Lower)
    }
}

/// A `stoch(...)` call waiting for its output to be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StochBuilder {
    fastk: usize,
    slowk: usize,
    slowd: usize,
}

impl StochBuilder {
    fn field(self, field: StochField) -> Series {
        indicator(Indicator::Stoch {
            fastk: self.fastk,
            slowk: self.slowk,
            slowd: self.slowd,
            field,
        })
    }
    /// Slow %K.
    pub fn k(self) -> Series {
        self.field(StochField::K)
    }
    /// Slow %D.
    pub fn d(self) -> Series {
        self.field(StochField::D)
    }
}

impl Series {
    /// `sma(self, period)`.
    pub fn sma(self, period: usize) -> Series {
        indicator(Indicator::Sma {
            input: self,
            period,
        })
    }
    /// `ema(self, period)`.
    pub fn ema(self, period: usize) -> Series {
        indicator(Indicator::Ema {
            input: self,
            period,
        })
    }
    /// `wma(self, period)`.
    pub fn wma(self, period: usize) -> Series {
        indicator(Indicator::Wma {
            input: self,
            period,
        })
    }
    /// `rsi(self, period)`.
    pub fn rsi(self, period: usize) -> Series {
        indicator(Indicator::Rsi {
            input: self,
            period,
        })
    }
    /// `max(self, period)`.
    pub fn max(self, period: usize) -> Series {
        indicator(Indicator::Max {
            input: self,
            period,
        })
    }
    /// `min(self, period)`.
    pub fn min(self, period: usize) -> Series {
        indicator(Indicator::Min {
            input: self,
            period,
        })
    }
    /// `var(self, period)`.
    pub fn var(self, period: usize) -> Series {
        indicator(Indicator::Var {
            input: self,
            period,
        })
    }
    /// `stddev(self, period, nbdev)`.
    pub fn stddev(self, period: usize, nbdev: f64) -> Series {
        indicator(Indicator::Stddev {
            input: self,
            period,
            nbdev,
        })
    }
    /// `macd(self, fast, slow, signal)`.
    pub fn macd(self, fast: usize, slow: usize, signal: usize) -> MacdBuilder {
        MacdBuilder {
            input: self,
            fast,
            slow,
            signal,
        }
    }
    /// `bbands(self, period, nbdev_up, nbdev_dn)`.
    pub fn bbands(self, period: usize, nbdev_up: f64, nbdev_dn: f64) -> BandsBuilder {
        BandsBuilder {
            input: self,
            period,
            nbdev_up,
            nbdev_dn,
        }
    }
    /// `prev(self, bars)`: the value `bars` bars ago.
    pub fn prev(self, bars: usize) -> Series {
        Series::Prev(Box::new(self), bars)
    }

    fn cmp(self, op: CmpOp, rhs: impl Into<Series>) -> Cond {
        Cond::Compare(op, self, rhs.into())
    }
    /// `self < rhs`
    pub fn lt(self, rhs: impl Into<Series>) -> Cond {
        self.cmp(CmpOp::Lt, rhs)
    }
    /// `self <= rhs`
    pub fn le(self, rhs: impl Into<Series>) -> Cond {
        self.cmp(CmpOp::Le, rhs)
    }
    /// `self > rhs`
    pub fn gt(self, rhs: impl Into<Series>) -> Cond {
        self.cmp(CmpOp::Gt, rhs)
    }
    /// `self >= rhs`
    pub fn ge(self, rhs: impl Into<Series>) -> Cond {
        self.cmp(CmpOp::Ge, rhs)
    }
    /// `self crosses_above rhs`
    pub fn crosses_above(self, rhs: impl Into<Series>) -> Cond {
        Cond::Cross(CrossDir::Above, self, rhs.into())
    }
    /// `self crosses_below rhs`
    pub fn crosses_below(self, rhs: impl Into<Series>) -> Cond {
        Cond::Cross(CrossDir::Below, self, rhs.into())
    }
}

impl From<f64> for Series {
    fn from(v: f64) -> Self {
        Series::Const(v)
    }
}

impl From<Column> for Series {
    fn from(c: Column) -> Self {
        Series::Column(c)
    }
}

macro_rules! arith {
    ($Trait:ident, $method:ident, $op:expr) => {
        impl<R: Into<Series>> ops::$Trait<R> for Series {
            type Output = Series;
            fn $method(self, rhs: R) -> Series {
                Series::Arith($op, Box::new(self), Box::new(rhs.into()))
            }
        }
        impl ops::$Trait<Series> for f64 {
            type Output = Series;
            fn $method(self, rhs: Series) -> Series {
                Series::Arith($op, Box::new(Series::Const(self)), Box::new(rhs))
            }
        }
    };
}

arith!(Add, add, ArithOp::Add);
arith!(Sub, sub, ArithOp::Sub);
arith!(Mul, mul, ArithOp::Mul);
arith!(Div, div, ArithOp::Div);

impl ops::Neg for Series {
    type Output = Series;
    fn neg(self) -> Series {
        Series::Neg(Box::new(self))
    }
}

impl Cond {
    /// `self and other`
    pub fn and(self, other: Cond) -> Cond {
        Cond::And(Box::new(self), Box::new(other))
    }
    /// `self or other`
    pub fn or(self, other: Cond) -> Cond {
        Cond::Or(Box::new(self), Box::new(other))
    }
    /// `held(self, bars)`
    pub fn held(self, bars: usize) -> Cond {
        Cond::Held(Box::new(self), bars)
    }
    /// `within(self, bars)`
    pub fn within(self, bars: usize) -> Cond {
        Cond::Within(Box::new(self), bars)
    }
}

impl ops::Not for Cond {
    type Output = Cond;
    fn not(self) -> Cond {
        Cond::Not(Box::new(self))
    }
}

impl ops::BitAnd for Cond {
    type Output = Cond;
    fn bitand(self, rhs: Cond) -> Cond {
        self.and(rhs)
    }
}

impl ops::BitOr for Cond {
    type Output = Cond;
    fn bitor(self, rhs: Cond) -> Cond {
        self.or(rhs)
    }
}
