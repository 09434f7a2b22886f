//! Adversarial input generators for the property tests.
//!
//! Each [`Kind`] is a family of series that has broken some real rolling
//! kernel: large offsets with tiny noise (cancellation), prices near 1e-7
//! (absolute epsilons), long constant runs (exact zeros), a jump followed
//! by a calm stretch (stale references), subnormals, and non-finite
//! values sprinkled into any of them.

use proptest::prelude::*;

/// A family of adversarial series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Uniform noise in [-1000, 1000].
    Uniform,
    /// Geometric random walk from 100 with 1% steps.
    RandomWalk,
    /// 1e9 + 1e-3 · uniform noise.
    LargeOffset,
    /// A random walk scaled to prices around 1e-7.
    TinyPrices,
    /// Runs of identical values (lengths 1..=300) between noisy stretches.
    ConstantRuns,
    /// Noisy stretch, then a 10% jump, then noise of 1e-9 of the level.
    JumpThenCalm,
    /// A steady trend a + b·i with tiny noise.
    Trend,
    /// Subnormal numbers and zeros (all below `f64::MIN_POSITIVE`).
    Subnormal,
}

pub const ALL_KINDS: [Kind; 8] = [
    Kind::Uniform,
    Kind::RandomWalk,
    Kind::LargeOffset,
    Kind::TinyPrices,
    Kind::ConstantRuns,
    Kind::JumpThenCalm,
    Kind::Trend,
    Kind::Subnormal,
];

/// A small deterministic generator (xorshift*), so a series is a pure
/// function of (kind, len, seed) and proptest shrinks over the seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03 | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-1, 1).
    pub fn sym(&mut self) -> f64 {
        2.0 * self.unit() - 1.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// A series of `len` values of `kind`, determined by `seed`.
pub fn series(kind: Kind, len: usize, seed: u64) -> Vec<f64> {
    let mut r = Rng::new(seed);
    match kind {
        Kind::Uniform => (0..len).map(|_| 1000.0 * r.sym()).collect(),
        Kind::RandomWalk => walk(&mut r, len, 100.0, 0.01),
        Kind::LargeOffset => (0..len).map(|_| 1e9 + 1e-3 * r.sym()).collect(),
        Kind::TinyPrices => walk(&mut r, len, 1e-7, 0.01),
        Kind::ConstantRuns => {
            let mut v = Vec::with_capacity(len);
            let mut level = 100.0 * (1.0 + r.sym());
            while v.len() < len {
                let run = 1 + r.below(300);
                if r.below(3) == 0 {
                    for _ in 0..run {
                        v.push(level * (1.0 + 0.01 * r.sym()));
                    }
                } else {
                    level *= 1.0 + 0.05 * r.sym();
                    v.extend(std::iter::repeat_n(level, run));
                }
            }
            v.truncate(len);
            v
        }
        Kind::JumpThenCalm => {
            let jump_at = r.below(len.max(1));
            let mut level = 100.0;
            (0..len)
                .map(|i| {
                    if i < jump_at {
                        level *= 1.0 + 0.01 * r.sym();
                        level
                    } else {
                        if i == jump_at {
                            level *= 1.1;
                        }
                        level * (1.0 + 1e-9 * r.sym())
                    }
                })
                .collect()
        }
        Kind::Trend => {
            let a = 1000.0 * r.sym();
            let b = r.sym();
            (0..len)
                .map(|i| a + b * i as f64 + 1e-6 * r.sym())
                .collect()
        }
        Kind::Subnormal => (0..len)
            .map(|_| match r.below(4) {
                0 => 0.0,
                1 => f64::MIN_POSITIVE * r.sym(),
                2 => 4.9e-324 * (r.below(1000) as f64) * if r.below(2) == 0 { 1.0 } else { -1.0 },
                _ => f64::MIN_POSITIVE * 0.5 * r.sym(),
            })
            .collect(),
    }
}

fn walk(r: &mut Rng, len: usize, start: f64, step: f64) -> Vec<f64> {
    let mut level = start;
    (0..len)
        .map(|_| {
            level *= 1.0 + step * r.sym();
            level
        })
        .collect()
}

/// Replaces about `1/every` of the values with NaN, +inf or -inf.
pub fn sprinkle_non_finite(v: &mut [f64], every: usize, seed: u64) {
    let mut r = Rng::new(seed ^ 0xABCD);
    for x in v.iter_mut() {
        if r.below(every) == 0 {
            *x = match r.below(3) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                _ => f64::NEG_INFINITY,
            };
        }
    }
}

/// A series for property tests: a kind, a length (mostly short, to cover
/// every tail and vector boundary, sometimes up to `max_len`), a seed, and
/// optionally non-finite values sprinkled in.
pub fn any_series(short_max: usize, max_len: usize) -> impl Strategy<Value = (Kind, Vec<f64>)> {
    (
        prop::sample::select(ALL_KINDS.to_vec()),
        prop_oneof![4 => 0..=short_max, 1 => 0..=max_len],
        any::<u64>(),
        prop_oneof![3 => Just(0usize), 1 => 2usize..50],
    )
        .prop_map(|(kind, len, seed, every)| {
            let mut v = series(kind, len, seed);
            if every > 0 {
                sprinkle_non_finite(&mut v, every, seed);
            }
            (kind, v)
        })
}

/// A period for a series of length `len`: 1 ..= len + 2, biased to small.
pub fn period_for(len: usize) -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => 1usize..=(len + 2).min(30),
        1 => 1usize..=len + 2,
    ]
}
