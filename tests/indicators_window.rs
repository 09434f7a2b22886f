//! Windowed indicators (SMA, WMA, BBANDS, STDDEV, VAR, STOCH, MIN/MAX):
//! TA-Lib 0.8.1 conformance, conventions, kernels vs naive references on
//! every backend, invariants, NaN policy, allocation-free `_into`, errors.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::inputs::{ALL_KINDS, Kind, Rng, any_series, period_for, series, sprinkle_non_finite};
use common::naive_window as naive;
use common::talib::{assert_matches, input, load, mean_abs};
use proptest::prelude::*;
use ta_kernels::kernels::{minmax as mm, wma as wk};
use ta_kernels::{Backend, Error, with_backend};

// ---------------------------------------------------------------- allocator

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls per thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

const U: f64 = f64::EPSILON / 2.0;

// ------------------------------------------------------------- conformance

const TOL: f64 = 1e-9;

#[test]
fn conformance_talib_081() {
    for s in common::talib::SERIES {
        let (c, h, l) = input(s);
        let scale = mean_abs(&c);
        let one = |file: &str, col: &str| load(s, file).col(col).to_vec();
        let mut worst = Vec::new();
        let got = ta_kernels::sma(&c, 20).unwrap();
        worst.push((
            "sma_20",
            assert_matches(
                &format!("{s} sma"),
                &got,
                &one("sma_20.csv", "sma"),
                scale,
                TOL,
            ),
        ));
        let got = ta_kernels::wma(&c, 20).unwrap();
        worst.push((
            "wma_20",
            assert_matches(
                &format!("{s} wma"),
                &got,
                &one("wma_20.csv", "wma"),
                scale,
                TOL,
            ),
        ));
        let b = ta_kernels::bbands(&c, 20, 2.0, 2.0).unwrap();
        let t = load(s, "bbands_20_2_2.csv");
        let e_u = assert_matches(
            &format!("{s} upper"),
            &b.upper,
            t.col("upperband"),
            scale,
            TOL,
        );
        let e_m = assert_matches(
            &format!("{s} middle"),
            &b.middle,
            t.col("middleband"),
            scale,
            TOL,
        );
        let e_l = assert_matches(
            &format!("{s} lower"),
            &b.lower,
            t.col("lowerband"),
            scale,
            TOL,
        );
        worst.push(("bbands_20_2_2", e_u.max(e_m).max(e_l)));
        let got = ta_kernels::stddev(&c, 20, 1.0).unwrap();
        worst.push((
            "stddev_20_1",
            assert_matches(
                &format!("{s} stddev"),
                &got,
                &one("stddev_20_1.csv", "stddev"),
                scale,
                TOL,
            ),
        ));
        // VAR is in price² units: judge it against mean|close|², the scale
        // of the x² terms whose cancellation any variance computation faces.
        let got = ta_kernels::var(&c, 20).unwrap();
        worst.push((
            "var_20",
            assert_matches(
                &format!("{s} var"),
                &got,
                &one("var_20.csv", "var"),
                scale * scale,
                TOL,
            ),
        ));
        let st = ta_kernels::stoch(&h, &l, &c, 14, 3, 3).unwrap();
        let t = load(s, "stoch_14_3_3.csv");
        let e_k = assert_matches(&format!("{s} slowk"), &st.k, t.col("slowk"), 100.0, TOL);
        let e_d = assert_matches(&format!("{s} slowd"), &st.d, t.col("slowd"), 100.0, TOL);
        worst.push(("stoch_14_3_3", e_k.max(e_d)));
        let got = ta_kernels::max(&c, 14).unwrap();
        worst.push((
            "max_14",
            assert_matches(
                &format!("{s} max"),
                &got,
                &one("max_14.csv", "max"),
                scale,
                0.0,
            ),
        ));
        let got = ta_kernels::min(&c, 14).unwrap();
        worst.push((
            "min_14",
            assert_matches(
                &format!("{s} min"),
                &got,
                &one("min_14.csv", "min"),
                scale,
                0.0,
            ),
        ));
        // The same on every backend.
        for be in Backend::available() {
            with_backend(be, || {
                let got = ta_kernels::wma(&c, 20).unwrap();
                assert_matches(
                    &format!("{s} wma {be}"),
                    &got,
                    &one("wma_20.csv", "wma"),
                    scale,
                    TOL,
                );
                let got = ta_kernels::max(&c, 14).unwrap();
                assert_matches(
                    &format!("{s} max {be}"),
                    &got,
                    &one("max_14.csv", "max"),
                    scale,
                    0.0,
                );
                let got = ta_kernels::min(&c, 14).unwrap();
                assert_matches(
                    &format!("{s} min {be}"),
                    &got,
                    &one("min_14.csv", "min"),
                    scale,
                    0.0,
                );
                let st = ta_kernels::stoch(&h, &l, &c, 14, 3, 3).unwrap();
                assert_matches(
                    &format!("{s} slowk {be}"),
                    &st.k,
                    load(s, "stoch_14_3_3.csv").col("slowk"),
                    100.0,
                    TOL,
                );
            })
            .unwrap();
        }
        eprintln!("{s}: max relative errors {worst:?}");
    }
}

