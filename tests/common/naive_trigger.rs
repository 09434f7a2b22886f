//! The reference interpreter of the trigger language: every condition is
//! evaluated bar by bar, straight from its definition, with no planning,
//! no sharing and no bit tricks. Indicators are computed per occurrence
//! with the crate's indicator functions (tested against TA-Lib on their
//! own); everything above them — arithmetic, `prev`, comparisons,
//! crossings, `and`/`or`/`not`, `held`, `within` — is the interpreter's.
//!
//! Results are three-valued: a comparison whose two sides are within
//! 1e-12 relative of each other is `Unsure` (either answer is accepted),
//! and `Unsure` propagates through the logic by Kleene's rules.

use ta_kernels::CmpOp;
use ta_kernels::trigger::{
    ArithOp, BandsField, Bars, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
};

/// A three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    False,
    True,
    Unsure,
}

impl Truth {
    fn and(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unsure,
        }
    }
    fn or(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unsure,
        }
    }
    fn not(self) -> Truth {
        match self {
            Truth::False => Truth::True,
            Truth::True => Truth::False,
            Truth::Unsure => Truth::Unsure,
        }
    }
    /// Whether `bit` is an acceptable answer.
    pub fn accepts(self, bit: bool) -> bool {
        match self {
            Truth::Unsure => true,
            Truth::True => bit,
            Truth::False => !bit,
        }
    }
}

