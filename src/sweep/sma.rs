//! SMA over many periods from one set of dyadic block sums.
//!
//! # Algorithm
//!
//! Write `S_k(j)` for the sum of the `2^k` values ending at bar `j`
//! (`S_0 = x`), built level by level as a balanced tree:
//! `S_k(j) = S_{k−1}(j − 2^{k−1}) + S_{k−1}(j)`. A window of `p` values
//! ending at `t` is cut, from its newest end, into one power-of-two block
//! per set bit of `p`, largest first (`p = 20 = 16 + 4`: `S_4(t)` and
//! `S_2(t − 16)`), and summed in that order:
//! `((S_{k1}(t) + S_{k2}(t − 2^{k1})) + S_{k3}(…)) + …`, then multiplied
//! by `1/p`. That is exactly the tree of the single-period kernel's
//! *doubling* path ([`crate::kernels::rolling_sum`], periods 9..=31), so
//! for those periods the sweep equals [`crate::sma`] **bit for bit**.
//!
//! The rows are not assembled term by term: the periods (and the
//! prefixes of their bits) form a tree whose node `p` has parent
//! `p − lowbit(p)`, and the raw sum of `p` is its parent's raw sum plus
//! one level term, exactly the partial sum the order above produces, so
//! for a contiguous period range each output costs one addition and one
//! product.
//!
//! The levels `S_1 ..= S_L` (`L = ⌊log₂ max p⌋`) are shared by every
//! period: one addition per level per bar, then `popcount(p) − 1`
//! additions (at most; one along the prefix tree) and one product per
//! output. The work goes block by block of
//! bars: for bars `b0..b1` the levels of the new bars are computed and
//! those of the `max p − 1` bars before are kept (one addition per level
//! per bar in all), so the working set is at most `2·L·(max p + block)`
//! values whatever the series' length, and every output is a pure function
//! of its own window (the blocking does not change a single bit).
//!
//! # Error bound
//!
//! Every output is a sum of its window's values along a binary tree of
//! depth at most `2·⌊log₂ p⌋ + 1 <= 34` (for `p <= 100000`), each partial
//! sum holding only values of the window. So for a finite window `W`,
//! with `A = Σ_W |x|`, against the exactly rounded `fsum(W)/p`:
//!
//! > `|out − fsum(W)/p| <= 1e-13 · mean(|x| over W) + 2⁻¹⁰⁷⁴`
//!
//! (`(34 + 4)·2⁻⁵³ < 1e-13`), the same bound as [`crate::sma`], and like
//! it local: no drift along the series, no dependence on earlier levels.
//!
//! # NaN
//!
//! As [`crate::sma`]: outputs whose window holds a NaN or ±inf are NaN
//! (non-finite sums are replaced by NaN), and the outputs are accurate
//! again once the value has left the window; the first `p − 1` outputs
//! are NaN, all of them if `p > n`.
//!
//! # Backends
//!
//! The additions are element-wise, in the same order on every backend, so
//! results are **bit-identical across backends**. `Scalar` and `Portable`
//! run the code compiled for the baseline target (the compiler may
//! vectorize it with SSE2); `Avx2` runs the same code compiled with AVX2
//! enabled (4 lanes).

use crate::Backend;
use crate::error::{Result, check_len, check_period};

use super::check_periods;

/// Bars per block of [`sma_sweep_into`] (at least `max p`, rounded up to
/// 64).
const BLOCK: usize = 1024;

/// The level sums of one block of bars.
pub(crate) struct Dyadic<'a> {
    x: &'a [f64],
    /// `max p − 1`: the bars before a block its windows reach.
    hist: usize,
    /// Highest level needed, `⌊log₂ max p⌋`.
    top: usize,
    /// Capacity of each level buffer: `hist + block`.
    cap: usize,
    /// Levels `1..=top`, `cap` values each; index `r` is bar `lo + r`.
    lev: Vec<f64>,
    /// Absolute bar of relative index 0 of the current block.
    lo: usize,
    /// Relative length of the current block (`b1 − lo`).
    len: usize,
    /// Absolute end of the bars whose level sums are computed.
    done: usize,
}