// ------------------------------------------------------- kernel references

/// The WMA kernel's stated bound for output `i` around the reference
/// `want`: `2u·|want| + K(p)·(u·A + 2⁻¹⁰⁷⁴)` plus the reference's own
/// `2u·|want|`, with `A` the spread of the window
/// (`p <= SEQUENTIAL_MAX`) or of the block neighbourhood (longer periods).
fn wma_bound(x: &[f64], p: usize, i: usize, want: f64) -> f64 {
    let (lo, hi) = if p <= wk::SEQUENTIAL_MAX {
        (i + 1 - p, i)
    } else {
        let blk = wk::block_len(p);
        ((i + 1).saturating_sub(p + blk), (i + blk).min(x.len() - 1))
    };
    let (mut mn, mut mx) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in x[lo..=hi].iter().filter(|v| v.is_finite()) {
        mn = mn.min(v);
        mx = mx.max(v);
    }
    // The stated bound is against the exact WMA; the reference is itself
    // within 2u·|WMA| of it (a correctly rounded sum, then one division),
    // so that is added.
    (2.0 + 2.0) * U * want.abs() + wk::error_factor(p) * (U * (mx - mn) + f64::from_bits(1))
}

fn check_wma_bound(x: &[f64], p: usize, got: &[f64], what: &str) {
    let want = naive::wma(x, p);
    for i in 0..x.len() {
        if want[i].is_nan() {
            assert!(got[i].is_nan(), "{what}: [{i}] want NaN, got {}", got[i]);
            continue;
        }
        let bound = wma_bound(x, p, i, want[i]);
        let err = (got[i] - want[i]).abs();
        assert!(
            err <= bound,
            "{what}: [{i}] p={p} got {} want {} err {err:e} > bound {bound:e}",
            got[i],
            want[i]
        );
    }
}

fn check_extremes(x: &[f64], p: usize, what: &str) {
    for min in [false, true] {
        let (wv, wi) = naive::extreme(x, p, min);
        for be in Backend::available() {
            let mut v = vec![0.0; x.len()];
            let mut ix = vec![0usize; x.len()];
            let mut v2 = vec![0.0; x.len()];
            if min {
                mm::rolling_min(be, x, p, &mut v, Some(&mut ix)).unwrap();
                mm::rolling_min(be, x, p, &mut v2, None).unwrap();
            } else {
                mm::rolling_max(be, x, p, &mut v, Some(&mut ix)).unwrap();
                mm::rolling_max(be, x, p, &mut v2, None).unwrap();
            }
            for i in 0..x.len() {
                let same =
                    |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
                assert!(
                    same(v[i], wv[i]) && same(v2[i], wv[i]) && ix[i] == wi[i],
                    "{what} {be} min={min} p={p} [{i}]: got ({}, {}, {}) want ({}, {})",
                    v[i],
                    v2[i],
                    ix[i],
                    wv[i],
                    wi[i]
                );
            }
        }
    }
}

