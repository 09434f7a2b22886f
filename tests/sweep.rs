//! Parameter sweeps (`ta_kernels::sweep`): every sweep output against the
//! per-parameter single calls and exact references, on every backend, with
//! adversarial series (NaN/±inf holes, 1e9 offsets with 1e-3 noise, flat
//! runs, tiny prices, subnormals).
mod common;

use common::exact::fsum;
use common::inputs::{Kind, any_series, series, sprinkle_non_finite};
use common::naive_sum::{REL, TINY};
use proptest::prelude::*;
use ta_kernels::kernels::cross::transition;
use ta_kernels::sweep::{
    CrossAlgorithm, CrossSweep, cross_pairs, cross_sweep, cross_sweep_counts,
    cross_sweep_counts_par, cross_sweep_counts_with, cross_sweep_into, cross_sweep_par,
    cross_sweep_with, sma_sweep, sma_sweep_blocks, sma_sweep_into,
};
use ta_kernels::sweep::{
    ThresholdSweep, ema_sweep, rsi_sweep, threshold_cross_sweep, threshold_sweep,
};
use ta_kernels::{
    Backend, BitMask, CmpOp, Error, Rhs, compare, cross_above, cross_below, ema, rsi, sma,
    with_backend,
};

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(u, v)| u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()))
}

/// Checks one SMA row against the contract: NaN in the warm-up and where
/// the window holds a non-finite value; else within
/// `1e-13·mean|x| + 2⁻¹⁰⁷⁴` of `fsum(W)/p`. Accuracy is checked on every
/// output when `n·p <= budget`, else on an even sample plus both ends.
fn check_sma_row(x: &[f64], p: usize, got: &[f64], budget: usize) -> Result<f64, String> {
    let n = x.len();
    if got.len() != n {
        return Err(format!("length {} != {n}", got.len()));
    }
    let stride = (n * p / budget.max(1)).max(1);
    let mut bad = 0usize; // non-finite values in the window (sliding)
    let mut worst = 0.0f64;
    for i in 0..n {
        if !x[i].is_finite() {
            bad += 1;
        }
        if i >= p && !x[i - p].is_finite() {
            bad -= 1;
        }
        let g = got[i];
        if i + 1 < p || bad > 0 {
            if !g.is_nan() {
                return Err(format!("p = {p}: output {i} = {g}, expected NaN"));
            }
            continue;
        }
        if !(stride == 1 || i % stride == 0 || i + 8 >= n || i < p + 8) {
            continue;
        }
        let w = &x[i + 1 - p..=i];
        let abs = fsum(w.iter().map(|v| v.abs()));
        if abs > f64::MAX / 2.0 {
            continue;
        }
        let want = fsum(w.iter().copied()) / p as f64;
        let bound = REL * (abs / p as f64) + TINY;
        let err = (g - want).abs();
        if err.is_nan() || err > bound {
            return Err(format!(
                "p = {p}: output {i} = {g:e}, exact {want:e}, error {err:e} > bound {bound:e}"
            ));
        }
        worst = worst.max(err / bound);
    }
    Ok(worst)
}

/// A list of 1..=8 periods for a series of length `len` (duplicates and
/// periods longer than the series included).
fn periods_for(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![
            3 => 1usize..=(len + 2).min(40),
            1 => 1usize..=len + 2,
            1 => 1usize..=300,
        ],
        1..=8,
    )
}

