//! Owned OHLCV columns held by the engine, their ids and content
//! fingerprints.

use core::fmt;

use xxhash_rust::xxh3::Xxh3Default;

use crate::error::{Result, check_len};
use crate::trigger::{Bars, Column};

/// The id [`Engine::insert_series`](super::Engine::insert_series) gives a
/// series: unique within one engine, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(pub(crate) u64);

impl fmt::Display for SeriesId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Owned OHLCV columns of one instrument (the owned twin of [`Bars`]).
/// Only the columns an expression reads are required; all given columns
/// must have one length (checked on insertion into an engine).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ohlcv {
    columns: [Option<Vec<f64>>; 5],
}

impl Ohlcv {
    /// No columns yet.
    pub fn new() -> Self {
        Ohlcv::default()
    }

    /// Just a close column.
    pub fn from_close(close: Vec<f64>) -> Self {
        Ohlcv::new().with(Column::Close, close)
    }

    /// All five columns.
    pub fn from_ohlcv(
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        volume: Vec<f64>,
    ) -> Self {
        Ohlcv {
            columns: [Some(open), Some(high), Some(low), Some(close), Some(volume)],
        }
    }

    /// Sets (or replaces) one column.
    pub fn with(mut self, column: Column, data: Vec<f64>) -> Self {
        self.columns[column as usize] = Some(data);
        self
    }

    /// The column, if given.
    pub fn column(&self, column: Column) -> Option<&[f64]> {
        self.columns[column as usize].as_deref()
    }

    /// The columns, borrowed, for evaluation.
    pub fn bars(&self) -> Bars<'_> {
        Column::ALL
            .into_iter()
            .fold(Bars::new(), |b, c| match self.column(c) {
                Some(d) => b.with(c, d),
                None => b,
            })
    }

    /// The number of bars (0 if no column), or
    /// [`crate::Error::LengthMismatch`] naming the first column that
    /// differs from the first given one.
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

    /// Whether there is no bar (or no column).
    pub fn is_empty(&self) -> bool {
        self.len().is_ok_and(|n| n == 0)
    }

    /// Bytes held by the columns' buffers.
    pub fn bytes(&self) -> usize {
        self.columns
            .iter()
            .flatten()
            .map(|c| c.capacity() * size_of::<f64>())
            .sum()
    }

    /// A 128-bit XXH3 hash of the length, which columns are present and the
    /// bits of every value (so `0.0` and `-0.0`, or two NaN payloads,
    /// differ). Two different series have equal fingerprints with
    /// probability about 2⁻¹²⁸.
    pub fn fingerprint(&self) -> u128 {
        let mut h = Xxh3Default::new();
        for c in Column::ALL {
            match self.column(c) {
                Some(d) => {
                    h.update(&[1 + c as u8]);
                    h.update(&(d.len() as u64).to_le_bytes());
                    h.update(bytemuck::cast_slice(d));
                }
                None => h.update(&[0]),
            }
        }
        h.digest128()
    }
}
