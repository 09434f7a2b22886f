//! Compiling a [`TriggerSet`] into a plan where every distinct indicator
//! and sub-expression is computed once, and running it.
//!
//! Compilation walks each trigger's tree bottom-up and gives every node a
//! key built from its operator, its parameters and the ids of its
//! (already deduplicated) children; a key seen before reuses the earlier
//! step. Structurally equal sub-expressions — `sma(close, 20)` written in
//! two triggers, or `macd(12,26,9).signal` and `.hist`, which share one
//! MACD computation — therefore become one step. Steps are stored in an
//! order where children come first, so running the plan is one pass.
//!
//! Running it computes each step's value: series (borrowed columns,
//! constants kept as scalars, computed vectors) or bit masks, in three
//! phases. First the series steps, in plan order. Then every comparison
//! and crossing in one pass over the bars, block by block of
//! 2048 bars, through the SIMD mask kernels (a constant side
//! uses the threshold form): each series they read comes from memory once
//! however many masks read it, and *lazy* steps — arithmetic, negation and
//! the STDDEV/BBANDS finishing steps whose only readers are comparisons —
//! are computed per block into small buffers and never stored whole
//! (fewer passes over memory, which is what long series pay for). The
//! masks are bit-identical to evaluating each step alone over whole
//! series. Last, `and`/`or`/`not` are word operations and
//! `held`/`within` O(words · log n) shift-and-combine passes. A value is
//! dropped once its last reader has run, so peak memory stays near the
//! inputs plus the series the comparisons read plus the outputs.
//!
//! [`Plan::evaluate_with`] runs the same plan but fetches every indicator
//! step from an [`IndicatorSource`] (e.g. the cache of
//! [`crate::engine::Engine`]), under its [`IndicatorKey`]: the indicator's
//! parameters and its whole input sub-expression, so that equal keys mean
//! equal computations on the same bars.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::TriggerSet;
use super::ast::{
    ArithOp, BandsField, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
};
use super::bars::Bars;
use super::error::{TriggerError, TriggerErrorKind};
use super::masks::{held, within};
use crate::bitmask::words_for;
use crate::error::{Error, Result};
use crate::kernels::cross;
use crate::{Backend, BitMask, CmpOp, Rhs};

type NodeId = usize;

/// An `f64` parameter compared and hashed by its bits, so that structurally
/// equal steps (and only those: `0.0` and `-0.0` differ) share a node.
#[derive(Clone, Copy, Debug)]
struct Num(f64);

impl PartialEq for Num {
    fn eq(&self, other: &Num) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Num {}
impl std::hash::Hash for Num {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.to_bits().hash(h);
    }
}

/// One output of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Out {
    node: NodeId,
    index: u8,
}

/// An indicator's parameters (without its input and output choice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Spec {
    Sma(usize),
    Ema(usize),
    Wma(usize),
    Rsi(usize),
    Max(usize),
    Min(usize),
    Var(usize),
    Stddev(usize, Num),
    Macd(usize, usize, usize),
    Bbands(usize, Num, Num),
    Stoch(usize, usize, usize),
    Atr(usize),
    Trange,
    /// The population rolling variance as STDDEV and BBANDS use it (no
    /// pass turning non-finite values into NaN): the step they share.
    RawVar(usize),
}

/// One computation of the plan; a step is its own deduplication key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Step {
    Column(Column),
    Const(Num),
    Neg(Out),
    Arith(ArithOp, Out, Out),
    Prev(Out, usize),
    Indicator(Spec, Option<Out>),
    Compare(CmpOp, Out, Out),
    Cross(CrossDir, Out, Out),
    And(NodeId, NodeId),
    Or(NodeId, NodeId),
    Not(NodeId),
    Held(NodeId, usize),
    Within(NodeId, usize),
    /// STDDEV finished from a shared [`Spec::RawVar`] step (the period is
    /// kept for the key and for errors).
    StddevOf(Out, Num, usize),
    /// BBANDS (upper, middle, lower) finished from shared SMA and
    /// [`Spec::RawVar`] steps of one input: mean, variance, up, down,
    /// period.
    BandsOf(Out, Out, Num, Num, usize),
}

/// A compiled trigger set; see the module docs.
#[derive(Clone, Debug)]
pub struct Plan {
    steps: Vec<Step>,
    triggers: Vec<PlannedTrigger>,
    series: Vec<PlannedSeries>,
    /// The [`IndicatorKey`] of each indicator step, built on the first
    /// [`Plan::evaluate_with`] (plain evaluation never needs them).
    keys: OnceLock<Box<[Option<IndicatorKey>]>>,
}

/// The canonical identity of one indicator computation, independent of
/// any plan: the indicator's kind and parameters and its whole input
/// sub-expression (e.g. `rsi(ema(close, 5), 14)`, all of it), flattened in
/// post-order. Two keys are equal exactly when the expressions are
/// structurally equal (real parameters compared by their bits, so `0.0`
/// and `-0.0` differ), which is the plan's own deduplication rule; so
/// equal keys computed over the same bars on the same backend give
/// bit-identical outputs. The output field (`.signal`, `.upper`, …) is not
/// part of the key: a key stands for all outputs of the computation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IndicatorKey(Arc<[u64]>);

impl IndicatorKey {
    /// The key of the indicator at the root of `series`, and the index of
    /// the output `series` names (0 for single-output indicators; MACD:
    /// macd, signal, hist; BBANDS: upper, middle, lower; STOCH: k, d).
    /// `None` if the root is not an indicator call.
    pub fn of(series: &Series) -> Option<(IndicatorKey, usize)> {
        let Series::Indicator(ind) = series else {
            return None;
        };
        let mut tokens = Vec::with_capacity(8);
        let index = encode_indicator(ind, &mut tokens);
        Some((IndicatorKey(tokens.into()), usize::from(index)))
    }

    /// The number of 64-bit words in the key (its size is 8 × this).
    pub fn words(&self) -> usize {
        self.0.len()
    }
}

// Key tokens: a tag in the top byte; post-order with a fixed arity per tag,
// so a token sequence has exactly one parse.
const TAG_COLUMN: u64 = 1 << 56;
const TAG_CONST: u64 = 2 << 56;
const TAG_NEG: u64 = 3 << 56;
const TAG_ARITH: u64 = 4 << 56;
const TAG_PREV: u64 = 5 << 56;
const TAG_INDICATOR: u64 = 6 << 56;
const TAG_PICK: u64 = 7 << 56;

/// Appends the tokens of an indicator's kind and parameters (after those
/// of its input, if any).
fn encode_spec(spec: Spec, has_input: bool, out: &mut Vec<u64>) {
    let tag = |kind: u64| TAG_INDICATOR | (u64::from(has_input) << 8) | kind;
    let p = |v: usize| v as u64;
    match spec {
        Spec::Sma(a) => out.extend([tag(0), p(a)]),
        Spec::Ema(a) => out.extend([tag(1), p(a)]),
        Spec::Wma(a) => out.extend([tag(2), p(a)]),
        Spec::Rsi(a) => out.extend([tag(3), p(a)]),
        Spec::Max(a) => out.extend([tag(4), p(a)]),
        Spec::Min(a) => out.extend([tag(5), p(a)]),
        Spec::Var(a) => out.extend([tag(6), p(a)]),
        Spec::Stddev(a, d) => out.extend([tag(7), p(a), d.0.to_bits()]),
        Spec::Macd(a, b, c) => out.extend([tag(8), p(a), p(b), p(c)]),
        Spec::Bbands(a, u, d) => out.extend([tag(9), p(a), u.0.to_bits(), d.0.to_bits()]),
        Spec::Stoch(a, b, c) => out.extend([tag(10), p(a), p(b), p(c)]),
        Spec::Atr(a) => out.extend([tag(11), p(a)]),
        Spec::Trange => out.push(tag(12)),
        Spec::RawVar(a) => out.extend([tag(13), p(a)]),
    }
}