fn sweep_on(b: Backend, x: &[f64], periods: &[usize]) -> Vec<Vec<f64>> {
    with_backend(b, || sma_sweep(x, periods)).unwrap().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every row within the bound of the exact window mean, NaN exactly
    /// where `sma` is NaN, bit-identical across backends, and bit-identical
    /// to `sma` for periods 9..=31 (the same tree).
    #[test]
    fn sma_sweep_matches_exact_and_single_calls(
        (_kind, x) in any_series(70, 700),
        ps in periods_for(80),
    ) {
        let reference = sweep_on(Backend::Scalar, &x, &ps);
        for b in Backend::available() {
            let got = sweep_on(b, &x, &ps);
            for (j, row) in got.iter().enumerate() {
                prop_assert!(same_bits(row, &reference[j]), "{b}: row {j} (p = {}) differs from scalar", ps[j]);
            }
        }
        for (j, &p) in ps.iter().enumerate() {
            let row = &reference[j];
            check_sma_row(&x, p, row, 40_000).map_err(TestCaseError::fail)?;
            let single = sma(&x, p).unwrap();
            for (i, (&g, &s)) in row.iter().zip(&single).enumerate() {
                prop_assert_eq!(g.is_nan(), s.is_nan(), "p = {}, bar {}: sweep {} vs sma {}", p, i, g, s);
            }
            if (9..=31).contains(&p) {
                prop_assert!(same_bits(row, &single), "p = {p}: not bit-identical to sma");
            }
        }
    }

    /// The block-wise form hands out exactly the rows of `sma_sweep`.
    #[test]
    fn sma_sweep_blocks_equal_the_full_sweep(
        (_kind, x) in any_series(70, 500),
        ps in periods_for(60),
        block_len in prop_oneof![1usize..=70, Just(64usize), Just(256usize)],
    ) {
        let full = sma_sweep(&x, &ps).unwrap();
        let mut seen = 0usize;
        let mut rebuilt = vec![vec![f64::INFINITY; x.len()]; ps.len()];
        sma_sweep_blocks(&x, &ps, block_len, |blk| {
            assert_eq!(blk.start, seen);
            assert!(blk.len <= block_len && blk.len > 0);
            assert_eq!(blk.rows(), ps.len());
            for (j, r) in rebuilt.iter_mut().enumerate() {
                r[blk.start..blk.start + blk.len].copy_from_slice(blk.row(j));
            }
            seen += blk.len;
        }).unwrap();
        prop_assert_eq!(seen, x.len());
        for j in 0..ps.len() {
            prop_assert!(same_bits(&rebuilt[j], &full[j]));
        }
    }
}

#[test]
fn sma_sweep_long_series_every_backend() {
    // 1e5 bars (1e4 in debug) at a 1e9 offset with 1e-3 noise and holes,
    // every period 1..=200: the bound on a sample of every row.
    let n = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let mut x = series(Kind::LargeOffset, n, 7);
    sprinkle_non_finite(&mut x, 5000, 7);
    let ps: Vec<usize> = (1..=200).collect();
    let reference = sweep_on(Backend::Scalar, &x, &ps);
    for b in Backend::available() {
        let got = sweep_on(b, &x, &ps);
        assert!(
            got.iter().zip(&reference).all(|(g, r)| same_bits(g, r)),
            "{b}"
        );
    }
    let mut worst = 0.0f64;
    for (j, &p) in ps.iter().enumerate() {
        worst = worst.max(check_sma_row(&x, p, &reference[j], 200_000).unwrap());
    }
    assert!(worst <= 1.0);
}

#[test]
fn sma_sweep_errors() {
    let x = [1.0, 2.0, 3.0];
    assert!(matches!(
        sma_sweep(&x, &[]),
        Err(Error::InvalidPeriod {
            name: "periods.len()",
            value: 0,
            ..
        })
    ));
    assert!(matches!(
        sma_sweep(&x, &[2, 0]),
        Err(Error::InvalidPeriod {
            name: "period",
            value: 0,
            ..
        })
    ));
    assert!(matches!(
        sma_sweep(&x, &[100_001]),
        Err(Error::InvalidPeriod { name: "period", .. })
    ));
    let mut a = [0.0; 3];
    let mut b = [0.0; 2];
    assert!(matches!(
        sma_sweep_into(&x, &[1, 2], &mut [&mut a[..], &mut b[..]]),
        Err(Error::LengthMismatch {
            name: "outs[j]",
            ..
        })
    ));
    assert!(matches!(
        sma_sweep_into(&x, &[1, 2], &mut [&mut a[..]]),
        Err(Error::LengthMismatch { name: "outs", .. })
    ));
    assert!(matches!(
        sma_sweep_blocks(&x, &[1], 0, |_| {}),
        Err(Error::InvalidPeriod {
            name: "block_len",
            ..
        })
    ));
    // Empty series: empty rows; period longer than the series: all NaN.
    assert_eq!(sma_sweep(&[], &[3]).unwrap(), vec![Vec::<f64>::new()]);
    assert!(sma_sweep(&x, &[5]).unwrap()[0].iter().all(|v| v.is_nan()));
}

