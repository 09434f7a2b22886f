//! The per-bar finishing kernels — VAR/STDDEV/BBANDS (`kernels::bands`)
//! and STOCH's raw %K (`kernels::stoch`): every backend bit-identical to an
//! obvious per-element reference, on any bit pattern; and the one-pass
//! (tiled) VAR, STDDEV and BBANDS bit-identical to the variance and mean
//! kernels run over the whole series, then finished.

mod common;

use common::inputs::{ALL_KINDS, Rng, series, sprinkle_non_finite};
use proptest::prelude::*;
use ta_kernels::kernels::{bands, rolling_sum, rolling_var, stoch};
use ta_kernels::{Backend, with_backend};

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
    fn finite_or_nan_matches_reference(v in prop::collection::vec(variance(), 0..70)) {
        let want: Vec<f64> = v.iter().map(|&x| if x.is_finite() { x } else { f64::NAN }).collect();
        for be in Backend::available() {
            let mut got = v.clone();
            bands::finite_or_nan(be, &mut got).unwrap();
            prop_assert!(same_bits(&got, &want), "{be}: {got:?} vs {want:?}");
        }
    }

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// The bands from σ equal the bands from the variance whose σ it is.
    #[test]
    fn bands_from_sigma_match_bands_from_var(
        rows in prop::collection::vec(
            (prop_oneof![4 => -1e9f64..1e9, 1 => Just(f64::NAN), 1 => Just(f64::INFINITY)], variance()),
            0..70,
        ),
        up in -3.0f64..3.0,
        dn in -3.0f64..3.0,
    ) {
        for be in Backend::available() {
            let mut m: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let mut u: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let mut l = vec![0.0; rows.len()];
            bands::bands_from_mean_var(be, &mut m, &mut u, &mut l, up, dn).unwrap();
            let mut ms: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let mut s: Vec<f64> = rows.iter().map(|r| r.1).collect();
            bands::stddev_from_var(be, &mut s, 1.0).unwrap();
            let mut ls = vec![0.0; rows.len()];
            bands::bands_from_mean_sigma(be, &mut ms, &mut s, &mut ls, up, dn).unwrap();
            prop_assert!(same_bits(&ms, &m), "{be} middle");
            prop_assert!(same_bits(&s, &u), "{be} upper");
            prop_assert!(same_bits(&ls, &l), "{be} lower");
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

/// Bit equality where NaN matches any NaN (the finishing kernels write
/// `f64::NAN`; the kernels' own NaN may carry another payload).
fn assert_same_bits(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            "{what}[{i}]: {a:e} vs {b:e}"
        );
    }
}

/// VAR, STDDEV and BBANDS run in tiles of about 2048 bars with a halo
/// aligned to the kernels' chunks: on every backend, at lengths around
/// the tile boundaries and with non-finite values sprinkled in, they equal
/// bit for bit the kernels over the whole series followed by the
/// finishing kernels.
#[test]
fn tiled_indicators_equal_whole_series_kernels() {
    let mut r = Rng::new(11);
    let periods = [1, 2, 3, 7, 20, 33, 64, 65, 100, 128, 129, 256, 257, 300];
    for be in Backend::available() {
        for (case, &p) in periods.iter().enumerate() {
            let kind = ALL_KINDS[case % ALL_KINDS.len()];
            // Lengths below, at and above one and several tiles.
            let n = [2048 + 8 * p, 2049 + 8 * p, 5000 + r.below(4000), 20_000][case % 4];
            let mut x = series(kind, n, case as u64);
            if case % 2 == 0 {
                sprinkle_non_finite(&mut x, 700, case as u64);
            }
            let mut var = vec![0.0; n];
            rolling_var::rolling_var(be, &x, p, 0, &mut var).unwrap();
            let mut mean = vec![0.0; n];
            rolling_sum::rolling_mean(be, &x, p, &mut mean).unwrap();
            let what = format!("{be} p={p} n={n} {kind:?}");

            let mut want = var.clone();
            bands::finite_or_nan(be, &mut want).unwrap();
            let got = with_backend(be, || ta_kernels::var(&x, p))
                .unwrap()
                .unwrap();
            assert_same_bits(&format!("var {what}"), &got, &want);
            if p < 2 {
                continue;
            }

            let mut want = var.clone();
            bands::stddev_from_var(be, &mut want, 1.5).unwrap();
            let got = with_backend(be, || ta_kernels::stddev(&x, p, 1.5))
                .unwrap()
                .unwrap();
            assert_same_bits(&format!("stddev {what}"), &got, &want);

            let (mut m, mut u, mut l) = (mean.clone(), var.clone(), vec![0.0; n]);
            bands::bands_from_mean_var(be, &mut m, &mut u, &mut l, 2.0, 1.0).unwrap();
            let got = with_backend(be, || ta_kernels::bbands(&x, p, 2.0, 1.0))
                .unwrap()
                .unwrap();
            assert_same_bits(&format!("bbands middle {what}"), &got.middle, &m);
            assert_same_bits(&format!("bbands upper {what}"), &got.upper, &u);
            assert_same_bits(&format!("bbands lower {what}"), &got.lower, &l);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    /// The one-pass (tiled) BBANDS equals, bit for bit, the variance and
    /// mean kernels over the whole series followed by the bands kernel,
    /// on every backend: at any length (one tile,
    /// several, every kind of last tile), with NaN/±inf sprinkled in and
    /// optionally a stretch of huge values whose variance overflows while
    /// their mean does not (middle NaN although the SMA is finite).
    #[test]
    fn bbands_one_pass_equals_kernels_then_bands(
        n in 0usize..7000,
        p in 2usize..=70,
        seed in any::<u64>(),
        kind in 0..ALL_KINDS.len(),
        every in 50usize..3000,
        huge in any::<bool>(),
    ) {
        let mut x = series(ALL_KINDS[kind], n, seed);
        sprinkle_non_finite(&mut x, every, seed);
        if huge {
            for v in &mut x[n / 3..n / 2] {
                *v *= 1e200;
            }
        }
        for be in Backend::available() {
            let mut var = vec![0.0; n];
            rolling_var::rolling_var(be, &x, p, 0, &mut var).unwrap();
            let mut m = vec![0.0; n];
            rolling_sum::rolling_mean(be, &x, p, &mut m).unwrap();
            let (mut u, mut l) = (var, vec![0.0; n]);
            bands::bands_from_mean_var(be, &mut m, &mut u, &mut l, 2.0, 0.5).unwrap();
            let got = with_backend(be, || ta_kernels::bbands(&x, p, 2.0, 0.5))
                .unwrap()
                .unwrap();
            prop_assert!(same_bits(&got.middle, &m), "{be} middle");
            prop_assert!(same_bits(&got.upper, &u), "{be} upper");
            prop_assert!(same_bits(&got.lower, &l), "{be} lower");
        }
    }
}
