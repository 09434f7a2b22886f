//! Trigger sets: shared planned evaluation vs each trigger alone vs the
//! naive interpreter, and the cost of parsing + planning.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use ta_kernels::trigger::{Bars, Scratch, TriggerSet};

#[path = "../tests/common/naive_trigger.rs"]
#[allow(dead_code)]
mod naive_trigger;

/// Ten triggers over six distinct indicators (also used by `ta-kernels bench`).
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

fn triggers(c: &mut Criterion) {
    let set = TriggerSet::parse(SET).unwrap();
    let mut group = c.benchmark_group("trigger_set_10");
    group.sample_size(10);
    for n in [10_000usize, 1_000_000] {
        let cols = bars_data(n);
        let bars = Bars::ohlcv(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]);
        // Check once that the three ways agree before timing them.
        let shared = set.evaluate(&bars).unwrap();
        for (i, t) in set.triggers().iter().enumerate() {
            let alone = TriggerSet::new()
                .with("x", t.cond.clone())
                .unwrap()
                .evaluate(&bars)
                .unwrap();
            assert_eq!(alone.masks()[0], shared.masks()[i], "{}", t.name);
        }
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("shared_plan", n), &bars, |b, bars| {
            b.iter(|| set.evaluate(black_box(bars)).unwrap())
        });
        // The same plan evaluated with a reused scratch space, as a scan
        // over many symbols (or a periodic re-scan) would run it.
        let plan = set.plan().unwrap();
        let mut scratch = Scratch::new();
        assert_eq!(plan.evaluate_in(&bars, &mut scratch).unwrap(), shared);
        group.bench_with_input(
            BenchmarkId::new("shared_plan_scratch", n),
            &bars,
            |b, bars| b.iter(|| plan.evaluate_in(black_box(bars), &mut scratch).unwrap()),
        );
        group.bench_with_input(BenchmarkId::new("each_alone", n), &bars, |b, bars| {
            b.iter(|| {
                for t in set.triggers() {
                    let one = TriggerSet::new().with("x", t.cond.clone()).unwrap();
                    black_box(one.evaluate(black_box(bars)).unwrap());
                }
            })
        });
        group.bench_with_input(
            BenchmarkId::new("naive_interpreter", n),
            &bars,
            |b, bars| {
                b.iter(|| {
                    for t in set.triggers() {
                        black_box(naive_trigger::cond(&t.cond, black_box(bars), n));
                    }
                })
            },
        );
    }
    group.finish();

    c.bench_function("parse_10", |b| {
        b.iter(|| TriggerSet::parse(black_box(SET)).unwrap())
    });
    let parsed = TriggerSet::parse(SET).unwrap();
    c.bench_function("plan_10", |b| b.iter(|| black_box(&parsed).plan().unwrap()));
    c.bench_function("parse_and_plan_10", |b| {
        b.iter(|| {
            let set = TriggerSet::parse(black_box(SET)).unwrap();
            black_box(set.plan().unwrap())
        })
    });
}

criterion_group!(benches, triggers);
criterion_main!(benches);