// ---------------------------------------------------------------- crosses

/// The sweep's own SMA rows for the distinct periods of `fast ∪ slow`.
fn rows_for(x: &[f64], periods: &[usize]) -> std::collections::HashMap<usize, Vec<f64>> {
    let mut ps: Vec<usize> = periods.to_vec();
    ps.sort_unstable();
    ps.dedup();
    let rows = sma_sweep(x, &ps).unwrap();
    ps.into_iter().zip(rows).collect()
}

/// `1e-13·mean|x| over the window + 2⁻¹⁰⁷⁴` at bar `i` (0 if undefined).
fn sma_bound(x: &[f64], p: usize, i: usize) -> f64 {
    if i + 1 < p {
        return 0.0;
    }
    REL * fsum(x[i + 1 - p..=i].iter().map(|v| v.abs())) / p as f64 + TINY
}

/// Checks a cross sweep against (1) `cross_above` on the sweep's own SMA
/// rows, bit for bit, and (2) `cross_above` on `sma()`'s values, where a
/// bit may differ only at a near-tie: at `i` or `i − 1` the two `sma()`
/// values are within twice the sum of their bounds (both sides are within
/// their bound of the exact means, so only then can the signs differ).
fn check_cross(x: &[f64], fast: &[usize], slow: &[usize], got: &CrossSweep) -> Result<(), String> {
    let pairs = cross_pairs(fast, slow);
    if got.pairs() != pairs.as_slice() || got.masks().len() != pairs.len() {
        return Err("pairs or masks of the wrong shape".into());
    }
    let all: Vec<usize> = fast.iter().chain(slow).copied().collect();
    let own = rows_for(x, &all);
    let mut singles = std::collections::HashMap::new();
    for &p in &all {
        singles.entry(p).or_insert_with(|| sma(x, p).unwrap());
    }
    for (k, &(f, s)) in pairs.iter().enumerate() {
        let m = &got.masks()[k];
        if m.len() != x.len() || got.counts()[k] != m.count_ones() as u64 {
            return Err(format!("pair {k}: bad length or count"));
        }
        let exact = cross_above(&own[&f], &own[&s]).unwrap();
        if m != &exact {
            return Err(format!(
                "pair {k} ({f}, {s}): differs from cross_above on the sweep's SMA"
            ));
        }
        let (a, b) = (&singles[&f], &singles[&s]);
        let single = cross_above(a, b).unwrap();
        let near =
            |i: usize| (a[i] - b[i]).abs() <= 2.0 * (sma_bound(x, f, i) + sma_bound(x, s, i));
        for i in 0..x.len() {
            if m.get(i) != single.get(i) && !(near(i) || (i > 0 && near(i - 1))) {
                return Err(format!(
                    "pair {k} ({f}, {s}), bar {i}: sweep {} vs sma {} without a near-tie",
                    m.get(i),
                    single.get(i)
                ));
            }
        }
    }
    Ok(())
}

