//! Naive references for the comparison and crossing masks: one obvious
//! loop each, straight from the definitions, into `Vec<bool>`, plus an
//! independent bit packer. No proptest here: the fuzz target includes this
//! file with `#[path]`.

use ta_kernels::{CmpOp, Rhs};

/// `b[i]` for a series, the constant otherwise.
pub fn rhs_at(b: Rhs<'_>, i: usize) -> f64 {
    match b {
        Rhs::Series(s) => s[i],
        Rhs::Value(v) => v,
    }
}

/// `x op y`, written out (IEEE comparisons: NaN compares false).
pub fn holds(op: CmpOp, x: f64, y: f64) -> bool {
    match op {
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
    }
}

/// `a[i] op b[i]` for every `i`.
pub fn compare(a: &[f64], op: CmpOp, b: Rhs<'_>) -> Vec<bool> {
    (0..a.len())
        .map(|i| holds(op, a[i], rhs_at(b, i)))
        .collect()
}

/// `i > 0 && a[i] now b[i] && a[i-1] before b[i-1]` for every `i`.
pub fn transition(a: &[f64], now: CmpOp, before: CmpOp, b: Rhs<'_>) -> Vec<bool> {
    (0..a.len())
        .map(|i| {
            i > 0 && holds(now, a[i], rhs_at(b, i)) && holds(before, a[i - 1], rhs_at(b, i - 1))
        })
        .collect()
}

/// `a[i] > b[i] && a[i-1] <= b[i-1]`, bar 0 false.
pub fn cross_above(a: &[f64], b: Rhs<'_>) -> Vec<bool> {
    let mut v = Vec::with_capacity(a.len());
    for i in 0..a.len() {
        v.push(i > 0 && a[i] > rhs_at(b, i) && a[i - 1] <= rhs_at(b, i - 1));
    }
    v
}

/// `a[i] < b[i] && a[i-1] >= b[i-1]`, bar 0 false.
pub fn cross_below(a: &[f64], b: Rhs<'_>) -> Vec<bool> {
    let mut v = Vec::with_capacity(a.len());
    for i in 0..a.len() {
        v.push(i > 0 && a[i] < rhs_at(b, i) && a[i - 1] >= rhs_at(b, i - 1));
    }
    v
}

/// Packs booleans into `u64` words, bit `i` in word `i / 64` at `i % 64`.
pub fn to_words(bits: &[bool]) -> Vec<u64> {
    let mut w = vec![0u64; bits.len().div_ceil(64)];
    for (i, &b) in bits.iter().enumerate() {
        if b {
            w[i / 64] |= 1u64 << (i % 64);
        }
    }
    w
}
