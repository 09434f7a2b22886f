//! Criterion benches for the recursive indicators (EMA, RSI, ATR, MACD,
//! `ema_many`): every backend of the explicit-backend kernels against a
//! straightforward scalar port of TA-Lib's serial loop, same run.

#![allow(clippy::needless_range_loop)] // literal ports of TA-Lib loops

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::Backend;
use ta_kernels::kernels::ema as k;

#[path = "../tests/common/naive_recursive.rs"]
#[allow(dead_code)]
mod naive;

fn walk(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = 100.0;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v *= 1.0 + 0.01 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
            v
        })
        .collect()
}

// ---- plain ports of TA-Lib's loops, writing into caller buffers ----

fn port_ema(x: &[f64], p: usize, out: &mut [f64]) {
    let mut s = 0.0;
    for &v in &x[..p] {
        s += v;
    }
    let mut prev = s / p as f64;
    out[p - 1] = prev;
    let kk = 2.0 / (p + 1) as f64;
    for i in p..x.len() {
        prev = (x[i] - prev) * kk + prev;
        out[i] = prev;
    }
}

fn port_rsi(x: &[f64], p: usize, out: &mut [f64]) {
    let inv = 1.0 / p as f64;
    let (mut g, mut l) = (0.0, 0.0);
    for i in 1..=p {
        let d = x[i] - x[i - 1];
        if d > 0.0 { g += d } else { l -= d }
    }
    g *= inv;
    l *= inv;
    out[p] = if g + l > 0.0 {
        100.0 * (g / (g + l))
    } else {
        0.0
    };
    for i in p + 1..x.len() {
        let d = x[i] - x[i - 1];
        let (gd, ld) = if d > 0.0 { (d, 0.0) } else { (0.0, -d) };
        g = (g * (p - 1) as f64 + gd) * inv;
        l = (l * (p - 1) as f64 + ld) * inv;
        let s = g + l;
        out[i] = if s > 0.0 { 100.0 * (g / s) } else { 0.0 };
    }
}

fn port_atr(h: &[f64], l: &[f64], c: &[f64], p: usize, out: &mut [f64]) {
    let tr = |i: usize| {
        (h[i] - l[i])
            .max((h[i] - c[i - 1]).abs())
            .max((l[i] - c[i - 1]).abs())
    };
    let mut s = 0.0;
    for i in 1..=p {
        s += tr(i);
    }
    let mut prev = s / p as f64;
    out[p] = prev;
    for i in p + 1..h.len() {
        prev = (prev * (p - 1) as f64 + tr(i)) / p as f64;
        out[i] = prev;
    }
}

fn port_macd(
    x: &[f64],
    f: usize,
    s: usize,
    g: usize,
    m: &mut [f64],
    sg: &mut [f64],
    hi: &mut [f64],
) {
    let (mut sf, mut ss) = (0.0, 0.0);
    for &v in &x[s - f..s] {
        sf += v;
    }
    for &v in &x[..s] {
        ss += v;
    }
    let (mut ef, mut es) = (sf / f as f64, ss / s as f64);
    let (kf, ks, kg) = (
        2.0 / (f + 1) as f64,
        2.0 / (s + 1) as f64,
        2.0 / (g + 1) as f64,
    );
    let lb = s - 1 + g - 1;
    let mut sum = ef - es;
    for i in s..=lb {
        ef = (x[i] - ef) * kf + ef;
        es = (x[i] - es) * ks + es;
        sum += ef - es;
    }
    let mut e = sum / g as f64;
    m[lb] = ef - es;
    sg[lb] = e;
    hi[lb] = m[lb] - e;
    for i in lb + 1..x.len() {
        ef = (x[i] - ef) * kf + ef;
        es = (x[i] - es) * ks + es;
        let v = ef - es;
        e = (v - e) * kg + e;
        m[i] = v;
        sg[i] = e;
        hi[i] = v - e;
    }
}

fn assert_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x.is_nan() || y.is_nan() {
            continue;
        }
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

