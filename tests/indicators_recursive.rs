//! Recursive indicators (EMA, RSI, MACD, ATR, TRANGE): conformance with
//! TA-Lib 0.8.1, TA-Lib's conventions beyond the fixtures, the NaN policy,
//! every backend against the naive serial references within the bounds
//! stated in `ta_kernels::kernels::ema`, batch APIs, zero allocation.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::inputs::{ALL_KINDS, Rng, any_series, period_for, series};
use common::naive_recursive as naive;
use common::talib;
use proptest::prelude::*;
use ta_kernels::{Backend, Error, with_backend};

// ---------- counting allocator (per thread) ----------

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

// ---------- bounds (as documented in kernels::ema) ----------

const EPS: f64 = f64::EPSILON;
const ETA: f64 = f64::from_bits(1);

fn backends() -> Vec<Backend> {
    Backend::available().collect()
}

/// Running max of |v| within finite runs of `fin` (reset at each gap).
fn running_max(v: &[f64], fin: impl Fn(usize) -> bool) -> Vec<f64> {
    let mut m = 0.0f64;
    (0..v.len())
        .map(|i| {
            if !fin(i) {
                m = 0.0;
                return f64::NAN;
            }
            if v[i].is_finite() {
                m = m.max(v[i].abs());
            }
            m
        })
        .collect()
}

fn ema_bound(p: usize, m: f64) -> f64 {
    32.0 * (p + 16) as f64 * (EPS * m + ETA)
}

/// `den` is the reference's `g + l` at the bar: when the averages are
/// subnormal, their roundings are absolute (η), not relative.
fn rsi_bound(p: usize, den: f64) -> f64 {
    100.0 * 64.0 * (p + 16) as f64 * (EPS + ETA / den.max(ETA))
}

fn macd_bound(slow: usize, sig: usize, m: f64) -> f64 {
    96.0 * (slow + sig + 32) as f64 * (EPS * m + ETA)
}

/// NaN exactly where `want` is NaN; bit-identical if `exact`; else within
/// `bound(i)`.
fn check(what: &str, got: &[f64], want: &[f64], exact: bool, bound: impl Fn(usize) -> f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for i in 0..got.len() {
        let (g, w) = (got[i], want[i]);
        if w.is_nan() || g.is_nan() {
            assert!(w.is_nan() && g.is_nan(), "{what}[{i}]: got {g}, want {w}");
            continue;
        }
        if exact {
            assert_eq!(
                g.to_bits(),
                w.to_bits(),
                "{what}[{i}]: got {g:e}, want {w:e}"
            );
        } else if g != w {
            let b = bound(i);
            assert!(
                (g - w).abs() <= b,
                "{what}[{i}]: got {g:e}, want {w:e}, |d| {:e} > bound {b:e}",
                (g - w).abs()
            );
        }
    }
}

fn hlc_from(c: &[f64], seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = Rng::new(seed ^ 0x5555);
    let mut h = Vec::with_capacity(c.len());
    let mut l = Vec::with_capacity(c.len());
    for &v in c {
        let s = v.abs() * 0.01 * r.unit();
        h.push(v + s);
        l.push(v - s * r.unit());
    }
    (h, l)
}

// ---------- conformance with TA-Lib 0.8.1 fixtures ----------

