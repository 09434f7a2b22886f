//! [`BitMask`]: one bit per bar, packed into `u64` words.
//!
//! Bit `i` lives in word `i / 64` at bit position `i % 64` (least
//! significant first). The bits past `len` in the last word are always
//! zero, so word-wise operations (`count_ones`, equality, `not`) never see
//! garbage; every operation that could set them clears them again.

use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, BitXor, BitXorAssign, Not};

use crate::error::{Result, check_len};

/// Number of `u64` words needed for `len` bits.
#[inline]
pub const fn words_for(len: usize) -> usize {
    len.div_ceil(64)
}

/// The mask of valid bits in the last word of a `len`-bit mask (all ones if
/// `len` is a multiple of 64).
#[inline]
pub(crate) const fn tail_mask(len: usize) -> u64 {
    match len % 64 {
        0 => u64::MAX,
        r => (1u64 << r) - 1,
    }
}

/// A fixed-length sequence of bits, one per bar.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BitMask {
    words: Vec<u64>,
    len: usize,
}

impl BitMask {
    /// `len` zero bits.
    pub fn zeros(len: usize) -> Self {
        BitMask {
            words: vec![0; words_for(len)],
            len,
        }
    }

    /// `len` one bits.
    pub fn ones(len: usize) -> Self {
        let mut m = BitMask {
            words: vec![u64::MAX; words_for(len)],
            len,
        };
        m.clear_tail();
        m
    }

    /// Builds a mask from packed words; bits past `len` are cleared.
    /// Errors if `words.len() != words_for(len)`.
    pub fn from_words(mut words: Vec<u64>, len: usize) -> Result<Self> {
        check_len("words", words_for(len), words.len())?;
        if let Some(last) = words.last_mut() {
            *last &= tail_mask(len);
        }
        Ok(BitMask { words, len })
    }

    /// Builds a mask with bit `i` set iff `bools[i]`.
    pub fn from_bools(bools: &[bool]) -> Self {
        let mut words = vec![0u64; words_for(bools.len())];
        for (w, chunk) in words.iter_mut().zip(bools.chunks(64)) {
            *w = chunk
                .iter()
                .enumerate()
                .fold(0u64, |acc, (j, &b)| acc | (u64::from(b) << j));
        }
        BitMask {
            words,
            len: bools.len(),
        }
    }

    /// The bits as booleans.
    pub fn to_bools(&self) -> Vec<bool> {
        (0..self.len).map(|i| self.get(i)).collect()
    }

    /// Number of bits.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mask has no bits at all.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed words (tail bits zero).
    #[inline]
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The packed words, writable. Callers must leave the bits past `len`
    /// zero; [`BitMask::clear_tail`] restores that.
    #[inline]
    pub(crate) fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// Consumes the mask, returning its words.
    pub fn into_words(self) -> Vec<u64> {
        self.words
    }

