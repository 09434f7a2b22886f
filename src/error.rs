//! The crate's error type: every fallible function returns [`Result`].

use crate::Backend;

/// What went wrong, named precisely enough to fix the call.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A period (or other integer window parameter) outside its range.
    #[error("{}", invalid_period_message(name, *value, *min, *max))]
    InvalidPeriod {
        /// The parameter's name, e.g. `"period"` or `"fastk_period"`.
        name: &'static str,
        /// The value given.
        value: usize,
        /// The smallest allowed value.
        min: usize,
        /// The largest allowed value.
        max: usize,
    },
    /// Two buffers that must have the same length do not.
    #[error("length mismatch for {name}: expected {expected}, got {got}")]
    LengthMismatch {
        /// Which buffer is the wrong length, e.g. `"out"` or `"b"`.
        name: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        got: usize,
    },
    /// A real-valued parameter that is NaN, infinite or out of range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name, e.g. `"nbdev_up"`.
        name: &'static str,
        /// The value given.
        value: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A trigger reads a column the bars do not have.
    #[error(
        "trigger {trigger:?} reads the {column} column, which the bars do not have (in `{expression}`, at bytes {}..{})",
        span.start, span.end
    )]
    MissingColumn {
        /// The column's name.
        column: &'static str,
        /// The trigger's name.
        trigger: String,
        /// The trigger's expression (canonical text).
        expression: String,
        /// Where in `expression` the column is read: the column's name, or
        /// the call of the first indicator that reads it implicitly (e.g.
        /// `atr` reads high, low and close).
        span: core::ops::Range<usize>,
    },
    /// A trigger expression that does not parse or make sense.
    #[error("{0}")]
    Trigger(Box<crate::trigger::TriggerError>),
    /// A streamed bar or a snapshot that cannot be used (see
    /// [`crate::stream`]); the stream's state is unchanged.
    #[error("{0}")]
    Stream(crate::stream::StreamError),
    /// An explicit backend was requested that this CPU cannot run.
    #[error("the {backend} backend is not available on this CPU")]
    BackendUnavailable {
        /// The backend requested.
        backend: Backend,
    },
}

impl From<crate::trigger::TriggerError> for Error {
    fn from(e: crate::trigger::TriggerError) -> Self {
        Error::Trigger(Box::new(e))
    }
}

fn invalid_period_message(name: &str, value: usize, min: usize, max: usize) -> String {
    if max == usize::MAX {
        format!("invalid {name} {value}: must be at least {min}")
    } else {
        format!("invalid {name} {value}: must be in {min}..={max}")
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// `Err(InvalidPeriod)` unless `min <= value <= max`.
#[inline]
pub(crate) fn check_period(name: &'static str, value: usize, min: usize, max: usize) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidPeriod {
            name,
            value,
            min,
            max,
        })
    }
}

/// `Err(LengthMismatch)` unless `got == expected`.
#[inline]
pub(crate) fn check_len(name: &'static str, expected: usize, got: usize) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            name,
            expected,
            got,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem() {
        let e = check_period("period", 0, 1, usize::MAX).unwrap_err();
        assert_eq!(e.to_string(), "invalid period 0: must be at least 1");
        let e = check_period("timeperiod", 1, 2, 100_000).unwrap_err();
        assert_eq!(e.to_string(), "invalid timeperiod 1: must be in 2..=100000");
        let e = check_len("out", 5, 4).unwrap_err();
        assert_eq!(e.to_string(), "length mismatch for out: expected 5, got 4");
        assert!(check_len("out", 3, 3).is_ok());
        assert!(check_period("period", 3, 1, 3).is_ok());
    }
}