#[test]
fn conformance_with_talib_fixtures() {
    for series in talib::SERIES {
        let (close, high, low) = talib::input(series);
        let scale = talib::mean_abs(&close);
        let ema_w = talib::load(series, "ema_20.csv");
        let rsi_w = talib::load(series, "rsi_14.csv");
        let macd_w = talib::load(series, "macd_12_26_9.csv");
        let atr_w = talib::load(series, "atr_14.csv");
        let tr_w = talib::load(series, "trange.csv");
        let col0 = |t: &talib::Table| t.columns.values().next().unwrap().clone();
        for b in backends() {
            with_backend(b, || {
                let tag = |s: &str| format!("{series}/{b}/{s}");
                let e = ta_kernels::ema(&close, 20).unwrap();
                let w = col0(&ema_w);
                let err_e = talib::assert_matches(&tag("ema"), &e, &w, scale, 1e-9);
                let r = ta_kernels::rsi(&close, 14).unwrap();
                let err_r = talib::assert_matches(&tag("rsi"), &r, &col0(&rsi_w), 100.0, 1e-9);
                let m = ta_kernels::macd(&close, 12, 26, 9).unwrap();
                let mut err_m = 0.0f64;
                for (got, name) in [(&m.macd, "macd"), (&m.signal, "macdsignal"), (&m.hist, "macdhist")] {
                    err_m = err_m.max(talib::assert_matches(&tag(name), got, macd_w.col(name), scale, 1e-9));
                }
                let a = ta_kernels::atr(&high, &low, &close, 14).unwrap();
                let err_a = talib::assert_matches(&tag("atr"), &a, &col0(&atr_w), scale, 1e-9);
                let t = ta_kernels::trange(&high, &low, &close).unwrap();
                let err_t = talib::assert_matches(&tag("trange"), &t, &col0(&tr_w), scale, 1e-9);
                eprintln!(
                    "conformance {series} {b}: ema {err_e:.2e} rsi {err_r:.2e} macd {err_m:.2e} atr {err_a:.2e} trange {err_t:.2e}"
                );
                if b == Backend::Scalar {
                    // The scalar backend follows TA-Lib 0.8.1's arithmetic order:
                    // EMA, RSI and TRANGE reproduce the fixtures bit for bit.
                    check(&tag("ema exact"), &e, &w, true, |_| 0.0);
                    check(&tag("rsi exact"), &r, &col0(&rsi_w), true, |_| 0.0);
                    check(&tag("trange exact"), &t, &col0(&tr_w), true, |_| 0.0);
                }
            })
            .unwrap();
        }
    }
}

// ---------- conventions beyond the fixtures ----------

fn all_backends_vs_naive_ema(x: &[f64], p: usize) {
    let want = naive::ema(x, p);
    let m = running_max(x, |i| x[i].is_finite());
    for b in backends() {
        let got = with_backend(b, || ta_kernels::ema(x, p).unwrap()).unwrap();
        check(
            &format!("ema p={p} n={} {b}", x.len()),
            &got,
            &want,
            b == Backend::Scalar,
            |i| ema_bound(p, m[i]),
        );
    }
}

fn all_backends_vs_naive_rsi(x: &[f64], p: usize) {
    let want = naive::rsi(x, p);
    let den = naive::rsi_denominator(x, p);
    for b in backends() {
        let got = with_backend(b, || ta_kernels::rsi(x, p).unwrap()).unwrap();
        check(
            &format!("rsi p={p} n={} {b}", x.len()),
            &got,
            &want,
            b == Backend::Scalar,
            |i| rsi_bound(p, den[i]),
        );
        for v in got.iter().filter(|v| !v.is_nan()) {
            assert!((0.0..=100.0).contains(v), "rsi out of [0, 100]: {v}");
        }
    }
}

fn all_backends_vs_naive_macd(x: &[f64], f: usize, s: usize, g: usize) {
    let want = naive::macd(x, f, s, g);
    let m = running_max(x, |i| x[i].is_finite());
    let slow = f.max(s);
    for b in backends() {
        let got = with_backend(b, || ta_kernels::macd(x, f, s, g).unwrap()).unwrap();
        for (k, (gv, name)) in [
            (&got.macd, "macd"),
            (&got.signal, "signal"),
            (&got.hist, "hist"),
        ]
        .into_iter()
        .enumerate()
        {
            check(
                &format!("{name} {f}/{s}/{g} n={} {b}", x.len()),
                gv,
                &want[k],
                b == Backend::Scalar,
                |i| macd_bound(slow, g, m[i]),
            );
        }
    }
}

fn all_backends_vs_naive_atr(h: &[f64], l: &[f64], c: &[f64], p: usize) {
    let want = naive::atr(h, l, c, p);
    let tr = naive::trange(h, l, c);
    let fin = |i: usize| h[i].is_finite() && l[i].is_finite() && c[i].is_finite();
    let m = running_max(&tr, fin);
    let want_tr = naive::trange(h, l, c);
    for b in backends() {
        let got = with_backend(b, || ta_kernels::atr(h, l, c, p).unwrap()).unwrap();
        check(
            &format!("atr p={p} n={} {b}", h.len()),
            &got,
            &want,
            b == Backend::Scalar,
            |i| ema_bound(p, m[i]),
        );
        let got = with_backend(b, || ta_kernels::trange(h, l, c).unwrap()).unwrap();
        check(
            &format!("trange n={} {b}", h.len()),
            &got,
            &want_tr,
            true,
            |_| 0.0,
        );
    }
}