fn cross_lists() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    let list = prop::collection::vec(prop_oneof![3 => 1usize..=30, 1 => 1usize..=150], 1..=5);
    (list.clone(), list)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Masks and counts against the single calls, on every backend
    /// (bit-identical to each other), serial ≡ parallel, counts-only ≡
    /// counts.
    #[test]
    fn cross_sweep_matches_single_calls(
        (_kind, x) in any_series(200, 900),
        (fast, slow) in cross_lists(),
    ) {
        let reference = with_backend(Backend::Scalar, || cross_sweep(&x, &fast, &slow)).unwrap().unwrap();
        check_cross(&x, &fast, &slow, &reference).map_err(TestCaseError::fail)?;
        for b in Backend::available() {
            let got = with_backend(b, || cross_sweep(&x, &fast, &slow)).unwrap().unwrap();
            prop_assert_eq!(&got, &reference, "{}", b);
            let counts = with_backend(b, || cross_sweep_counts(&x, &fast, &slow)).unwrap().unwrap();
            prop_assert_eq!(counts.as_slice(), reference.counts(), "{}", b);
            let par = with_backend(b, || cross_sweep_par(&x, &fast, &slow)).unwrap().unwrap();
            prop_assert_eq!(&par, &reference, "{} parallel", b);
            let par_counts = with_backend(b, || cross_sweep_counts_par(&x, &fast, &slow)).unwrap().unwrap();
            prop_assert_eq!(par_counts.as_slice(), reference.counts(), "{} parallel", b);
            same_every_algorithm(b, &x, &fast, &slow, &reference)?;
        }
    }
}

/// Every algorithm, serial and parallel, masks and counts, gives
/// `reference` on backend `b`.
fn same_every_algorithm(
    b: Backend,
    x: &[f64],
    fast: &[usize],
    slow: &[usize],
    reference: &CrossSweep,
) -> Result<(), TestCaseError> {
    for algo in [CrossAlgorithm::PairLoop, CrossAlgorithm::Events] {
        for par in [false, true] {
            let got = with_backend(b, || cross_sweep_with(x, fast, slow, algo, par))
                .unwrap()
                .unwrap();
            prop_assert_eq!(&got, reference, "{} {:?} parallel {}", b, algo, par);
            let counts = with_backend(b, || cross_sweep_counts_with(x, fast, slow, algo, par))
                .unwrap()
                .unwrap();
            prop_assert_eq!(
                counts.as_slice(),
                reference.counts(),
                "{} {:?} {}",
                b,
                algo,
                par
            );
            // Into dirty caller buffers: every word and count overwritten.
            let mut masks = vec![BitMask::ones(x.len()); reference.len()];
            let mut counts = vec![7u64; reference.len()];
            with_backend(b, || {
                cross_sweep_into(x, fast, slow, algo, par, &mut masks, &mut counts)
            })
            .unwrap()
            .unwrap();
            prop_assert_eq!(
                masks.as_slice(),
                reference.masks(),
                "into {} {:?} {}",
                b,
                algo,
                par
            );
            prop_assert_eq!(
                counts.as_slice(),
                reference.counts(),
                "into {} {:?}",
                b,
                algo
            );
        }
    }
    Ok(())
}

/// Every pair of fast 2..=100, slow up to 200 (the benchmark's 14,751
/// pairs) on random walks (1% steps, prices around 1e-7 and 1e9 + 1e-3
/// noise): the SMAs of all periods tangle every bar (hundreds of swaps,
/// moves far beyond the 4-wide window of the AVX2 insertion step); every
/// algorithm and backend gives the pair loop's masks, serial and in pools
/// of 2 and 3 threads, and the masks match `cross_above` on the sweep's
/// rows (the single calls up to near-ties).
#[test]
fn cross_sweep_events_all_pairs_random_walks() {
    let n = if cfg!(debug_assertions) { 400 } else { 3_000 };
    let fast: Vec<usize> = (2..=100).collect();
    let slow: Vec<usize> = (3..=200).collect();
    for (kind, seed) in [
        (Kind::RandomWalk, 21),
        (Kind::TinyPrices, 22),
        (Kind::LargeOffset, 23),
    ] {
        let mut x = series(kind, n, seed);
        if seed == 23 {
            sprinkle_non_finite(&mut x, 700, seed);
        }
        let reference =
            cross_sweep_with(&x, &fast, &slow, CrossAlgorithm::PairLoop, false).unwrap();
        assert!(reference.counts().iter().sum::<u64>() > 10 * n as u64);
        check_cross(&x, &fast, &slow, &reference).unwrap();
        for threads in [2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for b in Backend::available() {
                let ok = pool.install(|| same_every_algorithm(b, &x, &fast, &slow, &reference));
                assert!(ok.is_ok(), "{kind:?} {b} {threads} threads: {ok:?}");
            }
        }
    }
}

