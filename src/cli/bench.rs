//! `bench`: the full indicator set and a 10-trigger set at several sizes,
//! with time, ns per bar, throughput and peak heap; five concurrent jobs;
//! the seed's targets checked line by line; ratios against a baseline.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ta_kernels::Backend;
use ta_kernels::trigger::{Bars, TriggerSet};

use super::{ALLOC, CliError};

/// Ten triggers over six distinct indicators.
const TEN_TRIGGERS: &str = include_str!("../../data/ten_triggers.txt");

/// A benchmarked workload, returning a checksum of its outputs.
type Job<'a> = dyn Fn() -> Result<f64, CliError> + 'a;

/// Jobs run concurrently for the concurrency target.
const CONCURRENT_JOBS: usize = 5;

#[derive(Serialize, Deserialize, Debug, Clone)]
struct Row {
    job: String,
    size: usize,
    seconds: f64,
    ns_per_bar: f64,
    bars_per_second: f64,
    peak_heap_bytes: usize,
}

#[derive(Serialize, Deserialize, Debug)]
struct Concurrent {
    jobs: usize,
    size: usize,
    wall_seconds: f64,
    identical_results: bool,
}

#[derive(Serialize, Deserialize, Debug)]
struct Check {
    target: String,
    measured: String,
    /// `None` when the sizes run do not cover the target.
    pass: Option<bool>,
}

#[derive(Serialize, Deserialize, Debug)]
struct Report {
    machine: String,
    backend: String,
    rows: Vec<Row>,
    concurrent: Concurrent,
    checks: Vec<Check>,
}

/// Deterministic OHLCV bars: a geometric random walk with a consistent
/// high/low and volume.
fn synthetic(n: usize) -> [Vec<f64>; 5] {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut c = 100.0;
    let mut cols: [Vec<f64>; 5] = Default::default();
    for col in cols.iter_mut() {
        col.reserve_exact(n);
    }
    for _ in 0..n {
        let open = c;
        c *= 1.0 + 0.02 * (next() - 0.5);
        let high = open.max(c) * (1.0 + 0.005 * next());
        let low = open.min(c) * (1.0 - 0.005 * next());
        for (col, v) in cols
            .iter_mut()
            .zip([open, high, low, c, 1e6 * (1.0 + next())])
        {
            col.push(v);
        }
    }
    cols
}

/// The full indicator set; returns a checksum of the outputs so results
/// can be compared and the work is not optimised away.
fn indicators(cols: &[Vec<f64>; 5]) -> Result<f64, CliError> {
    let (h, l, c) = (&cols[1], &cols[2], &cols[3]);
    let sum = |v: &[f64]| v.iter().filter(|x| x.is_finite()).sum::<f64>();
    let mut total = sum(&ta_kernels::sma(c, 20)?) + sum(&ta_kernels::ema(c, 20)?);
    total += sum(&ta_kernels::rsi(c, 14)?);
    let m = ta_kernels::macd(c, 12, 26, 9)?;
    total += sum(&m.macd) + sum(&m.signal) + sum(&m.hist);
    let b = ta_kernels::bbands(c, 20, 2.0, 2.0)?;
    total += sum(&b.upper) + sum(&b.middle) + sum(&b.lower);
    let s = ta_kernels::stoch(h, l, c, 14, 3, 3)?;
    total += sum(&s.k) + sum(&s.d);
    Ok(total)
}

/// The 10-trigger set; returns the number of events.
fn triggers(set: &TriggerSet, cols: &[Vec<f64>; 5]) -> Result<f64, CliError> {
    let bars = Bars::ohlcv(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]);
    let eval = set.evaluate(&bars)?;
    Ok(eval.masks().iter().map(|m| m.count_ones()).sum::<usize>() as f64)
}

/// Runs `job` at least 3 times and for at least 0.3 s; the median time
/// and the peak heap of one run above what was live before it.
fn measure(
    mut job: impl FnMut() -> Result<f64, CliError>,
) -> Result<(Duration, usize, f64), CliError> {
    let live = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let result = job()?;
    let peak = ALLOC.peak_usage().saturating_sub(live);
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 3 || (started.elapsed() < Duration::from_millis(300) && times.len() < 1000)
    {
        let t = Instant::now();
        let again = job()?;
        times.push(t.elapsed());
        if again.to_bits() != result.to_bits() {
            return Err(CliError::other("a job gave different results on a rerun"));
        }
    }
    times.sort();
    Ok((times[times.len() / 2], peak, result))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {threads} threads")
}

