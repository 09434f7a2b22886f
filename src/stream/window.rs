//! Windowed states: SMA, WMA, VAR, STDDEV, BBANDS, MAX/MIN, STOCH.
//!
//! Sums use the window-local chunk decomposition described in the
//! [module docs](super): `cur` holds the values of the current chunk (of
//! `p` bars), `suf*` the suffix sums of the previous chunk, computed once
//! when it completed. The window ending at position `j` of the current
//! chunk is `suffix(j + 1)` of the previous chunk plus the prefix `0..=j`
//! of the current one (the prefix alone when `j = p − 1`). Before the
//! first chunk completes the suffix sums are NaN, which gives the warm-up.

use std::collections::VecDeque;

use super::snapshot::{StateReader, put_f, put_fs};
use super::{Hlc, Stream};
use crate::NO_INDEX;
use crate::error::{Error, Result, check_period};

const MAX_PERIOD: usize = 100_000;

fn check_nbdev(name: &'static str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: v,
            reason: "must be finite",
        })
    }
}

#[inline]
fn nan_if_non_finite(v: f64) -> f64 {
    if v.is_finite() { v } else { f64::NAN }
}

/// Rolling sum of the last `p` values (NaN until `p` values).
///
/// The hot state is two words and one buffer, laid out so that a push is
/// one add, one store, one load and one add, with one bounds check and no
/// branch but the (predicted) chunk end: `cell[k] = [a_k, S_{k+1}]` holds
/// the current chunk's value at `k` and the previous chunk's suffix sum
/// from `k + 1`, so the value written and the suffix read share a cell.
/// `S_p` (in the last cell) is `-0.0`, the additive identity
/// (`-0.0 + x == x` bit for bit, zeros' signs included), and so is the
/// prefix `pre` at the start of a chunk: no `pos == 0` or `pos == p − 1`
/// case. The chunk completion is out of line (`#[cold]`) and touches only
/// the buffer, so a caller's loop may keep `pos` and `pre` in registers.
#[derive(Clone, Debug)]
struct WindowSum {
    /// Position in the current chunk of the next value (`< p`).
    pos: usize,
    /// Prefix sum of the current chunk (`-0.0` at its start).
    pre: f64,
    /// `p` cells `[a_k, S_{k+1}]`; `S_k` = sum of the previous chunk's
    /// values `k..p` (NaN before the first chunk completes), `S_p = -0.0`.
    cell: Box<[[f64; 2]]>,
}

/// Computes the suffix sums of a completed chunk (`S_k = a_k + S_{k+1}`,
/// right to left, from `S_p = -0.0`), written one cell to the left.
#[cold]
#[inline(never)]
fn complete_chunk(cell: &mut [[f64; 2]]) {
    let mut s = -0.0;
    for k in (1..cell.len()).rev() {
        s += cell[k][0];
        cell[k - 1][1] = s;
    }
}

impl WindowSum {
    fn new(p: usize) -> Self {
        let mut cell = vec![[0.0, f64::NAN]; p].into_boxed_slice();
        cell[p - 1][1] = -0.0;
        WindowSum {
            pos: 0,
            pre: -0.0,
            cell,
        }
    }

    #[inline]
    fn p(&self) -> usize {
        self.cell.len()
    }

    fn reset(&mut self) {
        *self = WindowSum::new(self.p());
    }

    #[inline]
    fn peek(&self, x: f64) -> f64 {
        self.cell[self.pos][1] + (self.pre + x)
    }

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        let pos = self.pos;
        let pre = self.pre + x;
        let c = &mut self.cell[pos];
        c[0] = x;
        let out = c[1] + pre;
        if pos + 1 == self.cell.len() {
            complete_chunk(&mut self.cell);
            self.pos = 0;
            self.pre = -0.0;
        } else {
            self.pos = pos + 1;
            self.pre = pre;
        }
        out
    }

    fn memory_bytes(&self) -> usize {
        core::mem::size_of::<Self>() + 16 * self.p()
    }

    fn save(&self, out: &mut Vec<u64>) {
        out.push(self.pos as u64);
        put_f(out, self.pre);
        put_fs(out, self.pos, self.cell[..self.pos].iter().map(|c| &c[0]));
        let p = self.p();
        put_fs(out, p - 1, self.cell[..p - 1].iter().map(|c| &c[1]));
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        let p = self.p();
        self.pos = r.count(p as u64 - 1)? as usize;
        self.pre = r.float()?;
        let mut v = Vec::new();
        r.floats(&mut v, Some(self.pos), p)?;
        for (c, x) in self.cell.iter_mut().zip(&v) {
            c[0] = *x;
        }
        r.floats(&mut v, Some(p - 1), p)?;
        for (c, s) in self.cell.iter_mut().zip(&v) {
            c[1] = *s;
        }
        self.cell[p - 1][1] = -0.0;
        Ok(())
    }
}

