//! Shared by `benches/peers.rs` and `tests/peers.rs` (included with
//! `#[path]`): the input data, each crate's natural way of computing each
//! indicator, and the agreement check run before any timing.
//!
//! Every indicator has one [`Imp`] per crate; `imps[0]` is ta-kernels. A
//! peer's [`Imp::view`] returns its outputs in ta-kernels' (= TA-Lib
//! 0.8.1's) convention — scaled or converted where the peer's convention
//! differs, as [`Imp::note`] says — and [`check`] compares them from
//! [`Imp::from`] on. The timed function is exactly the checked one.

use ta::Next;
use ta_kernels::BitMask;
use yata::helpers::MA;
use yata::prelude::{Candle, IndicatorConfig, IndicatorInstance, Method};

/// Relative agreement asserted wherever a peer is compared.
pub const TOL: f64 = 1e-9;

/// The bound for a peer whose running sums over the whole series drift
/// past [`TOL`] on long series (yata's `StDev`: 1.06e-9 on 1e6 bars).
pub const DRIFT_TOL: f64 = 1e-8;

/// Bars after which a seed difference has decayed below rounding for the
/// slowest recursion compared here (EMA(26): (25/27)^1000 ≈ 1e-34; Wilder
/// 14: (13/14)^1000 ≈ 1e-32).
pub const CONVERGED: usize = 1000;

/// OHLC bars in the layouts the crates take: column slices (ta-kernels,
/// kand), `ta::DataItem`s and `yata::Candle`s (built once, outside timing).
pub struct Bars {
    /// High prices.
    pub high: Vec<f64>,
    /// Low prices.
    pub low: Vec<f64>,
    /// Close prices.
    pub close: Vec<f64>,
    /// The same bars for ta-rs.
    pub ta: Vec<ta::DataItem>,
    /// The same bars for yata.
    pub yata: Vec<Candle>,
}

impl Bars {
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.close.len()
    }
}

/// SplitMix64, a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Approximately standard normal (Irwin–Hall, 12 uniforms).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// A deterministic geometric random walk of `n` bars starting at 100: 1%
/// per-bar log volatility with a weak pull (θ = 1e-3) towards 100, so that
/// 1e6 bars stay in a realistic price band (about 50..200) instead of
/// drifting over decades. Open = previous close; high/low extend the
/// open–close body by up to 0.4%, so `low ≤ open, close ≤ high` on every
/// bar.
pub fn bars(n: usize) -> Bars {
    let mut rng = Rng(0x7A_6B_5C_4D);
    let mu = 100f64.ln();
    let mut lp = mu;
    let mut prev = 100.0f64;
    let (mut high, mut low, mut close) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut ta_bars, mut yata_bars) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        lp += 0.01 * rng.normal() - 1e-3 * (lp - mu);
        let c = lp.exp();
        let o = prev;
        let h = o.max(c) * (1.0 + 0.004 * rng.unit());
        let l = o.min(c) * (1.0 - 0.004 * rng.unit());
        let v = 1000.0 + 1000.0 * rng.unit();
        high.push(h);
        low.push(l);
        close.push(c);
        ta_bars.push(
            ta::DataItem::builder()
                .open(o)
                .high(h)
                .low(l)
                .close(c)
                .volume(v)
                .build()
                .expect("consistent bar"),
        );
        yata_bars.push(Candle {
            open: o,
            high: h,
            low: l,
            close: c,
            volume: v,
        });
        prev = c;
    }
    Bars {
        high,
        low,
        close,
        ta: ta_bars,
        yata: yata_bars,
    }
}

/// Output buffers, allocated once per size and reused by every call (kand's
/// extra state outputs go to `o[3..]`).
pub struct Out {
    /// Value outputs (each of the input's length).
    pub o: Vec<Vec<f64>>,
    /// ta-kernels' cross mask.
    pub mask: BitMask,
    /// The peers' cross flags.
    pub flags: Vec<bool>,
}

