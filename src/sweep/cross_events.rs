//! The event-driven form of the cross sweep: the SMA values of all the
//! sweep's periods kept in sorted order from bar to bar, each crossing
//! found as one step of an insertion sort.
//!
//! # Why it is exact
//!
//! Order the periods valid (not NaN) at a bar by the key `(value, row)`,
//! where rows are the distinct periods in ascending order, so a smaller
//! row is a shorter period. For rows `f < s` the key puts `f` below `s`
//! iff `value(f) <= value(s)` (a tie goes to the shorter period), and `f`
//! above `s` iff `value(f) > value(s)`. So `SMA(f)` crosses above
//! `SMA(s)` at bar `i` (`a[i] > b[i] && a[i−1] <= b[i−1]`, both valid at
//! `i − 1` and `i`) iff `f` is below `s` in the order of bar `i − 1` and
//! above it in the order of bar `i`: exactly the pairs of rows whose
//! relative order the two keys invert, with the shorter period moving up.
//!
//! Insertion sort of the order of bar `i − 1` under the keys of bar `i`
//! swaps every inverted pair exactly once and no other (the keys are
//! distinct, so every comparison is strict). Each swap where the element
//! moving down has the longer period is therefore one cross above of the
//! pair (shorter, longer), and nothing else is. Periods that are NaN at
//! `i` leave the order before the sort; periods that become valid at `i`
//! join it after the sort, without events (a cross needs both bars). The
//! comparisons are the same IEEE `<`/`==` on the same values the pair loop
//! compares, so the result is bit-identical to it.
//!
//! # Cost
//!
//! Per bar: one pass over the valid periods (refresh the values, check
//! order) plus one step per swap (crossings in either direction) and one
//! table look-up per swap; per crossing above of a swept pair, one count
//! and (masks) one bit. Independent of the number of pairs otherwise,
//! unlike the pair loop's `pairs × bars` comparisons.
//!
//! # Blocks and threads
//!
//! The SMA rows come from the sweep's dyadic sums ([`super::sma`]) in
//! blocks of [`BLOCK`] bars. A range of bars `c0..c1` is independent of
//! the others: its order is sorted afresh from the values of bar
//! `c0 − 1` (recomputed from a slice of `x` starting early enough for the
//! longest window, which gives the same values: each SMA output is a pure
//! function of its window), so ranges can run on different threads and
//! the results equal the serial run's.

use crate::Backend;

use super::sma::{Dyadic, Plan, drive_on, rows_on};

/// Bars per block of SMA rows (the `rows × BLOCK` values, 400 KB for 199
/// periods, stay in L2).
const BLOCK: usize = 256;

/// Row stride of the block buffer: `BLOCK` plus one cache line, so the
/// rows do not all map to the same few L1 sets (a bar's values are read
/// across all rows).
const STRIDE: usize = BLOCK + 8;

/// No swept pair in this cell of [`Table::canon`].
const NONE: u32 = u32::MAX;

/// The rows and pairs of an event-driven sweep.
pub(super) struct Table {
    /// Distinct periods, ascending; row `r` is `periods[r]`.
    pub(super) periods: Vec<usize>,
    /// Cell `f_row * nr + s_row` → the first pair with those periods, or
    /// [`NONE`].
    canon: Vec<u32>,
    /// The cell of each pair.
    cells: Vec<usize>,
}

impl Table {
    /// The table of `pairs` (non-empty, each `f < s`, fewer than
    /// `u32::MAX`).
    pub(super) fn new(pairs: &[(usize, usize)]) -> Table {
        let mut periods: Vec<usize> = pairs.iter().flat_map(|&(f, s)| [f, s]).collect();
        periods.sort_unstable();
        periods.dedup();
        let nr = periods.len();
        let row = |p: usize| periods.binary_search(&p).unwrap_or(0);
        let mut canon = vec![NONE; nr * nr];
        let cells: Vec<usize> = pairs.iter().map(|&(f, s)| row(f) * nr + row(s)).collect();
        for (k, &c) in cells.iter().enumerate().rev() {
            canon[c] = u32::try_from(k).unwrap_or(NONE);
        }
        Table {
            periods,
            canon,
            cells,
        }
    }

    /// The canonical pair of pair `k` (the first with the same periods).
    pub(super) fn canonical(&self, k: usize) -> usize {
        self.canon[self.cells[k]] as usize
    }
}

/// One valid period in the sorted order.
#[derive(Clone, Copy)]
struct Entry {
    v: f64,
    row: u32,
}

/// `a` before `b` in the order of the module docs: by value, ties by row.
#[inline(always)]
fn below(a: Entry, b: Entry) -> bool {
    a.v < b.v || (a.v == b.v && a.row < b.row)
}

/// The sorted order of the valid periods at the current bar, and the rows
/// not in it (NaN at the current bar).
struct Order {
    sorted: Vec<Entry>,
    out: Vec<u32>,
}

impl Order {
    /// The order of the bar at column `c` of `rows` (`nr` rows of `stride`).
    fn new(rows: &[f64], stride: usize, nr: usize, c: usize) -> Order {
        let mut sorted = Vec::with_capacity(nr);
        let mut out = Vec::new();
        for r in 0..nr {
            let v = rows[r * stride + c];
            if v.is_nan() {
                out.push(r as u32);
            } else {
                sorted.push(Entry { v, row: r as u32 });
            }
        }
        // Values are not NaN, so `partial_cmp` is total here (and treats
        // ±0 as equal, like `below`).
        sorted.sort_unstable_by(|a, b| {
            a.v.partial_cmp(&b.v)
                .unwrap_or(core::cmp::Ordering::Equal)
                .then(a.row.cmp(&b.row))
        });
        Order { sorted, out }
    }

