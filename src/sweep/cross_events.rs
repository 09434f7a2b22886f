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

/// Mask words (of 64 bars) gathered per pair before they are written
/// out: each write is then one run of 8 words (a cache line) per mask
/// instead of 8 single words, each to another page (a TLB miss apiece;
/// this was the largest cost of writing masks).
const GROUP: usize = 8;

/// Sentinel entries before the sorted order (value `−∞`, below every
/// SMA value, which is finite or NaN), so that the 4-wide windows of the
/// AVX2 insertion step never read before the buffer.
const PAD: usize = 4;

/// The cell of the row pair `(f, s)`, `f < s`: `s·(s − 1)/2 + f`, a
/// triangular index (one cell per unordered pair of rows).
#[inline(always)]
fn cell(f: usize, s: usize) -> usize {
    s * (s - 1) / 2 + f
}

/// The rows and pairs of an event-driven sweep.
pub(super) struct Table {
    /// Distinct periods, ascending; row `r` is `periods[r]`.
    pub(super) periods: Vec<usize>,
    /// Cell (see [`cell`]) → the first pair with those periods, or
    /// [`NONE`].
    canon: Vec<u32>,
    /// The cell of each pair.
    cells: Vec<usize>,
    /// `(pair, cell)` of every canonical pair (the first of its cell).
    firsts: Vec<(usize, usize)>,
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
        let mut canon = vec![NONE; cell(0, nr)];
        let cells: Vec<usize> = pairs.iter().map(|&(f, s)| cell(row(f), row(s))).collect();
        for (k, &c) in cells.iter().enumerate().rev() {
            canon[c] = u32::try_from(k).unwrap_or(NONE);
        }
        let firsts = cells
            .iter()
            .enumerate()
            .filter(|&(k, &c)| canon[c] as usize == k)
            .map(|(k, &c)| (k, c))
            .collect();
        Table {
            periods,
            canon,
            cells,
            firsts,
        }
    }

    /// The canonical pair of pair `k` (the first with the same periods).
    pub(super) fn canonical(&self, k: usize) -> usize {
        self.canon[self.cells[k]] as usize
    }
}

/// `(av, ar)` before `(bv, br)` in the order of the module docs: by value,
/// ties by row.
#[inline(always)]
fn below(av: f64, ar: u32, bv: f64, br: u32) -> bool {
    av < bv || (av == bv && ar < br)
}

/// The sorted order of the valid periods at the current bar (values and
/// rows side by side, after [`PAD`] sentinels), and the rows not in it
/// (NaN at the current bar).
struct Order {
    v: Vec<f64>,
    r: Vec<u32>,
    out: Vec<u32>,
    /// Candidate movers of the current step, one bit per position.
    movers: Vec<u64>,
    /// `tri[s] = cell(0, s)`.
    tri: Vec<u32>,
    /// Whether the AVX2 insertion step may run.
    avx2: bool,
}

