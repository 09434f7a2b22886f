//! Triggers and sets through serde: as text and as trees, in JSON and TOML.
#![cfg(feature = "serde")]

mod common;

use common::trees::cond_tree;
use proptest::prelude::*;
use ta_kernels::trigger::{AsTree, Cond, Trigger, TriggerSet};

fn sample_set() -> TriggerSet {
    TriggerSet::parse(
        "golden = sma(20) crosses_above sma(50)\n\
         oversold = rsi(14) < 30 and close < bbands(20, 2, 2).lower\n\
         momentum = held(macd(12, 26, 9).hist > 0, 3) or not within(stoch(14, 3, 3).k > 80, 5)\n",
    )
    .unwrap()
}

#[test]
fn sets_round_trip_as_text_in_json_and_toml() {
    let set = sample_set();
    let json = serde_json::to_string(&set).unwrap();
    assert!(
        json.starts_with(r#"{"golden":"sma(close, 20) crosses_above sma(close, 50)""#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<TriggerSet>(&json).unwrap(), set);
    let toml_text = toml::to_string(&set).unwrap();
    assert!(
        toml_text.contains("golden = \"sma(close, 20) crosses_above sma(close, 50)\""),
        "{toml_text}"
    );
    assert_eq!(toml::from_str::<TriggerSet>(&toml_text).unwrap(), set);
}

#[test]
fn sets_round_trip_as_trees_in_json_and_toml() {
    let set = sample_set();
    let json = serde_json::to_string(&AsTree(&set)).unwrap();
    assert!(json.contains("\"cross\""), "{json}");
    assert_eq!(serde_json::from_str::<TriggerSet>(&json).unwrap(), set);
    let toml_text = toml::to_string(&AsTree(&set)).unwrap();
    assert_eq!(toml::from_str::<TriggerSet>(&toml_text).unwrap(), set);
}

#[test]
fn hand_written_config_mixes_text_and_tree() {
    let json = r#"{
        "a": "close > sma(200)",
        "b": {"compare": ["lt", {"column": "close"}, {"const": 10.0}]}
    }"#;
    let set: TriggerSet = serde_json::from_str(json).unwrap();
    assert_eq!(
        set.triggers()[1].cond,
        "close < 10".parse::<Cond>().unwrap()
    );
    let t: Trigger = serde_json::from_str(r#"{"name": "x", "expr": "rsi(14) < 30"}"#).unwrap();
    assert_eq!(t.cond.to_string(), "rsi(close, 14) < 30");
    assert_eq!(
        serde_json::from_str::<Trigger>(&serde_json::to_string(&t).unwrap()).unwrap(),
        t
    );
}

#[test]
fn bad_config_is_a_clear_error() {
    let e = serde_json::from_str::<TriggerSet>(r#"{"a": "rsi(0) < 30"}"#).unwrap_err();
    assert!(e.to_string().contains("rsi"), "{e}");
    assert!(serde_json::from_str::<TriggerSet>("{}").is_err());
    let e = toml::from_str::<TriggerSet>("a = \"close >\"").unwrap_err();
    assert!(e.to_string().contains("expected"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_round_trip_in_both_forms(c in cond_tree(100_000)) {
        let set = TriggerSet::new().with("t", c).unwrap();
        let text = serde_json::to_string(&set).unwrap();
        prop_assert_eq!(&serde_json::from_str::<TriggerSet>(&text).unwrap(), &set);
        let tree = serde_json::to_string(&AsTree(&set)).unwrap();
        prop_assert_eq!(&serde_json::from_str::<TriggerSet>(&tree).unwrap(), &set);
    }
}
