//! Comparison and crossing masks: every available backend against the naive
//! reference (bit-exact words), hand cases for the semantics (ties, NaN,
//! thresholds, word boundaries), tails, errors, and the `BitMask` API.

mod common;

use common::inputs::{Kind, Rng, any_series, series, sprinkle_non_finite};
use common::naive_cross as naive;
use proptest::prelude::*;
use ta_kernels::bitmask::words_for;
use ta_kernels::kernels::cross;
use ta_kernels::{Backend, BitMask, CmpOp, Error, Rhs, with_backend};

/// One kernel of the family.
#[derive(Clone, Copy, Debug, PartialEq)]
enum K {
    Cmp(CmpOp),
    Above,
    Below,
    Trans(CmpOp, CmpOp),
}

fn kernels() -> Vec<K> {
    let mut v: Vec<K> = CmpOp::ALL.iter().map(|&op| K::Cmp(op)).collect();
    v.push(K::Above);
    v.push(K::Below);
    for now in CmpOp::ALL {
        for before in CmpOp::ALL {
            v.push(K::Trans(now, before));
        }
    }
    v
}

fn expect(k: K, a: &[f64], b: Rhs<'_>) -> Vec<u64> {
    naive::to_words(&match k {
        K::Cmp(op) => naive::compare(a, op, b),
        K::Above => naive::cross_above(a, b),
        K::Below => naive::cross_below(a, b),
        K::Trans(n, p) => naive::transition(a, n, p, b),
    })
}

/// Runs a kernel into a buffer pre-filled with garbage, so the test also
/// checks that every word (and its tail) is rewritten.
fn run(backend: Backend, k: K, a: &[f64], b: Rhs<'_>) -> Result<Vec<u64>, Error> {
    let mut out = vec![0xA5A5_5A5A_F0F0_0F0Fu64; words_for(a.len())];
    match k {
        K::Cmp(op) => cross::compare(backend, a, op, b, &mut out)?,
        K::Above => cross::cross_above(backend, a, b, &mut out)?,
        K::Below => cross::cross_below(backend, a, b, &mut out)?,
        K::Trans(n, p) => cross::transition(backend, a, n, p, b, &mut out)?,
    }
    Ok(out)
}

fn tail_clear(words: &[u64], len: usize) -> bool {
    match (words.last(), len % 64) {
        (Some(&w), r) if r != 0 => w >> r == 0,
        _ => true,
    }
}

/// Every backend × every kernel equals the naive reference, bit for bit.
fn check_all(a: &[f64], b: Rhs<'_>) -> Result<(), TestCaseError> {
    for k in kernels() {
        let want = expect(k, a, b);
        for backend in Backend::available() {
            let got = run(backend, k, a, b).unwrap();
            prop_assert!(
                got == want,
                "{backend} {k:?} len {} b {:?}: first differing word {:?}",
                a.len(),
                match b {
                    Rhs::Value(v) => format!("value {v}"),
                    Rhs::Series(_) => "series".into(),
                },
                got.iter().zip(&want).position(|(g, w)| g != w)
            );
            prop_assert!(tail_clear(&got, a.len()));
        }
    }
    Ok(())
}

/// Lengths 0 ..= 3 × (4 lanes × 16 vectors) + 7.
const SHORT_MAX: usize = 3 * 64 + 7;

/// A second series for `a`: an unrelated series, a lagged copy (like a
/// moving average: many crosses and exact ties), or `a` with some values
/// nudged by one ulp.
fn partner(a: &[f64], mode: u8, kind: Kind, seed: u64) -> Vec<f64> {
    let n = a.len();
    let mut r = Rng::new(seed);
    match mode {
        0 => {
            let mut b = series(kind, n, seed);
            if seed.is_multiple_of(3) {
                sprinkle_non_finite(&mut b, 2 + (seed % 40) as usize, seed);
            }
            b
        }
        1 => (0..n).map(|i| a[i.saturating_sub(r.below(3))]).collect(),
        _ => a
            .iter()
            .map(|&x| match r.below(3) {
                0 => x,
                1 => x.next_up(),
                _ => x.next_down(),
            })
            .collect(),
    }
}

