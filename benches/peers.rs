//! ta-kernels against its Rust peers — ta (ta-rs), yata and kand — on the
//! same data: one criterion group per indicator, one `BenchmarkId` per
//! crate and size (1e4 and 1e6 bars), throughput in bars.
//!
//! Each crate runs through its natural API: ta-kernels' `_into` functions,
//! ta-rs' and yata's streaming `next()` loops (writing each value into a
//! preallocated buffer), kand's batch functions writing into caller
//! buffers. Before timing, every group checks that each peer agrees with
//! ta-kernels within 1e-9 (relative) in TA-Lib's convention, converting
//! where the peer's convention differs (see `tests/peer_impls/mod.rs` and
//! `benches/PEERS.md`), so no crate can post a time for a different or
//! wrong computation.
//!
//! Run: `cargo bench --bench peers` (a few minutes; `-- --quick` is
//! shorter).

#[path = "../tests/peer_impls/mod.rs"]
mod peer_impls;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use peer_impls::{Out, bars, check, indicators};
use std::hint::black_box;
use std::time::Duration;

const SIZES: [usize; 2] = [10_000, 1_000_000];

fn peers(c: &mut Criterion) {
    eprintln!("ta-kernels backend: {:?}", ta_kernels::Backend::active());
    let data: Vec<_> = SIZES.iter().map(|&n| bars(n)).collect();
    for ind in indicators() {
        let mut g = c.benchmark_group(ind.name);
        g.sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(2));
        for b in &data {
            let n = b.len();
            // Agreement first: a crate computing something else cannot
            // post a time.
            for ((krate, err), imp) in check(&ind, b, None).into_iter().zip(&ind.imps[1..]) {
                eprintln!(
                    "{} n={n}: {krate} max scaled difference {err:.2e} ({})",
                    ind.name, imp.note
                );
            }
            g.throughput(Throughput::Elements(n as u64));
            let mut out = Out::new(n);
            for imp in &ind.imps {
                g.bench_function(BenchmarkId::new(imp.krate, n), |bench| {
                    bench.iter(|| (imp.run)(black_box(b), black_box(&mut out)))
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, peers);
criterion_main!(benches);