/// `⌊log₂ p⌋` for `p >= 1`.
#[inline(always)]
fn log2(p: usize) -> usize {
    (usize::BITS - 1 - p.leading_zeros()) as usize
}

impl<'a> Dyadic<'a> {
    /// For periods up to `max_p` and blocks of at most `block` bars.
    pub(crate) fn new(x: &'a [f64], max_p: usize, block: usize) -> Self {
        let hist = max_p - 1;
        let top = log2(max_p);
        // Room for two windows' worth, so the kept history is shifted to
        // the front only once every `(hist + block) / block` blocks.
        let cap = 2 * (hist + block);
        Dyadic {
            x,
            hist,
            top,
            cap,
            lev: vec![0.0; top * cap],
            lo: 0,
            len: 0,
            done: 0,
        }
    }

    /// Level `k` of the current block (relative indices).
    #[inline(always)]
    fn level(&self, k: usize) -> &[f64] {
        if k == 0 {
            &self.x[self.lo..self.lo + self.len]
        } else {
            &self.lev[(k - 1) * self.cap..][..self.len]
        }
    }

    /// Computes the levels for bars `b0..b1` (`b1 − b0 <= block`). When
    /// the block follows the previous one (`b0` = its `b1`), the levels
    /// already computed are kept (shifted to the front of the buffers when
    /// they are full) and only the new bars' are computed: the cost is
    /// one addition per level per bar however long the periods are. The
    /// values do not depend on this (each is the same tree of additions).
    #[inline(always)]
    pub(crate) fn prepare(&mut self, b0: usize, b1: usize) {
        let from = if b0 != self.done || self.len == 0 {
            self.lo = b0.saturating_sub(self.hist);
            self.lo
        } else {
            if b1 - self.lo > self.cap {
                let lo = b0.saturating_sub(self.hist);
                let (d, keep) = (lo - self.lo, self.done - lo);
                for k in 0..self.top {
                    let l = &mut self.lev[k * self.cap..][..self.cap];
                    l.copy_within(d..d + keep, 0);
                }
                self.lo = lo;
            }
            self.done
        };
        self.len = b1 - self.lo;
        self.done = b1;
        debug_assert!(self.len <= self.cap);
        let len = self.len;
        let from = from - self.lo;
        let x = &self.x[self.lo..b1];
        for k in 1..=self.top {
            let h = 1usize << (k - 1);
            let start = from.max(h);
            if start >= len {
                continue;
            }
            let (prev_all, cur_all) = self.lev.split_at_mut((k - 1) * self.cap);
            let prev: &[f64] = if k == 1 {
                x
            } else {
                &prev_all[(k - 2) * self.cap..][..len]
            };
            let cur = &mut cur_all[start..len];
            let (olds, news) = (&prev[start - h..len - h], &prev[start..len]);
            for ((c, &old), &new) in cur.iter_mut().zip(olds).zip(news) {
                *c = old + new;
            }
        }
    }

