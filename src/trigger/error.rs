//! Errors of the trigger language, each with the span of text it is about.

use core::fmt;
use core::ops::Range;

/// What is wrong with a trigger expression.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TriggerErrorKind {
    /// The text does not follow the grammar.
    Syntax {
        /// What the parser expected here.
        expected: String,
        /// What it found (a character, or "end of input").
        found: String,
    },
    /// A call of a name that is not an indicator or function.
    UnknownFunction {
        /// The name called.
        name: String,
    },
    /// A bare name that is not a column.
    UnknownName {
        /// The name.
        name: String,
    },
    /// `.field` on something without that field.
    UnknownField {
        /// The indicator (or "expression").
        indicator: String,
        /// The field asked for.
        field: String,
        /// The fields it has.
        allowed: &'static str,
    },
    /// A multi-output indicator used without choosing an output.
    MissingField {
        /// The indicator.
        indicator: &'static str,
        /// The fields it has.
        allowed: &'static str,
    },
    /// A call with the wrong number of arguments.
    WrongArgCount {
        /// The function called.
        function: &'static str,
        /// The forms it accepts.
        expected: &'static str,
        /// How many arguments were given.
        got: usize,
    },
    /// A period or count that is not a whole number in range.
    BadParameter {
        /// The function.
        function: &'static str,
        /// The parameter.
        parameter: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// A series where a condition is needed, or the reverse.
    TypeMismatch {
        /// What the context needs.
        expected: &'static str,
        /// What the expression is.
        found: &'static str,
    },
    /// A trigger set without triggers.
    EmptySet,
    /// Two triggers with one name.
    DuplicateName {
        /// The name.
        name: String,
    },
}

/// An error in a trigger expression: what is wrong and where.
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerError {
    /// What is wrong.
    pub kind: TriggerErrorKind,
    /// Byte range of the offending text (empty at the end of input).
    pub span: Range<usize>,
    /// The text the span points into.
    pub text: String,
}

impl TriggerError {
    pub(crate) fn new(text: &str, span: Range<usize>, kind: TriggerErrorKind) -> Self {
        TriggerError {
            kind,
            span,
            text: text.to_owned(),
        }
    }

    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self) -> (usize, usize) {
        let before = &self.text[..self.span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

impl fmt::Display for TriggerErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TriggerErrorKind::*;
        match self {
            Syntax { expected, found } => write!(f, "expected {expected}, found {found}"),
            UnknownFunction { name } => write!(
                f,
                "unknown function `{name}` (known: {})",
                super::resolve::FUNCTION_NAMES.join(", ")
            ),
            UnknownName { name } => write!(
                f,
                "unknown name `{name}` (columns are open, high, low, close, volume; indicators are called, e.g. `{name}(14)`)"
            ),
            UnknownField {
                indicator,
                field,
                allowed,
            } => write!(
                f,
                "`{indicator}` has no field `{field}` (fields: {allowed})"
            ),
            MissingField { indicator, allowed } => write!(
                f,
                "`{indicator}` has several outputs: choose one with {allowed}"
            ),
            WrongArgCount {
                function,
                expected,
                got,
            } => write!(
                f,
                "`{function}` takes {expected}, but {got} argument{} given",
                if *got == 1 { " was" } else { "s were" }
            ),
            BadParameter {
                function,
                parameter,
                reason,
            } => write!(f, "`{function}`: bad {parameter}: {reason}"),
            TypeMismatch { expected, found } => write!(f, "expected {expected}, found {found}"),
            EmptySet => f.write_str("a trigger set needs at least one trigger"),
            DuplicateName { name } => write!(f, "trigger `{name}` is defined twice"),
        }
    }
}

impl fmt::Display for TriggerError {
    /// `line:col: message`, then the line of text with a caret under the
    /// span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        write!(f, "{line}:{col}: {}", self.kind)?;
        let start = self.span.start.min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |p| p + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |p| start + p);
        let line_text = &self.text[line_start..line_end];
        if !line_text.trim().is_empty() {
            let pad = self.text[line_start..start].chars().count();
            let end = self.span.end.clamp(start, line_end);
            let width = self.text[start..end].chars().count().max(1);
            write!(
                f,
                "\n  {line_text}\n  {}{}",
                " ".repeat(pad),
                "^".repeat(width)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for TriggerError {}
