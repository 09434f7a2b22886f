//! Printing expressions back in the language.
//!
//! The output is canonical: indicator inputs are always written
//! (`sma(close, 20)`), optional parameters always given, and parentheses
//! appear exactly where the tree's shape needs them, so parsing the text
//! gives back the same tree (for finite constants).

use core::fmt::{self, Display, Formatter, Write};

use super::ast::{
    ArithOp, BandsField, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
};
use crate::CmpOp;

/// Writes a number so that it parses back to the same `f64`.
pub(crate) fn write_number(f: &mut impl Write, v: f64) -> fmt::Result {
    let a = v.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        write!(f, "{v}")
    } else {
        write!(f, "{v:e}")
    }
}

impl Display for Column {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl CmpOp {
    /// The operator's symbol in the language.
    pub const fn symbol(self) -> &'static str {
        match self {
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

impl ArithOp {
    /// The operator's symbol in the language.
    pub const fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }

    const fn precedence(self) -> u8 {
        match self {
            ArithOp::Add | ArithOp::Sub => 1,
            ArithOp::Mul | ArithOp::Div => 2,
        }
    }
}

impl CrossDir {
    /// The keyword in the language.
    pub const fn keyword(self) -> &'static str {
        match self {
            CrossDir::Above => "crosses_above",
            CrossDir::Below => "crosses_below",
        }
    }
}

impl MacdField {
    /// The field's name.
    pub const fn name(self) -> &'static str {
        match self {
            MacdField::Macd => "macd",
            MacdField::Signal => "signal",
            MacdField::Hist => "hist",
        }
    }
}

impl BandsField {
    /// The field's name.
    pub const fn name(self) -> &'static str {
        match self {
            BandsField::Upper => "upper",
            BandsField::Middle => "middle",
            BandsField::Lower => "lower",
        }
    }
}

impl StochField {
    /// The field's name.
    pub const fn name(self) -> &'static str {
        match self {
            StochField::K => "k",
            StochField::D => "d",
        }
    }
}

impl Series {
    /// Binding strength of the expression's outermost operator: 1 for
    /// `+ -`, 2 for `* /`, 3 for unary minus, 4 for atoms.
    fn precedence(&self) -> u8 {
        match self {
            Series::Arith(op, ..) => op.precedence(),
            Series::Neg(_) => 3,
            _ => 4,
        }
    }

    fn fmt_at(&self, f: &mut Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            f.write_char('(')?;
            self.fmt(f)?;
            return f.write_char(')');
        }
        self.fmt(f)
    }
}

impl Display for Series {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Series::Column(c) => c.fmt(f),
            Series::Const(v) => write_number(f, *v),
            Series::Neg(a) => {
                f.write_char('-')?;
                match **a {
                    // `-3` would parse as the literal −3: keep the negation.
                    Series::Const(v) if v.is_sign_positive() => {
                        f.write_char('(')?;
                        write_number(f, v)?;
                        f.write_char(')')
                    }
                    _ => a.fmt_at(f, 3),
                }
            }
            Series::Arith(op, a, b) => {
                let p = op.precedence();
                a.fmt_at(f, p)?;
                write!(f, " {} ", op.symbol())?;
                b.fmt_at(f, p + 1)
            }
            Series::Indicator(ind) => ind.fmt(f),
            Series::Prev(a, n) => write!(f, "prev({a}, {n})"),
        }
    }
}

impl Display for Indicator {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match self {
            Indicator::Sma { input, period }
            | Indicator::Ema { input, period }
            | Indicator::Wma { input, period }
            | Indicator::Rsi { input, period }
            | Indicator::Max { input, period }
            | Indicator::Min { input, period }
            | Indicator::Var { input, period } => write!(f, "{name}({input}, {period})"),
            Indicator::Stddev {
                input,
                period,
                nbdev,
            } => {
                write!(f, "{name}({input}, {period}, ")?;
                write_number(f, *nbdev)?;
                f.write_char(')')
            }
            Indicator::Macd {
                input,
                fast,
                slow,
                signal,
                field,
            } => write!(
                f,
                "{name}({input}, {fast}, {slow}, {signal}).{}",
                field.name()
            ),
            Indicator::Bbands {
                input,
                period,
                nbdev_up,
                nbdev_dn,
                field,
            } => {
                write!(f, "{name}({input}, {period}, ")?;
                write_number(f, *nbdev_up)?;
                f.write_str(", ")?;
                write_number(f, *nbdev_dn)?;
                write!(f, ").{}", field.name())
            }
            Indicator::Stoch {
                fastk,
                slowk,
                slowd,
                field,
            } => write!(f, "{name}({fastk}, {slowk}, {slowd}).{}", field.name()),
            Indicator::Atr { period } => write!(f, "{name}({period})"),
            Indicator::Trange => write!(f, "{name}()"),
        }
    }
}

impl Cond {
    /// 1 for `or`, 2 for `and`, 3 for `not`, 4 for atoms.
    fn precedence(&self) -> u8 {
        match self {
            Cond::Or(..) => 1,
            Cond::And(..) => 2,
            Cond::Not(_) => 3,
            _ => 4,
        }
    }

    fn fmt_at(&self, f: &mut Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            f.write_char('(')?;
            self.fmt(f)?;
            return f.write_char(')');
        }
        self.fmt(f)
    }
}

impl Display for Cond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Cond::Compare(op, a, b) => write!(f, "{a} {} {b}", op.symbol()),
            Cond::Cross(dir, a, b) => write!(f, "{a} {} {b}", dir.keyword()),
            Cond::Or(a, b) => {
                a.fmt_at(f, 1)?;
                f.write_str(" or ")?;
                b.fmt_at(f, 2)
            }
            Cond::And(a, b) => {
                a.fmt_at(f, 2)?;
                f.write_str(" and ")?;
                b.fmt_at(f, 3)
            }
            Cond::Not(a) => {
                f.write_str("not ")?;
                a.fmt_at(f, 3)
            }
            Cond::Held(a, n) => write!(f, "held({a}, {n})"),
            Cond::Within(a, n) => write!(f, "within({a}, {n})"),
        }
    }
}