/// Appends the tokens of `ind` (input first, no output choice) and returns
/// the output it names.
fn encode_indicator(ind: &Indicator, out: &mut Vec<u64>) -> u8 {
    if let Some(input) = ind.input() {
        encode_series(input, out);
    }
    let (spec, index) = spec_of(ind);
    encode_spec(spec, ind.input().is_some(), out);
    index
}

/// Appends the tokens of a series operand; the same sequence as
/// [`Plan::encode_out`] gives for its compiled step.
fn encode_series(s: &Series, out: &mut Vec<u64>) {
    match s {
        Series::Column(c) => out.push(TAG_COLUMN | *c as u64),
        Series::Const(v) => out.extend([TAG_CONST, v.to_bits()]),
        Series::Neg(a) => {
            encode_series(a, out);
            out.push(TAG_NEG);
        }
        Series::Arith(op, a, b) => {
            encode_series(a, out);
            encode_series(b, out);
            out.push(TAG_ARITH | *op as u64);
        }
        Series::Prev(a, n) => {
            encode_series(a, out);
            out.extend([TAG_PREV, *n as u64]);
        }
        Series::Indicator(ind) => {
            let index = encode_indicator(ind, out);
            out.push(TAG_PICK | u64::from(index));
        }
    }
}

/// The outputs of one indicator computation, one buffer per output (MACD
/// and BBANDS have three, STOCH two, the others one), each the bars'
/// length, shared.
pub type IndicatorOutputs = Arc<[Vec<f64>]>;

/// Where [`Plan::evaluate_with`] gets each indicator's outputs: a cache
/// that answers from memory or runs `compute` (and may keep its result).
pub trait IndicatorSource {
    /// The outputs of the indicator `key` over the bars being evaluated:
    /// a stored value, or the result of `compute` (which runs the
    /// indicator on this evaluation's inputs; its errors should be passed
    /// on). A source must return exactly what `compute` would (a value
    /// computed earlier for the same key over the same bars on the same
    /// backend), or the evaluation's results are not
    /// [`Plan::evaluate`]'s.
    fn indicator(
        &self,
        key: &IndicatorKey,
        compute: &mut dyn FnMut() -> Result<IndicatorOutputs>,
    ) -> Result<IndicatorOutputs>;
}

/// The expression a planned trigger or series was compiled from, kept for
/// error messages: printing it costs more than compiling it, so its text is
/// only made when an error needs it.
#[derive(Clone, Debug)]
enum Source {
    Cond(Cond),
    Series(Series),
    /// A bare indicator of [`Plan::indicator_with`] (it reports missing
    /// columns before running).
    None,
}

impl Source {
    fn text(&self) -> String {
        match self {
            Source::Cond(c) => c.to_string(),
            Source::Series(s) => s.to_string(),
            Source::None => String::new(),
        }
    }
}

#[derive(Clone, Debug)]
struct PlannedSeries {
    name: String,
    source: Source,
    out: Out,
    columns: Vec<Column>,
}

#[derive(Clone, Debug)]
struct PlannedTrigger {
    name: String,
    source: Source,
    node: NodeId,
    columns: Vec<Column>,
}

/// A multiply-rotate hasher for the compiler's step table (FxHash's
/// mixing): the keys are small trusted enums, so SipHash's flooding
/// resistance buys nothing and costs a third of the compile time.
#[derive(Default)]
struct StepHasher(u64);

impl std::hash::Hasher for StepHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn write_isize(&mut self, v: isize) {
        self.write_u64(v as u64);
    }
}

type StepMap = HashMap<Step, NodeId, std::hash::BuildHasherDefault<StepHasher>>;

struct Compiler {
    steps: Vec<Step>,
    keys: StepMap,
    /// Split STDDEV and BBANDS into shared SMA / variance steps and a
    /// finishing step (see [`Compiler::split_bands`]).
    split: bool,
}

impl Compiler {
    /// The id of `step`, adding it if no equal step exists yet.
    fn add(&mut self, step: Step) -> NodeId {
        if let Some(&id) = self.keys.get(&step) {
            return id;
        }
        let id = self.steps.len();
        self.steps.push(step);
        self.keys.insert(step, id);
        id
    }

    fn series(&mut self, s: &Series) -> Out {
        let one = |node| Out { node, index: 0 };
        match s {
            Series::Column(c) => one(self.add(Step::Column(*c))),
            Series::Const(v) => one(self.add(Step::Const(Num(*v)))),
            Series::Neg(a) => {
                let a = self.series(a);
                one(self.add(Step::Neg(a)))
            }
            Series::Arith(op, a, b) => {
                let (a, b) = (self.series(a), self.series(b));
                one(self.add(Step::Arith(*op, a, b)))
            }
            Series::Prev(a, n) => {
                let a = self.series(a);
                one(self.add(Step::Prev(a, *n)))
            }
            Series::Indicator(ind) => {
                let input = ind.input().map(|i| self.series(i));
                let (spec, index) = spec_of(ind);
                if let Some(out) = self.split_bands(spec, input, index) {
                    return out;
                }
                Out {
                    node: self.add(Step::Indicator(spec, input)),
                    index,
                }
            }
        }
    }

    /// STDDEV and BBANDS with valid parameters as finishing steps over
    /// shared steps: `stddev(20)`, `bbands(20, 2, 2)` and `var`-free
    /// `sma(20)` of one input then compute one rolling variance and one
    /// SMA between them. The finishing kernels are the ones `stddev_into`
    /// and `bbands_into` run, on the same values, so the outputs are
    /// bit-identical. Invalid parameters keep the whole indicator step,
    /// which reports them exactly as the indicator function does.
    fn split_bands(&mut self, spec: Spec, input: Option<Out>, index: u8) -> Option<Out> {
        if !self.split {
            return None;
        }
        let one = |node| Out { node, index: 0 };
        match spec {
            Spec::Stddev(p, d) if crate::stddev_lookback(p).is_ok() && d.0.is_finite() => {
                let var = one(self.add(Step::Indicator(Spec::RawVar(p), input)));
                Some(one(self.add(Step::StddevOf(var, d, p))))
            }
            Spec::Bbands(p, u, d)
                if crate::bbands_lookback(p).is_ok() && u.0.is_finite() && d.0.is_finite() =>
            {
                let mean = one(self.add(Step::Indicator(Spec::Sma(p), input)));
                let var = one(self.add(Step::Indicator(Spec::RawVar(p), input)));
                Some(Out {
                    node: self.add(Step::BandsOf(mean, var, u, d, p)),
                    index,
                })
            }
            _ => None,
        }
    }

    fn cond(&mut self, c: &Cond) -> NodeId {
        match c {
            Cond::Compare(op, a, b) => {
                let (a, b) = (self.series(a), self.series(b));
                self.add(Step::Compare(*op, a, b))
            }
            Cond::Cross(dir, a, b) => {
                let (a, b) = (self.series(a), self.series(b));
                self.add(Step::Cross(*dir, a, b))
            }
            Cond::And(a, b) => {
                let (a, b) = (self.cond(a), self.cond(b));
                self.add(Step::And(a, b))
            }
            Cond::Or(a, b) => {
                let (a, b) = (self.cond(a), self.cond(b));
                self.add(Step::Or(a, b))
            }
            Cond::Not(a) => {
                let a = self.cond(a);
                self.add(Step::Not(a))
            }
            Cond::Held(a, n) => {
                let a = self.cond(a);
                self.add(Step::Held(a, *n))
            }
            Cond::Within(a, n) => {
                let a = self.cond(a);
                self.add(Step::Within(a, *n))
            }
        }
    }
}