/// Small integers in runs (zeros, ones, twos) with NaN/±inf holes: the
/// SMAs of many periods are exactly equal over long stretches (all zero
/// in a zero run), so ties, and strict moves out of a tie, are everywhere.
fn tie_series() -> impl Strategy<Value = Vec<f64>> {
    let run = (
        prop_oneof![
            6 => (0u8..3).prop_map(f64::from),
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
        ],
        1usize..40,
    );
    prop::collection::vec(run, 1..60).prop_map(|runs| {
        runs.into_iter()
            .flat_map(|(v, len)| {
                // Non-finite values only as single holes.
                let len = if v.is_finite() { len } else { 1 };
                std::iter::repeat_n(v, len)
            })
            .collect()
    })
}

/// Period lists with duplicates and periods longer than the data.
fn tie_lists() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    let list = prop::collection::vec(
        prop_oneof![4 => 1usize..=12, 1 => 13usize..=64, 1 => 500usize..=3000],
        1..=8,
    );
    (list.clone(), list)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The event-driven sweep on tie-heavy data with NaN/±inf holes,
    /// duplicate pairs and periods longer than the series: equal to
    /// `cross_above` on the sweep's own SMA rows (and the single calls up
    /// to near-ties), and every algorithm, serial or parallel (in a pool
    /// of 5 threads, so the bars are cut into several ranges), gives the
    /// same masks and counts.
    #[test]
    fn cross_sweep_events_ties_holes_long_periods(
        x in tie_series(),
        (fast, slow) in tie_lists(),
    ) {
        let reference = cross_sweep_with(&x, &fast, &slow, CrossAlgorithm::PairLoop, false).unwrap();
        check_cross(&x, &fast, &slow, &reference).map_err(TestCaseError::fail)?;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(5).build().unwrap();
        pool.install(|| same_every_algorithm(Backend::active(), &x, &fast, &slow, &reference))?;
    }
}

/// A hand-made tie case: `SMA(1) = x` and `SMA(2)` start equal (flat),
/// `x` then moves up strictly: the cross is on the first strict bar, not
/// at the tie; a NaN right before a strict move gives no cross.
#[test]
fn cross_sweep_events_tie_then_strict_move() {
    let x = [
        1.0,
        1.0,
        1.0,
        2.0,
        2.0,
        1.0,
        f64::NAN,
        3.0,
        3.0,
        1.0,
        1.0,
        4.0,
    ];
    for algo in [CrossAlgorithm::PairLoop, CrossAlgorithm::Events] {
        let got = cross_sweep_with(&x, &[1], &[2], algo, false).unwrap();
        // SMA(2): NaN, 1, 1, 1.5, 2, 1.5, NaN, NaN, 3, 2, 1, 2.5.
        // x > SMA(2) at 3 (1 <= 1 at 2) and at 11 (1 <= 1 at 10).
        assert_eq!(
            got.masks()[0].iter_ones().collect::<Vec<_>>(),
            [3, 11],
            "{algo:?}"
        );
        assert_eq!(got.counts(), [2]);
    }
}

