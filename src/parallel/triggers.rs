//! A trigger set over one long series, chunk by chunk in parallel.
//!
//! 1. Every distinct series the triggers read (indicators, arithmetic,
//!    `prev`) is computed once over the whole series: indicators with the
//!    chunked functions of [`super::chunked`] and [`super::carry`]
//!    (bit-identical to the serial indicator for the windowed ones, within
//!    the documented bound for EMA, RSI, ATR, MACD and WMA), arithmetic
//!    element by element. Except: SMA, VAR, STDDEV, BBANDS, MIN and MAX of
//!    a series that a condition reads directly are not stored whole; step
//!    2 computes them on each piece's bars (from a halo start chosen as
//!    [`super::chunked`] chooses it, so bit-identical to the serial
//!    indicator), in a few buffers of one piece's length reused piece after
//!    piece: no series-long output, no page faults, and the values are
//!    still in the cache when the comparison reads them.
//! 2. Each chunk `[c0, c1)` evaluates every trigger's condition on the
//!    bars `[c0 − r, c1)`, where the reach `r` is the number of earlier
//!    bars the condition looks at: 1 for a crossing, `n − 1` for
//!    `held(·, n)` and `within(·, n)`, summed along nesting and maximized
//!    over `and`/`or` (`prev` and the indicators' lookbacks are already in
//!    the series of step 1). The bits of `[c0, c1)` are then exact, and are
//!    copied into one mask per trigger: by each chunk itself, in parallel,
//!    when chunks are whole 64-bit words of the masks (chunk lengths that
//!    are multiples of 64; [`ChunkLen::Auto`] rounds its length up to
//!    one), else stitched serially afterwards.
//!
//! Guarantee: each mask equals [`TriggerSet::evaluate`]'s bit for bit
//! when the set uses only windowed indicators other than WMA (SMA, VAR,
//! STDDEV, BBANDS, MIN, MAX, STOCH, TRANGE), columns, constants,
//! arithmetic and `prev` — for every chunk length, including chunk
//! boundaries right at a crossing. With EMA, RSI, ATR, MACD or WMA the
//! masks are those of the serial rules applied to the chunked indicator
//! series, so they can differ from the serial evaluation only where a
//! comparison or crossing is decided by less than the indicators'
//! documented error (a near tie).

use super::{ChunkLen, grid, par_each, par_map};
use crate::error::{Error, Result};
use crate::trigger::masks::{held, within};
use crate::trigger::{
    ArithOp, BandsField, Bars, Column, Cond, CrossDir, Indicator, MacdField, Series, StochField,
    TriggerSet,
};
use crate::{BitMask, CmpOp, Rhs};
use std::collections::HashMap;

/// The masks of a chunked evaluation, one per trigger in set order.
#[derive(Clone, Debug, PartialEq)]
pub struct ChunkedEvaluation {
    names: Vec<String>,
    masks: Vec<BitMask>,
}

impl ChunkedEvaluation {
    /// The triggers' names, in set order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every trigger's mask, in set order.
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
}

/// A computed series value.
enum Val<'a> {
    Borrowed(&'a [f64]),
    Owned(Vec<f64>),
    Const(f64),
    /// A windowed indicator of the series with this id (a slice), computed
    /// only on the bars each piece of the mask stage reads.
    Lazy(Window, usize),
}

/// A windowed indicator that a piece computes on its own bars (with a
/// halo starting where [`super::chunked`] starts its chunks, so the values
/// are bit-identical to the serial indicator's).
#[derive(Clone, Copy)]
enum Window {
    Sma(usize),
    Var(usize),
    Stddev(usize, f64),
    Bbands(usize, f64, f64, BandsField),
    Max(usize),
    Min(usize),
}

impl Window {
    /// Where the computation for outputs from bar `a` on starts.
    fn start(self, a: usize) -> usize {
        match self {
            Window::Sma(p) | Window::Var(p) | Window::Stddev(p, _) | Window::Bbands(p, ..) => {
                super::chunked::aligned(a, p - 1, p)
            }
            Window::Max(p) | Window::Min(p) => a.saturating_sub(p - 1),
        }
    }

