#![no_main]
//! Differential fuzz target for the comparison and crossing masks: the
//! bytes become a kernel choice, a threshold or a second series, and
//! arbitrary f64 bit patterns (NaN payloads, ±inf, subnormals, -0.0); every
//! available backend must equal the naive reference bit for bit (the
//! documented bound: exact), and nothing may panic.

use libfuzzer_sys::fuzz_target;
use ta_kernels::kernels::cross;
use ta_kernels::{Backend, CmpOp, Rhs};

#[path = "../../tests/common/naive_cross.rs"]
mod naive;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let values: Vec<f64> = rest
        .chunks_exact(8)
        .map(|c| {
            let bits = u64::from_le_bytes(c.try_into().unwrap());
            // Half the time squeeze the value into a small set, so exact
            // ties and crossings are frequent.
            if sel & 0x80 != 0 {
                [
                    -1.0,
                    0.0,
                    1.0,
                    f64::NAN,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    -0.0,
                    2.0,
                ][(bits & 7) as usize]
            } else {
                f64::from_bits(bits)
            }
        })
        .collect();
    let threshold = sel & 0x40 != 0;
    let (a, b): (&[f64], Rhs<'_>) = if threshold {
        match values.split_first() {
            Some((&t, a)) => (a, Rhs::Value(t)),
            None => return,
        }
    } else {
        let half = values.len() / 2;
        (&values[..half], Rhs::Series(&values[half..2 * half]))
    };
    let op = CmpOp::ALL[(sel & 3) as usize];
    let before = CmpOp::ALL[((sel >> 2) & 3) as usize];

    let want_cmp = naive::to_words(&naive::compare(a, op, b));
    let want_above = naive::to_words(&naive::cross_above(a, b));
    let want_below = naive::to_words(&naive::cross_below(a, b));
    let want_trans = naive::to_words(&naive::transition(a, op, before, b));
    let words = a.len().div_ceil(64);
    for backend in Backend::available() {
        let mut out = vec![u64::MAX; words];
        cross::compare(backend, a, op, b, &mut out).unwrap();
        assert_eq!(out, want_cmp, "{backend} compare {op:?}");
        cross::cross_above(backend, a, b, &mut out).unwrap();
        assert_eq!(out, want_above, "{backend} cross_above");
        cross::cross_below(backend, a, b, &mut out).unwrap();
        assert_eq!(out, want_below, "{backend} cross_below");
        cross::transition(backend, a, op, before, b, &mut out).unwrap();
        assert_eq!(out, want_trans, "{backend} transition {op:?} {before:?}");
        // A wrong output length is an error, never a panic.
        let mut bad = vec![0u64; words + 1];
        assert!(cross::cross_above(backend, a, b, &mut bad).is_err());
        if let Rhs::Series(s) = b {
            if !s.is_empty() {
                let r = cross::compare(backend, a, op, Rhs::Series(&s[1..]), &mut out);
                assert!(r.is_err());
            }
        }
    }
});
