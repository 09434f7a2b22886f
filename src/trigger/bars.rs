//! [`Bars`]: the OHLCV columns an evaluation reads, borrowed.

use super::ast::Column;
use crate::error::{Result, check_len};

/// Borrowed OHLCV columns of one instrument. Only the columns an
/// expression reads are required; all given columns must have one length.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bars<'a> {
    columns: [Option<&'a [f64]>; 5],
}

impl<'a> Bars<'a> {
    /// No columns yet.
    pub fn new() -> Self {
        Bars::default()
    }

    /// Just a close column (enough for indicators on close).
    pub fn from_close(close: &'a [f64]) -> Self {
        Bars::new().with(Column::Close, close)
    }

    /// All five columns.
    pub fn ohlcv(
        open: &'a [f64],
        high: &'a [f64],
        low: &'a [f64],
        close: &'a [f64],
        volume: &'a [f64],
    ) -> Self {
        Bars::new()
            .with(Column::Open, open)
            .with(Column::High, high)
            .with(Column::Low, low)
            .with(Column::Close, close)
            .with(Column::Volume, volume)
    }

    /// Sets (or replaces) one column.
    pub fn with(mut self, column: Column, data: &'a [f64]) -> Self {
        self.columns[column as usize] = Some(data);
        self
    }

    /// The column, if given.
    pub fn column(&self, column: Column) -> Option<&'a [f64]> {
        self.columns[column as usize]
    }

    /// The number of bars: the common length of the given columns (0 if
    /// none), or `LengthMismatch` naming the first column that differs.
    pub fn len(&self) -> Result<usize> {
        let mut len = None;
        for c in Column::ALL {
            if let Some(d) = self.column(c) {
                match len {
                    None => len = Some(d.len()),
                    Some(n) => check_len(c.name(), n, d.len())?,
                }
            }
        }
        Ok(len.unwrap_or(0))
    }

    /// Whether no column has any bar.
    pub fn is_empty(&self) -> bool {
        self.len().is_ok_and(|n| n == 0)
    }
}