    /// Bit `i`; `false` when `i >= len`.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        i < self.len && (self.words[i / 64] >> (i % 64)) & 1 == 1
    }

    /// Sets bit `i` to `value`. Returns `false` (and changes nothing) when
    /// `i >= len`.
    #[inline]
    pub fn set(&mut self, i: usize, value: bool) -> bool {
        if i >= self.len {
            return false;
        }
        let bit = 1u64 << (i % 64);
        if value {
            self.words[i / 64] |= bit;
        } else {
            self.words[i / 64] &= !bit;
        }
        true
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether any bit is set.
    pub fn any(&self) -> bool {
        self.words.iter().any(|&w| w != 0)
    }

    /// Indices of set bits, ascending (`.rev()` for descending). Word at
    /// a time: `trailing_zeros` then clear the lowest set bit, so the cost
    /// is one step per set bit plus one per word; the exact length is known
    /// up front (one popcount pass).
    pub fn iter_ones(&self) -> IterOnes<'_> {
        let (front, middle, back) = match self.words.len() {
            0 => (0, &self.words[..], 0),
            1 => (self.words[0], &self.words[1..], 0),
            n => (self.words[0], &self.words[1..n - 1], self.words[n - 1]),
        };
        IterOnes {
            middle,
            front,
            front_base: 0,
            back,
            back_base: self.words.len().saturating_sub(1) * 64,
            remaining: self.count_ones(),
        }
    }

    /// Index of the first set bit.
    pub fn first_set(&self) -> Option<usize> {
        self.words
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }

    /// Index of the last set bit.
    pub fn last_set(&self) -> Option<usize> {
        self.words
            .iter()
            .enumerate()
            .rev()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| i * 64 + 63 - w.leading_zeros() as usize)
    }

    /// Flips every bit in place (the tail stays zero).
    pub fn negate(&mut self) {
        for w in &mut self.words {
            *w = !*w;
        }
        self.clear_tail();
    }

    /// `self &= other`, or a length error.
    pub fn try_and_assign(&mut self, other: &BitMask) -> Result<()> {
        self.zip_assign(other, |a, b| a & b)
    }

    /// `self |= other`, or a length error.
    pub fn try_or_assign(&mut self, other: &BitMask) -> Result<()> {
        self.zip_assign(other, |a, b| a | b)
    }

    /// `self ^= other`, or a length error.
    pub fn try_xor_assign(&mut self, other: &BitMask) -> Result<()> {
        self.zip_assign(other, |a, b| a ^ b)
    }

    /// `self & !other` (bits set here and not there), or a length error.
    pub fn try_and_not_assign(&mut self, other: &BitMask) -> Result<()> {
        self.zip_assign(other, |a, b| a & !b)
    }

    fn zip_assign(&mut self, other: &BitMask, f: impl Fn(u64, u64) -> u64) -> Result<()> {
        check_len("other mask", self.len, other.len)?;
        for (a, &b) in self.words.iter_mut().zip(&other.words) {
            *a = f(*a, b);
        }
        Ok(())
    }

    /// Zeroes the bits past `len` in the last word.
    #[inline]
    pub(crate) fn clear_tail(&mut self) {
        let len = self.len;
        if let Some(last) = self.words.last_mut() {
            *last &= tail_mask(len);
        }
    }
}

/// Iterator over the indices of set bits; see [`BitMask::iter_ones`].
#[derive(Clone, Debug)]
pub struct IterOnes<'a> {
    /// The words strictly between the front and back words.
    middle: &'a [u64],
    /// Unvisited bits of the front word, at bit index `front_base`.
    front: u64,
    front_base: usize,
    /// Unvisited bits of the back word, at bit index `back_base`.
    back: u64,
    back_base: usize,
    remaining: usize,
}

impl Iterator for IterOnes<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.front != 0 {
                let bit = self.front.trailing_zeros() as usize;
                self.front &= self.front - 1;
                self.remaining -= 1;
                return Some(self.front_base + bit);
            }
            if let Some((&w, rest)) = self.middle.split_first() {
                self.front = w;
                self.front_base += 64;
                self.middle = rest;
            } else if self.back != 0 {
                self.front = core::mem::take(&mut self.back);
                self.front_base = self.back_base;
            } else {
                return None;
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for IterOnes<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<usize> {
        loop {
            if self.back != 0 {
                let bit = 63 - self.back.leading_zeros() as usize;
                self.back &= !(1u64 << bit);
                self.remaining -= 1;
                return Some(self.back_base + bit);
            }
            if let Some((&w, rest)) = self.middle.split_last() {
                self.back = w;
                self.back_base -= 64;
                self.middle = rest;
            } else if self.front != 0 {
                self.back = core::mem::take(&mut self.front);
                self.back_base = self.front_base;
            } else {
                return None;
            }
        }
    }
}

impl ExactSizeIterator for IterOnes<'_> {}
impl core::iter::FusedIterator for IterOnes<'_> {}

impl fmt::Debug for BitMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BitMask[{}; ", self.len)?;
        for i in 0..self.len.min(256) {
            f.write_str(if self.get(i) { "1" } else { "0" })?;
        }
        if self.len > 256 {
            f.write_str("…")?;
        }
        f.write_str("]")
    }
}

impl Not for BitMask {
    type Output = BitMask;
    fn not(mut self) -> BitMask {
        self.negate();
        self
    }
}

impl Not for &BitMask {
    type Output = BitMask;
    fn not(self) -> BitMask {
        !self.clone()
    }
}

macro_rules! binary_op {
    ($Trait:ident, $method:ident, $TraitAssign:ident, $assign:ident, $try:ident) => {
        /// Panics if the lengths differ; use the `try_*_assign` methods for
        /// a `Result`.
        impl $TraitAssign<&BitMask> for BitMask {
            fn $assign(&mut self, rhs: &BitMask) {
                self.$try(rhs)
                    .expect("BitMask operands must have equal lengths");
            }
        }
        /// Panics if the lengths differ; use the `try_*_assign` methods for
        /// a `Result`.
        impl $Trait<&BitMask> for &BitMask {
            type Output = BitMask;
            fn $method(self, rhs: &BitMask) -> BitMask {
                let mut out = self.clone();
                out.$assign(rhs);
                out
            }
        }
        /// Panics if the lengths differ.
        impl $Trait<&BitMask> for BitMask {
            type Output = BitMask;
            fn $method(mut self, rhs: &BitMask) -> BitMask {
                self.$assign(rhs);
                self
            }
        }
    };
}