/// Simple moving average, as [`crate::sma`]: the mean of the last
/// `period` values (the sum times `1/period`); NaN during the warm-up and
/// wherever the window holds a NaN or ±inf.
#[derive(Clone, Debug)]
pub struct Sma {
    sum: WindowSum,
    inv: f64,
}

impl Sma {
    /// An SMA over `period` bars. Errors: `period` outside `1..=100000` →
    /// [`Error::InvalidPeriod`].
    pub fn new(period: usize) -> Result<Self> {
        check_period("period", period, 1, MAX_PERIOD)?;
        Ok(Self::unchecked(period))
    }

    pub(crate) fn unchecked(period: usize) -> Self {
        Sma {
            sum: WindowSum::new(period),
            inv: 1.0 / period as f64,
        }
    }
}

impl Stream for Sma {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        nan_if_non_finite(self.sum.push(x) * self.inv)
    }

    #[inline]
    fn peek(&self, x: f64) -> f64 {
        nan_if_non_finite(self.sum.peek(x) * self.inv)
    }

    fn reset(&mut self) {
        self.sum.reset();
    }

    fn lookback(&self) -> usize {
        self.sum.p() - 1
    }

    fn memory_bytes(&self) -> usize {
        self.sum.memory_bytes() + 8
    }

    fn save(&self, out: &mut Vec<u64>) {
        self.sum.save(out);
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        self.sum.load(r)
    }
}

/// Weighted moving average, as [`crate::wma`]: weights `1..=period`, the
/// newest bar heaviest, divided by `period·(period+1)/2`.
///
/// Window-local: with `j` the position in the current chunk, the previous
/// chunk's part contributes `Σ_{m>j} (m − j)·a_m`, kept as suffix sums
/// `T[k] = Σ_{m≥k} (m − k + 1)·a_m = T[k+1] + A[k]` (no cancellation), and
/// the current chunk's part `Σ_{m≤j} (p − j + m)·b_m` is formed from two
/// running sums.
#[derive(Clone, Debug)]
pub struct Wma {
    p: usize,
    pos: usize,
    /// `Σ b_m` and `Σ m·b_m` over the current chunk so far.
    b0: f64,
    b1: f64,
    cur: Vec<f64>,
    /// `T[k]` of the previous chunk.
    tsuf: Vec<f64>,
    inv_d: f64,
}

impl Wma {
    /// A WMA over `period` bars. Errors: `period` outside `1..=100000` →
    /// [`Error::InvalidPeriod`].
    pub fn new(period: usize) -> Result<Self> {
        check_period("period", period, 1, MAX_PERIOD)?;
        let pf = period as f64;
        Ok(Wma {
            p: period,
            pos: 0,
            b0: 0.0,
            b1: 0.0,
            cur: vec![0.0; period],
            tsuf: vec![f64::NAN; period],
            inv_d: 2.0 / (pf * (pf + 1.0)),
        })
    }

    #[inline]
    fn value(&self, b0: f64, b1: f64) -> f64 {
        let j = self.pos;
        let head = (self.p - j) as f64 * b0 + b1;
        let num = if j + 1 == self.p {
            head
        } else {
            self.tsuf[j + 1] + head
        };
        nan_if_non_finite(num * self.inv_d)
    }

    #[inline]
    fn sums(&self, x: f64) -> (f64, f64) {
        if self.pos == 0 {
            (x, 0.0 * x)
        } else {
            (self.b0 + x, self.b1 + self.pos as f64 * x)
        }
    }
}