/// The parameters of an indicator node and which of its outputs is meant.
fn spec_of(ind: &Indicator) -> (Spec, u8) {
    match *ind {
        Indicator::Sma { period, .. } => (Spec::Sma(period), 0),
        Indicator::Ema { period, .. } => (Spec::Ema(period), 0),
        Indicator::Wma { period, .. } => (Spec::Wma(period), 0),
        Indicator::Rsi { period, .. } => (Spec::Rsi(period), 0),
        Indicator::Max { period, .. } => (Spec::Max(period), 0),
        Indicator::Min { period, .. } => (Spec::Min(period), 0),
        Indicator::Var { period, .. } => (Spec::Var(period), 0),
        Indicator::Stddev { period, nbdev, .. } => (Spec::Stddev(period, Num(nbdev)), 0),
        Indicator::Macd {
            fast,
            slow,
            signal,
            field,
            ..
        } => (
            Spec::Macd(fast, slow, signal),
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
            Spec::Bbands(period, Num(nbdev_up), Num(nbdev_dn)),
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
            Spec::Stoch(fastk, slowk, slowd),
            match field {
                StochField::K => 0,
                StochField::D => 1,
            },
        ),
        Indicator::Atr { period } => (Spec::Atr(period), 0),
        Indicator::Trange => (Spec::Trange, 0),
    }
}

/// What a trigger set's evaluation produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    names: Vec<String>,
    masks: Vec<BitMask>,
    series_names: Vec<String>,
    series: Vec<Vec<f64>>,
    /// How many indicator computations ran (each distinct indicator once).
    pub indicators_computed: usize,
    /// How many plan steps ran.
    pub steps_run: usize,
}

/// A bar where a trigger fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    /// The bar index.
    pub bar: usize,
    /// The trigger's position in its set.
    pub trigger: usize,
}

impl Evaluation {
    /// The triggers' names, in set order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The mask of every trigger, in set order.
    pub fn masks(&self) -> &[BitMask] {
        &self.masks
    }

    /// The mask of the trigger called `name`.
    pub fn mask(&self, name: &str) -> Option<&BitMask> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.masks[i])
    }

    /// Bars where trigger number `trigger` fired, ascending.
    pub fn events(&self, trigger: usize) -> Vec<Event> {
        self.masks
            .get(trigger)
            .map(|m| m.iter_ones().map(|bar| Event { bar, trigger }).collect())
            .unwrap_or_default()
    }

    /// The values of the series compiled with [`Plan::with_series`], in
    /// order, with their names.
    pub fn series(&self) -> impl Iterator<Item = (&str, &[f64])> {
        self.series_names
            .iter()
            .map(String::as_str)
            .zip(self.series.iter().map(Vec::as_slice))
    }

    /// The name of the trigger an event belongs to.
    pub fn name_of(&self, event: Event) -> &str {
        &self.names[event.trigger]
    }

    /// Every trigger's events, by bar and then by set order.
    pub fn merged_events(&self) -> Vec<Event> {
        let mut all: Vec<Event> = (0..self.masks.len()).flat_map(|t| self.events(t)).collect();
        all.sort_unstable();
        all
    }
}

/// Reusable series buffers for [`Plan::evaluate_in`].
///
/// Evaluating a plan needs a few series-long buffers at a time (each
/// indicator output, each arithmetic result). Taking them from fresh
/// allocations costs a page fault per 4 KiB touched, which for long series
/// costs as much as the kernels themselves; a `Scratch` hands back the
/// buffers an evaluation has finished with, within one evaluation and
/// across evaluations (e.g. scanning many symbols with one set). It holds
/// at most as many buffers as an evaluation had live at once.
#[derive(Debug, Default)]
pub struct Scratch {
    free: Vec<Vec<f64>>,
    /// Block-long buffers of the lazy steps (see [`block_pass`]).
    blocks: Vec<Vec<f64>>,
}

impl Scratch {
    /// An empty scratch space.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held in idle buffers.
    pub fn bytes(&self) -> usize {
        self.free
            .iter()
            .chain(&self.blocks)
            .map(|v| v.capacity() * 8)
            .sum()
    }

    /// Releases every idle buffer.
    pub fn clear(&mut self) {
        self.free.clear();
        self.blocks.clear();
    }

    /// `count` block buffers of length `len` (stale contents), taken out
    /// of the scratch; [`block_pass`] puts them back.
    fn block_buffers(&mut self, count: usize, len: usize) -> Vec<Vec<f64>> {
        let mut bufs = std::mem::take(&mut self.blocks);
        bufs.resize_with(count, Vec::new);
        for b in &mut bufs {
            b.resize(len, 0.0);
        }
        bufs
    }

    /// A buffer of length `n` (stale contents: callers overwrite all of it).
    fn take(&mut self, n: usize) -> Vec<f64> {
        match self.free.pop() {
            Some(mut v) => {
                v.resize(n, 0.0);
                v
            }
            None => vec![0.0; n],
        }
    }

    /// Returns the buffers of a value that is no longer needed.
    fn recycle(&mut self, value: Value<'_>) {
        match value {
            Value::Series(v) => self.free.push(v),
            Value::Multi(vs) => self
                .free
                .extend(vs.into_iter().filter(|v| v.capacity() > 0)),
            Value::Const(_) | Value::Borrowed(_) | Value::Mask(_) | Value::Shared(_) => {}
        }
    }
}

/// A computed value.
enum Value<'a> {
    Series(Vec<f64>),
    Multi(Vec<Vec<f64>>),
    Const(f64),
    Borrowed(&'a [f64]),
    Mask(BitMask),
    /// An indicator's outputs from an [`IndicatorSource`].
    Shared(IndicatorOutputs),
}

/// A series operand: a slice or a constant.
#[derive(Clone, Copy)]
enum Operand<'v> {
    Slice(&'v [f64]),
    Const(f64),
}

impl Plan {
    /// Compiles `set`. An empty set is an error.
    pub fn compile(set: &TriggerSet) -> core::result::Result<Plan, TriggerError> {
        if set.is_empty() {
            return Err(TriggerError::new("", 0..0, TriggerErrorKind::EmptySet));
        }
        Ok(Plan::with_series(set, &[]))
    }

    /// Compiles the triggers of `set` (possibly none) together with named
    /// series expressions, sharing every common sub-expression; the
    /// evaluation then also returns each series' values (see
    /// [`Evaluation::series`]).
    pub fn with_series(set: &TriggerSet, series: &[(String, Series)]) -> Plan {
        Plan::build(set, series, true)
    }

    fn build(set: &TriggerSet, series: &[(String, Series)], split: bool) -> Plan {
        let mut c = Compiler {
            steps: Vec::new(),
            keys: StepMap::with_capacity_and_hasher(64, Default::default()),
            split,
        };
        let triggers = set
            .triggers()
            .iter()
            .map(|t| PlannedTrigger {
                name: t.name.clone(),
                source: Source::Cond(t.cond.clone()),
                node: c.cond(&t.cond),
                columns: t.cond.columns(),
            })
            .collect();
        let series = series
            .iter()
            .map(|(name, s)| PlannedSeries {
                name: name.clone(),
                source: Source::Series(s.clone()),
                out: c.series(s),
                columns: s.columns(),
            })
            .collect();
        Plan {
            steps: c.steps,
            triggers,
            series,
            keys: OnceLock::new(),
        }
    }

