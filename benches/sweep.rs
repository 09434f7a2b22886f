//! Criterion benches for the parameter sweeps, each against the separate
//! single calls it replaces, measured in the same run.
//!
//! - `sma_sweep`: periods 2..=200 on 1e5 bars. Ids: `separate_sma` (199
//!   `sma` calls), `sweep` ([`sma_sweep`], all rows materialized; both
//!   allocate 159 MB, whose page faults dominate), `separate_sma_into` and
//!   `sweep_into` (into reused buffers), `sweep_blocks`
//!   and `sweep_blocks_256` ([`sma_sweep_blocks`] in blocks of 512 / 256
//!   bars with a consumer that reads every value, no `periods × n` buffer).
//! - `cross_sweep`: every pair fast 2..=100, slow fast+1..=200 (14,751
//!   pairs) on 1e5 bars. Ids: `separate` (199 `sma` + 14,850
//!   `cross_above_into` into reused masks), then `counts_A`, `masks_A`,
//!   `counts_A_par`, `masks_A_par` for each algorithm `A` of
//!   [`CrossAlgorithm`] (`pairloop`, `events`): counts only or masks,
//!   serial or on rayon's threads; `masks_into_A[_par]`: masks through
//!   [`cross_sweep_into`] into reused (warm) buffers.
//! - `threshold_sweep`: RSI(14) of 1e5 bars `< t` for t in 10..=40 (31
//!   thresholds), and crosses above each. Ids: `separate` (31
//!   `compare_into` / `cross_above_into`), `sweep`.
//! - `ema_sweep` / `rsi_sweep`: periods 2..=64 on 1e5 bars, vs separate
//!   calls.
//!
//! Data: a geometric random walk from 100 with 1% steps.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::sweep::{
    CrossAlgorithm, cross_sweep_counts_with, cross_sweep_into, cross_sweep_with, ema_sweep,
    rsi_sweep, sma_sweep, sma_sweep_blocks, sma_sweep_into, threshold_cross_sweep, threshold_sweep,
};
use ta_kernels::{BitMask, CmpOp, compare_into, cross_above_into, ema, rsi, sma, sma_into};

const N: usize = 100_000;

fn walk(n: usize) -> Vec<f64> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut level = 100.0;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            level *= 1.0 + 0.01 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
            level
        })
        .collect()
}

fn bench_sma(c: &mut Criterion) {
    let x = walk(N);
    let periods: Vec<usize> = (2..=200).collect();
    let mut g = c.benchmark_group("sma_sweep");
    g.sample_size(10)
        .throughput(Throughput::Elements((N * periods.len()) as u64));
    g.bench_function("separate_sma", |b| {
        b.iter(|| {
            let rows: Vec<Vec<f64>> = periods.iter().map(|&p| sma(&x, p).unwrap()).collect();
            black_box(rows)
        })
    });
    g.bench_function("sweep", |b| {
        b.iter(|| black_box(sma_sweep(&x, &periods).unwrap()))
    });
    let mut bufs = vec![vec![0.0; N]; periods.len()];
    g.bench_function("separate_sma_into", |b| {
        b.iter(|| {
            for (o, &p) in bufs.iter_mut().zip(&periods) {
                sma_into(&x, p, o).unwrap();
            }
            black_box(&bufs);
        })
    });
    g.bench_function("sweep_into", |b| {
        b.iter(|| {
            let mut outs: Vec<&mut [f64]> = bufs.iter_mut().map(|v| v.as_mut_slice()).collect();
            sma_sweep_into(&x, &periods, &mut outs).unwrap();
            black_box(&bufs);
        })
    });
    for (id, block) in [("sweep_blocks", 512), ("sweep_blocks_256", 256)] {
        g.bench_function(id, |b| {
            b.iter(|| {
                // A consumer reading every value: each row's block sum, in
                // 8 independent lanes (vectorizable).
                let mut acc = vec![0.0; periods.len()];
                sma_sweep_blocks(&x, &periods, block, |blk| {
                    for (j, a) in acc.iter_mut().enumerate() {
                        let mut l = [0.0f64; 8];
                        let (chunks, rest) = blk.row(j).as_chunks::<8>();
                        for c in chunks {
                            for (li, v) in l.iter_mut().zip(c) {
                                *li += v;
                            }
                        }
                        *a += l.iter().sum::<f64>() + rest.iter().sum::<f64>();
                    }
                })
                .unwrap();
                black_box(acc)
            })
        });
    }
    g.finish();
}