impl Stream for Wma {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        if self.p == 1 {
            return nan_if_non_finite(x);
        }
        (self.b0, self.b1) = self.sums(x);
        self.cur[self.pos] = x;
        let out = self.value(self.b0, self.b1);
        self.pos += 1;
        if self.pos == self.p {
            let (mut a, mut t) = (0.0, 0.0);
            for k in (0..self.p).rev() {
                a = if k + 1 == self.p {
                    self.cur[k]
                } else {
                    self.cur[k] + a
                };
                t = if k + 1 == self.p { a } else { t + a };
                self.tsuf[k] = t;
            }
            self.pos = 0;
        }
        out
    }

    #[inline]
    fn peek(&self, x: f64) -> f64 {
        if self.p == 1 {
            return nan_if_non_finite(x);
        }
        let (b0, b1) = self.sums(x);
        self.value(b0, b1)
    }

    fn reset(&mut self) {
        *self = Wma::new(self.p).expect("period checked at construction");
    }

    fn lookback(&self) -> usize {
        self.p - 1
    }

    fn memory_bytes(&self) -> usize {
        core::mem::size_of::<Self>() + 16 * self.p
    }

    fn save(&self, out: &mut Vec<u64>) {
        out.push(self.pos as u64);
        put_f(out, self.b0);
        put_f(out, self.b1);
        put_fs(out, self.pos, self.cur[..self.pos].iter());
        put_fs(out, self.p, self.tsuf.iter());
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        self.pos = r.count(self.p as u64 - 1)? as usize;
        self.b0 = r.float()?;
        self.b1 = r.float()?;
        let mut cur = Vec::new();
        r.floats(&mut cur, Some(self.pos), self.p)?;
        self.cur[..self.pos].copy_from_slice(&cur);
        r.floats(&mut self.tsuf, Some(self.p), self.p)
    }
}

/// Rolling population variance, as [`crate::var`] (the algorithm of
/// [`crate::kernels::rolling_var`]: sums shifted by a member of the
/// window, clamped at 0, exactly 0 on a window of identical values); NaN
/// during the warm-up, where the window holds a NaN or ±inf, and where the
/// result overflows.
#[derive(Clone, Debug)]
pub struct Var {
    p: usize,
    pos: usize,
    /// First value of the current chunk, and the sums of `x − rb`, `(x − rb)²`.
    rb: f64,
    s1b: f64,
    s2b: f64,
    cur: Vec<f64>,
    /// Last value of the previous chunk, and the suffix sums of `x − ra`,
    /// `(x − ra)²` over it.
    ra: f64,
    s1a: Vec<f64>,
    s2a: Vec<f64>,
}

/// `(S1, S2)` about a member `r` of the window → population variance.
#[inline]
fn var_of(s1: f64, s2: f64, p: f64) -> f64 {
    let v = s2 - s1 * s1 / p;
    let v = if v > 0.0 || v.is_nan() { v } else { 0.0 };
    v / p
}

impl Var {
    /// A variance over `period` bars. Errors: `period` outside
    /// `1..=100000` → [`Error::InvalidPeriod`].
    pub fn new(period: usize) -> Result<Self> {
        check_period("period", period, 1, MAX_PERIOD)?;
        Ok(Self::unchecked(period))
    }

    fn unchecked(period: usize) -> Self {
        Var {
            p: period,
            pos: 0,
            rb: 0.0,
            s1b: 0.0,
            s2b: 0.0,
            cur: vec![0.0; period],
            ra: f64::NAN,
            s1a: vec![f64::NAN; period],
            s2a: vec![f64::NAN; period],
        }
    }

    #[inline]
    fn sums(&self, x: f64) -> (f64, f64, f64) {
        if self.pos == 0 {
            // `x − rb` with `rb = x`: 0, or NaN for ±inf.
            let d = if x.is_finite() { 0.0 } else { f64::NAN };
            (x, d, d * d)
        } else {
            let d = x - self.rb;
            (self.rb, self.s1b + d, self.s2b + d * d)
        }
    }

    /// The raw (unclamped to finite) variance for the current sums.
    #[inline]
    fn value(&self, rb: f64, s1b: f64, s2b: f64) -> f64 {
        let j = self.pos;
        let p = self.p as f64;
        if j + 1 == self.p {
            var_of(s1b, s2b, p)
        } else {
            let nb = (j + 1) as f64;
            let delta = rb - self.ra;
            let s1 = self.s1a[j + 1] + s1b + nb * delta;
            let s2 = self.s2a[j + 1] + s2b + delta * (2.0 * s1b + nb * delta);
            var_of(s1, s2, p)
        }
    }