/// A walk with a shock (up or down, 0.5% to 60%) every 40 bars, periods
/// 1..=90: at a shock the short periods jump past up to all the others,
/// so the insertion step moves entries by every distance from 1 to 89
/// (branch-free windows of 8, blocks of 8 beyond, a move ending exactly
/// at a block's edge) and just after it many movers follow each other
/// closely (windows carried between insertions); every algorithm and
/// backend gives the pair loop's masks, serial and on 2 threads.
#[test]
fn cross_sweep_events_long_moves() {
    let n = if cfg!(debug_assertions) { 600 } else { 4_000 };
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut level = 100.0;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let shock = if i % 40 == 39 {
                let size = 0.005 + 0.6 * next();
                if next() < 0.5 {
                    1.0 + size
                } else {
                    1.0 / (1.0 + size)
                }
            } else {
                1.0
            };
            level *= shock * (1.0 + 0.01 * (next() - 0.5));
            level
        })
        .collect();
    let fast: Vec<usize> = (1..=45).collect();
    let slow: Vec<usize> = (2..=90).collect();
    let reference = cross_sweep_with(&x, &fast, &slow, CrossAlgorithm::PairLoop, false).unwrap();
    assert!(reference.counts().iter().sum::<u64>() > 10 * n as u64);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for b in Backend::available() {
        let ok = pool.install(|| same_every_algorithm(b, &x, &fast, &slow, &reference));
        assert!(ok.is_ok(), "{b}: {ok:?}");
    }
}

/// Every pair of 2..=60 on a 1e4-bar walk with flat runs and holes
/// (dense crossings: many swaps per bar), all algorithms identical,
/// serial and parallel in pools of 2 to 9 threads (so the bars are cut
/// into ranges at many different bars, each a possible crossing).
#[test]
fn cross_sweep_events_dense_many_pairs() {
    let n = if cfg!(debug_assertions) {
        1_500
    } else {
        10_000
    };
    let mut x = series(Kind::ConstantRuns, n, 5);
    sprinkle_non_finite(&mut x, 1500, 5);
    let fast: Vec<usize> = (2..=30).collect();
    let slow: Vec<usize> = (3..=60).collect();
    let reference = cross_sweep_with(&x, &fast, &slow, CrossAlgorithm::PairLoop, false).unwrap();
    assert!(reference.counts().iter().sum::<u64>() > 1000);
    for threads in [2, 3, 5, 7, 9] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let ok =
            pool.install(|| same_every_algorithm(Backend::active(), &x, &fast, &slow, &reference));
        assert!(ok.is_ok(), "{threads} threads: {ok:?}");
    }
}

#[test]
fn cross_sweep_long_series_every_backend() {
    // Noisy walk with flat runs and holes; 2e4 bars (2e3 in debug); fast
    // 2..=20 by 3, slow up to 120.
    let n = if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    };
    let mut x = series(Kind::ConstantRuns, n, 11);
    sprinkle_non_finite(&mut x, 3000, 11);
    let fast: Vec<usize> = (2..=20).step_by(3).collect();
    let slow: Vec<usize> = vec![5, 10, 21, 50, 64, 65, 120];
    let reference = with_backend(Backend::Scalar, || cross_sweep(&x, &fast, &slow))
        .unwrap()
        .unwrap();
    check_cross(&x, &fast, &slow, &reference).unwrap();
    assert!(reference.counts().iter().sum::<u64>() > 0);
    for b in Backend::available() {
        let got = with_backend(b, || cross_sweep_par(&x, &fast, &slow))
            .unwrap()
            .unwrap();
        assert_eq!(got, reference, "{b}");
    }
}

