//! Streaming: the cost of one `push` (a 10-trigger set over 6 distinct
//! indicators; a single SMA or EMA state) against the batch cost per bar of
//! the same work, measured in the same run.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use ta_kernels::stream::{Bar, Ema, Sma, Stream, StreamEngine};
use ta_kernels::trigger::{Bars, TriggerSet};

/// Ten triggers over six distinct indicators (as benches/triggers.rs).
const SET: &str = include_str!("../data/ten_triggers.txt");

const N: usize = 100_000;

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

fn engine(c: &mut Criterion) {
    let set = TriggerSet::parse(SET).unwrap();
    let cols = bars_data(2 * N);
    let (hist, live): (Vec<_>, Vec<_>) = (
        cols.iter().map(|c| c[..N].to_vec()).collect(),
        cols.iter().map(|c| c[N..].to_vec()).collect(),
    );
    let hist_bars = Bars::ohlcv(&hist[0], &hist[1], &hist[2], &hist[3], &hist[4]);
    let all = Bars::ohlcv(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]);
    let bars: Vec<Bar> = (0..N)
        .map(|i| Bar::new(live[0][i], live[1][i], live[2][i], live[3][i], live[4][i]))
        .collect();
    let mut warm = StreamEngine::new(&set).unwrap();
    warm.warm_up(&hist_bars).unwrap();
    // Check once that streaming fires where the batch evaluation does.
    let eval = set.evaluate(&all).unwrap();
    let mut e = warm.clone();
    let mut events = 0;
    for (i, b) in bars.iter().enumerate() {
        for t in e.push(b).unwrap().indices() {
            assert!(eval.masks()[*t].get(N + i), "bar {} trigger {t}", N + i);
            events += 1;
        }
    }
    let batch_events: usize = eval
        .masks()
        .iter()
        .map(|m| m.iter_ones().filter(|&i| i >= N).count())
        .sum();
    assert_eq!(events, batch_events);
    eprintln!(
        "10-trigger engine: {} bytes (memory_bytes), {events} events in {N} bars",
        warm.memory_bytes()
    );

    let mut group = c.benchmark_group("stream_ten_triggers");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function(BenchmarkId::new("push", N), |b| {
        b.iter_batched_ref(
            || warm.clone(),
            |e| {
                let mut fired = 0;
                for bar in &bars {
                    fired += e.push(black_box(bar)).unwrap().len();
                }
                fired
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function(BenchmarkId::new("update_last", N), |b| {
        b.iter_batched_ref(
            || warm.clone(),
            |e| {
                let mut fired = 0;
                for bar in &bars {
                    fired += e.update_last(black_box(bar)).unwrap().len();
                }
                fired
            },
            BatchSize::LargeInput,
        )
    });
    let live_bars = Bars::ohlcv(&live[0], &live[1], &live[2], &live[3], &live[4]);
    group.bench_function(BenchmarkId::new("batch_evaluate", N), |b| {
        b.iter(|| set.evaluate(black_box(&live_bars)).unwrap())
    });
    group.bench_function(BenchmarkId::new("warm_up", N), |b| {
        b.iter_batched_ref(
            || StreamEngine::new(&set).unwrap(),
            |e| e.warm_up(black_box(&live_bars)).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn single(c: &mut Criterion) {
    let x = bars_data(N)[3].clone();
    let mut group = c.benchmark_group("stream_single");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function(BenchmarkId::new("sma20_push", N), |b| {
        b.iter_batched_ref(
            || Sma::new(20).unwrap(),
            |s| {
                let mut acc = 0.0;
                for &v in &x {
                    acc += s.push(black_box(v));
                }
                acc
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function(BenchmarkId::new("ema20_push", N), |b| {
        b.iter_batched_ref(
            || Ema::new(20).unwrap(),
            |s| {
                let mut acc = 0.0;
                for &v in &x {
                    acc += s.push(black_box(v));
                }
                acc
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function(BenchmarkId::new("sma20_batch", N), |b| {
        b.iter(|| ta_kernels::sma(black_box(&x), 20).unwrap())
    });
    group.bench_function(BenchmarkId::new("ema20_batch", N), |b| {
        b.iter(|| ta_kernels::ema(black_box(&x), 20).unwrap())
    });
    group.finish();
}

criterion_group!(benches, engine, single);
criterion_main!(benches);
