//! [`StreamEngine`]: a trigger set evaluated one bar at a time.
//!
//! The set is compiled as the batch [`Plan`](crate::trigger::Plan) is:
//! every node gets a key from its operator, parameters and (already
//! deduplicated) children, and equal keys share one node, so each distinct
//! indicator and sub-expression is one state, updated once per bar.
//! Nodes are stored children first; a bar is one pass over them, each
//! writing its value (a number, or a bit for conditions) into a slot its
//! parents read. Per bar every node follows the batch semantics exactly:
//! comparisons are false on NaN; `a crosses_above b` is
//! `a > b` now and `a <= b` at the previous bar (never at bar 0);
//! `held(c, n)` needs `c` on each of the last `n` bars (so not before bar
//! `n − 1`), `within(c, n)` on any of them; `prev(a, n)` is NaN for the
//! first `n` bars.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::recursive::{Atr, Ema, Macd, Rsi, Trange};
use super::snapshot::{SNAPSHOT_VERSION, Snapshot, StateReader};
use super::window::{Bbands, Max, Min, Sma, Stddev, Stoch, Var, Wma, bands_of, stddev_one};
use super::{Hlc, Stream, StreamError};
use crate::CmpOp;
use crate::error::{Error, Result};
use crate::trigger::{
    ArithOp, BandsField, Bars, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
    TriggerSet,
};

/// One bar of OHLCV data, optionally stamped. Fields a trigger set does
/// not read may be NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing price.
    pub close: f64,
    /// Traded volume.
    pub volume: f64,
    /// The bar's time in any increasing unit (checked to increase when
    /// given).
    pub timestamp: Option<i64>,
}

impl Bar {
    /// An unstamped bar.
    pub const fn new(open: f64, high: f64, low: f64, close: f64, volume: f64) -> Self {
        Bar {
            open,
            high,
            low,
            close,
            volume,
            timestamp: None,
        }
    }

    /// The bar stamped with `timestamp`.
    pub const fn at(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    #[inline]
    fn hlc(&self) -> Hlc {
        Hlc::new(self.high, self.low, self.close)
    }
}

/// Fired triggers held inline (no allocation per bar up to this many).
const INLINE_FIRED: usize = 8;

/// The triggers that fired at one bar, in set order.
///
/// Up to eight fired triggers are held inline, so a bar allocates nothing
/// in the common case; the names are shared with the engine, and only
/// when a trigger fired (a bar where none fired costs no reference count).
#[derive(Clone)]
pub struct Fired {
    len: usize,
    inline: [usize; INLINE_FIRED],
    /// All the indices when more than [`INLINE_FIRED`] fired (else empty,
    /// which does not allocate).
    spill: Vec<usize>,
    /// The set's names; `None` when nothing fired.
    names: Option<Arc<[String]>>,
}

impl Fired {
    /// The names of the triggers that fired, in set order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let names = self.names.as_deref().unwrap_or(&[]);
        self.indices()
            .iter()
            .filter_map(|&i| names.get(i))
            .map(String::as_str)
    }

