//! The memoizing engine against plain computation, in the same run:
//! - `engine_indicator_1e4` / `_1e5`: a cache hit, and a miss against the
//!   plain indicator function measured the same way (setup and drop
//!   outside the timing, so both time fresh outputs served from the
//!   buffers just freed, plus the computation);
//! - `engine_miss_overhead`: misses and plain calls interleaved pair by
//!   pair at 100, 1e3, 1e4 and 1e5 bars; prints the median paired difference
//!   (the engine's cost per miss; at 100 bars, its fixed cost) and ratio;
//! - `engine_trigger_set_10`: a trigger set through the engine cold and
//!   warm against `Plan::evaluate_in`/`Plan::evaluate`;
//! - the series fingerprint (XXH3-128) against std's `DefaultHasher`.

use std::hash::{DefaultHasher, Hasher};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::engine::{Engine, Ohlcv, SeriesId};
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

/// Hit, plain function and miss, each measured the same way: the setup
/// (dropping the previous result; for a miss, clearing the cache, which
/// frees its buffers as the plain function's caller frees its result) is
/// outside the timing, so both time one allocation of fresh outputs (that
/// the allocator serves from the buffers just freed) plus the computation,
/// and the miss adds the engine's lookups, compilation and insertion.
fn indicator(c: &mut Criterion) {
    for n in [10_000usize, 100_000] {
        let cols = bars_data(n);
        let close = &cols[3];
        let engine = Engine::new(256 << 20);
        let id = engine.insert_series("x", owned(&cols)).unwrap();
        let mut group = c.benchmark_group(format!("engine_indicator_1e{}", n.ilog10()));
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
                b.iter_batched(
                    || (),
                    |()| plain(t, black_box(close)),
                    BatchSize::PerIteration,
                )
            });
            group.bench_with_input(BenchmarkId::new("miss", text), &expr, |b, e| {
                b.iter_batched(
                    || engine.clear(),
                    |()| engine.indicator(id, black_box(e)).unwrap(),
                    BatchSize::PerIteration,
                )
            });
        }
        group.finish();
    }
}

/// One paired sample: a plain call and a miss timed back to back (in
/// alternating order), each without its setup and drop; returns
/// `(plain, miss)` in seconds.
fn pair(
    engine: &Engine,
    id: SeriesId,
    expr: &Series,
    text: &str,
    close: &[f64],
    i: u64,
) -> (f64, f64) {
    let time_plain = || {
        let t = Instant::now();
        let v = plain(text, black_box(close));
        let d = t.elapsed();
        drop(black_box(v));
        d.as_secs_f64()
    };
    let time_miss = || {
        engine.clear();
        let t = Instant::now();
        let v = engine.indicator(id, black_box(expr)).unwrap();
        let d = t.elapsed();
        drop(black_box(v));
        d.as_secs_f64()
    };
    if i.is_multiple_of(2) {
        let p = time_plain();
        (p, time_miss())
    } else {
        let m = time_miss();
        (time_plain(), m)
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The miss's overhead isolated: plain calls and misses interleaved pair
/// by pair (so load changes on the machine hit both alike). Criterion
/// reports the misses' time; the line printed after each bench gives the
/// median of the paired differences (miss − plain, the engine's cost per
/// miss) and the median ratio miss ÷ plain. At 100 bars the computation
/// is negligible, so the difference there is the fixed cost of a miss.
fn overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_miss_overhead");
    for n in [100usize, 1_000, 10_000, 100_000] {
        let cols = bars_data(n);
        let close = &cols[3];
        let engine = Engine::new(256 << 20);
        let id = engine.insert_series("x", owned(&cols)).unwrap();
        for text in EXPRS {
            let expr: Series = text.parse().unwrap();
            let mut diffs = Vec::new();
            let mut ratios = Vec::new();
            group.bench_function(BenchmarkId::new(text, n), |b| {
                b.iter_custom(|iters| {
                    let mut total = 0.0;
                    for i in 0..iters {
                        let (p, m) = pair(&engine, id, &expr, text, close, i);
                        diffs.push(m - p);
                        ratios.push(m / p);
                        total += m;
                    }
                    Duration::from_secs_f64(total)
                })
            });
            if !diffs.is_empty() {
                eprintln!(
                    "engine_miss_overhead/{text}/{n}: miss - plain = {:.2} µs (median of {} pairs), miss / plain = {:.3}",
                    median(&mut diffs) * 1e6,
                    diffs.len(),
                    median(&mut ratios)
                );
            }
        }
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

criterion_group!(benches, indicator, overhead, evaluate, fingerprint);
criterion_main!(benches);
