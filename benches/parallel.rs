//! Criterion benches for [`ta_kernels::parallel`]: the same work on a
//! 1-thread and a 2-thread rayon pool in one run (the ratio is the point;
//! absolute times are noisy on a shared machine).
//!
//! - many series: 64 symbols × 1e5 bars, 5 indicators (SMA 20, EMA 20,
//!   RSI 14, BBANDS 20, ATR 14): `into_threads` writes into buffers
//!   allocated once outside the timing loop, `alloc_threads` returns fresh
//!   outputs (page faults included), `plan_threads` / `plan_in_threads`
//!   run them as one trigger plan (`evaluate_many` / `evaluate_many_in`
//!   with a scratch pool kept across iterations), `series_into_threads`
//!   computes the seven series into one block per symbol
//!   (`map_series_into`: one job per symbol for all five indicators), and `control_sum` is a
//!   trivially parallel control (summing each symbol's closes) whose
//!   1-vs-2-thread ratio shows the ceiling on the machine at that moment;
//!   after the group, `into_threads`, `series_into` and `control_sum` run again on 1 and
//!   2 threads in interleaved rounds, and the median speedups are printed
//!   (robust to the load changing between criterion's benchmarks);
//! - one long series (1e7 bars): SMA 20, EMA 20 and a trigger set, chunked
//!   on 2 threads against the serial indicator / plan, and a read-only
//!   control pass on 1 and 2 threads (the ceiling of the ratio right now).
//!   Both the serial and the chunked indicators return fresh 80 MB
//!   outputs, whose page faults are part of what is timed; the `_into`
//!   pairs write into a buffer mapped before timing.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ta_kernels::parallel;
use ta_kernels::trigger::Bars;

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

struct Symbol {
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
}

fn symbols(count: usize, n: usize) -> Vec<Symbol> {
    (0..count)
        .map(|i| {
            let close = walk(n, i as u64 + 1);
            let high = close.iter().map(|c| c * 1.004).collect();
            let low = close.iter().map(|c| c * 0.996).collect();
            Symbol { high, low, close }
        })
        .collect()
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
}