#[test]
fn macd_other_periods_and_swap() {
    let x = series(common::inputs::Kind::RandomWalk, 700, 7);
    for &(f, s, g) in &[
        (5, 35, 5),
        (3, 10, 1),
        (12, 26, 9),
        (2, 2, 1),
        (34, 35, 2),
        (26, 12, 9),
        (35, 5, 5),
    ] {
        all_backends_vs_naive_macd(&x, f, s, g);
    }
    // Swap: fast > slow equals the ordered call, bit for bit.
    let a = ta_kernels::macd(&x, 26, 12, 9).unwrap();
    let b = ta_kernels::macd(&x, 12, 26, 9).unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(ta_kernels::macd_lookback(26, 12, 9).unwrap(), 33);
    // The fast seed ends at bar slow−1 (not the mean of the first `fast`).
    let m = ta_kernels::macd(&x, 5, 35, 5).unwrap();
    let first = (35 - 1) + (5 - 1);
    assert!(m.macd[first - 1].is_nan() && !m.macd[first].is_nan());
    // signal period 1: signal = macd, hist = 0.
    let m = ta_kernels::macd(&x, 3, 10, 1).unwrap();
    for i in 9..x.len() {
        assert_eq!(m.signal[i].to_bits(), m.macd[i].to_bits());
        assert_eq!(m.hist[i], 0.0);
    }
    assert!(m.macd[8].is_nan());
}

#[test]
fn rsi_flat_tiny_and_scale_invariance() {
    // Flat series: g + l == 0 → 0 (TA-Lib 0.8.1's exact test, no 50).
    let flat = vec![42.0; 60];
    for b in backends() {
        let r = with_backend(b, || ta_kernels::rsi(&flat, 14).unwrap()).unwrap();
        assert!(r[..14].iter().all(|v| v.is_nan()));
        assert!(r[14..].iter().all(|&v| v == 0.0), "{b}: {r:?}");
    }
    // Flat after movement: stays a proper ratio (not zeroed).
    let mut x: Vec<f64> = (0..30).map(|i| 100.0 + (i % 3) as f64).collect();
    x.extend(std::iter::repeat_n(101.0, 40));
    all_backends_vs_naive_rsi(&x, 14);
    // Scale invariance: ×1e-7 and ×1e5 give the same RSI within 1e-9.
    // (Not on kinds whose price changes are ~1e-12 of the price: rounding
    // the scaled prices changes those changes themselves by ~1e-4 relative,
    // so no algorithm can be invariant there; nor on subnormals.)
    use common::inputs::Kind;
    for kind in ALL_KINDS {
        if matches!(
            kind,
            Kind::Subnormal | Kind::LargeOffset | Kind::JumpThenCalm
        ) {
            continue;
        }
        let x = series(kind, 3000, 11);
        for b in backends() {
            with_backend(b, || {
                let base = ta_kernels::rsi(&x, 14).unwrap();
                for f in [1e-7, 1e5] {
                    let xs: Vec<f64> = x.iter().map(|v| v * f).collect();
                    let r = ta_kernels::rsi(&xs, 14).unwrap();
                    for (i, (a, c)) in base.iter().zip(&r).enumerate() {
                        assert!(
                            a.is_nan() == c.is_nan() && (a.is_nan() || (a - c).abs() <= 1e-9),
                            "{kind:?} {b} ×{f} [{i}]: {a} vs {c}"
                        );
                    }
                }
            })
            .unwrap();
        }
    }
    // Prices around 1e-7 behave (not zeroed by an absolute epsilon).
    let tiny = series(common::inputs::Kind::TinyPrices, 500, 3);
    let r = ta_kernels::rsi(&tiny, 14).unwrap();
    assert!(r[14..].iter().all(|&v| v > 0.0 && v < 100.0));
    all_backends_vs_naive_rsi(&tiny, 14);
}

