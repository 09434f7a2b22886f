//! Comparison and crossing masks into packed bit words.
//!
//! PLACEHOLDER: the scalar loops below are temporary.

use crate::Backend;
use crate::bitmask::words_for;
use crate::error::{Result, check_len};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

impl Rhs<'_> {
    fn at(&self, i: usize) -> f64 {
        match self {
            Rhs::Series(s) => s[i],
            Rhs::Value(v) => *v,
        }
    }
}

fn check(a: &[f64], b: &Rhs<'_>, out: &[u64]) -> Result<()> {
    if let Rhs::Series(s) = b {
        check_len("b", a.len(), s.len())?;
    }
    check_len("out words", words_for(a.len()), out.len())
}

fn fill(out: &mut [u64], n: usize, f: impl Fn(usize) -> bool) {
    out.fill(0);
    for i in 0..n {
        if f(i) {
            out[i / 64] |= 1 << (i % 64);
        }
    }
}

/// Bit i set iff `a[i] op b[i]` (NaN compares false).
pub fn compare(backend: Backend, a: &[f64], op: CmpOp, b: Rhs<'_>, out: &mut [u64]) -> Result<()> {
    backend.check()?;
    check(a, &b, out)?;
    fill(out, a.len(), |i| {
        let (x, y) = (a[i], b.at(i));
        match op {
            CmpOp::Gt => x > y,
            CmpOp::Ge => x >= y,
            CmpOp::Lt => x < y,
            CmpOp::Le => x <= y,
        }
    });
    Ok(())
}

/// Bit i set iff `a[i] > b[i] && a[i-1] <= b[i-1]`; bar 0 never fires.
pub fn cross_above(backend: Backend, a: &[f64], b: Rhs<'_>, out: &mut [u64]) -> Result<()> {
    backend.check()?;
    check(a, &b, out)?;
    fill(out, a.len(), |i| {
        i > 0 && a[i] > b.at(i) && a[i - 1] <= b.at(i - 1)
    });
    Ok(())
}

/// Bit i set iff `a[i] < b[i] && a[i-1] >= b[i-1]`; bar 0 never fires.
pub fn cross_below(backend: Backend, a: &[f64], b: Rhs<'_>, out: &mut [u64]) -> Result<()> {
    backend.check()?;
    check(a, &b, out)?;
    fill(out, a.len(), |i| {
        i > 0 && a[i] < b.at(i) && a[i - 1] >= b.at(i - 1)
    });
    Ok(())
}