/// The five indicators over every symbol; returns a checksum.
fn five(closes: &[&[f64]], bars: &[Bars<'_>]) -> f64 {
    let sma = parallel::sma_many(closes, 20).unwrap();
    let ema = parallel::ema_many(closes, 20).unwrap();
    let rsi = parallel::rsi_many(closes, 14).unwrap();
    let bb = parallel::bbands_many(closes, 20, 2.0, 2.0).unwrap();
    let atr = parallel::atr_many(bars, 14).unwrap();
    let last = |v: &Vec<f64>| v.last().copied().unwrap_or(0.0);
    sma.iter().map(last).sum::<f64>()
        + ema.iter().map(last).sum::<f64>()
        + rsi.iter().map(last).sum::<f64>()
        + bb.iter().map(|b| last(&b.upper)).sum::<f64>()
        + atr.iter().map(last).sum::<f64>()
}

/// Caller buffers for the five indicators (7 outputs per symbol),
/// allocated once and reused by every iteration.
struct Outs {
    sma: Vec<Vec<f64>>,
    ema: Vec<Vec<f64>>,
    rsi: Vec<Vec<f64>>,
    up: Vec<Vec<f64>>,
    mid: Vec<Vec<f64>>,
    lo: Vec<Vec<f64>>,
    atr: Vec<Vec<f64>>,
}

fn bufs(count: usize, n: usize) -> Vec<Vec<f64>> {
    // Written once so the pages are mapped before timing.
    (0..count).map(|_| vec![0.0; n]).collect()
}

fn sl(v: &mut [Vec<f64>]) -> Vec<&mut [f64]> {
    v.iter_mut().map(Vec::as_mut_slice).collect()
}

/// The five indicators into reused buffers; returns a checksum.
fn five_into(closes: &[&[f64]], bars: &[Bars<'_>], o: &mut Outs) -> f64 {
    parallel::sma_many_into(closes, 20, &mut sl(&mut o.sma)).unwrap();
    parallel::ema_many_into(closes, 20, &mut sl(&mut o.ema)).unwrap();
    parallel::rsi_many_into(closes, 14, &mut sl(&mut o.rsi)).unwrap();
    parallel::bbands_many_into(
        closes,
        20,
        2.0,
        2.0,
        &mut sl(&mut o.up),
        &mut sl(&mut o.mid),
        &mut sl(&mut o.lo),
    )
    .unwrap();
    parallel::atr_many_into(bars, 14, &mut sl(&mut o.atr)).unwrap();
    let last = |v: &Vec<Vec<f64>>| {
        v.iter()
            .map(|s| s.last().copied().unwrap_or(0.0))
            .sum::<f64>()
    };
    last(&o.sma) + last(&o.ema) + last(&o.rsi) + last(&o.up) + last(&o.atr)
}

/// Control: each symbol's close summed 20 times (no allocation, no
/// shared state), the ceiling a many-series run can reach on this
/// machine right now.
fn control(closes: &[&[f64]]) -> f64 {
    use rayon::prelude::*;
    closes
        .par_iter()
        .map(|x| {
            (0..20)
                .map(|k| x.iter().map(|v| v * (k as f64)).sum::<f64>())
                .sum::<f64>()
        })
        .sum()
}

fn many(c: &mut Criterion) {
    let syms = symbols(64, 100_000);
    let closes: Vec<&[f64]> = syms.iter().map(|s| s.close.as_slice()).collect();
    let bars: Vec<Bars<'_>> = syms
        .iter()
        .map(|s| {
            Bars::new()
                .with(ta_kernels::trigger::Column::High, &s.high)
                .with(ta_kernels::trigger::Column::Low, &s.low)
                .with(ta_kernels::trigger::Column::Close, &s.close)
        })
        .collect();
    let mut g = c.benchmark_group("many_64x1e5_5ind");
    g.throughput(Throughput::Elements(64 * 100_000 * 5));
    g.sample_size(10);
    let (count, n) = (closes.len(), 100_000);
    let mut outs = Outs {
        sma: bufs(count, n),
        ema: bufs(count, n),
        rsi: bufs(count, n),
        up: bufs(count, n),
        mid: bufs(count, n),
        lo: bufs(count, n),
        atr: bufs(count, n),
    };
    for threads in [1usize, 2] {
        let p = pool(threads);
        g.bench_function(BenchmarkId::new("control_sum", threads), |b| {
            b.iter(|| p.install(|| black_box(control(black_box(&closes)))))
        });
        g.bench_function(BenchmarkId::new("into_threads", threads), |b| {
            b.iter(|| {
                p.install(|| black_box(five_into(black_box(&closes), black_box(&bars), &mut outs)))
            })
        });
        g.bench_function(BenchmarkId::new("alloc_threads", threads), |b| {
            b.iter(|| p.install(|| black_box(five(black_box(&closes), black_box(&bars)))))
        });
    }
    // The same five indicators as one trigger plan over every symbol
    // (evaluate_many: one Scratch per job, so buffers are reused and the
    // run does not pay page faults for fresh outputs).
    let set = ta_kernels::trigger::TriggerSet::parse(
        "a = sma(20) > ema(20) and rsi(14) < 30 or close > bbands(20, 2, 2).upper or atr(14) > 1",
    )
    .unwrap();
    let plan = set.plan().unwrap();
    for threads in [1usize, 2] {
        let p = pool(threads);
        g.bench_function(BenchmarkId::new("plan_threads", threads), |b| {
            b.iter(|| {
                p.install(|| black_box(parallel::evaluate_many(&plan, black_box(&bars)).unwrap()))
            })
        });
        // The same with one scratch pool kept across iterations.
        let mut scratch = Vec::new();
        g.bench_function(BenchmarkId::new("plan_in_threads", threads), |b| {
            b.iter(|| {
                p.install(|| {
                    black_box(
                        parallel::evaluate_many_in(&plan, black_box(&bars), &mut scratch).unwrap(),
                    )
                })
            })
        });
    }
    // The five indicators (seven series) through `map_series_into`: one
    // job per symbol computes all of them into the symbol's block.
    let exprs = five_series();
    let mut blocks: Vec<Vec<f64>> = (0..count).map(|_| vec![0.0; exprs.len() * n]).collect();
    for threads in [1usize, 2] {
        let p = pool(threads);
        let mut scratch = Vec::new();
        g.bench_function(BenchmarkId::new("series_into_threads", threads), |b| {
            b.iter(|| {
                p.install(|| black_box(series_into(&exprs, &bars, &mut blocks, &mut scratch)))
            })
        });
    }
    g.finish();
    paired(&closes, &bars, &mut outs, &mut blocks, &plan);
}

/// SMA(20), EMA(20), RSI(14), BBANDS(20, 2, 2) and ATR(14) as series
/// expressions (the five indicators of `five`).
fn five_series() -> Vec<ta_kernels::trigger::Series> {
    [
        "sma(close, 20)",
        "ema(close, 20)",
        "rsi(close, 14)",
        "bbands(close, 20, 2, 2).upper",
        "bbands(close, 20, 2, 2).middle",
        "bbands(close, 20, 2, 2).lower",
        "atr(14)",
    ]
    .iter()
    .map(|t| t.parse().expect("a series expression"))
    .collect()
}

/// [`five_series`] over every symbol into `blocks` (one per symbol);
/// returns a checksum.
fn series_into(
    exprs: &[ta_kernels::trigger::Series],
    bars: &[Bars<'_>],
    blocks: &mut [Vec<f64>],
    pool: &mut Vec<ta_kernels::trigger::Scratch>,
) -> f64 {
    let mut outs: Vec<&mut [f64]> = blocks.iter_mut().map(Vec::as_mut_slice).collect();
    parallel::map_series_into(exprs, bars, &mut outs, pool).unwrap();
    blocks
        .iter()
        .map(|b| b.last().copied().unwrap_or(0.0))
        .sum()
}

/// The 2-thread speedups measured in interleaved rounds: each round runs
/// `into_threads`, `control_sum`, `series_into_threads` and
/// `plan_in_threads` on 1 and on 2 threads back to back (in a rotating
/// order), so a change of load on the machine hits them alike; prints the
/// median over rounds of each speedup (1-thread time ÷ 2-thread time) and
/// of `into`'s over the control's (how close the indicators come to the
/// control's ceiling).
fn paired(
    closes: &[&[f64]],
    bars: &[Bars<'_>],
    outs: &mut Outs,
    blocks: &mut [Vec<f64>],
    plan: &ta_kernels::trigger::Plan,
) {
    use std::time::Instant;
    const KINDS: usize = 4;
    let pools = [pool(1), pool(2)];
    let exprs = five_series();
    let mut scratch = [Vec::new(), Vec::new()];
    let mut plan_scratch = [Vec::new(), Vec::new()];
    // Speedups per kind: [into, control, series_into, plan_in].
    let mut speedups: [Vec<f64>; KINDS] = Default::default();
    let mut rel = Vec::new();
    for round in 0..12 {
        // t[kind][threads - 1]
        let mut t = [[0.0f64; 2]; KINDS];
        for k in 0..2 * KINDS {
            let (what, th) = ((round + k) % KINDS, (round + k / KINDS) % 2);
            let p = &pools[th];
            let start = Instant::now();
            match what {
                0 => {
                    p.install(|| black_box(five_into(closes, bars, outs)));
                }
                1 => {
                    p.install(|| black_box(control(closes)));
                }
                2 => {
                    p.install(|| black_box(series_into(&exprs, bars, blocks, &mut scratch[th])));
                }
                _ => {
                    p.install(|| {
                        black_box(
                            parallel::evaluate_many_in(plan, bars, &mut plan_scratch[th]).unwrap(),
                        )
                    });
                }
            }
            t[what][th] = start.elapsed().as_secs_f64();
        }
        for (s, tk) in speedups.iter_mut().zip(&t) {
            s.push(tk[0] / tk[1]);
        }
        rel.push((t[0][0] / t[0][1]) / (t[1][0] / t[1][1]));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let [into, ctrl, series, plan_in] = &mut speedups;
    eprintln!(
        "many_64x1e5_5ind paired (12 rounds): 2t speedup into_threads {:.2}x, series_into {:.2}x, plan_in {:.2}x, control_sum {:.2}x, into/control {:.2}",
        median(into),
        median(series),
        median(plan_in),
        median(ctrl),
        median(&mut rel)
    );
}

const SET: &str = "\
golden = sma(close, 20) crosses_above sma(close, 50)
oversold = rsi(14) < 30 and close < bbands(20, 2, 2).lower
trend = held(ema(close, 12) > ema(close, 26), 5)
";

fn long(c: &mut Criterion) {
    let n = 10_000_000;
    let x = walk(n, 99);
    let bars = Bars::from_close(&x);
    let set = ta_kernels::trigger::TriggerSet::parse(SET).unwrap();
    let (p1, p2) = (pool(1), pool(2));
    let mut g = c.benchmark_group("long_1e7");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    let auto = parallel::ChunkLen::Auto;
    // Control: a read-only pass (no allocation) on 1 and 2 threads, the
    // ceiling of the 2-thread ratio on the machine at that moment.
    let sum = |x: &[f64]| {
        use rayon::prelude::*;
        x.par_chunks(1 << 16)
            .map(|c| c.iter().map(|v| v * 1.5).sum::<f64>())
            .sum::<f64>()
    };
    g.bench_function("control_sum/serial", |b| {
        b.iter(|| p1.install(|| black_box(sum(black_box(&x)))))
    });
    g.bench_function("control_sum/2t", |b| {
        b.iter(|| p2.install(|| black_box(sum(black_box(&x)))))
    });
    g.bench_function("sma20/serial", |b| {
        b.iter(|| p1.install(|| black_box(ta_kernels::sma(black_box(&x), 20).unwrap())))
    });
    g.bench_function("sma20/chunked_2t", |b| {
        b.iter(|| p2.install(|| black_box(parallel::sma_chunked(black_box(&x), 20, auto).unwrap())))
    });
    // The same into buffers written once before timing (no page faults).
    let mut out = vec![0.0; n];
    g.bench_function("sma20/serial_into", |b| {
        b.iter(|| p1.install(|| ta_kernels::sma_into(black_box(&x), 20, &mut out).unwrap()))
    });
    g.bench_function("sma20/chunked_into_2t", |b| {
        b.iter(|| {
            p2.install(|| parallel::sma_chunked_into(black_box(&x), 20, auto, &mut out).unwrap())
        })
    });
    g.bench_function("ema20/serial_into", |b| {
        b.iter(|| p1.install(|| ta_kernels::ema_into(black_box(&x), 20, &mut out).unwrap()))
    });
    g.bench_function("ema20/chunked_into_2t", |b| {
        b.iter(|| {
            p2.install(|| parallel::ema_chunked_into(black_box(&x), 20, auto, &mut out).unwrap())
        })
    });
    g.bench_function("ema20/serial", |b| {
        b.iter(|| p1.install(|| black_box(ta_kernels::ema(black_box(&x), 20).unwrap())))
    });
    g.bench_function("ema20/chunked_1t", |b| {
        b.iter(|| p1.install(|| black_box(parallel::ema_chunked(black_box(&x), 20, auto).unwrap())))
    });
    g.bench_function("ema20/chunked_2t", |b| {
        b.iter(|| p2.install(|| black_box(parallel::ema_chunked(black_box(&x), 20, auto).unwrap())))
    });
    g.bench_function("triggers/serial", |b| {
        b.iter(|| p1.install(|| black_box(set.evaluate(black_box(&bars)).unwrap())))
    });
    g.bench_function("triggers/chunked_2t", |b| {
        b.iter(|| {
            p2.install(|| {
                black_box(parallel::evaluate_chunked(&set, black_box(&bars), auto).unwrap())
            })
        })
    });
    g.finish();
}

criterion_group!(benches, many, long);
criterion_main!(benches);