#[test]
fn edge_periods() {
    let x = series(common::inputs::Kind::RandomWalk, 97, 5);
    let (h, l) = hlc_from(&x, 5);
    let n = x.len();
    for p in [1, 2, 3, n - 1, n, n + 1] {
        all_backends_vs_naive_ema(&x, p);
        if p >= 2 {
            all_backends_vs_naive_rsi(&x, p);
            all_backends_vs_naive_macd(&x, 2, p, 1);
            all_backends_vs_naive_macd(&x, p, 2, 2);
        }
        all_backends_vs_naive_atr(&h, &l, &x, p);
    }
    // Period 1: EMA is the identity; ATR is TRANGE with lookback 1.
    assert_eq!(ta_kernels::ema(&x, 1).unwrap(), x);
    let a = ta_kernels::atr(&h, &l, &x, 1).unwrap();
    let t = ta_kernels::trange(&h, &l, &x).unwrap();
    assert_eq!(format!("{a:?}"), format!("{t:?}"));
    assert!(a[0].is_nan() && !a[1].is_nan());
    // Lookbacks.
    assert_eq!(ta_kernels::ema_lookback(20).unwrap(), 19);
    assert_eq!(ta_kernels::rsi_lookback(14).unwrap(), 14);
    assert_eq!(ta_kernels::atr_lookback(14).unwrap(), 14);
    assert_eq!(ta_kernels::atr_lookback(1).unwrap(), 1);
    assert_eq!(ta_kernels::trange_lookback().unwrap(), 1);
    assert_eq!(ta_kernels::macd_lookback(12, 26, 9).unwrap(), 33);
    // Output exactly at the lookback: period = len → EMA has one value,
    // RSI and ATR none.
    let e = ta_kernels::ema(&x, n).unwrap();
    assert_eq!(e.iter().filter(|v| !v.is_nan()).count(), 1);
    assert!(ta_kernels::rsi(&x, n).unwrap().iter().all(|v| v.is_nan()));
    assert_eq!(
        ta_kernels::rsi(&x, n - 1)
            .unwrap()
            .iter()
            .filter(|v| !v.is_nan())
            .count(),
        1
    );
    // Empty input.
    assert!(ta_kernels::ema(&[], 5).unwrap().is_empty());
    assert!(ta_kernels::macd(&[], 12, 26, 9).unwrap().macd.is_empty());
    assert!(ta_kernels::trange(&[], &[], &[]).unwrap().is_empty());
}

// ---------- NaN policy ----------

#[test]
fn nan_policy_restarts_after_gaps() {
    let x = series(common::inputs::Kind::RandomWalk, 300, 9);
    let mut y = x.clone();
    y[0] = f64::NAN;
    y[1] = f64::NAN;
    y[100] = f64::NAN;
    y[200] = f64::INFINITY;
    y[201] = f64::NEG_INFINITY;
    for b in backends() {
        with_backend(b, || {
            let e = ta_kernels::ema(&y, 10).unwrap();
            // Leading NaNs skipped: first output lookback bars after bar 2.
            assert!(e[..11].iter().all(|v| v.is_nan()) && !e[11].is_nan());
            // After the gap at 100: restart as if the series began at 101.
            let seg = ta_kernels::ema(&y[101..200], 10).unwrap();
            assert!(e[100..110].iter().all(|v| v.is_nan()));
            assert_eq!(format!("{:?}", &e[101..200]), format!("{seg:?}"));
            assert!(e[200..211].iter().all(|v| v.is_nan()) && !e[211].is_nan());
            let r = ta_kernels::rsi(&y, 14).unwrap();
            let seg = ta_kernels::rsi(&y[101..200], 14).unwrap();
            assert_eq!(format!("{:?}", &r[101..200]), format!("{seg:?}"));
            assert!(r[..16].iter().all(|v| v.is_nan()) && !r[16].is_nan());
            let m = ta_kernels::macd(&y, 12, 26, 9).unwrap();
            let seg = ta_kernels::macd(&y[101..200], 12, 26, 9).unwrap();
            assert_eq!(
                format!("{:?}", &m.signal[101..200]),
                format!("{:?}", seg.signal)
            );
            // ATR/TRANGE: a bar is finite only if h, l, c all are.
            let (h, mut l) = hlc_from(&x, 1);
            l[50] = f64::NAN;
            let t = ta_kernels::trange(&h, &l, &x).unwrap();
            assert!(t[0].is_nan() && t[50].is_nan() && t[51].is_nan() && !t[52].is_nan());
            let a = ta_kernels::atr(&h, &l, &x, 5).unwrap();
            assert!(a[50..56].iter().all(|v| v.is_nan()) && !a[56].is_nan());
            let seg = ta_kernels::atr(&h[51..], &l[51..], &x[51..], 5).unwrap();
            assert_eq!(format!("{:?}", &a[51..]), format!("{seg:?}"));
        })
        .unwrap();
    }
    // All NaN.
    let z = vec![f64::NAN; 10];
    assert!(ta_kernels::ema(&z, 3).unwrap().iter().all(|v| v.is_nan()));
    assert!(ta_kernels::rsi(&z, 3).unwrap().iter().all(|v| v.is_nan()));
}