fn bench_cross(c: &mut Criterion) {
    let x = walk(N);
    let fast: Vec<usize> = (2..=100).collect();
    let slow: Vec<usize> = (3..=200).collect();
    let pairs = ta_kernels::sweep::cross_pairs(&fast, &slow);
    assert_eq!(pairs.len(), 14_751);
    let mut g = c.benchmark_group("cross_sweep");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements((N * pairs.len()) as u64));
    g.bench_function("separate", |b| {
        let mut masks = vec![BitMask::zeros(N); pairs.len()];
        b.iter(|| {
            let rows: Vec<Vec<f64>> = (0..=200)
                .map(|p| {
                    if p == 0 {
                        Vec::new()
                    } else {
                        sma(&x, p).unwrap()
                    }
                })
                .collect();
            for (m, &(f, s)) in masks.iter_mut().zip(&pairs) {
                cross_above_into(&rows[f], &rows[s], m).unwrap();
            }
            black_box(&masks);
        })
    });
    for (name, algo) in [
        ("pairloop", CrossAlgorithm::PairLoop),
        ("events", CrossAlgorithm::Events),
    ] {
        for (suffix, par) in [("", false), ("_par", true)] {
            g.bench_function(format!("counts_{name}{suffix}"), |b| {
                b.iter(|| black_box(cross_sweep_counts_with(&x, &fast, &slow, algo, par).unwrap()))
            });
            g.bench_function(format!("masks_{name}{suffix}"), |b| {
                b.iter(|| black_box(cross_sweep_with(&x, &fast, &slow, algo, par).unwrap()))
            });
            // Into warm buffers: no page faults of fresh mask memory.
            let mut masks = vec![BitMask::zeros(N); pairs.len()];
            let mut counts = vec![0u64; pairs.len()];
            g.bench_function(format!("masks_into_{name}{suffix}"), |b| {
                b.iter(|| {
                    cross_sweep_into(&x, &fast, &slow, algo, par, &mut masks, &mut counts).unwrap();
                    black_box((&masks, &counts));
                })
            });
        }
    }
    g.finish();
}

fn bench_threshold(c: &mut Criterion) {
    let r = rsi(&walk(N), 14).unwrap();
    let ts: Vec<f64> = (10..=40).map(f64::from).collect();
    let mut g = c.benchmark_group("threshold_sweep");
    g.throughput(Throughput::Elements((N * ts.len()) as u64));
    g.bench_function("separate_compare", |b| {
        let mut masks = vec![BitMask::zeros(N); ts.len()];
        b.iter(|| {
            for (m, &t) in masks.iter_mut().zip(&ts) {
                compare_into(&r, CmpOp::Lt, t, m).unwrap();
            }
            black_box(&masks);
        })
    });
    g.bench_function("sweep_compare", |b| {
        b.iter(|| black_box(threshold_sweep(&r, CmpOp::Lt, &ts).unwrap()))
    });
    g.bench_function("separate_cross", |b| {
        let mut masks = vec![BitMask::zeros(N); ts.len()];
        b.iter(|| {
            for (m, &t) in masks.iter_mut().zip(&ts) {
                cross_above_into(&r, t, m).unwrap();
            }
            black_box(&masks);
        })
    });
    g.bench_function("sweep_cross", |b| {
        b.iter(|| black_box(threshold_cross_sweep(&r, CmpOp::Gt, CmpOp::Le, &ts).unwrap()))
    });
    g.finish();
}

fn bench_recursive(c: &mut Criterion) {
    let x = walk(N);
    let periods: Vec<usize> = (2..=64).collect();
    let mut g = c.benchmark_group("recursive_sweep");
    g.sample_size(10)
        .throughput(Throughput::Elements((N * periods.len()) as u64));
    g.bench_function("separate_ema", |b| {
        b.iter(|| {
            let v: Vec<Vec<f64>> = periods.iter().map(|&p| ema(&x, p).unwrap()).collect();
            black_box(v)
        })
    });
    g.bench_function("ema_sweep", |b| {
        b.iter(|| black_box(ema_sweep(&x, &periods).unwrap()))
    });
    g.bench_function("separate_rsi", |b| {
        b.iter(|| {
            let v: Vec<Vec<f64>> = periods.iter().map(|&p| rsi(&x, p).unwrap()).collect();
            black_box(v)
        })
    });
    g.bench_function("rsi_sweep", |b| {
        b.iter(|| black_box(rsi_sweep(&x, &periods).unwrap()))
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_sma,
    bench_cross,
    bench_threshold,
    bench_recursive
);
criterion_main!(benches);
