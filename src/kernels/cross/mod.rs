//! Comparison and crossing masks into packed bit words.
//!
//! # Semantics (exact, no tolerance)
//!
//! - [`compare`]: bit `i` is set iff `a[i] op b[i]` for `op` one of `>`,
//!   `>=`, `<`, `<=` ([`CmpOp`]). These are IEEE *ordered* comparisons: a
//!   NaN on either side compares false, `±inf` compares as the extreme
//!   values it is (`inf >= inf` holds, `inf > inf` does not).
//! - [`cross_above`]: bit `i` is set iff `a[i] > b[i] && a[i-1] <= b[i-1]`;
//!   [`cross_below`]: iff `a[i] < b[i] && a[i-1] >= b[i-1]`. Bar 0 never
//!   fires. A NaN in `a` or `b` at `i` or at `i - 1` means no cross at `i`:
//!   both conjuncts are ordered comparisons, and note that `x <= y` is *not*
//!   `!(x > y)` when NaN is involved, so the kernels compute the "before"
//!   condition with its own comparison instead of negating the "now" one.
//!   Touching `b` from below (`a[i] == b[i]`) is not a cross; leaving
//!   equality upwards (`a[i-1] == b[i-1]`, `a[i] > b[i]`) is.
//! - [`transition`] is the general form: bit `i` iff `a[i] now b[i] &&
//!   a[i-1] before b[i-1]` (`cross_above` is `(Gt, Le)`, `cross_below` is
//!   `(Lt, Ge)`); it lets a trigger layer express e.g. "enters the `>=`
//!   region" as `(Ge, Lt)` in one pass.
//! - The right-hand side is a series of `a`'s length or a constant
//!   ([`Rhs`]); a NaN constant never compares true, so nothing fires; `±inf`
//!   constants follow the same ordered rules.
//!
//! Output: `words_for(a.len())` packed `u64` words, bit `i` in word `i / 64`
//! at position `i % 64` (least significant first); the bits past `a.len()`
//! in the last word are always written as zero. Every word of `out` is
//! overwritten (its previous contents do not matter).
//!
//! # Algorithm
//!
//! Each backend produces, for every block of 64 bars, one or two *compare
//! words*: `now = bits(a op_now b)` and `before = bits(a op_before b)`. A
//! transition word is then `now & ((before << 1) | carry)`, where `carry`
//! is bit 63 of the previous block's `before` word (0 for the first block,
//! so bar 0 never fires). Every input element is therefore read once, not
//! twice as in the textbook `a[i] > b[i] && a[i-1] <= b[i-1]` loop, and the
//! shift and carry cost a few scalar operations per 64 bars.
//!
//! - scalar: one comparison per element, bits or-ed into the word;
//! - portable: `wide::f64x4` comparisons and `to_bitmask`, 4 bits at a time;
//! - AVX2: `_mm256_cmp_pd` (ordered, quiet predicates) on 16 vectors per
//!   word. The all-ones/zeros 64-bit lanes of eight comparison results are
//!   narrowed into one register (`vshufps`, `vpackssdw`, `vpacksswb`) so
//!   that one `vpmovmskb` yields 32 bars of one comparison, the lane order
//!   being restored by one `vpermq` + `vpshufb`. That replaces eight
//!   `vmovmskpd` and eight shift-and-or steps per 32 bits. A transition
//!   computes both comparisons of 32 bars (16 result registers) before
//!   narrowing, so each mask is one half of its word.
//!
//! A partial last block (`a.len() % 64 != 0`) is copied into a 64-element
//! stack buffer padded with NaN — NaN compares false, so the padding
//! contributes zero bits and the tail of the last word is zero — and then
//! goes through the same block code. No backend ever reads past the end of
//! its inputs.
//!
//! # Error bound
//!
//! None needed: the comparisons are exact, so every backend produces
//! **bit-identical words**, equal to the naive definition above. The tests
//! check exact equality of the words against a naive reference on every
//! backend.
//!
//! # Errors
//!
//! A series `b` whose length differs from `a`'s →
//! [`Error::LengthMismatch`](crate::Error::LengthMismatch) with name `"b"`;
//! `out.len() != words_for(a.len())` → `LengthMismatch` with name `"out"`;
//! an unavailable backend → `BackendUnavailable`.

use crate::Backend;
use crate::bitmask::words_for;
use crate::error::{Result, check_len};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod portable;
mod scalar;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum CmpOp {
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
}

impl CmpOp {
    /// Every operator.
    pub const ALL: [CmpOp; 4] = [CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le];

    /// `x op y` with IEEE ordered semantics (false if either is NaN).
    #[inline(always)]
    pub fn eval(self, x: f64, y: f64) -> bool {
        match self {
            CmpOp::Gt => x > y,
            CmpOp::Ge => x >= y,
            CmpOp::Lt => x < y,
            CmpOp::Le => x <= y,
        }
    }
}