/// Values from a small set (exact ties everywhere, NaN and ±inf).
fn tie_series(len: impl Strategy<Value = usize>) -> impl Strategy<Value = Vec<f64>> {
    const SET: [f64; 7] = [
        -1.0,
        0.0,
        1.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
    ];
    len.prop_flat_map(|n| {
        prop::collection::vec(
            prop_oneof![6 => 0usize..3, 1 => 3usize..7].prop_map(|i| SET[i]),
            n,
        )
    })
}

fn threshold(a: &[f64]) -> impl Strategy<Value = f64> + use<> {
    let picks: Vec<f64> = if a.is_empty() { vec![0.0] } else { a.to_vec() };
    prop_oneof![
        3 => prop::sample::select(picks),
        1 => prop::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
        ]),
        1 => -1000.0..1000.0f64,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn series_vs_series_match_naive(
        (kind, a) in any_series(SHORT_MAX, 100_000),
        mode in 0u8..3,
        kind_b in prop::sample::select(common::inputs::ALL_KINDS.to_vec()),
        seed in any::<u64>(),
    ) {
        let _ = kind;
        let b = partner(&a, mode, kind_b, seed);
        check_all(&a, Rhs::Series(&b))?;
    }

    #[test]
    fn series_vs_threshold_match_naive(
        (a, t) in any_series(SHORT_MAX, 100_000)
            .prop_flat_map(|(_, a)| { let t = threshold(&a); (Just(a), t) }),
    ) {
        check_all(&a, Rhs::Value(t))?;
    }

    #[test]
    fn ties_nan_inf_match_naive(
        (a, b) in prop_oneof![4 => 0usize..=SHORT_MAX, 1 => 0usize..=3000]
            .prop_flat_map(|n| (tie_series(Just(n)), tie_series(Just(n)))),
        t in prop::sample::select(vec![-1.0, 0.0, 1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
    ) {
        check_all(&a, Rhs::Series(&b))?;
        check_all(&a, Rhs::Value(t))?;
    }

    #[test]
    fn bitmask_ops_match_bools(
        (x, y) in (0usize..300).prop_flat_map(|n| (
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec(any::<bool>(), n),
        )),
    ) {
        let (mx, my) = (BitMask::from_bools(&x), BitMask::from_bools(&y));
        prop_assert_eq!(mx.to_bools(), x.clone());
        prop_assert_eq!(mx.words(), &naive::to_words(&x)[..]);
        let zip = |f: fn(bool, bool) -> bool| -> Vec<bool> {
            x.iter().zip(&y).map(|(&p, &q)| f(p, q)).collect()
        };
        prop_assert_eq!((&mx & &my).to_bools(), zip(|p, q| p & q));
        prop_assert_eq!((&mx | &my).to_bools(), zip(|p, q| p | q));
        prop_assert_eq!((&mx ^ &my).to_bools(), zip(|p, q| p ^ q));
        let nx = !&mx;
        prop_assert_eq!(nx.to_bools(), x.iter().map(|&p| !p).collect::<Vec<_>>());
        prop_assert!(tail_clear(nx.words(), x.len()));
        prop_assert_eq!(nx.count_ones(), x.iter().filter(|&&p| !p).count());
        let ones: Vec<usize> = (0..x.len()).filter(|&i| x[i]).collect();
        prop_assert_eq!(mx.iter_ones().collect::<Vec<_>>(), ones.clone());
        prop_assert_eq!(mx.iter_ones().rev().collect::<Vec<_>>(),
            ones.iter().rev().copied().collect::<Vec<_>>());
        prop_assert_eq!(mx.iter_ones().len(), ones.len());
        prop_assert_eq!(mx.count_ones(), ones.len());
        prop_assert_eq!(mx.first_set(), ones.first().copied());
        prop_assert_eq!(mx.last_set(), ones.last().copied());
        prop_assert_eq!(mx.any(), !ones.is_empty());
    }
}

/// Runs `k` on every backend and through the crate-root API under
/// `with_backend`, returning the set bit indices (all backends agreeing).
fn ones(k: K, a: &[f64], b: Rhs<'_>) -> Vec<usize> {
    let mut first: Option<Vec<u64>> = None;
    for backend in Backend::available() {
        let got = run(backend, k, a, b).unwrap();
        assert!(tail_clear(&got, a.len()), "{backend} {k:?} tail");
        let root = with_backend(backend, || match k {
            K::Cmp(op) => ta_kernels::compare(a, op, b).unwrap(),
            K::Above => ta_kernels::cross_above(a, b).unwrap(),
            K::Below => ta_kernels::cross_below(a, b).unwrap(),
            K::Trans(..) => BitMask::from_words(got.clone(), a.len()).unwrap(),
        })
        .unwrap();
        assert_eq!(root.words(), &got[..], "{backend} {k:?} root API");
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(f, &got, "{backend} {k:?} differs from scalar"),
        }
    }
    let m = BitMask::from_words(first.unwrap(), a.len()).unwrap();
    m.iter_ones().collect()
}

