//! Random expression trees for the trigger tests: every node kind, with
//! periods in TA-Lib's ranges up to a cap (small caps keep evaluation
//! fast and outputs non-NaN on short series).

use proptest::prelude::*;
use ta_kernels::CmpOp;
use ta_kernels::trigger::{
    ArithOp, BandsField, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
};

pub fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..500).prop_map(f64::from),
        (-1e6f64..1e6),
        prop::num::f64::NORMAL,
        Just(-0.0),
        Just(1e-300),
        Just(5e-324),
    ]
}

/// A period in `min..=max`, mostly small.
fn period(min: usize, max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![3 => min..=max.min(30), 1 => min..=max]
}

pub fn series_tree(max: usize) -> impl Strategy<Value = Series> {
    let leaf = prop_oneof![
        prop::sample::select(Column::ALL.to_vec()).prop_map(Series::Column),
        number().prop_map(Series::Const),
        period(1, max).prop_map(|p| Series::Indicator(Box::new(Indicator::Atr { period: p }))),
        Just(Series::Indicator(Box::new(Indicator::Trange))),
        (
            period(1, max),
            period(1, max),
            period(1, max),
            any::<bool>()
        )
            .prop_map(|(a, b, c, k)| {
                Series::Indicator(Box::new(Indicator::Stoch {
                    fastk: a,
                    slowk: b,
                    slowd: c,
                    field: if k { StochField::K } else { StochField::D },
                }))
            }),
    ];
    leaf.prop_recursive(4, 24, 2, move |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Series::Neg(Box::new(s))),
            (
                prop::sample::select(vec![ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Div]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, a, b)| Series::Arith(op, Box::new(a), Box::new(b))),
            (inner.clone(), 0usize..300).prop_map(|(s, n)| Series::Prev(Box::new(s), n)),
            (inner.clone(), period(2, max), 0u8..7).prop_map(|(input, period, k)| {
                Series::Indicator(Box::new(match k {
                    0 => Indicator::Sma { input, period },
                    1 => Indicator::Ema { input, period },
                    2 => Indicator::Wma { input, period },
                    3 => Indicator::Rsi { input, period },
                    4 => Indicator::Max { input, period },
                    5 => Indicator::Min { input, period },
                    _ => Indicator::Var { input, period },
                }))
            }),
            (inner.clone(), period(2, max), number()).prop_map(|(input, period, nbdev)| {
                Series::Indicator(Box::new(Indicator::Stddev {
                    input,
                    period,
                    nbdev,
                }))
            }),
            (
                inner.clone(),
                period(2, max),
                period(2, max),
                period(1, max),
                0u8..3
            )
                .prop_map(|(input, fast, slow, signal, f)| {
                    Series::Indicator(Box::new(Indicator::Macd {
                        input,
                        fast,
                        slow,
                        signal,
                        field: [MacdField::Macd, MacdField::Signal, MacdField::Hist][f as usize],
                    }))
                }),
            (inner, period(2, max), number(), number(), 0u8..3).prop_map(
                |(input, period, nbdev_up, nbdev_dn, f)| {
                    Series::Indicator(Box::new(Indicator::Bbands {
                        input,
                        period,
                        nbdev_up,
                        nbdev_dn,
                        field: [BandsField::Upper, BandsField::Middle, BandsField::Lower]
                            [f as usize],
                    }))
                }
            ),
        ]
    })
}

pub fn cond_tree(max: usize) -> impl Strategy<Value = Cond> {
    let ops = prop::sample::select(vec![CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge]);
    let leaf = prop_oneof![
        (ops, series_tree(max), series_tree(max)).prop_map(|(op, a, b)| Cond::Compare(op, a, b)),
        (any::<bool>(), series_tree(max), series_tree(max)).prop_map(|(up, a, b)| {
            Cond::Cross(if up { CrossDir::Above } else { CrossDir::Below }, a, b)
        }),
    ];
    leaf.prop_recursive(4, 16, 2, move |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)),
            inner.clone().prop_map(|a| !a),
            (inner.clone(), 1usize..500).prop_map(|(a, n)| a.held(n)),
            (inner, 1usize..500).prop_map(|(a, n)| a.within(n)),
        ]
    })
}
