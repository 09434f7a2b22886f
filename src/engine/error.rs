//! [`EngineError`]: what an [`Engine`](super::Engine) call can fail with.

use super::SeriesId;

/// Why an [`Engine`](super::Engine) call failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No series with this id is held (never inserted, or removed).
    #[error("no series with id {0} in the engine")]
    UnknownSeries(SeriesId),
    /// [`Engine::indicator`](super::Engine::indicator) was given a series
    /// expression whose root is not an indicator call (e.g. `close * 2`).
    #[error("`{text}` is not an indicator call")]
    NotAnIndicator {
        /// The expression's canonical text.
        text: String,
    },
    /// The computation failed: a column the expression reads is missing
    /// ([`crate::Error::MissingColumn`]), columns of different lengths, a
    /// parameter out of range, an empty trigger set, ….
    #[error(transparent)]
    Compute(#[from] crate::Error),
}

impl From<crate::trigger::TriggerError> for EngineError {
    fn from(e: crate::trigger::TriggerError) -> Self {
        EngineError::Compute(e.into())
    }
}