    /// The positions in the set of the triggers that fired, ascending.
    #[inline]
    pub fn indices(&self) -> &[usize] {
        if self.len <= INLINE_FIRED {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }

    /// Whether no trigger fired.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many triggers fired.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }
}

/// Equal when the same triggers (positions and names) fired.
impl PartialEq for Fired {
    fn eq(&self, other: &Self) -> bool {
        self.indices() == other.indices() && self.names().eq(other.names())
    }
}

impl core::fmt::Debug for Fired {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fired")
            .field("indices", &self.indices())
            .field("names", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

/// An `f64` keyed by its bits (as the batch plan: `0.0` and `-0.0` are
/// different nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Num(u64);

/// A node's deduplication key: operator, parameters, children.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Column(Column),
    Const(Num),
    Neg(usize),
    Arith(ArithOp, usize, usize),
    Prev(usize, usize),
    Ind(&'static str, [u64; 3], Option<usize>),
    Compare(CmpOp, usize, usize),
    Cross(CrossDir, usize, usize),
    And(usize, usize),
    Or(usize, usize),
    Not(usize),
    Held(usize, usize),
    Within(usize, usize),
    Bands(u64, u64, usize, usize),
    Std(u64, usize),
    VarFin(usize),
}

/// An indicator state.
#[derive(Clone, Debug)]
enum Ind {
    Sma(Sma),
    Ema(Ema),
    Wma(Wma),
    Rsi(Rsi),
    Max(Max),
    Min(Min),
    Var(Var),
    /// The variance before non-finite results become NaN, shared by VAR,
    /// STDDEV and BBANDS of one input and period.
    VarRaw(Var),
    Stddev(Stddev),
    Macd(Macd),
    Bbands(Bbands),
    Stoch(Stoch),
    Atr(Atr),
    Trange(Trange),
}

macro_rules! each_ind {
    ($ind:expr, $s:ident => $e:expr) => {
        match $ind {
            Ind::Sma($s) => $e,
            Ind::Ema($s) => $e,
            Ind::Wma($s) => $e,
            Ind::Rsi($s) => $e,
            Ind::Max($s) => $e,
            Ind::Min($s) => $e,
            Ind::Var($s) => $e,
            Ind::VarRaw($s) => $e,
            Ind::Stddev($s) => $e,
            Ind::Macd($s) => $e,
            Ind::Bbands($s) => $e,
            Ind::Stoch($s) => $e,
            Ind::Atr($s) => $e,
            Ind::Trange($s) => $e,
        }
    };
}

impl Ind {
    /// Number of output lines.
    fn outputs(&self) -> usize {
        match self {
            Ind::Macd(_) | Ind::Bbands(_) => 3,
            Ind::Stoch(_) => 2,
            _ => 1,
        }
    }

    /// Pushes (or peeks) one bar, writing the lines into `out`.
    #[inline]
    fn step(&mut self, commit: bool, x: f64, hlc: &Hlc, out: &mut [f64]) {
        macro_rules! go {
            ($s:expr, $v:expr) => {
                if commit { $s.push($v) } else { $s.peek($v) }
            };
        }
        match self {
            Ind::Sma(s) => out[0] = go!(s, x),
            Ind::Ema(s) => out[0] = go!(s, x),
            Ind::Wma(s) => out[0] = go!(s, x),
            Ind::Rsi(s) => out[0] = go!(s, x),
            Ind::Max(s) => out[0] = go!(s, x),
            Ind::Min(s) => out[0] = go!(s, x),
            Ind::Var(s) => out[0] = go!(s, x),
            Ind::VarRaw(s) => out[0] = if commit { s.push_raw(x) } else { s.peek_raw(x) },
            Ind::Stddev(s) => out[0] = go!(s, x),
            Ind::Atr(s) => out[0] = go!(s, *hlc),
            Ind::Trange(s) => out[0] = go!(s, *hlc),
            Ind::Macd(s) => {
                let v = go!(s, x);
                out[..3].copy_from_slice(&[v.macd, v.signal, v.hist]);
            }
            Ind::Bbands(s) => {
                let v = go!(s, x);
                out[..3].copy_from_slice(&[v.upper, v.middle, v.lower]);
            }
            Ind::Stoch(s) => {
                let v = go!(s, *hlc);
                out[..2].copy_from_slice(&[v.k, v.d]);
            }
        }
    }
}

/// Indicator states by kind, outside the node list: the nodes stay small
/// (a few words), and the common indicators get their own arms in
/// [`eval`] (no second dispatch on the indicator kind).
#[derive(Clone, Debug, Default)]
struct States {
    sma: Vec<Sma>,
    ema: Vec<Ema>,
    rsi: Vec<Rsi>,
    /// Raw variances (before non-finite results become NaN), shared by
    /// VAR, STDDEV and BBANDS of one input and period.
    var: Vec<Var>,
    macd: Vec<Macd>,
    /// Every other indicator.
    other: Vec<Ind>,
    /// `prev` queues: the last `n` committed values of the input, oldest
    /// first.
    prev: Vec<VecDeque<f64>>,
}

/// No input slot (an indicator reading the bar itself).
const NONE: usize = usize::MAX;

/// One node: what it computes, where its inputs are (series slots in
/// `vals`, condition slots in `bits`), where it writes (`s`), and its
/// state (inline when a word or two, else `k` in [`States`]).
#[derive(Clone, Copy, Debug)]
enum Op {
    Column {
        c: Column,
        s: usize,
    },
    /// Written once by `new`; no other node writes the slot.
    Const {
        s: usize,
    },
    Neg {
        a: usize,
        s: usize,
    },
    Add {
        a: usize,
        b: usize,
        s: usize,
    },
    Sub {
        a: usize,
        b: usize,
        s: usize,
    },
    Mul {
        a: usize,
        b: usize,
        s: usize,
    },
    Div {
        a: usize,
        b: usize,
        s: usize,
    },
    Prev {
        a: usize,
        s: usize,
        n: usize,
        k: usize,
    },
    Sma {
        i: usize,
        s: usize,
        k: usize,
    },
    Ema {
        i: usize,
        s: usize,
        k: usize,
    },
    Rsi {
        i: usize,
        s: usize,
        k: usize,
    },
    VarRaw {
        i: usize,
        s: usize,
        k: usize,
    },
    Macd {
        i: usize,
        s: usize,
        k: usize,
    },
    /// An indicator of [`States::other`]; `i` may be [`NONE`].
    Other {
        i: usize,
        s: usize,
        k: usize,
    },
    /// Bollinger Bands from a mean slot and a raw variance slot.
    Bands {
        m: usize,
        v: usize,
        s: usize,
        up: f64,
        dn: f64,
    },
    /// `σ·k` from a raw variance slot.
    Std {
        v: usize,
        s: usize,
        k: f64,
    },
    /// The variance from a raw variance slot.
    VarFin {
        v: usize,
        s: usize,
    },
    Gt {
        a: usize,
        b: usize,
        s: usize,
    },
    Ge {
        a: usize,
        b: usize,
        s: usize,
    },
    Lt {
        a: usize,
        b: usize,
        s: usize,
    },
    Le {
        a: usize,
        b: usize,
        s: usize,
    },
    /// `prev`: whether the previous bar satisfied the "before" half
    /// (`a <= b`).
    CrossAbove {
        a: usize,
        b: usize,
        s: usize,
        prev: bool,
    },
    /// `prev`: whether the previous bar had `a >= b`.
    CrossBelow {
        a: usize,
        b: usize,
        s: usize,
        prev: bool,
    },
    And {
        a: usize,
        b: usize,
        s: usize,
    },
    Or {
        a: usize,
        b: usize,
        s: usize,
    },
    Not {
        a: usize,
        s: usize,
    },
    /// Consecutive true bars ending at the last committed bar (saturated
    /// at `n`).
    Held {
        c: usize,
        s: usize,
        n: u64,
        run: u64,
    },
    /// Bars since the last committed true bar, 0 if it was true
    /// (saturated at `n`; `n` means none in the window).
    Within {
        c: usize,
        s: usize,
        n: u64,
        age: u64,
    },
}

impl Op {
    /// The node's slot: in `vals` for series, in `bits` for conditions.
    #[inline]
    fn slot(&self) -> usize {
        match *self {
            Op::Column { s, .. }
            | Op::Const { s }
            | Op::Neg { s, .. }
            | Op::Add { s, .. }
            | Op::Sub { s, .. }
            | Op::Mul { s, .. }
            | Op::Div { s, .. }
            | Op::Prev { s, .. }
            | Op::Sma { s, .. }
            | Op::Ema { s, .. }
            | Op::Rsi { s, .. }
            | Op::VarRaw { s, .. }
            | Op::Macd { s, .. }
            | Op::Other { s, .. }
            | Op::Bands { s, .. }
            | Op::Std { s, .. }
            | Op::VarFin { s, .. }
            | Op::Gt { s, .. }
            | Op::Ge { s, .. }
            | Op::Lt { s, .. }
            | Op::Le { s, .. }
            | Op::CrossAbove { s, .. }
            | Op::CrossBelow { s, .. }
            | Op::And { s, .. }
            | Op::Or { s, .. }
            | Op::Not { s, .. }
            | Op::Held { s, .. }
            | Op::Within { s, .. } => s,
        }
    }
}

/// A trigger set evaluated bar by bar.
///
/// The set is compiled as the batch [`Plan`](crate::trigger::Plan) is:
/// each distinct indicator and sub-expression is one node with one state
/// (VAR, STDDEV and BBANDS of one input and period also share their mean
/// and variance), updated once per bar in children-first order. Per bar
/// every node follows the batch semantics: comparisons are false on NaN;
/// `a crosses_above b` is `a > b` now and `a <= b` at the previous bar
/// (never at bar 0); `held(c, n)` needs `c` on each of the last `n` bars,
/// `within(c, n)` on any of them; `prev(a, n)` is NaN for the first `n`
/// bars. A push costs one pass over the nodes (O(1) amortized per node)
/// and allocates nothing (unless more than eight triggers fire).
///
/// Guarantee: pushing bars one by one (or warming up on them) fires, at
/// every bar, exactly the triggers the batch semantics give on the
/// streamed indicator values (tested against the naive interpreter,
/// near-ties within 1e-12 relative excepted), and so the triggers of
/// [`TriggerSet::evaluate`] wherever the streamed and batch indicator
/// values (equal within the tolerances of [`crate::stream`]; bit for bit
/// for the recursive ones on the scalar backend) lead to the same truth.
/// They can differ where arithmetic above an indicator cancels (e.g. the
/// MACD of a constant series, which is rounding noise in both).
#[derive(Clone, Debug)]
pub struct StreamEngine {
    /// Children first; the constants (no inputs, nothing to do per bar)
    /// are moved to the front and skipped by a bar.
    nodes: Vec<Op>,
    /// How many nodes at the front are constants.
    consts: usize,
    states: States,
    vals: Vec<f64>,
    bits: Vec<bool>,
    /// The condition slot of each trigger.
    triggers: Vec<usize>,
    names: Arc<[String]>,
    /// The canonical text of the set.
    text: String,
    /// The columns each trigger reads, with its expression.
    needs: Vec<(Column, usize)>,
    exprs: Vec<String>,
    bars: u64,
    last_ts: Option<i64>,
}

struct Compiler {
    nodes: Vec<Op>,
    states: States,
    keys: HashMap<Key, usize>,
    vals: usize,
    bits: usize,
}

fn p3(a: usize, b: usize, c: usize) -> [u64; 3] {
    [a as u64, b as u64, c as u64]
}

impl Compiler {
    /// The slot of the node `key`, made by `make` (given the states and
    /// the node's slot; returning the node and its width in value slots)
    /// if new. `cond`: a condition (one slot in `bits`).
    fn add(
        &mut self,
        key: Key,
        cond: bool,
        make: impl FnOnce(&mut States, usize) -> Result<(Op, usize)>,
    ) -> Result<usize> {
        if let Some(&slot) = self.keys.get(&key) {
            return Ok(slot);
        }
        let slot = if cond { self.bits } else { self.vals };
        let (op, width) = make(&mut self.states, slot)?;
        if cond {
            self.bits += 1;
        } else {
            self.vals += width;
        }
        self.nodes.push(op);
        self.keys.insert(key, slot);
        Ok(slot)
    }

    /// A one-slot series node.
    fn one(&mut self, key: Key, op: impl FnOnce(usize) -> Op) -> Result<usize> {
        self.add(key, false, |_, s| Ok((op(s), 1)))
    }

    /// A condition node.
    fn bit(&mut self, key: Key, op: impl FnOnce(usize) -> Op) -> Result<usize> {
        self.add(key, true, |_, s| Ok((op(s), 1)))
    }

    fn series(&mut self, x: &Series) -> Result<usize> {
        Ok(match x {
            Series::Column(c) => {
                let c = *c;
                self.one(Key::Column(c), |s| Op::Column { c, s })?
            }
            Series::Const(v) => self.one(Key::Const(Num(v.to_bits())), |s| Op::Const { s })?,
            Series::Neg(a) => {
                let a = self.series(a)?;
                self.one(Key::Neg(a), |s| Op::Neg { a, s })?
            }
            Series::Arith(op, a, b) => {
                let (op, a, b) = (*op, self.series(a)?, self.series(b)?);
                self.one(Key::Arith(op, a, b), |s| match op {
                    ArithOp::Add => Op::Add { a, b, s },
                    ArithOp::Sub => Op::Sub { a, b, s },
                    ArithOp::Mul => Op::Mul { a, b, s },
                    ArithOp::Div => Op::Div { a, b, s },
                })?
            }
            Series::Prev(a, n) => {
                let (a, n) = (self.series(a)?, *n);
                self.add(Key::Prev(a, n), false, |st, s| {
                    st.prev.push(VecDeque::with_capacity(n.min(1024)));
                    let k = st.prev.len() - 1;
                    Ok((Op::Prev { a, s, n, k }, 1))
                })?
            }
            Series::Indicator(ind) => {
                if let Some(slot) = self.shared_window(ind)? {
                    return Ok(slot);
                }
                let i = match ind.input() {
                    Some(i) => Some(self.series(i)?),
                    None => None,
                };
                let (name, params, field) = spec(ind);
                let slot = self.add(Key::Ind(name, params, i), false, |st, s| {
                    Ok(place(st, state(ind)?, i.unwrap_or(NONE), s))
                })?;
                slot + field
            }
        })
    }

    /// VAR, STDDEV and BBANDS as finishing nodes over shared mean and raw
    /// variance states (`sma(20)`, `stddev(20)` and `bbands(20, 2, 2)` of
    /// one input keep one window sum and one variance); `None` for other
    /// indicators.
    fn shared_window(&mut self, ind: &Indicator) -> Result<Option<usize>> {
        let (input, period) = match ind {
            Indicator::Var { input, period }
            | Indicator::Stddev { input, period, .. }
            | Indicator::Bbands { input, period, .. } => (input, *period),
            _ => return Ok(None),
        };
        // Parameters checked as the batch functions do.
        match *ind {
            Indicator::Var { period, .. } => drop(Var::new(period)?),
            Indicator::Stddev { period, nbdev, .. } => drop(Stddev::new(period, nbdev)?),
            Indicator::Bbands {
                period,
                nbdev_up,
                nbdev_dn,
                ..
            } => drop(Bbands::new(period, nbdev_up, nbdev_dn)?),
            _ => {}
        }
        let x = self.series(input)?;
        let key = Key::Ind("var_raw", p3(period, 0, 0), Some(x));
        let v = self.add(key, false, |st, s| {
            Ok(place(st, Ind::VarRaw(Var::new(period)?), x, s))
        })?;
        let slot = match *ind {
            Indicator::Var { .. } => self.one(Key::VarFin(v), |s| Op::VarFin { v, s })?,
            Indicator::Stddev { nbdev, .. } => {
                self.one(Key::Std(nbdev.to_bits(), v), |s| Op::Std { v, s, k: nbdev })?
            }
            Indicator::Bbands {
                nbdev_up,
                nbdev_dn,
                field,
                ..
            } => {
                let key = Key::Ind("sma", p3(period, 0, 0), Some(x));
                let m = self.add(key, false, |st, s| {
                    Ok(place(st, Ind::Sma(Sma::new(period)?), x, s))
                })?;
                let key = Key::Bands(nbdev_up.to_bits(), nbdev_dn.to_bits(), m, v);
                let bands = self.add(key, false, |_, s| {
                    let (up, dn) = (nbdev_up, nbdev_dn);
                    Ok((Op::Bands { m, v, s, up, dn }, 3))
                })?;
                bands
                    + match field {
                        BandsField::Upper => 0,
                        BandsField::Middle => 1,
                        BandsField::Lower => 2,
                    }
            }
            _ => unreachable!("matched above"),
        };
        Ok(Some(slot))
    }

    fn cond(&mut self, c: &Cond) -> Result<usize> {
        match c {
            Cond::Compare(op, a, b) => {
                let (op, a, b) = (*op, self.series(a)?, self.series(b)?);
                self.bit(Key::Compare(op, a, b), |s| match op {
                    CmpOp::Gt => Op::Gt { a, b, s },
                    CmpOp::Ge => Op::Ge { a, b, s },
                    CmpOp::Lt => Op::Lt { a, b, s },
                    CmpOp::Le => Op::Le { a, b, s },
                })
            }
            Cond::Cross(dir, a, b) => {
                let (dir, a, b) = (*dir, self.series(a)?, self.series(b)?);
                let prev = false;
                self.bit(Key::Cross(dir, a, b), |s| match dir {
                    CrossDir::Above => Op::CrossAbove { a, b, s, prev },
                    CrossDir::Below => Op::CrossBelow { a, b, s, prev },
                })
            }
            Cond::And(a, b) => {
                let (a, b) = (self.cond(a)?, self.cond(b)?);
                self.bit(Key::And(a, b), |s| Op::And { a, b, s })
            }
            Cond::Or(a, b) => {
                let (a, b) = (self.cond(a)?, self.cond(b)?);
                self.bit(Key::Or(a, b), |s| Op::Or { a, b, s })
            }
            Cond::Not(a) => {
                let a = self.cond(a)?;
                self.bit(Key::Not(a), |s| Op::Not { a, s })
            }
            Cond::Held(a, n) => {
                let (c, n) = (self.cond(a)?, *n);
                self.bit(Key::Held(c, n), |s| Op::Held {
                    c,
                    s,
                    n: n.max(1) as u64,
                    run: 0,
                })
            }
            Cond::Within(a, n) => {
                let (c, n) = (self.cond(a)?, (*n).max(1) as u64);
                self.bit(Key::Within(c, n as usize), |s| Op::Within {
                    c,
                    s,
                    n,
                    age: n,
                })
            }
        }
    }
}

/// Files an indicator state in `st` and returns its node (reading slot
/// `i`, [`NONE`] for the bar) and width.
fn place(st: &mut States, ind: Ind, i: usize, s: usize) -> (Op, usize) {
    fn put<T>(v: &mut Vec<T>, x: T) -> usize {
        v.push(x);
        v.len() - 1
    }
    match ind {
        Ind::Sma(x) if i != NONE => (
            Op::Sma {
                i,
                s,
                k: put(&mut st.sma, x),
            },
            1,
        ),
        Ind::Ema(x) if i != NONE => (
            Op::Ema {
                i,
                s,
                k: put(&mut st.ema, x),
            },
            1,
        ),
        Ind::Rsi(x) if i != NONE => (
            Op::Rsi {
                i,
                s,
                k: put(&mut st.rsi, x),
            },
            1,
        ),
        Ind::VarRaw(x) if i != NONE => (
            Op::VarRaw {
                i,
                s,
                k: put(&mut st.var, x),
            },
            1,
        ),
        Ind::Macd(x) if i != NONE => (
            Op::Macd {
                i,
                s,
                k: put(&mut st.macd, x),
            },
            3,
        ),
        ind => {
            let w = ind.outputs();
            (
                Op::Other {
                    i,
                    s,
                    k: put(&mut st.other, ind),
                },
                w,
            )
        }
    }
}

/// Name, parameters (floats as bits) and output line of an indicator.
fn spec(ind: &Indicator) -> (&'static str, [u64; 3], usize) {
    let name = ind.name();
    match *ind {
        Indicator::Sma { period, .. }
        | Indicator::Ema { period, .. }
        | Indicator::Wma { period, .. }
        | Indicator::Rsi { period, .. }
        | Indicator::Max { period, .. }
        | Indicator::Min { period, .. }
        | Indicator::Var { period, .. }
        | Indicator::Atr { period } => (name, p3(period, 0, 0), 0),
        Indicator::Stddev { period, nbdev, .. } => (name, [period as u64, nbdev.to_bits(), 0], 0),
        Indicator::Macd {
            fast,
            slow,
            signal,
            field,
            ..
        } => (
            name,
            p3(fast, slow, signal),
            match field {
                MacdField::Macd => 0,
                MacdField::Signal => 1,
                MacdField::Hist => 2,
            },
        ),
        Indicator::Bbands {
            period,
            nbdev_up,
            nbdev_dn,
            field,
            ..
        } => (
            name,
            [period as u64, nbdev_up.to_bits(), nbdev_dn.to_bits()],
            match field {
                BandsField::Upper => 0,
                BandsField::Middle => 1,
                BandsField::Lower => 2,
            },
        ),
        Indicator::Stoch {
            fastk,
            slowk,
            slowd,
            field,
        } => (
            name,
            p3(fastk, slowk, slowd),
            match field {
                StochField::K => 0,
                StochField::D => 1,
            },
        ),
        Indicator::Trange => (name, [0; 3], 0),
    }
}

/// A fresh state for `ind` (parameters checked as the batch functions do).
fn state(ind: &Indicator) -> Result<Ind> {
    Ok(match *ind {
        Indicator::Sma { period, .. } => Ind::Sma(Sma::new(period)?),
        Indicator::Ema { period, .. } => Ind::Ema(Ema::new(period)?),
        Indicator::Wma { period, .. } => Ind::Wma(Wma::new(period)?),
        Indicator::Rsi { period, .. } => Ind::Rsi(Rsi::new(period)?),
        Indicator::Max { period, .. } => Ind::Max(Max::new(period)?),
        Indicator::Min { period, .. } => Ind::Min(Min::new(period)?),
        Indicator::Var { period, .. } => Ind::Var(Var::new(period)?),
        Indicator::Stddev { period, nbdev, .. } => Ind::Stddev(Stddev::new(period, nbdev)?),
        Indicator::Macd {
            fast, slow, signal, ..
        } => Ind::Macd(Macd::new(fast, slow, signal)?),
        Indicator::Bbands {
            period,
            nbdev_up,
            nbdev_dn,
            ..
        } => Ind::Bbands(Bbands::new(period, nbdev_up, nbdev_dn)?),
        Indicator::Stoch {
            fastk,
            slowk,
            slowd,
            ..
        } => Ind::Stoch(Stoch::new(fastk, slowk, slowd)?),
        Indicator::Atr { period } => Ind::Atr(Atr::new(period)?),
        Indicator::Trange => Ind::Trange(Trange::new()),
    })
}

impl StreamEngine {
    /// An engine for `set`, before any bar. Errors: an empty set
    /// ([`Error::Trigger`]); an indicator parameter out of range (possible
    /// for sets built with the builder).
    pub fn new(set: &TriggerSet) -> Result<StreamEngine> {
        if set.is_empty() {
            set.plan()?;
        }
        let mut c = Compiler {
            nodes: Vec::new(),
            states: States::default(),
            keys: HashMap::new(),
            vals: 0,
            bits: 0,
        };
        let mut triggers = Vec::with_capacity(set.len());
        let mut needs = Vec::new();
        let mut exprs = Vec::new();
        for (i, t) in set.triggers().iter().enumerate() {
            triggers.push(c.cond(&t.cond)?);
            needs.extend(t.cond.columns().into_iter().map(|col| (col, i)));
            exprs.push(t.cond.to_string());
        }
        // Power-of-two lengths (see `eval`).
        let mut vals = vec![f64::NAN; c.vals.next_power_of_two()];
        for (key, &slot) in &c.keys {
            if let Key::Const(Num(v)) = key {
                vals[slot] = f64::from_bits(*v);
            }
        }
        // Constants first (they read nothing, so children still come
        // before parents), where a bar skips them.
        let mut nodes = c.nodes;
        nodes.sort_by_key(|op| !matches!(op, Op::Const { .. }));
        let consts = nodes
            .iter()
            .take_while(|op| matches!(op, Op::Const { .. }))
            .count();
        Ok(StreamEngine {
            vals,
            bits: vec![false; c.bits.next_power_of_two()],
            nodes,
            consts,
            states: c.states,
            triggers,
            names: set.triggers().iter().map(|t| t.name.clone()).collect(),
            text: set.to_string(),
            needs,
            exprs,
            bars: 0,
            last_ts: None,
        })
    }

    /// An engine for `set` in the state `snapshot` recorded: continuing it
    /// gives bit for bit what the engine that took the snapshot gives.
    /// Errors ([`Error::Stream`]): another [`SNAPSHOT_VERSION`]
    /// ([`StreamError::SnapshotVersion`]); a snapshot of another set (its
    /// canonical text differs: [`StreamError::SnapshotSet`]); state words
    /// that do not fit ([`StreamError::SnapshotCorrupt`]).
    pub fn restore(set: &TriggerSet, snapshot: &Snapshot) -> Result<StreamEngine> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(Error::Stream(StreamError::SnapshotVersion {
                found: snapshot.version,
                expected: SNAPSHOT_VERSION,
            }));
        }
        let mut e = StreamEngine::new(set)?;
        if snapshot.set != e.text {
            return Err(Error::Stream(StreamError::SnapshotSet {
                snapshot: snapshot.set.clone(),
                set: e.text,
            }));
        }
        if snapshot.states.len() != e.nodes.len() {
            return Err(Error::Stream(StreamError::SnapshotCorrupt(
                "the number of states differs from the set's",
            )));
        }
        for (op, words) in e.nodes.iter_mut().zip(&snapshot.states) {
            let mut r = StateReader::new(words);
            load_op(op, &mut e.states, &mut r)?;
            r.finish()?;
        }
        e.bars = snapshot.bars;
        e.last_ts = snapshot.last_timestamp;
        Ok(e)
    }