    /// [`Stream::push`] without replacing a non-finite result by NaN.
    #[inline]
    pub(crate) fn push_raw(&mut self, x: f64) -> f64 {
        (self.rb, self.s1b, self.s2b) = self.sums(x);
        self.cur[self.pos] = x;
        let out = self.value(self.rb, self.s1b, self.s2b);
        self.pos += 1;
        if self.pos == self.p {
            let ra = self.cur[self.p - 1];
            let (mut s1, mut s2) = (0.0, 0.0);
            for k in (0..self.p).rev() {
                let d = self.cur[k] - ra;
                if k + 1 == self.p {
                    (s1, s2) = (d, d * d);
                } else {
                    s1 += d;
                    s2 += d * d;
                }
                self.s1a[k] = s1;
                self.s2a[k] = s2;
            }
            self.ra = ra;
            self.pos = 0;
        }
        out
    }

    /// [`Stream::peek`] without replacing a non-finite result by NaN.
    #[inline]
    pub(crate) fn peek_raw(&self, x: f64) -> f64 {
        let (rb, s1b, s2b) = self.sums(x);
        self.value(rb, s1b, s2b)
    }
}

impl Stream for Var {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        nan_if_non_finite(self.push_raw(x))
    }

    #[inline]
    fn peek(&self, x: f64) -> f64 {
        nan_if_non_finite(self.peek_raw(x))
    }

    fn reset(&mut self) {
        *self = Var::unchecked(self.p);
    }

    fn lookback(&self) -> usize {
        self.p - 1
    }

    fn memory_bytes(&self) -> usize {
        core::mem::size_of::<Self>() + 24 * self.p
    }

    fn save(&self, out: &mut Vec<u64>) {
        out.push(self.pos as u64);
        for v in [self.rb, self.s1b, self.s2b, self.ra] {
            put_f(out, v);
        }
        put_fs(out, self.pos, self.cur[..self.pos].iter());
        put_fs(out, self.p, self.s1a.iter());
        put_fs(out, self.p, self.s2a.iter());
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        self.pos = r.count(self.p as u64 - 1)? as usize;
        self.rb = r.float()?;
        self.s1b = r.float()?;
        self.s2b = r.float()?;
        self.ra = r.float()?;
        let mut cur = Vec::new();
        r.floats(&mut cur, Some(self.pos), self.p)?;
        self.cur[..self.pos].copy_from_slice(&cur);
        r.floats(&mut self.s1a, Some(self.p), self.p)?;
        r.floats(&mut self.s2a, Some(self.p), self.p)
    }
}

/// `σ·k` from a variance (as the batch `stddev_one`): NaN for a non-finite
/// variance.
#[inline]
pub(crate) fn stddev_one(v: f64, k: f64) -> f64 {
    let clamped = if v > 0.0 { v } else { 0.0 };
    if v.is_finite() {
        clamped.sqrt() * k
    } else {
        f64::NAN
    }
}

/// Standard deviation, as [`crate::stddev`]: `sqrt(VAR(period))·nbdev`.
#[derive(Clone, Debug)]
pub struct Stddev {
    var: Var,
    nbdev: f64,
}

impl Stddev {
    /// A standard deviation over `period` bars times `nbdev`. Errors:
    /// `period` outside `2..=100000` → [`Error::InvalidPeriod`]; `nbdev`
    /// not finite → [`Error::InvalidParameter`].
    pub fn new(period: usize, nbdev: f64) -> Result<Self> {
        check_period("period", period, 2, MAX_PERIOD)?;
        check_nbdev("nbdev", nbdev)?;
        Ok(Stddev {
            var: Var::unchecked(period),
            nbdev,
        })
    }
}

impl Stream for Stddev {
    type Input = f64;
    type Output = f64;

    #[inline]
    fn push(&mut self, x: f64) -> f64 {
        stddev_one(self.var.push_raw(x), self.nbdev)
    }

