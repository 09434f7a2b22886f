//! `ta_kernels::parallel`: many symbols and one long series across
//! threads, against the serial functions, on every backend and on pools of
//! 1, 2 and 3 threads.

mod common;

#[cfg(feature = "rayon")]
use std::sync::OnceLock;

use common::inputs::{ALL_KINDS, Rng, series, sprinkle_non_finite};
use proptest::prelude::*;
use ta_kernels::parallel;
use ta_kernels::trigger::{Bars, Column, Plan, TriggerSet};
use ta_kernels::{Backend, BitMask, Error, with_backend};

// ---------- helpers ----------

#[cfg(feature = "rayon")]
fn pools() -> &'static [rayon::ThreadPool] {
    static POOLS: OnceLock<Vec<rayon::ThreadPool>> = OnceLock::new();
    POOLS.get_or_init(|| {
        [1usize, 2, 3]
            .iter()
            .map(|&t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .expect("pool")
            })
            .collect()
    })
}

/// `f` under `backend` (without the `rayon` feature: serially, once).
#[cfg(not(feature = "rayon"))]
fn on_pools<R>(backend: Backend, f: impl Fn() -> R) -> R {
    with_backend(backend, f).unwrap()
}

/// `f` under `backend` on every pool; every result must be the same.
#[cfg(feature = "rayon")]
fn on_pools<R: std::fmt::Debug + Send>(backend: Backend, f: impl Fn() -> R + Sync + Send) -> R {
    let mut results: Vec<R> = pools()
        .iter()
        .map(|p| p.install(|| with_backend(backend, &f).unwrap()))
        .collect();
    let first = results.remove(0);
    for r in &results {
        assert_eq!(format!("{r:?}"), format!("{first:?}"), "pools disagree");
    }
    first
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && bits(a) == bits(b)
}

/// Largest finite |x| (the `M` of the recursive kernels' bounds).
fn max_abs(x: &[f64]) -> f64 {
    x.iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()))
}

/// `a` and `b` agree: same NaN positions, and `|a − b| <= tol`.
fn close(a: &[f64], b: &[f64], tol: f64) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("lengths {} and {}", a.len(), b.len()));
    }
    for (i, (&u, &v)) in a.iter().zip(b).enumerate() {
        if u.is_nan() != v.is_nan() || (!u.is_nan() && (u - v).abs() > tol) {
            return Err(format!("at {i}: {u} vs {v} (tol {tol:e})"));
        }
    }
    Ok(())
}

const EPS: f64 = f64::EPSILON;
const ETA: f64 = 5e-324;

/// The bound of `kernels::ema` for EMA and ATR against the serial scalar
/// loop.
fn ema_bound(p: usize, m: f64) -> f64 {
    32.0 * (p as f64 + 16.0) * (EPS * m + ETA)
}

/// A random symbol: series of a random kind, length from `lens`, maybe
/// with non-finite values.
fn symbol(r: &mut Rng, lens: &[usize]) -> Vec<f64> {
    let kind = ALL_KINDS[r.below(ALL_KINDS.len())];
    let len = lens[r.below(lens.len())];
    let seed = r.next_u64();
    let mut v = series(kind, len, seed);
    if r.below(3) == 0 {
        sprinkle_non_finite(&mut v, 5 + r.below(60), seed);
    }
    v
}

/// High, low, close around a close series (low <= close <= high where
/// finite).
fn hlc(close: &[f64], seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = Rng::new(seed);
    let high = close
        .iter()
        .map(|c| c + c.abs() * 0.01 * r.unit())
        .collect();
    let low = close
        .iter()
        .map(|c| c - c.abs() * 0.01 * r.unit())
        .collect();
    (high, low)
}

// ---------- many series ----------