    /// The SMA of every period of `plan` for bars `b0 .. b0 + m` of the
    /// prepared block: `outs[j]` (`m` values) receives period `j` of the
    /// list the plan was built from. `stack` holds [`Plan::stack_len`]`(m')`
    /// values for some `m' >= m` (the raw sums of the current path).
    ///
    /// The nodes are visited in ascending order; a node `p` with lowest
    /// set bit `2^k` and parent `q = p − 2^k` gets its raw sum as
    /// `raw(q) + S_k(t − q)`, which is the `((S_{k1} + S_{k2}) + …)` order
    /// of the module docs, one addition per node and bar. Every node
    /// visited between `q` and `p` has more set bits than `q`, so the raw
    /// sum of `q` is still in its depth's slot of `stack`.
    #[inline(always)]
    pub(crate) fn rows(
        &self,
        plan: &Plan,
        b0: usize,
        m: usize,
        stack: &mut [f64],
        outs: &mut [&mut [f64]],
    ) {
        let b1 = b0 + m;
        let sw = stack.len() / plan.depths;
        let finish = |v: f64, inv: f64| {
            let r = v * inv;
            if r.is_finite() { r } else { f64::NAN }
        };
        for node in &plan.nodes {
            let p = node.p;
            let js = &plan.js[node.a..node.z];
            let start = b0.max(p - 1);
            if start >= b1 {
                for &j in js {
                    outs[j][..m].fill(f64::NAN);
                }
                continue;
            }
            let s = start - b0;
            let len = m - s;
            let r0 = start - self.lo;
            let d = p.count_ones() as usize - 1;
            let k = p.trailing_zeros() as usize;
            let q = p - (1 << k);
            let inv = 1.0 / p as f64;
            let term = &self.level(k)[r0 - q..][..len];
            if d == 0 {
                for &j in js {
                    let o = &mut outs[j][..m];
                    o[..s].fill(f64::NAN);
                    for (v, &t) in o[s..].iter_mut().zip(term) {
                        *v = finish(t, inv);
                    }
                }
                continue;
            }
            let (below, here) = stack.split_at_mut(d * sw);
            let raw = &mut here[s..m];
            let parent: &[f64] = if d == 1 {
                &self.level(log2(q))[r0..][..len]
            } else {
                &below[(d - 1) * sw..][s..m]
            };
            if node.kids {
                for ((r, &a), &t) in raw.iter_mut().zip(parent).zip(term) {
                    *r = a + t;
                }
                for &j in js {
                    let o = &mut outs[j][..m];
                    o[..s].fill(f64::NAN);
                    for (v, &r) in o[s..].iter_mut().zip(raw.iter()) {
                        *v = finish(r, inv);
                    }
                }
            } else {
                for &j in js {
                    let o = &mut outs[j][..m];
                    o[..s].fill(f64::NAN);
                    for ((v, &a), &t) in o[s..].iter_mut().zip(parent).zip(term) {
                        *v = finish(a + t, inv);
                    }
                }
            }
        }
    }
}

/// One node of a [`Plan`]: a period of the sweep or a prefix of one (a
/// period with some of its lowest set bits cleared).
struct Node {
    p: usize,
    /// `js[a..z]`: the output rows of period `p` (empty for a pure prefix).
    a: usize,
    z: usize,
    /// Whether another node has `p` as its parent (then its raw sum is
    /// kept on the stack).
    kids: bool,
}

/// The periods of a sweep as a prefix tree over their bits, largest bit
/// first: the parent of `p` is `p` with its lowest set bit cleared, the
/// roots are powers of two (whose raw sums are the levels themselves).
/// For periods `2..=200` every prefix is itself a period, so each row
/// costs one addition and one product per bar whatever `popcount(p)`.
pub(crate) struct Plan {
    nodes: Vec<Node>,
    js: Vec<usize>,
    /// `1 + max depth`, depth = `popcount(p) − 1`.
    depths: usize,
}

impl Plan {
    /// The plan of `periods` (each `>= 1`), rows numbered by position.
    pub(crate) fn new(periods: &[usize]) -> Plan {
        let mut pj: Vec<(usize, usize)> = periods.iter().copied().zip(0..).collect();
        pj.sort_unstable();
        let mut all = Vec::new();
        for &p in periods {
            let mut q = p;
            while q != 0 {
                all.push(q);
                q &= q - 1;
            }
        }
        all.sort_unstable();
        all.dedup();
        let mut nodes: Vec<Node> = all
            .iter()
            .map(|&p| Node {
                p,
                a: pj.partition_point(|&(x, _)| x < p),
                z: pj.partition_point(|&(x, _)| x <= p),
                kids: false,
            })
            .collect();
        for i in 0..nodes.len() {
            let p = nodes[i].p;
            if p & (p - 1) != 0
                && let Ok(at) = all.binary_search(&(p & (p - 1)))
            {
                nodes[at].kids = true;
            }
        }
        let depths = all
            .iter()
            .map(|p| p.count_ones() as usize)
            .max()
            .unwrap_or(1);
        Plan {
            nodes,
            js: pj.iter().map(|&(_, j)| j).collect(),
            depths,
        }
    }

