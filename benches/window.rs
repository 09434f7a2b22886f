//! Windowed indicators vs straightforward scalar ports of TA-Lib's loops,
//! per backend, at n = 1e4 and 1e6 (one thread).
//!
//! The ports keep TA-Lib's loop shape (a `trailing` index stepped by hand,
//! index loops), which is the point of a baseline, so the lints against
//! that shape are off here.
#![allow(clippy::explicit_counter_loop, clippy::needless_range_loop)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::{Backend, with_backend};

#[allow(dead_code)]
#[path = "../tests/common/inputs.rs"]
mod inputs;

// ------------------------------------------------ TA-Lib loop ports (0.7)

fn talib_sma(x: &[f64], p: usize, out: &mut [f64]) {
    out[..p - 1].fill(f64::NAN);
    let mut total = 0.0;
    for &v in &x[..p - 1] {
        total += v;
    }
    let mut trailing = 0;
    for i in p - 1..x.len() {
        total += x[i];
        out[i] = total / p as f64;
        total -= x[trailing];
        trailing += 1;
    }
}

fn talib_wma(x: &[f64], p: usize, out: &mut [f64]) {
    out[..p - 1].fill(f64::NAN);
    let divider = (p * (p + 1) / 2) as f64;
    let (mut sum, mut sub) = (0.0, 0.0);
    for i in 1..p {
        let t = x[i - 1];
        sub += t;
        sum += t * i as f64;
    }
    let mut trailing_value = 0.0;
    let mut trailing = 0;
    for i in p - 1..x.len() {
        let t = x[i];
        sub += t;
        sub -= trailing_value;
        sum += t * p as f64;
        trailing_value = x[trailing];
        trailing += 1;
        out[i] = sum / divider;
        sum -= sub;
    }
}

fn talib_var(x: &[f64], p: usize, out: &mut [f64]) {
    out[..p - 1].fill(f64::NAN);
    let (mut t1, mut t2) = (0.0, 0.0);
    for &v in &x[..p - 1] {
        t1 += v;
        t2 += v * v;
    }
    let mut trailing = 0;
    for i in p - 1..x.len() {
        let v = x[i];
        t1 += v;
        t2 += v * v;
        let m1 = t1 / p as f64;
        let m2 = t2 / p as f64;
        let tv = x[trailing];
        t1 -= tv;
        t2 -= tv * tv;
        trailing += 1;
        out[i] = m2 - m1 * m1;
    }
}

fn talib_stddev(x: &[f64], p: usize, nb: f64, out: &mut [f64]) {
    talib_var(x, p, out);
    for v in &mut out[p - 1..] {
        *v = if *v < 1e-14 { 0.0 } else { v.sqrt() * nb };
    }
}

fn talib_bbands(
    x: &[f64],
    p: usize,
    up: f64,
    dn: f64,
    u: &mut [f64],
    m: &mut [f64],
    l: &mut [f64],
) {
    talib_sma(x, p, m);
    // TA_INT_stddev_using_precalc_ma: running Σx² around the SMA output.
    u[..p - 1].fill(f64::NAN);
    l[..p - 1].fill(f64::NAN);
    let mut sq = 0.0;
    for &v in &x[..p - 1] {
        sq += v * v;
    }
    let mut trailing = 0;
    for i in p - 1..x.len() {
        let v = x[i];
        sq += v * v;
        let mean = m[i];
        let var = sq / p as f64 - mean * mean;
        let sd = if var < 1e-14 { 0.0 } else { var.sqrt() };
        let t = x[trailing];
        sq -= t * t;
        trailing += 1;
        u[i] = mean + up * sd;
        l[i] = mean - dn * sd;
    }
}

fn talib_max(x: &[f64], p: usize, out: &mut [f64]) {
    out[..p - 1].fill(f64::NAN);
    let (mut hi_idx, mut hi) = (-1isize, 0.0);
    let mut trailing = 0usize;
    for today in p - 1..x.len() {
        let t = x[today];
        if hi_idx < trailing as isize {
            hi_idx = trailing as isize;
            hi = x[trailing];
            for i in trailing + 1..=today {
                if x[i] >= hi {
                    hi_idx = i as isize;
                    hi = x[i];
                }
            }
        } else if t >= hi {
            hi_idx = today as isize;
            hi = t;
        }
        out[today] = hi;
        trailing += 1;
    }
}