// ---------- errors ----------

#[test]
fn errors() {
    let x = [1.0, 2.0, 3.0];
    let bad = |r: Result<Vec<f64>, Error>, min: usize| match r {
        Err(Error::InvalidPeriod {
            min: m,
            max: 100_000,
            ..
        }) => assert_eq!(m, min),
        other => panic!("expected InvalidPeriod, got {other:?}"),
    };
    bad(ta_kernels::ema(&x, 0), 1);
    bad(ta_kernels::ema(&x, 100_001), 1);
    bad(ta_kernels::rsi(&x, 1), 2);
    bad(ta_kernels::rsi(&x, 0), 2);
    bad(ta_kernels::atr(&x, &x, &x, 0), 1);
    assert!(matches!(
        ta_kernels::macd(&x, 1, 26, 9),
        Err(Error::InvalidPeriod {
            name: "fast_period",
            min: 2,
            ..
        })
    ));
    assert!(matches!(
        ta_kernels::macd(&x, 12, 100_001, 9),
        Err(Error::InvalidPeriod {
            name: "slow_period",
            ..
        })
    ));
    assert!(matches!(
        ta_kernels::macd(&x, 12, 26, 0),
        Err(Error::InvalidPeriod {
            name: "signal_period",
            min: 1,
            ..
        })
    ));
    assert!(ta_kernels::macd_lookback(12, 26, 0).is_err());
    assert!(ta_kernels::ema_lookback(0).is_err());
    assert!(ta_kernels::rsi_lookback(1).is_err());
    assert!(matches!(
        ta_kernels::atr(&x, &x[..2], &x, 3),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        ta_kernels::trange(&x, &x, &x[..1]),
        Err(Error::LengthMismatch { .. })
    ));
    let mut o = [0.0; 2];
    assert!(matches!(
        ta_kernels::ema_into(&x, 2, &mut o),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        ta_kernels::rsi_into(&x, 2, &mut o),
        Err(Error::LengthMismatch { .. })
    ));
    let (mut a, mut b, mut c) = ([0.0; 3], [0.0; 3], [0.0; 2]);
    assert!(matches!(
        ta_kernels::macd_into(&x, 2, 3, 1, &mut a, &mut b, &mut c),
        Err(Error::LengthMismatch { .. })
    ));
    // Batches: unequal series, wrong number of outputs.
    let y = [1.0, 2.0];
    assert!(matches!(
        ta_kernels::ema_many(&[&x, &y], 2),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        ta_kernels::rsi_many(&[&x, &y], 2),
        Err(Error::LengthMismatch { .. })
    ));
    let mut o1 = [0.0; 3];
    let mut outs: Vec<&mut [f64]> = vec![&mut o1];
    assert!(matches!(
        ta_kernels::ema_many_into(&[&x, &x], 2, &mut outs),
        Err(Error::LengthMismatch { .. })
    ));
    bad(ta_kernels::ema_many(&[&x], 0).map(|_| vec![]), 1);
    // Explicit-backend kernels check arguments the same way.
    for b in backends() {
        let mut o = [0.0; 3];
        assert!(ta_kernels::kernels::ema::ema(b, &x, 0, &mut o).is_err());
        assert!(ta_kernels::kernels::ema::rsi(b, &x, 2, &mut o[..2]).is_err());
    }
}

// ---------- batches ----------

