//! Scalar backend: one comparison per element, bits or-ed into 64-bit
//! words; transitions by the shift-and-carry of [`super::Carry`].
//!
//! The operators are const parameters (`OP` is a [`CmpOp`] as `u8`), so
//! the per-element loop has no `match` on them: with the operator chosen
//! at run time inside the loop, LLVM emitted an indirect jump per element
//! and this backend ran slower than a plain `Vec<bool>` loop. Full 64-bar
//! blocks go through fixed-length loops; the partial last block, if any,
//! through the same code with its own length.

use super::{Carry, CmpOp, Rhs};

const GT: u8 = CmpOp::Gt as u8;
const GE: u8 = CmpOp::Ge as u8;
const LT: u8 = CmpOp::Lt as u8;
const LE: u8 = CmpOp::Le as u8;

/// `x OP y` (ordered: false if either is NaN); `OP` is a `CmpOp as u8`.
#[inline(always)]
fn ev<const OP: u8>(x: f64, y: f64) -> bool {
    match OP {
        GT => x > y,
        GE => x >= y,
        LT => x < y,
        _ => x <= y,
    }
}

/// One block of `b`: a slice of `a`'s block length, or the constant.
#[derive(Clone, Copy)]
enum Blk<'a> {
    Series(&'a [f64]),
    Value(f64),
}

impl Blk<'_> {
    #[inline(always)]
    fn at(self, j: usize) -> f64 {
        match self {
            Blk::Series(s) => s[j],
            Blk::Value(v) => v,
        }
    }
}

/// The compare words `(bits(a N b), bits(a P b))` of one block
/// (`a.len() <= 64`, a series block of the same length).
#[inline(always)]
fn words2<const N: u8, const P: u8>(a: &[f64], b: Blk<'_>) -> (u64, u64) {
    let (mut n, mut p) = (0u64, 0u64);
    for (j, &x) in a.iter().enumerate() {
        let y = b.at(j);
        n |= u64::from(ev::<N>(x, y)) << j;
        p |= u64::from(ev::<P>(x, y)) << j;
    }
    (n, p)
}

/// The compare word `bits(a OP b)` of one block (`a.len() <= 64`).
#[inline(always)]
fn word<const OP: u8>(a: &[f64], b: Blk<'_>) -> u64 {
    let mut w = 0u64;
    for (j, &x) in a.iter().enumerate() {
        w |= u64::from(ev::<OP>(x, b.at(j))) << j;
    }
    w
}

/// Runs `f(o, a_block, b_block)` on every 64-bar block of `(a, b)` with `o`
/// its word of `out`: the full blocks as fixed 64-element slices (so their
/// loops have a constant trip count), then the partial last one.
#[inline(always)]
fn for_blocks(
    a: &[f64],
    b: Rhs<'_>,
    out: &mut [u64],
    mut f: impl FnMut(&mut u64, &[f64], Blk<'_>),
) {
    let full = a.len() / 64;
    let (body, tail) = out.split_at_mut(full.min(out.len()));
    let a_rest = &a[full * 64..];
    match b {
        Rhs::Series(bs) => {
            for (o, (ac, bc)) in body
                .iter_mut()
                .zip(a.chunks_exact(64).zip(bs.chunks_exact(64)))
            {
                f(o, block64(ac), Blk::Series(block64(bc)));
            }
            if let (Some(o), false) = (tail.first_mut(), a_rest.is_empty()) {
                f(o, a_rest, Blk::Series(&bs[full * 64..]));
            }
        }
        Rhs::Value(v) => {
            for (o, ac) in body.iter_mut().zip(a.chunks_exact(64)) {
                f(o, block64(ac), Blk::Value(v));
            }
            if let (Some(o), false) = (tail.first_mut(), a_rest.is_empty()) {
                f(o, a_rest, Blk::Value(v));
            }
        }
    }
}

/// A `chunks_exact(64)` item as a fixed-size array (constant trip count).
#[inline(always)]
fn block64(c: &[f64]) -> &[f64; 64] {
    c.try_into().expect("chunks_exact(64) yields 64 elements")
}

fn compare_op<const OP: u8>(a: &[f64], b: Rhs<'_>, out: &mut [u64]) {
    for_blocks(a, b, out, |o, ac, bc| *o = word::<OP>(ac, bc));
}

fn transition_ops<const N: u8, const P: u8>(a: &[f64], b: Rhs<'_>, out: &mut [u64]) {
    let mut carry = Carry::default();
    for_blocks(a, b, out, |o, ac, bc| {
        let (n, p) = words2::<N, P>(ac, bc);
        *o = carry.step(n, p);
    });
}

pub(crate) fn compare(a: &[f64], op: CmpOp, b: Rhs<'_>, out: &mut [u64]) {
    match op {
        CmpOp::Gt => compare_op::<GT>(a, b, out),
        CmpOp::Ge => compare_op::<GE>(a, b, out),
        CmpOp::Lt => compare_op::<LT>(a, b, out),
        CmpOp::Le => compare_op::<LE>(a, b, out),
    }
}

pub(crate) fn transition(a: &[f64], now: CmpOp, before: CmpOp, b: Rhs<'_>, out: &mut [u64]) {
    use CmpOp::*;
    match (now, before) {
        (Gt, Le) => transition_ops::<GT, LE>(a, b, out),
        (Lt, Ge) => transition_ops::<LT, GE>(a, b, out),
        (Gt, Gt) => transition_ops::<GT, GT>(a, b, out),
        (Gt, Ge) => transition_ops::<GT, GE>(a, b, out),
        (Gt, Lt) => transition_ops::<GT, LT>(a, b, out),
        (Ge, Gt) => transition_ops::<GE, GT>(a, b, out),
        (Ge, Ge) => transition_ops::<GE, GE>(a, b, out),
        (Ge, Lt) => transition_ops::<GE, LT>(a, b, out),
        (Ge, Le) => transition_ops::<GE, LE>(a, b, out),
        (Lt, Gt) => transition_ops::<LT, GT>(a, b, out),
        (Lt, Lt) => transition_ops::<LT, LT>(a, b, out),
        (Lt, Le) => transition_ops::<LT, LE>(a, b, out),
        (Le, Gt) => transition_ops::<LE, GT>(a, b, out),
        (Le, Ge) => transition_ops::<LE, GE>(a, b, out),
        (Le, Lt) => transition_ops::<LE, LT>(a, b, out),
        (Le, Le) => transition_ops::<LE, LE>(a, b, out),
    }
}