#[allow(clippy::too_many_arguments)]
fn talib_stoch(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    fk: usize,
    sk: usize,
    sd: usize,
    tmp: &mut [f64],
    tmp2: &mut [f64],
    k: &mut [f64],
    d: &mut [f64],
) {
    // Raw %K with TA-Lib's cached extremes and rescans.
    let n = c.len();
    tmp[..fk - 1].fill(f64::NAN);
    let (mut lo_idx, mut hi_idx) = (-1isize, -1isize);
    let (mut lo, mut hi) = (0.0, 0.0);
    let mut trailing = 0usize;
    for today in fk - 1..n {
        let t = l[today];
        if lo_idx < trailing as isize {
            lo_idx = trailing as isize;
            lo = l[trailing];
            for i in trailing + 1..=today {
                if l[i] < lo {
                    lo_idx = i as isize;
                    lo = l[i];
                }
            }
        } else if t <= lo {
            lo_idx = today as isize;
            lo = t;
        }
        let t = h[today];
        if hi_idx < trailing as isize {
            hi_idx = trailing as isize;
            hi = h[trailing];
            for i in trailing + 1..=today {
                if h[i] > hi {
                    hi_idx = i as isize;
                    hi = h[i];
                }
            }
        } else if t >= hi {
            hi_idx = today as isize;
            hi = t;
        }
        let diff = (hi - lo) / 100.0;
        tmp[today] = if diff != 0.0 {
            (c[today] - lo) / diff
        } else {
            0.0
        };
        trailing += 1;
    }
    // slowK = SMA(raw, sk) over the valid part, slowD = SMA(slowK, sd).
    let a = fk - 1;
    tmp2[..a].fill(f64::NAN);
    talib_sma(&tmp[a..], sk, &mut tmp2[a..]);
    let b = a + sk - 1;
    d[..b].fill(f64::NAN);
    talib_sma(&tmp2[b..], sd, &mut d[b..]);
    k.copy_from_slice(tmp2);
    let lb = b + sd - 1;
    k[..lb].fill(f64::NAN);
}

// ------------------------------------------------------------ helpers

