//! Planned, vectorized evaluation of trigger sets against the naive
//! bar-by-bar interpreter; sharing of sub-computations; evaluation errors.

mod common;

use common::inputs::Rng;
use common::naive_trigger::{self, Truth};
use common::ohlcv::{bars, ohlcv};
use common::trees::cond_tree;
use proptest::prelude::*;
use ta_kernels::trigger::build::{atr, bbands, close, macd, rsi, sma, stoch, volume};
use ta_kernels::trigger::{Bars, Column, Cond, Plan, Series, Trigger, TriggerSet};
use ta_kernels::{Backend, Error, cross_above, with_backend};

fn check_against_naive(set: &TriggerSet, cols: &[Vec<f64>; 5]) -> Result<(), TestCaseError> {
    let b = bars(cols);
    let n = cols[3].len();
    let eval = set
        .evaluate(&b)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for (t, mask) in set.triggers().iter().zip(eval.masks()) {
        let truth = naive_trigger::cond(&t.cond, &b, n);
        prop_assert_eq!(mask.len(), n);
        for (i, want) in truth.iter().enumerate() {
            prop_assert!(
                want.accepts(mask.get(i)),
                "trigger {} = {} at bar {}: planned {}, naive {:?}",
                t.name,
                t.cond,
                i,
                mask.get(i),
                want
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    /// The planned evaluation equals the naive interpreter on random
    /// trigger sets over random bars, on every backend.
    #[test]
    fn planned_equals_naive(
        conds in prop::collection::vec(cond_tree(30), 1..4),
        len in prop_oneof![0usize..80, 0usize..600],
        seed in any::<u64>(),
        nan_every in prop_oneof![Just(0usize), 5usize..200],
    ) {
        let mut set = TriggerSet::new();
        for (i, c) in conds.into_iter().enumerate() {
            set.push(Trigger::new(format!("t{i}"), c)).unwrap();
        }
        let cols = ohlcv(len, seed, nan_every);
        for b in Backend::available() {
            with_backend(b, || check_against_naive(&set, &cols)).unwrap()?;
        }
    }
}

/// The series a condition compares, and their arithmetic operands.
fn compared_series(c: &Cond, out: &mut Vec<Series>) {
    fn operands(s: &Series, out: &mut Vec<Series>) {
        out.push(s.clone());
        match s {
            Series::Neg(a) => operands(a, out),
            Series::Arith(_, a, b) => {
                operands(a, out);
                operands(b, out);
            }
            _ => {}
        }
    }
    match c {
        Cond::Compare(_, a, b) | Cond::Cross(_, a, b) => {
            operands(a, out);
            operands(b, out);
        }
        Cond::And(a, b) | Cond::Or(a, b) => {
            compared_series(a, out);
            compared_series(b, out);
        }
        Cond::Not(a) | Cond::Held(a, _) | Cond::Within(a, _) => compared_series(a, out),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Arithmetic, negation, STDDEV and BBANDS read only by comparisons
    /// are computed block by block and never stored (lazy steps); the
    /// masks are bit-identical to a plan that stores every compared series
    /// (asked for as outputs, so none is lazy), over several blocks of
    /// bars, on every backend.
    #[test]
    fn lazy_steps_give_the_stored_masks(
        conds in prop::collection::vec(cond_tree(30), 1..4),
        len in 1990usize..6200,
        seed in any::<u64>(),
        nan_every in prop_oneof![Just(0usize), 50usize..2000],
    ) {
        let mut set = TriggerSet::new();
        let mut compared = Vec::new();
        for (i, c) in conds.into_iter().enumerate() {
            compared_series(&c, &mut compared);
            set.push(Trigger::new(format!("t{i}"), c)).unwrap();
        }
        let named: Vec<(String, Series)> = compared
            .into_iter()
            .enumerate()
            .map(|(i, s)| (format!("s{i}"), s))
            .collect();
        let stored = Plan::with_series(&set, &named);
        let cols = ohlcv(len, seed, nan_every);
        for b in Backend::available() {
            let (lazy, all) = with_backend(b, || {
                (set.evaluate(&bars(&cols)), stored.evaluate(&bars(&cols)))
            })
            .unwrap();
            match (lazy, all) {
                (Ok(lazy), Ok(all)) => {
                    prop_assert_eq!(lazy.masks(), all.masks(), "{:?}", b);
                    prop_assert_eq!(lazy.indicators_computed, all.indicators_computed);
                }
                (Err(e), Err(f)) => prop_assert_eq!(e.to_string(), f.to_string()),
                (l, a) => prop_assert!(false, "{:?}: {:?} vs {:?}", b, l.err(), a.err()),
            }
        }
    }
}

#[test]
fn shared_indicators_are_computed_once() {
    // 10 triggers over 4 distinct indicators: sma(20), sma(50), rsi(14),
    // macd(12,26,9) (its three outputs are one computation).
    let m = || macd(12, 26, 9);
    let set = TriggerSet::new()
        .with("golden", sma(20).crosses_above(sma(50)))
        .unwrap()
        .with("dead", sma(20).crosses_below(sma(50)))
        .unwrap()
        .with("oversold", rsi(14).lt(30.0))
        .unwrap()
        .with("overbought", rsi(14).gt(70.0))
        .unwrap()
        .with("macd_up", m().macd().crosses_above(m().signal()))
        .unwrap()
        .with("macd_down", m().macd().crosses_below(m().signal()))
        .unwrap()
        .with("hist_pos", m().hist().gt(0.0))
        .unwrap()
        .with("trend", close().gt(sma(50)).and(sma(20).gt(sma(50))))
        .unwrap()
        .with("dip", rsi(14).lt(40.0).and(close().gt(sma(50))))
        .unwrap()
        .with(
            "combo",
            rsi(14).lt(30.0).and(sma(20).crosses_above(sma(50))),
        )
        .unwrap();
    let plan = set.plan().unwrap();
    assert_eq!(plan.indicator_count(), 4);
    let cols = ohlcv(2000, 7, 0);
    let eval = plan.evaluate(&bars(&cols)).unwrap();
    assert_eq!(eval.indicators_computed, 4);
    // Evaluating each trigger on its own computes 16.
    let alone: usize = set
        .triggers()
        .iter()
        .map(|t| {
            TriggerSet::new()
                .with(t.name.clone(), t.cond.clone())
                .unwrap()
                .evaluate(&bars(&cols))
                .unwrap()
                .indicators_computed
        })
        .sum();
    assert_eq!(alone, 16);
    // And the shared evaluation gives each trigger the same mask.
    for (t, mask) in set.triggers().iter().zip(eval.masks()) {
        let single = TriggerSet::new()
            .with("x", t.cond.clone())
            .unwrap()
            .evaluate(&bars(&cols))
            .unwrap();
        assert_eq!(&single.masks()[0], mask, "{}", t.name);
    }
}

#[test]
fn parsed_text_and_builder_share_one_plan() {
    let set = TriggerSet::parse(
        "a = sma(20) crosses_above sma(50)\n\
         b = sma(close, 20) > sma(close, 50) and rsi(14) < 30\n",
    )
    .unwrap();
    assert_eq!(set.plan().unwrap().indicator_count(), 3);
}

#[test]
fn golden_cross_on_real_bars_matches_the_kernels() {
    let (close_col, high_col, low_col) = common::talib::input("goog_daily");
    let set = TriggerSet::parse("golden = sma(20) crosses_above sma(50)").unwrap();
    let b = Bars::from_close(&close_col)
        .with(Column::High, &high_col)
        .with(Column::Low, &low_col);
    let eval = set.evaluate(&b).unwrap();
    let direct = cross_above(
        &ta_kernels::sma(&close_col, 20).unwrap(),
        &ta_kernels::sma(&close_col, 50).unwrap(),
    )
    .unwrap();
    assert_eq!(eval.mask("golden").unwrap(), &direct);
    assert!(direct.count_ones() > 5, "GOOG has golden crosses");
    let events = eval.events(0);
    assert_eq!(events.len(), direct.count_ones());
    assert!(events.windows(2).all(|w| w[0].bar < w[1].bar));
}

#[test]
fn merged_events_are_in_bar_order() {
    let cols = ohlcv(3000, 11, 0);
    let set = TriggerSet::parse(
        "up = close crosses_above sma(10)\n\
         down = close crosses_below sma(10)\n\
         hot = rsi(14) > 70\n",
    )
    .unwrap();
    let eval = set.evaluate(&bars(&cols)).unwrap();
    let merged = eval.merged_events();
    let total: usize = eval.masks().iter().map(|m| m.count_ones()).sum();
    assert_eq!(merged.len(), total);
    assert!(
        merged
            .windows(2)
            .all(|w| (w[0].bar, w[0].trigger) < (w[1].bar, w[1].trigger))
    );
    assert!(merged.iter().any(|e| e.trigger == 0) && merged.iter().any(|e| e.trigger == 1));
}

#[test]
fn missing_column_names_the_trigger_and_expression() {
    let c = vec![1.0; 100];
    let set = TriggerSet::new().with("volatile", atr(14).gt(2.0)).unwrap();
    match set.evaluate(&Bars::from_close(&c)) {
        Err(Error::MissingColumn {
            column,
            trigger,
            expression,
            span,
        }) => {
            assert_eq!(column, "high");
            assert_eq!(trigger, "volatile");
            assert_eq!(expression, "atr(14) > 2");
            assert_eq!(&expression[span], "atr");
        }
        other => panic!("{other:?}"),
    }
    let set = TriggerSet::new()
        .with("loud", volume().gt(volume().sma(20)))
        .unwrap();
    let err = set.evaluate(&Bars::from_close(&c)).unwrap_err();
    assert!(err.to_string().contains("volume"), "{err}");
    match err {
        Error::MissingColumn {
            expression, span, ..
        } => assert_eq!(&expression[span.clone()], "volume", "{expression} {span:?}"),
        other => panic!("{other:?}"),
    }
    // Explicit columns are found as whole words (not inside other names).
    let o = vec![1.0; 100];
    let set = TriggerSet::parse("gap = close > prev(open, 1) * 1.01 and sma(20) > 0").unwrap();
    match set.evaluate(&Bars::from_close(&c)) {
        Err(Error::MissingColumn {
            column,
            expression,
            span,
            ..
        }) => {
            assert_eq!(column, "open");
            assert_eq!(&expression[span], "open");
        }
        other => panic!("{other:?}"),
    }
    let set = TriggerSet::parse("t = rsi(14) < 30").unwrap();
    match set.evaluate(&Bars::from_close(&o).with(Column::High, &o)) {
        Ok(_) => {}
        other => panic!("close present: {other:?}"),
    }
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let c = vec![1.0; 10];
    let h = vec![1.0; 9];
    let b = Bars::from_close(&c).with(Column::High, &h);
    let set = TriggerSet::new().with("x", close().gt(1.0)).unwrap();
    assert!(matches!(
        set.evaluate(&b),
        Err(Error::LengthMismatch { .. })
    ));
    // A builder tree can hold a period TA-Lib rejects: reported at eval.
    let set = TriggerSet::new().with("x", rsi(1).gt(1.0)).unwrap();
    assert!(matches!(
        set.evaluate(&Bars::from_close(&c)),
        Err(Error::InvalidPeriod { .. })
    ));
    assert!(TriggerSet::new().evaluate(&Bars::from_close(&c)).is_err());
    // Duplicate names are refused.
    let dup = TriggerSet::new()
        .with("x", close().gt(1.0))
        .unwrap()
        .with("x", close().lt(1.0));
    assert!(dup.is_err());
    // Zero bars evaluate to empty masks.
    let empty: Vec<f64> = Vec::new();
    let set = TriggerSet::new()
        .with("x", stoch(14, 3, 3).k().gt(bbands(20, 2.0, 2.0).upper()))
        .unwrap();
    let b = Bars::ohlcv(&empty, &empty, &empty, &empty, &empty);
    let eval = set.evaluate(&b).unwrap();
    assert_eq!(eval.masks()[0].len(), 0);
}

#[test]
fn identical_triggers_get_identical_masks() {
    let cols = ohlcv(500, 3, 0);
    let set = TriggerSet::parse("a = close > sma(5)\nb = close > sma(close, 5)\n").unwrap();
    let eval = set.evaluate(&bars(&cols)).unwrap();
    assert_eq!(eval.masks()[0], eval.masks()[1]);
    assert!(eval.masks()[0].any());
}

#[test]
fn naive_interpreter_is_three_valued() {
    // Sanity of the reference itself: exact ties are decided, near ties
    // are unsure.
    let c = [1.0, 1.0 + 1e-15, 2.0];
    let b = Bars::from_close(&c);
    let t = naive_trigger::cond(&"close > 1".parse().unwrap(), &b, 3);
    assert_eq!(t, vec![Truth::False, Truth::Unsure, Truth::True]);
}

#[test]
fn a_reused_scratch_gives_the_fresh_results() {
    let set = TriggerSet::parse(include_str!("../data/ten_triggers.txt")).unwrap();
    let plan = set.plan().unwrap();
    let mut scratch = ta_kernels::trigger::Scratch::new();
    // Lengths up and down, so buffers are grown and cut; an error in the
    // middle must leave the scratch usable.
    for (i, len) in [1000usize, 300, 2000, 0, 1, 777].into_iter().enumerate() {
        let cols = ohlcv(len, 40 + i as u64, 97);
        let fresh = set.evaluate(&bars(&cols)).unwrap();
        let reused = plan.evaluate_in(&bars(&cols), &mut scratch).unwrap();
        assert_eq!(fresh, reused, "len {len}");
        let close_only = Bars::from_close(&cols[3]);
        let bad = TriggerSet::parse("s = stoch(14, 3, 3).k > 80")
            .unwrap()
            .plan()
            .unwrap();
        assert!(bad.evaluate_in(&close_only, &mut scratch).is_err());
    }
    // It keeps at most the buffers one evaluation had live at once.
    assert!(
        scratch.bytes() <= 16 * 2000 * 8,
        "{} bytes",
        scratch.bytes()
    );
    scratch.clear();
    assert_eq!(scratch.bytes(), 0);
}

/// The plan shares one rolling variance between `stddev(p)` and
/// `bbands(p, ..)` and one SMA between `bbands(p, ..).middle` and
/// `sma(p)`; every output (and `var`, computed by the plan's own
/// non-finite pass) is still bit-identical to the indicator functions, on every backend, including windows where the variance
/// overflows (|x| ~ 1e200) or holds NaN / ±inf.
#[test]
fn shared_variance_and_mean_give_the_functions_bits() {
    let n = 3000;
    let mut rng = Rng::new(99);
    let mut x: Vec<f64> = (0..n)
        .map(|i| 100.0 + (i as f64 * 0.01).sin() + rng.unit())
        .collect();
    for i in (0..n).step_by(397) {
        x[i] = [f64::NAN, f64::INFINITY, 1e200, -1e300, 0.0][i % 5];
    }
    let text = "a = stddev(close, 20, 1.5) > 0.1 and bbands(20, 2, 2.5).upper > close
                b = sma(20) < bbands(20, 2, 2.5).middle or close < bbands(20, 2, 2.5).lower
                c = stddev(close, 7) > sma(7) * 0.01 and bbands(7, 1, 1).lower < close";
    let set = TriggerSet::parse(text).unwrap();
    let names = [
        "stddev(close, 20, 1.5)",
        "bbands(20, 2, 2.5).upper",
        "bbands(20, 2, 2.5).middle",
        "bbands(20, 2, 2.5).lower",
        "sma(20)",
        "stddev(7)",
        "bbands(7, 1, 1).lower",
        "var(9)",
    ];
    let series: Vec<_> = names
        .iter()
        .map(|s| {
            let tree: ta_kernels::trigger::Series = s.parse().unwrap();
            (s.to_string(), tree)
        })
        .collect();
    let plan = ta_kernels::trigger::Plan::with_series(&set, &series);
    for backend in Backend::available() {
        let eval = with_backend(backend, || plan.evaluate(&Bars::from_close(&x)).unwrap()).unwrap();
        let want = with_backend(backend, || {
            let b20 = ta_kernels::bbands(&x, 20, 2.0, 2.5).unwrap();
            vec![
                ta_kernels::stddev(&x, 20, 1.5).unwrap(),
                b20.upper,
                b20.middle,
                b20.lower,
                ta_kernels::sma(&x, 20).unwrap(),
                ta_kernels::stddev(&x, 7, 1.0).unwrap(),
                ta_kernels::bbands(&x, 7, 1.0, 1.0).unwrap().lower,
                ta_kernels::var(&x, 9).unwrap(),
            ]
        })
        .unwrap();
        assert_eq!(eval.series().count(), want.len());
        for ((name, got), want) in eval.series().zip(&want) {
            let got: Vec<u64> = got.iter().map(|v| v.to_bits()).collect();
            let want: Vec<u64> = want.iter().map(|v| v.to_bits()).collect();
            assert!(got == want, "{backend:?} {name}");
        }
    }
}

/// Comparisons and crossings next to each other in a plan run together
/// block by block of bars; crossings exactly at the block starts (every
/// 2048 bars) and one bar either side are found, and every mask equals the
/// trigger evaluated alone and the kernels called directly.
#[test]
fn grouped_masks_find_crossings_at_block_starts() {
    let n = 9000;
    let mut a: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64 * 0.1).collect();
    let b: Vec<f64> = vec![0.65; n];
    // A crossing at each block start, and one bar before and after one.
    let planted = [2048usize, 4095, 6145, 8192];
    for &at in &planted {
        a[at - 1] = 0.0;
        a[at] = 1.0;
    }
    a[4096 - 3] = f64::NAN;
    let text = "up = close crosses_above open
                down = close crosses_below open
                hi = close > open
                lo = close <= 0.3
                up_c = close crosses_above 0.65
                down_c = 0.65 crosses_above close
                up_x = close * 2 crosses_above open + open
                down_x = -close crosses_above -open";
    let set = TriggerSet::parse(text).unwrap();
    let bars = Bars::new().with(Column::Close, &a).with(Column::Open, &b);
    for backend in Backend::available() {
        with_backend(backend, || {
            let all = set.evaluate(&bars).unwrap();
            for t in set.triggers() {
                let alone = TriggerSet::new()
                    .with(t.name.clone(), t.cond.clone())
                    .unwrap()
                    .evaluate(&bars)
                    .unwrap();
                assert_eq!(
                    all.mask(&t.name),
                    alone.mask(&t.name),
                    "{backend:?} {}",
                    t.name
                );
            }
            let up = cross_above(&a, &b).unwrap();
            assert_eq!(all.mask("up"), Some(&up));
            assert_eq!(all.mask("up_c"), Some(&up));
            // Unstored (lazy) operands, computed block by block.
            assert_eq!(all.mask("up_x"), Some(&up));
            assert_eq!(all.mask("down_x"), all.mask("down"));
            for &at in &planted {
                assert!(up.get(at), "{backend:?} bar {at}");
            }
            assert_eq!(
                all.mask("down_c"),
                Some(&ta_kernels::cross_below(&a, 0.65).unwrap())
            );
        })
        .unwrap();
    }
}
