//! The per-bar finishing kernels — STDDEV/BBANDS (`kernels::bands`) and
//! STOCH's raw %K (`kernels::stoch`): every backend bit-identical to an
//! obvious per-element reference, on any bit pattern.

use proptest::prelude::*;
use ta_kernels::Backend;
use ta_kernels::kernels::{bands, stoch};

fn naive_sigma(v: f64) -> f64 {
    if !v.is_finite() {
        f64::NAN
    } else if v > 0.0 {
        v.sqrt()
    } else {
        0.0
    }
}

/// Variances as the kernel may see them: ordinary values, zeros of both
/// signs, tiny negatives, subnormals, NaN and ±inf.
fn variance() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0f64..1e6,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => -1e-12f64..0.0,
        1 => Just(f64::MIN_POSITIVE / 4.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => any::<u64>().prop_map(f64::from_bits),
    ]
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn stddev_matches_reference(
        var in prop::collection::vec(variance(), 0..70),
        k in prop_oneof![Just(1.0), Just(2.0), -3.0f64..3.0],
    ) {
        let want: Vec<f64> = var.iter().map(|&v| {
            if v.is_finite() { naive_sigma(v) * k } else { f64::NAN }
        }).collect();
        for be in Backend::available() {
            let mut got = var.clone();
            bands::stddev_from_var(be, &mut got, k).unwrap();
            prop_assert!(same_bits(&got, &want), "{be}: {got:?} vs {want:?}");
        }
    }

    #[test]
    fn bands_match_reference(
        rows in prop::collection::vec(
            (prop_oneof![4 => -1e9f64..1e9, 1 => Just(f64::NAN), 1 => Just(f64::INFINITY)], variance()),
            0..70,
        ),
        up in -3.0f64..3.0,
        dn in -3.0f64..3.0,
    ) {
        let mut want = (vec![], vec![], vec![]);
        for &(m, v) in &rows {
            let (wm, wu, wl) = if m.is_finite() && v.is_finite() {
                let sd = naive_sigma(v);
                (m, m + up * sd, m - dn * sd)
            } else {
                (f64::NAN, f64::NAN, f64::NAN)
            };
            want.0.push(wm);
            want.1.push(wu);
            want.2.push(wl);
        }
        for be in Backend::available() {
            let mut m: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let mut u: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let mut l = vec![0.0; rows.len()];
            bands::bands_from_mean_var(be, &mut m, &mut u, &mut l, up, dn).unwrap();
            prop_assert!(same_bits(&m, &want.0), "{be} middle");
            prop_assert!(same_bits(&u, &want.1), "{be} upper");
            prop_assert!(same_bits(&l, &want.2), "{be} lower");
        }
    }
}

fn price() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => 1e-7f64..1e9,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => any::<u64>().prop_map(f64::from_bits),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn raw_k_matches_talib_formula(
        rows in prop::collection::vec((price(), price(), price(), any::<bool>()), 0..70),
    ) {
        // Some rows get a flat window (hh == ll) on purpose.
        let rows: Vec<(f64, f64, f64)> = rows
            .into_iter()
            .map(|(c, h, l, flat)| (c, h, if flat { h } else { l }))
            .collect();
        let want: Vec<f64> = rows
            .iter()
            .map(|&(c, h, l)| if h - l == 0.0 { 0.0 } else { (c - l) / ((h - l) / 100.0) })
            .collect();
        let close: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let hh: Vec<f64> = rows.iter().map(|r| r.1).collect();
        for be in Backend::available() {
            let mut k: Vec<f64> = rows.iter().map(|r| r.2).collect();
            stoch::raw_k(be, &close, &hh, &mut k).unwrap();
            prop_assert!(same_bits(&k, &want), "{be}: {k:?} vs {want:?}");
        }
    }
}

#[test]
fn mismatched_lengths_are_errors() {
    for be in Backend::available() {
        let mut k = vec![0.0; 3];
        let e = stoch::raw_k(be, &[1.0; 3], &[1.0; 2], &mut k).unwrap_err();
        assert!(
            matches!(e, ta_kernels::Error::LengthMismatch { name: "hh", .. }),
            "{e}"
        );
    }
    let (mut m, mut u, mut l) = (vec![1.0; 5], vec![1.0; 4], vec![0.0; 5]);
    for be in Backend::available() {
        let e = bands::bands_from_mean_var(be, &mut m, &mut u, &mut l, 2.0, 2.0).unwrap_err();
        assert!(
            matches!(e, ta_kernels::Error::LengthMismatch { name: "upper", .. }),
            "{e}"
        );
    }
}