fn agree(what: &str, a: &[f64], b: &[f64], scale: f64, tol: f64) {
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!(
            x.is_nan() == y.is_nan() && (x.is_nan() || (x - y).abs() <= tol * y.abs().max(scale)),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

const SIZES: [usize; 2] = [10_000, 1_000_000];

/// An additive random walk around 1000 (steps ±0.5): unlike the
/// geometric one it does not decay towards 0 over 1e6 bars, where TA-Lib's
/// absolute epsilons would change the results.
fn walk(n: usize) -> Vec<f64> {
    let mut r = inputs::Rng::new(42);
    let mut level = 1000.0;
    (0..n)
        .map(|_| {
            level += 0.5 * r.sym();
            level
        })
        .collect()
}

fn hlc(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let c = walk(n);
    let mut r = inputs::Rng::new(7);
    let h = c.iter().map(|v| v * (1.0 + 0.01 * r.unit())).collect();
    let l = c.iter().map(|v| v * (1.0 - 0.01 * r.unit())).collect();
    (h, l, c)
}

/// An indicator (or floor) from an input into an output buffer.
type Apply<'a> = &'a dyn Fn(&[f64], &mut [f64]);

/// Rounds of [`paired_ratio`].
const ROUNDS: usize = 31;

/// The port's time over ours, measured in interleaved rounds: each round
/// times a few milliseconds of `port` calls and of `ours` calls back to
/// back (in alternating order), so a change of load or of the memory
/// system's speed on this shared machine hits both alike. Both write the
/// same output buffers (as in the criterion groups), so neither evicts
/// the other's. Prints the median ratio over [`ROUNDS`] rounds with its
/// interquartile range, next to criterion's separate medians (which are
/// minutes apart).
fn paired_ratio(name: &str, n: usize, ours: &mut dyn FnMut(), port: &mut dyn FnMut()) {
    use std::time::Instant;
    let reps = (2_000_000 / n).max(2);
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..reps {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            if round % 2 == 0 {
                let t_port = time(port);
                t_port / time(ours)
            } else {
                let t_ours = time(ours);
                time(port) / t_ours
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "paired {name}/{n}: talib_port / avx2 = {:.2}x (IQR {:.2}-{:.2}, {ROUNDS} rounds)",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4]
    );
}

/// One group: every backend running `ours` and the TA-Lib port, checked
/// against each other once before timing (`scale_tol`: 1e-6 for the ports
/// whose running sums drift, e.g. TA-Lib's WMA on 1e6 bars is off by ~1e-8
/// relative; ours is checked to 1e-9 and better in the test suite).
/// `floor`, where given, is timed as `memory_floor`: the same bytes read
/// and written with no arithmetic, the limit of any implementation once
/// the buffers no longer fit in cache.
fn group(
    c: &mut Criterion,
    name: &str,
    make: &dyn Fn(usize) -> Vec<f64>,
    scale_tol: f64,
    ours: &dyn Fn(&[f64], &mut [f64]),
    port: &dyn Fn(&[f64], &mut [f64]),
    floor: Option<Apply<'_>>,
) {
    let mut g = c.benchmark_group(name);
    for n in SIZES {
        let x = make(n);
        let scale = x.iter().map(|v| v.abs()).sum::<f64>() / n as f64;
        let mut want = vec![0.0; n];
        port(&x, &mut want);
        let mut out = vec![0.0; n];
        g.throughput(Throughput::Elements(n as u64));
        for be in Backend::available() {
            with_backend(be, || ours(&x, &mut out)).unwrap();
            agree(&format!("{name} {be} n={n}"), &out, &want, scale, scale_tol);
            g.bench_with_input(BenchmarkId::new(be.name(), n), &x, |b, x| {
                b.iter(|| with_backend(be, || ours(black_box(x), black_box(&mut out))).unwrap())
            });
        }
        g.bench_with_input(BenchmarkId::new("talib_port", n), &x, |b, x| {
            b.iter(|| port(black_box(x), black_box(&mut out)))
        });
        if let Some(floor) = floor {
            g.bench_with_input(BenchmarkId::new("memory_floor", n), &x, |b, x| {
                b.iter(|| floor(black_box(x), black_box(&mut out)))
            });
        }
        if Backend::available().any(|b| b == Backend::Avx2) {
            let out = std::cell::RefCell::new(out.as_mut_slice());
            paired_ratio(
                name,
                n,
                &mut || {
                    let o = &mut *out.borrow_mut();
                    with_backend(Backend::Avx2, || ours(black_box(&x), o)).unwrap()
                },
                &mut || port(black_box(&x), &mut out.borrow_mut()),
            );
        }
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let p = 20;
    group(
        c,
        "sma_20",
        &walk,
        1e-9,
        &|x, o| ta_kernels::sma_into(x, p, o).unwrap(),
        &|x, o| talib_sma(x, p, o),
        None,
    );
    group(
        c,
        "wma_20",
        &walk,
        1e-6,
        &|x, o| ta_kernels::wma_into(x, p, o).unwrap(),
        &|x, o| talib_wma(x, p, o),
        None,
    );
    group(
        c,
        "var_20",
        &walk,
        1e-6,
        &|x, o| ta_kernels::var_into(x, p, o).unwrap(),
        &|x, o| talib_var(x, p, o),
        Some(&|x, o| o.copy_from_slice(x)),
    );
    group(
        c,
        "stddev_20",
        &walk,
        1e-6,
        &|x, o| ta_kernels::stddev_into(x, p, 1.0, o).unwrap(),
        &|x, o| talib_stddev(x, p, 1.0, o),
        Some(&|x, o| o.copy_from_slice(x)),
    );
    {
        // BBANDS: three outputs; the group times all three, checks upper.
        let bufs = std::cell::RefCell::new((
            vec![0.0; 1_000_000],
            vec![0.0; 1_000_000],
            vec![0.0; 1_000_000],
        ));
        group(
            c,
            "bbands_20_2_2",
            &walk,
            1e-6,
            &|x, o| {
                let b = &mut *bufs.borrow_mut();
                let n = x.len();
                ta_kernels::bbands_into(x, p, 2.0, 2.0, o, &mut b.1[..n], &mut b.2[..n]).unwrap()
            },
            &|x, o| {
                let b = &mut *bufs.borrow_mut();
                let n = x.len();
                talib_bbands(x, p, 2.0, 2.0, o, &mut b.1[..n], &mut b.2[..n])
            },
            // Read the input once, write the three bands once.
            Some(&|x, o| {
                let b = &mut *bufs.borrow_mut();
                let n = x.len();
                let (m, l) = (&mut b.1[..n], &mut b.2[..n]);
                for i in 0..n {
                    (o[i], m[i], l[i]) = (x[i], x[i], x[i]);
                }
            }),
        );
    }
    for (name, make) in [
        ("max_14_walk", &walk as &dyn Fn(usize) -> Vec<f64>),
        ("max_14_falling", &|n: usize| {
            (0..n).map(|i| 1e7 - i as f64).collect()
        }),
    ] {
        group(
            c,
            name,
            make,
            0.0,
            &|x, o| ta_kernels::max_into(x, 14, o).unwrap(),
            &|x, o| talib_max(x, 14, o),
            None,
        );
    }
    // STOCH 14/3/3 on H/L/C: close drives the group; H/L are derived once.
    let mut g = c.benchmark_group("stoch_14_3_3");
    for n in SIZES {
        let (h, l, cl) = hlc(n);
        let (mut k, mut d) = (vec![0.0; n], vec![0.0; n]);
        let (mut t1, mut t2, mut wk, mut wd) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        talib_stoch(&h, &l, &cl, 14, 3, 3, &mut t1, &mut t2, &mut wk, &mut wd);
        g.throughput(Throughput::Elements(n as u64));
        for be in Backend::available() {
            with_backend(be, || {
                ta_kernels::stoch_into(&h, &l, &cl, 14, 3, 3, &mut k, &mut d).unwrap()
            })
            .unwrap();
            agree(&format!("stoch k {be}"), &k, &wk, 100.0, 1e-9);
            agree(&format!("stoch d {be}"), &d, &wd, 100.0, 1e-9);
            g.bench_function(BenchmarkId::new(be.name(), n), |b| {
                b.iter(|| {
                    with_backend(be, || {
                        ta_kernels::stoch_into(
                            black_box(&h),
                            black_box(&l),
                            black_box(&cl),
                            14,
                            3,
                            3,
                            &mut k,
                            &mut d,
                        )
                        .unwrap()
                    })
                    .unwrap()
                })
            });
        }
        g.bench_function(BenchmarkId::new("talib_port", n), |b| {
            b.iter(|| {
                talib_stoch(
                    black_box(&h),
                    black_box(&l),
                    black_box(&cl),
                    14,
                    3,
                    3,
                    &mut t1,
                    &mut t2,
                    &mut wk,
                    &mut wd,
                )
            })
        });
        if Backend::available().any(|b| b == Backend::Avx2) {
            // The port's last two buffers are its %K and %D: both write
            // the same two outputs.
            let kd = std::cell::RefCell::new((&mut k, &mut d));
            paired_ratio(
                "stoch_14_3_3",
                n,
                &mut || {
                    let (k, d) = &mut *kd.borrow_mut();
                    with_backend(Backend::Avx2, || {
                        ta_kernels::stoch_into(black_box(&h), &l, &cl, 14, 3, 3, k, d).unwrap()
                    })
                    .unwrap()
                },
                &mut || {
                    let (k, d) = &mut *kd.borrow_mut();
                    talib_stoch(black_box(&h), &l, &cl, 14, 3, 3, &mut t1, &mut t2, k, d)
                },
            );
        }
    }
    g.finish();
}

criterion_group!(window, benches);
criterion_main!(window);
