//! Triggers: a small condition language over indicators, evaluated over
//! whole histories as bitmasks.
//!
//! ```text
//! oversold_golden = rsi(14) < 30 and sma(20) crosses_above sma(50)
//! breakout        = close > bbands(20, 2, 2).upper and volume > 1.5 * sma(volume, 20)
//! ```
//!
//! # The language
//! - Series: the columns `open`, `high`, `low`, `close`, `volume`; numbers
//!   (`30`, `1.5e-3`); arithmetic `+ - * /`, unary minus, parentheses.
//! - Indicators, on `close` unless a series is given first:
//!   `sma(20)`, `ema(high, 10)`, `rsi(ema(close, 5), 14)`, `wma`, `max`,
//!   `min`, `var` (period), `stddev(period[, nbdev])` (with a series:
//!   `stddev(series, period[, nbdev])`), `macd(12, 26, 9).signal`
//!   (`.macd .signal .hist`), `bbands(20, 2, 2).lower` (`.upper .middle
//!   .lower`; `bbands(20)` means nbdev 2 and 2), `stoch(14, 3, 3).k`
//!   (`.k .d`), `atr(14)` and `trange()` (these read high, low and close),
//!   `prev(series, n)` (the value n bars ago).
//! - Conditions: `<`, `<=`, `>`, `>=` (NaN compares false);
//!   `a crosses_above b`, `a crosses_below b` (see [`crate::cross_above`]);
//!   `and`, `or`, `not`, parentheses; `held(cond, n)` (true on each of the
//!   last n bars), `within(cond, n)` (true on any of the last n bars).
//! - Precedence, loosest first: `or`, `and`, `not`, comparisons and
//!   crossings, `+ -`, `* /`, unary minus, `.field`.
//! - Periods are whole-number literals in TA-Lib's ranges, checked when
//!   parsing; errors carry the byte span of the text at fault.
//!
//! Expressions can also be built in Rust with [`build`], and print back in
//! the language with `Display` (parsing the printed text gives the same
//! tree).

mod ast;
mod bars;
pub mod build;
mod display;
mod error;
pub(crate) mod masks;
mod plan;
mod resolve;
#[cfg(feature = "serde")]
mod serde_impl;
mod syntax;

use core::fmt;
use core::str::FromStr;

pub use ast::{
    ArithOp, BandsField, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
};
pub use bars::Bars;
pub use error::{TriggerError, TriggerErrorKind};
pub use plan::{Evaluation, Event, IndicatorKey, IndicatorOutputs, IndicatorSource, Plan, Scratch};
#[cfg(feature = "serde")]
pub use serde_impl::AsTree;

impl FromStr for Cond {
    type Err = TriggerError;

    /// Parses a condition, e.g. `rsi(14) < 30 and close > sma(200)`.
    fn from_str(text: &str) -> Result<Self, TriggerError> {
        resolve::cond(text, &syntax::parse_expr(text)?)
    }
}

impl FromStr for Series {
    type Err = TriggerError;

    /// Parses a series expression, e.g. `macd(12, 26, 9).hist * 2`.
    fn from_str(text: &str) -> Result<Self, TriggerError> {
        resolve::series(text, &syntax::parse_expr(text)?)
    }
}

impl Series {
    /// Parses a series expression for output, naming each output by its
    /// text: a multi-output call without a field (`macd(12,26,9)`,
    /// `bbands(20)`, `stoch(14,3,3)`) gives one series per field, named
    /// `text.field`; anything else gives itself, named `text` (trimmed).
    pub fn parse_outputs(text: &str) -> Result<Vec<(String, Series)>, TriggerError> {
        let trimmed = text.trim();
        match trimmed.parse::<Series>() {
            Ok(s) => Ok(vec![(trimmed.to_owned(), s)]),
            Err(e) => {
                let fields: &[&str] = match e.kind {
                    TriggerErrorKind::MissingField {
                        indicator: "macd", ..
                    } => &["macd", "signal", "hist"],
                    TriggerErrorKind::MissingField {
                        indicator: "bbands",
                        ..
                    } => &["upper", "middle", "lower"],
                    TriggerErrorKind::MissingField {
                        indicator: "stoch", ..
                    } => &["k", "d"],
                    _ => return Err(e),
                };
                // Only a whole-text call can be expanded.
                if e.span != (0..trimmed.len()) {
                    return Err(e);
                }
                fields
                    .iter()
                    .map(|f| {
                        let name = format!("{trimmed}.{f}");
                        let s = name.parse::<Series>()?;
                        Ok((name, s))
                    })
                    .collect()
            }
        }
    }