/// A function's name, its parallel results and the serial ones.
type Check = (&'static str, Vec<Vec<f64>>, Vec<Vec<f64>>);

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Every many-series function equals the serial function symbol by
    /// symbol (bit for bit; EMA/RSI: bit for bit against the 4-lane batch
    /// of its group, within the kernel bound against one-by-one), on every
    /// backend and pool size.
    #[test]
    fn many_series_equal_serial(seed in any::<u64>(), count in 0usize..20, period in 2usize..30) {
        let mut r = Rng::new(seed);
        let lens = [r.below(200), r.below(200), 1 + r.below(3000)];
        let xs: Vec<Vec<f64>> = (0..count).map(|_| symbol(&mut r, &lens)).collect();
        let refs: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
        for b in Backend::available() {
            let serial = |f: &dyn Fn(&[f64]) -> Vec<f64>| -> Vec<Vec<f64>> {
                with_backend(b, || refs.iter().map(|x| f(x)).collect()).unwrap()
            };
            let checks: [Check; 6] = [
                ("sma", on_pools(b, || parallel::sma_many(&refs, period).unwrap()),
                    serial(&|x| ta_kernels::sma(x, period).unwrap())),
                ("wma", on_pools(b, || parallel::wma_many(&refs, period).unwrap()),
                    serial(&|x| ta_kernels::wma(x, period).unwrap())),
                ("var", on_pools(b, || parallel::var_many(&refs, period).unwrap()),
                    serial(&|x| ta_kernels::var(x, period).unwrap())),
                ("stddev", on_pools(b, || parallel::stddev_many(&refs, period, 1.5).unwrap()),
                    serial(&|x| ta_kernels::stddev(x, period, 1.5).unwrap())),
                ("max", on_pools(b, || parallel::max_many(&refs, period).unwrap()),
                    serial(&|x| ta_kernels::max(x, period).unwrap())),
                ("min", on_pools(b, || parallel::min_many(&refs, period).unwrap()),
                    serial(&|x| ta_kernels::min(x, period).unwrap())),
            ];
            for (name, got, want) in &checks {
                prop_assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(want).enumerate() {
                    prop_assert!(same(g, w), "{} {} symbol {}", name, b, i);
                }
            }
            let bb = on_pools(b, || parallel::bbands_many(&refs, period, 2.0, 1.5).unwrap());
            let mc = on_pools(b, || parallel::macd_many(&refs, 12, period, 9).unwrap());
            for (i, x) in refs.iter().enumerate() {
                let want = with_backend(b, || ta_kernels::bbands(x, period, 2.0, 1.5).unwrap()).unwrap();
                prop_assert!(same(&bb[i].upper, &want.upper) && same(&bb[i].middle, &want.middle)
                    && same(&bb[i].lower, &want.lower), "bbands {} {}", b, i);
                let want = with_backend(b, || ta_kernels::macd(x, 12, period, 9).unwrap()).unwrap();
                prop_assert!(same(&mc[i].macd, &want.macd) && same(&mc[i].signal, &want.signal)
                    && same(&mc[i].hist, &want.hist), "macd {} {}", b, i);
            }
            // EMA and RSI through the 4-lane kernels, 8 series of one
            // length per group in input order.
            let ema = on_pools(b, || parallel::ema_many(&refs, period).unwrap());
            let rsi = on_pools(b, || parallel::rsi_many(&refs, period).unwrap());
            for len in lens {
                let idx: Vec<usize> = (0..count).filter(|&i| refs[i].len() == len).collect();
                for group in idx.chunks(8) {
                    let ins: Vec<&[f64]> = group.iter().map(|&i| refs[i]).collect();
                    let e = with_backend(b, || ta_kernels::ema_many(&ins, period).unwrap()).unwrap();
                    let s = with_backend(b, || ta_kernels::rsi_many(&ins, period).unwrap()).unwrap();
                    for (j, &i) in group.iter().enumerate() {
                        prop_assert!(same(&ema[i], &e[j]), "ema {} {}", b, i);
                        prop_assert!(same(&rsi[i], &s[j]), "rsi {} {}", b, i);
                    }
                }
            }
            for (i, x) in refs.iter().enumerate() {
                let one = with_backend(Backend::Scalar, || ta_kernels::ema(x, period).unwrap()).unwrap();
                let tol = if b == Backend::Scalar { 0.0 } else { ema_bound(period, max_abs(x)) };
                close(&ema[i], &one, tol).map_err(|e| TestCaseError::fail(format!("ema {b} {i}: {e}")))?;
                let one = with_backend(Backend::Scalar, || ta_kernels::rsi(x, period).unwrap()).unwrap();
                // (Other backends: the 4-lane kernel's own tests hold it
                // to its bound against one-by-one.)
                if b == Backend::Scalar {
                    prop_assert!(same(&rsi[i], &one), "rsi scalar {}", i);
                }
            }
        }
    }

    /// Trigger plans, series expressions, ATR and STOCH over many
    /// symbols: identical to the plan's serial evaluation per symbol.
    #[test]
    fn many_triggers_equal_serial(seed in any::<u64>(), count in 0usize..12) {
        let mut r = Rng::new(seed);
        let lens = [r.below(100), 1 + r.below(2000)];
        let closes: Vec<Vec<f64>> = (0..count).map(|_| symbol(&mut r, &lens)).collect();
        let hl: Vec<(Vec<f64>, Vec<f64>)> = closes.iter().enumerate().map(|(i, c)| hlc(c, seed ^ i as u64)).collect();
        let bars: Vec<Bars<'_>> = closes.iter().zip(&hl).map(|(c, (h, l))| {
            Bars::new().with(Column::High, h).with(Column::Low, l).with(Column::Close, c)
        }).collect();
        let set = TriggerSet::parse(SET).unwrap();
        let plan = set.plan().unwrap();
        for b in Backend::available() {
            let got = on_pools(b, || parallel::evaluate_many(&plan, &bars).unwrap());
            let atr = on_pools(b, || parallel::atr_many(&bars, 14).unwrap());
            let st = on_pools(b, || parallel::stoch_many(&bars, 5, 3, 4).unwrap());
            let exprs: Vec<ta_kernels::trigger::Series> =
                ["ema(close, 7) - sma(9)", "macd(5, 12, 4).hist", "(high + low) / 2"]
                    .iter().map(|t| t.parse().unwrap()).collect();
            let ms = on_pools(b, || parallel::map_series(&exprs, &bars).unwrap());
            // Into caller blocks (garbage first), one pool across two
            // calls, the second over the symbols in reverse order.
            let into = on_pools(b, || {
                let blocks = |bs: &[Bars<'_>]| -> Vec<Vec<f64>> {
                    bs.iter().map(|x| vec![-7.5; exprs.len() * x.len().unwrap()]).collect()
                };
                let rev: Vec<Bars<'_>> = bars.iter().rev().cloned().collect();
                let (mut first, mut second) = (blocks(&bars), blocks(&rev));
                let mut pool = Vec::new();
                parallel::map_series_into(&exprs, &bars, &mut slices(&mut first), &mut pool).unwrap();
                parallel::map_series_into(&exprs, &rev, &mut slices(&mut second), &mut pool).unwrap();
                (first, second)
            });
            for (i, m) in ms.iter().enumerate() {
                let n = bars[i].len().unwrap();
                for (j, v) in m.iter().enumerate() {
                    prop_assert!(same(&into.0[i][j * n..(j + 1) * n], v), "into {} {} {}", b, i, j);
                    prop_assert!(same(&into.1[count - 1 - i][j * n..(j + 1) * n], v));
                }
            }
            prop_assert_eq!(got.len(), count);
            for (i, bar) in bars.iter().enumerate() {
                let want = with_backend(b, || plan.evaluate(bar).unwrap()).unwrap();
                prop_assert_eq!(&got[i], &want);
                let (h, l, c) = (&hl[i].0, &hl[i].1, &closes[i]);
                let a = with_backend(b, || ta_kernels::atr(h, l, c, 14).unwrap()).unwrap();
                prop_assert!(same(&atr[i], &a));
                let s = with_backend(b, || ta_kernels::stoch(h, l, c, 5, 3, 4).unwrap()).unwrap();
                prop_assert!(same(&st[i].k, &s.k) && same(&st[i].d, &s.d));
                let named: Vec<(String, ta_kernels::trigger::Series)> =
                    exprs.iter().map(|e| (e.to_string(), e.clone())).collect();
                let p = Plan::with_series(&TriggerSet::new(), &named);
                let e = with_backend(b, || p.evaluate(bar).unwrap()).unwrap();
                for (j, (_, v)) in e.series().enumerate() {
                    prop_assert!(same(&ms[i][j], v));
                }
            }
        }
    }
}

/// Caller buffers for `refs`, filled with garbage (the `_into` variants
/// must overwrite every value).
fn garbage(refs: &[&[f64]], fill: f64) -> Vec<Vec<f64>> {
    refs.iter().map(|x| vec![fill; x.len()]).collect()
}