#[test]
fn equality_before_and_after() {
    let b = [1.0; 6];
    // Touching from below is not a cross; leaving equality upwards is.
    let a = [0.0, 1.0, 1.0, 2.0, 1.0, 0.0];
    assert_eq!(ones(K::Above, &a, Rhs::Series(&b)), vec![3]);
    assert_eq!(ones(K::Above, &a, Rhs::Value(1.0)), vec![3]);
    // Falls from 2 to 1 (touch from above: no cross below), then leaves
    // equality downwards (cross below at 5).
    assert_eq!(ones(K::Below, &a, Rhs::Series(&b)), vec![5]);
    assert_eq!(ones(K::Below, &a, Rhs::Value(1.0)), vec![5]);
    // Touch and fall back: never crosses.
    let a = [0.0, 1.0, 0.0, 1.0, 0.5];
    assert!(ones(K::Above, &a, Rhs::Value(1.0)).is_empty());
    assert_eq!(ones(K::Below, &a, Rhs::Value(1.0)), vec![2, 4]);
    // Equal throughout: nothing.
    assert!(ones(K::Above, &b, Rhs::Series(&b)).is_empty());
    assert!(ones(K::Below, &b, Rhs::Series(&b)).is_empty());
    assert_eq!(
        ones(K::Cmp(CmpOp::Ge), &b, Rhs::Value(1.0)),
        (0..6).collect::<Vec<_>>()
    );
    assert!(ones(K::Cmp(CmpOp::Gt), &b, Rhs::Value(1.0)).is_empty());
    // -0.0 == 0.0.
    assert!(ones(K::Above, &[-0.0, 0.0], Rhs::Value(0.0)).is_empty());
    assert_eq!(
        ones(K::Cmp(CmpOp::Le), &[-0.0, 0.0], Rhs::Value(0.0)),
        vec![0, 1]
    );
}

#[test]
fn nan_at_i_and_at_i_minus_1() {
    let nan = f64::NAN;
    // NaN in a at i, then at i-1.
    assert!(ones(K::Above, &[0.0, nan, 2.0], Rhs::Value(1.0)).is_empty());
    assert!(ones(K::Below, &[2.0, nan, 0.0], Rhs::Value(1.0)).is_empty());
    // `<=` is not `!(>)`: NaN before, then above, must not fire.
    assert!(ones(K::Above, &[nan, 2.0], Rhs::Value(1.0)).is_empty());
    assert!(ones(K::Below, &[nan, 0.0], Rhs::Value(1.0)).is_empty());
    // NaN in b at i, then at i-1.
    assert!(ones(K::Above, &[0.0, 2.0], Rhs::Series(&[1.0, nan])).is_empty());
    assert!(ones(K::Above, &[0.0, 2.0], Rhs::Series(&[nan, 1.0])).is_empty());
    assert!(ones(K::Below, &[2.0, 0.0], Rhs::Series(&[nan, 1.0])).is_empty());
    // NaN two bars back does not matter.
    assert_eq!(ones(K::Above, &[nan, 0.0, 2.0], Rhs::Value(1.0)), vec![2]);
    assert_eq!(
        ones(
            K::Below,
            &[1.0, nan, 2.0, 0.0],
            Rhs::Series(&[nan, 1.0, 1.0, 1.0])
        ),
        vec![3]
    );
    // Comparisons: NaN on either side is false, for every operator.
    for op in CmpOp::ALL {
        assert!(ones(K::Cmp(op), &[nan, 1.0, nan], Rhs::Series(&[1.0, nan, nan])).is_empty());
    }
}