    /// Moves to the bar at column `c`, writing `f_row * nr + s_row` to
    /// `events` for every cross above (`f_row < s_row`) and returning
    /// their number; `events` has room for `nr·(nr − 1)/2 + 1` (one more
    /// than the swaps one bar can take).
    #[inline(always)]
    fn step(&mut self, rows: &[f64], stride: usize, c: usize, nr: usize, buf: &mut [u32]) -> usize {
        let sorted = &mut self.sorted;
        // New values; NaN leaves the order.
        let mut len = 0;
        for j in 0..sorted.len() {
            let row = sorted[j].row;
            let v = rows[row as usize * stride + c];
            if v.is_nan() {
                self.out.push(row);
            } else {
                sorted[len] = Entry { v, row };
                len += 1;
            }
        }
        sorted.truncate(len);
        // Insertion sort: one swap per inverted pair. Every swap writes a
        // cell; only crosses above advance the count (no branch).
        let last = buf.len() - 1;
        let mut ne = 0usize;
        let nr32 = nr as u32;
        for j in 1..len {
            let e = sorted[j];
            if !below(e, sorted[j - 1]) {
                continue;
            }
            let mut k = j;
            while k > 0 && below(e, sorted[k - 1]) {
                let g = sorted[k - 1];
                buf[ne.min(last)] = g.row.wrapping_mul(nr32).wrapping_add(e.row);
                ne += usize::from(g.row < e.row);
                sorted[k] = g;
                k -= 1;
            }
            sorted[k] = e;
        }
        // Rows valid again join without events.
        if !self.out.is_empty() {
            let mut i = 0;
            while i < self.out.len() {
                let row = self.out[i];
                let v = rows[row as usize * stride + c];
                if v.is_nan() {
                    i += 1;
                    continue;
                }
                self.out.swap_remove(i);
                let e = Entry { v, row };
                let at = sorted.partition_point(|&g| below(g, e));
                sorted.insert(at, e);
            }
        }
        ne
    }
}

/// The crosses of bars `c0..c1` (`c0` a multiple of 64, `c0 < c1 <=
/// x.len()`): `counts[k]` is incremented for every cross of canonical pair
/// `k` (pair order) and, if `MASKS`, its bit is set in `words[k]`, which
/// holds the pair's mask words from word `c0 / 64` on.
pub(super) fn run_range<const MASKS: bool>(
    backend: Backend,
    x: &[f64],
    table: &Table,
    c0: usize,
    c1: usize,
    counts: &mut [u64],
    words: &mut [&mut [u64]],
) {
    let nr = table.periods.len();
    let max_p = table.periods[nr - 1];
    // The order starts at bar `v0` (no cross can be at bar 0).
    let v0 = c0.saturating_sub(1);
    let s = v0.saturating_sub(max_p - 1);
    let xs = &x[s..c1];
    let plan = Plan::new(&table.periods);
    let mut stack = vec![0.0; plan.stack_len(BLOCK)];
    let mut rows = vec![0.0; nr * STRIDE];
    let mut events = vec![0u32; nr * (nr - 1) / 2 + 1];
    let mut dy = Dyadic::new(xs, max_p, BLOCK);
    let mut order: Option<Order> = None;
    let w0 = c0 / 64;
    let canon = table.canon.as_slice();
    // Masks: the current word of every pair, written out once per 64 bars
    // (setting bits straight in the masks costs a TLB miss per cross).
    let mut cur = vec![0u64; if MASKS { counts.len() } else { 0 }];
    let mut cur_w = 0usize;
    let flush = |cur: &mut [u64], words: &mut [&mut [u64]], w: usize| {
        for (k, c) in cur.iter_mut().enumerate() {
            if *c != 0 {
                words[k][w] = *c;
                *c = 0;
            }
        }
    };
    drive_on(backend, &mut dy, BLOCK, |b0, b1, dy| {
        let (g0, g1) = (s + b0, s + b1);
        if g1 <= v0 {
            return;
        }
        let m = b1 - b0;
        let mut sub: Vec<&mut [f64]> = rows.chunks_mut(STRIDE).collect();
        rows_on(backend, dy, &plan, b0, m, &mut stack, &mut sub);
        drop(sub);
        for t in g0.max(v0)..g1 {
            let c = t - g0;
            let Some(o) = order.as_mut() else {
                order = Some(Order::new(&rows, STRIDE, nr, c));
                continue;
            };
            let (w, bit) = ((t >> 6) - w0, 1u64 << (t & 63));
            if MASKS && w != cur_w {
                flush(&mut cur, words, cur_w);
                cur_w = w;
            }
            let ne = o.step(&rows, STRIDE, c, nr, &mut events);
            for &cell in &events[..ne] {
                let k = canon[cell as usize];
                if k != NONE {
                    let k = k as usize;
                    counts[k] += 1;
                    if MASKS {
                        cur[k] |= bit;
                    }
                }
            }
        }
    });
    if MASKS {
        flush(&mut cur, words, cur_w);
    }
}