#[test]
fn cross_sweep_pairs_and_errors() {
    let x = series(Kind::RandomWalk, 300, 3);
    assert_eq!(
        cross_pairs(&[5, 2, 9], &[3, 9, 10]),
        vec![(5, 9), (5, 10), (2, 3), (2, 9), (2, 10), (9, 10)]
    );
    // No pair with fast < slow: an empty result, not an error.
    let none = cross_sweep(&x, &[10, 20], &[5, 10]).unwrap();
    assert!(none.is_empty() && none.masks().is_empty() && none.counts().is_empty());
    assert!(cross_sweep_counts(&x, &[10], &[10]).unwrap().is_empty());
    assert!(matches!(
        cross_sweep(&x, &[], &[5]),
        Err(Error::InvalidPeriod {
            name: "fast_periods.len()",
            ..
        })
    ));
    assert!(matches!(
        cross_sweep_counts(&x, &[2], &[]),
        Err(Error::InvalidPeriod {
            name: "slow_periods.len()",
            ..
        })
    ));
    assert!(matches!(
        cross_sweep(&x, &[0], &[5]),
        Err(Error::InvalidPeriod {
            name: "fast_period",
            value: 0,
            ..
        })
    ));
    assert!(matches!(
        cross_sweep_par(&x, &[2], &[200_000]),
        Err(Error::InvalidPeriod {
            name: "slow_period",
            ..
        })
    ));
    // Caller buffers of the wrong shape.
    let mut masks = vec![BitMask::zeros(x.len()); 2];
    let mut counts = vec![0u64; 2];
    let algo = CrossAlgorithm::Auto;
    assert!(matches!(
        cross_sweep_into(&x, &[2], &[3, 4, 5], algo, false, &mut masks, &mut counts),
        Err(Error::LengthMismatch {
            name: "masks",
            expected: 3,
            got: 2
        })
    ));
    assert!(matches!(
        cross_sweep_into(&x, &[2], &[3, 4], algo, false, &mut masks, &mut counts[..1]),
        Err(Error::LengthMismatch {
            name: "counts",
            expected: 2,
            got: 1
        })
    ));
    masks[1] = BitMask::zeros(x.len() - 1);
    assert!(matches!(
        cross_sweep_into(&x, &[2], &[3, 4], algo, false, &mut masks, &mut counts),
        Err(Error::LengthMismatch {
            name: "masks[k]",
            ..
        })
    ));
    assert!(matches!(
        cross_sweep_into(&x, &[0], &[3, 4], algo, false, &mut masks, &mut counts),
        Err(Error::InvalidPeriod {
            name: "fast_period",
            ..
        })
    ));
    // Empty series: empty masks, zero counts.
    let e = cross_sweep(&[], &[2], &[3]).unwrap();
    assert_eq!(e.len(), 1);
    assert!(e.masks()[0].is_empty() && e.counts() == [0]);
}

// ------------------------------------------------------------- thresholds

fn thresholds() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            4 => -1000.0..1000.0f64,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
            1 => Just(100.0f64),
        ],
        1..=12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every threshold's mask bit-identical to `compare` / the transition
    /// single call, on every backend; counts are the masks' popcounts.
    #[test]
    fn threshold_sweeps_equal_single_calls(
        (_kind, mut x) in any_series(200, 6000),
        mut ts in thresholds(),
        op in prop::sample::select(CmpOp::ALL.to_vec()),
        (now, before) in prop::sample::select(vec![
            (CmpOp::Gt, CmpOp::Le), (CmpOp::Lt, CmpOp::Ge), (CmpOp::Ge, CmpOp::Lt), (CmpOp::Le, CmpOp::Gt),
        ]),
    ) {
        // Thresholds that hit values of the series exactly (ties).
        if let Some(&v) = x.iter().find(|v| v.is_finite()) {
            ts.push(v);
        }
        if x.len() > 3000 {
            x[2048] = x[2047]; // a tie across a block boundary
        }
        for b in Backend::available() {
            let s = with_backend(b, || threshold_sweep(&x, op, &ts)).unwrap().unwrap();
            let c = with_backend(b, || threshold_cross_sweep(&x, now, before, &ts)).unwrap().unwrap();
            prop_assert!(same_bits(s.thresholds(), &ts));
            for (k, &t) in ts.iter().enumerate() {
                let want = with_backend(b, || compare(&x, op, t)).unwrap().unwrap();
                prop_assert_eq!(&s.masks()[k], &want, "{} compare t = {}", b, t);
                prop_assert_eq!(s.counts()[k], want.count_ones() as u64);
                let mut words = vec![0u64; x.len().div_ceil(64)];
                transition(b, &x, now, before, Rhs::Value(t), &mut words).unwrap();
                let want = BitMask::from_words(words, x.len()).unwrap();
                prop_assert_eq!(&c.masks()[k], &want, "{} transition t = {}", b, t);
                prop_assert_eq!(c.counts()[k], want.count_ones() as u64);
            }
        }
    }
}