    /// Values of the stack [`Dyadic::rows`] needs for blocks of `block`
    /// bars.
    pub(crate) fn stack_len(&self, block: usize) -> usize {
        self.depths * block
    }
}

/// [`Dyadic::rows`] compiled with AVX2 enabled.
///
/// A closure handed to [`drive_avx2`] is compiled for the baseline target
/// (closures do not inherit target features, and the call is not inlined),
/// so the rows are computed through this function rather than in the
/// closure's own code.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn rows_avx2(
    dy: &Dyadic<'_>,
    plan: &Plan,
    b0: usize,
    m: usize,
    stack: &mut [f64],
    outs: &mut [&mut [f64]],
) {
    dy.rows(plan, b0, m, stack, outs)
}

/// [`Dyadic::rows`] on `backend`: AVX2 code (4 lanes) when the backend is
/// `Avx2`, else the baseline build. Same values either way (the additions
/// are element-wise, in the same order).
#[inline(always)]
pub(crate) fn rows_on(
    backend: Backend,
    dy: &Dyadic<'_>,
    plan: &Plan,
    b0: usize,
    m: usize,
    stack: &mut [f64],
    outs: &mut [&mut [f64]],
) {
    #[cfg(target_arch = "x86_64")]
    if backend == Backend::Avx2 && crate::dispatch::Avx2Fma::is_available() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above), which
        // is all `rows_avx2`'s target features require.
        unsafe { rows_avx2(dy, plan, b0, m, stack, outs) };
        return;
    }
    let _ = backend;
    dy.rows(plan, b0, m, stack, outs)
}
/// Runs `f(b0, b1, levels)` for consecutive blocks of `block` bars.
#[inline(always)]
fn drive<F: FnMut(usize, usize, &Dyadic<'_>)>(dy: &mut Dyadic<'_>, block: usize, mut f: F) {
    let n = dy.x.len();
    let mut b0 = 0;
    while b0 < n {
        let b1 = (b0 + block).min(n);
        dy.prepare(b0, b1);
        f(b0, b1, dy);
        b0 = b1;
    }
}

/// [`drive`] compiled with AVX2 enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn drive_avx2<F: FnMut(usize, usize, &Dyadic<'_>)>(dy: &mut Dyadic<'_>, block: usize, f: F) {
    drive(dy, block, f)
}

/// [`drive`] on `backend` (already checked available).
pub(crate) fn drive_on<F: FnMut(usize, usize, &Dyadic<'_>)>(
    backend: Backend,
    dy: &mut Dyadic<'_>,
    block: usize,
    f: F,
) {
    #[cfg(target_arch = "x86_64")]
    if backend == Backend::Avx2 && crate::dispatch::Avx2Fma::is_available() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above), which
        // is all `drive_avx2`'s target features require.
        unsafe { drive_avx2(dy, block, f) };
        return;
    }
    let _ = backend;
    drive(dy, block, f)
}

/// SMA of `x` for every period of `periods`, in order: `out[j]` equals
/// [`crate::sma`]`(x, periods[j])` within the bound of the [module
/// docs](self) (bit-identical for periods 9..=31).
///
/// Errors: empty `periods` → [`InvalidPeriod`](crate::Error::InvalidPeriod)
/// named `"periods.len()"`; a period outside `1..=100000` →
/// `InvalidPeriod` named `"period"`.
pub fn sma_sweep(x: &[f64], periods: &[usize]) -> Result<Vec<Vec<f64>>> {
    // One `vec!` per row (zeroed pages from the allocator, no clone).
    let mut store: Vec<Vec<f64>> = periods.iter().map(|_| vec![0.0; x.len()]).collect();
    let mut outs: Vec<&mut [f64]> = store.iter_mut().map(|v| v.as_mut_slice()).collect();
    sma_sweep_into(x, periods, &mut outs)?;
    Ok(store)
}