    /// The [`IndicatorKey`] of every indicator step (`None` for others).
    fn keys(&self) -> &[Option<IndicatorKey>] {
        self.keys.get_or_init(|| {
            self.steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    is_indicator(s).then(|| {
                        let mut tokens = Vec::with_capacity(8);
                        self.encode_node(i, &mut tokens);
                        IndicatorKey(tokens.into())
                    })
                })
                .collect()
        })
    }

    /// Appends the tokens of step `node`'s whole expression (for an
    /// indicator: without an output choice), as [`encode_series`] does
    /// for the tree it was compiled from.
    fn encode_node(&self, node: NodeId, out: &mut Vec<u64>) {
        match self.steps[node] {
            Step::Column(c) => out.push(TAG_COLUMN | c as u64),
            Step::Const(v) => out.extend([TAG_CONST, v.0.to_bits()]),
            Step::Neg(a) => {
                self.encode_out(a, out);
                out.push(TAG_NEG);
            }
            Step::Arith(op, a, b) => {
                self.encode_out(a, out);
                self.encode_out(b, out);
                out.push(TAG_ARITH | op as u64);
            }
            Step::Prev(a, n) => {
                self.encode_out(a, out);
                out.extend([TAG_PREV, n as u64]);
            }
            Step::Indicator(spec, input) => {
                if let Some(a) = input {
                    self.encode_out(a, out);
                }
                encode_spec(spec, input.is_some(), out);
            }
            // A finishing step encodes as the indicator it finishes, over
            // the input of its variance step.
            Step::StddevOf(var, d, p) => self.encode_split(var, Spec::Stddev(p, d), out),
            Step::BandsOf(_, var, u, d, p) => self.encode_split(var, Spec::Bbands(p, u, d), out),
            // Conditions never feed an indicator.
            Step::Compare(..)
            | Step::Cross(..)
            | Step::And(..)
            | Step::Or(..)
            | Step::Not(_)
            | Step::Held(..)
            | Step::Within(..) => unreachable!("a series operand is never a condition"),
        }
    }

    /// The tokens of the indicator `spec` over the input of the shared
    /// step `var` (see [`Compiler::split_bands`]).
    fn encode_split(&self, var: Out, spec: Spec, out: &mut Vec<u64>) {
        let Step::Indicator(_, input) = self.steps[var.node] else {
            unreachable!("a finishing step reads an indicator step")
        };
        if let Some(a) = input {
            self.encode_out(a, out);
        }
        encode_spec(spec, input.is_some(), out);
    }

    /// Appends the tokens of a series operand.
    fn encode_out(&self, o: Out, out: &mut Vec<u64>) {
        self.encode_node(o.node, out);
        if is_indicator(&self.steps[o.node]) {
            out.push(TAG_PICK | u64::from(o.index));
        }
    }

    /// Number of distinct indicator computations the plan runs (a STDDEV
    /// or BBANDS finished from a shared variance counts as one more).
    pub fn indicator_count(&self) -> usize {
        self.steps.iter().filter(|s| is_indicator(s)).count()
    }

    /// Number of distinct steps (columns, constants, arithmetic,
    /// indicators, masks).
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// The columns any trigger reads, sorted.
    pub fn columns(&self) -> Vec<Column> {
        let mut all: Vec<Column> = self
            .triggers
            .iter()
            .flat_map(|t| t.columns.clone())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Runs the plan over `bars`. Errors: a column a trigger (or series)
    /// reads is missing ([`Error::MissingColumn`], naming it and its
    /// expression); columns of different lengths; an indicator parameter
    /// out of range (possible for trees built with the builder).
    pub fn evaluate(&self, bars: &Bars<'_>) -> Result<Evaluation> {
        self.evaluate_in(bars, &mut Scratch::new())
    }

    /// [`Plan::evaluate`] taking its series buffers from `scratch` and
    /// leaving them there afterwards, so evaluating many bar sets (or the
    /// same one again) does not pay for fresh memory each time. Results are
    /// identical to [`Plan::evaluate`].
    pub fn evaluate_in(&self, bars: &Bars<'_>, scratch: &mut Scratch) -> Result<Evaluation> {
        self.evaluate_impl(bars, scratch, None)
    }

    /// [`Plan::evaluate_in`] with every indicator step's outputs asked of
    /// `source` under its [`IndicatorKey`] (each distinct key once per
    /// evaluation), e.g. a cache shared by many evaluations. Given a
    /// source that honours its contract, the masks and series are
    /// bit-identical to [`Plan::evaluate`]'s;
    /// [`Evaluation::indicators_computed`] counts only the computations
    /// the source asked for. The keys are built on the first call and
    /// kept in the plan.
    pub fn evaluate_with(
        &self,
        bars: &Bars<'_>,
        scratch: &mut Scratch,
        source: &dyn IndicatorSource,
    ) -> Result<Evaluation> {
        self.evaluate_impl(bars, scratch, Some(source))
    }

    /// Computes the indicator at the root of `series` (e.g.
    /// `rsi(ema(close, 5), 14)`, or `macd(12, 26, 9).signal`) over `bars`,
    /// asking `source` for it and for every indicator in its input, as
    /// [`Plan::evaluate_with`] does. Returns all of the root's outputs,
    /// shared and not copied, and the index of the one `series` names (see
    /// [`IndicatorKey::of`]); `Ok(None)` if the root is not an indicator.
    /// Errors: those of [`Plan::evaluate`] (a missing column is reported
    /// with `series`' text as both name and expression).
    pub fn indicator_with(
        series: &Series,
        bars: &Bars<'_>,
        scratch: &mut Scratch,
        source: &dyn IndicatorSource,
    ) -> Result<Option<(IndicatorOutputs, usize)>> {
        if !matches!(series, Series::Indicator(_)) {
            return Ok(None);
        }
        // Compiled directly (no text unless a column is missing: printing
        // the expression costs as much as a short computation).
        let columns = series.columns();
        if let Some(&c) = columns.iter().find(|&&c| bars.column(c).is_none()) {
            let text = series.to_string();
            return Err(Error::MissingColumn {
                column: c.name(),
                trigger: text.clone(),
                span: column_span(&text, c),
                expression: text,
            });
        }
        let mut c = Compiler {
            steps: Vec::new(),
            keys: StepMap::default(),
            // Unsplit, so the root stays one indicator step with its key.
            split: false,
        };
        let out = c.series(series);
        let plan = Plan {
            steps: c.steps,
            triggers: Vec::new(),
            series: vec![PlannedSeries {
                name: String::new(),
                source: Source::None,
                out,
                columns,
            }],
            keys: OnceLock::new(),
        };
        let (values, _) = plan.run(bars, scratch, Some(source))?;
        let mut result = None;
        for (i, v) in values.into_iter().enumerate() {
            match v {
                Some(Value::Shared(all)) if i == out.node => {
                    result = Some((all, usize::from(out.index)));
                }
                Some(v) => scratch.recycle(v),
                None => {}
            }
        }
        debug_assert!(
            result.is_some(),
            "an indicator step with a source is shared"
        );
        Ok(result)
    }

    /// The plan's series outputs (as [`Plan::evaluate_in`] computes them,
    /// bit for bit) copied into `outs[j]` for output `j`, with nothing
    /// allocated once `scratch` holds enough buffers: for scans that keep
    /// their own output buffers, e.g. many symbols each into its block of
    /// a caller's memory. Trigger masks, if the plan has triggers, are
    /// computed and dropped (build the plan with
    /// [`Plan::with_series`]`(&TriggerSet::new(), ..)` to have none).
    ///
    /// Errors: as [`Plan::evaluate`]; `outs` not one buffer per series
    /// output, or a buffer not of the bars' length
    /// ([`Error::LengthMismatch`], naming `"outs"`).
    pub fn evaluate_series_into(
        &self,
        bars: &Bars<'_>,
        scratch: &mut Scratch,
        outs: &mut [&mut [f64]],
    ) -> Result<()> {
        let n = bars.len()?;
        crate::error::check_len("outs", self.series.len(), outs.len())?;
        for o in outs.iter() {
            crate::error::check_len("outs", n, o.len())?;
        }
        let (values, _) = self.run(bars, scratch, None)?;
        for (s, o) in self.series.iter().zip(outs.iter_mut()) {
            match operand_at(&values, s.out) {
                Operand::Slice(v) => o.copy_from_slice(v),
                Operand::Const(c) => o.fill(c),
            }
        }
        values
            .into_iter()
            .flatten()
            .for_each(|v| scratch.recycle(v));
        Ok(())
    }

    fn evaluate_impl(
        &self,
        bars: &Bars<'_>,
        scratch: &mut Scratch,
        source: Option<&dyn IndicatorSource>,
    ) -> Result<Evaluation> {
        let (mut values, indicators_computed) = self.run(bars, scratch, source)?;
        let n = bars.len()?;
        // Each mask is moved out, or copied if a later trigger is the same.
        let masks = (0..self.triggers.len())
            .map(|k| {
                let node = self.triggers[k].node;
                let again = self.triggers[k + 1..].iter().any(|t| t.node == node);
                match (again, &mut values[node]) {
                    (true, Some(Value::Mask(m))) => m.clone(),
                    (false, v @ Some(Value::Mask(_))) => match v.take() {
                        Some(Value::Mask(m)) => m,
                        _ => unreachable!("matched a mask"),
                    },
                    _ => unreachable!("a trigger's node is a condition"),
                }
            })
            .collect();
        let series = self
            .series
            .iter()
            .map(|s| match operand_at(&values, s.out) {
                Operand::Slice(v) => v.to_vec(),
                Operand::Const(c) => vec![c; n],
            })
            .collect();
        values
            .into_iter()
            .flatten()
            .for_each(|v| scratch.recycle(v));
        Ok(Evaluation {
            names: self.triggers.iter().map(|t| t.name.clone()).collect(),
            masks,
            series_names: self.series.iter().map(|s| s.name.clone()).collect(),
            series,
            indicators_computed,
            steps_run: self.steps.len(),
        })
    }

    /// Runs every step; returns the values still needed (the outputs) and
    /// how many indicators were computed.
    fn run<'a>(
        &self,
        bars: &Bars<'a>,
        scratch: &mut Scratch,
        source: Option<&dyn IndicatorSource>,
    ) -> Result<(Vec<Option<Value<'a>>>, usize)> {
        let n = bars.len()?;
        let needs = self
            .triggers
            .iter()
            .map(|t| (&t.name, &t.source, &t.columns))
            .chain(self.series.iter().map(|s| (&s.name, &s.source, &s.columns)));
        for (name, source, columns) in needs {
            if let Some(&c) = columns.iter().find(|&&c| bars.column(c).is_none()) {
                let text = &source.text();
                return Err(Error::MissingColumn {
                    column: c.name(),
                    trigger: name.clone(),
                    expression: text.clone(),
                    span: column_span(text, c),
                });
            }
        }
        let keys = match source {
            Some(_) => self.keys(),
            None => &[],
        };
        let outputs: Vec<NodeId> = self
            .triggers
            .iter()
            .map(|t| t.node)
            .chain(self.series.iter().map(|s| s.out.node))
            .collect();
        // With a source every indicator step goes through it, so nothing
        // is left unmaterialized.
        let lazy = if source.is_none() {
            self.lazy_steps(&outputs)
        } else {
            vec![false; self.steps.len()]
        };
        let sched = Schedule::new(&self.steps, &lazy, &outputs);
        let mut values: Vec<Option<Value<'_>>> = (0..self.steps.len()).map(|_| None).collect();
        let mut indicators_computed = 0;
        let fail = |values: Vec<Option<Value<'_>>>, scratch: &mut Scratch, e: Error| {
            values
                .into_iter()
                .flatten()
                .for_each(|v| scratch.recycle(v));
            Err(e)
        };
        // Series first, then every comparison and crossing in one pass
        // over the bars (block by block, so each input they read comes
        // from memory once and the lazy steps never do), then the mask
        // operations.
        for &i in &sched.series {
            let shared = match (source, keys.get(i)) {
                (Some(source), Some(Some(key))) => Some((source, key)),
                _ => None,
            };
            let step = &self.steps[i];
            match self.run_step(
                step,
                &values,
                bars,
                n,
                scratch,
                &mut indicators_computed,
                shared,
            ) {
                Ok(v) => values[i] = Some(v),
                Err(e) => return fail(values, scratch, e),
            }
            sched.release(i, step, &mut values, scratch);
        }
        if !sched.block.is_empty() {
            let masks = match block_pass(&self.steps, &sched.block, &lazy, &values, n, scratch) {
                Ok(m) => m,
                Err(e) => return fail(values, scratch, e),
            };
            indicators_computed += sched
                .block
                .iter()
                .filter(|&&i| lazy[i] && is_indicator(&self.steps[i]))
                .count();
            for (i, m) in masks {
                values[i] = Some(Value::Mask(m));
            }
            for &i in &sched.block {
                sched.release(sched.block_pos, &self.steps[i], &mut values, scratch);
            }
        }
        for &i in &sched.masks {
            let step = &self.steps[i];
            match self.run_step(
                step,
                &values,
                bars,
                n,
                scratch,
                &mut indicators_computed,
                None,
            ) {
                Ok(v) => values[i] = Some(v),
                Err(e) => return fail(values, scratch, e),
            }
            sched.release(sched.block_pos + 1 + i, step, &mut values, scratch);
        }
        Ok((values, indicators_computed))
    }

    /// Which steps are *lazy*: series computed block by block inside
    /// [`block_pass`] and never stored whole. A step is lazy when it is
    /// elementwise (negation, arithmetic with a series operand, a
    /// STDDEV or BBANDS finishing step), is no output, and every step
    /// reading it is a comparison, a crossing or another lazy step.
    fn lazy_steps(&self, outputs: &[NodeId]) -> Vec<bool> {
        let len = self.steps.len();
        // Whether a step's value is a constant (no bars involved).
        let mut constant = vec![false; len];
        for (i, s) in self.steps.iter().enumerate() {
            constant[i] = match *s {
                Step::Const(_) => true,
                Step::Neg(a) => constant[a.node],
                Step::Arith(_, a, b) => constant[a.node] && constant[b.node],
                _ => false,
            };
        }
        let mut block_readers_only = vec![true; len];
        let mut read = vec![false; len];
        for &o in outputs {
            block_readers_only[o] = false;
        }
        let mut lazy = vec![false; len];
        // Readers come after what they read, so walking backwards decides
        // every reader before the steps it reads.
        for i in (0..len).rev() {
            let s = &self.steps[i];
            let elementwise = match s {
                Step::Neg(_) | Step::Arith(..) => !constant[i],
                Step::StddevOf(..) | Step::BandsOf(..) => true,
                _ => false,
            };
            lazy[i] = elementwise && read[i] && block_readers_only[i];
            let in_block = lazy[i] || matches!(s, Step::Compare(..) | Step::Cross(..));
            for child in children(s) {
                read[child] = true;
                if !in_block {
                    block_readers_only[child] = false;
                }
            }
        }
        lazy
    }

    // The step, its inputs and where its outputs go: no natural grouping.
    #[allow(clippy::too_many_arguments)]
    fn run_step<'a>(
        &self,
        step: &Step,
        values: &[Option<Value<'a>>],
        bars: &Bars<'a>,
        n: usize,
        scratch: &mut Scratch,
        indicators_computed: &mut usize,
        shared: Option<(&dyn IndicatorSource, &IndicatorKey)>,
    ) -> Result<Value<'a>> {
        let operand = |o: Out| operand_at(values, o);
        let slice = |o: Out| -> &[f64] {
            match operand(o) {
                Operand::Slice(s) => s,
                Operand::Const(_) => unreachable!("an indicator step is a series"),
            }
        };
        let mask = |id: NodeId| -> &BitMask {
            match values[id].as_ref().expect("children run before parents") {
                Value::Mask(m) => m,
                _ => unreachable!("a condition operand is always a mask"),
            }
        };
        Ok(match *step {
            Step::Column(c) => {
                Value::Borrowed(bars.column(c).expect("columns checked before running"))
            }
            Step::Const(v) => Value::Const(v.0),
            Step::Neg(a) => match operand(a) {
                Operand::Const(c) => Value::Const(-c),
                Operand::Slice(s) => {
                    let mut out = scratch.take(n);
                    out.iter_mut().zip(s).for_each(|(o, v)| *o = -v);
                    Value::Series(out)
                }
            },
            Step::Arith(op, a, b) => arith(op, operand(a), operand(b), scratch, n),
            Step::Prev(a, k) => {
                let mut out = scratch.take(n);
                let k = k.min(n);
                out[..k].fill(f64::NAN);
                match operand(a) {
                    Operand::Const(c) => out[k..].fill(c),
                    Operand::Slice(s) => out[k..].copy_from_slice(&s[..n - k]),
                }
                Value::Series(out)
            }
            Step::Indicator(spec, input) => {
                let owned;
                let x: &[f64] = match input.map(operand) {
                    Some(Operand::Slice(s)) => s,
                    Some(Operand::Const(c)) => {
                        owned = vec![c; n];
                        &owned
                    }
                    None => &[],
                };
                match shared {
                    None => {
                        *indicators_computed += 1;
                        compute_indicator(spec, x, bars, scratch, n)?
                    }
                    Some((source, key)) => {
                        let mut compute = || -> Result<IndicatorOutputs> {
                            *indicators_computed += 1;
                            Ok(match compute_indicator(spec, x, bars, scratch, n)? {
                                Value::Series(v) => Arc::from([v]),
                                Value::Multi(vs) => Arc::from(vs),
                                _ => unreachable!("an indicator computes series"),
                            })
                        };
                        Value::Shared(source.indicator(key, &mut compute)?)
                    }
                }
            }
            Step::Compare(op, a, b) => Value::Mask(compare(op, operand(a), operand(b), n)?),
            Step::Cross(dir, a, b) => Value::Mask(crossing(dir, operand(a), operand(b), n)?),
            Step::And(a, b) => Value::Mask(mask(a) & mask(b)),
            Step::Or(a, b) => Value::Mask(mask(a) | mask(b)),
            Step::Not(a) => Value::Mask(!mask(a)),
            Step::Held(a, k) => Value::Mask(held(mask(a), k)),
            Step::Within(a, k) => Value::Mask(within(mask(a), k)),
            Step::StddevOf(..) | Step::BandsOf(..) => {
                let finish = |scratch: &mut Scratch| finish_bands(step, &slice, scratch, n);
                match shared {
                    None => {
                        *indicators_computed += 1;
                        finish(scratch)?
                    }
                    Some((source, key)) => {
                        let mut compute = || -> Result<IndicatorOutputs> {
                            *indicators_computed += 1;
                            Ok(match finish(scratch)? {
                                Value::Series(v) => Arc::from([v]),
                                Value::Multi(vs) => Arc::from(vs),
                                _ => unreachable!("a finishing step computes series"),
                            })
                        };
                        Value::Shared(source.indicator(key, &mut compute)?)
                    }
                }
            }
        })
    }
}

