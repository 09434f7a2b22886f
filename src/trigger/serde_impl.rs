//! Serde support (feature `serde`): triggers as text or as a tree.
//!
//! - [`Cond`] and [`Series`] serialize as a structured tree (an enum per
//!   node, e.g. `{"compare": ["lt", {"indicator": ...}, {"const": 30.0}]}`),
//!   for UIs that edit the tree.
//! - [`Trigger`] serializes as `{"name": ..., "expr": "<text>"}` and
//!   [`TriggerSet`] as a map from name to text, in order — the form people
//!   write in configuration files:
//!
//!   ```toml
//!   golden = "sma(20) crosses_above sma(50)"
//!   oversold = "rsi(14) < 30"
//!   ```
//! - Deserializing a trigger or a set accepts, for each expression, either
//!   the text or the tree. [`AsTree`] serializes a set with trees instead
//!   of text.
//!
//! Text is parsed with the language's parser, so a bad expression in a
//! configuration file is an error naming its position.

use core::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Cond, Trigger, TriggerSet};

/// An expression as written in a file: text or tree.
#[derive(Deserialize)]
#[serde(untagged)]
enum CondRepr {
    Text(String),
    Tree(Cond),
}

impl CondRepr {
    fn into_cond<E: de::Error>(self) -> Result<Cond, E> {
        match self {
            CondRepr::Text(t) => t.parse().map_err(|e| E::custom(format!("in {t:?}: {e}"))),
            CondRepr::Tree(c) => Ok(c),
        }
    }
}

impl Serialize for Trigger {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("expr", &self.cond.to_string())?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            name: String,
            expr: CondRepr,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Trigger {
            name: raw.name,
            cond: raw.expr.into_cond()?,
        })
    }
}

impl Serialize for TriggerSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for t in self.triggers() {
            m.serialize_entry(&t.name, &t.cond.to_string())?;
        }
        m.end()
    }
}

/// Serializes a [`TriggerSet`] as a map from name to expression tree.
pub struct AsTree<'a>(pub &'a TriggerSet);

impl Serialize for AsTree<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for t in self.0.triggers() {
            m.serialize_entry(&t.name, &t.cond)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for TriggerSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = TriggerSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from trigger name to expression (text or tree)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TriggerSet, A::Error> {
                let mut set = TriggerSet::new();
                while let Some((name, repr)) = map.next_entry::<String, CondRepr>()? {
                    let cond = repr.into_cond()?;
                    set.push(Trigger { name, cond })
                        .map_err(|e| de::Error::custom(e.kind.to_string()))?;
                }
                if set.is_empty() {
                    return Err(de::Error::custom(
                        "a trigger set needs at least one trigger",
                    ));
                }
                Ok(set)
            }
        }
        d.deserialize_map(SetVisitor)
    }
}