fn batch_case(b: Backend, count: usize, n: usize, p: usize, with_nan: bool) {
    let mut xs: Vec<Vec<f64>> = (0..count)
        .map(|j| series(ALL_KINDS[j % 7], n, j as u64))
        .collect();
    if with_nan && count > 2 && n > 0 {
        xs[1][n / 2] = f64::NAN;
    }
    let refs: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
    with_backend(b, || {
        let many = ta_kernels::ema_many(&refs, p).unwrap();
        let many_r = ta_kernels::rsi_many(&refs, p.max(2)).unwrap();
        for (j, x) in xs.iter().enumerate() {
            let one = ta_kernels::ema(x, p).unwrap();
            let m = running_max(x, |i| x[i].is_finite());
            let want = naive::ema(x, p);
            check(
                &format!("ema_many {b} #{j}"),
                &many[j],
                &one,
                b == Backend::Scalar,
                |i| 2.0 * ema_bound(p, m[i]),
            );
            check(
                &format!("ema_many vs naive {b} #{j}"),
                &many[j],
                &want,
                b == Backend::Scalar,
                |i| ema_bound(p, m[i]),
            );
            let one = ta_kernels::rsi(x, p.max(2)).unwrap();
            let want = naive::rsi(x, p.max(2));
            let den = naive::rsi_denominator(x, p.max(2));
            check(
                &format!("rsi_many {b} #{j}"),
                &many_r[j],
                &one,
                b == Backend::Scalar,
                |i| 2.0 * rsi_bound(p.max(2), den[i]),
            );
            check(
                &format!("rsi_many vs naive {b} #{j}"),
                &many_r[j],
                &want,
                b == Backend::Scalar,
                |i| rsi_bound(p.max(2), den[i]),
            );
        }
    })
    .unwrap();
}

#[test]
fn many_equals_one_by_one() {
    for b in backends() {
        for &count in &[0, 1, 3, 4, 5, 8, 11, 17] {
            for &(n, p) in &[
                (0, 3),
                (5, 3),
                (37, 5),
                (200, 14),
                (203, 1),
                (64, 64),
                (64, 63),
                (10, 11),
            ] {
                batch_case(b, count, n, p, false);
                batch_case(b, count, n, p, true);
            }
        }
    }
}

/// A batch whose outputs exceed the 16 MiB streaming threshold: the AVX2
/// kernel then writes with non-temporal stores, starting its vector loop at
/// the first 32-byte boundary. Outputs at every alignment must hold the same
/// bits as the same series in small (cached-store) batches.
#[test]
fn large_batches_stream_the_same_bits() {
    let (count, n, p) = (24, 90_001, 20);
    let xs: Vec<Vec<f64>> = (0..count)
        .map(|j| series(ALL_KINDS[j % 7], n, 100 + j as u64))
        .collect();
    let refs: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
    for b in backends() {
        for shift in 0..4 {
            // Each output starts `shift + j` elements into its buffer, so the
            // group's outputs have mixed alignments when `j` varies.
            let mut store: Vec<Vec<f64>> = (0..count).map(|_| vec![0.0; n + 8]).collect();
            let mut outs: Vec<&mut [f64]> = store
                .iter_mut()
                .enumerate()
                .map(|(j, v)| {
                    let o = if j < 8 { shift } else { (shift + j) % 4 };
                    &mut v[o..o + n]
                })
                .collect();
            ta_kernels::kernels::ema::ema_many(b, &refs, p, &mut outs).unwrap();
            for group in (0..count).step_by(4) {
                // Four series in a batch take the cached-store lanes.
                let mut four_store = vec![vec![0.0; n]; 4];
                let mut four: Vec<&mut [f64]> =
                    four_store.iter_mut().map(|v| v.as_mut_slice()).collect();
                ta_kernels::kernels::ema::ema_many(b, &refs[group..group + 4], p, &mut four)
                    .unwrap();
                for (q, lanes) in four_store.iter().enumerate() {
                    let got = &outs[group + q];
                    let same = (0..n).all(|i| got[i].to_bits() == lanes[i].to_bits());
                    assert!(same, "{b} shift {shift} series {}", group + q);
                }
            }
            if shift > 0 {
                continue;
            }
            for (j, x) in xs.iter().enumerate() {
                let got = &outs[j];
                let mut small = vec![0.0; n];
                let mut one: Vec<&mut [f64]> = vec![&mut small];
                ta_kernels::kernels::ema::ema_many(b, &[x.as_slice()], p, &mut one).unwrap();
                let m = running_max(x, |i| x[i].is_finite());
                check(
                    &format!("large batch vs one {b} #{j}"),
                    got,
                    &small,
                    b == Backend::Scalar,
                    |i| 2.0 * ema_bound(p, m[i]),
                );
            }
        }
    }
}