#[test]
fn threshold_cross_sweep_is_cross_above_and_below() {
    let n = if cfg!(debug_assertions) {
        5_000
    } else {
        50_000
    };
    let mut x = rsi(&series(Kind::RandomWalk, n, 5), 14).unwrap();
    sprinkle_non_finite(&mut x, 700, 5);
    let ts: Vec<f64> = (10..=40).map(f64::from).collect();
    let above: ThresholdSweep = threshold_cross_sweep(&x, CmpOp::Gt, CmpOp::Le, &ts).unwrap();
    let below = threshold_cross_sweep(&x, CmpOp::Lt, CmpOp::Ge, &ts).unwrap();
    for (k, &t) in ts.iter().enumerate() {
        assert_eq!(above.masks()[k], cross_above(&x, t).unwrap(), "t = {t}");
        assert_eq!(below.masks()[k], cross_below(&x, t).unwrap(), "t = {t}");
    }
    assert!(above.counts().iter().all(|&c| c > 0));
    assert!(matches!(
        threshold_sweep(&x, CmpOp::Lt, &[]),
        Err(Error::InvalidPeriod {
            name: "thresholds.len()",
            ..
        })
    ));
    let e = threshold_sweep(&[], CmpOp::Lt, &[1.0]).unwrap();
    assert!(e.masks()[0].is_empty() && e.counts() == [0]);
}

// -------------------------------------------------------------- EMA / RSI

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Bit-identical to the single calls on every backend.
    #[test]
    fn ema_rsi_sweeps_equal_single_calls(
        (_kind, x) in any_series(100, 2000),
        ps in prop::collection::vec(prop_oneof![3 => 2usize..=40, 1 => 2usize..=300], 1..=6),
    ) {
        for b in Backend::available() {
            let e = with_backend(b, || ema_sweep(&x, &ps)).unwrap().unwrap();
            let r = with_backend(b, || rsi_sweep(&x, &ps)).unwrap().unwrap();
            for (j, &p) in ps.iter().enumerate() {
                let want = with_backend(b, || ema(&x, p)).unwrap().unwrap();
                prop_assert!(same_bits(&e[j], &want), "{b}: ema p = {p}");
                let want = with_backend(b, || rsi(&x, p)).unwrap().unwrap();
                prop_assert!(same_bits(&r[j], &want), "{b}: rsi p = {p}");
            }
        }
    }
}

#[test]
fn ema_rsi_sweep_errors() {
    let x = [1.0, 2.0, 3.0];
    assert!(matches!(
        ema_sweep(&x, &[]),
        Err(Error::InvalidPeriod {
            name: "periods.len()",
            ..
        })
    ));
    assert!(matches!(
        ema_sweep(&x, &[0]),
        Err(Error::InvalidPeriod {
            name: "period",
            value: 0,
            ..
        })
    ));
    assert!(matches!(
        rsi_sweep(&x, &[1]),
        Err(Error::InvalidPeriod {
            name: "period",
            value: 1,
            ..
        })
    ));
    assert_eq!(ema_sweep(&x, &[1]).unwrap(), vec![x.to_vec()]);
}
