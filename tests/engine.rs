//! The memoizing engine: results bit-identical to plain plan evaluation
//! (cold, warm, under eviction, from many threads at once), the byte
//! bound, the counters, compute-once under contention, and its errors.

mod common;

use common::ohlcv::{bars, ohlcv};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::inputs::Rng;
use common::trees::{cond_tree, series_tree};
use proptest::prelude::*;
use ta_kernels::engine::{Engine, EngineError, Ohlcv};
use ta_kernels::trigger::{Column, Evaluation, IndicatorKey, Plan, Series, Trigger, TriggerSet};
use ta_kernels::{Backend, Error, with_backend};

fn owned(cols: &[Vec<f64>; 5]) -> Ohlcv {
    let [o, h, l, c, v] = cols.clone();
    Ohlcv::from_ohlcv(o, h, l, c, v)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Masks and series equal, series bit for bit (NaN payloads included).
fn same(a: &Evaluation, b: &Evaluation) -> bool {
    a.names() == b.names()
        && a.masks() == b.masks()
        && a.series().count() == b.series().count()
        && a.series()
            .zip(b.series())
            .all(|((na, va), (nb, vb))| na == nb && bits(va) == bits(vb))
}

fn set_of(conds: Vec<ta_kernels::trigger::Cond>) -> TriggerSet {
    let mut set = TriggerSet::new();
    for (i, c) in conds.into_iter().enumerate() {
        set.push(Trigger::new(format!("t{i}"), c)).unwrap();
    }
    set
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Through the engine — cold, warm, and on a second engine too small
    /// to keep much — random trigger sets and series expressions give what
    /// `Plan::evaluate` gives without a cache, bit for bit; every series
    /// expression with an indicator at its root is then a hit for
    /// `Engine::indicator` (its key agrees with the plan's) and equal too.
    #[test]
    fn engine_equals_plan_evaluate(
        conds in prop::collection::vec(cond_tree(30), 1..4),
        exprs in prop::collection::vec(series_tree(30), 0..4),
        len in prop_oneof![0usize..80, 0usize..600],
        seed in any::<u64>(),
        nan_every in prop_oneof![Just(0usize), 5usize..200],
        tiny in 0u64..40_000,
    ) {
        let cols = ohlcv(len, seed, nan_every);
        let named: Vec<(String, Series)> =
            exprs.iter().enumerate().map(|(i, s)| (format!("s{i}"), s.clone())).collect();
        let plan = Plan::with_series(&set_of(conds), &named);
        let want = plan.evaluate(&bars(&cols)).map_err(|e| TestCaseError::fail(e.to_string()))?;

        let engine = Engine::new(64 << 20);
        let id = engine.insert_series("x", owned(&cols)).unwrap();
        let cold = engine.evaluate(id, &plan).unwrap();
        prop_assert!(same(&cold, &want));
        prop_assert_eq!(cold.indicators_computed, want.indicators_computed);
        let warm = engine.evaluate(id, &plan).unwrap();
        prop_assert!(same(&warm, &want));
        prop_assert_eq!(warm.indicators_computed, 0);
        let s = engine.stats();
        prop_assert_eq!(s.lookups, 2 * plan.indicator_count() as u64);
        prop_assert_eq!(s.misses, plan.indicator_count() as u64);
        prop_assert_eq!(s.hits + s.misses, s.lookups);

        for ((_, expr), (_, values)) in named.iter().zip(want.series()) {
            if IndicatorKey::of(expr).is_none() {
                let not = matches!(
                    engine.indicator(id, expr),
                    Err(EngineError::NotAnIndicator { .. })
                );
                prop_assert!(not);
                continue;
            }
            let before = engine.stats();
            let out = engine.indicator(id, expr).unwrap();
            prop_assert_eq!(bits(&out), bits(values));
            let after = engine.stats();
            prop_assert_eq!(after.hits, before.hits + 1, "missed: {}", expr.to_string());
            prop_assert_eq!(after.misses, before.misses);
        }

        let small = Engine::with_shards(tiny, 1);
        let id = small.insert_series("x", owned(&cols)).unwrap();
        for _ in 0..2 {
            prop_assert!(same(&small.evaluate(id, &plan).unwrap(), &want));
            let s = small.stats();
            prop_assert!(s.bytes <= s.capacity && s.capacity <= tiny);
        }
    }

    /// `Engine::indicator` on a cold engine (computing inputs that are
    /// indicators themselves) equals the plan's value of the expression.
    #[test]
    fn indicator_cold_equals_plan(
        expr in series_tree(30),
        len in 0usize..400,
        seed in any::<u64>(),
    ) {
        prop_assume!(IndicatorKey::of(&expr).is_some());
        let cols = ohlcv(len, seed, 0);
        let plan = Plan::with_series(&TriggerSet::new(), &[("e".into(), expr.clone())]);
        let want = plan.evaluate(&bars(&cols)).unwrap();
        let engine = Engine::new(64 << 20);
        let id = engine.insert_series("x", owned(&cols)).unwrap();
        let out = engine.indicator(id, &expr).unwrap();
        prop_assert_eq!(bits(&out), bits(want.series().next().unwrap().1));
        prop_assert_eq!(out.all().len(), match expr.to_string() {
            t if t.starts_with("macd") || t.starts_with("bbands") => 3,
            t if t.starts_with("stoch") => 2,
            _ => 1,
        });
        let again = engine.indicator(id, &expr).unwrap();
        prop_assert_eq!(bits(&again), bits(&out));
        let s = engine.stats();
        prop_assert_eq!(s.hits + s.misses, s.lookups);
        prop_assert!(s.hits >= 1);
    }
}

fn parse(text: &str) -> Series {
    text.parse().unwrap()
}

#[test]
fn keys_include_the_whole_input() {
    let exprs = [
        "sma(close, 5)",
        "sma(open, 5)",
        "sma(ema(close, 5), 5)",
        "sma(ema(close, 6), 5)",
        "sma(macd(12, 26, 9).signal, 5)",
        "sma(macd(12, 26, 9).hist, 5)",
        "sma(close * 2, 5)",
        "sma(2 * close, 5)",
        "sma(prev(close, 1), 5)",
        "sma(-close, 5)",
        "stddev(close, 5, 1)",
        "stddev(close, 5, 2)",
        "sma(close + -0, 5)",
        "sma(close + 0, 5)",
    ];
    let keys: Vec<IndicatorKey> = exprs
        .iter()
        .map(|t| IndicatorKey::of(&parse(t)).unwrap().0)
        .collect();
    for i in 0..keys.len() {
        for j in 0..keys.len() {
            assert_eq!(keys[i] == keys[j], i == j, "{} vs {}", exprs[i], exprs[j]);
        }
    }
    // Fields share one key; the default input is close.
    let (a, ia) = IndicatorKey::of(&parse("macd(12, 26, 9).signal")).unwrap();
    let (b, ib) = IndicatorKey::of(&parse("macd(close, 12, 26, 9).hist")).unwrap();
    assert_eq!(a, b);
    assert_eq!((ia, ib), (1, 2));
    assert!(IndicatorKey::of(&parse("close * 2")).is_none());

    // And the engine serves each its own values.
    let cols = ohlcv(300, 7, 0);
    let engine = Engine::new(1 << 24);
    let id = engine.insert_series("x", owned(&cols)).unwrap();
    for t in exprs {
        let e = parse(t);
        let plan = Plan::with_series(&TriggerSet::new(), &[("e".into(), e.clone())]);
        let want = plan.evaluate(&bars(&cols)).unwrap();
        assert_eq!(
            bits(&engine.indicator(id, &e).unwrap()),
            bits(want.series().next().unwrap().1),
            "{t}"
        );
    }
}

#[test]
fn multi_output_indicators_are_cached_together() {
    let cols = ohlcv(500, 3, 0);
    let engine = Engine::new(1 << 24);
    let id = engine.insert_series("x", owned(&cols)).unwrap();
    let signal = engine
        .indicator(id, &parse("macd(12, 26, 9).signal"))
        .unwrap();
    let hist = engine
        .indicator(id, &parse("macd(12, 26, 9).hist"))
        .unwrap();
    let s = engine.stats();
    assert_eq!((s.misses, s.hits, s.entries), (1, 1, 1));
    let ta_kernels::Macd {
        macd: m,
        signal: sig,
        hist: h,
    } = ta_kernels::macd(&cols[3], 12, 26, 9).unwrap();
    assert_eq!(bits(&signal), bits(&sig));
    assert_eq!(bits(&hist), bits(&h));
    assert_eq!(bits(&hist.all()[0]), bits(&m));
    assert_eq!(hist.index(), 2);
}

#[test]
fn equal_content_shares_entries_and_backends_do_not() {
    let cols = ohlcv(2000, 11, 0);
    let engine = Engine::new(1 << 26);
    let a = engine.insert_series("a", owned(&cols)).unwrap();
    let b = engine.insert_series("b", owned(&cols)).unwrap();
    assert_ne!(a, b);
    assert_eq!(
        engine.fingerprint(a).unwrap(),
        engine.fingerprint(b).unwrap()
    );
    let e = parse("ema(close, 10)");
    engine.indicator(a, &e).unwrap();
    engine.indicator(b, &e).unwrap();
    assert_eq!((engine.stats().misses, engine.stats().hits), (1, 1));

    // One changed bit is another series.
    let mut other = cols.clone();
    other[3][1000] = f64::from_bits(other[3][1000].to_bits() ^ 1);
    let c = engine.insert_series("c", owned(&other)).unwrap();
    assert_ne!(
        engine.fingerprint(a).unwrap(),
        engine.fingerprint(c).unwrap()
    );

    // Each backend computes (and is served) its own values.
    for backend in Backend::available() {
        let fresh = Engine::new(1 << 26);
        let id = fresh.insert_series("a", owned(&cols)).unwrap();
        let (got, want) = with_backend(backend, || {
            (
                fresh.indicator(id, &e).unwrap(),
                ta_kernels::ema(&cols[3], 10).unwrap(),
            )
        })
        .unwrap();
        assert_eq!(bits(&got), bits(&want), "{backend:?}");
        for other in Backend::available() {
            let served = with_backend(other, || fresh.indicator(id, &e).unwrap()).unwrap();
            let direct = with_backend(other, || ta_kernels::ema(&cols[3], 10).unwrap()).unwrap();
            assert_eq!(bits(&served), bits(&direct), "{backend:?} then {other:?}");
        }
    }
}

#[test]
fn tiny_capacity_evicts_and_stays_correct() {
    let cols = ohlcv(1000, 5, 50);
    let entry = 1000 * 8 + 200; // one single-output entry, about
    let engine = Engine::with_shards(4 * entry, 1);
    let id = engine.insert_series("x", owned(&cols)).unwrap();
    let exprs: Vec<Series> = (2..40)
        .map(|p| parse(&format!("sma(close, {p})")))
        .collect();
    for round in 0..3 {
        for e in &exprs {
            let got = engine.indicator(id, e).unwrap();
            let Series::Indicator(ind) = e else { panic!() };
            let p = match **ind {
                ta_kernels::trigger::Indicator::Sma { period, .. } => period,
                _ => unreachable!(),
            };
            assert_eq!(
                bits(&got),
                bits(&ta_kernels::sma(&cols[3], p).unwrap()),
                "round {round}"
            );
            let s = engine.stats();
            assert!(s.bytes <= s.capacity, "{s:?}");
            assert!(s.entries <= 4, "{s:?}");
        }
    }
    let s = engine.stats();
    assert!(s.evictions > 0, "{s:?}");
    assert_eq!(s.hits + s.misses, s.lookups);
    assert_eq!(s.uncached, 0);
    engine.clear();
    assert_eq!((engine.stats().entries, engine.stats().bytes), (0, 0));
}

#[test]
fn an_entry_larger_than_a_shard_is_returned_but_not_kept() {
    let cols = ohlcv(10_000, 9, 0);
    let engine = Engine::with_shards(50_000, 1); // one output is 80 kB
    let id = engine.insert_series("x", owned(&cols)).unwrap();
    let e = parse("bbands(close, 20, 2, 2).lower");
    for _ in 0..2 {
        let got = engine.indicator(id, &e).unwrap();
        let lower = ta_kernels::bbands(&cols[3], 20, 2.0, 2.0).unwrap().lower;
        assert_eq!(bits(&got), bits(&lower));
    }
    let s = engine.stats();
    assert_eq!(
        (s.misses, s.hits, s.uncached, s.entries, s.bytes),
        (2, 0, 2, 0, 0)
    );
    assert_eq!(s.max_entry_bytes, 45_000);

    // Capacity 0 caches nothing and still answers.
    let none = Engine::new(0);
    let id = none.insert_series("x", owned(&cols)).unwrap();
    assert_eq!(
        bits(&none.indicator(id, &parse("sma(5)")).unwrap()),
        bits(&ta_kernels::sma(&cols[3], 5).unwrap())
    );
    assert_eq!(none.stats().entries, 0);
}

#[test]
fn errors_are_typed() {
    let engine = Engine::new(1 << 20);
    let id = engine
        .insert_series("c", Ohlcv::from_close(vec![1.0, 2.0, 3.0, 4.0]))
        .unwrap();
    assert_eq!(engine.series_id("c"), Some(id));
    assert_eq!(engine.series_name(id).unwrap(), "c");

    // Missing columns, from indicator() and from an evaluation.
    match engine.indicator(id, &parse("atr(3)")) {
        Err(EngineError::Compute(Error::MissingColumn {
            column, expression, ..
        })) => {
            assert_eq!(column, "high");
            assert_eq!(expression, "atr(3)");
        }
        other => panic!("{other:?}"),
    }
    let set = TriggerSet::parse("loud = volume > sma(volume, 2)").unwrap();
    match engine.evaluate_set(id, &set) {
        Err(EngineError::Compute(Error::MissingColumn {
            column, trigger, ..
        })) => {
            assert_eq!((column, trigger.as_str()), ("volume", "loud"));
        }
        other => panic!("{other:?}"),
    }
    // Not an indicator.
    assert_eq!(
        engine.indicator(id, &parse("close * 2")).unwrap_err(),
        EngineError::NotAnIndicator {
            text: "close * 2".into()
        }
    );
    // Ragged columns.
    let ragged = Ohlcv::from_close(vec![1.0; 4]).with(Column::Volume, vec![1.0; 3]);
    assert!(matches!(
        engine.insert_series("r", ragged),
        Err(EngineError::Compute(Error::LengthMismatch {
            name: "volume",
            ..
        }))
    ));
    // Parameters out of range (a builder can make them).
    let bad = Series::Indicator(Box::new(ta_kernels::trigger::Indicator::Sma {
        input: Series::Column(Column::Close),
        period: 0,
    }));
    assert!(matches!(
        engine.indicator(id, &bad),
        Err(EngineError::Compute(Error::InvalidPeriod { .. }))
    ));
    // Unknown ids: removed, or from another engine.
    assert!(engine.remove_series(id));
    assert!(!engine.remove_series(id));
    assert_eq!(engine.series_id("c"), None);
    assert_eq!(
        engine.indicator(id, &parse("sma(2)")).unwrap_err(),
        EngineError::UnknownSeries(id)
    );
    let plan = set.plan().unwrap();
    assert_eq!(
        engine.evaluate(id, &plan).unwrap_err(),
        EngineError::UnknownSeries(id)
    );
    assert!(engine.fingerprint(id).is_err());
    // An empty set.
    let id = engine
        .insert_series("c", Ohlcv::from_close(vec![1.0; 4]))
        .unwrap();
    assert!(matches!(
        engine.evaluate_set(id, &TriggerSet::new()),
        Err(EngineError::Compute(Error::Trigger(_)))
    ));
    let s = engine.stats();
    assert_eq!(s.hits + s.misses, s.lookups);
}

#[test]
fn contended_missing_key_is_computed_once() {
    let cols = ohlcv(400_000, 1, 0);
    let engine = Engine::new(1 << 26);
    let id = engine.insert_series("x", owned(&cols)).unwrap();
    let e = parse("wma(close, 200)");
    let want = bits(&ta_kernels::wma(&cols[3], 200).unwrap());
    let threads = 8;
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                assert_eq!(bits(&engine.indicator(id, &e).unwrap()), want);
            });
        }
    });
    let s = engine.stats();
    assert_eq!(
        (s.misses, s.hits, s.lookups),
        (1, threads as u64 - 1, threads as u64)
    );
}

