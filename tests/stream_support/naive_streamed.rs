//! A copy of `tests/common/naive_trigger.rs` whose indicators are the
//! streaming states pushed bar by bar (everything above them is the same
//! naive interpreter), to check the engine's logic exactly.
//!
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
use ta_kernels::stream::{
    Atr, Bbands, Ema, Hlc, Macd, Max, Min, Rsi, Sma, Stddev, Stoch, Stream, Trange, Var, Wma,
};
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

/// The value of `s` at every bar, computed bar by bar (indicators by the
/// crate's functions on the input series so computed).
pub fn series(s: &Series, bars: &Bars<'_>, n: usize) -> Vec<f64> {
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
        Series::Indicator(ind) => indicator(ind, bars, n),
    }
}

fn run<S: Stream<Input = f64>>(mut s: S, x: &[f64], f: impl Fn(S::Output) -> f64) -> Vec<f64> {
    x.iter().map(|&v| f(s.push(v))).collect()
}

fn run_hlc<S: Stream<Input = Hlc>>(
    mut s: S,
    bars: &Bars<'_>,
    n: usize,
    f: impl Fn(S::Output) -> f64,
) -> Vec<f64> {
    let col = |c: Column| bars.column(c).expect("column present");
    let (h, l, c) = (col(Column::High), col(Column::Low), col(Column::Close));
    (0..n)
        .map(|i| f(s.push(Hlc::new(h[i], l[i], c[i]))))
        .collect()
}

/// The indicator's values, pushed bar by bar through the streaming states.
fn indicator(ind: &Indicator, bars: &Bars<'_>, n: usize) -> Vec<f64> {
    let x = ind.input().map(|s| series(s, bars, n)).unwrap_or_default();
    let id = |v: f64| v;
    match *ind {
        Indicator::Sma { period, .. } => run(Sma::new(period).unwrap(), &x, id),
        Indicator::Ema { period, .. } => run(Ema::new(period).unwrap(), &x, id),
        Indicator::Wma { period, .. } => run(Wma::new(period).unwrap(), &x, id),
        Indicator::Rsi { period, .. } => run(Rsi::new(period).unwrap(), &x, id),
        Indicator::Max { period, .. } => run(Max::new(period).unwrap(), &x, id),
        Indicator::Min { period, .. } => run(Min::new(period).unwrap(), &x, id),
        Indicator::Var { period, .. } => run(Var::new(period).unwrap(), &x, id),
        Indicator::Stddev { period, nbdev, .. } => run(Stddev::new(period, nbdev).unwrap(), &x, id),
        Indicator::Macd {
            fast,
            slow,
            signal,
            field,
            ..
        } => run(
            Macd::new(fast, slow, signal).unwrap(),
            &x,
            |m| match field {
                MacdField::Macd => m.macd,
                MacdField::Signal => m.signal,
                MacdField::Hist => m.hist,
            },
        ),
        Indicator::Bbands {
            period,
            nbdev_up,
            nbdev_dn,
            field,
            ..
        } => run(
            Bbands::new(period, nbdev_up, nbdev_dn).unwrap(),
            &x,
            |b| match field {
                BandsField::Upper => b.upper,
                BandsField::Middle => b.middle,
                BandsField::Lower => b.lower,
            },
        ),
        Indicator::Stoch {
            fastk,
            slowk,
            slowd,
            field,
        } => run_hlc(
            Stoch::new(fastk, slowk, slowd).unwrap(),
            bars,
            n,
            |s| match field {
                StochField::K => s.k,
                StochField::D => s.d,
            },
        ),
        Indicator::Atr { period } => run_hlc(Atr::new(period).unwrap(), bars, n, |v| v),
        Indicator::Trange => run_hlc(Trange::new(), bars, n, |v| v),
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
