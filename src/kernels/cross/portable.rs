//! Portable backend on `wide::f64x4` (two SSE2 halves on a default x86_64
//! build): 16 vector comparisons per 64-bar block, `to_bitmask` giving 4
//! bits each. A partial last block is copied into a NaN-padded stack
//! buffer (NaN compares false, so the padding yields zero bits).

use wide::f64x4;

use super::{Carry, CmpOp, Rhs};

/// Either a block of the right-hand series or a broadcast constant.
#[derive(Clone, Copy)]
enum B<'a> {
    Block(&'a [f64; 64]),
    Splat(f64x4),
}

#[inline(always)]
fn cmp(op: CmpOp, x: f64x4, y: f64x4) -> u64 {
    let m = match op {
        CmpOp::Gt => x.simd_gt(y),
        CmpOp::Ge => x.simd_ge(y),
        CmpOp::Lt => x.simd_lt(y),
        CmpOp::Le => x.simd_le(y),
    };
    u64::from(m.to_bitmask())
}

#[inline(always)]
fn load(s: &[f64; 64], v: usize) -> f64x4 {
    f64x4::from([s[4 * v], s[4 * v + 1], s[4 * v + 2], s[4 * v + 3]])
}

/// The compare words `(bits(a op1 b), bits(a op2 b))` of one full block.
#[inline(always)]
fn words2(a: &[f64; 64], b: B<'_>, op1: CmpOp, op2: CmpOp) -> (u64, u64) {
    let (mut w1, mut w2) = (0u64, 0u64);
    for v in 0..16 {
        let x = load(a, v);
        let y = match b {
            B::Block(b) => load(b, v),
            B::Splat(s) => s,
        };
        w1 |= cmp(op1, x, y) << (4 * v);
        w2 |= cmp(op2, x, y) << (4 * v);
    }
    (w1, w2)
}

/// The compare word of one full block.
#[inline(always)]
fn words1(a: &[f64; 64], b: B<'_>, op: CmpOp) -> u64 {
    let mut w = 0u64;
    for v in 0..16 {
        let x = load(a, v);
        let y = match b {
            B::Block(b) => load(b, v),
            B::Splat(s) => s,
        };
        w |= cmp(op, x, y) << (4 * v);
    }
    w
}

/// Runs `f` on every 64-bar block of `(a, b)`, the last partial one
/// NaN-padded, with the block index.
#[inline(always)]
fn for_blocks(a: &[f64], b: Rhs<'_>, mut f: impl FnMut(usize, &[f64; 64], B<'_>)) {
    let full = a.len() / 64;
    let rest = a.len() - full * 64;
    let mut ta = [f64::NAN; 64];
    ta[..rest].copy_from_slice(&a[full * 64..]);
    match b {
        Rhs::Series(bs) => {
            for (k, (ac, bc)) in a.chunks_exact(64).zip(bs.chunks_exact(64)).enumerate() {
                f(k, as_block(ac), B::Block(as_block(bc)));
            }
            if rest > 0 {
                let mut tb = [f64::NAN; 64];
                tb[..rest].copy_from_slice(&bs[full * 64..]);
                f(full, &ta, B::Block(&tb));
            }
        }
        Rhs::Value(v) => {
            let s = f64x4::splat(v);
            for (k, ac) in a.chunks_exact(64).enumerate() {
                f(k, as_block(ac), B::Splat(s));
            }
            if rest > 0 {
                f(full, &ta, B::Splat(s));
            }
        }
    }
}

/// A `chunks_exact(64)` item as an array reference.
#[inline(always)]
fn as_block(c: &[f64]) -> &[f64; 64] {
    c.try_into().expect("chunks_exact(64) yields 64 elements")
}

pub(crate) fn compare(a: &[f64], op: CmpOp, b: Rhs<'_>, out: &mut [u64]) {
    for_blocks(a, b, |k, ac, bc| out[k] = words1(ac, bc, op));
}

pub(crate) fn transition(a: &[f64], now: CmpOp, before: CmpOp, b: Rhs<'_>, out: &mut [u64]) {
    let mut carry = Carry::default();
    for_blocks(a, b, |k, ac, bc| {
        let (n, p) = words2(ac, bc, now, before);
        out[k] = carry.step(n, p);
    });
}