/// [`sma_sweep`] into the caller's buffers: `outs[j]` (of `x.len()`
/// values) receives the SMA of period `periods[j]`.
///
/// Errors: as [`sma_sweep`], plus `outs.len() != periods.len()` or a
/// buffer of another length than `x` → [`LengthMismatch`](crate::Error::LengthMismatch).
pub fn sma_sweep_into(x: &[f64], periods: &[usize], outs: &mut [&mut [f64]]) -> Result<()> {
    check_periods("periods.len()", "period", periods, 1)?;
    check_len("outs", periods.len(), outs.len())?;
    for o in outs.iter() {
        check_len("outs[j]", x.len(), o.len())?;
    }
    let backend = Backend::active();
    backend.check()?;
    let max_p = periods.iter().copied().max().unwrap_or(1);
    let block = BLOCK.max(max_p.next_multiple_of(64));
    let mut dy = Dyadic::new(x, max_p, block);
    let plan = Plan::new(periods);
    let mut stack = vec![0.0; plan.stack_len(block)];
    drive_on(backend, &mut dy, block, |b0, b1, dy| {
        let mut sub: Vec<&mut [f64]> = outs.iter_mut().map(|o| &mut o[b0..b1]).collect();
        rows_on(backend, dy, &plan, b0, b1 - b0, &mut stack, &mut sub);
    });
    Ok(())
}

/// One block of bars of an SMA sweep: the SMA of every period for bars
/// `start .. start + len`.
#[derive(Clone, Copy, Debug)]
pub struct SmaBlock<'a> {
    /// The first bar of the block.
    pub start: usize,
    /// The number of bars in the block.
    pub len: usize,
    rows: &'a [f64],
    stride: usize,
}

impl<'a> SmaBlock<'a> {
    /// The SMA of the `j`-th period of the sweep for this block's bars
    /// (`len` values: bar `start + i` at index `i`). Panics if `j` is not
    /// an index of the period list.
    pub fn row(&self, j: usize) -> &'a [f64] {
        &self.rows[j * self.stride..][..self.len]
    }

    /// The number of rows (periods).
    pub fn rows(&self) -> usize {
        self.rows.len() / self.stride.max(1)
    }
}

/// The SMA sweep of [`sma_sweep`] handed out block by block of
/// `block_len` bars (the last block may be shorter), in order, without
/// materializing `periods × n` values: `f` sees one [`SmaBlock`] whose
/// rows (one per period, in order) are the same values [`sma_sweep`]
/// returns for those bars. The working set is about
/// `(periods + log₂ max p)·(block_len + max p)` values, so a consumer that
/// reduces each block (comparisons, statistics) runs from cache.
///
/// Errors: as [`sma_sweep`], plus `block_len == 0` →
/// [`InvalidPeriod`](crate::Error::InvalidPeriod) named `"block_len"`.
pub fn sma_sweep_blocks(
    x: &[f64],
    periods: &[usize],
    block_len: usize,
    mut f: impl FnMut(SmaBlock<'_>),
) -> Result<()> {
    check_periods("periods.len()", "period", periods, 1)?;
    check_period("block_len", block_len, 1, usize::MAX)?;
    let backend = Backend::active();
    backend.check()?;
    let max_p = periods.iter().copied().max().unwrap_or(1);
    let stride = block_len;
    let mut rows = vec![0.0; periods.len() * stride];
    let mut dy = Dyadic::new(x, max_p, block_len);
    let plan = Plan::new(periods);
    let mut stack = vec![0.0; plan.stack_len(block_len)];
    drive_on(backend, &mut dy, block_len, |b0, b1, dy| {
        let m = b1 - b0;
        let mut sub: Vec<&mut [f64]> = rows.chunks_mut(stride).collect();
        rows_on(backend, dy, &plan, b0, m, &mut stack, &mut sub);
        drop(sub);
        f(SmaBlock {
            start: b0,
            len: m,
            rows: &rows,
            stride,
        });
    });
    Ok(())
}