binary_op!(BitAnd, bitand, BitAndAssign, bitand_assign, try_and_assign);
binary_op!(BitOr, bitor, BitOrAssign, bitor_assign, try_or_assign);
binary_op!(BitXor, bitxor, BitXorAssign, bitxor_assign, try_xor_assign);

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize, seed: u64) -> Vec<bool> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s & 3 == 0
            })
            .collect()
    }

    #[test]
    fn round_trips_and_queries_over_word_boundaries() {
        for len in [0usize, 1, 2, 63, 64, 65, 127, 128, 129, 200] {
            let bools = pattern(len, len as u64 + 1);
            let m = BitMask::from_bools(&bools);
            assert_eq!(m.len(), len);
            assert_eq!(m.to_bools(), bools);
            let ones: Vec<usize> = (0..len).filter(|&i| bools[i]).collect();
            assert_eq!(m.iter_ones().collect::<Vec<_>>(), ones);
            assert_eq!(m.count_ones(), ones.len());
            assert_eq!(m.first_set(), ones.first().copied());
            assert_eq!(m.last_set(), ones.last().copied());
            let n = !&m;
            assert_eq!(n.count_ones(), len - ones.len());
            assert_eq!(n.words().last().map_or(0, |w| w & !tail_mask(len)), 0);
            assert_eq!(BitMask::ones(len).count_ones(), len);
        }
    }

    #[test]
    fn binary_ops_match_bools() {
        for len in [0usize, 5, 64, 130] {
            let a = pattern(len, 3);
            let b = pattern(len, 4);
            let (ma, mb) = (BitMask::from_bools(&a), BitMask::from_bools(&b));
            let expect = |f: fn(bool, bool) -> bool| {
                BitMask::from_bools(&a.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect::<Vec<_>>())
            };
            assert_eq!(&ma & &mb, expect(|x, y| x & y));
            assert_eq!(&ma | &mb, expect(|x, y| x | y));
            assert_eq!(&ma ^ &mb, expect(|x, y| x ^ y));
            let mut c = ma.clone();
            c.try_and_not_assign(&mb).unwrap();
            assert_eq!(c, expect(|x, y| x & !y));
        }
        let mut a = BitMask::zeros(3);
        assert!(a.try_or_assign(&BitMask::zeros(4)).is_err());
    }

    #[test]
    fn iter_ones_both_ends() {
        for len in [0usize, 1, 63, 64, 65, 128, 129, 300] {
            let bools = pattern(len, 7 + len as u64);
            let m = BitMask::from_bools(&bools);
            let ones: Vec<usize> = (0..len).filter(|&i| bools[i]).collect();
            assert_eq!(
                m.iter_ones().rev().collect::<Vec<_>>(),
                ones.iter().rev().copied().collect::<Vec<_>>()
            );
            // Alternate ends: front takes the smallest, back the largest.
            let mut it = m.iter_ones();
            let (mut lo, mut hi) = (0, ones.len());
            for step in 0.. {
                assert_eq!(it.len(), hi - lo);
                let got = if step % 3 == 0 {
                    it.next_back()
                } else {
                    it.next()
                };
                if lo == hi {
                    assert_eq!(got, None);
                    assert_eq!(it.next(), None);
                    break;
                }
                if step % 3 == 0 {
                    hi -= 1;
                    assert_eq!(got, Some(ones[hi]));
                } else {
                    assert_eq!(got, Some(ones[lo]));
                    lo += 1;
                }
            }
        }
    }

    #[test]
    fn from_words_clears_tail_and_checks_length() {
        let m = BitMask::from_words(vec![u64::MAX], 3).unwrap();
        assert_eq!(m.count_ones(), 3);
        assert!(BitMask::from_words(vec![0, 0], 64).is_err());
        let mut m = BitMask::zeros(70);
        assert!(m.set(69, true));
        assert!(!m.set(70, true));
        assert!(m.get(69) && !m.get(70));
    }
}
