//! The trigger language's front end: parsing, printing, the builder, and
//! errors with positions.

mod common;

use common::trees::cond_tree;
use proptest::prelude::*;
use ta_kernels::trigger::build::{self, close, high, rsi, sma, volume};
use ta_kernels::trigger::{
    Column, Cond, Series, Trigger, TriggerError, TriggerErrorKind, TriggerSet,
};

fn cond(text: &str) -> Cond {
    text.parse()
        .unwrap_or_else(|e: TriggerError| panic!("{text:?} failed:\n{e}"))
}

fn err(text: &str) -> TriggerError {
    match text.parse::<Cond>() {
        Ok(c) => panic!("{text:?} parsed as {c}"),
        Err(e) => {
            assert!(
                e.span.start <= e.span.end && e.span.end <= text.len(),
                "{e:?}"
            );
            e
        }
    }
}

/// The text an error's span covers.
fn at(e: &TriggerError) -> &str {
    &e.text[e.span.clone()]
}

#[test]
fn issue_examples_parse_to_the_builder_trees() {
    assert_eq!(
        cond("rsi(14) < 30 and sma(20) crosses_above sma(50)"),
        rsi(14).lt(30.0).and(sma(20).crosses_above(sma(50)))
    );
    assert_eq!(
        cond("sma(20) crosses_above sma(50) and rsi(14) < 30"),
        sma(20).crosses_above(sma(50)).and(rsi(14).lt(30.0))
    );
    assert_eq!(cond("close > sma(20) * 1.02"), close().gt(sma(20) * 1.02));
    assert_eq!(
        cond("ema(high, 10) >= rsi(ema(close, 5), 14)"),
        high().ema(10).ge(close().ema(5).rsi(14))
    );
    assert_eq!(
        cond("macd(12,26,9).signal crosses_below 0"),
        build::macd(12, 26, 9).signal().crosses_below(0.0)
    );
    assert_eq!(
        cond("close < bbands(20,2,2).lower or stoch(14,3,3).k > 80"),
        close()
            .lt(build::bbands(20, 2.0, 2.0).lower())
            .or(build::stoch(14, 3, 3).k().gt(80.0))
    );
    assert_eq!(
        cond("held(close > prev(close, 1), 3) and not within(atr(14) > 2, 5)"),
        build::held(close().gt(close().prev(1)), 3).and(!build::within(build::atr(14).gt(2.0), 5))
    );
    assert_eq!(cond("volume > 1.5e-3"), volume().gt(1.5e-3));
    assert_eq!(cond("-close < -3"), (-close()).lt(-3.0));
    assert_eq!(cond("trange() > 0"), build::trange().gt(0.0));
}

#[test]
fn defaults_and_forms() {
    assert_eq!(
        cond("bbands(20).upper > 0"),
        cond("bbands(close, 20, 2, 2).upper > 0")
    );
    assert_eq!(
        cond("bbands(high, 20).upper > 0"),
        cond("bbands(high, 20, 2, 2).upper > 0")
    );
    assert_eq!(cond("stddev(20) > 0"), cond("stddev(close, 20, 1) > 0"));
    assert_eq!(
        cond("stddev(high, 20) > 0"),
        cond("stddev(high, 20, 1) > 0")
    );
    assert_eq!(
        cond("macd(close, 12, 26, 9).hist > 0"),
        cond("macd(12, 26, 9).hist > 0")
    );
}

