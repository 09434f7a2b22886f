//! `ta_kernels::parallel`: many symbols and one long series across
//! threads, against the serial functions, on every backend and on pools of
//! 1, 2 and 3 threads.

mod common;

use std::sync::OnceLock;

use common::inputs::{ALL_KINDS, Rng, series, sprinkle_non_finite};
use proptest::prelude::*;
use ta_kernels::parallel;
use ta_kernels::trigger::{Bars, Column, Plan, TriggerSet};
use ta_kernels::{Backend, Error, with_backend};

// ---------- helpers ----------

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

/// `f` under `backend` on every pool; every result must be the same.
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