/// Where canonical expression `text` reads column `c`: the first
/// whole-word occurrence of its name, else the first call of an indicator
/// that reads it implicitly, else the whole text.
fn column_span(text: &str, c: Column) -> std::ops::Range<usize> {
    let word_at = |word: &str, call: bool| {
        text.match_indices(word).map(|(i, _)| i).find(|&i| {
            let before = text[..i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            let ident = |ch: Option<char>| ch.is_some_and(|ch| ch.is_alphanumeric() || ch == '_');
            !ident(before)
                && if call {
                    after == Some('(')
                } else {
                    !ident(after)
                }
        })
    };
    if let Some(i) = word_at(c.name(), false) {
        return i..i + c.name().len();
    }
    let implicit: &[&str] = match c {
        Column::High | Column::Low => &["atr", "stoch", "trange"],
        Column::Close => &[
            "atr", "stoch", "trange", "sma", "ema", "wma", "rsi", "macd", "bbands", "stddev",
            "var", "max", "min",
        ],
        Column::Open | Column::Volume => &[],
    };
    implicit
        .iter()
        .filter_map(|name| word_at(name, true).map(|i| i..i + name.len()))
        .min_by_key(|r| r.start)
        .unwrap_or(0..text.len())
}

/// Whether `step` computes an indicator's outputs (and has a key).
fn is_indicator(step: &Step) -> bool {
    matches!(
        step,
        Step::Indicator(..) | Step::StddevOf(..) | Step::BandsOf(..)
    )
}

fn children(step: &Step) -> Vec<NodeId> {
    match *step {
        Step::Column(_) | Step::Const(_) => vec![],
        Step::Neg(a) | Step::Prev(a, _) => vec![a.node],
        Step::Arith(_, a, b) | Step::Compare(_, a, b) | Step::Cross(_, a, b) => {
            vec![a.node, b.node]
        }
        Step::Indicator(_, input) => input.map(|o| o.node).into_iter().collect(),
        Step::And(a, b) | Step::Or(a, b) => vec![a, b],
        Step::Not(a) | Step::Held(a, _) | Step::Within(a, _) => vec![a],
        Step::StddevOf(a, ..) => vec![a.node],
        Step::BandsOf(a, b, ..) => vec![a.node, b.node],
    }
}

fn apply(op: ArithOp, a: f64, b: f64) -> f64 {
    match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => a / b,
    }
}

