//! Rolling variance / std / mean+variance: every available backend against
//! the naive corrected two-pass reference (`common::naive_var`), with the
//! bounds stated in `ta_kernels::kernels::rolling_var`.

mod common;

use common::inputs::{self, ALL_KINDS, Kind};
use common::naive_var::{self as naive, Expect, check_mean, check_var, window};
use proptest::prelude::*;
use ta_kernels::kernels::rolling_var::{rolling_mean_var, rolling_std, rolling_var};
use ta_kernels::{Backend, Error};

/// Output indices to compare: all of them when cheap, else a spread
/// sample (both ends, every NaN neighbourhood stays covered by the
/// short-series cases).
fn indices(n: usize, p: usize, seed: u64) -> Vec<usize> {
    if n.saturating_mul(p) <= 400_000 {
        return (0..n).collect();
    }
    let budget = (2_000_000 / p.max(1)).clamp(20, 400);
    let mut r = inputs::Rng::new(seed ^ 0x5eed);
    let mut v: Vec<usize> = (0..budget).map(|_| r.below(n)).collect();
    v.extend((0..10).map(|k| n - 1 - k.min(n - 1)));
    v.extend((p.saturating_sub(1)..(p + 10).min(n)).take(10));
    v.sort_unstable();
    v.dedup();
    v
}

/// Runs every backend × kernel on `x` and checks the given outputs.
/// Returns the largest relative variance error seen.
fn check_all(x: &[f64], p: usize, ddof: usize, idx: &[usize]) -> Result<f64, String> {
    let n = x.len();
    let want: Vec<Option<Expect>> = idx
        .iter()
        .map(|&i| window(x, p, i).map(|w| Expect::new(w, ddof)))
        .collect();
    let mut worst = 0.0f64;
    let mut var = vec![0.0; n];
    let mut std = vec![0.0; n];
    let mut mean = vec![0.0; n];
    let mut var2 = vec![0.0; n];
    for b in Backend::available() {
        rolling_var(b, x, p, ddof, &mut var).map_err(|e| e.to_string())?;
        rolling_std(b, x, p, ddof, &mut std).map_err(|e| e.to_string())?;
        rolling_mean_var(b, x, p, ddof, &mut mean, &mut var2).map_err(|e| e.to_string())?;
        for (&i, want) in idx.iter().zip(&want) {
            let ctx = |m: String| format!("{b:?} p={p} ddof={ddof} n={n} i={i}: {m}");
            match want {
                None => {
                    if !(var[i].is_nan() && std[i].is_nan() && mean[i].is_nan() && var2[i].is_nan())
                    {
                        return Err(ctx("warm-up output not NaN".into()));
                    }
                }
                Some(w) => {
                    worst = worst.max(w.check_var(var[i]).map_err(ctx)?);
                    worst = worst.max(w.check_var(var2[i]).map_err(ctx)?);
                    w.check_std(std[i]).map_err(ctx)?;
                    w.check_mean(mean[i]).map_err(ctx)?;
                }
            }
        }
    }
    Ok(worst)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_backend_matches_reference(
        (kind, x) in inputs::any_series(3 * 16 + 7, 20_000),
        pseed in any::<u64>(),
        ddof_pick in 0usize..3,
    ) {
        let n = x.len();
        let mut r = inputs::Rng::new(pseed);
        let p = if r.below(4) == 0 { 1 + r.below(n + 2) } else { 1 + r.below((n + 2).min(30)) };
        let ddof = match ddof_pick { 0 => 0, 1 => (p > 1) as usize, _ => p - 1 };
        let idx = indices(n, p, pseed);
        if let Err(m) = check_all(&x, p, ddof, &idx) {
            return Err(TestCaseError::fail(format!("{kind:?}: {m}")));
        }
    }
}