// ---------- _into allocates nothing ----------

#[test]
fn into_allocates_nothing() {
    let x = series(common::inputs::Kind::RandomWalk, 5000, 1);
    let (h, l) = hlc_from(&x, 1);
    let xs: Vec<Vec<f64>> = (0..9)
        .map(|j| series(common::inputs::Kind::RandomWalk, 1000, j))
        .collect();
    let refs: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
    let mut outs_store = vec![vec![0.0; 1000]; 9];
    let mut o = vec![0.0; x.len()];
    let (mut m1, mut m2, mut m3) = (o.clone(), o.clone(), o.clone());
    let _ = Backend::active();
    for b in backends() {
        with_backend(b, || {
            let mut outs: Vec<&mut [f64]> =
                outs_store.iter_mut().map(|v| v.as_mut_slice()).collect();
            let before = allocs();
            ta_kernels::ema_into(&x, 20, &mut o).unwrap();
            ta_kernels::rsi_into(&x, 14, &mut o).unwrap();
            ta_kernels::atr_into(&h, &l, &x, 14, &mut o).unwrap();
            ta_kernels::trange_into(&h, &l, &x, &mut o).unwrap();
            ta_kernels::macd_into(&x, 12, 26, 9, &mut m1, &mut m2, &mut m3).unwrap();
            ta_kernels::ema_many_into(&refs, 20, &mut outs).unwrap();
            ta_kernels::rsi_many_into(&refs, 14, &mut outs).unwrap();
            assert_eq!(allocs() - before, 0, "{b}: _into allocated");
            // The counter does count (the test can fail).
            let v = ta_kernels::ema(&x, 20).unwrap();
            assert!(allocs() - before >= 1 && v.len() == x.len());
        })
        .unwrap();
    }
}

// ---------- property tests: every backend vs the naive references ----------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn prop_ema_rsi((_kind, x) in any_series(3 * 16 + 7, 20_000), p0 in 1usize..10_000, pick in 0usize..4) {
        let n = x.len();
        let p = match pick { 0 => 1 + p0 % (n + 2).max(1), 1 => 1 + p0 % 30, _ => 1 + p0 % 16 };
        all_backends_vs_naive_ema(&x, p);
        all_backends_vs_naive_rsi(&x, p.max(2));
    }

    #[test]
    fn prop_macd((_kind, x) in any_series(3 * 16 + 7, 20_000), f in 2usize..40, s in 2usize..60, g in 1usize..20) {
        all_backends_vs_naive_macd(&x, f, s, g);
    }

    #[test]
    fn prop_atr((_kind, x) in any_series(3 * 16 + 7, 20_000), seed in any::<u64>(), p in 1usize..40) {
        let (h, l) = hlc_from(&x, seed);
        all_backends_vs_naive_atr(&h, &l, &x, p);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn prop_long_series((_kind, x) in any_series(100_000, 100_000), p in period_for(1000)) {
        all_backends_vs_naive_ema(&x, p);
        all_backends_vs_naive_rsi(&x, p.max(2));
        let (h, l) = hlc_from(&x, p as u64);
        all_backends_vs_naive_atr(&h, &l, &x, p);
        // MACD's unrolled AVX2 recurrence over many 4-bar steps.
        all_backends_vs_naive_macd(&x, 12, 26, 9);
        all_backends_vs_naive_macd(&x, 2 + p % 40, 2 + p % 200, 1 + p % 50);
    }
}

/// Seed cases over every length and start offset (memchr style).
#[test]
fn seeds_every_length_and_offset() {
    for kind in ALL_KINDS {
        let base = series(kind, 3 * 16 + 7 + 8, 99);
        for off in 0..8 {
            for len in 0..=3 * 16 + 7 {
                let x = &base[off..off + len];
                for p in [1, 2, 5, 16] {
                    all_backends_vs_naive_ema(x, p);
                }
                all_backends_vs_naive_rsi(x, 3);
                all_backends_vs_naive_macd(x, 3, 5, 2);
            }
        }
    }
}