    /// The engine's state as plain data (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            set: self.text.clone(),
            bars: self.bars,
            last_timestamp: self.last_ts,
            states: self
                .nodes
                .iter()
                .map(|op| {
                    let mut w = Vec::new();
                    save_op(op, &self.states, &mut w);
                    w
                })
                .collect(),
        }
    }

    /// Forgets every bar (and the last timestamp), as if just built.
    pub fn reset(&mut self) {
        let st = &mut self.states;
        st.sma.iter_mut().for_each(Stream::reset);
        st.ema.iter_mut().for_each(Stream::reset);
        st.rsi.iter_mut().for_each(Stream::reset);
        st.var.iter_mut().for_each(Stream::reset);
        st.macd.iter_mut().for_each(Stream::reset);
        st.prev.iter_mut().for_each(VecDeque::clear);
        for s in &mut st.other {
            each_ind!(s, s => s.reset());
        }
        for op in &mut self.nodes {
            match op {
                Op::CrossAbove { prev, .. } | Op::CrossBelow { prev, .. } => *prev = false,
                Op::Held { run, .. } => *run = 0,
                Op::Within { n, age, .. } => *age = *n,
                _ => {}
            }
        }
        self.bars = 0;
        self.last_ts = None;
    }

    /// Committed bars.
    pub fn bars(&self) -> usize {
        self.bars as usize
    }

    /// Sets the timestamp the next stamped bar must follow (e.g. the last
    /// bar of the history given to [`StreamEngine::warm_up`]).
    pub fn set_last_timestamp(&mut self, ts: Option<i64>) {
        self.last_ts = ts;
    }

    /// The last committed bar's timestamp, if any.
    pub fn last_timestamp(&self) -> Option<i64> {
        self.last_ts
    }

    /// Bytes held by the engine: its nodes and their states, the value
    /// slots, the names and texts.
    pub fn memory_bytes(&self) -> usize {
        let st = &self.states;
        let states = st.sma.iter().map(Stream::memory_bytes).sum::<usize>()
            + st.ema.iter().map(Stream::memory_bytes).sum::<usize>()
            + st.rsi.iter().map(Stream::memory_bytes).sum::<usize>()
            + st.var.iter().map(Stream::memory_bytes).sum::<usize>()
            + st.macd.iter().map(Stream::memory_bytes).sum::<usize>()
            + st.other
                .iter()
                .map(|s| each_ind!(s, s => s.memory_bytes()))
                .sum::<usize>()
            + st.prev.iter().map(|q| 24 + 8 * q.capacity()).sum::<usize>();
        core::mem::size_of::<Self>()
            + self.nodes.capacity() * core::mem::size_of::<Op>()
            + states
            + self.vals.capacity() * 8
            + self.bits.capacity()
            + self.triggers.capacity() * 8
            + self.needs.capacity() * core::mem::size_of::<(Column, usize)>()
            + self.names.iter().map(|s| s.capacity() + 24).sum::<usize>()
            + self.exprs.iter().map(|s| s.capacity() + 24).sum::<usize>()
            + self.text.capacity()
    }

    fn check(&self, bar: &Bar) -> Result<()> {
        if bar.high < bar.low {
            return Err(Error::Stream(StreamError::HighBelowLow {
                bar: self.bars as usize,
                high: bar.high,
                low: bar.low,
            }));
        }
        if let (Some(last), Some(got)) = (self.last_ts, bar.timestamp)
            && got <= last
        {
            return Err(Error::Stream(StreamError::TimestampNotAfter {
                bar: self.bars as usize,
                last,
                got,
            }));
        }
        Ok(())
    }

    /// Commits a closed bar and returns the triggers that fired at it.
    /// Errors ([`Error::Stream`], the state unchanged): high below low;
    /// a timestamp not after the last committed one (when both are given).
    /// A NaN field follows the batch NaN policy.
    pub fn push(&mut self, bar: &Bar) -> Result<Fired> {
        self.check(bar)?;
        self.step::<true>(bar);
        self.bars += 1;
        if bar.timestamp.is_some() {
            self.last_ts = bar.timestamp;
        }
        Ok(self.fired())
    }

    /// The triggers that would fire if the forming `bar` closed now,
    /// without committing it: the next [`push`](Self::push) or
    /// `update_last` replaces it. Errors: as [`push`](Self::push).
    pub fn update_last(&mut self, bar: &Bar) -> Result<Fired> {
        self.check(bar)?;
        self.step::<false>(bar);
        Ok(self.fired())
    }

    /// Commits the bars of `history` (as [`push`](Self::push) would,
    /// without timestamps): the state is then exactly, bit for bit, that
    /// of pushing them one by one. The bars are run node by node rather
    /// than bar by bar, and on a fresh engine the nodes whose state
    /// depends only on recent bars (crosses, `held`/`within`/`prev`, SMA
    /// and variance windows) run only over the last bars their state and
    /// their parents need, so warming up costs a fraction of pushing (the
    /// recursive indicators still run over the whole history, with the
    /// same code as `push`: the batch kernels would not give the same
    /// bits on every backend). All bars are checked
    /// first; on an error nothing is committed. Errors: columns of
    /// different lengths; a column a trigger reads is missing
    /// ([`Error::MissingColumn`]); a bar with high below low
    /// ([`Error::Stream`]).
    pub fn warm_up(&mut self, history: &Bars<'_>) -> Result<()> {
        let n = history.len()?;
        if let Some(&(col, t)) = self
            .needs
            .iter()
            .find(|(c, _)| history.column(*c).is_none())
        {
            let text = &self.exprs[t];
            let span = text
                .find(col.name())
                .map_or(0..text.len(), |i| i..i + col.name().len());
            return Err(Error::MissingColumn {
                column: col.name(),
                trigger: self.names[t].clone(),
                expression: text.clone(),
                span,
            });
        }
        let cols = Column::ALL.map(|c| history.column(c));
        let at = |c: Column, i: usize| cols[c as usize].map_or(f64::NAN, |v| v[i]);
        let bar = |i| {
            Bar::new(
                at(Column::Open, i),
                at(Column::High, i),
                at(Column::Low, i),
                at(Column::Close, i),
                at(Column::Volume, i),
            )
        };
        for i in 0..n {
            let b = bar(i);
            if b.high < b.low {
                return Err(Error::Stream(StreamError::HighBelowLow {
                    bar: self.bars as usize + i,
                    high: b.high,
                    low: b.low,
                }));
            }
        }
        self.fast_forward(n, bar);
        self.bars += n as u64;
        Ok(())
    }

    /// Commits bars `0..n` (given by `bar`) node by node instead of bar by
    /// bar: each node runs over the bars whose output its parents read,
    /// with the same code as [`push`](Self::push), so every state ends
    /// bit for bit where pushing would leave it, at a fraction of the cost
    /// (one node at a time keeps its branch predicted and its state hot).
    ///
    /// On a fresh engine, nodes whose state depends only on recent bars
    /// start late, from a fresh state: `crosses` one bar before the first
    /// output needed, `held`/`within`/`prev` of `n` bars `n` bars before
    /// (their counters and queue saturate within `n` bars), SMA and the
    /// variance two chunks of `period` bars before (their state is the
    /// current chunk and the suffix sums of the previous one, chunks
    /// aligned on bar 0). Recursive and other states run over all bars.
    fn fast_forward(&mut self, n: usize, bar: impl Fn(usize) -> Bar) {
        let fresh = self.bars == 0;
        let StreamEngine {
            nodes,
            vals,
            bits,
            states,
            ..
        } = self;
        let m = nodes.len();
        let mut val_owner = vec![0; vals.len()];
        let mut bit_owner = vec![0; bits.len()];
        for (k, op) in nodes.iter().enumerate() {
            let (cond, w) = shape(op, states);
            let slot = op.slot();
            if cond {
                bit_owner[slot] = k;
            } else {
                val_owner[slot..slot + w].fill(k);
            }
        }
        // The first bar whose output is read (`n`: none), and the first
        // bar the node runs from.
        let mut out_from = vec![n; m];
        let mut run_from = vec![0; m];
        let mut ins = Vec::new();
        let mut bins = Vec::new();
        for k in (0..m).rev() {
            let f = out_from[k];
            let r = if !fresh {
                0
            } else {
                match lag(&nodes[k], states) {
                    Lag::None => f,
                    Lag::Bars(l) => f.saturating_sub(l),
                    Lag::Chunks(p) => (f / p * p).saturating_sub(p),
                    Lag::All => 0,
                }
            };
            run_from[k] = r;
            inputs(&nodes[k], &mut ins, &mut bins);
            for &sl in &ins {
                let o = &mut out_from[val_owner[sl]];
                *o = (*o).min(r);
            }
            for &sl in &bins {
                let o = &mut out_from[bit_owner[sl]];
                *o = (*o).min(r);
            }
        }
        // Each slot's values over `out_from[owner]..n`.
        let mut vser: Vec<Vec<f64>> = vec![Vec::new(); vals.len()];
        let mut bser: Vec<Vec<bool>> = vec![Vec::new(); bits.len()];
        let nan_cols = [f64::NAN; 5];
        let nan_hlc = Hlc::new(f64::NAN, f64::NAN, f64::NAN);
        for k in 0..m {
            let (start, keep) = (run_from[k], out_from[k]);
            if start >= n {
                continue;
            }
            inputs(&nodes[k], &mut ins, &mut bins);
            let (cond, w) = shape(&nodes[k], states);
            let reads_bar = matches!(nodes[k], Op::Column { .. } | Op::Other { i: NONE, .. });
            let slot = nodes[k].slot();
            let len = n - keep.min(n);
            if cond {
                bser[slot].reserve_exact(len);
            } else {
                for v in &mut vser[slot..slot + w] {
                    v.reserve_exact(len);
                }
            }
            for i in start..n {
                for &sl in &ins {
                    vals[sl] = vser[sl][i - out_from[val_owner[sl]]];
                }
                for &sl in &bins {
                    bits[sl] = bser[sl][i - out_from[bit_owner[sl]]];
                }
                if reads_bar {
                    let b = bar(i);
                    let cols = [b.open, b.high, b.low, b.close, b.volume];
                    eval::<true>(&mut nodes[k], vals, bits, states, &cols, &b.hlc());
                } else {
                    eval::<true>(&mut nodes[k], vals, bits, states, &nan_cols, &nan_hlc);
                }
                if i >= keep {
                    if cond {
                        bser[slot].push(bits[slot]);
                    } else {
                        for j in 0..w {
                            vser[slot + j].push(vals[slot + j]);
                        }
                    }
                }
            }
        }
    }

    #[inline]
    fn fired(&self) -> Fired {
        let mut f = Fired {
            len: 0,
            inline: [0; INLINE_FIRED],
            spill: Vec::new(),
            names: None,
        };
        // The first 64 triggers as a mask (no store per trigger, and no
        // work at all on a bar where none fired), then the others.
        let (head, tail) = self.triggers.split_at(self.triggers.len().min(64));
        let mut mask = 0u64;
        for (i, &slot) in head.iter().enumerate() {
            mask |= (self.bits[slot] as u64) << i;
        }
        let put = |f: &mut Fired, i: usize| {
            if f.len < INLINE_FIRED {
                f.inline[f.len] = i;
            } else {
                if f.len == INLINE_FIRED {
                    f.spill.extend_from_slice(&f.inline);
                }
                f.spill.push(i);
            }
            f.len += 1;
        };
        while mask != 0 {
            put(&mut f, mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
        for (i, &slot) in tail.iter().enumerate() {
            if self.bits[slot] {
                put(&mut f, 64 + i);
            }
        }
        if f.len > 0 {
            f.names = Some(Arc::clone(&self.names));
        }
        f
    }

    /// One pass over the nodes (the constants skipped): pushes (`COMMIT`)
    /// or peeks every state.
    ///
    /// One flat match per node (operators and the common indicator kinds
    /// matched together, the commit flag a constant), so a node costs one
    /// jump.
    #[inline]
    fn step<const COMMIT: bool>(&mut self, bar: &Bar) {
        let StreamEngine {
            nodes,
            consts,
            vals,
            bits,
            states,
            ..
        } = self;
        let cols = [bar.open, bar.high, bar.low, bar.close, bar.volume];
        let hlc = bar.hlc();
        // Lengths known to the compiler as `mask + 1` (see `eval`).
        let (vm, bm) = (vals.len().wrapping_sub(1), bits.len().wrapping_sub(1));
        let vals = &mut vals[..=vm];
        let bits = &mut bits[..=bm];
        for op in &mut nodes[*consts..] {
            eval::<COMMIT>(op, vals, bits, states, &cols, &hlc);
        }
    }
}

/// One node at one bar: reads its inputs from `vals`/`bits`, writes its
/// value into its slot, and (`COMMIT`) advances its state.
#[inline(always)]
fn eval<const COMMIT: bool>(
    op: &mut Op,
    vals: &mut [f64],
    bits: &mut [bool],
    st: &mut States,
    cols: &[f64; 5],
    hlc: &Hlc,
) {
    // `vals` and `bits` have power-of-two lengths, and every index is
    // below them: masking changes no index, and (the caller having sliced
    // to exactly `mask + 1`) lets the compiler drop the bounds checks.
    let (vm, bm) = (vals.len().wrapping_sub(1), bits.len().wrapping_sub(1));
    macro_rules! go {
        ($s:expr, $v:expr) => {
            if COMMIT { $s.push($v) } else { $s.peek($v) }
        };
    }
    match op {
        Op::Column { c, s } => vals[*s & vm] = cols[*c as usize],
        Op::Const { .. } => {}
        Op::Neg { a, s } => vals[*s & vm] = -vals[*a & vm],
        Op::Add { a, b, s } => vals[*s & vm] = vals[*a & vm] + vals[*b & vm],
        Op::Sub { a, b, s } => vals[*s & vm] = vals[*a & vm] - vals[*b & vm],
        Op::Mul { a, b, s } => vals[*s & vm] = vals[*a & vm] * vals[*b & vm],
        Op::Div { a, b, s } => vals[*s & vm] = vals[*a & vm] / vals[*b & vm],
        Op::Prev { a, s, n, k } => {
            let (n, q) = (*n, &mut st.prev[*k]);
            let x = vals[*a & vm];
            let v = if n == 0 {
                x
            } else if q.len() == n {
                q[0]
            } else {
                f64::NAN
            };
            vals[*s & vm] = v;
            if COMMIT && n > 0 {
                if q.len() == n {
                    q.pop_front();
                }
                q.push_back(x);
            }
        }
        Op::Sma { i, s, k } => vals[*s & vm] = go!(st.sma[*k], vals[*i & vm]),
        Op::Ema { i, s, k } => vals[*s & vm] = go!(st.ema[*k], vals[*i & vm]),
        Op::Rsi { i, s, k } => vals[*s & vm] = go!(st.rsi[*k], vals[*i & vm]),
        Op::VarRaw { i, s, k } => {
            let (x, v) = (vals[*i & vm], &mut st.var[*k]);
            vals[*s & vm] = if COMMIT { v.push_raw(x) } else { v.peek_raw(x) };
        }
        Op::Macd { i, s, k } => {
            let v = go!(st.macd[*k], vals[*i & vm]);
            vals[*s..*s + 3].copy_from_slice(&[v.macd, v.signal, v.hist]);
        }
        Op::Other { i, s, k } => {
            let x = if *i == NONE { f64::NAN } else { vals[*i & vm] };
            let ind = &mut st.other[*k];
            let w = ind.outputs();
            ind.step(COMMIT, x, hlc, &mut vals[*s..*s + w]);
        }
        Op::Bands { m, v, s, up, dn } => {
            let b = bands_of(vals[*m & vm], vals[*v & vm], *up, *dn);
            vals[*s..*s + 3].copy_from_slice(&[b.upper, b.middle, b.lower]);
        }
        Op::Std { v, s, k } => vals[*s & vm] = stddev_one(vals[*v & vm], *k),
        Op::VarFin { v, s } => {
            let x = vals[*v & vm];
            vals[*s & vm] = if x.is_finite() { x } else { f64::NAN };
        }
        Op::Gt { a, b, s } => bits[*s & bm] = vals[*a & vm] > vals[*b & vm],
        Op::Ge { a, b, s } => bits[*s & bm] = vals[*a & vm] >= vals[*b & vm],
        Op::Lt { a, b, s } => bits[*s & bm] = vals[*a & vm] < vals[*b & vm],
        Op::Le { a, b, s } => bits[*s & bm] = vals[*a & vm] <= vals[*b & vm],
        Op::CrossAbove { a, b, s, prev } => {
            let (x, y) = (vals[*a & vm], vals[*b & vm]);
            bits[*s & bm] = x > y && *prev;
            if COMMIT {
                *prev = x <= y;
            }
        }
        Op::CrossBelow { a, b, s, prev } => {
            let (x, y) = (vals[*a & vm], vals[*b & vm]);
            bits[*s & bm] = x < y && *prev;
            if COMMIT {
                *prev = x >= y;
            }
        }
        Op::And { a, b, s } => bits[*s & bm] = bits[*a & bm] & bits[*b & bm],
        Op::Or { a, b, s } => bits[*s & bm] = bits[*a & bm] | bits[*b & bm],
        Op::Not { a, s } => bits[*s & bm] = !bits[*a & bm],
        Op::Held { c, s, n, run } => {
            let r = if bits[*c & bm] { (*run + 1).min(*n) } else { 0 };
            bits[*s & bm] = r >= *n;
            if COMMIT {
                *run = r;
            }
        }
        Op::Within { c, s, n, age } => {
            let g = if bits[*c & bm] { 0 } else { (*age + 1).min(*n) };
            bits[*s & bm] = g < *n;
            if COMMIT {
                *age = g;
            }
        }
    }
}

/// How far back a fresh node must start to give exact outputs (and end
/// state) from a given bar on.
enum Lag {
    /// Stateless: from that bar.
    None,
    /// A state that depends only on the last `n` bars' inputs.
    Bars(usize),
    /// A chunked window sum of this period: from the chunk before.
    Chunks(usize),
    /// From the first bar.
    All,
}

fn lag(op: &Op, st: &States) -> Lag {
    match *op {
        Op::CrossAbove { .. } | Op::CrossBelow { .. } => Lag::Bars(1),
        Op::Held { n, .. } | Op::Within { n, .. } => Lag::Bars(n as usize),
        Op::Prev { n, .. } => Lag::Bars(n),
        Op::Sma { k, .. } => Lag::Chunks(st.sma[k].lookback() + 1),
        Op::VarRaw { k, .. } => Lag::Chunks(st.var[k].lookback() + 1),
        Op::Ema { .. } | Op::Rsi { .. } | Op::Macd { .. } | Op::Other { .. } => Lag::All,
        _ => Lag::None,
    }
}

/// Whether the node is a condition, and how many value slots it writes.
fn shape(op: &Op, st: &States) -> (bool, usize) {
    match *op {
        Op::Macd { .. } | Op::Bands { .. } => (false, 3),
        Op::Other { k, .. } => (false, st.other[k].outputs()),
        Op::Gt { .. }
        | Op::Ge { .. }
        | Op::Lt { .. }
        | Op::Le { .. }
        | Op::CrossAbove { .. }
        | Op::CrossBelow { .. }
        | Op::And { .. }
        | Op::Or { .. }
        | Op::Not { .. }
        | Op::Held { .. }
        | Op::Within { .. } => (true, 1),
        _ => (false, 1),
    }
}

/// The value slots and condition slots the node reads.
fn inputs(op: &Op, vals: &mut Vec<usize>, bits: &mut Vec<usize>) {
    vals.clear();
    bits.clear();
    match *op {
        Op::Column { .. } | Op::Const { .. } | Op::Other { i: NONE, .. } => {}
        Op::Neg { a, .. } | Op::Prev { a, .. } => vals.push(a),
        Op::Sma { i, .. }
        | Op::Ema { i, .. }
        | Op::Rsi { i, .. }
        | Op::VarRaw { i, .. }
        | Op::Macd { i, .. }
        | Op::Other { i, .. } => vals.push(i),
        Op::Std { v, .. } | Op::VarFin { v, .. } => vals.push(v),
        Op::Add { a, b, .. }
        | Op::Sub { a, b, .. }
        | Op::Mul { a, b, .. }
        | Op::Div { a, b, .. }
        | Op::Gt { a, b, .. }
        | Op::Ge { a, b, .. }
        | Op::Lt { a, b, .. }
        | Op::Le { a, b, .. }
        | Op::CrossAbove { a, b, .. }
        | Op::CrossBelow { a, b, .. } => vals.extend([a, b]),
        Op::Bands { m, v, .. } => vals.extend([m, v]),
        Op::And { a, b, .. } | Op::Or { a, b, .. } => bits.extend([a, b]),
        Op::Not { a: c, .. } | Op::Held { c, .. } | Op::Within { c, .. } => bits.push(c),
    }
}

fn save_op(op: &Op, st: &States, out: &mut Vec<u64>) {
    match *op {
        Op::Prev { k, .. } => {
            let q = &st.prev[k];
            out.push(q.len() as u64);
            out.extend(q.iter().map(|v| v.to_bits()));
        }
        Op::Sma { k, .. } => st.sma[k].save(out),
        Op::Ema { k, .. } => st.ema[k].save(out),
        Op::Rsi { k, .. } => st.rsi[k].save(out),
        Op::VarRaw { k, .. } => st.var[k].save(out),
        Op::Macd { k, .. } => st.macd[k].save(out),
        Op::Other { k, .. } => each_ind!(&st.other[k], s => s.save(out)),
        Op::CrossAbove { prev, .. } | Op::CrossBelow { prev, .. } => out.push(prev as u64),
        Op::Held { run, .. } => out.push(run),
        Op::Within { age, .. } => out.push(age),
        _ => {}
    }
}

fn load_op(op: &mut Op, st: &mut States, r: &mut StateReader<'_>) -> Result<()> {
    match op {
        Op::Prev { n, k, .. } => {
            let mut v = Vec::new();
            r.floats(&mut v, None, *n)?;
            let q = &mut st.prev[*k];
            q.clear();
            q.extend(v);
        }
        Op::Sma { k, .. } => st.sma[*k].load(r)?,
        Op::Ema { k, .. } => st.ema[*k].load(r)?,
        Op::Rsi { k, .. } => st.rsi[*k].load(r)?,
        Op::VarRaw { k, .. } => st.var[*k].load(r)?,
        Op::Macd { k, .. } => st.macd[*k].load(r)?,
        Op::Other { k, .. } => each_ind!(&mut st.other[*k], s => s.load(r)?),
        Op::CrossAbove { prev, .. } | Op::CrossBelow { prev, .. } => *prev = r.flag()?,
        Op::Held { n, run, .. } => *run = r.count(*n)?,
        Op::Within { n, age, .. } => *age = r.count(*n)?,
        _ => {}
    }
    Ok(())
}