impl Order {
    /// The order of the bar at column `c` of `rows` (`nr` rows of `stride`).
    fn new(rows: &[f64], stride: usize, nr: usize, c: usize, avx2: bool) -> Order {
        let mut sorted = Vec::with_capacity(nr);
        let mut out = Vec::new();
        for r in 0..nr {
            let v = rows[r * stride + c];
            if v.is_nan() {
                out.push(r as u32);
            } else {
                sorted.push((v, r as u32));
            }
        }
        // Values are not NaN, so `partial_cmp` is total here (and treats
        // ±0 as equal, like `below`).
        sorted.sort_unstable_by(|a, b| {
            a.0.partial_cmp(&b.0)
                .unwrap_or(core::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
        let mut v = vec![f64::NEG_INFINITY; PAD];
        let mut r = vec![0u32; PAD];
        v.extend(sorted.iter().map(|e| e.0));
        r.extend(sorted.iter().map(|e| e.1));
        Order {
            v,
            r,
            out,
            movers: vec![0; nr.div_ceil(64)],
            tri: (0..nr).map(|s| cell(0, s.max(1)) as u32).collect(),
            avx2,
        }
    }

    /// Moves to the bar at column `c`, writing the cell of every cross
    /// above (`f_row < s_row`, see [`cell`]) to `buf` and returning their
    /// number; `buf` has room for `nr·(nr − 1)/2 + 4` (the swaps one bar
    /// can take, plus the slack of one 4-wide store).
    #[inline(always)]
    fn step(&mut self, rows: &[f64], stride: usize, c: usize, buf: &mut [u32]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `self.avx2` is only set when AVX2 and POPCNT are
            // available.
            return unsafe { self.step_avx2(rows, stride, c, buf) };
        }
        self.step_with::<false>(rows, stride, c, buf)
    }

    /// [`Order::step`] compiled with AVX2, inserting with
    /// [`Order::insert_avx2`].
    ///
    /// # Safety
    ///
    /// AVX2 and POPCNT must be available.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    unsafe fn step_avx2(
        &mut self,
        rows: &[f64],
        stride: usize,
        c: usize,
        buf: &mut [u32],
    ) -> usize {
        self.step_with::<true>(rows, stride, c, buf)
    }

    /// [`Order::step`]; `AVX2` only where AVX2 is available.
    #[inline(always)]
    fn step_with<const AVX2: bool>(
        &mut self,
        rows: &[f64],
        stride: usize,
        c: usize,
        buf: &mut [u32],
    ) -> usize {
        // New values, in the order of the previous bar; the candidate
        // movers are those not above every value before them (the others
        // stay in place under insertion sort).
        let len = self.v.len() - PAD;
        let mut nan = false;
        let mut top = f64::NEG_INFINITY;
        for (wi, j0) in (0..len).step_by(64).enumerate() {
            let mut m = 0u64;
            for j in j0..(j0 + 64).min(len) {
                let v = rows[self.r[PAD + j] as usize * stride + c];
                self.v[PAD + j] = v;
                nan |= v.is_nan();
                m |= u64::from(v <= top) << (j - j0);
                top = if v > top { v } else { top };
            }
            self.movers[wi] = m;
        }
        if nan {
            return self.step_nan(rows, stride, c, buf);
        }
        let mut ne = 0usize;
        for wi in 0..len.div_ceil(64) {
            let mut bits = self.movers[wi];
            while bits != 0 {
                let j = PAD + wi * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                #[cfg(target_arch = "x86_64")]
                if AVX2 {
                    // SAFETY: AVX2 is available (`step_with::<true>` is
                    // only called from `step_avx2`); `PAD <= j < v.len()`;
                    // `buf` has 4 slots of slack past the largest count
                    // (`step`'s contract).
                    ne = unsafe { self.insert_avx2(j, buf, ne) };
                    continue;
                }
                ne = self.insert_scalar(j, buf, ne);
            }
        }
        if !self.out.is_empty() {
            self.rejoin(rows, stride, c);
        }
        ne
    }

    /// Inserts the entry at position `j` into the sorted prefix before it
    /// (insertion sort's step), writing the crosses above to `buf[ne..]`;
    /// returns the new count.
    #[inline(always)]
    fn insert_scalar(&mut self, j: usize, buf: &mut [u32], mut ne: usize) -> usize {
        let (ev, er) = (self.v[j], self.r[j]);
        let tri_e = self.tri[er as usize];
        let mut k = j;
        // The sentinels stop the loop (`−∞` is below every value).
        while below(ev, er, self.v[k - 1], self.r[k - 1]) {
            let g = self.r[k - 1];
            // Every swap writes a cell; only crosses above advance the
            // count (no branch).
            buf[ne] = tri_e.wrapping_add(g);
            ne += usize::from(g < er);
            self.v[k] = self.v[k - 1];
            self.r[k] = g;
            k -= 1;
        }
        self.v[k] = ev;
        self.r[k] = er;
        ne
    }

    /// [`Order::insert_scalar`] with 4-wide comparisons: the places the
    /// entry moves down are counted 4 at a time, and a move of at most 3
    /// places is done without branches (blends of the 4 values and rows
    /// before the entry, the crosses packed by a shuffle). A tie with a
    /// value passed (rare outside flat runs) goes to the scalar step.
    ///
    /// # Safety
    ///
    /// AVX2 and POPCNT must be available; `PAD <= j < v.len()`; `buf` has
    /// 4 slots from `ne` on past the crosses this step can write.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn insert_avx2(&mut self, j: usize, buf: &mut [u32], ne: usize) -> usize {
        use core::arch::x86_64::*;
        /// Lane `3 − d` set (the new place of the entry), by `d`.
        const AT: [[i64; 4]; 4] = [[0, 0, 0, -1], [0, 0, -1, 0], [0, -1, 0, 0], [-1, 0, 0, 0]];
        /// `pshufb` controls packing the 32-bit lanes set in the index to
        /// the front.
        const PACK: [[i8; 16]; 16] = {
            let mut t = [[-1i8; 16]; 16];
            let mut m = 0;
            while m < 16 {
                let mut o = 0;
                let mut l = 0;
                while l < 4 {
                    if m >> l & 1 == 1 {
                        let mut b = 0;
                        while b < 4 {
                            t[m][o * 4 + b] = (l * 4 + b) as i8;
                            b += 1;
                        }
                        o += 1;
                    }
                    l += 1;
                }
                m += 1;
            }
            t
        };
        debug_assert!(j >= PAD && j < self.v.len() && ne + 4 <= buf.len());
        // SAFETY: every load and store touches `v[k − 4 .. j + 1]`, `r[k −
        // 4 .. j + 1]` for `PAD <= k <= j` (the scan stops at the
        // sentinels, which no value is below) and `buf[ne .. ne + 4]`, all
        // in bounds (contract); AVX2 and POPCNT are available (contract).
        unsafe {
            let vp = self.v.as_mut_ptr();
            let rp = self.r.as_mut_ptr();
            let ev = *vp.add(j);
            let er = *rp.add(j);
            let e = _mm256_set1_pd(ev);
            // Count the places, 4 at a time (the values before `j` are
            // sorted, so those above the entry are a suffix).
            let mut k = j;
            let (w, above, ab) = loop {
                let w = _mm256_loadu_pd(vp.add(k - 4));
                let above = _mm256_cmp_pd::<_CMP_LT_OQ>(e, w);
                let ab = _mm256_movemask_pd(above) as u32;
                let eq = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(e, w));
                if eq != 0 {
                    return self.insert_scalar(j, buf, ne);
                }
                if ab != 0xF {
                    break (w, above, ab);
                }
                k -= 4;
            };
            let erv = _mm_set1_epi32(er as i32);
            let tri = *self.tri.get_unchecked(er as usize);
            if k != j {
                // A long move: shift the passed entries up one place.
                let d = j - k + ab.count_ones() as usize;
                let p = j - d;
                let mut ne = ne;
                for i in p..j {
                    let g = *rp.add(i);
                    *buf.as_mut_ptr().add(ne) = tri.wrapping_add(g);
                    ne += usize::from(g < er);
                }
                // From the top, 4 at a time (each load below the
                // previous store), then one at a time.
                let mut hi = j;
                while hi - p >= 4 {
                    _mm256_storeu_pd(vp.add(hi - 3), _mm256_loadu_pd(vp.add(hi - 4)));
                    let g = _mm_loadu_si128(rp.add(hi - 4).cast());
                    _mm_storeu_si128(rp.add(hi - 3).cast(), g);
                    hi -= 4;
                }
                while hi > p {
                    *vp.add(hi) = *vp.add(hi - 1);
                    *rp.add(hi) = *rp.add(hi - 1);
                    hi -= 1;
                }
                *vp.add(p) = ev;
                *rp.add(p) = er;
                return ne;
            }
            // The entries above the new one are lanes `4 − d ..= 3` of the
            // window, each moving up one place.
            let d = ab.count_ones() as usize;
            let at = _mm256_loadu_si256(AT[d].as_ptr().cast());
            let x = _mm256_loadu_pd(vp.add(j - 3));
            let nv = _mm256_blendv_pd(x, w, above);
            let nv = _mm256_blendv_pd(nv, e, _mm256_castsi256_pd(at));
            _mm256_storeu_pd(vp.add(j - 3), nv);
            // The same moves for the rows (32-bit lanes).
            let narrow = |m: __m256i| {
                let m = _mm256_permutevar8x32_epi32(m, _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0));
                _mm256_castsi256_si128(m)
            };
            let wr = _mm_loadu_si128(rp.add(j - 4).cast());
            let xr = _mm_loadu_si128(rp.add(j - 3).cast());
            let nr = _mm_blendv_epi8(xr, wr, narrow(_mm256_castpd_si256(above)));
            let nr = _mm_blendv_epi8(nr, erv, narrow(at));
            _mm_storeu_si128(rp.add(j - 3).cast(), nr);
            // Crosses above: the passed rows shorter than the entry's.
            let lt = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(erv, wr))) as u32;
            let m = (lt & ab) as usize;
            let cells = _mm_add_epi32(_mm_set1_epi32(tri as i32), wr);
            let packed = _mm_shuffle_epi8(cells, _mm_loadu_si128(PACK[m].as_ptr().cast()));
            _mm_storeu_si128(buf.as_mut_ptr().add(ne).cast(), packed);
            ne + m.count_ones() as usize
        }
    }

    /// [`Order::step`] for a bar where some values are NaN (the new values
    /// are already in `v`, in the previous bar's order): those rows leave
    /// the order, the others are sorted, and rows valid again rejoin.
    #[cold]
    fn step_nan(&mut self, rows: &[f64], stride: usize, c: usize, buf: &mut [u32]) -> usize {
        let mut len = PAD;
        for j in PAD..self.v.len() {
            let (v, r) = (self.v[j], self.r[j]);
            if v.is_nan() {
                self.out.push(r);
            } else {
                self.v[len] = v;
                self.r[len] = r;
                len += 1;
            }
        }
        self.v.truncate(len);
        self.r.truncate(len);
        let mut ne = 0;
        for j in PAD + 1..len {
            ne = self.insert_scalar(j, buf, ne);
        }
        self.rejoin(rows, stride, c);
        ne
    }

    /// Rows valid again at column `c` join the order, without events.
    #[cold]
    fn rejoin(&mut self, rows: &[f64], stride: usize, c: usize) {
        let mut i = 0;
        while i < self.out.len() {
            let row = self.out[i];
            let v = rows[row as usize * stride + c];
            if v.is_nan() {
                i += 1;
                continue;
            }
            self.out.swap_remove(i);
            let at = PAD
                + self.v[PAD..]
                    .iter()
                    .zip(&self.r[PAD..])
                    .take_while(|&(&gv, &gr)| below(gv, gr, v, row))
                    .count();
            self.v.insert(at, v);
            self.r.insert(at, row);
        }
    }
}

