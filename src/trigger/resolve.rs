//! Giving the untyped syntax tree its meaning: names become columns or
//! indicators, arguments are counted and checked against TA-Lib's ranges,
//! and every node is checked to be a series or a condition as its place
//! requires. Errors carry the span of the node at fault.

use core::ops::Range;

use super::ast::{
    ArithOp, BandsField, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
};
use super::error::{TriggerError, TriggerErrorKind};
use super::syntax::{BinOp, Node, NodeKind};
use crate::CmpOp;

/// Every function the language knows, for error messages.
pub(crate) const FUNCTION_NAMES: [&str; 16] = [
    "sma", "ema", "wma", "rsi", "max", "min", "var", "stddev", "macd", "bbands", "stoch", "atr",
    "trange", "prev", "held", "within",
];

/// TA-Lib's largest period.
const MAX_PERIOD: usize = 100_000;

/// Resolves `node`, which must be a condition.
pub(crate) fn cond(text: &str, node: &Node) -> Result<Cond, TriggerError> {
    Resolver { text }.cond(node)
}

/// Resolves `node`, which must be a series.
pub(crate) fn series(text: &str, node: &Node) -> Result<Series, TriggerError> {
    Resolver { text }.series(node)
}

struct Resolver<'t> {
    text: &'t str,
}

/// What a node is, for type errors.
fn kind_of(node: &Node) -> &'static str {
    match &node.kind {
        NodeKind::Number(_) => "a number",
        NodeKind::Not(_) => "a condition",
        NodeKind::Binary { op, .. } => match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => "a series",
            _ => "a condition",
        },
        NodeKind::Call { name, .. } if matches!(name.as_str(), "held" | "within") => "a condition",
        _ => "a series",
    }
}

