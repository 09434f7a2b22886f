//! Rolling sum / SMA kernels: every backend against the exact reference,
//! with the documented bound (`1e-13·mean|x|` of the window, + 2⁻¹⁰⁷⁴),
//! the NaN/±inf contract, argument errors, and bit-identity across
//! backends.
mod common;

use common::inputs::{ALL_KINDS, Kind, Rng, any_series, period_for, series};
use common::naive_sum::{self, Report, check};
use proptest::prelude::*;
use ta_kernels::kernels::rolling_sum::{rolling_mean, rolling_mean_strict, rolling_sum};
use ta_kernels::{Backend, Error};

type Kernel = fn(Backend, &[f64], usize, &mut [f64]) -> ta_kernels::Result<()>;
const KERNELS: [(&str, Kernel, bool); 2] = [
    ("rolling_sum", rolling_sum, false),
    ("rolling_mean", rolling_mean, true),
];

/// Lanes × unroll of the widest path (4 × 4), as the brief's length rule.
const SHORT_MAX: usize = 3 * 16 + 7;

fn run(k: Kernel, b: Backend, x: &[f64], p: usize) -> Vec<f64> {
    let mut out = vec![12345.0; x.len()];
    k(b, x, p, &mut out).unwrap();
    out
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(u, v)| u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()))
}

/// What `rolling_mean_strict` must give: `rolling_mean`'s output with
/// every non-finite value replaced by NaN.
fn strict_of(mean: &[f64]) -> Vec<f64> {
    mean.iter()
        .map(|&v| if v.is_finite() { v } else { f64::NAN })
        .collect()
}