/// How an interpreter computes one indicator over its (already
/// interpreted) input series `x`: the batch functions here, the streaming
/// states in `tests/stream_support/naive_streamed.rs`.
pub type IndicatorFn = fn(&Indicator, &[f64], &Bars<'_>, usize) -> Vec<f64>;

/// The value of `s` at every bar, computed bar by bar (indicators by the
/// crate's functions on the input series so computed).
pub fn series(s: &Series, bars: &Bars<'_>, n: usize) -> Vec<f64> {
    series_with(s, bars, n, batch_indicator)
}

/// [`series`] with the indicators computed by `ind`.
pub fn series_with(s: &Series, bars: &Bars<'_>, n: usize, ind: IndicatorFn) -> Vec<f64> {
    let series = |s: &Series, bars: &Bars<'_>, n: usize| series_with(s, bars, n, ind);
    match s {
        Series::Column(c) => bars.column(*c).expect("column present").to_vec(),
        Series::Const(v) => vec![*v; n],
        Series::Neg(a) => {
            let a = series(a, bars, n);
            (0..n).map(|i| -a[i]).collect()
        }
        Series::Arith(op, a, b) => {
            let (a, b) = (series(a, bars, n), series(b, bars, n));
            (0..n)
                .map(|i| match op {
                    ArithOp::Add => a[i] + b[i],
                    ArithOp::Sub => a[i] - b[i],
                    ArithOp::Mul => a[i] * b[i],
                    ArithOp::Div => a[i] / b[i],
                })
                .collect()
        }
        Series::Prev(a, k) => {
            let a = series(a, bars, n);
            (0..n)
                .map(|i| if i >= *k { a[i - k] } else { f64::NAN })
                .collect()
        }
        Series::Indicator(i) => {
            let x = i.input().map(|s| series(s, bars, n)).unwrap_or_default();
            ind(i, &x, bars, n)
        }
    }
}

fn batch_indicator(ind: &Indicator, x: &[f64], bars: &Bars<'_>, _n: usize) -> Vec<f64> {
    let x = x.to_vec();
    let col = |c: Column| bars.column(c).expect("column present");
    let (h, l, c) = (
        || col(Column::High),
        || col(Column::Low),
        || col(Column::Close),
    );
    match *ind {
        Indicator::Sma { period, .. } => ta_kernels::sma(&x, period).unwrap(),
        Indicator::Ema { period, .. } => ta_kernels::ema(&x, period).unwrap(),
        Indicator::Wma { period, .. } => ta_kernels::wma(&x, period).unwrap(),
        Indicator::Rsi { period, .. } => ta_kernels::rsi(&x, period).unwrap(),
        Indicator::Max { period, .. } => ta_kernels::max(&x, period).unwrap(),
        Indicator::Min { period, .. } => ta_kernels::min(&x, period).unwrap(),
        Indicator::Var { period, .. } => ta_kernels::var(&x, period).unwrap(),
        Indicator::Stddev { period, nbdev, .. } => ta_kernels::stddev(&x, period, nbdev).unwrap(),
        Indicator::Macd {
            fast,
            slow,
            signal,
            field,
            ..
        } => {
            let m = ta_kernels::macd(&x, fast, slow, signal).unwrap();
            match field {
                MacdField::Macd => m.macd,
                MacdField::Signal => m.signal,
                MacdField::Hist => m.hist,
            }
        }
        Indicator::Bbands {
            period,
            nbdev_up,
            nbdev_dn,
            field,
            ..
        } => {
            let b = ta_kernels::bbands(&x, period, nbdev_up, nbdev_dn).unwrap();
            match field {
                BandsField::Upper => b.upper,
                BandsField::Middle => b.middle,
                BandsField::Lower => b.lower,
            }
        }
        Indicator::Stoch {
            fastk,
            slowk,
            slowd,
            field,
        } => {
            let s = ta_kernels::stoch(h(), l(), c(), fastk, slowk, slowd).unwrap();
            match field {
                StochField::K => s.k,
                StochField::D => s.d,
            }
        }
        Indicator::Atr { period } => ta_kernels::atr(h(), l(), c(), period).unwrap(),
        Indicator::Trange => ta_kernels::trange(h(), l(), c()).unwrap(),
    }
}

/// `a op b` at one bar, `Unsure` when the sides are within 1e-12 relative.
fn compare(op: CmpOp, a: f64, b: f64) -> Truth {
    if a.is_nan() || b.is_nan() {
        return Truth::False;
    }
    let close = a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
    let holds = match op {
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
    };
    if close && a != b {
        Truth::Unsure
    } else if holds {
        Truth::True
    } else {
        Truth::False
    }
}

/// The truth of `c` at every bar.
pub fn cond(c: &Cond, bars: &Bars<'_>, n: usize) -> Vec<Truth> {
    cond_with(c, bars, n, batch_indicator)
}

/// [`cond`] with the indicators computed by `ind`.
pub fn cond_with(c: &Cond, bars: &Bars<'_>, n: usize, ind: IndicatorFn) -> Vec<Truth> {
    let series = |s: &Series, bars: &Bars<'_>, n: usize| series_with(s, bars, n, ind);
    let cond = |c: &Cond, bars: &Bars<'_>, n: usize| cond_with(c, bars, n, ind);
    match c {
        Cond::Compare(op, a, b) => {
            let (a, b) = (series(a, bars, n), series(b, bars, n));
            (0..n).map(|i| compare(*op, a[i], b[i])).collect()
        }
        Cond::Cross(dir, a, b) => {
            let (a, b) = (series(a, bars, n), series(b, bars, n));
            let (now, before) = match dir {
                CrossDir::Above => (CmpOp::Gt, CmpOp::Le),
                CrossDir::Below => (CmpOp::Lt, CmpOp::Ge),
            };
            (0..n)
                .map(|i| {
                    if i == 0 {
                        Truth::False
                    } else {
                        compare(now, a[i], b[i]).and(compare(before, a[i - 1], b[i - 1]))
                    }
                })
                .collect()
        }
        Cond::And(a, b) => zip(cond(a, bars, n), cond(b, bars, n), Truth::and),
        Cond::Or(a, b) => zip(cond(a, bars, n), cond(b, bars, n), Truth::or),
        Cond::Not(a) => cond(a, bars, n).into_iter().map(Truth::not).collect(),
        Cond::Held(a, k) => {
            let a = cond(a, bars, n);
            (0..n)
                .map(|i| {
                    if i + 1 < *k {
                        Truth::False
                    } else {
                        (i + 1 - k..=i).fold(Truth::True, |t, j| t.and(a[j]))
                    }
                })
                .collect()
        }
        Cond::Within(a, k) => {
            let a = cond(a, bars, n);
            (0..n)
                .map(|i| (i.saturating_sub(k - 1)..=i).fold(Truth::False, |t, j| t.or(a[j])))
                .collect()
        }
    }
}

fn zip(a: Vec<Truth>, b: Vec<Truth>, f: fn(Truth, Truth) -> Truth) -> Vec<Truth> {
    a.into_iter().zip(b).map(|(x, y)| f(x, y)).collect()
}