impl Resolver<'_> {
    fn err(&self, span: Range<usize>, kind: TriggerErrorKind) -> TriggerError {
        TriggerError::new(self.text, span, kind)
    }

    fn mismatch(&self, node: &Node, expected: &'static str) -> TriggerError {
        self.err(
            node.span.clone(),
            TriggerErrorKind::TypeMismatch {
                expected,
                found: kind_of(node),
            },
        )
    }

    fn cond(&self, node: &Node) -> Result<Cond, TriggerError> {
        const EXPECTED: &str = "a condition (a comparison, a crossing, and/or/not, held, within)";
        match &node.kind {
            NodeKind::Not(a) => Ok(Cond::Not(Box::new(self.cond(a)?))),
            NodeKind::Binary { op, lhs, rhs } => {
                let cmp = |o| -> Result<Cond, TriggerError> {
                    Ok(Cond::Compare(o, self.series(lhs)?, self.series(rhs)?))
                };
                match op {
                    BinOp::And => Ok(Cond::And(
                        Box::new(self.cond(lhs)?),
                        Box::new(self.cond(rhs)?),
                    )),
                    BinOp::Or => Ok(Cond::Or(
                        Box::new(self.cond(lhs)?),
                        Box::new(self.cond(rhs)?),
                    )),
                    BinOp::Lt => cmp(CmpOp::Lt),
                    BinOp::Le => cmp(CmpOp::Le),
                    BinOp::Gt => cmp(CmpOp::Gt),
                    BinOp::Ge => cmp(CmpOp::Ge),
                    BinOp::CrossesAbove => Ok(Cond::Cross(
                        CrossDir::Above,
                        self.series(lhs)?,
                        self.series(rhs)?,
                    )),
                    BinOp::CrossesBelow => Ok(Cond::Cross(
                        CrossDir::Below,
                        self.series(lhs)?,
                        self.series(rhs)?,
                    )),
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                        Err(self.mismatch(node, EXPECTED))
                    }
                }
            }
            NodeKind::Call {
                name,
                name_span,
                args,
            } if name == "held" || name == "within" => {
                let function = if name == "held" { "held" } else { "within" };
                if args.len() != 2 {
                    return Err(self.err(
                        name_span.start..node.span.end,
                        TriggerErrorKind::WrongArgCount {
                            function,
                            expected: "(condition, bars)",
                            got: args.len(),
                        },
                    ));
                }
                let c = Box::new(self.cond(&args[0])?);
                let n = self.count(function, "bars", &args[1], 1)?;
                Ok(if function == "held" {
                    Cond::Held(c, n)
                } else {
                    Cond::Within(c, n)
                })
            }
            _ => Err(self.mismatch(node, EXPECTED)),
        }
    }

    fn series(&self, node: &Node) -> Result<Series, TriggerError> {
        const EXPECTED: &str = "a series (a number per bar)";
        match &node.kind {
            NodeKind::Number(v) => Ok(Series::Const(*v)),
            NodeKind::Name(n) => Column::from_name(n).map(Series::Column).ok_or_else(|| {
                self.err(
                    node.span.clone(),
                    TriggerErrorKind::UnknownName { name: n.clone() },
                )
            }),
            NodeKind::Neg(a) => Ok(Series::Neg(Box::new(self.series(a)?))),
            NodeKind::Binary { op, lhs, rhs } => {
                let op = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    BinOp::Div => ArithOp::Div,
                    _ => return Err(self.mismatch(node, EXPECTED)),
                };
                Ok(Series::Arith(
                    op,
                    Box::new(self.series(lhs)?),
                    Box::new(self.series(rhs)?),
                ))
            }
            NodeKind::Not(_) => Err(self.mismatch(node, EXPECTED)),
            NodeKind::Call { .. } => self.call(node, None),
            NodeKind::Field {
                base,
                field,
                field_span,
            } => match &base.kind {
                NodeKind::Call { .. } => self.call(base, Some((field, field_span.clone()))),
                _ => Err(self.err(
                    field_span.clone(),
                    TriggerErrorKind::UnknownField {
                        indicator: "this expression".to_owned(),
                        field: field.clone(),
                        allowed: "none; fields belong to macd, bbands and stoch",
                    },
                )),
            },
        }
    }

    /// A call used as a series, with the `.field` that follows it, if any.
    fn call(
        &self,
        node: &Node,
        field: Option<(&String, Range<usize>)>,
    ) -> Result<Series, TriggerError> {
        let NodeKind::Call {
            name,
            name_span,
            args,
        } = &node.kind
        else {
            unreachable!("call() is only given call nodes")
        };
        let call_span = name_span.start..node.span.end;
        let wrong_count = |function: &'static str, expected: &'static str| {
            self.err(
                call_span.clone(),
                TriggerErrorKind::WrongArgCount {
                    function,
                    expected,
                    got: args.len(),
                },
            )
        };
        // Splits off an optional leading series argument: with `full`
        // arguments the first is the input, with `full - 1` the input is
        // close.
        let input_and_params = |function: &'static str, full: usize, expected: &'static str| {
            if args.len() == full {
                Ok((self.series(&args[0])?, &args[1..]))
            } else if args.len() + 1 == full {
                Ok((Series::Column(Column::Close), &args[..]))
            } else {
                Err(wrong_count(function, expected))
            }
        };
        let fields = |indicator: &'static str,
                      allowed: &'static str|
         -> Result<Option<(&String, Range<usize>)>, TriggerError> {
            match &field {
                None => Err(self.err(
                    call_span.clone(),
                    TriggerErrorKind::MissingField { indicator, allowed },
                )),
                Some(f) => Ok(Some(f.clone())),
            }
        };
        let no_field = |indicator: &str| -> Result<(), TriggerError> {
            match &field {
                None => Ok(()),
                Some((f, span)) => Err(self.err(
                    span.clone(),
                    TriggerErrorKind::UnknownField {
                        indicator: indicator.to_owned(),
                        field: (*f).clone(),
                        allowed: "none: it has a single output",
                    },
                )),
            }
        };

        let ind = match name.as_str() {
            "sma" | "ema" | "wma" | "rsi" | "max" | "min" | "var" => {
                let (function, min) = match name.as_str() {
                    "sma" => ("sma", 1),
                    "ema" => ("ema", 1),
                    "wma" => ("wma", 1),
                    "rsi" => ("rsi", 2),
                    "max" => ("max", 2),
                    "min" => ("min", 2),
                    _ => ("var", 1),
                };
                no_field(function)?;
                let (input, params) =
                    input_and_params(function, 2, "(period) or (series, period)")?;
                let period = self.count(function, "period", &params[0], min)?;
                match function {
                    "sma" => Indicator::Sma { input, period },
                    "ema" => Indicator::Ema { input, period },
                    "wma" => Indicator::Wma { input, period },
                    "rsi" => Indicator::Rsi { input, period },
                    "max" => Indicator::Max { input, period },
                    "min" => Indicator::Min { input, period },
                    _ => Indicator::Var { input, period },
                }
            }
            "stddev" => {
                no_field("stddev")?;
                const FORMS: &str = "(period), (series, period) or (series, period, nbdev)";
                let (input, params) = match args.len() {
                    1 => (Series::Column(Column::Close), &args[..]),
                    2 | 3 => (self.series(&args[0])?, &args[1..]),
                    _ => return Err(wrong_count("stddev", FORMS)),
                };
                let period = self.count("stddev", "period", &params[0], 2)?;
                let nbdev = match params.get(1) {
                    Some(a) => self.real("stddev", "nbdev", a)?,
                    None => 1.0,
                };
                Indicator::Stddev {
                    input,
                    period,
                    nbdev,
                }
            }
            "macd" => {
                const ALLOWED: &str = ".macd, .signal or .hist";
                let (input, params) = input_and_params(
                    "macd",
                    4,
                    "(fast, slow, signal) or (series, fast, slow, signal)",
                )?;
                let fast = self.count("macd", "fast period", &params[0], 2)?;
                let slow = self.count("macd", "slow period", &params[1], 2)?;
                let signal = self.count("macd", "signal period", &params[2], 1)?;
                let (f, span) =
                    fields("macd", ALLOWED)?.expect("fields() returns a field or an error");
                let field = match f.as_str() {
                    "macd" => MacdField::Macd,
                    "signal" => MacdField::Signal,
                    "hist" => MacdField::Hist,
                    _ => return Err(self.unknown_field("macd", f, span, ALLOWED)),
                };
                Indicator::Macd {
                    input,
                    fast,
                    slow,
                    signal,
                    field,
                }
            }
            "bbands" => {
                const ALLOWED: &str = ".upper, .middle or .lower";
                const FORMS: &str = "(period), (series, period), (period, nbdev_up, nbdev_dn) or (series, period, nbdev_up, nbdev_dn)";
                let (input, params) = match args.len() {
                    1 | 3 => (Series::Column(Column::Close), &args[..]),
                    2 | 4 => (self.series(&args[0])?, &args[1..]),
                    _ => return Err(wrong_count("bbands", FORMS)),
                };
                let period = self.count("bbands", "period", &params[0], 2)?;
                let (nbdev_up, nbdev_dn) = if params.len() == 3 {
                    (
                        self.real("bbands", "nbdev_up", &params[1])?,
                        self.real("bbands", "nbdev_dn", &params[2])?,
                    )
                } else {
                    (2.0, 2.0)
                };
                let (f, span) =
                    fields("bbands", ALLOWED)?.expect("fields() returns a field or an error");
                let field = match f.as_str() {
                    "upper" => BandsField::Upper,
                    "middle" => BandsField::Middle,
                    "lower" => BandsField::Lower,
                    _ => return Err(self.unknown_field("bbands", f, span, ALLOWED)),
                };
                Indicator::Bbands {
                    input,
                    period,
                    nbdev_up,
                    nbdev_dn,
                    field,
                }
            }
            "stoch" => {
                const ALLOWED: &str = ".k or .d";
                if args.len() != 3 {
                    return Err(wrong_count(
                        "stoch",
                        "(fastk, slowk, slowd) and reads high, low, close",
                    ));
                }
                let fastk = self.count("stoch", "fastk period", &args[0], 1)?;
                let slowk = self.count("stoch", "slowk period", &args[1], 1)?;
                let slowd = self.count("stoch", "slowd period", &args[2], 1)?;
                let (f, span) =
                    fields("stoch", ALLOWED)?.expect("fields() returns a field or an error");
                let field = match f.as_str() {
                    "k" => StochField::K,
                    "d" => StochField::D,
                    _ => return Err(self.unknown_field("stoch", f, span, ALLOWED)),
                };
                Indicator::Stoch {
                    fastk,
                    slowk,
                    slowd,
                    field,
                }
            }
            "atr" => {
                no_field("atr")?;
                if args.len() != 1 {
                    return Err(wrong_count("atr", "(period) and reads high, low, close"));
                }
                Indicator::Atr {
                    period: self.count("atr", "period", &args[0], 1)?,
                }
            }
            "trange" => {
                no_field("trange")?;
                if !args.is_empty() {
                    return Err(wrong_count(
                        "trange",
                        "no arguments (it reads high, low, close)",
                    ));
                }
                Indicator::Trange
            }
            "prev" => {
                no_field("prev")?;
                if args.len() != 2 {
                    return Err(wrong_count("prev", "(series, bars)"));
                }
                let s = self.series(&args[0])?;
                let n = self.count("prev", "bars", &args[1], 0)?;
                return Ok(Series::Prev(Box::new(s), n));
            }
            "held" | "within" => return Err(self.mismatch(node, "a series (a number per bar)")),
            _ => {
                return Err(self.err(
                    name_span.clone(),
                    TriggerErrorKind::UnknownFunction { name: name.clone() },
                ));
            }
        };
        Ok(Series::Indicator(Box::new(ind)))
    }

    fn unknown_field(
        &self,
        indicator: &str,
        field: &str,
        span: Range<usize>,
        allowed: &'static str,
    ) -> TriggerError {
        self.err(
            span,
            TriggerErrorKind::UnknownField {
                indicator: indicator.to_owned(),
                field: field.to_owned(),
                allowed,
            },
        )
    }

    /// A whole-number literal in `min..=100000`.
    fn count(
        &self,
        function: &'static str,
        parameter: &'static str,
        node: &Node,
        min: usize,
    ) -> Result<usize, TriggerError> {
        let bad = |reason: String| {
            self.err(
                node.span.clone(),
                TriggerErrorKind::BadParameter {
                    function,
                    parameter,
                    reason,
                },
            )
        };
        let NodeKind::Number(v) = node.kind else {
            return Err(bad(format!(
                "must be a number written out, found {}",
                kind_of(node)
            )));
        };
        if v.fract() != 0.0 || v < min as f64 || v > MAX_PERIOD as f64 {
            return Err(bad(format!(
                "must be a whole number in {min}..={MAX_PERIOD}, got {v}"
            )));
        }
        Ok(v as usize)
    }

    /// A finite real literal.
    fn real(
        &self,
        function: &'static str,
        parameter: &'static str,
        node: &Node,
    ) -> Result<f64, TriggerError> {
        match node.kind {
            NodeKind::Number(v) if v.is_finite() => Ok(v),
            _ => Err(self.err(
                node.span.clone(),
                TriggerErrorKind::BadParameter {
                    function,
                    parameter,
                    reason: format!(
                        "must be a finite number written out, found {}",
                        kind_of(node)
                    ),
                },
            )),
        }
    }
}