#[test]
fn precedence_and_associativity() {
    // and binds tighter than or; not tighter than and.
    let a = || close().gt(1.0);
    let b = || close().gt(2.0);
    let c = || close().gt(3.0);
    assert_eq!(
        cond("close > 1 or close > 2 and close > 3"),
        a().or(b().and(c()))
    );
    assert_eq!(cond("not close > 1 and close > 2"), (!a()).and(b()));
    assert_eq!(cond("not (close > 1 and close > 2)"), !(a().and(b())));
    // Arithmetic: * before +, left associative.
    let s: Series = "close - 1 - 2".parse().unwrap();
    assert_eq!(s, (close() - 1.0) - 2.0);
    let s: Series = "close - (1 - 2)".parse().unwrap();
    assert_eq!(s, close() - (build::constant(1.0) - 2.0));
    let s: Series = "1 + 2 * close / 4".parse().unwrap();
    assert_eq!(s, 1.0 + ((2.0 * close()) / 4.0));
    // Unary minus on a literal is the literal; on a parenthesis, a negation.
    assert_eq!("-3".parse::<Series>().unwrap(), Series::Const(-3.0));
    assert_eq!("-(3)".parse::<Series>().unwrap(), -build::constant(3.0));
    assert_eq!("--3".parse::<Series>().unwrap(), -build::constant(-3.0));
    assert_eq!("close - -3".parse::<Series>().unwrap(), close() - (-3.0));
}

#[test]
fn display_is_canonical() {
    let c = sma(20).crosses_above(sma(50)).and(rsi(14).lt(30.0));
    assert_eq!(
        c.to_string(),
        "sma(close, 20) crosses_above sma(close, 50) and rsi(close, 14) < 30"
    );
    assert_eq!(
        cond("(close > 1 or close > 2) and not (close > 3 and close > 4)").to_string(),
        "(close > 1 or close > 2) and not (close > 3 and close > 4)"
    );
    assert_eq!(
        "close * (1 + 2) - -(3)"
            .parse::<Series>()
            .unwrap()
            .to_string(),
        "close * (1 + 2) - -(3)"
    );
    assert_eq!(
        cond("macd(12,26,9).signal > 1e-9").to_string(),
        "macd(close, 12, 26, 9).signal > 1e-9"
    );
    assert_eq!(
        cond("bbands(20, 2.5, 2).upper > 1e20").to_string(),
        "bbands(close, 20, 2.5, 2).upper > 1e20"
    );
}