fn check_wma_all(x: &[f64], p: usize, what: &str) {
    for be in Backend::available() {
        let mut out = vec![0.0; x.len()];
        wk::wma(be, x, p, &mut out).unwrap();
        if p == 1 {
            for i in 0..x.len() {
                let w = if x[i].is_finite() { x[i] } else { f64::NAN };
                assert!(
                    out[i].to_bits() == w.to_bits() || (w.is_nan() && out[i].is_nan()),
                    "{what} p=1 identity [{i}]"
                );
            }
        }
        check_wma_bound(x, p, &out, &format!("{what} {be}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, .. ProptestConfig::default() })]

    #[test]
    fn minmax_every_backend_vs_naive(((_k, x), p) in any_series(3 * 8 + 7, 3000).prop_flat_map(|(k, x)| {
        let n = x.len();
        (Just((k, x)), period_for(n))
    })) {
        check_extremes(&x, p, "prop");
    }

    #[test]
    fn wma_every_backend_vs_naive(((_k, x), p) in any_series(3 * 8 + 7, 2000).prop_flat_map(|(k, x)| {
        let n = x.len();
        (Just((k, x)), period_for(n).prop_map(|p| p.min(300)))
    })) {
        check_wma_all(&x, p, "prop");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    #[test]
    fn long_series_every_backend(kind in prop::sample::select(ALL_KINDS.to_vec()), seed in any::<u64>(), p in prop_oneof![2usize..40, 40usize..3000]) {
        let mut x = series(kind, 100_000, seed);
        if seed % 2 == 0 {
            sprinkle_non_finite(&mut x, 20_000, seed);
        }
        // Extremes: O(n·p) naive only on a slice; the full series across backends.
        check_extremes(&x[..20_000], p, "long");
        let mut outs = Vec::new();
        for be in Backend::available() {
            let mut v = vec![0.0; x.len()];
            let mut ix = vec![0usize; x.len()];
            mm::rolling_max(be, &x, p, &mut v, Some(&mut ix)).unwrap();
            outs.push((v, ix));
        }
        for o in &outs[1..] {
            prop_assert!(o.1 == outs[0].1);
            prop_assert!(o.0.iter().zip(&outs[0].0).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
        let q = p.min(200);
        check_wma_all(&x[..30_000], q, "long");
    }
}

/// Seed cases expanded over every length and start offset.
#[test]
fn seed_cases_every_length_and_offset() {
    let mut seeds: Vec<Vec<f64>> = vec![
        (0..48).map(|i| 100.0 - i as f64).collect(), // steadily falling
        (0..48).map(|i| i as f64).collect(),         // rising
        (0..48).map(|i| ((i * 7) % 5) as f64).collect(), // many ties
        vec![3.0; 48],                               // flat
    ];
    let mut with_nan: Vec<f64> = (0..48).map(|i| ((i * 13) % 11) as f64 - 5.0).collect();
    with_nan[10] = f64::NAN;
    with_nan[30] = f64::INFINITY;
    with_nan[31] = f64::NEG_INFINITY;
    seeds.push(with_nan);
    for s in &seeds {
        for start in 0..s.len() {
            for end in start..=s.len() {
                let x = &s[start..end];
                for p in [1usize, 2, 3, 4, 5, 7, 8, 9, 16, 17] {
                    check_extremes(x, p, "seed");
                    if end - start <= 40 {
                        check_wma_all(x, p, "seed");
                    }
                }
            }
        }
    }
}

/// The window-local path (`p <= SEQUENTIAL_MAX`) gives the same bits on
/// every backend (every region alignment and tail: eight AVX2 regions,
/// four, single ones), and a window of identical values gives exactly
/// that value.
#[test]
fn wma_window_local_bit_identical_and_exact_on_flat() {
    for kind in ALL_KINDS {
        let x = series(kind, 2500, 9);
        for p in [2usize, 3, 4, 5, 6, 7, 8, 9, 16, 19, 20, 21, 33, 63, 64] {
            for len in [2500, 12 * p + 3, 13 * p + p.div_ceil(4) * 4, 5 * p + 1, p] {
                let x = &x[..len];
                let mut want = vec![0.0; len];
                wk::wma(Backend::Scalar, x, p, &mut want).unwrap();
                for be in Backend::available() {
                    let mut got = vec![0.0; len];
                    wk::wma(be, x, p, &mut got).unwrap();
                    for i in 0..len {
                        assert_eq!(
                            got[i].to_bits(),
                            want[i].to_bits(),
                            "{kind:?} {be} p={p} len={len} [{i}]"
                        );
                    }
                }
            }
        }
    }
    let mut r = Rng::new(3);
    let mut x: Vec<f64> = (0..3000).map(|_| 100.0 + r.sym()).collect();
    x[700..1500].fill(1e9 + 0.125);
    x[2000..2900].fill(-3.5e-7);
    for p in [2usize, 5, 20, 64] {
        for be in Backend::available() {
            let mut got = vec![0.0; x.len()];
            wk::wma(be, &x, p, &mut got).unwrap();
            for (lo, hi) in [(700, 1500), (2000, 2900)] {
                for (i, &g) in got.iter().enumerate().take(hi).skip(lo + p - 1) {
                    assert_eq!(g, x[lo], "{be} p={p} [{i}]");
                }
            }
        }
    }
}

/// WMA's block restarts and shifted reference on long drifting and
/// large-offset series: errors stay within the stated bound.
#[test]
fn wma_bound_on_long_hard_series() {
    for (kind, p) in [
        (Kind::LargeOffset, 1),
        (Kind::LargeOffset, 20),
        (Kind::RandomWalk, 300),
        (Kind::Trend, 7),
        (Kind::JumpThenCalm, 50),
    ] {
        let x = series(kind, 60_000, 7);
        check_wma_all(&x, p, &format!("{kind:?}"));
    }
}

// -------------------------------------------------------------- conventions

fn assert_close(what: &str, got: &[f64], want: &[f64], scale: f64, tol: f64) {
    assert_matches(what, got, want, scale, tol);
}

fn hlc(len: usize, seed: u64, level: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut r = Rng::new(seed);
    let c = series(Kind::RandomWalk, len, seed)
        .iter()
        .map(|v| v * level / 100.0)
        .collect::<Vec<_>>();
    let h: Vec<f64> = c.iter().map(|&v| v * (1.0 + 0.01 * r.unit())).collect();
    let l: Vec<f64> = c.iter().map(|&v| v * (1.0 - 0.01 * r.unit())).collect();
    (h, l, c)
}

#[test]
fn stoch_conventions() {
    // Periods 1, 2, len-1, len, len+1 against the definition.
    for len in [1usize, 2, 3, 10, 40] {
        let (h, l, c) = hlc(len, len as u64, 100.0);
        for (fk, sk, sd) in [
            (1, 1, 1),
            (2, 1, 1),
            (1, 2, 2),
            (2, 2, 2),
            (5, 3, 3),
            (14, 3, 3),
            (len.saturating_sub(1).max(1), 1, 1),
            (len, 1, 1),
            (len + 1, 1, 1),
            (len, 2, 1),
            (3, len, 1),
            (2, 2, len + 1),
        ] {
            let st = ta_kernels::stoch(&h, &l, &c, fk, sk, sd).unwrap();
            let (k, d) = naive::stoch(&h, &l, &c, fk, sk, sd);
            assert_close(
                &format!("k len={len} {fk}/{sk}/{sd}"),
                &st.k,
                &k,
                100.0,
                1e-12,
            );
            assert_close(
                &format!("d len={len} {fk}/{sk}/{sd}"),
                &st.d,
                &d,
                100.0,
                1e-12,
            );
            let lb = ta_kernels::stoch_lookback(fk, sk, sd).unwrap();
            assert_eq!(
                st.k.iter().position(|v| !v.is_nan()).unwrap_or(len),
                lb.min(len),
                "first k"
            );
            assert_eq!(
                st.d.iter().position(|v| !v.is_nan()).unwrap_or(len),
                lb.min(len),
                "first d"
            );
        }
    }
    assert_eq!(ta_kernels::stoch_lookback(5, 3, 3).unwrap(), 8);
    // Flat series: HH == LL gives raw %K = 0 everywhere.
    let flat = vec![42.0; 50];
    let st = ta_kernels::stoch(&flat, &flat, &flat, 5, 3, 3).unwrap();
    assert!(st.k[8..].iter().chain(&st.d[8..]).all(|&v| v == 0.0));
    assert!(st.k[..8].iter().all(|v| v.is_nan()));
    // Tiny prices around 1e-7 and large ones: the same oscillator.
    let (h, l, c) = hlc(3000, 11, 100.0);
    let base = ta_kernels::stoch(&h, &l, &c, 14, 3, 3).unwrap();
    for f in [1e-7, 1e-9 / 1e2, 1e5] {
        let s = |v: &[f64]| v.iter().map(|x| x * f).collect::<Vec<_>>();
        let st = ta_kernels::stoch(&s(&h), &s(&l), &s(&c), 14, 3, 3).unwrap();
        assert_close(&format!("scale {f} k"), &st.k, &base.k, 100.0, 1e-9);
        assert_close(&format!("scale {f} d"), &st.d, &base.d, 100.0, 1e-9);
    }
    let (h, l, c) = hlc(3000, 12, 1e-7);
    let st = ta_kernels::stoch(&h, &l, &c, 14, 3, 3).unwrap();
    let (k, d) = naive::stoch(&h, &l, &c, 14, 3, 3);
    assert_close("tiny k", &st.k, &k, 100.0, 1e-9);
    assert_close("tiny d", &st.d, &d, 100.0, 1e-9);
}

#[test]
fn period_edges_all_indicators() {
    for len in [0usize, 1, 2, 5, 21] {
        let x = series(Kind::RandomWalk, len, 3);
        let scale = mean_abs(&x).max(1.0);
        for p in [1usize, 2, len.saturating_sub(1).max(1), len.max(1), len + 1] {
            assert_close(
                "sma",
                &ta_kernels::sma(&x, p).unwrap(),
                &naive::sma(&x, p),
                scale,
                1e-12,
            );
            assert_close(
                "wma",
                &ta_kernels::wma(&x, p).unwrap(),
                &naive::wma(&x, p),
                scale,
                1e-12,
            );
            assert_close(
                "var",
                &ta_kernels::var(&x, p).unwrap(),
                &naive::var(&x, p),
                scale * scale,
                1e-12,
            );
            if p >= 2 {
                let sd: Vec<f64> = naive::var(&x, p).iter().map(|v| v.sqrt() * 1.5).collect();
                assert_close(
                    "stddev",
                    &ta_kernels::stddev(&x, p, 1.5).unwrap(),
                    &sd,
                    scale,
                    1e-12,
                );
                let b = ta_kernels::bbands(&x, p, 2.0, 1.0).unwrap();
                let mid = naive::sma(&x, p);
                let var = naive::var(&x, p);
                let up: Vec<f64> = mid
                    .iter()
                    .zip(&var)
                    .map(|(m, v)| m + 2.0 * v.sqrt())
                    .collect();
                let lo: Vec<f64> = mid.iter().zip(&var).map(|(m, v)| m - v.sqrt()).collect();
                assert_close("bb mid", &b.middle, &mid, scale, 1e-12);
                assert_close("bb up", &b.upper, &up, scale, 1e-12);
                assert_close("bb lo", &b.lower, &lo, scale, 1e-12);
                let (mx, mxi) = naive::extreme(&x, p, false);
                let (mn, mni) = naive::extreme(&x, p, true);
                assert_close("max", &ta_kernels::max(&x, p).unwrap(), &mx, scale, 0.0);
                assert_close("min", &ta_kernels::min(&x, p).unwrap(), &mn, scale, 0.0);
                assert_eq!(ta_kernels::max_index(&x, p).unwrap(), mxi);
                assert_eq!(ta_kernels::min_index(&x, p).unwrap(), mni);
                let both = ta_kernels::minmax(&x, p).unwrap();
                assert_close("minmax.max", &both.max, &mx, scale, 0.0);
                assert_close("minmax.min", &both.min, &mn, scale, 0.0);
                let bi = ta_kernels::minmax_index(&x, p).unwrap();
                assert_eq!((bi.min_idx, bi.max_idx), (mni, mxi));
            }
        }
    }
    // Period 1 is the identity for SMA and WMA; VAR(1) is 0.
    let x = series(Kind::Uniform, 100, 9);
    assert_eq!(ta_kernels::wma(&x, 1).unwrap(), x);
    assert_eq!(ta_kernels::sma(&x, 1).unwrap(), x);
    assert!(ta_kernels::var(&x, 1).unwrap().iter().all(|&v| v == 0.0));
    // Lookbacks.
    assert_eq!(ta_kernels::wma_lookback(20).unwrap(), 19);
    assert_eq!(ta_kernels::sma_lookback(1).unwrap(), 0);
    assert_eq!(ta_kernels::bbands_lookback(20).unwrap(), 19);
    assert_eq!(ta_kernels::stddev_lookback(2).unwrap(), 1);
    assert_eq!(ta_kernels::var_lookback(1).unwrap(), 0);
    assert_eq!(ta_kernels::max_lookback(14).unwrap(), 13);
    assert_eq!(ta_kernels::min_lookback(2).unwrap(), 1);
    assert_eq!(ta_kernels::minmax_lookback(30).unwrap(), 29);
}

// --------------------------------------------------------------- invariants

#[test]
fn invariants() {
    for (n, kind) in ALL_KINDS.iter().enumerate() {
        let x = series(*kind, 2000, n as u64);
        for p in [2usize, 5, 20, 100] {
            let b = ta_kernels::bbands(&x, p, 2.0, 0.5).unwrap();
            for i in p - 1..x.len() {
                assert!(
                    b.upper[i] >= b.middle[i] && b.middle[i] >= b.lower[i],
                    "{kind:?} p={p} [{i}]"
                );
            }
            assert!(
                ta_kernels::var(&x, p).unwrap()[p - 1..]
                    .iter()
                    .all(|&v| v >= 0.0)
            );
            assert!(
                ta_kernels::stddev(&x, p, 1.0).unwrap()[p - 1..]
                    .iter()
                    .all(|&v| v >= 0.0)
            );
            let mx = ta_kernels::max(&x, p).unwrap();
            let mn = ta_kernels::min(&x, p).unwrap();
            assert!((p - 1..x.len()).all(|i| mn[i] <= x[i] && x[i] <= mx[i]));
        }
        let (h, l, c) = hlc(2000, n as u64, 100.0);
        for (fk, sk, sd) in [(1, 1, 1), (5, 3, 3), (14, 3, 3), (50, 1, 10)] {
            let st = ta_kernels::stoch(&h, &l, &c, fk, sk, sd).unwrap();
            assert!(
                st.k.iter()
                    .chain(&st.d)
                    .filter(|v| !v.is_nan())
                    .all(|&v| (0.0..=100.0).contains(&v))
            );
        }
    }
}

// --------------------------------------------------------------- NaN policy

#[test]
fn nan_policy() {
    let mut x = series(Kind::RandomWalk, 200, 5);
    for v in &mut x[..3] {
        *v = f64::NAN;
    }
    x[100] = f64::NAN;
    x[150] = f64::INFINITY;
    let p = 10;
    // NaN exactly where the window holds a non-finite value (or warm-up
    // counted from the first finite bar); finite elsewhere.
    let expect_nan = |i: usize, p: usize| {
        i + 1 < 3 + p || (100..100 + p).contains(&i) || (150..150 + p).contains(&i)
    };
    let check = |name: &str, v: &[f64], p: usize| {
        for (i, &y) in v.iter().enumerate() {
            assert_eq!(y.is_nan(), expect_nan(i, p), "{name}[{i}] = {y}");
        }
    };
    check("sma", &ta_kernels::sma(&x, p).unwrap(), p);
    check("wma", &ta_kernels::wma(&x, p).unwrap(), p);
    check("var", &ta_kernels::var(&x, p).unwrap(), p);
    check("stddev", &ta_kernels::stddev(&x, p, 1.0).unwrap(), p);
    let b = ta_kernels::bbands(&x, p, 2.0, 2.0).unwrap();
    check("upper", &b.upper, p);
    check("middle", &b.middle, p);
    check("lower", &b.lower, p);
    check("max", &ta_kernels::max(&x, p).unwrap(), p);
    check("min", &ta_kernels::min(&x, p).unwrap(), p);
    let mi = ta_kernels::max_index(&x, p).unwrap();
    assert!(
        mi.iter()
            .enumerate()
            .all(|(i, &j)| (j == ta_kernels::NO_INDEX) == expect_nan(i, p))
    );
    // Recovered values equal those of the clean tail alone, within twice
    // the kernel's bound (the window-local path's regions sit elsewhere
    // in the tail, so the last bits may differ).
    let tail = ta_kernels::wma(&x[151..], p).unwrap();
    let full = ta_kernels::wma(&x, p).unwrap();
    for i in 160..x.len() {
        let (a, b) = (full[i], tail[i - 151]);
        assert!(
            (a - b).abs() <= 2.0 * wma_bound(&x, p, i, b),
            "wma recovery [{i}]: {a} vs {b}"
        );
    }
    // STOCH: a bar is unusable if any of H/L/C is non-finite.
    let (mut h, mut l, mut c) = hlc(200, 6, 100.0);
    c[50] = f64::NAN;
    h[120] = f64::NEG_INFINITY;
    l[0] = f64::NAN;
    let (fk, sk, sd) = (5, 3, 2);
    let span = fk + sk + sd - 2;
    let st = ta_kernels::stoch(&h, &l, &c, fk, sk, sd).unwrap();
    let (k, d) = naive::stoch(&h, &l, &c, fk, sk, sd);
    assert_close("stoch k nan", &st.k, &k, 100.0, 1e-12);
    assert_close("stoch d nan", &st.d, &d, 100.0, 1e-12);
    for i in 0..200 {
        let nan =
            i < 1 + span - 1 || (50..50 + span).contains(&i) || (120..120 + span).contains(&i);
        assert_eq!(st.d[i].is_nan(), nan, "stoch d[{i}]");
        assert_eq!(st.k[i].is_nan(), nan, "stoch k[{i}]");
    }
}

// ------------------------------------------------------- no allocation

#[test]
fn into_variants_allocate_nothing() {
    let x = series(Kind::RandomWalk, 10_000, 1);
    let (h, l, c) = hlc(10_000, 2, 100.0);
    let mut a = vec![0.0; x.len()];
    let mut b = vec![0.0; x.len()];
    let mut d = vec![0.0; x.len()];
    let mut ix = vec![0usize; x.len()];
    for be in Backend::available() {
        with_backend(be, || {
            let n = allocations_during(|| {
                ta_kernels::sma_into(&x, 20, &mut a).unwrap();
                ta_kernels::wma_into(&x, 20, &mut a).unwrap();
                ta_kernels::bbands_into(&x, 20, 2.0, 2.0, &mut a, &mut b, &mut d).unwrap();
                ta_kernels::stddev_into(&x, 20, 1.0, &mut a).unwrap();
                ta_kernels::var_into(&x, 20, &mut a).unwrap();
                ta_kernels::stoch_into(&h, &l, &c, 14, 3, 3, &mut a, &mut b).unwrap();
                ta_kernels::max_into(&x, 14, &mut a).unwrap();
                ta_kernels::min_into(&x, 14, &mut a).unwrap();
                ta_kernels::max_index_into(&x, 14, &mut a, &mut ix).unwrap();
                ta_kernels::min_index_into(&x, 14, &mut a, &mut ix).unwrap();
                ta_kernels::minmax_into(&x, 14, &mut a, &mut b).unwrap();
            });
            assert_eq!(n, 0, "{be}: _into allocated {n} times");
        })
        .unwrap();
    }
    // The counter works: an allocating call is seen.
    assert!(allocations_during(|| drop(ta_kernels::wma(&x, 20).unwrap())) > 0);
}

// ------------------------------------------------------------------ errors

#[test]
fn errors() {
    let x = vec![1.0; 10];
    let short = vec![1.0; 9];
    let mut o = vec![0.0; 10];
    let range = |e: Error, name: &str, min: usize| match e {
        Error::InvalidPeriod {
            name: n,
            min: lo,
            max: hi,
            ..
        } => {
            assert_eq!((n, lo, hi), (name, min, 100_000), "{e}");
            assert!(e.to_string().contains(&format!("{min}..=100000")));
        }
        other => panic!("unexpected {other:?}"),
    };
    range(ta_kernels::sma(&x, 0).unwrap_err(), "period", 1);
    range(ta_kernels::wma(&x, 0).unwrap_err(), "period", 1);
    range(ta_kernels::wma(&x, 100_001).unwrap_err(), "period", 1);
    range(ta_kernels::var(&x, 0).unwrap_err(), "period", 1);
    range(ta_kernels::stddev(&x, 1, 1.0).unwrap_err(), "period", 2);
    range(
        ta_kernels::bbands(&x, 1, 2.0, 2.0).unwrap_err(),
        "period",
        2,
    );
    range(
        ta_kernels::bbands(&x, 100_001, 2.0, 2.0).unwrap_err(),
        "period",
        2,
    );
    range(ta_kernels::max(&x, 1).unwrap_err(), "period", 2);
    range(ta_kernels::min(&x, 100_001).unwrap_err(), "period", 2);
    range(ta_kernels::max_index(&x, 0).unwrap_err(), "period", 2);
    range(
        ta_kernels::stoch(&x, &x, &x, 0, 3, 3).unwrap_err(),
        "fastk_period",
        1,
    );
    range(
        ta_kernels::stoch(&x, &x, &x, 5, 0, 3).unwrap_err(),
        "slowk_period",
        1,
    );
    range(
        ta_kernels::stoch(&x, &x, &x, 5, 3, 100_001).unwrap_err(),
        "slowd_period",
        1,
    );
    range(ta_kernels::wma_lookback(0).unwrap_err(), "period", 1);
    range(ta_kernels::max_lookback(1).unwrap_err(), "period", 2);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(
            ta_kernels::bbands(&x, 5, bad, 2.0),
            Err(Error::InvalidParameter {
                name: "nbdev_up",
                ..
            })
        ));
        assert!(matches!(
            ta_kernels::bbands(&x, 5, 2.0, bad),
            Err(Error::InvalidParameter {
                name: "nbdev_dn",
                ..
            })
        ));
        assert!(matches!(
            ta_kernels::stddev(&x, 5, bad),
            Err(Error::InvalidParameter { name: "nbdev", .. })
        ));
    }
    assert!(matches!(
        ta_kernels::stoch(&x, &short, &x, 5, 3, 3),
        Err(Error::LengthMismatch { name: "low", .. })
    ));
    assert!(matches!(
        ta_kernels::stoch(&x, &x, &short, 5, 3, 3),
        Err(Error::LengthMismatch { name: "close", .. })
    ));
    let mut o9 = vec![0.0; 9];
    assert!(matches!(
        ta_kernels::wma_into(&x, 3, &mut o9),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        ta_kernels::max_into(&x, 3, &mut o9),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        ta_kernels::stoch_into(&x, &x, &x, 3, 3, 3, &mut o, &mut o9),
        Err(Error::LengthMismatch { name: "d", .. })
    ));
    let (mut u, mut m) = (vec![0.0; 10], vec![0.0; 10]);
    assert!(matches!(
        ta_kernels::bbands_into(&x, 3, 2.0, 2.0, &mut u, &mut m, &mut o9),
        Err(Error::LengthMismatch { name: "lower", .. })
    ));
    let mut ix = vec![0usize; 9];
    assert!(matches!(
        ta_kernels::max_index_into(&x, 3, &mut o, &mut ix),
        Err(Error::LengthMismatch { name: "index", .. })
    ));
    // Kernels: period 0 and unavailable backends are typed errors.
    assert!(matches!(
        wk::wma(Backend::Scalar, &x, 0, &mut o),
        Err(Error::InvalidPeriod { .. })
    ));
    assert!(matches!(
        mm::rolling_max(Backend::Scalar, &x, 0, &mut o, None),
        Err(Error::InvalidPeriod { .. })
    ));
    if !Backend::Avx2.is_available() {
        assert!(matches!(
            wk::wma(Backend::Avx2, &x, 3, &mut o),
            Err(Error::BackendUnavailable { .. })
        ));
    }
    // A period beyond the data is not an error: all NaN.
    assert!(ta_kernels::wma(&x, 11).unwrap().iter().all(|v| v.is_nan()));
    assert!(
        ta_kernels::stoch(&x, &x, &x, 11, 1, 1)
            .unwrap()
            .k
            .iter()
            .all(|v| v.is_nan())
    );
}