    #[inline]
    fn peek(&self, x: f64) -> f64 {
        stddev_one(self.var.peek_raw(x), self.nbdev)
    }

    fn reset(&mut self) {
        self.var.reset();
    }

    fn lookback(&self) -> usize {
        self.var.lookback()
    }

    fn memory_bytes(&self) -> usize {
        self.var.memory_bytes() + 8
    }

    fn save(&self, out: &mut Vec<u64>) {
        self.var.save(out);
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        self.var.load(r)
    }
}

/// One bar of Bollinger Bands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandsValue {
    /// `middle + nbdev_up·σ`.
    pub upper: f64,
    /// The SMA.
    pub middle: f64,
    /// `middle − nbdev_dn·σ`.
    pub lower: f64,
}

/// Bollinger Bands, as [`crate::bbands`]: an [`Sma`] and the population
/// standard deviation of the same window.
#[derive(Clone, Debug)]
pub struct Bbands {
    sma: Sma,
    var: Var,
    up: f64,
    dn: f64,
}

impl Bbands {
    /// Bands over `period` bars. Errors: `period` outside `2..=100000` →
    /// [`Error::InvalidPeriod`]; a multiplier not finite →
    /// [`Error::InvalidParameter`].
    pub fn new(period: usize, nbdev_up: f64, nbdev_dn: f64) -> Result<Self> {
        check_period("period", period, 2, MAX_PERIOD)?;
        check_nbdev("nbdev_up", nbdev_up)?;
        check_nbdev("nbdev_dn", nbdev_dn)?;
        Ok(Bbands {
            sma: Sma::unchecked(period),
            var: Var::unchecked(period),
            up: nbdev_up,
            dn: nbdev_dn,
        })
    }

    #[inline]
    fn bands(&self, mean: f64, var: f64) -> BandsValue {
        bands_of(mean, var, self.up, self.dn)
    }
}

/// The bands from a window's mean and raw variance (the batch
/// `bands_one`): NaN lines unless both are finite.
#[inline]
pub(crate) fn bands_of(m: f64, var: f64, up: f64, dn: f64) -> BandsValue {
    if m.is_finite() && var.is_finite() {
        let sd = stddev_one(var, 1.0);
        BandsValue {
            upper: m + up * sd,
            middle: m,
            lower: m - dn * sd,
        }
    } else {
        BandsValue {
            upper: f64::NAN,
            middle: f64::NAN,
            lower: f64::NAN,
        }
    }
}

impl Stream for Bbands {
    type Input = f64;
    type Output = BandsValue;

    #[inline]
    fn push(&mut self, x: f64) -> BandsValue {
        let m = self.sma.sum.push(x) * self.sma.inv;
        let v = self.var.push_raw(x);
        self.bands(m, v)
    }

    #[inline]
    fn peek(&self, x: f64) -> BandsValue {
        let m = self.sma.sum.peek(x) * self.sma.inv;
        self.bands(m, self.var.peek_raw(x))
    }

    fn reset(&mut self) {
        self.sma.reset();
        self.var.reset();
    }

    fn lookback(&self) -> usize {
        self.var.lookback()
    }

    fn memory_bytes(&self) -> usize {
        self.sma.memory_bytes() + self.var.memory_bytes() + 16
    }

    fn save(&self, out: &mut Vec<u64>) {
        self.sma.save(out);
        self.var.save(out);
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        self.sma.load(r)?;
        self.var.load(r)
    }
}

/// Rolling extreme by a monotonic deque; `MAX` chooses the maximum.
#[derive(Clone, Debug)]
struct Extreme<const MAX: bool> {
    p: usize,
    /// Bars seen.
    count: u64,
    /// The last non-finite bar, if any.
    bad: Option<u64>,
    /// Candidates `(value, bar)`, bars ascending, values strictly
    /// decreasing (max) / increasing (min) from the front.
    deque: VecDeque<(f64, u64)>,
}

impl<const MAX: bool> Extreme<MAX> {
    fn new(p: usize) -> Self {
        Extreme {
            p,
            count: 0,
            bad: None,
            deque: VecDeque::with_capacity(p.min(1024)),
        }
    }

    /// Whether `new` displaces `old` (ties go to the newest bar).
    #[inline]
    fn beats(new: f64, old: f64) -> bool {
        if MAX { new >= old } else { new <= old }
    }