#[test]
fn errors_point_at_the_problem() {
    let e = err("smaa(20) > 1");
    assert!(
        matches!(e.kind, TriggerErrorKind::UnknownFunction { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "smaa");

    let e = err("close > closing");
    assert!(
        matches!(e.kind, TriggerErrorKind::UnknownName { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "closing");

    let e = err("rsi(14, 2, 3) < 30");
    assert!(
        matches!(e.kind, TriggerErrorKind::WrongArgCount { got: 3, .. }),
        "{e}"
    );
    assert_eq!(at(&e), "rsi(14, 2, 3)");

    let e = err("rsi(1) < 30");
    assert!(
        matches!(e.kind, TriggerErrorKind::BadParameter { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "1");
    assert!(e.to_string().contains("2..=100000"), "{e}");

    let e = err("sma(20.5) > 1");
    assert!(
        matches!(e.kind, TriggerErrorKind::BadParameter { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "20.5");

    let e = err("sma(close) > 1");
    assert!(
        matches!(e.kind, TriggerErrorKind::BadParameter { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "close");

    let e = err("rsi(14) < 30 and 30");
    assert!(
        matches!(
            e.kind,
            TriggerErrorKind::TypeMismatch {
                found: "a number",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(at(&e), "30");

    let e = err("sma(20)");
    assert!(
        matches!(
            e.kind,
            TriggerErrorKind::TypeMismatch {
                found: "a series",
                ..
            }
        ),
        "{e}"
    );

    let e = err("sma(close > 1, 20) > 1");
    assert!(
        matches!(
            e.kind,
            TriggerErrorKind::TypeMismatch {
                found: "a condition",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(at(&e), "close > 1");

    let e = err("macd(12, 26, 9) > 0");
    assert!(
        matches!(e.kind, TriggerErrorKind::MissingField { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "macd(12, 26, 9)");

    let e = err("macd(12, 26, 9).upper > 0");
    assert!(
        matches!(e.kind, TriggerErrorKind::UnknownField { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "upper");

    let e = err("sma(20).k > 0");
    assert!(
        matches!(e.kind, TriggerErrorKind::UnknownField { .. }),
        "{e}"
    );

    let e = err("held(close, 3)");
    assert!(
        matches!(e.kind, TriggerErrorKind::TypeMismatch { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "close");

    let e = err("held(close > 1, 0)");
    assert!(
        matches!(e.kind, TriggerErrorKind::BadParameter { .. }),
        "{e}"
    );
    assert_eq!(at(&e), "0");
}

#[test]
fn syntax_errors_say_what_was_expected_and_where() {
    for (text, pos) in [
        ("", 0),
        ("close >", 7),
        ("(close > 1", 10),
        ("sma(20 > 1", 10),
        ("sma(20; 1)", 6),
        ("close > 1 )", 10),
        ("close >> 1", 7),
        ("close > 3abc", 9),
        ("close > 1e999", 8),
        ("close > sma(20).", 16),
        ("close > 1 and", 13),
        ("close ? 1", 6),
    ] {
        let e = err(text);
        assert!(
            matches!(e.kind, TriggerErrorKind::Syntax { .. }),
            "{text:?}: {e:?}"
        );
        assert_eq!(e.span.start, pos, "{text:?}: {e}");
        let (line, col) = e.line_col();
        assert_eq!((line, col), (1, pos + 1));
        assert!(
            e.to_string()
                .starts_with(&format!("1:{}: expected ", pos + 1)),
            "{e}"
        );
    }
}

#[test]
fn trigger_sets_parse_lines_and_report_positions_in_the_whole_text() {
    let text = "# golden and dead crosses\n\
                golden = sma(20) crosses_above sma(50)\n\
                \n\
                dead = sma(20) crosses_below sma(50)\n";
    let set = TriggerSet::parse(text).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set.triggers()[0].name, "golden");
    assert_eq!(TriggerSet::parse(&set.to_string()).unwrap(), set);

    let bad = "a = close > 1\nb = rsi(0) < 3\n";
    let e = TriggerSet::parse(bad).unwrap_err();
    assert_eq!(&bad[e.span.clone()], "0");
    assert_eq!(e.line_col(), (2, 9));

    let dup = "a = close > 1\na = close < 1\n";
    let e = TriggerSet::parse(dup).unwrap_err();
    assert!(matches!(e.kind, TriggerErrorKind::DuplicateName { .. }));
    assert_eq!(e.line_col(), (2, 1));

    let e = TriggerSet::parse("# nothing\n\n").unwrap_err();
    assert_eq!(e.kind, TriggerErrorKind::EmptySet);

    let e = "golden sma(20) > 1".parse::<Trigger>().unwrap_err();
    assert!(matches!(e.kind, TriggerErrorKind::Syntax { .. }));
    assert_eq!(e.span.start, 7);
}

#[test]
fn columns_read() {
    assert_eq!(
        cond("atr(14) > sma(volume, 3)").columns(),
        vec![Column::High, Column::Low, Column::Close, Column::Volume]
    );
    assert_eq!(cond("open > 1").columns(), vec![Column::Open]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn display_then_parse_is_identity(c in cond_tree(100_000)) {
        let text = c.to_string();
        let back: Cond = text.parse().map_err(|e: TriggerError| {
            TestCaseError::fail(format!("{text}\n{e}"))
        })?;
        prop_assert_eq!(&back, &c, "{}", text);
        // And printing is stable.
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn arbitrary_text_never_panics_and_errors_point_inside(text in ".{0,80}") {
        if let Err(e) = text.parse::<Cond>() {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len());
            prop_assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            let _ = e.to_string();
        }
        let _ = TriggerSet::parse(&text);
    }

    #[test]
    fn mutated_valid_text_never_panics(c in cond_tree(100_000), cut in 0usize..400, junk in "[()<>=.,a-z0-9 +*/-]{0,4}") {
        let mut text = c.to_string();
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &junk);
        if let Err(e) = text.parse::<Cond>() {
            prop_assert!(e.span.end <= text.len());
        }
    }
}
