//! The typed expression tree: [`Series`] (a number per bar) and
//! [`Cond`] (a bit per bar). Parsing, the builder and deserialization all
//! produce these; `Display` prints them back in the language, and parsing
//! what it prints gives the same tree.

use crate::CmpOp;

/// An input column of the bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Column {
    /// Opening price.
    Open,
    /// Highest price.
    High,
    /// Lowest price.
    Low,
    /// Closing price (the default input of indicators).
    Close,
    /// Traded volume.
    Volume,
}

impl Column {
    /// Every column.
    pub const ALL: [Column; 5] = [
        Column::Open,
        Column::High,
        Column::Low,
        Column::Close,
        Column::Volume,
    ];

    /// The column's name in the language.
    pub const fn name(self) -> &'static str {
        match self {
            Column::Open => "open",
            Column::High => "high",
            Column::Low => "low",
            Column::Close => "close",
            Column::Volume => "volume",
        }
    }

    /// The column named `name`, if any.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// An arithmetic operator between series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum ArithOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
}

/// Direction of a crossing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CrossDir {
    /// `a crosses_above b`: `a[i] > b[i] && a[i-1] <= b[i-1]`.
    Above,
    /// `a crosses_below b`: `a[i] < b[i] && a[i-1] >= b[i-1]`.
    Below,
}

/// Output of `macd(...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum MacdField {
    /// The MACD line (fast EMA − slow EMA).
    Macd,
    /// The signal line (EMA of the MACD line).
    Signal,
    /// The histogram (MACD − signal).
    Hist,
}

/// Output of `bbands(...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum BandsField {
    /// Middle + nbdev_up · σ.
    Upper,
    /// The SMA.
    Middle,
    /// Middle − nbdev_dn · σ.
    Lower,
}

/// Output of `stoch(...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum StochField {
    /// Slow %K.
    K,
    /// Slow %D.
    D,
}

/// An indicator applied to its inputs, with its parameters.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "indicator"))]
pub enum Indicator {
    /// Simple moving average.
    Sma {
        /// Input series.
        input: Series,
        /// Window length.
        period: usize,
    },
    /// Exponential moving average (TA-Lib seeding).
    Ema {
        /// Input series.
        input: Series,
        /// Period.
        period: usize,
    },
    /// Weighted moving average.
    Wma {
        /// Input series.
        input: Series,
        /// Window length.
        period: usize,
    },
    /// Wilder's RSI.
    Rsi {
        /// Input series.
        input: Series,
        /// Period.
        period: usize,
    },
    /// Rolling maximum.
    Max {
        /// Input series.
        input: Series,
        /// Window length.
        period: usize,
    },
    /// Rolling minimum.
    Min {
        /// Input series.
        input: Series,
        /// Window length.
        period: usize,
    },
    /// Rolling population variance.
    Var {
        /// Input series.
        input: Series,
        /// Window length.
        period: usize,
    },
    /// Rolling population standard deviation × nbdev.
    Stddev {
        /// Input series.
        input: Series,
        /// Window length.
        period: usize,
        /// Multiplier.
        nbdev: f64,
    },
    /// MACD (one output).
    Macd {
        /// Input series.
        input: Series,
        /// Fast EMA period.
        fast: usize,
        /// Slow EMA period.
        slow: usize,
        /// Signal EMA period.
        signal: usize,
        /// Which output.
        field: MacdField,
    },
    /// Bollinger Bands (one output).
    Bbands {
        /// Input series.
        input: Series,
        /// Window length.
        period: usize,
        /// Upper band multiplier.
        nbdev_up: f64,
        /// Lower band multiplier.
        nbdev_dn: f64,
        /// Which output.
        field: BandsField,
    },
    /// Slow stochastic on high/low/close (one output).
    Stoch {
        /// Fast %K window.
        fastk: usize,
        /// Slow %K smoothing.
        slowk: usize,
        /// Slow %D smoothing.
        slowd: usize,
        /// Which output.
        field: StochField,
    },
    /// Average true range on high/low/close.
    Atr {
        /// Period.
        period: usize,
    },
    /// True range on high/low/close.
    Trange,
}

/// An expression with a number per bar.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Series {
    /// An input column.
    Column(Column),
    /// A constant.
    Const(f64),
    /// `-a`
    Neg(Box<Series>),
    /// `a op b`
    Arith(ArithOp, Box<Series>, Box<Series>),
    /// An indicator.
    Indicator(Box<Indicator>),
    /// `prev(a, n)`: the value `n` bars ago (NaN for the first `n` bars).
    Prev(Box<Series>, usize),
}

