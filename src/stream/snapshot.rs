//! [`Snapshot`]: a [`StreamEngine`](super::StreamEngine)'s state as plain
//! data, and the word encoding every state is saved in.

use super::StreamError;
use crate::error::{Error, Result};

/// The version of the snapshot format written by this library; a
/// snapshot of another version is refused by
/// [`StreamEngine::restore`](super::StreamEngine::restore).
pub const SNAPSHOT_VERSION: u32 = 2;

/// A [`StreamEngine`](super::StreamEngine)'s whole state, to survive a
/// restart: restoring it and continuing gives, bit for bit, what the
/// uninterrupted engine gives.
///
/// Plain data (with feature `serde`, `Serialize`/`Deserialize`). Every
/// `f64` of the state is stored as its IEEE bits in `states`, so NaN, ±inf
/// and every last bit survive a JSON round trip.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Snapshot {
    /// The format's version ([`SNAPSHOT_VERSION`] when written).
    pub version: u32,
    /// The canonical text of the trigger set (its `Display`), so a
    /// snapshot is never restored into another set.
    pub set: String,
    /// Bars committed.
    pub bars: u64,
    /// The last committed bar's timestamp, if any.
    pub last_timestamp: Option<i64>,
    /// Each state of the engine, in plan order, as words.
    pub states: Vec<Vec<u64>>,
}

/// Appends a float as its bits.
#[inline]
pub(crate) fn put_f(out: &mut Vec<u64>, v: f64) {
    out.push(v.to_bits());
}

/// Appends a slice of floats, length first.
pub(crate) fn put_fs<'a>(out: &mut Vec<u64>, len: usize, v: impl Iterator<Item = &'a f64>) {
    out.push(len as u64);
    out.extend(v.map(|x| x.to_bits()));
}

/// Reads words written by [`Stream::save`](super::Stream::save).
#[derive(Debug)]
pub struct StateReader<'a> {
    words: &'a [u64],
    pos: usize,
}

fn corrupt(what: &'static str) -> Error {
    Error::Stream(StreamError::SnapshotCorrupt(what))
}

impl<'a> StateReader<'a> {
    /// A reader at the start of `words`.
    pub fn new(words: &'a [u64]) -> Self {
        StateReader { words, pos: 0 }
    }

    /// The next word.
    pub fn word(&mut self) -> Result<u64> {
        let w = *self
            .words
            .get(self.pos)
            .ok_or_else(|| corrupt("state words end early"))?;
        self.pos += 1;
        Ok(w)
    }

    /// The next word as a float.
    pub fn float(&mut self) -> Result<f64> {
        self.word().map(f64::from_bits)
    }

    /// The next word as a count no larger than `max`.
    pub fn count(&mut self, max: u64) -> Result<u64> {
        let w = self.word()?;
        if w > max {
            return Err(corrupt("a count is out of range"));
        }
        Ok(w)
    }

    /// The next word as a flag (0 or 1).
    pub fn flag(&mut self) -> Result<bool> {
        Ok(self.count(1)? == 1)
    }

    /// A length-prefixed slice of floats into `dst`, whose length must be
    /// `len` exactly (`None`: any length up to `max`).
    pub fn floats(&mut self, dst: &mut Vec<f64>, len: Option<usize>, max: usize) -> Result<()> {
        let n = self.word()? as usize;
        if len.is_some_and(|l| l != n) || n > max || n > self.words.len() - self.pos {
            return Err(corrupt("a buffer has the wrong length"));
        }
        dst.clear();
        dst.extend(
            self.words[self.pos..self.pos + n]
                .iter()
                .map(|&w| f64::from_bits(w)),
        );
        self.pos += n;
        Ok(())
    }

    /// Ok if every word was read.
    pub fn finish(&self) -> Result<()> {
        if self.pos == self.words.len() {
            Ok(())
        } else {
            Err(corrupt("state words left over"))
        }
    }
}