    /// The indicator on `x` into `out` (same length).
    fn run(self, x: &[f64], out: &mut [f64], pool: &mut Vec<Vec<f64>>) -> Result<()> {
        match self {
            Window::Sma(p) => crate::sma_into(x, p, out),
            Window::Var(p) => crate::var_into(x, p, out),
            Window::Stddev(p, d) => crate::stddev_into(x, p, d, out),
            Window::Max(p) => crate::max_into(x, p, out),
            Window::Min(p) => crate::min_into(x, p, out),
            Window::Bbands(p, up, dn, field) => {
                let (mut a, mut b) = (take(pool, x.len()), take(pool, x.len()));
                let r = match field {
                    BandsField::Upper => crate::bbands_into(x, p, up, dn, out, &mut a, &mut b),
                    BandsField::Middle => crate::bbands_into(x, p, up, dn, &mut a, out, &mut b),
                    BandsField::Lower => crate::bbands_into(x, p, up, dn, &mut a, &mut b, out),
                };
                pool.extend([a, b]);
                r
            }
        }
    }

    /// The full series, chunked (for an eager reader such as arithmetic).
    fn full(self, x: &[f64], chunk: usize) -> Result<Vec<f64>> {
        let cl = ChunkLen::Fixed(chunk);
        match self {
            Window::Sma(p) => super::sma_chunked(x, p, cl),
            Window::Var(p) => super::var_chunked(x, p, cl),
            Window::Stddev(p, d) => super::stddev_chunked(x, p, d, cl),
            Window::Max(p) => super::max_chunked(x, p, cl),
            Window::Min(p) => super::min_chunked(x, p, cl),
            Window::Bbands(p, up, dn, field) => {
                let b = super::bbands_chunked(x, p, up, dn, cl)?;
                Ok(match field {
                    BandsField::Upper => b.upper,
                    BandsField::Middle => b.middle,
                    BandsField::Lower => b.lower,
                })
            }
        }
    }
}

/// A buffer of `len` values from `pool` (stale contents).
fn take(pool: &mut Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut v = pool.pop().unwrap_or_default();
    v.resize(len, 0.0);
    v
}

/// A series operand on one piece's bars: a slice of a stored series, a
/// buffer computed for the piece (values from `offset` on), or a constant.
enum Span<'v> {
    Slice(&'v [f64]),
    Computed(Vec<f64>, usize),
    Const(f64),
}

impl Span<'_> {
    fn operand(&self) -> Operand<'_> {
        match self {
            Span::Slice(s) => Operand::Slice(s),
            Span::Computed(v, off) => Operand::Slice(&v[*off..]),
            Span::Const(c) => Operand::Const(*c),
        }
    }

    fn recycle(self, pool: &mut Vec<Vec<f64>>) {
        if let Span::Computed(v, _) = self {
            pool.push(v);
        }
    }
}

#[derive(Clone, Copy)]
enum Operand<'v> {
    Slice(&'v [f64]),
    Const(f64),
}

/// A condition whose series are indices into the value table.
enum RCond {
    Compare(CmpOp, usize, usize),
    Cross(CrossDir, usize, usize),
    And(Box<RCond>, Box<RCond>),
    Or(Box<RCond>, Box<RCond>),
    Not(Box<RCond>),
    Held(Box<RCond>, usize),
    Within(Box<RCond>, usize),
}

impl RCond {
    /// How many bars before a bar its value depends on.
    fn reach(&self) -> usize {
        match self {
            RCond::Compare(..) => 0,
            RCond::Cross(..) => 1,
            RCond::And(a, b) | RCond::Or(a, b) => a.reach().max(b.reach()),
            RCond::Not(a) => a.reach(),
            RCond::Held(a, n) | RCond::Within(a, n) => a.reach().saturating_add((*n).max(1) - 1),
        }
    }
}

struct Ctx<'a, 'b> {
    bars: &'b Bars<'a>,
    n: usize,
    chunk: usize,
    values: Vec<Val<'a>>,
    keys: HashMap<String, usize>,
}