fn slices(v: &mut [Vec<f64>]) -> Vec<&mut [f64]> {
    v.iter_mut().map(Vec::as_mut_slice).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The `_into` variants write, into buffers holding garbage, exactly
    /// (bit for bit) what the allocating variants return, on every backend
    /// and pool size; `evaluate_many_in` with a pool reused across calls
    /// (of other symbols) equals the serial plan.
    #[test]
    fn many_into_equal_allocating(seed in any::<u64>(), count in 0usize..20, period in 2usize..30) {
        let mut r = Rng::new(seed);
        let lens = [r.below(200), r.below(200), 1 + r.below(3000)];
        let xs: Vec<Vec<f64>> = (0..count).map(|_| symbol(&mut r, &lens)).collect();
        let refs: Vec<&[f64]> = xs.iter().map(Vec::as_slice).collect();
        let fill = [f64::NAN, 1e300, -7.5, f64::INFINITY][r.below(4)];
        type Into = fn(&[&[f64]], usize, &mut [&mut [f64]]) -> ta_kernels::Result<()>;
        type Alloc = fn(&[&[f64]], usize) -> ta_kernels::Result<Vec<Vec<f64>>>;
        let pairs: [(&str, Into, Alloc); 7] = [
            ("sma", parallel::sma_many_into, parallel::sma_many),
            ("wma", parallel::wma_many_into, parallel::wma_many),
            ("var", parallel::var_many_into, parallel::var_many),
            ("max", parallel::max_many_into, parallel::max_many),
            ("min", parallel::min_many_into, parallel::min_many),
            ("ema", parallel::ema_many_into, parallel::ema_many),
            ("rsi", parallel::rsi_many_into, parallel::rsi_many),
        ];
        for b in Backend::available() {
            for (name, into, alloc) in pairs {
                let want = on_pools(b, || alloc(&refs, period).unwrap());
                let got = on_pools(b, || {
                    let mut o = garbage(&refs, fill);
                    into(&refs, period, &mut slices(&mut o)).unwrap();
                    o
                });
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    prop_assert!(same(g, w), "{} {} symbol {}", name, b, i);
                }
            }
            let want = on_pools(b, || parallel::stddev_many(&refs, period, 1.5).unwrap());
            let got = on_pools(b, || {
                let mut o = garbage(&refs, fill);
                parallel::stddev_many_into(&refs, period, 1.5, &mut slices(&mut o)).unwrap();
                o
            });
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                prop_assert!(same(g, w), "stddev {} symbol {}", b, i);
            }
            let want = on_pools(b, || parallel::bbands_many(&refs, period, 2.0, 1.5).unwrap());
            let got = on_pools(b, || {
                let (mut u, mut m, mut l) = (garbage(&refs, fill), garbage(&refs, fill), garbage(&refs, fill));
                parallel::bbands_many_into(&refs, period, 2.0, 1.5,
                    &mut slices(&mut u), &mut slices(&mut m), &mut slices(&mut l)).unwrap();
                (u, m, l)
            });
            for (i, w) in want.iter().enumerate() {
                prop_assert!(same(&got.0[i], &w.upper) && same(&got.1[i], &w.middle)
                    && same(&got.2[i], &w.lower), "bbands {} symbol {}", b, i);
            }
            let hl: Vec<(Vec<f64>, Vec<f64>)> =
                refs.iter().enumerate().map(|(i, c)| hlc(c, seed ^ i as u64)).collect();
            let bars: Vec<Bars<'_>> = refs.iter().zip(&hl).map(|(c, (h, l))| {
                Bars::new().with(Column::High, h).with(Column::Low, l).with(Column::Close, c)
            }).collect();
            let want = on_pools(b, || parallel::atr_many(&bars, period).unwrap());
            let got = on_pools(b, || {
                let mut o = garbage(&refs, fill);
                parallel::atr_many_into(&bars, period, &mut slices(&mut o)).unwrap();
                o
            });
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                prop_assert!(same(g, w), "atr {} symbol {}", b, i);
            }
            // One scratch pool across calls over different symbols.
            let plan = TriggerSet::parse(SET).unwrap().plan().unwrap();
            let got = on_pools(b, || {
                let mut pool = Vec::new();
                let first = parallel::evaluate_many_in(&plan, &bars, &mut pool).unwrap();
                let rev: Vec<Bars<'_>> = bars.iter().rev().cloned().collect();
                let second = parallel::evaluate_many_in(&plan, &rev, &mut pool).unwrap();
                (first, second)
            });
            for (i, bar) in bars.iter().enumerate() {
                let want = with_backend(b, || plan.evaluate(bar).unwrap()).unwrap();
                prop_assert_eq!(&got.0[i], &want);
                prop_assert_eq!(&got.1[count - 1 - i], &want);
            }
        }
    }
}

/// `map_series_into`: a block per symbol of `series × bars`, else
/// `LengthMismatch` naming `outs`; a missing column as `map_series`.
#[test]
fn map_series_into_errors() {
    let c = [1.0, 2.0, 3.0];
    let bars = vec![Bars::new().with(Column::Close, &c)];
    let exprs: Vec<ta_kernels::trigger::Series> = ["sma(2)", "close * 2"]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    let mut pool = Vec::new();
    let mut ok = [0.0; 6];
    parallel::map_series_into(&exprs, &bars, &mut [&mut ok[..]], &mut pool).unwrap();
    assert!(ok[0].is_nan() && ok[1..].iter().eq(&[1.5, 2.5, 2.0, 4.0, 6.0]));
    let mut short = [0.0; 5];
    let e = parallel::map_series_into(&exprs, &bars, &mut [&mut short[..]], &mut pool);
    assert!(matches!(
        e,
        Err(ta_kernels::Error::LengthMismatch {
            name: "outs",
            expected: 6,
            got: 5
        })
    ));
    let e = parallel::map_series_into(&exprs, &bars, &mut [], &mut pool);
    assert!(matches!(
        e,
        Err(ta_kernels::Error::LengthMismatch {
            name: "outs",
            expected: 1,
            got: 0
        })
    ));
    let atr: Vec<ta_kernels::trigger::Series> = vec!["atr(2)".parse().unwrap()];
    let mut o = [0.0; 3];
    let e = parallel::map_series_into(&atr, &bars, &mut [&mut o[..]], &mut pool);
    assert!(
        matches!(e, Err(ta_kernels::Error::MissingColumn { .. })),
        "{e:?}"
    );
}