impl Out {
    /// Buffers for `n` bars.
    pub fn new(n: usize) -> Self {
        Out {
            o: vec![vec![0.0; n]; 8],
            mask: BitMask::zeros(n),
            flags: vec![false; n],
        }
    }
}

/// One crate's way of computing one indicator.
pub struct Imp {
    /// The crate's name (the criterion `BenchmarkId` function name).
    pub krate: &'static str,
    /// The timed call: computes the indicator into `out`.
    pub run: fn(&Bars, &mut Out),
    /// The outputs compared, in ta-kernels' convention.
    pub view: fn(&Bars, &Out) -> Vec<Vec<f64>>,
    /// First bar compared (TA-Lib's lookback where only the warm-up
    /// differs, [`CONVERGED`] where a seed has to wash out).
    pub from: usize,
    /// How the peer's convention relates to TA-Lib's (empty for
    /// ta-kernels).
    pub note: &'static str,
    /// The agreement asserted: [`TOL`], except for peers whose running
    /// sums over the whole series drift past it on 1e6 bars (said in
    /// `note`); on short series every peer is held to [`TOL`].
    pub tol: f64,
}

/// One indicator with its implementations (`imps[0]` is ta-kernels).
pub struct Indicator {
    /// Criterion group name.
    pub name: &'static str,
    /// ta-kernels first, then the peers.
    pub imps: Vec<Imp>,
}

const P: usize = 20; // SMA, EMA, BBANDS, STDDEV
const RSI_P: usize = 14;
const ATR_P: usize = 14;
const MM_P: usize = 14;
const FK: usize = 14;
const SK: usize = 3;
const SD: usize = 3;
const FAST: usize = 12;
const SLOW: usize = 26;
const SIG: usize = 9;
const CROSS_A: usize = 20;
const CROSS_B: usize = 50;
/// ta-rs smooths RSI and ATR with an EMA of α = 2/(n+1); n = 27 gives
/// α = 1/14, Wilder's smoothing for 14.
const TA_WILDER_14: usize = 2 * 14 - 1;

fn v1(o: &Out) -> Vec<Vec<f64>> {
    vec![o.o[0].clone()]
}
fn v2(o: &Out) -> Vec<Vec<f64>> {
    vec![o.o[0].clone(), o.o[1].clone()]
}
fn v3(o: &Out) -> Vec<Vec<f64>> {
    vec![o.o[0].clone(), o.o[1].clone(), o.o[2].clone()]
}
fn scaled(o: &Out, k: usize, s: f64) -> Vec<Vec<f64>> {
    o.o[..k]
        .iter()
        .map(|v| v.iter().map(|x| x * s).collect())
        .collect()
}
fn flags(f: &[bool]) -> Vec<Vec<f64>> {
    vec![f.iter().map(|&b| f64::from(u8::from(b))).collect()]
}

/// Sample → population standard deviation over `P` values.
fn pop_from_sample() -> f64 {
    ((P - 1) as f64 / P as f64).sqrt()
}

/// Writes a streaming indicator's outputs from bar 0.
macro_rules! stream {
    ($out:expr, $xs:expr, |$x:ident| $body:expr) => {
        for (o, $x) in $out.iter_mut().zip($xs) {
            *o = $body;
        }
    };
}

