//! `decimate_minmax` on every backend against a naive reference.

mod common;

use common::inputs::{any_series, sprinkle_non_finite};
use proptest::prelude::*;
use ta_kernels::Backend;
use ta_kernels::kernels::decimate::decimate_minmax;

/// The definition, one bucket at a time.
fn naive(x: &[f64], buckets: usize) -> Vec<usize> {
    let n = x.len();
    let mut out = Vec::new();
    for b in 0..buckets {
        let (s, e) = (
            (b as u128 * n as u128 / buckets as u128) as usize,
            ((b + 1) as u128 * n as u128 / buckets as u128) as usize,
        );
        let mut lo: Option<usize> = None;
        let mut hi: Option<usize> = None;
        for i in s..e {
            if x[i].is_nan() {
                continue;
            }
            if lo.is_none_or(|j| x[i] < x[j]) {
                lo = Some(i);
            }
            if hi.is_none_or(|j| x[i] > x[j]) {
                hi = Some(i);
            }
        }
        if let (Some(a), Some(b)) = (lo, hi) {
            out.push(a.min(b));
            if a != b {
                out.push(a.max(b));
            }
        }
    }
    out
}

fn run(b: Backend, x: &[f64], buckets: usize) -> Vec<usize> {
    let mut out = vec![usize::MAX; (2 * buckets).min(x.len())];
    let n = decimate_minmax(b, x, buckets, &mut out).unwrap();
    out.truncate(n);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_backend_matches_the_reference(
        (_kind, x) in any_series(80, 20_000),
        buckets in prop_oneof![1usize..8, 1usize..200, 1usize..30_000],
    ) {
        let want = naive(&x, buckets);
        for b in Backend::available() {
            prop_assert_eq!(&run(b, &x, buckets), &want, "{:?}", b);
        }
    }

    #[test]
    fn ties_and_non_finite_values(len in 0usize..300, buckets in 1usize..40, seed in any::<u64>()) {
        // Few distinct values: many ties, where the first index must win.
        let mut x: Vec<f64> = (0..len).map(|i| ((i as u64 * 7 + seed) % 3) as f64).collect();
        sprinkle_non_finite(&mut x, 4, seed);
        let want = naive(&x, buckets);
        for b in Backend::available() {
            prop_assert_eq!(&run(b, &x, buckets), &want, "{:?}", b);
        }
    }
}

#[test]
fn keeps_every_extreme_of_a_long_series() {
    let n = 1_000_003;
    let mut x: Vec<f64> = (0..n).map(|i| (i as f64 * 1e-3).sin()).collect();
    x[123_457] = 50.0;
    x[999_999] = -50.0;
    for b in Backend::available() {
        let idx = run(b, &x, 1000);
        assert!(idx.len() <= 2000);
        assert!(idx.windows(2).all(|w| w[0] < w[1]));
        assert!(idx.contains(&123_457) && idx.contains(&999_999), "{b:?}");
    }
}

#[test]
fn errors() {
    let x = [1.0, 2.0, 3.0];
    let mut out = [0usize; 1];
    assert!(decimate_minmax(Backend::Scalar, &x, 0, &mut out).is_err());
    assert!(decimate_minmax(Backend::Scalar, &x, 2, &mut out).is_err());
    assert_eq!(
        ta_kernels::decimate_minmax(&[], 5).unwrap(),
        Vec::<usize>::new()
    );
    assert_eq!(
        ta_kernels::decimate_minmax(&[f64::NAN; 4], 2).unwrap(),
        Vec::<usize>::new()
    );
    assert_eq!(ta_kernels::decimate_minmax(&x, 10).unwrap(), vec![0, 1, 2]);
}