#[test]
fn many_into_errors() {
    let x = [1.0, 2.0, 3.0];
    let xs: Vec<&[f64]> = vec![&x, &x[..2]];
    let mut a = [0.0; 3];
    let mut b = [0.0; 3];
    // Too few buffers, a buffer of the wrong length, a bad period.
    for f in [
        parallel::sma_many_into,
        parallel::wma_many_into,
        parallel::var_many_into,
        parallel::max_many_into,
        parallel::min_many_into,
        parallel::ema_many_into,
        parallel::rsi_many_into,
    ] {
        assert!(matches!(
            f(&xs, 2, &mut [&mut a[..]]),
            Err(Error::LengthMismatch {
                name: "outs",
                expected: 2,
                got: 1
            })
        ));
        assert!(matches!(
            f(&xs, 2, &mut [&mut a[..], &mut b[..]]),
            Err(Error::LengthMismatch {
                name: "outs",
                expected: 2,
                got: 3
            })
        ));
        assert!(matches!(
            f(&xs, 0, &mut [&mut a[..], &mut b[..2]]),
            Err(Error::InvalidPeriod { .. })
        ));
        assert!(f(&xs, 2, &mut [&mut a[..], &mut b[..2]]).is_ok());
    }
    let (mut u, mut m, mut l) = ([0.0; 3], [0.0; 3], [0.0; 2]);
    assert!(matches!(
        parallel::bbands_many_into(
            &xs[..1],
            2,
            2.0,
            2.0,
            &mut [&mut u[..]],
            &mut [&mut m[..]],
            &mut [&mut l[..]]
        ),
        Err(Error::LengthMismatch { name: "lower", .. })
    ));
    assert!(matches!(
        parallel::stddev_many_into(&xs[..1], 2, f64::NAN, &mut [&mut u[..]]),
        Err(Error::InvalidParameter { .. })
    ));
    // ATR: a missing column (the error atr_many reports), mismatched
    // columns, mismatched outputs.
    let bars = [Bars::from_close(&x)];
    let want = parallel::atr_many(&bars, 2).unwrap_err();
    assert!(matches!(want, Error::MissingColumn { .. }));
    assert_eq!(
        parallel::atr_many_into(&bars, 2, &mut [&mut a[..]]).unwrap_err(),
        want
    );
    let bars = [Bars::new()
        .with(Column::High, &x)
        .with(Column::Low, &x[..2])
        .with(Column::Close, &x)];
    assert!(matches!(
        parallel::atr_many_into(&bars, 2, &mut [&mut a[..]]),
        Err(Error::LengthMismatch { .. })
    ));
    let bars = [Bars::new()
        .with(Column::High, &x)
        .with(Column::Low, &x)
        .with(Column::Close, &x)];
    assert!(matches!(
        parallel::atr_many_into(&bars, 2, &mut [&mut l[..]]),
        Err(Error::LengthMismatch { name: "outs", .. })
    ));
    assert!(parallel::atr_many_into(&bars, 2, &mut [&mut a[..]]).is_ok());
}

const SET: &str = "\
golden = sma(close, 5) crosses_above sma(close, 20)
oversold = rsi(14) < 30 and close > bbands(20, 2, 2).lower
breakout = close > prev(max(high, 10), 1) or held(ema(8) > sma(16), 3)
squeeze = within(stoch(5, 3, 3).k crosses_below 20, 4) and atr(7) > 0.5 * stddev(10)
momentum = macd(6, 13, 5).hist crosses_above 0 or wma(close, 6) crosses_below var(close, 9)
";

#[test]
fn many_series_errors() {
    let x = [1.0, 2.0, 3.0];
    let xs: Vec<&[f64]> = vec![&x, &x[..2]];
    for f in [
        parallel::sma_many,
        parallel::ema_many,
        parallel::wma_many,
        parallel::var_many,
    ] {
        assert!(matches!(
            f(&xs, 0),
            Err(Error::InvalidPeriod { value: 0, .. })
        ));
        assert!(matches!(
            f(&[], 0),
            Err(Error::InvalidPeriod { value: 0, .. })
        ));
    }
    assert!(matches!(
        parallel::rsi_many(&xs, 1),
        Err(Error::InvalidPeriod { .. })
    ));
    assert!(matches!(
        parallel::stddev_many(&xs, 3, f64::NAN),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        parallel::macd_many(&xs, 0, 3, 3),
        Err(Error::InvalidPeriod { .. })
    ));
    // Columns of one symbol of different lengths.
    let bars = [Bars::new()
        .with(Column::High, &x)
        .with(Column::Low, &x[..2])
        .with(Column::Close, &x)];
    assert!(matches!(
        parallel::atr_many(&bars, 2),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        parallel::atr_many(&bars, 0),
        Err(Error::InvalidPeriod { .. })
    ));
    // A missing column.
    let bars = [Bars::from_close(&x)];
    assert!(matches!(
        parallel::stoch_many(&bars, 2, 2, 2),
        Err(Error::MissingColumn { column: "high", .. })
    ));
    let plan = TriggerSet::parse("a = atr(3) > 1").unwrap().plan().unwrap();
    assert!(matches!(
        parallel::evaluate_many(&plan, &bars),
        Err(Error::MissingColumn { .. })
    ));
    // Empty input: empty output.
    assert_eq!(parallel::sma_many(&[], 3).unwrap(), Vec::<Vec<f64>>::new());
    assert!(parallel::evaluate_many(&plan, &[]).unwrap().is_empty());
}

// ---------- one long series, chunked ----------