    /// The distinct indicator sub-expressions of this series (itself
    /// included), innermost first.
    pub fn indicators(&self) -> Vec<Series> {
        let mut out = Vec::new();
        self.collect_indicators(&mut out);
        out
    }
}

impl Cond {
    /// The distinct indicator sub-expressions this condition reads,
    /// innermost first (for charts and diagnostics).
    pub fn indicators(&self) -> Vec<Series> {
        let mut out = Vec::new();
        self.collect_indicators(&mut out);
        out
    }
}

impl TriggerSet {
    /// The distinct indicator sub-expressions the set reads.
    pub fn indicators(&self) -> Vec<Series> {
        let mut out = Vec::new();
        for t in &self.triggers {
            t.cond.collect_indicators(&mut out);
        }
        out
    }
}

/// A named condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// The trigger's name.
    pub name: String,
    /// When it fires.
    pub cond: Cond,
}

impl Trigger {
    /// A trigger named `name` firing on `cond`.
    pub fn new(name: impl Into<String>, cond: Cond) -> Self {
        Trigger {
            name: name.into(),
            cond,
        }
    }
}

impl FromStr for Trigger {
    type Err = TriggerError;

    /// Parses `name = condition`.
    fn from_str(text: &str) -> Result<Self, TriggerError> {
        let (name, _, node) = syntax::parse_named(text)?;
        Ok(Trigger {
            name,
            cond: resolve::cond(text, &node)?,
        })
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.name, self.cond)
    }
}

/// Named triggers evaluated together (shared indicators are computed
/// once).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TriggerSet {
    triggers: Vec<Trigger>,
}

impl TriggerSet {
    /// An empty set.
    pub fn new() -> Self {
        TriggerSet::default()
    }

    /// Adds a trigger; a second trigger with the same name is an error.
    pub fn push(&mut self, trigger: Trigger) -> Result<(), TriggerError> {
        if self.triggers.iter().any(|t| t.name == trigger.name) {
            let text = trigger.to_string();
            return Err(TriggerError::new(
                &text,
                0..trigger.name.len(),
                TriggerErrorKind::DuplicateName { name: trigger.name },
            ));
        }
        self.triggers.push(trigger);
        Ok(())
    }

    /// Adds a trigger, builder style.
    pub fn with(mut self, name: impl Into<String>, cond: Cond) -> Result<Self, TriggerError> {
        self.push(Trigger::new(name, cond))?;
        Ok(self)
    }

    /// Parses one `name = condition` per line; blank lines and lines
    /// starting with `#` are skipped. Error spans point into `text`. An
    /// empty set is an error.
    pub fn parse(text: &str) -> Result<Self, TriggerError> {
        let mut set = TriggerSet::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let body = line.trim_end_matches(['\n', '\r']);
            let trimmed = body.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let shift = |mut e: TriggerError| {
                e.span = e.span.start + start..e.span.end + start;
                e.text = text.to_owned();
                e
            };
            let (name, name_span, node) = syntax::parse_named(body).map_err(shift)?;
            let cond = resolve::cond(body, &node).map_err(shift)?;
            if set.triggers.iter().any(|t| t.name == name) {
                return Err(TriggerError::new(
                    text,
                    name_span.start + start..name_span.end + start,
                    TriggerErrorKind::DuplicateName { name },
                ));
            }
            set.triggers.push(Trigger { name, cond });
        }
        if set.triggers.is_empty() {
            return Err(TriggerError::new(
                text,
                0..text.len(),
                TriggerErrorKind::EmptySet,
            ));
        }
        Ok(set)
    }

    /// Compiles the set into a [`Plan`] (each distinct indicator and
    /// sub-expression once).
    pub fn plan(&self) -> Result<Plan, TriggerError> {
        Plan::compile(self)
    }

    /// Compiles and runs the set over `bars`.
    pub fn evaluate(&self, bars: &Bars<'_>) -> crate::Result<Evaluation> {
        self.plan()?.evaluate(bars)
    }

    /// The triggers, in the order they were added.
    pub fn triggers(&self) -> &[Trigger] {
        &self.triggers
    }

    /// Number of triggers.
    pub fn len(&self) -> usize {
        self.triggers.len()
    }

    /// Whether the set has no triggers.
    pub fn is_empty(&self) -> bool {
        self.triggers.is_empty()
    }
}

impl fmt::Display for TriggerSet {
    /// One `name = condition` per line; [`TriggerSet::parse`] reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.triggers {
            writeln!(f, "{t}")?;
        }
        Ok(())
    }
}