/// All indicators, each with every crate's implementation.
pub fn indicators() -> Vec<Indicator> {
    vec![
        Indicator {
            name: "sma_20",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| ta_kernels::sma_into(&b.close, P, &mut o.o[0]).unwrap(),
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut s = ta::indicators::SimpleMovingAverage::new(P).unwrap();
                        stream!(o.o[0], &b.close, |x| s.next(*x));
                    },
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "same after warm-up (ta-rs averages the bars seen so far before bar 19)",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let mut s = yata::methods::SMA::new(P as u8, &b.close[0]).unwrap();
                        stream!(o.o[0], &b.close, |x| s.next(x));
                    },
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "same after warm-up (yata pre-fills the window with the first value)",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| kand::ohlcv::sma::sma(&b.close, P, &mut o.o[0]).unwrap(),
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "same (TA-Lib style, NaN warm-up)",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "ema_20",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| ta_kernels::ema_into(&b.close, P, &mut o.o[0]).unwrap(),
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut s = ta::indicators::ExponentialMovingAverage::new(P).unwrap();
                        stream!(o.o[0], &b.close, |x| s.next(*x));
                    },
                    view: |_, o| v1(o),
                    from: CONVERGED,
                    note: "seeded with the first value, not the SMA of the first 20: compared once the seed has decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let mut s = yata::methods::EMA::new(P as u8, &b.close[0]).unwrap();
                        stream!(o.o[0], &b.close, |x| s.next(x));
                    },
                    view: |_, o| v1(o),
                    from: CONVERGED,
                    note: "seeded with the first value: compared once the seed has decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| kand::ohlcv::ema::ema(&b.close, P, None, &mut o.o[0]).unwrap(),
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "same (SMA seed at bar 19; `prev + k(x − prev)` with FMA: last-bit differences)",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "rsi_14",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| ta_kernels::rsi_into(&b.close, RSI_P, &mut o.o[0]).unwrap(),
                    view: |_, o| v1(o),
                    from: RSI_P,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut s =
                            ta::indicators::RelativeStrengthIndex::new(TA_WILDER_14).unwrap();
                        stream!(o.o[0], &b.close, |x| s.next(*x));
                    },
                    view: |_, o| v1(o),
                    from: CONVERGED,
                    note: "not Wilder's: EMA(α = 2/(n+1)) of gains/losses seeded with 0.1/0.1; run as RSI(27), whose α = 1/14 is Wilder's 14, and compared once the seed has decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let cfg = yata::indicators::RSI {
                            ma: MA::RMA(RSI_P as u8),
                            ..Default::default()
                        };
                        let mut s = cfg.init(&b.yata[0]).unwrap();
                        stream!(o.o[0], &b.yata, |c| s.next(c).value(0));
                    },
                    view: |_, o| scaled(o, 1, 100.0),
                    from: CONVERGED,
                    note: "default smoothing is EMA(14), so run with `ma: RMA(14)` (Wilder); values in [0, 1] (× 100 to compare); averages seeded with 0: compared once the seed has decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        let (r, rest) = o.o.split_at_mut(3);
                        let (g, l) = rest.split_at_mut(1);
                        kand::ohlcv::rsi::rsi(&b.close, RSI_P, &mut r[0], &mut g[0], &mut l[0])
                            .unwrap();
                    },
                    view: |_, o| v1(o),
                    from: RSI_P,
                    note: "same (Wilder, seeded with the mean of the first 14 changes)",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "macd_12_26_9",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| {
                        let [m, s, h, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        ta_kernels::macd_into(&b.close, FAST, SLOW, SIG, m, s, h).unwrap();
                    },
                    view: |_, o| v3(o),
                    from: SLOW - 1 + SIG - 1,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut s = ta::indicators::MovingAverageConvergenceDivergence::new(
                            FAST, SLOW, SIG,
                        )
                        .unwrap();
                        let [m, sg, h, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, x) in b.close.iter().enumerate() {
                            let r = s.next(*x);
                            (m[i], sg[i], h[i]) = (r.macd, r.signal, r.histogram);
                        }
                    },
                    view: |_, o| v3(o),
                    from: CONVERGED,
                    note: "all three EMAs seeded with their first input from bar 0: compared once the seeds have decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let mut s = yata::indicators::MACD::default().init(&b.yata[0]).unwrap();
                        let [m, sg, h, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, c) in b.yata.iter().enumerate() {
                            let r = s.next(c);
                            (m[i], sg[i]) = (r.value(0), r.value(1));
                            h[i] = m[i] - sg[i];
                        }
                    },
                    view: |_, o| v3(o),
                    from: CONVERGED,
                    note: "EMAs seeded with the first close, signal EMA with 0; no histogram output (computed as macd − signal in the loop): compared once the seeds have decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        let [m, s, h, f, sl, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        kand::ohlcv::macd::macd(&b.close, FAST, SLOW, SIG, m, s, h, f, sl).unwrap();
                    },
                    view: |_, o| v3(o),
                    from: CONVERGED,
                    note: "fast EMA seeded at bar 11, not bar 25 as TA-Lib does (kand marks its MACD unstable): compared once the seed has decayed",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "bbands_20_2",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| {
                        let [u, m, l, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        ta_kernels::bbands_into(&b.close, P, 2.0, 2.0, u, m, l).unwrap();
                    },
                    view: |_, o| v3(o),
                    from: P - 1,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut s = ta::indicators::BollingerBands::new(P, 2.0).unwrap();
                        let [u, m, l, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, x) in b.close.iter().enumerate() {
                            let r = s.next(*x);
                            (u[i], m[i], l[i]) = (r.upper, r.average, r.lower);
                        }
                    },
                    view: |_, o| v3(o),
                    from: P - 1,
                    note: "same after warm-up (population σ, Welford-style running update)",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let mut s = yata::indicators::BollingerBands::default()
                            .init(&b.yata[0])
                            .unwrap();
                        let [u, m, l, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, c) in b.yata.iter().enumerate() {
                            let r = s.next(c);
                            (u[i], m[i], l[i]) = (r.value(0), r.value(1), r.value(2));
                        }
                    },
                    view: |_, o| {
                        // Sample σ → population σ: bands = middle ± 2σ·√(19/20).
                        let k = pop_from_sample();
                        let m = o.o[1].clone();
                        let u = m
                            .iter()
                            .zip(&o.o[0])
                            .map(|(m, u)| m + (u - m) * k)
                            .collect();
                        let l = m
                            .iter()
                            .zip(&o.o[2])
                            .map(|(m, l)| m - (m - l) * k)
                            .collect();
                        vec![u, m, l]
                    },
                    from: P - 1,
                    note: "sample σ (÷ 19): converted to population (× √(19/20)) to compare; window pre-filled with the first value; running Σx, Σx² over the whole series drift (1e-9 allowed only on short series, 1e-8 on 1e6 bars)",
                    tol: DRIFT_TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        let [u, m, l, s, v, su, sq, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        kand::ohlcv::bbands::bbands(&b.close, P, 2.0, 2.0, u, m, l, s, v, su, sq)
                            .unwrap();
                    },
                    view: |_, o| v3(o),
                    from: P - 1,
                    note: "same (population σ from running Σx, Σx² over the whole series)",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "stddev_20",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| ta_kernels::stddev_into(&b.close, P, 1.0, &mut o.o[0]).unwrap(),
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut s = ta::indicators::StandardDeviation::new(P).unwrap();
                        stream!(o.o[0], &b.close, |x| s.next(*x));
                    },
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "same after warm-up (population)",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let mut s = yata::methods::StDev::new(P as u8, &b.close[0]).unwrap();
                        stream!(o.o[0], &b.close, |x| s.next(x));
                    },
                    view: |_, o| scaled(o, 1, pop_from_sample()),
                    from: P - 1,
                    note: "sample σ (÷ 19): × √(19/20) to compare; running Σx, Σx² over the whole series drift (1e-9 allowed only on short series, 1e-8 on 1e6 bars)",
                    tol: DRIFT_TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        let [s, su, sq, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        kand::stats::stddev::stddev(&b.close, P, s, su, sq).unwrap();
                    },
                    view: |_, o| v1(o),
                    from: P - 1,
                    note: "same (population, running Σx, Σx²)",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "stoch_14_3_3",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| {
                        let [k, d, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        ta_kernels::stoch_into(&b.high, &b.low, &b.close, FK, SK, SD, k, d)
                            .unwrap();
                    },
                    view: |_, o| v2(o),
                    from: FK + SK + SD - 3,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        // ta-rs' SlowStochastic is EMA-smoothed and has no %D;
                        // its FastStochastic and SMA compose TA-Lib's STOCH.
                        let mut f = ta::indicators::FastStochastic::new(FK).unwrap();
                        let mut sk = ta::indicators::SimpleMovingAverage::new(SK).unwrap();
                        let mut sd = ta::indicators::SimpleMovingAverage::new(SD).unwrap();
                        let [k, d, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, bar) in b.ta.iter().enumerate() {
                            k[i] = sk.next(f.next(bar));
                            d[i] = sd.next(k[i]);
                        }
                    },
                    view: |_, o| v2(o),
                    from: FK + SK + SD - 3,
                    note: "SlowStochastic is EMA-smoothed without %D, so FastStochastic(14) → SMA(3) → SMA(3) is composed; same after warm-up (HH = LL gives 50, TA-Lib 0: never happens here)",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let cfg = yata::indicators::StochasticOscillator {
                            period: FK as u8,
                            ma: MA::SMA(SK as u8),
                            signal: MA::SMA(SD as u8),
                            zone: 0.2,
                        };
                        let mut s = cfg.init(&b.yata[0]).unwrap();
                        let [k, d, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, c) in b.yata.iter().enumerate() {
                            let r = s.next(c);
                            (k[i], d[i]) = (r.value(0), r.value(1));
                        }
                    },
                    view: |_, o| scaled(o, 2, 100.0),
                    from: FK + SK + SD - 3,
                    note: "run with SMA(3)/SMA(3) smoothing (default is SMA(14)/SMA(3)); values in [0, 1] (× 100 to compare); windows pre-filled with the first bar",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        let [k, d, fk, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        // kand's SMA of fast %K reads fast_k[..13] before
                        // writing it and leaves NaN there: reset, or every
                        // later call on the same buffers returns all NaN.
                        fk[..FK - 1].fill(0.0);
                        kand::ohlcv::stoch::stoch(&b.high, &b.low, &b.close, FK, SK, SD, fk, k, d)
                            .unwrap();
                    },
                    view: |_, o| v2(o),
                    from: FK + SK + SD - 3,
                    note: "same (HH = LL gives 50, TA-Lib 0: never happens here); fast %K buffer must be reset between calls",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "minmax_14",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| {
                        let [mn, mx, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        ta_kernels::minmax_into(&b.close, MM_P, mn, mx).unwrap();
                    },
                    view: |_, o| v2(o),
                    from: MM_P - 1,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut mn = ta::indicators::Minimum::new(MM_P).unwrap();
                        let mut mx = ta::indicators::Maximum::new(MM_P).unwrap();
                        let [a, z, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, x) in b.close.iter().enumerate() {
                            (a[i], z[i]) = (mn.next(*x), mx.next(*x));
                        }
                    },
                    view: |_, o| v2(o),
                    from: MM_P - 1,
                    note: "same after warm-up",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let x0 = &b.close[0];
                        let mut mn = yata::methods::Lowest::new(MM_P as u8, x0).unwrap();
                        let mut mx = yata::methods::Highest::new(MM_P as u8, x0).unwrap();
                        let [a, z, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        for (i, x) in b.close.iter().enumerate() {
                            (a[i], z[i]) = (mn.next(x), mx.next(x));
                        }
                    },
                    view: |_, o| v2(o),
                    from: MM_P - 1,
                    note: "same after warm-up (window pre-filled with the first value)",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        let [a, z, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        kand::stats::min::min(&b.close, MM_P, a).unwrap();
                        kand::stats::max::max(&b.close, MM_P, z).unwrap();
                    },
                    view: |_, o| v2(o),
                    from: MM_P - 1,
                    note: "same (rescans the whole window for every bar)",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "atr_14",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| {
                        ta_kernels::atr_into(&b.high, &b.low, &b.close, ATR_P, &mut o.o[0]).unwrap()
                    },
                    view: |_, o| v1(o),
                    from: ATR_P,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut s = ta::indicators::AverageTrueRange::new(TA_WILDER_14).unwrap();
                        stream!(o.o[0], &b.ta, |bar| s.next(bar));
                    },
                    view: |_, o| v1(o),
                    from: CONVERGED,
                    note: "not Wilder's: EMA(α = 2/(n+1)) of TR seeded with H − L of bar 0; run as ATR(27) (α = 1/14) and compared once the seed has decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        // yata has no ATR method: TR then RMA (Wilder's α = 1/n).
                        let c0 = &b.yata[0];
                        let mut tr = yata::methods::TR::new(c0).unwrap();
                        let mut rma =
                            yata::methods::RMA::new(ATR_P as u8, &(c0.high - c0.low)).unwrap();
                        stream!(o.o[0], &b.yata, |c| rma.next(&tr.next(c)));
                    },
                    view: |_, o| v1(o),
                    from: CONVERGED,
                    note: "no ATR method: TR → RMA(14) (Wilder's α) composed, seeded with bar 0's range: compared once the seed has decayed",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        kand::ohlcv::atr::atr(&b.high, &b.low, &b.close, ATR_P, &mut o.o[0])
                            .unwrap()
                    },
                    view: |_, o| v1(o),
                    from: ATR_P,
                    note: "same (seed = mean of TR[1..=14], then Wilder)",
                    tol: TOL,
                },
            ],
        },
        Indicator {
            name: "cross_sma_20_50",
            imps: vec![
                Imp {
                    krate: "ta-kernels",
                    run: |b, o| {
                        let [a, z, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        ta_kernels::sma_into(&b.close, CROSS_A, a).unwrap();
                        ta_kernels::sma_into(&b.close, CROSS_B, z).unwrap();
                        ta_kernels::cross_above_into(a, &z[..], &mut o.mask).unwrap();
                    },
                    view: |_, o| flags(&o.mask.to_bools()),
                    from: CROSS_B,
                    note: "",
                    tol: TOL,
                },
                Imp {
                    krate: "ta",
                    run: |b, o| {
                        let mut a = ta::indicators::SimpleMovingAverage::new(CROSS_A).unwrap();
                        let mut z = ta::indicators::SimpleMovingAverage::new(CROSS_B).unwrap();
                        let mut prev = (f64::NAN, f64::NAN);
                        stream!(o.flags, &b.close, |x| {
                            let now = (a.next(*x), z.next(*x));
                            let up = now.0 > now.1 && prev.0 <= prev.1;
                            prev = now;
                            up
                        });
                    },
                    view: |_, o| flags(&o.flags),
                    from: CROSS_B,
                    note: "two SMAs and `a > b && a' <= b'` per bar; same after warm-up",
                    tol: TOL,
                },
                Imp {
                    krate: "yata",
                    run: |b, o| {
                        let x0 = &b.close[0];
                        let mut a = yata::methods::SMA::new(CROSS_A as u8, x0).unwrap();
                        let mut z = yata::methods::SMA::new(CROSS_B as u8, x0).unwrap();
                        let mut up = yata::methods::CrossAbove::new((), &(*x0, *x0)).unwrap();
                        stream!(o.flags, &b.close, |x| up.binary(a.next(x), z.next(x)));
                    },
                    view: |_, o| flags(&o.flags),
                    from: CROSS_B,
                    note: "CrossAbove fires on `a − b` going from < 0 to ≥ 0 (ta-kernels: from ≤ 0 to > 0; differs only at exact equality, which never happens here); same after warm-up",
                    tol: TOL,
                },
                Imp {
                    krate: "kand",
                    run: |b, o| {
                        let [a, z, ..] = &mut o.o[..] else {
                            unreachable!()
                        };
                        kand::ohlcv::sma::sma(&b.close, CROSS_A, a).unwrap();
                        kand::ohlcv::sma::sma(&b.close, CROSS_B, z).unwrap();
                        // No cross function: compare the two buffers.
                        o.flags[0] = false;
                        for i in 1..a.len() {
                            o.flags[i] = a[i] > z[i] && a[i - 1] <= z[i - 1];
                        }
                    },
                    view: |_, o| flags(&o.flags),
                    from: CROSS_B,
                    note: "no cross function: two SMAs and a comparison loop; same",
                    tol: TOL,
                },
            ],
        },
    ]
}