fn arith<'a>(
    op: ArithOp,
    a: Operand<'_>,
    b: Operand<'_>,
    scratch: &mut Scratch,
    n: usize,
) -> Value<'a> {
    if let (Operand::Const(x), Operand::Const(y)) = (a, b) {
        return Value::Const(apply(op, x, y));
    }
    let mut out = scratch.take(n);
    arith_into(op, a, b, &mut out);
    Value::Series(out)
}

/// `a op b` into `out` (of the operands' length; not both constants).
fn arith_into(op: ArithOp, a: Operand<'_>, b: Operand<'_>, out: &mut [f64]) {
    // One loop per operator and operand shape, so each vectorizes.
    macro_rules! each {
        ($f:expr) => {
            match (a, b) {
                (Operand::Slice(x), Operand::Const(y)) => {
                    out.iter_mut().zip(x).for_each(|(o, &u)| *o = $f(u, y))
                }
                (Operand::Const(x), Operand::Slice(y)) => {
                    out.iter_mut().zip(y).for_each(|(o, &v)| *o = $f(x, v))
                }
                (Operand::Slice(x), Operand::Slice(y)) => out
                    .iter_mut()
                    .zip(x.iter().zip(y))
                    .for_each(|(o, (&u, &v))| *o = $f(u, v)),
                (Operand::Const(x), Operand::Const(y)) => out.fill($f(x, y)),
            }
        };
    }
    match op {
        ArithOp::Add => each!(|u: f64, v: f64| u + v),
        ArithOp::Sub => each!(|u: f64, v: f64| u - v),
        ArithOp::Mul => each!(|u: f64, v: f64| u * v),
        ArithOp::Div => each!(|u: f64, v: f64| u / v),
    }
}

const fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
    }
}

/// Bars per block of [`block_pass`]: a multiple of 64 (blocks start on
/// word boundaries), small enough that a block of every input stays in L1.
const MASK_BLOCK: usize = 2048;