    /// Whether the window ending at bar `i` is complete and finite.
    #[inline]
    fn valid(&self, i: u64) -> bool {
        i + 1 >= self.p as u64 && self.bad.is_none_or(|b| i - b >= self.p as u64)
    }

    #[inline]
    fn push(&mut self, x: f64) -> (f64, usize) {
        let i = self.count;
        self.count += 1;
        if !x.is_finite() {
            self.bad = Some(i);
            self.deque.clear();
            return (f64::NAN, NO_INDEX);
        }
        while self.deque.back().is_some_and(|&(v, _)| Self::beats(x, v)) {
            self.deque.pop_back();
        }
        self.deque.push_back((x, i));
        while self
            .deque
            .front()
            .is_some_and(|&(_, b)| b + (self.p as u64) <= i)
        {
            self.deque.pop_front();
        }
        if !self.valid(i) {
            return (f64::NAN, NO_INDEX);
        }
        let (v, b) = self.deque[0];
        (v, b as usize)
    }

    #[inline]
    fn peek(&self, x: f64) -> (f64, usize) {
        let i = self.count;
        if !x.is_finite() || !self.valid(i) {
            return (f64::NAN, NO_INDEX);
        }
        let front = self
            .deque
            .iter()
            .find(|&&(_, b)| b + (self.p as u64) > i)
            .copied();
        match front {
            Some((v, b)) if !Self::beats(x, v) => (v, b as usize),
            _ => (x, i as usize),
        }
    }

    fn reset(&mut self) {
        self.count = 0;
        self.bad = None;
        self.deque.clear();
    }

    fn memory_bytes(&self) -> usize {
        core::mem::size_of::<Self>() + 16 * self.deque.capacity()
    }

    fn save(&self, out: &mut Vec<u64>) {
        out.push(self.count);
        match self.bad {
            Some(b) => out.extend([1, b]),
            None => out.extend([0, 0]),
        }
        out.push(self.deque.len() as u64);
        for &(v, b) in &self.deque {
            out.extend([v.to_bits(), b]);
        }
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        self.count = r.word()?;
        let has_bad = r.flag()?;
        let b = r.word()?;
        self.bad = has_bad.then_some(b);
        let n = r.count(self.p as u64)?;
        self.deque.clear();
        for _ in 0..n {
            let v = r.float()?;
            let b = r.word()?;
            self.deque.push_back((v, b));
        }
        Ok(())
    }
}

macro_rules! extreme {
    ($name:ident, $max:literal, $what:literal, $batch:literal) => {
        #[doc = concat!("Rolling ", $what, ", as [`crate::", $batch, "`]: the ", $what,
            " of the last `period` values (NaN during the warm-up and where the window holds a",
            " NaN or ±inf). Exact. A monotonic deque: each bar enters and leaves it once",
            " (O(1) amortized), at most `period` entries. [`", stringify!($name),
            "::push_indexed`] also gives the bar of the extreme (the newest on ties, as",
            " TA-Lib's index functions; counted from the first bar pushed).")]
        #[derive(Clone, Debug)]
        pub struct $name(Extreme<$max>);

        impl $name {
            /// A rolling extreme over `period` bars. Errors: `period`
            /// outside `2..=100000` → [`Error::InvalidPeriod`].
            pub fn new(period: usize) -> Result<Self> {
                check_period("period", period, 2, MAX_PERIOD)?;
                Ok($name(Extreme::new(period)))
            }

            /// [`Stream::push`], also returning the extreme's bar
            /// ([`NO_INDEX`] where the value is NaN).
            pub fn push_indexed(&mut self, x: f64) -> (f64, usize) {
                self.0.push(x)
            }

            /// [`Stream::peek`], also returning the extreme's bar.
            pub fn peek_indexed(&self, x: f64) -> (f64, usize) {
                self.0.peek(x)
            }
        }

        impl Stream for $name {
            type Input = f64;
            type Output = f64;

            #[inline]
            fn push(&mut self, x: f64) -> f64 {
                self.0.push(x).0
            }

            #[inline]
            fn peek(&self, x: f64) -> f64 {
                self.0.peek(x).0
            }

            fn reset(&mut self) {
                self.0.reset();
            }

            fn lookback(&self) -> usize {
                self.0.p - 1
            }

            fn memory_bytes(&self) -> usize {
                self.0.memory_bytes()
            }

            fn save(&self, out: &mut Vec<u64>) {
                self.0.save(out);
            }

            fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
                self.0.load(r)
            }
        }
    };
}