/// The crosses of bars `c0..c1` (`c0` a multiple of 64, `c0 < c1 <=
/// x.len()`): `counts[k]` is incremented by the crosses of every canonical
/// pair `k` (pair order) and, if `MASKS`, every word of its mask from
/// `c0 / 64` to the one holding bar `c1 − 1` is written to `words[k]`
/// (which starts at word `c0 / 64`).
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
    let ncells = cell(0, nr);
    let mut events = vec![0u32; ncells + 4];
    let mut dy = Dyadic::new(xs, max_p, BLOCK);
    let mut order: Option<Order> = None;
    #[cfg(target_arch = "x86_64")]
    let avx2 = backend == Backend::Avx2
        && crate::dispatch::Avx2Fma::is_available()
        && std::is_x86_feature_detected!("popcnt");
    #[cfg(not(target_arch = "x86_64"))]
    let avx2 = false;
    // Per cell: the crosses so far and (masks) the current word.
    let mut cnt = vec![0u64; ncells];
    // `cur[cell * GROUP + w % GROUP]`: the words of the current group.
    let mut cur = vec![0u64; if MASKS { ncells * GROUP } else { 0 }];
    let mut cur_w = 0usize;
    let firsts = table.firsts.as_slice();
    // Words `g0 .. g0 + len` of every canonical pair, one run of
    // consecutive words per mask.
    let flush = |cur: &mut [u64], words: &mut [&mut [u64]], g0: usize, len: usize| {
        for &(k, c) in firsts {
            let src = &mut cur[c * GROUP..][..len];
            words[k][g0..g0 + len].copy_from_slice(src);
            src.fill(0);
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
                order = Some(Order::new(&rows, STRIDE, nr, c, avx2));
                continue;
            };
            let (w, bit) = ((t >> 6) - c0 / 64, 1u64 << (t & 63));
            if MASKS && w != cur_w {
                if w % GROUP == 0 {
                    flush(&mut cur, words, w - GROUP, GROUP);
                }
                cur_w = w;
            }
            let slot = w % GROUP;
            let ne = o.step(&rows, STRIDE, c, &mut events);
            for &e in &events[..ne] {
                let e = e as usize;
                cnt[e] += 1;
                if MASKS {
                    cur[e * GROUP + slot] |= bit;
                }
            }
        }
    });
    if MASKS {
        let g0 = cur_w / GROUP * GROUP;
        flush(&mut cur, words, g0, cur_w + 1 - g0);
    }
    for &(k, c) in firsts {
        counts[k] += cnt[c];
    }
}
