//! Criterion benches for the rolling sum / SMA kernels.
//!
//! Groups `sma_p20`, `sma_p200` and `rolling_sum_p20`, each over
//! n ∈ {1e3, 1e4, 1e5, 1e6, 1e7}, with one id per available backend, the
//! plain sliding loop the issue names (`s += x[i] - x[i-p]; out[i] = s / p`),
//! `copy` (a plain copy of the same bytes: the memory-traffic floor), and
//! the naive exact reference (`fsum` per window; sizes capped at 1e4).
//! Before timing, every backend is checked against the exact reference
//! (documented bound), so a broken kernel cannot post a time.
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::Backend;
use ta_kernels::kernels::rolling_sum::{rolling_mean, rolling_sum};

#[allow(dead_code)]
#[path = "../tests/common/exact.rs"]
mod exact;
#[allow(dead_code)]
#[path = "../tests/common/naive_sum.rs"]
mod naive_sum;

const SIZES: [usize; 5] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const NAIVE_MAX: usize = 10_000;

/// A geometric random walk from 100 with 1% steps (xorshift*).
fn walk(n: usize) -> Vec<f64> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut level = 100.0;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
            level *= 1.0 + 0.01 * (2.0 * u - 1.0);
            level
        })
        .collect()
}

/// The plain sliding loop, written plainly: one add on the carried chain
/// per output (`s += x[i] - x[i-p]`), then `s / p`.
fn plain_sma(x: &[f64], p: usize, out: &mut [f64]) {
    let n = x.len();
    let pf = p as f64;
    out[..(p - 1).min(n)].fill(f64::NAN);
    if p > n {
        return;
    }
    let mut s = 0.0;
    for &v in &x[..p] {
        s += v;
    }
    out[p - 1] = s / pf;
    for i in p..n {
        s += x[i] - x[i - p];
        out[i] = s / pf;
    }
}

/// The same loop for the sum (no division).
fn plain_sum(x: &[f64], p: usize, out: &mut [f64]) {
    let n = x.len();
    out[..(p - 1).min(n)].fill(f64::NAN);
    if p > n {
        return;
    }
    let mut s = 0.0;
    for &v in &x[..p] {
        s += v;
    }
    out[p - 1] = s;
    for i in p..n {
        s += x[i] - x[i - p];
        out[i] = s;
    }
}

type Kernel = fn(Backend, &[f64], usize, &mut [f64]) -> ta_kernels::Result<()>;

fn group(c: &mut Criterion, name: &str, p: usize, kernel: Kernel, mean: bool) {
    let mut g = c.benchmark_group(name);
    let plain: fn(&[f64], usize, &mut [f64]) = if mean { plain_sma } else { plain_sum };
    for n in SIZES {
        let x = walk(n);
        let mut out = vec![0.0; n];
        g.throughput(Throughput::Elements(n as u64));
        if n <= 10_000 {
            g.sample_size(100);
        } else {
            g.sample_size(20);
        }
        for b in Backend::available() {
            kernel(b, &x, p, &mut out).unwrap();
            naive_sum::check(&x, p, &out, mean, 1_000_000)
                .unwrap_or_else(|e| panic!("{name} {b} n {n}: {e}"));
            g.bench_with_input(BenchmarkId::new(b.name(), n), &x, |bch, x| {
                bch.iter(|| kernel(b, black_box(x), black_box(p), black_box(&mut out)).unwrap())
            });
        }
        g.bench_with_input(BenchmarkId::new("plain_loop", n), &x, |bch, x| {
            bch.iter(|| plain(black_box(x), black_box(p), black_box(&mut out)))
        });
        g.bench_with_input(BenchmarkId::new("copy", n), &x, |bch, x| {
            bch.iter(|| black_box(&mut out).copy_from_slice(black_box(x)))
        });
        if n <= NAIVE_MAX {
            g.bench_with_input(BenchmarkId::new("naive_fsum", n), &x, |bch, x| {
                bch.iter(|| {
                    if mean {
                        naive_sum::rolling_mean(black_box(x), p)
                    } else {
                        naive_sum::rolling_sum(black_box(x), p)
                    }
                })
            });
        }
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    group(c, "sma_p20", 20, rolling_mean, true);
    group(c, "sma_p200", 200, rolling_mean, true);
    group(c, "rolling_sum_p20", 20, rolling_sum, false);
}

criterion_group!(rolling, benches);
criterion_main!(rolling);