#[test]
fn threshold_variants() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let a = [-inf, -1.0, 0.0, inf, 1.0, nan, -inf, inf];
    // A NaN threshold never fires, for any kernel.
    for k in kernels() {
        assert!(ones(k, &a, Rhs::Value(nan)).is_empty(), "{k:?}");
    }
    // +inf: nothing is above it; leaving +inf is a cross below.
    assert!(ones(K::Above, &a, Rhs::Value(inf)).is_empty());
    assert_eq!(ones(K::Below, &a, Rhs::Value(inf)), vec![4]);
    assert_eq!(ones(K::Cmp(CmpOp::Ge), &a, Rhs::Value(inf)), vec![3, 7]);
    // -inf: leaving -inf is a cross above; -inf -> +inf too.
    assert_eq!(ones(K::Above, &a, Rhs::Value(-inf)), vec![1, 7]);
    assert!(ones(K::Below, &a, Rhs::Value(-inf)).is_empty());
    assert_eq!(ones(K::Cmp(CmpOp::Le), &a, Rhs::Value(-inf)), vec![0, 6]);
    // A plain level.
    assert_eq!(ones(K::Above, &a, Rhs::Value(0.5)), vec![3, 7]);
    assert_eq!(ones(K::Below, &a, Rhs::Value(0.5)), vec![]);
    assert_eq!(
        ones(K::Cmp(CmpOp::Lt), &a, Rhs::Value(0.5)),
        vec![0, 1, 2, 6]
    );
}

#[test]
fn crossings_at_word_boundaries() {
    let lens = [
        1usize, 2, 3, 4, 5, 63, 64, 65, 66, 127, 128, 129, 130, 191, 192, 193, 255, 256, 257,
    ];
    for &len in &lens {
        let mut at = vec![0usize, 1, 2, 3, 4, 63, 64, 65, 127, 128, 129, 191, 192, 193];
        at.push(len - 1);
        at.push(len.saturating_sub(2));
        for &t in at.iter().filter(|&&t| t < len) {
            // Below 0 before t, above from t on: one cross above at t.
            let a: Vec<f64> = (0..len).map(|i| if i < t { -1.0 } else { 1.0 }).collect();
            let neg: Vec<f64> = a.iter().map(|x| -x).collect();
            let zeros = vec![0.0; len];
            let want: Vec<usize> = if t > 0 { vec![t] } else { vec![] };
            let above: Vec<usize> = (t..len).collect();
            for b in [Rhs::Series(&zeros), Rhs::Value(0.0)] {
                assert_eq!(ones(K::Above, &a, b), want, "len {len} t {t}");
                assert_eq!(ones(K::Below, &neg, b), want, "len {len} t {t}");
                assert!(ones(K::Below, &a, b).is_empty());
                assert_eq!(ones(K::Cmp(CmpOp::Gt), &a, b), above);
                assert_eq!(ones(K::Cmp(CmpOp::Le), &neg, b), above);
            }
            // A single spike at t: cross above at t, below at t + 1.
            let mut s = vec![-1.0; len];
            s[t] = 1.0;
            let mut want_b = vec![];
            if t + 1 < len {
                want_b.push(t + 1);
            }
            assert_eq!(ones(K::Above, &s, Rhs::Value(0.0)), want);
            assert_eq!(ones(K::Below, &s, Rhs::Value(0.0)), want_b);
            // Equal at t-1 (touch), then above at t: still a cross at t.
            if t > 0 {
                let mut e = vec![-1.0; len];
                e[t - 1] = 0.0;
                e[t] = 1.0;
                assert_eq!(
                    ones(K::Above, &e, Rhs::Value(0.0)),
                    vec![t],
                    "len {len} t {t}"
                );
            }
        }
    }
}