/// Runs the benchmark.
pub fn run(sizes: &[usize], json: Option<&Path>, baseline: Option<&Path>) -> Result<(), CliError> {
    if sizes.is_empty() || sizes.contains(&0) {
        return Err(CliError::usage(
            "--sizes needs positive lengths, e.g. 1000,10000",
        ));
    }
    let set = TriggerSet::parse(TEN_TRIGGERS).expect("the bench set parses");
    let mut rows = Vec::new();
    println!(
        "{:<12} {:>10} {:>12} {:>10} {:>14} {:>14}",
        "job", "bars", "time", "ns/bar", "bars/s", "peak heap"
    );
    for &n in sizes {
        let cols = synthetic(n);
        let jobs: [(&str, &Job<'_>); 2] = [
            ("indicators", &|| indicators(&cols)),
            ("triggers_10", &|| triggers(&set, &cols)),
        ];
        for (name, job) in jobs {
            let (time, peak, _) = measure(job)?;
            let secs = time.as_secs_f64();
            let row = Row {
                job: name.to_owned(),
                size: n,
                seconds: secs,
                ns_per_bar: secs * 1e9 / n as f64,
                bars_per_second: n as f64 / secs,
                peak_heap_bytes: peak,
            };
            println!(
                "{:<12} {:>10} {:>10.3}ms {:>10.2} {:>14.3e} {:>12.1}MB",
                row.job,
                n,
                secs * 1e3,
                row.ns_per_bar,
                row.bars_per_second,
                peak as f64 / 1e6
            );
            rows.push(row);
        }
    }

    // Concurrent jobs: the full workload in parallel threads, each checked
    // against the serial result.
    let size = sizes
        .iter()
        .copied()
        .filter(|&n| n <= 100_000)
        .max()
        .unwrap_or(sizes[0]);
    let cols = synthetic(size);
    let serial = (indicators(&cols)?, triggers(&set, &cols)?);
    let started = Instant::now();
    let results: Vec<Result<(f64, f64), CliError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CONCURRENT_JOBS)
            .map(|_| s.spawn(|| Ok((indicators(&cols)?, triggers(&set, &cols)?))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(CliError::other("a concurrent job panicked")))
            })
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let mut identical = true;
    for r in results {
        let (a, b) = r?;
        identical &= a.to_bits() == serial.0.to_bits() && b.to_bits() == serial.1.to_bits();
    }
    let concurrent = Concurrent {
        jobs: CONCURRENT_JOBS,
        size,
        wall_seconds: wall,
        identical_results: identical,
    };
    println!(
        "\n{CONCURRENT_JOBS} concurrent jobs (indicators + triggers, {size} bars each): {:.3} ms wall, results identical: {identical}",
        wall * 1e3
    );

    // The seed's targets.
    let time_of = |n: usize| -> Option<f64> {
        let t: f64 = rows.iter().filter(|r| r.size == n).map(|r| r.seconds).sum();
        (t > 0.0).then_some(t)
    };
    let mut checks = Vec::new();
    let mut check = |target: &str, measured: String, pass: Option<bool>| {
        checks.push(Check {
            target: target.to_owned(),
            measured,
            pass,
        });
    };
    for (n, limit) in [(1_000usize, 1.0f64), (10_000, 5.0)] {
        let target = format!("{n} points in < {limit} s");
        match time_of(n) {
            Some(t) => check(&target, format!("{:.3} ms", t * 1e3), Some(t < limit)),
            None => check(&target, format!("not run (add {n} to --sizes)"), None),
        }
    }
    let peak = rows.iter().map(|r| r.peak_heap_bytes).max().unwrap_or(0);
    check(
        "memory < 200 MB",
        format!("{:.1} MB peak heap", peak as f64 / 1e6),
        Some(peak < 200_000_000),
    );
    check(
        ">= 5 concurrent jobs",
        format!("{CONCURRENT_JOBS} jobs, identical results: {identical}"),
        Some(identical),
    );
    let largest = sizes.iter().copied().max().unwrap_or(0);
    check(
        "100,000 points handled",
        format!("largest size run: {largest}"),
        (largest >= 100_000).then_some(true),
    );
    println!("\ntargets:");
    for c in &checks {
        let status = match c.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "SKIP",
        };
        println!("  [{status}] {:<24} {}", c.target, c.measured);
    }

    let report = Report {
        machine: machine(),
        backend: Backend::active().to_string(),
        rows,
        concurrent,
        checks,
    };
    println!("\nmachine: {}; backend: {}", report.machine, report.backend);
    if let Some(path) = baseline {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
        let base: Report = serde_json::from_str(&text)
            .map_err(|e| CliError::input(format!("{}: not a bench report: {e}", path.display())))?;
        println!("\nagainst baseline {} ({}):", path.display(), base.machine);
        for r in &report.rows {
            if let Some(b) = base
                .rows
                .iter()
                .find(|b| b.job == r.job && b.size == r.size)
            {
                println!(
                    "  {:<12} {:>10}  {:>6.2}x {}",
                    r.job,
                    r.size,
                    b.seconds / r.seconds,
                    if b.seconds >= r.seconds {
                        "faster"
                    } else {
                        "slower"
                    }
                );
            }
        }
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::other(format!("encoding the report: {e}")))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::other(format!("cannot write {}: {e}", path.display())))?;
    }
    if report.checks.iter().any(|c| c.pass == Some(false)) {
        return Err(CliError::other("some targets failed (see above)"));
    }
    Ok(())
}
