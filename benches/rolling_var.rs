//! Criterion benches for the rolling variance family: one group per
//! kernel, one id per backend, plus the plain sliding sum-and-sum-of-squares
//! loop the issue names, a plain copy of the same bytes (the memory-bound
//! limit), and the naive two-pass reference (small sizes).
//!
//! Input: a geometric random walk from 100 with 1% steps (prices).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::Backend;
use ta_kernels::kernels::rolling_var::{rolling_mean_var, rolling_var};

const SIZES: [usize; 5] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const PERIOD: usize = 20;

fn walk(n: usize) -> Vec<f64> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut lvl = 100.0;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lvl *= 1.0 + 0.01 * ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0);
            lvl
        })
        .collect()
}

/// The plain sliding loop, written as the issue states it:
/// `s += x[i]-x[i-p]; s2 += x[i]²-x[i-p]²; out[i] = (s2 - s*s/p)/p`.
fn plain(x: &[f64], p: usize, out: &mut [f64]) {
    let pf = p as f64;
    let n = x.len();
    let (mut s, mut s2) = (0.0, 0.0);
    for i in 0..(p - 1).min(n) {
        s += x[i];
        s2 += x[i] * x[i];
        out[i] = f64::NAN;
    }
    if n < p {
        return;
    }
    s += x[p - 1];
    s2 += x[p - 1] * x[p - 1];
    out[p - 1] = (s2 - s * s / pf) / pf;
    for i in p..n {
        s += x[i] - x[i - p];
        s2 += x[i] * x[i] - x[i - p] * x[i - p];
        out[i] = (s2 - s * s / pf) / pf;
    }
}

/// Naive two-pass per window.
fn naive(x: &[f64], p: usize, out: &mut [f64]) {
    for i in 0..x.len() {
        out[i] = if i + 1 >= p {
            let w = &x[i + 1 - p..=i];
            let m = w.iter().sum::<f64>() / p as f64;
            w.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / p as f64
        } else {
            f64::NAN
        };
    }
}

/// Before timing: every backend agrees with the two-pass reference within
/// the documented 1e-11 relative bound (plain loop: within 1e-6, it is not
/// accurate), so a broken kernel cannot post a fast time.
fn sanity(x: &[f64]) {
    let n = x.len().min(100_000);
    let x = &x[..n];
    let mut want = vec![0.0; n];
    naive(x, PERIOD, &mut want);
    let mut got = vec![0.0; n];
    for b in Backend::available() {
        rolling_var(b, x, PERIOD, 0, &mut got).unwrap();
        for i in PERIOD - 1..n {
            // naive's own error is ~p·u relative: allow it on top.
            let tol = 1e-11 * want[i] + 1e-13 * want[i];
            assert!((got[i] - want[i]).abs() <= tol, "{b:?} i={i}");
        }
    }
    plain(x, PERIOD, &mut got);
    for i in PERIOD - 1..n {
        assert!(
            (got[i] - want[i]).abs() <= 1e-6 * want[i] + 1e-9,
            "plain i={i}"
        );
    }
}

fn bench_var(c: &mut Criterion) {
    let mut g = c.benchmark_group("rolling_var_20");
    for &n in &SIZES {
        let x = walk(n);
        sanity(&x);
        let mut out = vec![0.0; n];
        g.throughput(Throughput::Elements(n as u64));
        for b in Backend::available() {
            g.bench_with_input(BenchmarkId::new(b.name(), n), &x, |bn, x| {
                bn.iter(|| rolling_var(b, black_box(x), PERIOD, 0, black_box(&mut out)).unwrap())
            });
        }
        g.bench_with_input(BenchmarkId::new("plain_loop", n), &x, |bn, x| {
            bn.iter(|| plain(black_box(x), PERIOD, black_box(&mut out)))
        });
        // The memory limit: a plain copy of the same bytes (read n, write n).
        g.bench_with_input(BenchmarkId::new("copy", n), &x, |bn, x| {
            bn.iter(|| black_box(&mut out[..]).copy_from_slice(black_box(x)))
        });
        if n <= 100_000 {
            g.bench_with_input(BenchmarkId::new("naive_two_pass", n), &x, |bn, x| {
                bn.iter(|| naive(black_box(x), PERIOD, black_box(&mut out)))
            });
        }
    }
    g.finish();
}

fn bench_mean_var(c: &mut Criterion) {
    let mut g = c.benchmark_group("rolling_mean_var_20");
    for &n in &SIZES {
        let x = walk(n);
        let mut m = vec![0.0; n];
        let mut v = vec![0.0; n];
        g.throughput(Throughput::Elements(n as u64));
        for b in Backend::available() {
            g.bench_with_input(BenchmarkId::new(b.name(), n), &x, |bn, x| {
                bn.iter(|| {
                    rolling_mean_var(b, black_box(x), PERIOD, 0, black_box(&mut m), &mut v).unwrap()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_var, bench_mean_var);
criterion_main!(benches);