extreme!(Max, true, "maximum", "max()");
extreme!(Min, false, "minimum", "min()");

/// One bar of the stochastic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StochValue {
    /// Slow %K.
    pub k: f64,
    /// Slow %D.
    pub d: f64,
}

/// Stochastic oscillator, as [`crate::stoch`]: raw %K from the highest
/// high and lowest low of `fastk` bars (0 on a flat range), smoothed by an
/// SMA of `slowk` (slow %K) and again of `slowd` (slow %D). A bar with a
/// non-finite high, low or close makes both lines NaN while it is within
/// their span, as in batch.
#[derive(Clone, Debug)]
pub struct Stoch {
    hh: Extreme<true>,
    ll: Extreme<false>,
    k: Sma,
    d: Sma,
    lookback: usize,
}

/// Raw %K of one bar (the batch kernel's definition).
#[inline]
fn raw_k(c: f64, h: f64, l: f64) -> f64 {
    let range = h - l;
    let flat = range == 0.0;
    let num = if flat { 0.0 } else { c - l };
    let den = if flat { 1.0 } else { range / 100.0 };
    num / den
}

impl Stoch {
    /// A stochastic of periods `fastk`, `slowk`, `slowd`. Errors: any
    /// period outside `1..=100000` → [`Error::InvalidPeriod`].
    pub fn new(fastk: usize, slowk: usize, slowd: usize) -> Result<Self> {
        let lookback = crate::stoch_lookback(fastk, slowk, slowd)?;
        Ok(Stoch {
            hh: Extreme::new(fastk),
            ll: Extreme::new(fastk),
            k: Sma::unchecked(slowk),
            d: Sma::unchecked(slowd),
            lookback,
        })
    }

    #[inline]
    fn finish(k: f64, d: f64) -> StochValue {
        if k.is_finite() && d.is_finite() {
            StochValue { k, d }
        } else {
            StochValue {
                k: f64::NAN,
                d: f64::NAN,
            }
        }
    }
}

impl Stream for Stoch {
    type Input = Hlc;
    type Output = StochValue;

    #[inline]
    fn push(&mut self, b: Hlc) -> StochValue {
        let ok = b.is_finite();
        let nan = f64::NAN;
        let h = self.hh.push(if ok { b.high } else { nan }).0;
        let l = self.ll.push(if ok { b.low } else { nan }).0;
        let raw = if h.is_finite() && l.is_finite() {
            raw_k(b.close, h, l)
        } else {
            nan
        };
        let k = self.k.push(raw);
        let d = self.d.push(k);
        Self::finish(k, d)
    }

    #[inline]
    fn peek(&self, b: Hlc) -> StochValue {
        let ok = b.is_finite();
        let nan = f64::NAN;
        let h = self.hh.peek(if ok { b.high } else { nan }).0;
        let l = self.ll.peek(if ok { b.low } else { nan }).0;
        let raw = if h.is_finite() && l.is_finite() {
            raw_k(b.close, h, l)
        } else {
            nan
        };
        let k = self.k.peek(raw);
        let d = self.d.peek(k);
        Self::finish(k, d)
    }

    fn reset(&mut self) {
        self.hh.reset();
        self.ll.reset();
        self.k.reset();
        self.d.reset();
    }

    fn lookback(&self) -> usize {
        self.lookback
    }

    fn memory_bytes(&self) -> usize {
        self.hh.memory_bytes()
            + self.ll.memory_bytes()
            + self.k.memory_bytes()
            + self.d.memory_bytes()
            + 8
    }

    fn save(&self, out: &mut Vec<u64>) {
        self.hh.save(out);
        self.ll.save(out);
        self.k.save(out);
        self.d.save(out);
    }

    fn load(&mut self, r: &mut StateReader<'_>) -> Result<()> {
        self.hh.load(r)?;
        self.ll.load(r)?;
        self.k.load(r)?;
        self.d.load(r)
    }
}