/// A random long-series case: series (with NaN holes sometimes), a chunk
/// length in 1..=len+1.
fn long_case(seed: u64) -> (Vec<f64>, usize, Rng) {
    let mut r = Rng::new(seed);
    let len = if r.below(5) == 0 {
        r.below(4000)
    } else {
        r.below(400)
    };
    let x = symbol(&mut r, &[len]);
    let chunk = match r.below(4) {
        0 => 1 + r.below(4),
        1 => 1 + r.below(len + 1),
        2 => len.max(1),
        _ => 1 + r.below(64),
    };
    (x, chunk, r)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// SMA, VAR, STDDEV, BBANDS, MIN, MAX, STOCH chunked: bit-identical to
    /// the serial indicator for every chunk length; WMA within its bound.
    #[test]
    fn windowed_chunked_equal_serial(seed in any::<u64>(), p in 1usize..40) {
        let (x, chunk, mut r) = long_case(seed);
        let (h, l) = hlc(&x, seed);
        let p2 = p.max(2);
        let (sk, sd) = (1 + r.below(5), 1 + r.below(5));
        for b in Backend::available() {
            let ser = |f: &dyn Fn() -> Vec<f64>| with_backend(b, f).unwrap();
            let pairs: [Check; 6] = [
                ("sma", on_pools(b, || vec![parallel::sma_chunked(&x, p, chunk).unwrap()]),
                    vec![ser(&|| ta_kernels::sma(&x, p).unwrap())]),
                ("var", on_pools(b, || vec![parallel::var_chunked(&x, p, chunk).unwrap()]),
                    vec![ser(&|| ta_kernels::var(&x, p).unwrap())]),
                ("stddev", on_pools(b, || vec![parallel::stddev_chunked(&x, p2, 1.5, chunk).unwrap()]),
                    vec![ser(&|| ta_kernels::stddev(&x, p2, 1.5).unwrap())]),
                ("max", on_pools(b, || vec![parallel::max_chunked(&x, p2, chunk).unwrap()]),
                    vec![ser(&|| ta_kernels::max(&x, p2).unwrap())]),
                ("min", on_pools(b, || vec![parallel::min_chunked(&x, p2, chunk).unwrap()]),
                    vec![ser(&|| ta_kernels::min(&x, p2).unwrap())]),
                ("bbands", on_pools(b, || {
                        let v = parallel::bbands_chunked(&x, p2, 2.0, 1.0, chunk).unwrap();
                        vec![v.upper, v.middle, v.lower]
                    }),
                    with_backend(b, || {
                        let v = ta_kernels::bbands(&x, p2, 2.0, 1.0).unwrap();
                        vec![v.upper, v.middle, v.lower]
                    }).unwrap()),
            ];
            for (name, got, want) in &pairs {
                for (g, w) in got.iter().zip(want) {
                    prop_assert!(same(g, w), "{} {} p {} chunk {} len {}", name, b, p, chunk, x.len());
                }
            }
            let st = on_pools(b, || parallel::stoch_chunked(&h, &l, &x, p, sk, sd, chunk).unwrap());
            let want = with_backend(b, || ta_kernels::stoch(&h, &l, &x, p, sk, sd).unwrap()).unwrap();
            prop_assert!(same(&st.k, &want.k) && same(&st.d, &want.d),
                "stoch {} {}/{}/{} chunk {}", b, p, sk, sd, chunk);
            // WMA: twice the kernel's bound (both are within it of the
            // exact WMA).
            let got = on_pools(b, || parallel::wma_chunked(&x, p, chunk).unwrap());
            let want = ser(&|| ta_kernels::wma(&x, p).unwrap());
            let fin: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
            let spread = fin.iter().fold(f64::MIN, |m, &v| m.max(v)) - fin.iter().fold(f64::MAX, |m, &v| m.min(v));
            let k = ta_kernels::kernels::wma::error_factor(p);
            let u = EPS / 2.0;
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                prop_assert_eq!(g.is_nan(), w.is_nan(), "wma NaN at {}", i);
                if !w.is_nan() {
                    let tol = 2.0 * (2.0 * u * w.abs() + k * (u * spread.max(0.0) + ETA));
                    prop_assert!((g - w).abs() <= tol, "wma {} at {}: {} vs {}", b, i, g, w);
                }
            }
        }
    }

    /// EMA, RSI, ATR, MACD chunked: within the documented bound of the
    /// serial scalar indicator for every chunk length; bit-identical to the
    /// serial indicator on the same backend when one chunk holds the series.
    #[test]
    fn recursive_chunked_within_bound(seed in any::<u64>(), p in 1usize..40) {
        let (x, chunk, mut r) = long_case(seed);
        let (h, l) = hlc(&x, seed);
        let p2 = p.max(2);
        let (fast, signal) = (2 + r.below(20), 1 + r.below(12));
        let m = max_abs(&x);
        let scalar = |f: &dyn Fn() -> Vec<Vec<f64>>| with_backend(Backend::Scalar, f).unwrap();
        let ema_ref = scalar(&|| vec![ta_kernels::ema(&x, p).unwrap()]);
        let rsi_ref = scalar(&|| vec![ta_kernels::rsi(&x, p2).unwrap()]);
        let atr_ref = scalar(&|| vec![ta_kernels::atr(&h, &l, &x, p).unwrap()]);
        let macd_ref = scalar(&|| {
            let v = ta_kernels::macd(&x, fast, p2, signal).unwrap();
            vec![v.macd, v.signal, v.hist]
        });
        let d = naive_rsi_d(&x, p2);
        let mh = max_abs(&h).max(max_abs(&l)).max(m) * 2.0;
        for b in Backend::available() {
            for (cl, pools_only) in [(chunk, false), (x.len().max(1), true)] {
                let ema = on_pools(b, || parallel::ema_chunked(&x, p, cl).unwrap());
                let rsi = on_pools(b, || parallel::rsi_chunked(&x, p2, cl).unwrap());
                let atr = on_pools(b, || parallel::atr_chunked(&h, &l, &x, p, cl).unwrap());
                let mc = on_pools(b, || parallel::macd_chunked(&x, fast, p2, signal, cl).unwrap());
                if pools_only {
                    // One chunk: the serial computation itself.
                    let s = with_backend(b, || (
                        ta_kernels::ema(&x, p).unwrap(), ta_kernels::rsi(&x, p2).unwrap(),
                        ta_kernels::atr(&h, &l, &x, p).unwrap(), ta_kernels::macd(&x, fast, p2, signal).unwrap(),
                    )).unwrap();
                    prop_assert!(same(&ema, &s.0) && same(&rsi, &s.1) && same(&atr, &s.2));
                    prop_assert!(same(&mc.macd, &s.3.macd) && same(&mc.signal, &s.3.signal) && same(&mc.hist, &s.3.hist));
                    continue;
                }
                let e_tol = 64.0 * (p as f64 + 16.0) * (EPS * m + ETA);
                close(&ema, &ema_ref[0], e_tol).map_err(|e| TestCaseError::fail(format!("ema {b} p {p} chunk {cl}: {e}")))?;
                let a_tol = 64.0 * (p as f64 + 16.0) * (EPS * mh + ETA);
                close(&atr, &atr_ref[0], a_tol).map_err(|e| TestCaseError::fail(format!("atr {b} p {p} chunk {cl}: {e}")))?;
                let m_tol = 192.0 * ((p2 + signal) as f64 + 32.0) * (EPS * m + ETA);
                for (g, w) in [&mc.macd, &mc.signal, &mc.hist].into_iter().zip(&macd_ref) {
                    close(g, w, m_tol).map_err(|e| TestCaseError::fail(format!("macd {b} {fast}/{p2}/{signal} chunk {cl}: {e}")))?;
                }
                for (i, (&g, &w)) in rsi.iter().zip(&rsi_ref[0]).enumerate() {
                    prop_assert_eq!(g.is_nan(), w.is_nan(), "rsi NaN at {}", i);
                    let tol = 200.0 * 64.0 * (p2 as f64 + 16.0) * (EPS + ETA / d[i]);
                    prop_assert!(w.is_nan() || (g - w).abs() <= tol, "rsi {} p {} chunk {} at {}: {} vs {}", b, p2, cl, i, g, w);
                }
            }
        }
    }
}