impl<'a> Ctx<'a, '_> {
    fn push(&mut self, key: String, v: Val<'a>) -> usize {
        let id = self.values.len();
        self.values.push(v);
        self.keys.insert(key, id);
        id
    }

    fn operand(&self, id: usize) -> Operand<'_> {
        match &self.values[id] {
            Val::Borrowed(s) => Operand::Slice(s),
            Val::Owned(v) => Operand::Slice(v),
            Val::Const(c) => Operand::Const(*c),
            Val::Lazy(..) => unreachable!("lazy values are made whole before an eager read"),
        }
    }

    /// Computes a lazy value whole (chunked), for a reader that needs the
    /// full series (arithmetic, `prev`, an indicator's input).
    fn materialize(&mut self, id: usize) -> Result<()> {
        if let Val::Lazy(w, input) = self.values[id] {
            let v = match self.operand(input) {
                Operand::Slice(x) => w.full(x, self.chunk)?,
                Operand::Const(c) => w.full(&vec![c; self.n], self.chunk)?,
            };
            self.values[id] = Val::Owned(v);
        }
        Ok(())
    }

    /// Series `id` on bars `[lo, hi)`, computing a lazy value on them.
    fn span(&self, id: usize, lo: usize, hi: usize, pool: &mut Vec<Vec<f64>>) -> Result<Span<'_>> {
        Ok(match &self.values[id] {
            Val::Borrowed(s) => Span::Slice(&s[lo..hi]),
            Val::Owned(v) => Span::Slice(&v[lo..hi]),
            Val::Const(c) => Span::Const(*c),
            &Val::Lazy(w, input) => {
                let Operand::Slice(x) = self.operand(input) else {
                    unreachable!("a lazy value's input is a series")
                };
                let h0 = w.start(lo);
                let mut out = take(pool, hi - h0);
                if let Err(e) = w.run(&x[h0..hi], &mut out, pool) {
                    pool.push(out);
                    return Err(e);
                }
                Span::Computed(out, lo - h0)
            }
        })
    }

    fn column(&self, c: Column) -> Result<&'a [f64]> {
        // Columns were checked by the serial plan before.
        self.bars.column(c).ok_or(Error::LengthMismatch {
            name: c.name(),
            expected: self.n,
            got: 0,
        })
    }

    /// An element-wise series, computed chunk by chunk in parallel.
    fn map(&self, f: impl Fn(usize) -> f64 + Sync + Send) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.n];
        let mut pieces: Vec<(usize, &mut [f64])> = out
            .chunks_mut(self.chunk)
            .enumerate()
            .map(|(i, p)| (i * self.chunk, p))
            .collect();
        super::par_each(&mut pieces, |(s, p)| {
            for (j, v) in p.iter_mut().enumerate() {
                *v = f(*s + j);
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn series(&mut self, s: &Series) -> Result<usize> {
        let key = s.to_string();
        if let Some(&id) = self.keys.get(&key) {
            return Ok(id);
        }
        let v = match s {
            Series::Column(c) => Val::Borrowed(self.column(*c)?),
            Series::Const(c) => Val::Const(*c),
            Series::Neg(a) => {
                let a = self.series(a)?;
                self.materialize(a)?;
                match self.operand(a) {
                    Operand::Const(c) => Val::Const(-c),
                    Operand::Slice(x) => Val::Owned(self.map(|i| -x[i])?),
                }
            }
            Series::Arith(op, a, b) => {
                let (a, b) = (self.series(a)?, self.series(b)?);
                self.materialize(a)?;
                self.materialize(b)?;
                let f = |u: f64, v: f64| match op {
                    ArithOp::Add => u + v,
                    ArithOp::Sub => u - v,
                    ArithOp::Mul => u * v,
                    ArithOp::Div => u / v,
                };
                match (self.operand(a), self.operand(b)) {
                    (Operand::Const(x), Operand::Const(y)) => Val::Const(f(x, y)),
                    (Operand::Slice(x), Operand::Const(y)) => Val::Owned(self.map(|i| f(x[i], y))?),
                    (Operand::Const(x), Operand::Slice(y)) => Val::Owned(self.map(|i| f(x, y[i]))?),
                    (Operand::Slice(x), Operand::Slice(y)) => {
                        Val::Owned(self.map(|i| f(x[i], y[i]))?)
                    }
                }
            }
            Series::Prev(a, k) => {
                let a = self.series(a)?;
                self.materialize(a)?;
                let k = *k;
                match self.operand(a) {
                    Operand::Const(c) => {
                        Val::Owned(self.map(|i| if i < k { f64::NAN } else { c })?)
                    }
                    Operand::Slice(x) => {
                        Val::Owned(self.map(|i| if i < k { f64::NAN } else { x[i - k] })?)
                    }
                }
            }
            Series::Indicator(ind) => return self.indicator(ind, key),
        };
        Ok(self.push(key, v))
    }

    /// Computes an indicator (all its outputs, each stored under its own
    /// key) and returns the id of the output `key` names.
    fn indicator(&mut self, ind: &Indicator, key: String) -> Result<usize> {
        let input = match ind.input() {
            Some(s) => Some(self.series(s)?),
            None => None,
        };
        if let Some(i) = input {
            self.materialize(i)?;
            // Windowed indicators of a series (bit-identical on any
            // aligned piece) wait for the mask stage.
            if let Operand::Slice(_) = self.operand(i) {
                let lazy: Vec<(Indicator, Window)> = match ind {
                    Indicator::Sma { period, .. } => vec![(ind.clone(), Window::Sma(*period))],
                    Indicator::Var { period, .. } => vec![(ind.clone(), Window::Var(*period))],
                    Indicator::Stddev { period, nbdev, .. } => {
                        vec![(ind.clone(), Window::Stddev(*period, *nbdev))]
                    }
                    Indicator::Max { period, .. } => vec![(ind.clone(), Window::Max(*period))],
                    Indicator::Min { period, .. } => vec![(ind.clone(), Window::Min(*period))],
                    Indicator::Bbands {
                        input,
                        period,
                        nbdev_up,
                        nbdev_dn,
                        ..
                    } => [BandsField::Upper, BandsField::Middle, BandsField::Lower]
                        .into_iter()
                        .map(|field| {
                            let b = Indicator::Bbands {
                                input: input.clone(),
                                period: *period,
                                nbdev_up: *nbdev_up,
                                nbdev_dn: *nbdev_dn,
                                field,
                            };
                            (b, Window::Bbands(*period, *nbdev_up, *nbdev_dn, field))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                if !lazy.is_empty() {
                    return self
                        .push_outputs(lazy.into_iter().map(|(d, w)| (d, Val::Lazy(w, i))), &key);
                }
            }
        }
        let owned;
        let x: &[f64] = match input.map(|i| self.operand(i)) {
            Some(Operand::Slice(s)) => s,
            Some(Operand::Const(c)) => {
                owned = vec![c; self.n];
                &owned
            }
            None => &[],
        };
        let cl = ChunkLen::Fixed(self.chunk);
        let hlc = || -> Result<(&[f64], &[f64], &[f64])> {
            Ok((
                self.column(Column::High)?,
                self.column(Column::Low)?,
                self.column(Column::Close)?,
            ))
        };
        // Every output of the computation, with the indicator it is.
        let outs: Vec<(Indicator, Vec<f64>)> = match ind {
            Indicator::Sma { period, .. } => {
                vec![(ind.clone(), super::sma_chunked(x, *period, cl)?)]
            }
            Indicator::Ema { period, .. } => {
                vec![(ind.clone(), super::ema_chunked(x, *period, cl)?)]
            }
            Indicator::Wma { period, .. } => {
                vec![(ind.clone(), super::wma_chunked(x, *period, cl)?)]
            }
            Indicator::Rsi { period, .. } => {
                vec![(ind.clone(), super::rsi_chunked(x, *period, cl)?)]
            }
            Indicator::Max { period, .. } => {
                vec![(ind.clone(), super::max_chunked(x, *period, cl)?)]
            }
            Indicator::Min { period, .. } => {
                vec![(ind.clone(), super::min_chunked(x, *period, cl)?)]
            }
            Indicator::Var { period, .. } => {
                vec![(ind.clone(), super::var_chunked(x, *period, cl)?)]
            }
            Indicator::Stddev { period, nbdev, .. } => {
                vec![(ind.clone(), super::stddev_chunked(x, *period, *nbdev, cl)?)]
            }
            Indicator::Atr { period } => {
                let (h, l, c) = hlc()?;
                vec![(ind.clone(), super::atr_chunked(h, l, c, *period, cl)?)]
            }
            Indicator::Trange => {
                let (h, l, c) = hlc()?;
                vec![(ind.clone(), super::atr_chunked(h, l, c, 1, cl)?)]
            }
            Indicator::Macd {
                input,
                fast,
                slow,
                signal,
                ..
            } => {
                let m = super::macd_chunked(x, *fast, *slow, *signal, cl)?;
                let with = |field| Indicator::Macd {
                    input: input.clone(),
                    fast: *fast,
                    slow: *slow,
                    signal: *signal,
                    field,
                };
                vec![
                    (with(MacdField::Macd), m.macd),
                    (with(MacdField::Signal), m.signal),
                    (with(MacdField::Hist), m.hist),
                ]
            }
            Indicator::Bbands {
                input,
                period,
                nbdev_up,
                nbdev_dn,
                ..
            } => {
                let b = super::bbands_chunked(x, *period, *nbdev_up, *nbdev_dn, cl)?;
                let with = |field| Indicator::Bbands {
                    input: input.clone(),
                    period: *period,
                    nbdev_up: *nbdev_up,
                    nbdev_dn: *nbdev_dn,
                    field,
                };
                vec![
                    (with(BandsField::Upper), b.upper),
                    (with(BandsField::Middle), b.middle),
                    (with(BandsField::Lower), b.lower),
                ]
            }
            Indicator::Stoch {
                fastk,
                slowk,
                slowd,
                ..
            } => {
                let (h, l, c) = hlc()?;
                let s = super::stoch_chunked(h, l, c, *fastk, *slowk, *slowd, cl)?;
                let with = |field| Indicator::Stoch {
                    fastk: *fastk,
                    slowk: *slowk,
                    slowd: *slowd,
                    field,
                };
                vec![(with(StochField::K), s.k), (with(StochField::D), s.d)]
            }
        };
        self.push_outputs(outs.into_iter().map(|(i, v)| (i, Val::Owned(v))), &key)
    }

    /// Stores every output of an indicator under its own key; returns the
    /// id of the one `key` names.
    fn push_outputs(
        &mut self,
        outs: impl Iterator<Item = (Indicator, Val<'a>)>,
        key: &str,
    ) -> Result<usize> {
        let mut wanted = None;
        for (i, v) in outs {
            let k = Series::Indicator(Box::new(i)).to_string();
            let id = self.push(k.clone(), v);
            if k == key {
                wanted = Some(id);
            }
        }
        // Every indicator's outputs include the one asked for.
        wanted.ok_or(Error::LengthMismatch {
            name: "indicator",
            expected: 1,
            got: 0,
        })
    }

    fn cond(&mut self, c: &Cond) -> Result<RCond> {
        Ok(match c {
            Cond::Compare(op, a, b) => RCond::Compare(*op, self.series(a)?, self.series(b)?),
            Cond::Cross(d, a, b) => RCond::Cross(*d, self.series(a)?, self.series(b)?),
            Cond::And(a, b) => RCond::And(Box::new(self.cond(a)?), Box::new(self.cond(b)?)),
            Cond::Or(a, b) => RCond::Or(Box::new(self.cond(a)?), Box::new(self.cond(b)?)),
            Cond::Not(a) => RCond::Not(Box::new(self.cond(a)?)),
            Cond::Held(a, n) => RCond::Held(Box::new(self.cond(a)?), *n),
            Cond::Within(a, n) => RCond::Within(Box::new(self.cond(a)?), *n),
        })
    }

    /// The condition's mask on bars `[lo, hi)` (as if the series began at
    /// `lo`); lazy series are computed on those bars, in buffers taken
    /// from and returned to `pool`.
    fn local(&self, c: &RCond, lo: usize, hi: usize, pool: &mut Vec<Vec<f64>>) -> Result<BitMask> {
        let len = hi - lo;
        Ok(match c {
            RCond::Compare(cmp, a, b) => {
                let (sa, sb) = (self.span(*a, lo, hi, pool)?, self.span(*b, lo, hi, pool)?);
                let m = match (sa.operand(), sb.operand()) {
                    (Operand::Slice(x), Operand::Slice(y)) => {
                        crate::compare(x, *cmp, Rhs::Series(y))
                    }
                    (Operand::Slice(x), Operand::Const(v)) => crate::compare(x, *cmp, v),
                    (Operand::Const(v), Operand::Slice(y)) => crate::compare(y, flip(*cmp), v),
                    (Operand::Const(x), Operand::Const(y)) => {
                        let holds = match cmp {
                            CmpOp::Gt => x > y,
                            CmpOp::Ge => x >= y,
                            CmpOp::Lt => x < y,
                            CmpOp::Le => x <= y,
                        };
                        Ok(if holds {
                            BitMask::ones(len)
                        } else {
                            BitMask::zeros(len)
                        })
                    }
                };
                sa.recycle(pool);
                sb.recycle(pool);
                m?
            }
            RCond::Cross(dir, a, b) => {
                let run = |d: CrossDir, x: &[f64], rhs: Rhs<'_>| match d {
                    CrossDir::Above => crate::cross_above(x, rhs),
                    CrossDir::Below => crate::cross_below(x, rhs),
                };
                let other = match dir {
                    CrossDir::Above => CrossDir::Below,
                    CrossDir::Below => CrossDir::Above,
                };
                let (sa, sb) = (self.span(*a, lo, hi, pool)?, self.span(*b, lo, hi, pool)?);
                let m = match (sa.operand(), sb.operand()) {
                    (Operand::Slice(x), Operand::Slice(y)) => run(*dir, x, Rhs::Series(y)),
                    (Operand::Slice(x), Operand::Const(v)) => run(*dir, x, Rhs::Value(v)),
                    // c crosses above y ⇔ y crosses below c.
                    (Operand::Const(v), Operand::Slice(y)) => run(other, y, Rhs::Value(v)),
                    (Operand::Const(_), Operand::Const(_)) => Ok(BitMask::zeros(len)),
                };
                sa.recycle(pool);
                sb.recycle(pool);
                m?
            }
            RCond::And(a, b) => &self.local(a, lo, hi, pool)? & &self.local(b, lo, hi, pool)?,
            RCond::Or(a, b) => &self.local(a, lo, hi, pool)? | &self.local(b, lo, hi, pool)?,
            RCond::Not(a) => !&self.local(a, lo, hi, pool)?,
            RCond::Held(a, n) => held(&self.local(a, lo, hi, pool)?, *n),
            RCond::Within(a, n) => within(&self.local(a, lo, hi, pool)?, *n),
        })
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

/// A chunk `[c0, c1)` and its words of every trigger's mask.
type MaskTask<'m> = ((usize, usize), Vec<&'m mut [u64]>);

/// Bars per piece of the mask stage (at least; 8 reaches if longer): 64 KiB
/// per lazy series.
const PIECE: usize = 1 << 13;

/// Bits `[from, from + count)` of `words` (count ≤ 64), low bit first.
fn get_bits(words: &[u64], from: usize, count: usize) -> u64 {
    let (w, b) = (from / 64, from % 64);
    let mut v = words[w] >> b;
    if b > 0 && b + count > 64 {
        v |= words[w + 1] << (64 - b);
    }
    if count < 64 {
        v & ((1u64 << count) - 1)
    } else {
        v
    }
}

/// Bits `[from, from + count)` of `src` into the first `count` bits of
/// `dst` (whose other bits stay zero).
fn copy_bits(src: &[u64], from: usize, count: usize, dst: &mut [u64]) {
    for (w, d) in dst.iter_mut().enumerate().take(count.div_ceil(64)) {
        *d = get_bits(src, from + 64 * w, (count - 64 * w).min(64));
    }
}

/// ORs `count ≤ 64` bits into `words` at bit `at`.
fn or_bits(words: &mut [u64], at: usize, bits: u64, count: usize) {
    let (w, b) = (at / 64, at % 64);
    words[w] |= bits << b;
    if b > 0 && b + count > 64 {
        words[w + 1] |= bits >> (64 - b);
    }
}

/// Every trigger of `set` over `bars`, chunk by chunk in parallel (see the
/// module docs for the method and the guarantee).
///
/// Errors: as [`TriggerSet::evaluate`] (an empty set, a missing column,
/// columns of different lengths, parameters out of range), and
/// `ChunkLen::Fixed(0)` → [`Error::InvalidPeriod`] named `"chunk_len"`.
pub fn evaluate_chunked(
    set: &TriggerSet,
    bars: &Bars<'_>,
    chunk_len: impl Into<ChunkLen>,
) -> Result<ChunkedEvaluation> {
    let n = bars.len()?;
    // The serial plan on no bars reports every error it would report on
    // all of them (missing columns, bad parameters).
    let mut empty = Bars::new();
    for c in Column::ALL {
        if let Some(d) = bars.column(c) {
            empty = empty.with(c, &d[..0]);
        }
    }
    set.plan()?.evaluate(&empty)?;
    let mut ctx = Ctx {
        bars,
        n,
        chunk: 1,
        values: Vec::new(),
        keys: HashMap::new(),
    };
    let chunk_len = chunk_len.into();
    let conds: Vec<RCond> = {
        // Reaches first (they only need the tree), to size the chunks.
        ctx.chunk = chunk_len.resolve(n, 0)?;
        if chunk_len == ChunkLen::Auto {
            // Whole words of the masks per chunk (see below).
            ctx.chunk = ctx.chunk.next_multiple_of(64);
        }
        let mut v = Vec::with_capacity(set.len());
        for t in set.triggers() {
            v.push(ctx.cond(&t.cond)?);
        }
        v
    };
    let chunks: Vec<(usize, usize)> = grid(n, ctx.chunk).collect();
    let ctx = &ctx;
    let conds = &conds;
    let mut masks: Vec<BitMask> = (0..conds.len()).map(|_| BitMask::zeros(n)).collect();
    if ctx.chunk.is_multiple_of(64) {
        // Each chunk's bits are whole words of every mask: each chunk
        // writes its own words in place, in parallel, piece by piece (a
        // piece's lazy series fit in the cache and reuse their buffers).
        let reach = conds.iter().map(RCond::reach).max().unwrap_or(0);
        let piece = PIECE.max(reach.saturating_mul(8)).next_multiple_of(64);
        let per = ctx.chunk / 64;
        let mut pieces: Vec<_> = masks
            .iter_mut()
            .map(|m| m.words_mut().chunks_mut(per))
            .collect();
        let mut tasks: Vec<MaskTask<'_>> = chunks
            .iter()
            .map(|&c| {
                let outs = pieces
                    .iter_mut()
                    .map(|p| p.next().unwrap_or_default())
                    .collect();
                (c, outs)
            })
            .collect();
        par_each(&mut tasks, |&mut ((c0, c1), ref mut outs)| {
            let mut pool = Vec::new();
            let mut s0 = c0;
            while s0 < c1 {
                let s1 = s0.saturating_add(piece).min(c1);
                for (c, out) in conds.iter().zip(outs.iter_mut()) {
                    let lo = s0.saturating_sub(c.reach());
                    let m = ctx.local(c, lo, s1, &mut pool)?;
                    copy_bits(m.words(), s0 - lo, s1 - s0, &mut out[(s0 - c0) / 64..]);
                }
                s0 = s1;
            }
            Ok(())
        })?;
    } else {
        let local = par_map(&chunks, |&(c0, c1)| {
            let mut pool = Vec::new();
            conds
                .iter()
                .map(|c| {
                    let lo = c0.saturating_sub(c.reach());
                    ctx.local(c, lo, c1, &mut pool).map(|m| (lo, m))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        for (&(c0, c1), per) in chunks.iter().zip(&local) {
            for (mask, (lo, m)) in masks.iter_mut().zip(per) {
                let mut at = c0;
                while at < c1 {
                    let count = (c1 - at).min(64);
                    let bits = get_bits(m.words(), at - lo, count);
                    or_bits(mask.words_mut(), at, bits, count);
                    at += count;
                }
            }
        }
    }
    Ok(ChunkedEvaluation {
        names: set.triggers().iter().map(|t| t.name.clone()).collect(),
        masks,
    })
}
