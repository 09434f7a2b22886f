//! Scalar backend: one comparison per element, bits or-ed into 64-bit
//! words; transitions by the shift-and-carry of [`super::Carry`].

use super::{Carry, CmpOp, Rhs};

/// The compare word of one block (`a.len() <= 64`, `b` the same length
/// when a series): bit `j` iff `a[j] op b[j]`.
#[inline(always)]
fn word(a: &[f64], b: Rhs<'_>, op: CmpOp) -> u64 {
    let mut w = 0u64;
    match b {
        Rhs::Series(b) => {
            for (j, (&x, &y)) in a.iter().zip(b).enumerate() {
                w |= u64::from(op.eval(x, y)) << j;
            }
        }
        Rhs::Value(v) => {
            for (j, &x) in a.iter().enumerate() {
                w |= u64::from(op.eval(x, v)) << j;
            }
        }
    }
    w
}

/// The `Rhs` restricted to block `k` (bars `64k .. 64k + 64`).
#[inline(always)]
fn block<'a>(b: Rhs<'a>, k: usize, len: usize) -> Rhs<'a> {
    match b {
        Rhs::Series(s) => Rhs::Series(&s[k * 64..k * 64 + len]),
        v => v,
    }
}

pub(crate) fn compare(a: &[f64], op: CmpOp, b: Rhs<'_>, out: &mut [u64]) {
    for (k, (o, ac)) in out.iter_mut().zip(a.chunks(64)).enumerate() {
        *o = word(ac, block(b, k, ac.len()), op);
    }
}

pub(crate) fn transition(a: &[f64], now: CmpOp, before: CmpOp, b: Rhs<'_>, out: &mut [u64]) {
    let mut carry = Carry::default();
    for (k, (o, ac)) in out.iter_mut().zip(a.chunks(64)).enumerate() {
        let bc = block(b, k, ac.len());
        *o = carry.step(word(ac, bc, now), word(ac, bc, before));
    }
}