fn benches(c: &mut Criterion) {
    let backends: Vec<Backend> = Backend::available().collect();
    for &n in &[10_000usize, 1_000_000] {
        let x = walk(n, 1);
        let hh: Vec<f64> = x.iter().map(|v| v * 1.004).collect();
        let ll: Vec<f64> = x.iter().map(|v| v * 0.995).collect();
        let mut out = vec![0.0; n];
        let (mut o2, mut o3) = (vec![0.0; n], vec![0.0; n]);

        // Check once: every backend agrees with the naive reference.
        for &b in &backends {
            k::ema(b, &x, 20, &mut out).unwrap();
            assert_close("ema", &out, &naive::ema(&x, 20), 1e-12);
            k::rsi(b, &x, 14, &mut out).unwrap();
            assert_close("rsi", &out, &naive::rsi(&x, 14), 1e-12);
            k::atr(b, &hh, &ll, &x, 14, &mut out).unwrap();
            assert_close("atr", &out, &naive::atr(&hh, &ll, &x, 14), 1e-12);
            k::macd(b, &x, 12, 26, 9, &mut out, &mut o2, &mut o3).unwrap();
            let w = naive::macd(&x, 12, 26, 9);
            assert_close("macd", &out, &w[0], 1e-12);
            assert_close("signal", &o2, &w[1], 1e-12);
        }

        let mut g = c.benchmark_group(format!("ema/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        for &b in &backends {
            g.bench_function(BenchmarkId::new(b.name(), n), |bn| {
                bn.iter(|| k::ema(b, black_box(&x), 20, &mut out).unwrap())
            });
        }
        g.bench_function(BenchmarkId::new("talib_port", n), |bn| {
            bn.iter(|| port_ema(black_box(&x), 20, &mut out))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("rsi/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        for &b in &backends {
            g.bench_function(BenchmarkId::new(b.name(), n), |bn| {
                bn.iter(|| k::rsi(b, black_box(&x), 14, &mut out).unwrap())
            });
        }
        g.bench_function(BenchmarkId::new("talib_port", n), |bn| {
            bn.iter(|| port_rsi(black_box(&x), 14, &mut out))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("atr/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        for &b in &backends {
            g.bench_function(BenchmarkId::new(b.name(), n), |bn| {
                bn.iter(|| k::atr(b, black_box(&hh), &ll, &x, 14, &mut out).unwrap())
            });
        }
        g.bench_function(BenchmarkId::new("talib_port", n), |bn| {
            bn.iter(|| port_atr(black_box(&hh), &ll, &x, 14, &mut out))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("macd/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        for &b in &backends {
            g.bench_function(BenchmarkId::new(b.name(), n), |bn| {
                bn.iter(|| {
                    k::macd(b, black_box(&x), 12, 26, 9, &mut out, &mut o2, &mut o3).unwrap()
                })
            });
        }
        g.bench_function(BenchmarkId::new("talib_port", n), |bn| {
            bn.iter(|| port_macd(black_box(&x), 12, 26, 9, &mut out, &mut o2, &mut o3))
        });
        g.finish();
    }

    // ema_many: 64 series × 1e5 vs 64 scalar calls.
    let n = 100_000;
    let xs: Vec<Vec<f64>> = (0..64).map(|j| walk(n, j + 10)).collect();
    let refs: Vec<&[f64]> = xs.iter().map(|v| v.as_slice()).collect();
    let mut store = vec![vec![0.0; n]; 64];
    let mut g = c.benchmark_group("ema_many/64x100000");
    g.throughput(Throughput::Elements((64 * n) as u64));
    for &b in &backends {
        {
            let mut outs: Vec<&mut [f64]> = store.iter_mut().map(|v| v.as_mut_slice()).collect();
            k::ema_many(b, &refs, 20, &mut outs).unwrap();
        }
        for (x, o) in xs.iter().zip(&store) {
            assert_close("ema_many", o, &naive::ema(x, 20), 1e-12);
        }
        g.bench_function(BenchmarkId::new(b.name(), 64), |bn| {
            let mut outs: Vec<&mut [f64]> = store.iter_mut().map(|v| v.as_mut_slice()).collect();
            bn.iter(|| k::ema_many(b, black_box(&refs), 20, &mut outs).unwrap())
        });
    }
    g.bench_function(BenchmarkId::new("64_scalar_calls", 64), |bn| {
        bn.iter(|| {
            for (x, o) in refs.iter().zip(store.iter_mut()) {
                k::ema(Backend::Scalar, black_box(x), 20, o).unwrap();
            }
        })
    });
    g.bench_function(BenchmarkId::new("64_talib_port_calls", 64), |bn| {
        bn.iter(|| {
            for (x, o) in refs.iter().zip(store.iter_mut()) {
                port_ema(black_box(x), 20, o);
            }
        })
    });
    g.finish();
}

criterion_group!(recursive, benches);
criterion_main!(recursive);