/// An expression with a bit per bar.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Cond {
    /// `a op b` (NaN compares false).
    Compare(CmpOp, Series, Series),
    /// `a crosses_above b` / `a crosses_below b`.
    Cross(CrossDir, Series, Series),
    /// `a and b`
    And(Box<Cond>, Box<Cond>),
    /// `a or b`
    Or(Box<Cond>, Box<Cond>),
    /// `not a`
    Not(Box<Cond>),
    /// `held(c, n)`: `c` true on each of the last `n` bars.
    Held(Box<Cond>, usize),
    /// `within(c, n)`: `c` true on any of the last `n` bars.
    Within(Box<Cond>, usize),
}

impl Indicator {
    /// The function name in the language.
    pub const fn name(&self) -> &'static str {
        match self {
            Indicator::Sma { .. } => "sma",
            Indicator::Ema { .. } => "ema",
            Indicator::Wma { .. } => "wma",
            Indicator::Rsi { .. } => "rsi",
            Indicator::Max { .. } => "max",
            Indicator::Min { .. } => "min",
            Indicator::Var { .. } => "var",
            Indicator::Stddev { .. } => "stddev",
            Indicator::Macd { .. } => "macd",
            Indicator::Bbands { .. } => "bbands",
            Indicator::Stoch { .. } => "stoch",
            Indicator::Atr { .. } => "atr",
            Indicator::Trange => "trange",
        }
    }

    /// The series input, for indicators that take one.
    pub fn input(&self) -> Option<&Series> {
        match self {
            Indicator::Sma { input, .. }
            | Indicator::Ema { input, .. }
            | Indicator::Wma { input, .. }
            | Indicator::Rsi { input, .. }
            | Indicator::Max { input, .. }
            | Indicator::Min { input, .. }
            | Indicator::Var { input, .. }
            | Indicator::Stddev { input, .. }
            | Indicator::Macd { input, .. }
            | Indicator::Bbands { input, .. } => Some(input),
            Indicator::Stoch { .. } | Indicator::Atr { .. } | Indicator::Trange => None,
        }
    }

    /// Whether the indicator reads high, low and close directly.
    pub const fn reads_hlc(&self) -> bool {
        matches!(
            self,
            Indicator::Stoch { .. } | Indicator::Atr { .. } | Indicator::Trange
        )
    }
}

impl Series {
    /// The columns this expression reads, sorted, without repeats.
    pub fn columns(&self) -> Vec<Column> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out.sort();
        out.dedup();
        out
    }

    pub(crate) fn collect_indicators(&self, out: &mut Vec<Series>) {
        match self {
            Series::Column(_) | Series::Const(_) => {}
            Series::Neg(a) | Series::Prev(a, _) => a.collect_indicators(out),
            Series::Arith(_, a, b) => {
                a.collect_indicators(out);
                b.collect_indicators(out);
            }
            Series::Indicator(ind) => {
                if let Some(input) = ind.input() {
                    input.collect_indicators(out);
                }
                if !out.contains(self) {
                    out.push(self.clone());
                }
            }
        }
    }

    pub(crate) fn collect_columns(&self, out: &mut Vec<Column>) {
        match self {
            Series::Column(c) => out.push(*c),
            Series::Const(_) => {}
            Series::Neg(a) | Series::Prev(a, _) => a.collect_columns(out),
            Series::Arith(_, a, b) => {
                a.collect_columns(out);
                b.collect_columns(out);
            }
            Series::Indicator(ind) => {
                if ind.reads_hlc() {
                    out.extend([Column::High, Column::Low, Column::Close]);
                }
                if let Some(input) = ind.input() {
                    input.collect_columns(out);
                }
            }
        }
    }
}

impl Cond {
    /// The columns this condition reads, sorted, without repeats.
    pub fn columns(&self) -> Vec<Column> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out.sort();
        out.dedup();
        out
    }

    pub(crate) fn collect_indicators(&self, out: &mut Vec<Series>) {
        match self {
            Cond::Compare(_, a, b) | Cond::Cross(_, a, b) => {
                a.collect_indicators(out);
                b.collect_indicators(out);
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.collect_indicators(out);
                b.collect_indicators(out);
            }
            Cond::Not(a) | Cond::Held(a, _) | Cond::Within(a, _) => a.collect_indicators(out),
        }
    }

    fn collect_columns(&self, out: &mut Vec<Column>) {
        match self {
            Cond::Compare(_, a, b) | Cond::Cross(_, a, b) => {
                a.collect_columns(out);
                b.collect_columns(out);
            }
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.collect_columns(out);
                b.collect_columns(out);
            }
            Cond::Not(a) | Cond::Held(a, _) | Cond::Within(a, _) => a.collect_columns(out),
        }
    }
}