/// The largest scaled difference between a peer's view and ta-kernels'
/// from `from` on: `|a − b| / max(|a|, |b|, mean |ta-kernels output|)`
/// (the floor keeps outputs that hover around 0, such as MACD, from being
/// held to a relative bound on a difference of two prices). NaN on one side
/// only counts as infinite.
pub fn max_rel_err(want: &[Vec<f64>], got: &[Vec<f64>], from: usize) -> f64 {
    assert_eq!(want.len(), got.len(), "number of outputs");
    let mut worst = 0.0f64;
    for (w, g) in want.iter().zip(got) {
        assert_eq!(w.len(), g.len());
        let tail = &w[from.min(w.len())..];
        let mean_abs = tail.iter().map(|v| v.abs()).sum::<f64>() / tail.len().max(1) as f64;
        for (a, b) in w.iter().zip(g).skip(from) {
            let e = if a.is_nan() && b.is_nan() {
                0.0
            } else if a.is_nan() || b.is_nan() {
                f64::INFINITY
            } else {
                (a - b).abs() / a.abs().max(b.abs()).max(mean_abs)
            };
            worst = worst.max(e);
        }
    }
    worst
}

/// Runs every implementation of `ind` on `bars` and returns each peer's
/// largest scaled difference from ta-kernels (see [`max_rel_err`]), in
/// `imps[1..]` order. Also asserts that ta-kernels' outputs from the
/// compared range on are all finite (the check would be vacuous otherwise).
pub fn compare(ind: &Indicator, bars: &Bars) -> Vec<(&'static str, f64)> {
    let n = bars.len();
    let mut out = Out::new(n);
    (ind.imps[0].run)(bars, &mut out);
    let want = (ind.imps[0].view)(bars, &out);
    for w in &want {
        assert!(
            w[ind.imps[0].from..].iter().all(|v| v.is_finite()),
            "{}: ta-kernels output not finite after warm-up",
            ind.name
        );
    }
    ind.imps[1..]
        .iter()
        .map(|imp| {
            let mut out = Out::new(n);
            (imp.run)(bars, &mut out);
            // Run twice on the same buffers: the timed loop reuses them.
            (imp.run)(bars, &mut out);
            let got = (imp.view)(bars, &out);
            (imp.krate, max_rel_err(&want, &got, imp.from))
        })
        .collect()
}

/// [`compare`], panicking if a peer differs by more than its
/// [`Imp::tol`] (or than `tol` if given, for every peer); returns the
/// differences.
pub fn check(ind: &Indicator, bars: &Bars, tol: Option<f64>) -> Vec<(&'static str, f64)> {
    let errs = compare(ind, bars);
    for (&(krate, err), imp) in errs.iter().zip(&ind.imps[1..]) {
        let tol = tol.unwrap_or(imp.tol);
        assert!(
            err <= tol,
            "{} ({} bars): {krate} differs from ta-kernels by {err:e} (> {tol:e})",
            ind.name,
            bars.len()
        );
    }
    errs
}