/// Runs every backend × kernel, checks each against the reference
/// (accuracy on the scalar one; the others must be bit-identical to it),
/// and `rolling_mean_strict` on every backend against [`strict_of`] the
/// scalar mean (bit-identical where finite, NaN elsewhere).
fn check_all(x: &[f64], p: usize, budget: usize) -> Result<[Report; 2], String> {
    let mut reps = [Report::default(); 2];
    for (ki, (name, k, mean)) in KERNELS.into_iter().enumerate() {
        let reference = run(k, Backend::Scalar, x, p);
        reps[ki] =
            check(x, p, &reference, mean, budget).map_err(|e| format!("{name} scalar: {e}"))?;
        for b in Backend::available() {
            let got = run(k, b, x, p);
            if !same_bits(&got, &reference) {
                // Report the accuracy failure if there is one, else the mismatch.
                check(x, p, &got, mean, budget).map_err(|e| format!("{name} {b}: {e}"))?;
                return Err(format!(
                    "{name} {b}: not bit-identical to scalar (p = {p}, len = {})",
                    x.len()
                ));
            }
        }
    }
    // Exact bits, NaN included: the strict kernel writes the canonical NaN
    // whichever path (head, vector body, tail; output alignment) made it.
    let want = strict_of(&run(rolling_mean, Backend::Scalar, x, p));
    for b in Backend::available() {
        for off in 0..4 {
            let mut buf = vec![12345.0; x.len() + off];
            rolling_mean_strict(b, x, p, &mut buf[off..]).unwrap();
            let got = &buf[off..];
            if let Some(i) = (0..x.len()).find(|&i| got[i].to_bits() != want[i].to_bits()) {
                return Err(format!(
                    "rolling_mean_strict {b}: not the NaN-policy mean at {i}: {:#x} vs {:#x} \
                     (p = {p}, len = {}, out offset {off})",
                    got[i].to_bits(),
                    want[i].to_bits(),
                    x.len()
                ));
            }
        }
    }
    Ok(reps)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn all_backends_match_reference(
        (x, p) in any_series(SHORT_MAX, 100_000)
            .prop_flat_map(|(_, x)| { let n = x.len(); (Just(x), period_for(n)) })
    ) {
        check_all(&x, p, 400_000).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Long series with long periods (the sub-block restarts, p > 256).
    #[test]
    fn long_periods(kind in prop::sample::select(ALL_KINDS.to_vec()), seed: u64,
                    n in 2_000usize..60_000, frac in 0.05f64..1.0) {
        let x = series(kind, n, seed);
        let p = ((n as f64 * frac) as usize).max(257);
        check_all(&x, p.min(n), 300_000).map_err(TestCaseError::fail)?;
    }
}

/// Hand-written seeds, expanded over every length up to SHORT_MAX, start
/// offsets 0..4 of both buffers, and the periods around every boundary.
#[test]
fn seeds_over_lengths_and_offsets() {
    let mut worst = [0.0f64; 2];
    for (si, kind) in ALL_KINDS.into_iter().enumerate() {
        let base = series(kind, SHORT_MAX + 8, 7 + si as u64);
        for len in 0..=SHORT_MAX {
            for off in 0..4 {
                let x = &base[off..off + len];
                let mut periods: Vec<usize> = vec![1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 16, 17, 20];
                periods.extend([len.saturating_sub(1), len, len + 1, len + 2]);
                for p in periods.into_iter().filter(|&p| p >= 1) {
                    let r = check_all(x, p, usize::MAX)
                        .unwrap_or_else(|e| panic!("{kind:?} len {len} off {off}: {e}"));
                    for k in 0..2 {
                        worst[k] = worst[k].max(r[k].worst_ratio);
                    }
                    // Misaligned output buffer too.
                    for (_, k, mean) in KERNELS {
                        for b in Backend::available() {
                            let mut buf = vec![0.0; len + off];
                            k(b, x, p, &mut buf[off..]).unwrap();
                            check(x, p, &buf[off..], mean, usize::MAX).unwrap();
                        }
                    }
                }
            }
        }
    }
    println!(
        "seed worst error/bound: sum {:.3e}, mean {:.3e}",
        worst[0], worst[1]
    );
}

/// Largest error seen per input kind, as a fraction of the bound.
#[test]
fn worst_error_per_kind() {
    for kind in ALL_KINDS {
        let mut worst = [0.0f64; 2];
        for (seed, n) in [(1u64, 5_000usize), (2, 20_000), (3, 777)] {
            let x = series(kind, n, seed);
            for p in [2, 5, 8, 9, 20, 33, 200, 256, 257, 1000, 4999] {
                let r =
                    check_all(&x, p.min(n), 400_000).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
                for k in 0..2 {
                    worst[k] = worst[k].max(r[k].worst_ratio);
                }
            }
        }
        println!(
            "{kind:?}: worst error/bound sum {:.3e}, mean {:.3e}",
            worst[0], worst[1]
        );
        assert!(worst.iter().all(|w| *w <= 1.0));
    }
}

#[test]
fn nan_in_every_position() {
    for n in [1usize, 5, 17, 40] {
        for pos in 0..n {
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let mut x = series(Kind::RandomWalk, n, pos as u64);
                x[pos] = bad;
                for p in [1, 2, 3, 5, 8, 9, 13, 20, 40] {
                    check_all(&x, p, usize::MAX)
                        .unwrap_or_else(|e| panic!("n {n} pos {pos} {bad}: {e}"));
                    // Explicitly: outputs after the value leaves are finite.
                    for b in Backend::available() {
                        let out = run(rolling_mean, b, &x, p);
                        for (i, v) in out.iter().enumerate() {
                            let inside = i + 1 >= p && i >= pos && i < pos + p;
                            if i + 1 >= p && !inside {
                                assert!(v.is_finite(), "{b} p {p} pos {pos}: out[{i}] = {v}");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn infinity_combinations() {
    let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0];
    let n = 30;
    for a in specials {
        for b in specials {
            for gap in [1usize, 2, 5, 9, 15] {
                for start in [0usize, 3, 11] {
                    let mut x = series(Kind::Uniform, n, 99);
                    x[start] = a;
                    if start + gap < n {
                        x[start + gap] = b;
                    }
                    for p in [1, 2, 4, 6, 8, 9, 10, 16, 30] {
                        check_all(&x, p, usize::MAX)
                            .unwrap_or_else(|e| panic!("{a} {b} gap {gap}: {e}"));
                    }
                }
            }
        }
    }
    // The documented cases, spelled out.
    let x = [
        1.0,
        f64::INFINITY,
        2.0,
        f64::NEG_INFINITY,
        3.0,
        4.0,
        5.0,
        6.0,
        7.0,
        8.0,
        9.0,
        10.0,
    ];
    for b in Backend::available() {
        let out = run(rolling_sum, b, &x, 2);
        assert_eq!(out[1], f64::INFINITY);
        assert_eq!(out[2], f64::INFINITY);
        assert_eq!(out[3], f64::NEG_INFINITY);
        assert_eq!(out[5], 7.0);
        let out = run(rolling_sum, b, &x, 3);
        assert!(out[3].is_nan());
        assert_eq!(out[6], 12.0);
    }
}

/// One NaN in a million points poisons only its own windows.
#[test]
fn one_nan_in_a_million() {
    let mut x = series(Kind::RandomWalk, 1_000_000, 5);
    x[400_000] = f64::NAN;
    for p in [20, 200] {
        for b in Backend::available() {
            let out = run(rolling_mean, b, &x, p);
            let bad = out
                .iter()
                .enumerate()
                .filter(|(i, v)| *i + 1 >= p && !v.is_finite())
                .count();
            assert_eq!(bad, p, "{b} p {p}");
            check(&x, p, &out, true, 200_000).unwrap();
        }
    }
}

#[test]
fn period_one_is_exact_identity() {
    for kind in ALL_KINDS {
        let mut x = series(kind, 100, 3);
        common::inputs::sprinkle_non_finite(&mut x, 10, 3);
        for b in Backend::available() {
            for (_, k, _) in KERNELS {
                let out = run(k, b, &x, 1);
                assert!(same_bits(&out, &x), "{kind:?} {b}");
            }
        }
    }
}

#[test]
fn periods_around_len() {
    for len in [0usize, 1, 2, 3, 9, 10, 63, 64, 65, 300, 1000] {
        let x = series(Kind::RandomWalk, len, len as u64);
        for p in [len.saturating_sub(1), len, len + 1, len + 2] {
            if p == 0 {
                continue;
            }
            check_all(&x, p, usize::MAX).unwrap();
            if p > len {
                for b in Backend::available() {
                    assert!(run(rolling_sum, b, &x, p).iter().all(|v| v.is_nan()));
                }
            }
        }
    }
}

#[test]
fn argument_errors() {
    let x = [1.0, 2.0, 3.0];
    for b in Backend::available() {
        for (_, k, _) in KERNELS {
            let mut out = [0.0; 3];
            assert!(matches!(
                k(b, &x, 0, &mut out),
                Err(Error::InvalidPeriod {
                    value: 0,
                    min: 1,
                    ..
                })
            ));
            let mut short = [0.0; 2];
            assert!(matches!(
                k(b, &x, 2, &mut short),
                Err(Error::LengthMismatch {
                    expected: 3,
                    got: 2,
                    ..
                })
            ));
            let mut none: [f64; 0] = [];
            assert!(k(b, &[], 5, &mut none).is_ok());
        }
    }
    if !Backend::Avx2.is_available() {
        let mut out = [0.0; 3];
        assert!(matches!(
            rolling_sum(Backend::Avx2, &x, 2, &mut out),
            Err(Error::BackendUnavailable { .. })
        ));
    }
    // The crate-root wrappers call these.
    assert_eq!(ta_kernels::sma(&x, 2).unwrap()[2], 2.5);
}

#[test]
fn zero_windows_are_exactly_zero() {
    let mut x = series(Kind::Subnormal, 500, 1);
    for v in &mut x[100..200] {
        *v = 0.0;
    }
    for b in Backend::available() {
        for p in [3, 9, 50] {
            for (_, k, _) in KERNELS {
                let out = run(k, b, &x, p);
                assert!(out[100 + p - 1..200].iter().all(|v| *v == 0.0), "{b} p {p}");
            }
        }
    }
}

/// 1e9 + 1e-3·noise: the SMA minus 1e9 keeps the noise.
#[test]
fn large_offset_keeps_the_noise() {
    let x = series(Kind::LargeOffset, 50_000, 11);
    for p in [5, 20, 200] {
        let exact = naive_sum::rolling_mean(&x, p);
        for b in Backend::available() {
            let out = run(rolling_mean, b, &x, p);
            let mut worst = 0.0f64;
            for i in p - 1..x.len() {
                let err = ((out[i] - 1e9) - (exact[i] - 1e9)).abs();
                assert!(err <= 1e-13 * 1e9, "{b} p {p} i {i}: err {err:e}");
                worst = worst.max(err);
            }
            // In practice: a few ulps of 1e9 (1.2e-7), far below the noise.
            assert!(worst < 2e-6, "{b} p {p}: {worst:e}");
            println!("large offset p {p} {b}: worst |err| of (SMA - 1e9) = {worst:.2e}");
        }
    }
}

/// The 1e7-point random walk (CI, release): a dense sample of outputs
/// against fsum, and bit-identity across backends everywhere.
#[test]
fn random_walk_1e7() {
    let n = 10_000_000;
    let x = series(Kind::RandomWalk, n, 2024);
    for p in [20, 200] {
        let reference = run(rolling_mean, Backend::Scalar, &x, p);
        let rep = check(&x, p, &reference, true, 20_000_000).unwrap();
        println!(
            "random walk 1e7 p {p}: worst error/bound {:.3e} over {} outputs",
            rep.worst_ratio, rep.checked
        );
        for b in Backend::available() {
            assert!(same_bits(&run(rolling_mean, b, &x, p), &reference), "{b}");
        }
    }
    let mut r = Rng::new(1);
    let _ = r.unit();
}

/// The doubling path (periods 9..=31) and its neighbours: every backend,
/// every start offset of `x` and of the output buffer (the AVX2 path
/// aligns its stores to the output, so each offset changes which outputs
/// take the head/tail code), lengths from `p` to `p + 14` and a long one;
/// bit-identical to scalar and within the bound.
#[test]
fn doubling_periods_every_alignment() {
    for (ki, kind) in [Kind::RandomWalk, Kind::JumpThenCalm, Kind::LargeOffset]
        .into_iter()
        .enumerate()
    {
        let base = series(kind, 600, 40 + ki as u64);
        for p in 8..=33usize {
            let lens = (p..=p + 14).chain([517]);
            for len in lens {
                for xo in 0..2 {
                    let x = &base[xo..xo + len];
                    for (name, k, mean) in KERNELS {
                        let reference = run(k, Backend::Scalar, x, p);
                        check(x, p, &reference, mean, usize::MAX)
                            .unwrap_or_else(|e| panic!("{kind:?} {name} p {p} len {len}: {e}"));
                        for b in Backend::available() {
                            for oo in 0..4 {
                                let mut buf = vec![7.0; len + oo];
                                k(b, x, p, &mut buf[oo..]).unwrap();
                                assert!(
                                    same_bits(&buf[oo..], &reference),
                                    "{kind:?} {name} {b} p {p} len {len} x+{xo} out+{oo}"
                                );
                                if mean {
                                    rolling_mean_strict(b, x, p, &mut buf[oo..]).unwrap();
                                    assert!(
                                        same_bits(&buf[oo..], &strict_of(&reference)),
                                        "{kind:?} strict {b} p {p} len {len} x+{xo} out+{oo}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Locality: windows that do not contain the huge values give exactly the
/// (integer, exactly representable) sum of their own values, whatever the
/// period's path; a design that subtracts values which left the window
/// (or adds values outside it) would lose them under 1e20.
#[test]
fn huge_values_outside_the_window_leave_no_trace() {
    for p in [3usize, 5, 8, 9, 13, 16, 20, 31, 32, 200, 300] {
        let n = 4 * p + 50;
        let x: Vec<f64> = (0..n)
            .map(|i| {
                if i % (2 * p) < 3 {
                    1e20
                } else {
                    (i % 7) as f64 + 1.0
                }
            })
            .collect();
        for b in Backend::available() {
            let out = run(rolling_sum, b, &x, p);
            for i in p - 1..n {
                let w = &x[i + 1 - p..=i];
                if w.iter().all(|&v| v < 1e10) {
                    let exact: f64 = w.iter().sum();
                    assert_eq!(out[i], exact, "{b} p {p} i {i}");
                }
            }
        }
    }
}
