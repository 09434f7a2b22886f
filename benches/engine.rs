//! The memoizing engine against plain computation, in the same run:
//! a cache hit, a cold lookup (the computation plus the engine's
//! overhead) against the plain indicator function, a trigger set through
//! the engine cold and warm against `Plan::evaluate_in`/`Plan::evaluate`,
//! and the series fingerprint (XXH3-128) against std's `DefaultHasher`.

use std::hash::{DefaultHasher, Hasher};
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::engine::{Engine, Ohlcv};
use ta_kernels::trigger::{Bars, Scratch, Series, TriggerSet};

/// Ten triggers over six distinct indicators (as in benches/triggers.rs).
const SET: &str = include_str!("../data/ten_triggers.txt");

fn bars_data(n: usize) -> [Vec<f64>; 5] {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut c = 100.0;
    let mut cols: [Vec<f64>; 5] = Default::default();
    for _ in 0..n {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let u = (s >> 11) as f64 / (1u64 << 53) as f64;
        let open = c;
        c *= 1.0 + 0.02 * (u - 0.5);
        for (col, v) in
            cols.iter_mut()
                .zip([open, open.max(c) * 1.002, open.min(c) * 0.998, c, 1e3 + u])
        {
            col.push(v);
        }
    }
    cols
}

fn owned(cols: &[Vec<f64>; 5]) -> Ohlcv {
    let [o, h, l, c, v] = cols.clone();
    Ohlcv::from_ohlcv(o, h, l, c, v)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The plain function for each benchmarked expression.
fn plain(expr: &str, close: &[f64]) -> Vec<f64> {
    match expr {
        "sma(20)" => ta_kernels::sma(close, 20).unwrap(),
        "ema(20)" => ta_kernels::ema(close, 20).unwrap(),
        "rsi(14)" => ta_kernels::rsi(close, 14).unwrap(),
        "macd(12, 26, 9).signal" => ta_kernels::macd(close, 12, 26, 9).unwrap().signal,
        _ => unreachable!(),
    }
}

const EXPRS: [&str; 4] = ["sma(20)", "ema(20)", "rsi(14)", "macd(12, 26, 9).signal"];

fn indicator(c: &mut Criterion) {
    let n = 100_000;
    let cols = bars_data(n);
    let close = &cols[3];
    let engine = Engine::new(256 << 20);
    let id = engine.insert_series("x", owned(&cols)).unwrap();
    let mut group = c.benchmark_group("engine_indicator_1e5");
    for text in EXPRS {
        let expr: Series = text.parse().unwrap();
        assert_eq!(
            bits(&engine.indicator(id, &expr).unwrap()),
            bits(&plain(text, close))
        );
        group.bench_with_input(BenchmarkId::new("hit", text), &expr, |b, e| {
            b.iter(|| engine.indicator(id, black_box(e)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("plain_fn", text), &text, |b, t| {
            b.iter(|| plain(t, black_box(close)))
        });
        // A cold lookup: the entry is dropped first (as the plain function
        // drops its result), then computed, inserted and returned.
        group.bench_with_input(BenchmarkId::new("miss", text), &expr, |b, e| {
            b.iter(|| {
                engine.clear();
                engine.indicator(id, black_box(e)).unwrap()
            })
        });
    }
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let set = TriggerSet::parse(SET).unwrap();
    let plan = set.plan().unwrap();
    let mut group = c.benchmark_group("engine_trigger_set_10");
    group.sample_size(20);
    for n in [100_000usize, 1_000_000] {
        let cols = bars_data(n);
        let bars = Bars::ohlcv(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]);
        let engine = Engine::new(1 << 30);
        let id = engine.insert_series("x", owned(&cols)).unwrap();
        let want = plan.evaluate(&bars).unwrap();
        let got = engine.evaluate(id, &plan).unwrap();
        assert_eq!(got.masks(), want.masks());
        assert_eq!(engine.stats().uncached, 0);
        group.throughput(Throughput::Elements(n as u64));
        let mut scratch = Scratch::new();
        group.bench_function(BenchmarkId::new("plan_evaluate_in", n), |b| {
            b.iter(|| plan.evaluate_in(black_box(&bars), &mut scratch).unwrap())
        });
        group.bench_function(BenchmarkId::new("plan_evaluate", n), |b| {
            b.iter(|| plan.evaluate(black_box(&bars)).unwrap())
        });
        let mut scratch = Scratch::new();
        group.bench_function(BenchmarkId::new("engine_cold", n), |b| {
            b.iter(|| {
                engine.clear();
                engine
                    .evaluate_in(id, black_box(&plan), &mut scratch)
                    .unwrap()
            })
        });
        group.bench_function(BenchmarkId::new("engine_warm", n), |b| {
            b.iter(|| {
                engine
                    .evaluate_in(id, black_box(&plan), &mut scratch)
                    .unwrap()
            })
        });
    }
    group.finish();
}

fn fingerprint(c: &mut Criterion) {
    let n = 1_000_000;
    let cols = bars_data(n);
    let data = owned(&cols);
    let mut group = c.benchmark_group("fingerprint_ohlcv_1e6");
    group.throughput(Throughput::Bytes((5 * n * 8) as u64));
    group.bench_function("xxh3_128", |b| b.iter(|| black_box(&data).fingerprint()));
    group.bench_function("std_default_hasher", |b| {
        b.iter(|| {
            let mut h = DefaultHasher::new();
            for col in black_box(&cols) {
                h.write(bytemuck::cast_slice(col));
            }
            h.finish()
        })
    });
    group.finish();
}

criterion_group!(benches, indicator, evaluate, fingerprint);
criterion_main!(benches);