/// Trigger sets over a few shared indicators, so queries overlap.
const SETS: [&str; 6] = [
    "a = rsi(14) < 30 and sma(20) crosses_above sma(50)",
    "b = close > bbands(20, 2, 2).upper and volume > 1.5 * sma(volume, 20)",
    "c = macd(12, 26, 9).hist crosses_above 0\nd = rsi(ema(close, 5), 14) > 70",
    "e = stoch(14, 3, 3).k < 20 and atr(14) > 0.5 * stddev(close, 20)",
    "f = sma(20) > sma(50) or within(close crosses_below min(close, 10), 5)",
    "g = held(ema(close, 12) > ema(close, 26), 3) and max(high, 20) > 1.01 * sma(20)",
];

#[test]
fn many_threads_share_one_engine() {
    let secs = if cfg!(debug_assertions) { 0.5 } else { 3.0 };
    let symbols: Vec<[Vec<f64>; 5]> = (0..4).map(|s| ohlcv(20_000, s, 400)).collect();
    let plans: Vec<Plan> = SETS
        .iter()
        .map(|t| TriggerSet::parse(t).unwrap().plan().unwrap())
        .collect();
    let exprs: Vec<Series> = [
        "sma(20)",
        "macd(12, 26, 9).signal",
        "rsi(ema(close, 5), 14)",
        "atr(14)",
    ]
    .iter()
    .map(|t| parse(t))
    .collect();
    // Single-threaded answers, without a cache.
    let want: Vec<Vec<Evaluation>> = symbols
        .iter()
        .map(|c| {
            plans
                .iter()
                .map(|p| p.evaluate(&bars(c)).unwrap())
                .collect()
        })
        .collect();
    let want_exprs: Vec<Vec<Vec<u64>>> = symbols
        .iter()
        .map(|c| {
            exprs
                .iter()
                .map(|e| {
                    let p = Plan::with_series(&TriggerSet::new(), &[("e".into(), e.clone())]);
                    bits(p.evaluate(&bars(c)).unwrap().series().next().unwrap().1)
                })
                .collect()
        })
        .collect();
    // Room for about a third of the distinct entries: evictions happen.
    let engine = Arc::new(Engine::with_shards(2_000_000, 2));
    let ids: Vec<_> = symbols
        .iter()
        .enumerate()
        .map(|(i, c)| engine.insert_series(format!("s{i}"), owned(c)).unwrap())
        .collect();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let done = std::sync::atomic::AtomicBool::new(false);
    let queries = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        // A watcher checks the byte bound while the workers run.
        s.spawn(|| {
            let mut seen = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let st = engine.stats();
                assert!(st.bytes <= st.capacity, "{st:?}");
                seen += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            assert!(seen > 0);
        });
        let workers: Vec<_> = (0..8u64)
            .map(|t| {
                let (engine, ids, plans, exprs, want, want_exprs, queries) =
                    (&engine, &ids, &plans, &exprs, &want, &want_exprs, &queries);
                s.spawn(move || {
                    let mut r = Rng::new(t);
                    while Instant::now() < deadline {
                        let sym = r.below(ids.len());
                        if r.below(3) == 0 {
                            let e = r.below(exprs.len());
                            let got = engine.indicator(ids[sym], &exprs[e]).unwrap();
                            assert_eq!(bits(&got), want_exprs[sym][e]);
                        } else {
                            let p = r.below(plans.len());
                            let got = engine.evaluate(ids[sym], &plans[p]).unwrap();
                            assert!(
                                same(&got, &want[sym][p]),
                                "thread {t}: symbol {sym}, set {p}"
                            );
                        }
                        queries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let s = engine.stats();
    assert_eq!(s.hits + s.misses, s.lookups, "{s:?}");
    assert!(s.bytes <= s.capacity && s.capacity <= 2_000_000, "{s:?}");
    assert!(s.evictions > 0, "{s:?}");
    assert!(s.hits > 0 && s.misses > 0, "{s:?}");
    assert!(queries.into_inner() > 50);
}

/// Every indicator kind read from columns (the miss path that calls the
/// indicator function into reused buffers, without a plan) equals the
/// plan's value bit for bit — cold, after `clear` (so its buffers are
/// reused, stale contents and all, by other indicators of another
/// length), and with NaN holes, ±inf and tiny prices — and a held
/// `Output` survives `clear` untouched.
#[test]
fn column_indicators_reuse_buffers_and_equal_the_plan() {
    let exprs = [
        "sma(20)",
        "ema(high, 10)",
        "wma(low, 7)",
        "rsi(14)",
        "max(open, 5)",
        "min(volume, 9)",
        "var(12)",
        "stddev(close, 20, 1.5)",
        "macd(12, 26, 9).signal",
        "macd(3, 5, 2).hist",
        "bbands(20, 2, 2).lower",
        "bbands(close, 5, 1.5, 3).upper",
        "stoch(14, 3, 3).d",
        "stoch(5, 3, 2).k",
        "atr(14)",
        "trange()",
    ];
    // Parameters out of range (trees built by hand): the same errors.
    use ta_kernels::trigger::{Indicator, MacdField};
    let close = Series::Column(Column::Close);
    let bad = [
        Indicator::Sma {
            input: close.clone(),
            period: 0,
        },
        Indicator::Macd {
            input: close.clone(),
            fast: 0,
            slow: 3,
            signal: 2,
            field: MacdField::Hist,
        },
        Indicator::Atr { period: 0 },
    ];
    let exprs: Vec<Series> = exprs
        .into_iter()
        .map(parse)
        .chain(bad.map(|i| Series::Indicator(Box::new(i))))
        .collect();
    let mut cases = Vec::new();
    for (len, nan_every) in [(700, 0), (1000, 37), (1300, 5), (30, 0)] {
        let mut cols = ohlcv(len, len as u64, nan_every);
        if len == 1300 {
            cols[3][100] = f64::INFINITY;
            cols[1][400] = f64::NEG_INFINITY;
            cols.iter_mut().flatten().for_each(|v| *v *= 1e-7);
        }
        cases.push(cols);
    }
    let engine = Engine::new(64 << 20);
    let ids: Vec<_> = cases
        .iter()
        .map(|c| engine.insert_series("x", owned(c)).unwrap())
        .collect();
    let mut held = Vec::new();
    for round in 0..3 {
        for (cols, &id) in cases.iter().zip(&ids) {
            for expr in &exprs {
                let text = expr.to_string();
                let plan = Plan::with_series(&TriggerSet::new(), &[("e".into(), expr.clone())]);
                match plan.evaluate(&bars(cols)) {
                    Ok(want) => {
                        let got = engine.indicator(id, expr).unwrap();
                        let want = want.series().next().unwrap().1;
                        assert_eq!(bits(&got), bits(want), "{text}, round {round}");
                        if round == 0 && text == "macd(12, 26, 9).signal" {
                            held.push((got, want.to_vec()));
                        }
                    }
                    Err(e) => assert_eq!(
                        engine.indicator(id, expr).unwrap_err(),
                        EngineError::Compute(e),
                        "{text}"
                    ),
                }
            }
        }
        let s = engine.stats();
        assert_eq!(s.hits + s.misses, s.lookups);
        assert!(s.idle_bytes <= s.capacity / 8, "{s:?}");
        engine.clear();
        let s = engine.stats();
        assert!(s.idle_bytes > 0 && s.idle_bytes <= s.capacity / 8, "{s:?}");
    }
    for (out, want) in &held {
        assert_eq!(bits(out), bits(want));
    }
    engine.release_idle();
    assert_eq!(engine.stats().idle_bytes, 0);

    // The idle bound holds when evictions are what frees buffers.
    let small = Engine::with_shards(40_000, 1);
    let id = small.insert_series("x", owned(&cases[0])).unwrap();
    for p in 2..60 {
        let got = small.indicator(id, &parse(&format!("ema({p})"))).unwrap();
        assert_eq!(bits(&got), bits(&ta_kernels::ema(&cases[0][3], p).unwrap()));
        let s = small.stats();
        assert!(
            s.bytes <= s.capacity && s.idle_bytes <= s.capacity / 8,
            "{s:?}"
        );
    }
    assert!(small.stats().evictions > 0);
}