#[test]
fn tail_bits_stay_zero_for_every_length() {
    for len in 0..=200usize {
        let up = vec![1.0; len];
        let alt: Vec<f64> = (0..len)
            .map(|i| if i % 2 == 0 { -1.0 } else { 1.0 })
            .collect();
        let z = vec![0.0; len];
        for backend in Backend::available() {
            for k in kernels() {
                for (a, b) in [
                    (&up, Rhs::Value(0.0)),
                    (&up, Rhs::Series(&z)),
                    (&alt, Rhs::Value(0.0)),
                    (&alt, Rhs::Series(&z)),
                ] {
                    let got = run(backend, k, a, b).unwrap();
                    assert_eq!(got.len(), words_for(len));
                    assert!(tail_clear(&got, len), "{backend} {k:?} len {len}");
                    assert_eq!(got, expect(k, a, b), "{backend} {k:?} len {len}");
                }
            }
            // All-true compare: exactly `len` bits, all in range.
            let got = run(backend, K::Cmp(CmpOp::Gt), &up, Rhs::Value(0.0)).unwrap();
            let m = BitMask::from_words(got, len).unwrap();
            assert_eq!(m, BitMask::ones(len));
            assert_eq!(m.count_ones(), len);
        }
    }
}

/// memchr-style seeds: each is expanded over left and right NaN padding of
/// 0..=70 bars (NaN never compares true, and a NaN at i - 1 blocks a cross
/// at i, exactly like bar 0), so every alignment and tail is covered.
#[test]
fn seeds_over_every_offset_and_length() {
    let nan = f64::NAN;
    struct Seed {
        a: &'static [f64],
        b: &'static [f64],
        above: &'static [usize],
        below: &'static [usize],
    }
    let seeds = [
        Seed {
            a: &[0.0, 2.0],
            b: &[1.0, 1.0],
            above: &[1],
            below: &[],
        },
        Seed {
            a: &[2.0, 0.0],
            b: &[1.0, 1.0],
            above: &[],
            below: &[1],
        },
        Seed {
            a: &[0.0, 1.0, 2.0, 1.0, 0.0],
            b: &[1.0; 5],
            above: &[2],
            below: &[4],
        },
        Seed {
            a: &[1.0, 2.0, 1.0, 0.0],
            b: &[1.0; 4],
            above: &[1],
            below: &[3],
        },
        Seed {
            a: &[0.0, f64::NAN, 2.0, 0.0],
            b: &[1.0; 4],
            above: &[],
            below: &[3],
        },
        Seed {
            a: &[0.0, 2.0, 0.0, 2.0, 0.0],
            b: &[1.0, 1.0, f64::NAN, 1.0, 1.0],
            above: &[1],
            below: &[4],
        },
        Seed {
            a: &[3.0, 1.0, 3.0, 1.0],
            b: &[2.0, 2.0, 2.0, 2.0],
            above: &[2],
            below: &[1, 3],
        },
    ];
    for s in &seeds {
        for left in 0..=70usize {
            for right in [0usize, 1, 2, 3, 5, 31, 58, 59, 60, 61, 62, 63, 64, 65, 70] {
                let pad = |x: &[f64]| {
                    let mut v = vec![nan; left];
                    v.extend_from_slice(x);
                    v.extend(std::iter::repeat_n(nan, right));
                    v
                };
                let (a, b) = (pad(s.a), pad(s.b));
                let shift = |p: &[usize]| p.iter().map(|i| i + left).collect::<Vec<_>>();
                for backend in Backend::available() {
                    let got = |k| {
                        let w = run(backend, k, &a, Rhs::Series(&b)).unwrap();
                        BitMask::from_words(w, a.len())
                            .unwrap()
                            .iter_ones()
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(
                        got(K::Above),
                        shift(s.above),
                        "{backend} left {left} right {right}"
                    );
                    assert_eq!(
                        got(K::Below),
                        shift(s.below),
                        "{backend} left {left} right {right}"
                    );
                }
            }
        }
    }
}

#[test]
fn length_errors() {
    let a = [1.0; 70];
    let b = [1.0; 69];
    for backend in Backend::available() {
        for k in kernels() {
            assert_eq!(
                run(backend, k, &a, Rhs::Series(&b)).unwrap_err(),
                Error::LengthMismatch {
                    name: "b",
                    expected: 70,
                    got: 69
                }
            );
            let mut out = vec![0u64; 1];
            let e = match k {
                K::Cmp(op) => cross::compare(backend, &a, op, Rhs::Value(0.0), &mut out),
                K::Above => cross::cross_above(backend, &a, Rhs::Value(0.0), &mut out),
                K::Below => cross::cross_below(backend, &a, Rhs::Value(0.0), &mut out),
                K::Trans(n, p) => cross::transition(backend, &a, n, p, Rhs::Value(0.0), &mut out),
            };
            assert_eq!(
                e.unwrap_err(),
                Error::LengthMismatch {
                    name: "out",
                    expected: 2,
                    got: 1
                }
            );
        }
        // Empty input: zero words, fine; a word for an empty input is not.
        assert_eq!(
            run(backend, K::Above, &[], Rhs::Value(0.0)).unwrap(),
            Vec::<u64>::new()
        );
        let mut one = [0u64; 1];
        assert!(cross::cross_above(backend, &[], Rhs::Value(0.0), &mut one).is_err());
    }
    assert!(matches!(
        ta_kernels::cross_above(&a, &b),
        Err(Error::LengthMismatch {
            name: "b",
            expected: 70,
            got: 69
        })
    ));
    let mut m = BitMask::zeros(69);
    assert_eq!(
        ta_kernels::cross_below_into(&a, 0.0, &mut m).unwrap_err(),
        Error::LengthMismatch {
            name: "out",
            expected: 70,
            got: 69
        }
    );
    assert!(ta_kernels::compare_into(&a, CmpOp::Gt, &b, &mut BitMask::zeros(70)).is_err());
    assert!(ta_kernels::cross_above_into(&a, &b[..], &mut BitMask::zeros(70)).is_err());
}

#[test]
fn into_variants_rewrite_every_bit() {
    let a: Vec<f64> = (0..150).map(|i| ((i as f64) * 0.3).sin()).collect();
    let mut m = BitMask::ones(150);
    ta_kernels::cross_above_into(&a, 0.0, &mut m).unwrap();
    assert_eq!(m, ta_kernels::cross_above(&a, 0.0).unwrap());
    assert_eq!(m.to_bools(), naive::cross_above(&a, Rhs::Value(0.0)));
    ta_kernels::cross_below_into(&a, 0.0, &mut m).unwrap();
    assert_eq!(m.to_bools(), naive::cross_below(&a, Rhs::Value(0.0)));
    ta_kernels::compare_into(&a, CmpOp::Ge, 0.0, &mut m).unwrap();
    assert_eq!(m.to_bools(), naive::compare(&a, CmpOp::Ge, Rhs::Value(0.0)));
    // A crossing pair of series: above and below alternate.
    let b: Vec<f64> = a.iter().map(|x| -x).collect();
    let up = ta_kernels::cross_above(&a, &b).unwrap();
    let down = ta_kernels::cross_below(&a, &b).unwrap();
    assert!(up.count_ones() >= 4 && down.count_ones() >= 4);
    assert!(!(&up & &down).any());
}