/// The operand `o` in `values` (a computed series step).
fn operand_at<'v>(values: &'v [Option<Value<'_>>], o: Out) -> Operand<'v> {
    match values[o.node]
        .as_ref()
        .expect("children run before parents")
    {
        Value::Series(v) => Operand::Slice(v),
        Value::Multi(vs) => Operand::Slice(&vs[o.index as usize]),
        Value::Shared(vs) => Operand::Slice(&vs[o.index as usize]),
        Value::Borrowed(s) => Operand::Slice(s),
        Value::Const(c) => Operand::Const(*c),
        Value::Mask(_) => unreachable!("a series operand is never a mask"),
    }
}

/// The order [`Plan::run`] runs the steps in, and when each value can be
/// dropped. Positions: series step `i` runs at `i`, the block pass at
/// `block_pos` (the step count), mask step `i` at `block_pos + 1 + i`.
struct Schedule {
    /// Series steps that are stored whole, in plan order.
    series: Vec<NodeId>,
    /// Comparisons, crossings and lazy steps, in plan order.
    block: Vec<NodeId>,
    /// `and`, `or`, `not`, `held`, `within`, in plan order.
    masks: Vec<NodeId>,
    block_pos: usize,
    /// The position of each step's last reader (`usize::MAX`: an output).
    last_use: Vec<usize>,
}

impl Schedule {
    fn new(steps: &[Step], lazy: &[bool], outputs: &[NodeId]) -> Schedule {
        let block_pos = steps.len();
        let (mut series, mut block, mut masks) = (Vec::new(), Vec::new(), Vec::new());
        let mut last_use = vec![0usize; steps.len()];
        for (i, s) in steps.iter().enumerate() {
            let pos = match s {
                _ if lazy[i] => {
                    block.push(i);
                    block_pos
                }
                Step::Compare(..) | Step::Cross(..) => {
                    block.push(i);
                    block_pos
                }
                Step::And(..) | Step::Or(..) | Step::Not(_) | Step::Held(..) | Step::Within(..) => {
                    masks.push(i);
                    block_pos + 1 + i
                }
                _ => {
                    series.push(i);
                    i
                }
            };
            for child in children(s) {
                last_use[child] = last_use[child].max(pos);
            }
        }
        for &o in outputs {
            last_use[o] = usize::MAX;
        }
        Schedule {
            series,
            block,
            masks,
            block_pos,
            last_use,
        }
    }

    /// Drops the values `step` (run at `pos`) was the last reader of.
    fn release(
        &self,
        pos: usize,
        step: &Step,
        values: &mut [Option<Value<'_>>],
        scratch: &mut Scratch,
    ) {
        for child in children(step) {
            if self.last_use[child] == pos
                && let Some(old) = values[child].take()
            {
                scratch.recycle(old);
            }
        }
    }
}

/// Where [`block_pass`] finds each series over the window `[s0, e)`.
struct BlockWindow<'v, 'a> {
    values: &'v [Option<Value<'a>>],
    lazy: &'v [bool],
    slot: &'v [usize],
    s0: usize,
    e: usize,
}

impl<'v> BlockWindow<'v, '_> {
    /// Operand `o` over the window: a lazy step's block buffer, a stored
    /// series' slice, or a constant.
    fn window<'b>(&self, bufs: &'b [Vec<f64>], o: Out) -> Window<'b>
    where
        'v: 'b,
    {
        if self.lazy[o.node] {
            let w = self.e - self.s0;
            Window::Slice(&bufs[self.slot[o.node] + usize::from(o.index)][..w])
        } else {
            match operand_at(self.values, o) {
                Operand::Slice(x) => Window::Slice(&x[self.s0..self.e]),
                Operand::Const(c) => Window::Const(c),
            }
        }
    }
}

/// A series over one block's window of bars (see [`block_pass`]).
#[derive(Clone, Copy)]
enum Window<'v> {
    Slice(&'v [f64]),
    Const(f64),
}

impl<'v> Window<'v> {
    /// The operand from window offset `k` on.
    fn from(self, k: usize) -> Operand<'v> {
        match self {
            Window::Slice(x) => Operand::Slice(&x[k..]),
            Window::Const(c) => Operand::Const(c),
        }
    }

    fn at(self, k: usize) -> f64 {
        match self {
            Window::Slice(x) => x[k],
            Window::Const(c) => c,
        }
    }
}

/// The masks of every [`Step::Compare`] / [`Step::Cross`] step in `block`
/// (plan order, with the lazy steps they read), computed block by block
/// of [`MASK_BLOCK`] bars with the same kernels (and so the same bits) as
/// one step at a time over whole series. Each block's window also holds
/// the bar before it: a crossing's first bar in a block, which the kernel
/// sees as a series start, is set from it. Lazy steps are computed over
/// the window into block buffers (from `scratch`) by the same elementwise
/// operations as when stored whole, so they give the same bits.
fn block_pass(
    steps: &[Step],
    block: &[NodeId],
    lazy: &[bool],
    values: &[Option<Value<'_>>],
    n: usize,
    scratch: &mut Scratch,
) -> Result<Vec<(NodeId, BitMask)>> {
    let backend = Backend::active();
    // Block buffers: `slot[i]` is the first of lazy step i's (one per
    // output).
    let mut slot = vec![usize::MAX; steps.len()];
    let mut slots = 0;
    for &i in block {
        if lazy[i] {
            slot[i] = slots;
            slots += if matches!(steps[i], Step::BandsOf(..)) {
                3
            } else {
                1
            };
        }
    }
    let cap = MASK_BLOCK.min(n) + 1;
    let mut bufs = scratch.block_buffers(slots, cap);
    let mut masks: Vec<(NodeId, BitMask)> = block
        .iter()
        .filter(|&&i| !lazy[i])
        .map(|&i| (i, BitMask::zeros(n)))
        .collect();
    let mut result = Ok(());
    'blocks: for s in (0..n).step_by(MASK_BLOCK) {
        let e = (s + MASK_BLOCK).min(n);
        // The window is [s0, e): the block and the bar before it.
        let s0 = s.saturating_sub(1);
        let k = s - s0;
        let w = e - s0;
        let range = s / 64..words_for(e);
        let ctx = BlockWindow {
            values,
            lazy,
            slot: &slot,
            s0,
            e,
        };
        let mut masks = masks.iter_mut();
        for &i in block {
            let r = if lazy[i] {
                // Take this step's buffers out so its inputs can be read.
                let first = slot[i];
                let count = if matches!(steps[i], Step::BandsOf(..)) {
                    3
                } else {
                    1
                };
                let mut own: Vec<Vec<f64>> = bufs[first..first + count]
                    .iter_mut()
                    .map(std::mem::take)
                    .collect();
                let r = lazy_block(steps[i], &|o| ctx.window(&bufs, o), &mut own, w, backend);
                for (b, o) in bufs[first..first + count].iter_mut().zip(own) {
                    *b = o;
                }
                r
            } else {
                let (_, mask) = masks.next().expect("a mask per comparison");
                let words = &mut mask.words_mut()[range.clone()];
                match steps[i] {
                    Step::Compare(op, a, b) => {
                        let (a, b) = (ctx.window(&bufs, a), ctx.window(&bufs, b));
                        compare_words(op, a.from(k), b.from(k), e - s, words)
                    }
                    Step::Cross(dir, a, b) => {
                        let (a, b) = (ctx.window(&bufs, a), ctx.window(&bufs, b));
                        let r = crossing_words(dir, a.from(k), b.from(k), words);
                        if s > 0 {
                            let (now, before) = match dir {
                                CrossDir::Above => (CmpOp::Gt, CmpOp::Le),
                                CrossDir::Below => (CmpOp::Lt, CmpOp::Ge),
                            };
                            let fires = now.eval(a.at(1), b.at(1)) && before.eval(a.at(0), b.at(0));
                            words[0] |= u64::from(fires);
                        }
                        r
                    }
                    _ => unreachable!("a block pass holds comparisons, crossings, lazy steps"),
                }
            };
            if let Err(e) = r {
                result = Err(e);
                break 'blocks;
            }
        }
    }
    scratch.blocks = bufs;
    result.map(|()| masks)
}

/// A lazy step's values over a window of `w` bars into `out` (one buffer
/// per output), by the operations [`Plan::run_step`] uses for the whole
/// series.
fn lazy_block<'v>(
    step: Step,
    window: &dyn Fn(Out) -> Window<'v>,
    out: &mut [Vec<f64>],
    w: usize,
    backend: Backend,
) -> Result<()> {
    let slice = |o: Out| match window(o) {
        Window::Slice(x) => x,
        Window::Const(_) => unreachable!("an indicator step is a series"),
    };
    let operand = |o: Out| window(o).from(0);
    match step {
        Step::Neg(a) => {
            let x = slice(a);
            out[0][..w].iter_mut().zip(x).for_each(|(o, v)| *o = -v);
            Ok(())
        }
        Step::Arith(op, a, b) => {
            arith_into(op, operand(a), operand(b), &mut out[0][..w]);
            Ok(())
        }
        Step::StddevOf(var, d, _) => {
            crate::indicators::stddev_from_var_into(backend, slice(var), d.0, &mut out[0][..w])
        }
        Step::BandsOf(mean, var, u, d, _) => {
            let [upper, middle, lower] = out else {
                unreachable!("three buffers for bands")
            };
            crate::indicators::bands_from_mean_var_into(
                backend,
                slice(mean),
                slice(var),
                u.0,
                d.0,
                &mut upper[..w],
                &mut middle[..w],
                &mut lower[..w],
            )
        }
        _ => unreachable!("only elementwise steps are lazy"),
    }
}