/// The right-hand side of a comparison or crossing: another series of the
/// same length, or a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rhs<'a> {
    /// A series, compared element by element.
    Series(&'a [f64]),
    /// A constant threshold.
    Value(f64),
}

impl<'a> From<&'a [f64]> for Rhs<'a> {
    fn from(s: &'a [f64]) -> Self {
        Rhs::Series(s)
    }
}
impl<'a> From<&'a Vec<f64>> for Rhs<'a> {
    fn from(s: &'a Vec<f64>) -> Self {
        Rhs::Series(s)
    }
}
impl<'a, const N: usize> From<&'a [f64; N]> for Rhs<'a> {
    fn from(s: &'a [f64; N]) -> Self {
        Rhs::Series(s)
    }
}
impl From<f64> for Rhs<'_> {
    fn from(v: f64) -> Self {
        Rhs::Value(v)
    }
}

fn check(backend: Backend, a: &[f64], b: &Rhs<'_>, out: &[u64]) -> Result<()> {
    backend.check()?;
    if let Rhs::Series(s) = b {
        check_len("b", a.len(), s.len())?;
    }
    check_len("out", words_for(a.len()), out.len())
}

/// Bit `i` of `out` set iff `a[i] op b[i]` (NaN compares false); see the
/// module docs for the layout and errors.
pub fn compare(backend: Backend, a: &[f64], op: CmpOp, b: Rhs<'_>, out: &mut [u64]) -> Result<()> {
    check(backend, a, &b, out)?;
    match backend {
        Backend::Scalar => scalar::compare(a, op, b, out),
        Backend::Portable => portable::compare(a, op, b, out),
        Backend::Avx2 => {
            #[cfg(target_arch = "x86_64")]
            {
                let token = crate::dispatch::Avx2Fma::try_new()
                    .ok_or(crate::Error::BackendUnavailable { backend })?;
                avx2::compare(token, a, op, b, out);
            }
            #[cfg(not(target_arch = "x86_64"))]
            return Err(crate::Error::BackendUnavailable { backend });
        }
    }
    Ok(())
}

/// Bit `i` of `out` set iff `a[i] now b[i] && a[i-1] before b[i-1]`; bar 0
/// never fires. [`cross_above`] is `(Gt, Le)`, [`cross_below`] is
/// `(Lt, Ge)`. See the module docs for NaN handling, layout and errors.
pub fn transition(
    backend: Backend,
    a: &[f64],
    now: CmpOp,
    before: CmpOp,
    b: Rhs<'_>,
    out: &mut [u64],
) -> Result<()> {
    check(backend, a, &b, out)?;
    match backend {
        Backend::Scalar => scalar::transition(a, now, before, b, out),
        Backend::Portable => portable::transition(a, now, before, b, out),
        Backend::Avx2 => {
            #[cfg(target_arch = "x86_64")]
            {
                let token = crate::dispatch::Avx2Fma::try_new()
                    .ok_or(crate::Error::BackendUnavailable { backend })?;
                avx2::transition(token, a, now, before, b, out);
            }
            #[cfg(not(target_arch = "x86_64"))]
            return Err(crate::Error::BackendUnavailable { backend });
        }
    }
    Ok(())
}

/// Bit `i` set iff `a[i] > b[i] && a[i-1] <= b[i-1]`; bar 0 never fires;
/// a NaN in `a` or `b` at `i` or `i - 1` means no cross at `i`.
pub fn cross_above(backend: Backend, a: &[f64], b: Rhs<'_>, out: &mut [u64]) -> Result<()> {
    transition(backend, a, CmpOp::Gt, CmpOp::Le, b, out)
}

/// Bit `i` set iff `a[i] < b[i] && a[i-1] >= b[i-1]`; bar 0 never fires;
/// a NaN in `a` or `b` at `i` or `i - 1` means no cross at `i`.
pub fn cross_below(backend: Backend, a: &[f64], b: Rhs<'_>, out: &mut [u64]) -> Result<()> {
    transition(backend, a, CmpOp::Lt, CmpOp::Ge, b, out)
}

/// Combines the compare words of consecutive 64-bar blocks into transition
/// words: `now & ((before << 1) | carry)`, carry = bit 63 of the previous
/// block's `before` (0 for the first block, so bar 0 never fires).
#[derive(Clone, Copy, Default)]
pub(crate) struct Carry(u64);

impl Carry {
    #[inline(always)]
    pub(crate) fn step(&mut self, now: u64, before: u64) -> u64 {
        let w = now & ((before << 1) | self.0);
        self.0 = before >> 63;
        w
    }
}