/// Hand-written seed patterns, each expanded over every length up to
/// 3×16+7 and start offsets 0..8 into a longer buffer.
#[test]
fn seeds_over_lengths_and_offsets() {
    let mut pats: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut r = inputs::Rng::new(7);
    let noise: Vec<f64> = (0..64).map(|_| 100.0 + r.sym()).collect();
    pats.push(("noise", noise.clone()));
    let mut cst = noise.clone();
    cst[20..45].fill(101.25);
    pats.push(("constant-mid", cst));
    let mut jump = noise.clone();
    for (k, v) in jump.iter_mut().enumerate().skip(30) {
        *v = 110.0 * (1.0 + 1e-9 * ((k * 7919 % 13) as f64 - 6.0));
    }
    pats.push(("jump-calm", jump));
    let mut nan = noise.clone();
    nan[17] = f64::NAN;
    nan[40] = f64::INFINITY;
    nan[41] = f64::NEG_INFINITY;
    pats.push(("nonfinite", nan));
    pats.push((
        "big-offset",
        (0..64)
            .map(|k| 1e9 + 1e-3 * ((k * 37 % 11) as f64))
            .collect(),
    ));
    pats.push((
        "alternating",
        (0..64)
            .map(|k| if k % 2 == 0 { 1.0 } else { -1.0 })
            .collect(),
    ));
    for (name, pat) in &pats {
        for off in 0..8 {
            for len in 0..=(3 * 16 + 7).min(pat.len() - off) {
                let x = &pat[off..off + len];
                for p in [1, 2, 3, 4, 5, 8, 9, 20, len.max(1), len + 1] {
                    for ddof in [0, p - 1] {
                        let idx: Vec<usize> = (0..len).collect();
                        if let Err(m) = check_all(x, p, ddof, &idx) {
                            panic!("{name} off={off} len={len}: {m}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn constant_windows_after_noise_are_exactly_zero() {
    let mut r = inputs::Rng::new(11);
    for p in [2, 3, 7, 20, 64, 200] {
        let mut x: Vec<f64> = (0..1500).map(|_| 1e3 * r.sym()).collect();
        let c = 123.456789;
        x[600..900].fill(c);
        x[1200..1210].fill(-1e-7);
        for b in Backend::available() {
            for ddof in [0, p - 1] {
                let mut v = vec![0.0; x.len()];
                rolling_var(b, &x, p, ddof, &mut v).unwrap();
                for (i, &y) in v.iter().enumerate().take(900).skip(599 + p) {
                    assert_eq!(y, 0.0, "{b:?} p={p} i={i}");
                    assert!(y.is_sign_positive());
                }
                if p <= 10 {
                    assert!(v[1199 + p..1210].iter().all(|&y| y == 0.0));
                }
                assert!(v.iter().all(|&y| y.is_nan() || y >= 0.0));
                assert!(v[900] > 0.0);
            }
        }
    }
}

#[test]
fn non_finite_positions_poison_exactly_their_windows() {
    let mut r = inputs::Rng::new(3);
    let base: Vec<f64> = (0..40).map(|_| 50.0 + r.sym()).collect();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for pos in 0..40 {
            let mut x = base.clone();
            x[pos] = bad;
            for p in 1..=6 {
                for b in Backend::available() {
                    let mut v = vec![0.0; 40];
                    let mut m = vec![0.0; 40];
                    let mut v2 = vec![0.0; 40];
                    rolling_var(b, &x, p, 0, &mut v).unwrap();
                    rolling_mean_var(b, &x, p, 0, &mut m, &mut v2).unwrap();
                    for i in 0..40 {
                        let poisoned = i + 1 < p || (pos <= i && i < pos + p);
                        assert_eq!(v[i].is_nan(), poisoned, "{b:?} pos={pos} p={p} i={i}");
                        assert_eq!(m[i].is_nan(), poisoned);
                        assert_eq!(v2[i].is_nan(), poisoned);
                        if !poisoned {
                            check_var(v[i], window(&x, p, i).unwrap(), 0).unwrap();
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn edge_periods_and_ddof() {
    let x: Vec<f64> = (0..37).map(|k| ((k * 13) % 7) as f64 * 0.5 + 3.0).collect();
    let n = x.len();
    for b in Backend::available() {
        let mut v = vec![0.0; n];
        rolling_var(b, &x, 1, 0, &mut v).unwrap();
        assert!(v.iter().all(|&y| y == 0.0), "period 1 gives 0");
        for p in [n - 1, n, n + 1, n + 5] {
            for ddof in [0, p - 1] {
                rolling_var(b, &x, p, ddof, &mut v).unwrap();
                for (i, &y) in v.iter().enumerate() {
                    match window(&x, p, i) {
                        None => assert!(y.is_nan()),
                        Some(w) => {
                            check_var(y, w, ddof).unwrap();
                        }
                    }
                }
            }
        }
        // ddof = p - 1 on a two-point window: (a-b)²/2.
        rolling_var(b, &[1.0, 3.0, 3.0], 2, 1, &mut v[..3]).unwrap();
        assert!(v[0].is_nan());
        assert_eq!(v[1], 2.0);
        assert_eq!(v[2], 0.0);
    }
}

#[test]
fn errors_are_typed() {
    let x = [1.0, 2.0, 3.0];
    let mut out = [0.0; 3];
    let mut short = [0.0; 2];
    for b in Backend::available() {
        assert!(matches!(
            rolling_var(b, &x, 0, 0, &mut out),
            Err(Error::InvalidPeriod {
                name: "period",
                value: 0,
                ..
            })
        ));
        assert!(matches!(
            rolling_var(b, &x, 3, 3, &mut out),
            Err(Error::InvalidPeriod {
                name: "ddof",
                value: 3,
                min: 0,
                max: 2
            })
        ));
        assert!(matches!(
            rolling_std(b, &x, 2, 0, &mut short),
            Err(Error::LengthMismatch {
                name: "out",
                expected: 3,
                got: 2
            })
        ));
        assert!(matches!(
            rolling_mean_var(b, &x, 2, 0, &mut short, &mut out),
            Err(Error::LengthMismatch {
                name: "mean_out",
                ..
            })
        ));
        assert!(matches!(
            rolling_mean_var(b, &x, 2, 0, &mut out.clone(), &mut short),
            Err(Error::LengthMismatch {
                name: "var_out",
                ..
            })
        ));
        // period > len: all NaN, not an error.
        rolling_var(b, &x, 9, 0, &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_nan()));
        rolling_var(b, &[], 3, 0, &mut []).unwrap();
    }
    for b in Backend::ALL.into_iter().filter(|b| !b.is_available()) {
        assert!(matches!(
            rolling_var(b, &x, 2, 0, &mut out),
            Err(Error::BackendUnavailable { .. })
        ));
    }
}

/// The largest relative error per input kind (printed with --nocapture),
/// asserted against the bound, including the jump-then-calm kind at
/// several periods.
#[test]
fn worst_error_per_kind() {
    for kind in ALL_KINDS {
        let mut worst = 0.0f64;
        for seed in 0..6u64 {
            let x = inputs::series(kind, 3000, seed);
            for p in [2, 5, 20, 50, 200] {
                for ddof in [0, 1] {
                    let idx: Vec<usize> =
                        (0..x.len()).step_by(if p > 50 { 3 } else { 1 }).collect();
                    worst = worst.max(
                        check_all(&x, p, ddof, &idx).unwrap_or_else(|m| panic!("{kind:?}: {m}")),
                    );
                }
            }
        }
        println!("{kind:?}: largest relative variance error {worst:.3e} (bound 1e-11)");
        assert!(worst <= 1e-11);
    }
}

#[test]
fn jump_then_calm_right_after_the_jump() {
    for p in [2, 3, 10, 20, 60, 250] {
        let mut x: Vec<f64> = Vec::new();
        let mut r = inputs::Rng::new(p as u64);
        let mut lvl = 100.0;
        for _ in 0..700 {
            lvl *= 1.0 + 0.01 * r.sym();
            x.push(lvl);
        }
        lvl *= 1.1;
        for _ in 0..1300 {
            x.push(lvl * (1.0 + 1e-9 * r.sym()));
        }
        let idx: Vec<usize> = (0..x.len()).collect();
        let worst = check_all(&x, p, 0, &idx).unwrap();
        assert!(worst <= 1e-11, "{worst}");
    }
    let _ = Kind::JumpThenCalm;
}

/// A 1e7-point random walk (release profile): sampled windows of every
/// backend within the bound.
#[test]
fn random_walk_1e7() {
    let x = inputs::series(Kind::RandomWalk, 10_000_000, 42);
    let p = 20;
    let mut r = inputs::Rng::new(1);
    let idx: Vec<usize> = (0..2000)
        .map(|_| r.below(x.len()))
        .chain([x.len() - 1])
        .collect();
    for b in Backend::available() {
        let mut v = vec![0.0; x.len()];
        let mut m = vec![0.0; x.len()];
        rolling_mean_var(b, &x, p, 1, &mut m, &mut v).unwrap();
        for &i in &idx {
            let w = window(&x, p, i).unwrap();
            check_var(v[i], w, 1).unwrap_or_else(|e| panic!("{b:?} i={i}: {e}"));
            check_mean(m[i], w).unwrap();
        }
        assert!(v[p - 1..].iter().all(|&y| y > 0.0));
    }
    let _ = naive::rolling_var(&x[..50], 5, 0);
}

/// The module docs promise bit-identical outputs across backends
/// (sequential, grouped and compensated paths, every region alignment;
/// the lengths leave the AVX2 sequential path every kind of tail: eight
/// regions, four, single ones).
#[test]
fn backends_are_bit_identical() {
    for kind in ALL_KINDS {
        let x = inputs::series(kind, 2500, 9);
        for p in [
            1usize, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 19, 20, 21, 31, 32, 33, 63, 64, 65, 127, 128,
            129, 300, 600,
        ] {
            for len in [2500, 12 * p + 3, 13 * p + p.div_ceil(4) * 4, 5 * p + 1] {
                let x = &x[..len.min(x.len())];
                let mut want = vec![0.0; x.len()];
                rolling_var(Backend::Scalar, x, p, 1.min(p - 1), &mut want).unwrap();
                for b in Backend::available() {
                    let mut got = vec![0.0; x.len()];
                    rolling_var(b, x, p, 1.min(p - 1), &mut got).unwrap();
                    for i in 0..x.len() {
                        assert_eq!(
                            got[i].to_bits(),
                            want[i].to_bits(),
                            "{kind:?} {b:?} p={p} len={len} i={i}"
                        );
                    }
                }
            }
        }
    }
}