/// The average gain plus average loss of the serial RSI at each bar (NaN
/// where there is no RSI): the `D` of the RSI bound.
fn naive_rsi_d(x: &[f64], p: usize) -> Vec<f64> {
    let mut d = vec![f64::NAN; x.len()];
    let mut s = 0;
    while s < x.len() {
        while s < x.len() && !x[s].is_finite() {
            s += 1;
        }
        let mut e = s;
        while e < x.len() && x[e].is_finite() {
            e += 1;
        }
        if e - s > p {
            let pf = p as f64;
            let (mut g, mut l) = (0.0, 0.0);
            for i in s + 1..=s + p {
                let c = x[i] - x[i - 1];
                if c > 0.0 { g += c } else { l -= c }
            }
            g /= pf;
            l /= pf;
            d[s + p] = g + l;
            for i in s + p + 1..e {
                let c = x[i] - x[i - 1];
                let (gc, lc) = if c > 0.0 { (c, 0.0) } else { (0.0, -c) };
                g = (g * (pf - 1.0) + gc) / pf;
                l = (l * (pf - 1.0) + lc) / pf;
                d[i] = g + l;
            }
        }
        s = e;
    }
    d
}

#[test]
fn chunked_errors() {
    let x = [1.0, 2.0, 3.0, 4.0];
    assert!(matches!(
        parallel::sma_chunked(&x, 2, 0),
        Err(Error::InvalidPeriod {
            name: "chunk_len",
            ..
        })
    ));
    assert!(matches!(
        parallel::ema_chunked(&x, 2, 0),
        Err(Error::InvalidPeriod {
            name: "chunk_len",
            ..
        })
    ));
    assert!(matches!(
        parallel::sma_chunked(&x, 0, 2),
        Err(Error::InvalidPeriod { name: "period", .. })
    ));
    assert!(matches!(
        parallel::ema_chunked(&x, 0, 2),
        Err(Error::InvalidPeriod { name: "period", .. })
    ));
    assert!(matches!(
        parallel::rsi_chunked(&x, 1, 2),
        Err(Error::InvalidPeriod { .. })
    ));
    assert!(matches!(
        parallel::macd_chunked(&x, 3, 1, 2, 2),
        Err(Error::InvalidPeriod { .. })
    ));
    assert!(matches!(
        parallel::atr_chunked(&x, &x[..3], &x, 2, 2),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        parallel::stoch_chunked(&x, &x, &x[..1], 2, 2, 2, 2),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        parallel::stddev_chunked(&x, 2, f64::INFINITY, 2),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(
        parallel::sma_chunked(&[], 3, parallel::ChunkLen::Auto)
            .unwrap()
            .is_empty()
    );
    assert!(
        parallel::ema_chunked(&[], 3, parallel::ChunkLen::Auto)
            .unwrap()
            .is_empty()
    );
    assert_eq!(parallel::default_chunk_len(0, 5), 1);
    assert!(parallel::default_chunk_len(10_000_000, 20) >= 1 << 16);
}

/// `sma_chunked_into` / `ema_chunked_into` into garbage-filled buffers
/// equal the allocating functions bit for bit (NaN holes, every kind of
/// chunk length); a wrong output length is an error.
#[test]
fn chunked_into_equal_allocating() {
    for seed in 0..40u64 {
        let (x, chunk, _) = long_case(seed);
        for p in [1usize, 2, 7, 20] {
            for b in Backend::available() {
                let out = on_pools(b, || {
                    let mut o = vec![f64::from_bits(0x7ff4_dead_beef_0000); x.len()];
                    parallel::sma_chunked_into(&x, p, chunk, &mut o).unwrap();
                    o
                });
                let want = on_pools(b, || parallel::sma_chunked(&x, p, chunk).unwrap());
                assert!(same(&out, &want), "sma {b} p {p} chunk {chunk}");
                let out = on_pools(b, || {
                    let mut o = vec![-1.0; x.len()];
                    parallel::ema_chunked_into(&x, p, chunk, &mut o).unwrap();
                    o
                });
                let want = on_pools(b, || parallel::ema_chunked(&x, p, chunk).unwrap());
                assert!(same(&out, &want), "ema {b} p {p} chunk {chunk}");
            }
        }
    }
    let x = [1.0, 2.0, 3.0];
    let mut short = [0.0; 2];
    assert!(matches!(
        parallel::sma_chunked_into(&x, 2, 2, &mut short),
        Err(Error::LengthMismatch { name: "out", .. })
    ));
    assert!(matches!(
        parallel::ema_chunked_into(&x, 2, 2, &mut short),
        Err(Error::LengthMismatch { name: "out", .. })
    ));
}

/// 1e6 bars in release: chunked on the default heuristic and on odd chunk
/// lengths equals serial (windowed bit for bit, recursive within bound).
#[test]
#[cfg_attr(debug_assertions, ignore)]
fn long_series_default_chunks() {
    let x = series(common::inputs::Kind::RandomWalk, 1_000_000, 7);
    for cl in [parallel::ChunkLen::Auto, parallel::ChunkLen::Fixed(99_991)] {
        assert!(same(
            &parallel::sma_chunked(&x, 20, cl).unwrap(),
            &ta_kernels::sma(&x, 20).unwrap()
        ));
        assert!(same(
            &parallel::sma_chunked(&x, 200, cl).unwrap(),
            &ta_kernels::sma(&x, 200).unwrap()
        ));
        let got = parallel::ema_chunked(&x, 20, cl).unwrap();
        let want = with_backend(Backend::Scalar, || ta_kernels::ema(&x, 20).unwrap()).unwrap();
        close(&got, &want, 64.0 * 36.0 * EPS * max_abs(&x)).unwrap();
        // Windowed triggers: bit for bit, with chunks writing mask words
        // in place (Auto) and stitched (odd lengths).
        let set = TriggerSet::parse(
            "golden = sma(close, 20) crosses_above sma(close, 50)\n\
             band = close < bbands(20, 2, 2).lower and held(close < sma(close, 8), 3)\n",
        )
        .unwrap();
        let bars = Bars::from_close(&x);
        let got = parallel::evaluate_chunked(&set, &bars, cl).unwrap();
        assert_eq!(got.masks(), set.evaluate(&bars).unwrap().masks(), "{cl:?}");
    }
}

// ---------- triggers over one long series, chunked ----------

/// Triggers with only bit-identical chunked indicators: masks equal the
/// serial plan's for every chunk length.
const EXACT_SET: &str = "\
golden = sma(close, 5) crosses_above sma(close, 20)
band = close < bbands(20, 2, 2).lower or close > bbands(12, 1.5, 1).upper
breakout = close > prev(max(high, 10), 1) and not (low < min(low, 7))
squeeze = within(stoch(5, 3, 3).k crosses_below 20, 4) and stddev(10) < 2 * var(close, 6)
steady = held(close > sma(close, 8), 3) or within(trange() > 3 * prev(trange(), 2), 5)
level = close crosses_above 100 or 100 crosses_below close or held(close >= 100, 2)
mix = (high - low) / 2 > prev(close, 3) * 0.001 and close - sma(3) crosses_above -sma(close, 3) + 2 * close
";

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Chunked trigger masks equal the serial plan's for every chunk
    /// length (windowed indicators), and with recursive indicators equal
    /// the serial rules applied to the chunked indicator series.
    #[test]
    fn triggers_chunked_equal_serial(seed in any::<u64>()) {
        let (x, chunk, _) = long_case(seed);
        let (h, l) = hlc(&x, seed);
        let bars = Bars::new().with(Column::High, &h).with(Column::Low, &l).with(Column::Close, &x);
        let set = TriggerSet::parse(EXACT_SET).unwrap();
        let rec = TriggerSet::parse(
            "a = ema(close, 7) crosses_above sma(close, 9)\n\
             b = rsi(close, 5) < 30 or macd(4, 9, 3).hist crosses_below 0\n\
             c = held(atr(4) > stddev(close, 6), 2)\n\
             d = within(wma(close, 5) crosses_above ema(close, 3), 3)\n",
        ).unwrap();
        for b in Backend::available() {
            let want = with_backend(b, || set.evaluate(&bars).unwrap()).unwrap();
            // The drawn length, and whole words (each chunk writes its
            // own words of the masks in place).
            for chunk in [chunk, 64 * (1 + chunk % 3)] {
                let got = on_pools(b, || parallel::evaluate_chunked(&set, &bars, chunk).unwrap());
                prop_assert_eq!(got.names(), want.names());
                for (i, (g, w)) in got.masks().iter().zip(want.masks()).enumerate() {
                    prop_assert_eq!(g, w, "{} trigger {} chunk {} len {}", b, got.names()[i], chunk, x.len());
                }
            }
            // Recursive: the oracle is the serial rule on the chunked series.
            let got = on_pools(b, || parallel::evaluate_chunked(&rec, &bars, chunk).unwrap());
            let oracle = with_backend(b, || {
                let c = parallel::ChunkLen::Fixed(chunk);
                let ema7 = parallel::ema_chunked(&x, 7, c).unwrap();
                let a = ta_kernels::cross_above(&ema7, ta_kernels::Rhs::Series(&ta_kernels::sma(&x, 9).unwrap())).unwrap();
                let rsi = parallel::rsi_chunked(&x, 5, c).unwrap();
                let m = parallel::macd_chunked(&x, 4, 9, 3, c).unwrap();
                let bm = &ta_kernels::compare(&rsi, ta_kernels::CmpOp::Lt, 30.0).unwrap()
                    | &ta_kernels::cross_below(&m.hist, 0.0).unwrap();
                let atr = parallel::atr_chunked(&h, &l, &x, 4, c).unwrap();
                let sd = ta_kernels::stddev(&x, 6, 1.0).unwrap();
                let gt = ta_kernels::compare(&atr, ta_kernels::CmpOp::Gt, ta_kernels::Rhs::Series(&sd)).unwrap();
                let cm = BitMask::from_bools(&(0..x.len()).map(|i| i >= 1 && gt.get(i) && gt.get(i - 1)).collect::<Vec<_>>());
                let wma = parallel::wma_chunked(&x, 5, c).unwrap();
                let ema3 = parallel::ema_chunked(&x, 3, c).unwrap();
                let cr = ta_kernels::cross_above(&wma, ta_kernels::Rhs::Series(&ema3)).unwrap();
                let dm = BitMask::from_bools(&(0..x.len()).map(|i| (i.saturating_sub(2)..=i).any(|j| cr.get(j))).collect::<Vec<_>>());
                vec![a, bm, cm, dm]
            }).unwrap();
            for (i, (g, w)) in got.masks().iter().zip(&oracle).enumerate() {
                prop_assert_eq!(g, w, "{} recursive trigger {} chunk {}", b, i, chunk);
            }
            // One chunk: exactly the serial evaluation.
            let one = on_pools(b, || parallel::evaluate_chunked(&rec, &bars, x.len().max(1)).unwrap());
            let want = with_backend(b, || rec.evaluate(&bars).unwrap()).unwrap();
            prop_assert_eq!(one.masks(), want.masks());
        }
    }
}

/// Crossings placed exactly on every chunk boundary, one bar before and
/// one after: every one is found, for chunk lengths 1..=70, 64·k ± 1 and
/// multiples of 64 (chunks that write whole mask words in place).
#[test]
fn crossings_at_chunk_boundaries() {
    let n = 700;
    let set = TriggerSet::parse(
        "up = close crosses_above 100\n\
         down = close crosses_below 100\n\
         smooth = sma(close, 2) crosses_above 99.5\n\
         kept = held(close > 100, 1) and within(close crosses_above 100, 2)\n",
    )
    .unwrap();
    let chunks = (1..=70).chain([127, 128, 129, 191, 192, 193, 256, 320, 640, 699, 700, 701]);
    for chunk in chunks {
        for offset in [-1i64, 0, 1] {
            // Close sits at 99 and jumps to 101 for one bar at each target.
            let targets: Vec<usize> = (1..=n / chunk.max(3))
                .map(|k| (k * chunk.max(3)) as i64 + offset)
                .filter(|&t| t >= 1 && (t as usize) + 1 < n)
                .map(|t| t as usize)
                .collect();
            let mut x = vec![99.0; n];
            for &t in &targets {
                x[t] = 101.0;
            }
            let bars = Bars::from_close(&x);
            for b in Backend::available() {
                let got = on_pools(b, || {
                    parallel::evaluate_chunked(&set, &bars, chunk).unwrap()
                });
                let want = with_backend(b, || set.evaluate(&bars).unwrap()).unwrap();
                assert_eq!(
                    got.masks(),
                    want.masks(),
                    "{b} chunk {chunk} offset {offset}"
                );
                let up: Vec<usize> = got.mask("up").unwrap().iter_ones().collect();
                let down: Vec<usize> = got.mask("down").unwrap().iter_ones().collect();
                let kept: Vec<usize> = got.mask("kept").unwrap().iter_ones().collect();
                assert_eq!(up, targets, "{b} chunk {chunk} offset {offset}");
                assert_eq!(kept, targets, "{b} chunk {chunk} offset {offset}");
                let after: Vec<usize> = targets.iter().map(|t| t + 1).collect();
                assert_eq!(down, after, "{b} chunk {chunk} offset {offset}");
                // SMA(2) goes 99 → 100 at each target (targets are >= 2).
                let smooth: Vec<usize> = got.mask("smooth").unwrap().iter_ones().collect();
                assert_eq!(smooth, targets, "{b} chunk {chunk} offset {offset}");
            }
        }
    }
}

#[test]
fn chunked_trigger_errors() {
    let x = [1.0, 2.0, 3.0];
    let bars = Bars::from_close(&x);
    let set = TriggerSet::parse("a = atr(3) > 1").unwrap();
    assert!(matches!(
        parallel::evaluate_chunked(&set, &bars, 2),
        Err(Error::MissingColumn { column: "high", .. })
    ));
    let set = TriggerSet::parse("a = close > 1").unwrap();
    assert!(matches!(
        parallel::evaluate_chunked(&set, &bars, 0),
        Err(Error::InvalidPeriod {
            name: "chunk_len",
            ..
        })
    ));
    let bad = Bars::new()
        .with(Column::Close, &x)
        .with(Column::High, &x[..2]);
    assert!(matches!(
        parallel::evaluate_chunked(&set, &bad, 2),
        Err(Error::LengthMismatch { .. })
    ));
    let e =
        parallel::evaluate_chunked(&set, &Bars::from_close(&[]), parallel::ChunkLen::Auto).unwrap();
    assert_eq!(e.masks()[0].len(), 0);
}

/// RSI's bound is relative to the averages `D`, which decay geometrically
/// in a flat run: a chunk carry that drops old bars' contributions by an
/// absolute horizon (`2⁻⁸⁰·M`) lost the gain/loss ratio there (found by
/// `recursive_chunked_within_bound`, seed 15720949217549075828: RSI 94.52
/// against 93.20 from the first bar of chunk 3). Checks moves then flat
/// runs of every length around the horizon, chunk edges anywhere in them,
/// and prices large enough that the averages stay normal far into a flat
/// run that underflows `(p−1)/p` to the piece's power.
#[test]
fn rsi_chunked_keeps_ratio_through_flat_runs() {
    let (x, chunk, _) = long_case(15720949217549075828);
    let mut cases = vec![(x, 2usize, chunk)];
    let mut r = Rng::new(7);
    for (scale, flat) in [
        (1.0, 40usize),
        (1.0, 75),
        (1.0, 90),
        (1.0, 300),
        (1e250, 600),
    ] {
        for p in [2usize, 3, 14] {
            let mut x: Vec<f64> = (0..200)
                .map(|_| scale * (100.0 + r.below(100) as f64))
                .collect();
            let last = *x.last().unwrap();
            x.extend(std::iter::repeat_n(last, flat * p.min(3)));
            x.extend((0..50).map(|_| scale * (100.0 + r.below(100) as f64)));
            for chunk in [150, 199, 201, 223, 240, 260, 400, 1000, 1500, 2500] {
                cases.push((x.clone(), p, chunk));
            }
        }
    }
    // Moves end exactly on a chunk edge and the next chunk is flat: `a^L`
    // underflows (L = 1200 for p = 2, 2000 for p = 3) while the averages
    // after it are ~1e-110 and ~1e-100.
    for (p, chunk) in [(2usize, 1200usize), (3, 2000)] {
        let mut x: Vec<f64> = (0..chunk)
            .map(|_| 1e250 * (100.0 + r.below(100) as f64))
            .collect();
        let last = *x.last().unwrap();
        x.extend(std::iter::repeat_n(last, chunk + 50));
        x.extend((0..50).map(|_| 1e250 * (100.0 + r.below(100) as f64)));
        cases.push((x, p, chunk));
    }
    for (x, p, chunk) in &cases {
        let want = with_backend(Backend::Scalar, || ta_kernels::rsi(x, *p).unwrap()).unwrap();
        let d = naive_rsi_d(x, *p);
        for b in Backend::available() {
            let got = on_pools(b, || parallel::rsi_chunked(x, *p, *chunk).unwrap());
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.is_nan(), w.is_nan(), "NaN at {i}");
                let tol = 200.0 * 64.0 * (*p as f64 + 16.0) * (EPS + ETA / d[i]);
                assert!(
                    w.is_nan() || (g - w).abs() <= tol,
                    "{b} p {p} chunk {chunk} len {} at {i}: {g} vs {w}",
                    x.len()
                );
            }
        }
    }
}