fn compare(op: CmpOp, a: Operand<'_>, b: Operand<'_>, n: usize) -> Result<BitMask> {
    let mut out = BitMask::zeros(n);
    compare_words(op, a, b, n, out.words_mut())?;
    Ok(out)
}

/// `a op b` for the `len` bars of `a`/`b` into `out` (`words_for(len)`
/// words, tail bits left zero).
fn compare_words(
    op: CmpOp,
    a: Operand<'_>,
    b: Operand<'_>,
    len: usize,
    out: &mut [u64],
) -> Result<()> {
    let backend = Backend::active();
    match (a, b) {
        (Operand::Slice(x), Operand::Slice(y)) => {
            cross::compare(backend, x, op, Rhs::Series(y), out)?
        }
        (Operand::Slice(x), Operand::Const(c)) => {
            cross::compare(backend, x, op, Rhs::Value(c), out)?
        }
        (Operand::Const(c), Operand::Slice(y)) => {
            cross::compare(backend, y, flip(op), Rhs::Value(c), out)?
        }
        (Operand::Const(x), Operand::Const(y)) => {
            if op.eval(x, y) {
                out.fill(!0);
                if !len.is_multiple_of(64)
                    && let Some(last) = out.last_mut()
                {
                    *last = (1u64 << (len % 64)) - 1;
                }
            }
        }
    }
    debug_assert_eq!(out.len(), words_for(len));
    Ok(())
}

fn crossing(dir: CrossDir, a: Operand<'_>, b: Operand<'_>, n: usize) -> Result<BitMask> {
    let mut out = BitMask::zeros(n);
    crossing_words(dir, a, b, out.words_mut())?;
    Ok(out)
}

/// `a crosses b` into `out` (all zero on entry, `words_for(len)` words),
/// the first bar never firing.
fn crossing_words(dir: CrossDir, a: Operand<'_>, b: Operand<'_>, out: &mut [u64]) -> Result<()> {
    let backend = Backend::active();
    let run = |dir: CrossDir, x: &[f64], rhs: Rhs<'_>, words: &mut [u64]| match dir {
        CrossDir::Above => cross::cross_above(backend, x, rhs, words),
        CrossDir::Below => cross::cross_below(backend, x, rhs, words),
    };
    let other = |d: CrossDir| match d {
        CrossDir::Above => CrossDir::Below,
        CrossDir::Below => CrossDir::Above,
    };
    match (a, b) {
        (Operand::Slice(x), Operand::Slice(y)) => run(dir, x, Rhs::Series(y), out)?,
        (Operand::Slice(x), Operand::Const(c)) => run(dir, x, Rhs::Value(c), out)?,
        // c crosses above y ⇔ y crosses below c (same NaN behaviour).
        (Operand::Const(c), Operand::Slice(y)) => run(other(dir), y, Rhs::Value(c), out)?,
        // Two constants never cross.
        (Operand::Const(_), Operand::Const(_)) => {}
    }
    Ok(())
}

/// The value of a [`Step::StddevOf`] or [`Step::BandsOf`] step, by the
/// finishing kernels `stddev_into` and `bbands_into` run.
fn finish_bands<'a>(
    step: &Step,
    slice: &dyn Fn(Out) -> &'a [f64],
    scratch: &mut Scratch,
    n: usize,
) -> Result<Value<'static>> {
    let backend = Backend::active();
    match *step {
        Step::StddevOf(var, d, _) => {
            let mut out = scratch.take(n);
            match crate::indicators::stddev_from_var_into(backend, slice(var), d.0, &mut out) {
                Ok(()) => Ok(Value::Series(out)),
                Err(e) => {
                    scratch.free.push(out);
                    Err(e)
                }
            }
        }
        Step::BandsOf(mean, var, u, d, _) => {
            let (mut upper, mut middle, mut lower) =
                (scratch.take(n), scratch.take(n), scratch.take(n));
            let r = crate::indicators::bands_from_mean_var_into(
                backend,
                slice(mean),
                slice(var),
                u.0,
                d.0,
                &mut upper,
                &mut middle,
                &mut lower,
            );
            multi(scratch, r, vec![upper, middle, lower])
        }
        _ => unreachable!("only finishing steps"),
    }
}

fn need<'a>(bars: &Bars<'a>, c: Column) -> &'a [f64] {
    bars.column(c).expect("columns checked before running")
}

fn compute_indicator<'a>(
    spec: Spec,
    x: &[f64],
    bars: &Bars<'a>,
    scratch: &mut Scratch,
    n: usize,
) -> Result<Value<'a>> {
    let hlc = || {
        (
            need(bars, Column::High),
            need(bars, Column::Low),
            need(bars, Column::Close),
        )
    };
    let mut one = |f: &dyn Fn(&mut [f64]) -> Result<()>| -> Result<Value<'a>> {
        let mut out = scratch.take(n);
        match f(&mut out) {
            Ok(()) => Ok(Value::Series(out)),
            Err(e) => {
                scratch.free.push(out);
                Err(e)
            }
        }
    };
    let value = match spec {
        // `sma_into` and `var_into` fuse their non-finite-to-NaN test into
        // the kernel's store or tile pass.
        Spec::Sma(p) => one(&|o| crate::sma_into(x, p, o))?,
        Spec::Ema(p) => one(&|o| crate::ema_into(x, p, o))?,
        Spec::Wma(p) => one(&|o| crate::wma_into(x, p, o))?,
        Spec::Rsi(p) => one(&|o| crate::rsi_into(x, p, o))?,
        Spec::Max(p) => one(&|o| crate::max_into(x, p, o))?,
        Spec::Min(p) => one(&|o| crate::min_into(x, p, o))?,
        Spec::Var(p) => one(&|o| crate::var_into(x, p, o))?,
        Spec::Stddev(p, d) => one(&|o| crate::stddev_into(x, p, d.0, o))?,
        Spec::RawVar(p) => {
            one(&|o| crate::kernels::rolling_var::rolling_var(Backend::active(), x, p, 0, o))?
        }
        Spec::Atr(p) => {
            let (h, l, c) = hlc();
            one(&|o| crate::atr_into(h, l, c, p, o))?
        }
        Spec::Trange => {
            let (h, l, c) = hlc();
            one(&|o| crate::trange_into(h, l, c, o))?
        }
        Spec::Macd(f, s, g) => {
            let mut v = [scratch.take(n), scratch.take(n), scratch.take(n)];
            let [a, b, c] = &mut v;
            let r = crate::macd_into(x, f, s, g, a, b, c);
            multi(scratch, r, v.into())?
        }
        Spec::Bbands(p, u, d) => {
            let mut v = [scratch.take(n), scratch.take(n), scratch.take(n)];
            let [a, b, c] = &mut v;
            let r = crate::bbands_into(x, p, u.0, d.0, a, b, c);
            multi(scratch, r, v.into())?
        }
        Spec::Stoch(k, sk, sd) => {
            let (h, l, c) = hlc();
            let mut v = [scratch.take(n), scratch.take(n)];
            let [a, b] = &mut v;
            let r = crate::stoch_into(h, l, c, k, sk, sd, a, b);
            multi(scratch, r, v.into())?
        }
    };
    Ok(value)
}

/// A multi-output value, or its buffers back to `scratch` on error.
fn multi<'a>(scratch: &mut Scratch, r: Result<()>, bufs: Vec<Vec<f64>>) -> Result<Value<'a>> {
    match r {
        Ok(()) => Ok(Value::Multi(bufs)),
        Err(e) => {
            scratch.free.extend(bufs);
            Err(e)
        }
    }
}
