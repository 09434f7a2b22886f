//! Criterion benches for the comparison and crossing masks.
//!
//! Groups: `cross_above` (two series), `cross_above_threshold`,
//! `cross_below` (two series), `compare_gt` (two series),
//! `compare_gt_threshold`. Ids: one per available backend, `naive` (the
//! test reference, `Vec<bool>`), `vec_bool_loop` (the plain loop of the
//! issue, building a `Vec<bool>`), `read_limit` (copying both inputs'
//! bytes with `copy_from_slice`, i.e. `memcpy`: reading plus writing as
//! many bytes, so it is *not* a floor, kept for comparison with earlier
//! runs) and, where AVX2 is available, `read_only` (an AVX2 xor-fold of
//! both inputs' bits: reading every byte once with 32-byte loads and
//! nothing else, the floor for any kernel that reads them). Data: a random
//! walk `a` and its EMA(10) `b`, which cross often, like an MA-crossover
//! signal.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::bitmask::words_for;
use ta_kernels::kernels::cross;
use ta_kernels::{Backend, CmpOp, Rhs};

#[allow(dead_code)]
#[path = "../tests/common/naive_cross.rs"]
mod naive;

const SIZES: [usize; 5] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];

fn data(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut level = 100.0;
    let a: Vec<f64> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            level *= 1.0 + 0.01 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
            level
        })
        .collect();
    let mut e = a.first().copied().unwrap_or(0.0);
    let b = a
        .iter()
        .map(|&x| {
            e += (x - e) * (2.0 / 11.0);
            e
        })
        .collect();
    (a, b)
}

/// The plain loop the issue names, as plainly written as possible.
fn vec_bool_loop(a: &[f64], b: &[f64]) -> Vec<bool> {
    let n = a.len();
    let mut v = Vec::with_capacity(n);
    v.push(false);
    for i in 1..n {
        v.push(a[i] > b[i] && a[i - 1] <= b[i - 1]);
    }
    v
}

/// The same loop against a constant.
fn vec_bool_loop_value(a: &[f64], t: f64) -> Vec<bool> {
    let n = a.len();
    let mut v = Vec::with_capacity(n);
    v.push(false);
    for i in 1..n {
        v.push(a[i] > t && a[i - 1] <= t);
    }
    v
}

/// Xors the bits of every element of `a` and of `b` (empty for a
/// threshold; the result is only there so the reads are not optimised
/// away): the cost of reading the inputs once. LLVM vectorises these
/// reductions with 256-bit loads and several accumulators under the `avx2`
/// feature.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn xor_fold_avx2(a: &[f64], b: &[f64]) -> u64 {
    if b.is_empty() {
        a.iter().fold(0, |acc, x| acc ^ x.to_bits())
    } else {
        a.iter()
            .zip(b)
            .fold(0, |acc, (x, y)| acc ^ x.to_bits() ^ y.to_bits())
    }
}

/// [`xor_fold_avx2`] where AVX2 is available.
#[cfg(target_arch = "x86_64")]
fn read_only(a: &[f64], b: &[f64]) -> Option<u64> {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above), the only
        // requirement of the `avx2` target feature.
        Some(unsafe { xor_fold_avx2(a, b) })
    } else {
        None
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn read_only(_: &[f64], _: &[f64]) -> Option<u64> {
    None
}

#[derive(Clone, Copy)]
enum Kern {
    Above,
    Below,
    Gt,
}

fn kernel(k: Kern, backend: Backend, a: &[f64], b: Rhs<'_>, out: &mut [u64]) {
    match k {
        Kern::Above => cross::cross_above(backend, a, b, out),
        Kern::Below => cross::cross_below(backend, a, b, out),
        Kern::Gt => cross::compare(backend, a, CmpOp::Gt, b, out),
    }
    .expect("valid arguments")
}

fn reference(k: Kern, a: &[f64], b: Rhs<'_>) -> Vec<bool> {
    match k {
        Kern::Above => naive::cross_above(a, b),
        Kern::Below => naive::cross_below(a, b),
        Kern::Gt => naive::compare(a, CmpOp::Gt, b),
    }
}

fn group(c: &mut Criterion, name: &str, k: Kern, threshold: bool) {
    let mut g = c.benchmark_group(name);
    for n in SIZES {
        let (a, bs) = data(n);
        let b = if threshold {
            Rhs::Value(100.0)
        } else {
            Rhs::Series(&bs)
        };
        g.throughput(Throughput::Elements(n as u64));
        let mut out = vec![0u64; words_for(n)];

        // Check once, before timing, that every backend equals the
        // reference bit for bit (and the baseline loop, where it applies).
        let want = naive::to_words(&reference(k, &a, b));
        for backend in Backend::available() {
            kernel(k, backend, &a, b, &mut out);
            assert_eq!(out, want, "{name}: {backend} disagrees with the reference");
        }
        if let Kern::Above = k {
            let base = match b {
                Rhs::Series(bs) => vec_bool_loop(&a, bs),
                Rhs::Value(t) => vec_bool_loop_value(&a, t),
            };
            assert_eq!(naive::to_words(&base), want, "{name}: baseline disagrees");
            assert!(
                want.iter().any(|&w| w != 0) || n < 100,
                "no crossings in the data"
            );
        }

        for backend in Backend::available() {
            g.bench_with_input(BenchmarkId::new(backend.name(), n), &n, |bench, _| {
                bench.iter(|| kernel(k, backend, black_box(&a), black_box(b), black_box(&mut out)))
            });
        }
        g.bench_with_input(BenchmarkId::new("naive", n), &n, |bench, _| {
            bench.iter(|| reference(k, black_box(&a), black_box(b)))
        });
        if let Kern::Above = k {
            g.bench_with_input(
                BenchmarkId::new("vec_bool_loop", n),
                &n,
                |bench, _| match b {
                    Rhs::Series(bs) => bench.iter(|| vec_bool_loop(black_box(&a), black_box(bs))),
                    Rhs::Value(t) => {
                        bench.iter(|| vec_bool_loop_value(black_box(&a), black_box(t)))
                    }
                },
            );
            let mut da = vec![0.0; n];
            let mut db = vec![0.0; n];
            g.bench_with_input(BenchmarkId::new("read_limit", n), &n, |bench, _| {
                bench.iter(|| {
                    da.copy_from_slice(black_box(&a));
                    if !threshold {
                        db.copy_from_slice(black_box(&bs));
                    }
                    black_box((&mut da, &mut db));
                })
            });
            if read_only(&a, &bs).is_some() {
                g.bench_with_input(BenchmarkId::new("read_only", n), &n, |bench, _| {
                    bench.iter(|| {
                        if threshold {
                            read_only(black_box(&a), &[])
                        } else {
                            read_only(black_box(&a), black_box(&bs))
                        }
                    })
                });
            }
        }
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    group(c, "cross_above", Kern::Above, false);
    group(c, "cross_above_threshold", Kern::Above, true);
    group(c, "cross_below", Kern::Below, false);
    group(c, "compare_gt", Kern::Gt, false);
    group(c, "compare_gt_threshold", Kern::Gt, true);
}

criterion_group!(cross_benches, benches);
criterion_main!(cross_benches);
