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
//! On a random walk (the benchmark's 199 periods) a bar has about 83
//! candidate movers, 295 swaps and 148 crosses above; 69% of the moves
//! are of at most 3 places, 92% of at most 7, but a few go 20 places or
//! more, and consecutive movers are mostly 1 or 2 places apart. The AVX2
//! step is built for that: the refresh reads one bar's values from
//! contiguous memory (the block is transposed bar by bar) and finds the
//! candidates with a 4-wide prefix maximum; a move of up to 7 places is
//! done without a branch on 8-wide windows, and the next mover's windows
//! come from the registers the previous one wrote (a load straddling the
//! stores just made is not forwarded from them, so it waits for them to
//! reach the cache); longer moves go in blocks of 8. Measured against the
//! previous form (4-wide windows, one branch per move of more than 3
//! places, values read across the rows, blocks of 256 bars, u64 counts)
//! in the same process, runs interleaved: counts 0.61x the time on 2
//! threads (70 vs 114 ms) and 0.58x serial, masks into warm buffers
//! 0.68x on 2 threads (116 vs 170 ms).
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

/// Bars per block of SMA rows: the `rows × BLOCK` values (200 KB for 199
/// periods) and their bar-by-bar copy stay in L2 with the counts (150
/// KB) and the crosses of a bar. Measured against 256 (800 KB of block
/// buffers, over 1 MB in all): 0.94x the time for counts, 0.92x with
/// masks; 64 measured the same as 256.
const BLOCK: usize = 128;

/// Row stride of the block buffer: `BLOCK` plus one cache line, so the
/// rows do not all map to the same few L1 sets (the transpose reads 4
/// rows at once).
const STRIDE: usize = BLOCK + 8;

/// No swept pair in this cell of [`Table::canon`].
const NONE: u32 = u32::MAX;

/// Mask words (of 64 bars) gathered per pair before they are written
/// out: each write is then one run of 8 words (a cache line) per mask
/// instead of 8 single words, each to another page (a TLB miss apiece;
/// this was the largest cost of writing masks).
const GROUP: usize = 8;

/// Sentinel entries before the sorted order (value `−∞`, below every
/// SMA value, which is finite or NaN), so that the 8-wide windows of the
/// AVX2 insertion step never read before the buffer.
const PAD: usize = 8;

/// Slots after the order: the AVX2 insertion step loads the 4 values and
/// rows after a carried window ([`Window`]), up to 3 places past the
/// last entry. Their contents are never part of the order.
const TAIL: usize = 4;

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

/// `permutevar8x32` controls packing the 32-bit lanes set in the
/// index to the front, one byte per lane.
#[cfg(target_arch = "x86_64")]
const PACK8: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let (mut o, mut l, mut c) = (0, 0, 0u64);
        while l < 8 {
            if m >> l & 1 == 1 {
                c |= (l as u64) << (8 * o);
                o += 1;
            }
            l += 1;
        }
        t[m] = c;
        m += 1;
    }
    t
};

/// Controls shifting a carried [`Window`] down `s` lanes (index `s`, 0..=3),
/// lane `k` taking lane `k + s` of the concatenation of the window and
/// the values (rows) after it: for the values (64-bit lanes of two
/// registers, permuted as 32-bit halves) the halves `2·((k + s) mod 4) +
/// {0, 1}` and the mask of lanes from the next register (`k + s >= 4`);
/// for the rows (one register of 8) the lanes `(k + s) mod 8` and the
/// mask of lanes `k + s >= 8`.
#[cfg(target_arch = "x86_64")]
const CARRY: [[[i32; 8]; 4]; 4] = {
    let mut t = [[[0i32; 8]; 4]; 4];
    let mut s = 0;
    while s < 4 {
        let mut l = 0;
        while l < 8 {
            let src = l / 2 + s;
            t[s][0][l] = (2 * (src % 4) + l % 2) as i32;
            t[s][1][l] = if src >= 4 { -1 } else { 0 };
            t[s][2][l] = ((l + s) % 8) as i32;
            t[s][3][l] = if l + s >= 8 { -1 } else { 0 };
            l += 1;
        }
        s += 1;
    }
    t
};

/// The values and rows at positions `j − 7 ..= j` as the AVX2 insertion
/// at `j` wrote them (`j == 0`: none), for the next insertion's windows.
#[cfg(target_arch = "x86_64")]
struct Window {
    j: usize,
    lo: core::arch::x86_64::__m256d,
    hi: core::arch::x86_64::__m256d,
    r: core::arch::x86_64::__m256i,
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
    /// The order of the bar whose values (one per row) are `bar`.
    fn new(bar: &[f64], avx2: bool) -> Order {
        let nr = bar.len();
        let mut sorted = Vec::with_capacity(nr);
        let mut out = Vec::new();
        for (r, &v) in bar.iter().enumerate() {
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
        v.extend([f64::NAN; TAIL]);
        r.extend([0; TAIL]);
        Order {
            v,
            r,
            out,
            movers: vec![0; nr.div_ceil(64)],
            tri: (0..nr).map(|s| cell(0, s.max(1)) as u32).collect(),
            avx2,
        }
    }

    /// The number of entries in the order.
    fn n(&self) -> usize {
        self.v.len() - PAD - TAIL
    }

    /// The number of rows (in the order or out of it).
    fn rows_len(&self) -> usize {
        self.tri.len()
    }

    /// Moves to the bar of values `bar` (one per row), writing the cell of every cross
    /// above (`f_row < s_row`, see [`cell`]) to `buf` and returning their
    /// number; `buf` has room for `nr·(nr − 1)/2 + 8` (the swaps one bar
    /// can take, plus the slack of one 8-wide store).
    #[inline(always)]
    fn step(&mut self, bar: &[f64], buf: &mut [u32]) -> usize {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `self.avx2` is only set when AVX2 and POPCNT are
            // available.
            return unsafe { self.step_avx2(bar, buf) };
        }
        self.step_with::<false>(bar, buf)
    }

    /// [`Order::step`] compiled with AVX2, inserting with
    /// [`Order::insert_avx2`].
    ///
    /// # Safety
    ///
    /// AVX2 and POPCNT must be available.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    unsafe fn step_avx2(&mut self, bar: &[f64], buf: &mut [u32]) -> usize {
        self.step_with::<true>(bar, buf)
    }

    /// [`Order::step`]; `AVX2` only where AVX2 is available.
    #[inline(always)]
    fn step_with<const AVX2: bool>(&mut self, bar: &[f64], buf: &mut [u32]) -> usize {
        // New values, in the order of the previous bar; the candidate
        // movers are those not above every value before them (the others
        // stay in place under insertion sort).
        #[cfg(target_arch = "x86_64")]
        let nan = if AVX2 {
            // SAFETY: AVX2 is available (`step_with::<true>` is only
            // called from `step_avx2`).
            unsafe { self.refresh_avx2(bar) }
        } else {
            self.refresh_scalar(bar)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let nan = self.refresh_scalar(bar);
        if nan {
            return self.step_nan(bar, buf);
        }
        let len = self.n();
        let mut ne = 0usize;
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: AVX2 and POPCNT are available (`step_with::<true>`
            // is only called from `step_avx2`); `buf` has 8 slots of slack
            // past the largest count (`step`'s contract).
            ne = unsafe { self.insert_all_avx2(buf) };
        }
        if !AVX2 {
            for wi in 0..len.div_ceil(64) {
                let mut bits = self.movers[wi];
                while bits != 0 {
                    let j = PAD + wi * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    ne = self.insert_scalar(j, buf, ne);
                }
            }
        }
        if !self.out.is_empty() {
            self.rejoin(bar);
        }
        ne
    }

    /// Loads the values of `bar` into the order (the previous bar's) and
    /// marks the candidate movers (a value not above every value before
    /// it) in `movers`; returns whether a value is NaN.
    fn refresh_scalar(&mut self, bar: &[f64]) -> bool {
        let len = self.n();
        self.refresh_tail(bar, 0, f64::NEG_INFINITY, false, len)
    }

    /// [`Order::refresh_scalar`] from position `from` (a multiple of 4)
    /// on, `top` the largest value before it, `nan` whether one was NaN.
    #[inline(always)]
    fn refresh_tail(
        &mut self,
        bar: &[f64],
        from: usize,
        mut top: f64,
        mut nan: bool,
        len: usize,
    ) -> bool {
        let mut j0 = from;
        while j0 < len {
            let wi = j0 / 64;
            let end = (wi * 64 + 64).min(len);
            let mut m = if j0.is_multiple_of(64) {
                0
            } else {
                self.movers[wi]
            };
            for j in j0..end {
                let v = bar[self.r[PAD + j] as usize];
                self.v[PAD + j] = v;
                nan |= v.is_nan();
                m |= u64::from(v <= top) << (j % 64);
                top = if v > top { v } else { top };
            }
            self.movers[wi] = m;
            j0 = end;
        }
        nan
    }

    /// [`Order::refresh_scalar`] 4 positions at a time (four loads, which
    /// measured faster than a gather, and an in-register prefix maximum),
    /// the last `len % 4` positions by [`Order::refresh_tail`].
    ///
    /// # Safety
    ///
    /// AVX2 must be available.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn refresh_avx2(&mut self, bar: &[f64]) -> bool {
        use core::arch::x86_64::*;
        let len = self.n();
        let full = len / 4 * 4;
        assert!(self.r.len() == PAD + len + TAIL && bar.len() >= self.rows_len());
        // SAFETY: the loads and stores touch `r[PAD + j0 .. PAD + j0 + 4]`
        // and `v[PAD + j0 .. PAD + j0 + 4]` for `j0 + 4 <= len` (in
        // bounds: both hold `PAD + len + TAIL` entries) and `movers[j0 /
        // 64]` (`movers` has a word per 64 rows, `len <= rows`); the value
        // loads read `bar[r]` for rows `r` of the order, each `<
        // rows_len() <= bar.len()` (asserted); AVX2 is available
        // (contract).
        unsafe {
            let rp = self.r.as_ptr().add(PAD);
            let vp = self.v.as_mut_ptr().add(PAD);
            let mp = self.movers.as_mut_ptr();
            let ninf = _mm256_set1_pd(f64::NEG_INFINITY);
            let mut top = ninf;
            let mut nan = _mm256_setzero_pd();
            let mut m = 0u64;
            let mut j0 = 0;
            while j0 < full {
                // Four loads (a gather is slower here).
                let b = bar.as_ptr();
                let at = |i: usize| b.add(*rp.add(j0 + i) as usize);
                let v01 = _mm_loadh_pd(_mm_load_sd(at(0)), at(1));
                let v23 = _mm_loadh_pd(_mm_load_sd(at(2)), at(3));
                let v = _mm256_set_m128d(v23, v01);
                _mm256_storeu_pd(vp.add(j0), v);
                nan = _mm256_or_pd(nan, _mm256_cmp_pd::<_CMP_UNORD_Q>(v, v));
                // Inclusive prefix maximum of the 4 lanes, then of `top`.
                let s1 = _mm256_blend_pd::<0b0001>(_mm256_permute4x64_pd::<0b10_01_00_00>(v), ninf);
                let m1 = _mm256_max_pd(v, s1);
                let s2 =
                    _mm256_blend_pd::<0b0011>(_mm256_permute4x64_pd::<0b01_00_00_00>(m1), ninf);
                let incl = _mm256_max_pd(_mm256_max_pd(m1, s2), top);
                // Exclusive: the largest value before each lane.
                let excl =
                    _mm256_blend_pd::<0b0001>(_mm256_permute4x64_pd::<0b10_01_00_00>(incl), top);
                let bits = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(v, excl)) as u64;
                m |= bits << (j0 % 64);
                top = _mm256_permute4x64_pd::<0b11_11_11_11>(incl);
                j0 += 4;
                if j0.is_multiple_of(64) {
                    *mp.add(j0 / 64 - 1) = m;
                    m = 0;
                }
            }
            if !full.is_multiple_of(64) {
                *mp.add(full / 64) = m;
            }
            let nan = _mm256_movemask_pd(nan) != 0;
            self.refresh_tail(bar, full, _mm256_cvtsd_f64(top), nan, len)
        }
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

    /// Inserts every candidate mover ([`Order::insert_avx2`]), carrying
    /// the windows one insertion wrote to the next when it is at most 4
    /// places on: then the next windows are the carried ones shifted, with
    /// the values after them (untouched this step) loaded, instead of a
    /// load overlapping the stores just made (such a load waits until the
    /// stores reach the cache instead of being forwarded from them).
    ///
    /// # Safety
    ///
    /// AVX2 and POPCNT must be available; `buf` has 8 slots of slack past
    /// the largest count.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn insert_all_avx2(&mut self, buf: &mut [u32]) -> usize {
        let len = self.n();
        let mut ne = 0usize;
        // SAFETY: all-zero bits are valid vectors.
        let mut win: Window = unsafe { core::mem::zeroed() };
        for wi in 0..len.div_ceil(64) {
            let mut bits = self.movers[wi];
            while bits != 0 {
                let j = PAD + wi * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                // SAFETY: AVX2 and POPCNT are available and `buf` has 8
                // slots of slack (contract); `PAD <= j < PAD + n`; `win`
                // is zeroed or was set by the last insertion of this step,
                // at an earlier position (movers go in ascending order).
                ne = unsafe { self.insert_avx2(j, buf, ne, &mut win) };
            }
        }
        ne
    }

    /// [`Order::insert_scalar`] with 8-wide comparisons: a move of at most
    /// 7 places (most moves) is done without branches, from the 8 values
    /// and rows before the entry held in registers (blends of them and of
    /// the same shifted up one place, the entry at its place, the crosses
    /// packed by a permutation); the windows come from `win` when it
    /// holds positions at most 4 before `j` (see
    /// [`Order::insert_all_avx2`]), and `win` is set to the windows
    /// written. A longer move goes to [`Order::insert_long`]. A tie with a
    /// value passed (rare outside flat runs) goes to the scalar step.
    ///
    /// # Safety
    ///
    /// AVX2 and POPCNT must be available; `PAD <= j < PAD + n` (`n` the
    /// entries in the order); `buf` has 8 slots from `ne` on past the
    /// crosses this step can write; `win` is zeroed or was set by the
    /// insertion of an earlier position in this step, the last one.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn insert_avx2(
        &mut self,
        j: usize,
        buf: &mut [u32],
        ne: usize,
        win: &mut Window,
    ) -> usize {
        use core::arch::x86_64::*;
        debug_assert!(j >= PAD && j < self.v.len() && ne + 8 <= buf.len());
        // SAFETY: the loads and stores touch `v[j − 8 .. j + 1]`, `r[j − 8
        // .. j + 1]` (`j >= PAD >= 8`), `v` and `r` at `win.j + 1 ..
        // win.j + 5` when `j − 4 <= win.j < j` (at most `PAD + n + 2`,
        // within the `TAIL` slots) and `buf[ne .. ne + 8]`, all in bounds
        // (contract); the table is indexed by an 8-bit mask; AVX2 and
        // POPCNT are available (contract).
        unsafe {
            let vp = self.v.as_mut_ptr();
            let rp = self.r.as_mut_ptr();
            let ev = *vp.add(j);
            let er = *rp.add(j);
            let e = _mm256_set1_pd(ev);
            let g = j.wrapping_sub(win.j);
            let (lo, hi, wr) = if g <= 4 {
                // The carried windows hold positions `win.j − 7 ..= win.j`;
                // the next 4 are loaded. Shift both down `g − 1` lanes.
                // The controls for a shift of `g − 1` lanes.
                let ctl = |c: usize| _mm256_loadu_si256(CARRY[g - 1][c].as_ptr().cast());
                let (dw, up, idx, upr) = (ctl(0), _mm256_castsi256_pd(ctl(1)), ctl(2), ctl(3));
                let perm = |a: __m256d| {
                    _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(a), dw))
                };
                let next = _mm256_loadu_pd(vp.add(win.j + 1));
                let (p0, p1, p2) = (perm(win.lo), perm(win.hi), perm(next));
                let lo = _mm256_blendv_pd(p0, p1, up);
                let hi = _mm256_blendv_pd(p1, p2, up);
                // Rows: lanes `(k + s) mod 8`, from the next 4 where `k + s >= 8`.
                let nextr = _mm256_castsi128_si256(_mm_loadu_si128(rp.add(win.j + 1).cast()));
                let wr = _mm256_blendv_epi8(
                    _mm256_permutevar8x32_epi32(win.r, idx),
                    _mm256_permutevar8x32_epi32(nextr, idx),
                    upr,
                );
                (lo, hi, wr)
            } else {
                (
                    _mm256_loadu_pd(vp.add(j - 8)),
                    _mm256_loadu_pd(vp.add(j - 4)),
                    _mm256_loadu_si256(rp.add(j - 8).cast()),
                )
            };
            win.j = 0;
            let above_lo = _mm256_cmp_pd::<_CMP_LT_OQ>(e, lo);
            let above_hi = _mm256_cmp_pd::<_CMP_LT_OQ>(e, hi);
            let eq = _mm256_or_pd(
                _mm256_cmp_pd::<_CMP_EQ_OQ>(e, lo),
                _mm256_cmp_pd::<_CMP_EQ_OQ>(e, hi),
            );
            if _mm256_movemask_pd(eq) != 0 {
                return self.insert_scalar(j, buf, ne);
            }
            let ab = (_mm256_movemask_pd(above_lo) | _mm256_movemask_pd(above_hi) << 4) as u32;
            if ab == 0xFF {
                return self.insert_long(j, buf, ne, (lo, hi, wr));
            }
            // The 8 entries before the entry are lanes `0..8` of `lo, hi`,
            // position `j − 8 + i`; those above it (a suffix) move up one
            // place, and the entry goes to the place below them. Written
            // back at positions `j − 7 ..= j`, where lane `i` takes the
            // entry before it if that one is above the entry, else the
            // entry if the one at `i` is above it (or is the entry), else
            // stays. The masks stay in vector registers.
            let ones = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
            // Shifted down one lane, with `next` entering at the top: the
            // lanes at positions `j − 7 ..= j`.
            let down = |a: __m256d, next: __m256d| {
                _mm256_shuffle_pd::<0b0101>(a, _mm256_permute2f128_pd::<0x21>(a, next))
            };
            let (xlo, xhi) = (down(lo, hi), down(hi, e));
            let (blo, bhi) = (down(above_lo, above_hi), down(above_hi, ones));
            let nlo = _mm256_blendv_pd(_mm256_blendv_pd(xlo, e, blo), lo, above_lo);
            let nhi = _mm256_blendv_pd(_mm256_blendv_pd(xhi, e, bhi), hi, above_hi);
            _mm256_storeu_pd(vp.add(j - 7), nlo);
            _mm256_storeu_pd(vp.add(j - 3), nhi);
            // The same moves for the rows (32-bit lanes).
            let narrow = |a: __m256d, b: __m256d| {
                let m =
                    _mm256_shuffle_ps::<0b10_00_10_00>(_mm256_castpd_ps(a), _mm256_castpd_ps(b));
                _mm256_castpd_si256(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(m)))
            };
            let above = narrow(above_lo, above_hi);
            let next = narrow(blo, bhi);
            let erv = _mm256_set1_epi32(er as i32);
            let xr = _mm256_blend_epi32::<0x80>(
                _mm256_permutevar8x32_epi32(wr, _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7)),
                erv,
            );
            let nr = _mm256_blendv_epi8(_mm256_blendv_epi8(xr, erv, next), wr, above);
            _mm256_storeu_si256(rp.add(j - 7).cast(), nr);
            *win = Window {
                j,
                lo: nlo,
                hi: nhi,
                r: nr,
            };
            // Crosses above: the passed rows shorter than the entry's.
            let lt = _mm256_and_si256(_mm256_cmpgt_epi32(erv, wr), above);
            let m = _mm256_movemask_ps(_mm256_castsi256_ps(lt)) as usize;
            let tri = *self.tri.get_unchecked(er as usize);
            let cells = _mm256_add_epi32(_mm256_set1_epi32(tri as i32), wr);
            let ctl = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(PACK8[m] as i64));
            let packed = _mm256_permutevar8x32_epi32(cells, ctl);
            _mm256_storeu_si256(buf.as_mut_ptr().add(ne).cast(), packed);
            ne + m.count_ones() as usize
        }
    }

    /// [`Order::insert_avx2`] for an entry below the 8 before it: the
    /// places counted 4 at a time, then the passed entries shifted up one
    /// place and their crosses packed in blocks of 8, from the top (one
    /// loop, one mispredicted exit).
    ///
    /// # Safety
    ///
    /// As [`Order::insert_avx2`], and the 8 values before `j` are above
    /// the entry's; `top` holds the values (two registers) and rows at
    /// positions `j − 8 .. j`, as in memory (the first block is moved from
    /// them, not reloaded).
    #[cfg(target_arch = "x86_64")]
    #[inline(never)]
    #[target_feature(enable = "avx2,popcnt")]
    unsafe fn insert_long(
        &mut self,
        j: usize,
        buf: &mut [u32],
        ne: usize,
        top: (
            core::arch::x86_64::__m256d,
            core::arch::x86_64::__m256d,
            core::arch::x86_64::__m256i,
        ),
    ) -> usize {
        use core::arch::x86_64::*;
        // SAFETY: every load and store touches `v[k − 4 .. j + 1]`, `r[k −
        // 4 .. j + 1]` for `PAD <= k <= j` (the scan stops at the
        // sentinels, which no value is below), then `v[hi − 8 .. hi + 1]`,
        // `r[hi − 8 .. hi + 1]` for `p < hi + 8`, `p >= PAD >= 8`, and
        // `buf[ne .. ne + 8]` (contract); the table is indexed by an 8-bit
        // mask; AVX2 is available (contract).
        unsafe {
            let vp = self.v.as_mut_ptr();
            let rp = self.r.as_mut_ptr();
            let ev = *vp.add(j);
            let er = *rp.add(j);
            let e = _mm256_set1_pd(ev);
            let mut k = j - 8;
            let ab = loop {
                let w = _mm256_loadu_pd(vp.add(k - 4));
                let ab = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(e, w)) as u32;
                let eq = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(e, w));
                if eq != 0 {
                    return self.insert_scalar(j, buf, ne);
                }
                if ab != 0xF {
                    break ab;
                }
                k -= 4;
            };
            let p = k - ab.count_ones() as usize;
            let tri = _mm256_set1_epi32(*self.tri.get_unchecked(er as usize) as i32);
            let erv = _mm256_set1_epi32(er as i32);
            let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let down = |a: __m256d, next: __m256d| {
                _mm256_shuffle_pd::<0b0101>(a, _mm256_permute2f128_pd::<0x21>(a, next))
            };
            let wide = |m: __m256i| {
                (
                    _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(m))),
                    _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_extracti128_si256::<1>(m))),
                )
            };
            // Blocks of 8 from the top: the entries at positions `hi − 8
            // .. hi` move up one place where at or above `p` (lanes `>=
            // t`), the entry goes to `p`, the rest stays; each block is
            // loaded below the one stored before it.
            let mut ne = ne;
            let mut hi = j;
            let (mut lo, mut hv, mut wr) = top;
            loop {
                let t = (p + 8) as isize - hi as isize;
                let tv = _mm256_set1_epi32(t as i32);
                let above = _mm256_cmpgt_epi32(lane, _mm256_sub_epi32(tv, _mm256_set1_epi32(1)));
                let next = _mm256_cmpgt_epi32(lane, _mm256_sub_epi32(tv, _mm256_set1_epi32(2)));
                let (a_lo, a_hi) = wide(above);
                let (n_lo, n_hi) = wide(next);
                let (xlo, xhi) = (down(lo, hv), down(hv, e));
                let nlo = _mm256_blendv_pd(_mm256_blendv_pd(xlo, e, n_lo), lo, a_lo);
                let nhi = _mm256_blendv_pd(_mm256_blendv_pd(xhi, e, n_hi), hv, a_hi);
                _mm256_storeu_pd(vp.add(hi - 7), nlo);
                _mm256_storeu_pd(vp.add(hi - 3), nhi);
                let xr = _mm256_blend_epi32::<0x80>(
                    _mm256_permutevar8x32_epi32(wr, _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7)),
                    erv,
                );
                let nr = _mm256_blendv_epi8(_mm256_blendv_epi8(xr, erv, next), wr, above);
                _mm256_storeu_si256(rp.add(hi - 7).cast(), nr);
                let lt = _mm256_and_si256(_mm256_cmpgt_epi32(erv, wr), above);
                let m = _mm256_movemask_ps(_mm256_castsi256_ps(lt)) as usize;
                let cells = _mm256_add_epi32(tri, wr);
                let ctl = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(PACK8[m] as i64));
                let packed = _mm256_permutevar8x32_epi32(cells, ctl);
                _mm256_storeu_si256(buf.as_mut_ptr().add(ne).cast(), packed);
                ne += m.count_ones() as usize;
                if t >= 1 {
                    break;
                }
                hi -= 8;
                lo = _mm256_loadu_pd(vp.add(hi - 8));
                hv = _mm256_loadu_pd(vp.add(hi - 4));
                wr = _mm256_loadu_si256(rp.add(hi - 8).cast());
            }
            ne
        }
    }

    /// [`Order::step`] for a bar where some values are NaN (the new values
    /// are already in `v`, in the previous bar's order): those rows leave
    /// the order, the others are sorted, and rows valid again rejoin.
    #[cold]
    fn step_nan(&mut self, bar: &[f64], buf: &mut [u32]) -> usize {
        let mut len = PAD;
        for j in PAD..PAD + self.n() {
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
        self.v.extend([f64::NAN; TAIL]);
        self.r.extend([0; TAIL]);
        let mut ne = 0;
        for j in PAD + 1..len {
            ne = self.insert_scalar(j, buf, ne);
        }
        self.rejoin(bar);
        ne
    }

    /// Rows valid again at column `c` join the order, without events.
    #[cold]
    fn rejoin(&mut self, bar: &[f64]) {
        let mut i = 0;
        while i < self.out.len() {
            let row = self.out[i];
            let v = bar[row as usize];
            if v.is_nan() {
                i += 1;
                continue;
            }
            self.out.swap_remove(i);
            let at = PAD
                + self.v[PAD..PAD + self.n()]
                    .iter()
                    .zip(&self.r[PAD..PAD + self.n()])
                    .take_while(|&(&gv, &gr)| below(gv, gr, v, row))
                    .count();
            self.v.insert(at, v);
            self.r.insert(at, row);
        }
    }
}

/// Columns `from..m` of the block `rows` (`nr` rows of [`STRIDE`]) bar by
/// bar into `bars` (bar `c` at `bars[c·nr ..][..nr]`), so that a step
/// reads one bar's values from contiguous memory.
fn transpose(avx2: bool, rows: &[f64], nr: usize, from: usize, m: usize, bars: &mut [f64]) {
    assert!(m <= STRIDE && rows.len() >= nr * STRIDE && bars.len() >= m * nr);
    let mut r0 = 0;
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is only set when AVX2 is available; the sizes are
        // asserted above.
        r0 = unsafe { transpose_avx2(rows, nr, from, m, bars) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    // The rows left (all, or the last `nr % 4`), one value at a time.
    for c in from..m {
        for r in r0..nr {
            bars[c * nr + r] = rows[r * STRIDE + c];
        }
    }
}

/// The first `nr / 4 · 4` rows of [`transpose`] for columns `from..m`,
/// in 4 × 4 tiles (columns not in a whole tile one at a time); returns
/// the number of rows done.
///
/// # Safety
///
/// AVX2 must be available; `m <= STRIDE`, `rows.len() >= nr · STRIDE`,
/// `bars.len() >= m · nr`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose_avx2(
    rows: &[f64],
    nr: usize,
    from: usize,
    m: usize,
    bars: &mut [f64],
) -> usize {
    use core::arch::x86_64::*;
    let r4 = nr / 4 * 4;
    let c4 = from + (m - from) / 4 * 4;
    let (rp, bp) = (rows.as_ptr(), bars.as_mut_ptr());
    // SAFETY: the loads read `rows[r · STRIDE + c ..][..4]` for `r < nr`,
    // `c + 4 <= m <= STRIDE`; the stores write `bars[c · nr + r ..][..4]`
    // for `c < m`, `r + 4 <= nr`: in bounds (contract).
    unsafe {
        let mut c = from;
        while c < c4 {
            let mut r = 0;
            while r < r4 {
                let a0 = _mm256_loadu_pd(rp.add(r * STRIDE + c));
                let a1 = _mm256_loadu_pd(rp.add((r + 1) * STRIDE + c));
                let a2 = _mm256_loadu_pd(rp.add((r + 2) * STRIDE + c));
                let a3 = _mm256_loadu_pd(rp.add((r + 3) * STRIDE + c));
                let t0 = _mm256_unpacklo_pd(a0, a1);
                let t1 = _mm256_unpackhi_pd(a0, a1);
                let t2 = _mm256_unpacklo_pd(a2, a3);
                let t3 = _mm256_unpackhi_pd(a2, a3);
                _mm256_storeu_pd(bp.add(c * nr + r), _mm256_permute2f128_pd::<0x20>(t0, t2));
                _mm256_storeu_pd(
                    bp.add((c + 1) * nr + r),
                    _mm256_permute2f128_pd::<0x20>(t1, t3),
                );
                _mm256_storeu_pd(
                    bp.add((c + 2) * nr + r),
                    _mm256_permute2f128_pd::<0x31>(t0, t2),
                );
                _mm256_storeu_pd(
                    bp.add((c + 3) * nr + r),
                    _mm256_permute2f128_pd::<0x31>(t1, t3),
                );
                r += 4;
            }
            c += 4;
        }
        while c < m {
            for r in 0..r4 {
                *bp.add(c * nr + r) = *rp.add(r * STRIDE + c);
            }
            c += 1;
        }
    }
    r4
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
    // The block bar by bar: bar `c` at `bars[c * nr ..][..nr]`.
    let mut bars = vec![0.0; BLOCK * nr];
    let ncells = cell(0, nr);
    let mut events = vec![0u32; ncells + 8];
    let mut dy = Dyadic::new(xs, max_p, BLOCK);
    let mut order: Option<Order> = None;
    #[cfg(target_arch = "x86_64")]
    let avx2 = backend == Backend::Avx2
        && crate::dispatch::Avx2Fma::is_available()
        && std::is_x86_feature_detected!("popcnt");
    #[cfg(not(target_arch = "x86_64"))]
    let avx2 = false;
    // Per cell: the crosses since they were last added to `counts` (u32:
    // half the cache of u64; a cell gains at most one a bar, so they are
    // added before `u32::MAX` bars have passed).
    let mut cnt = vec![0u32; ncells];
    let mut since = 0usize;
    let add = |cnt: &mut [u32], counts: &mut [u64]| {
        for &(k, c) in table.firsts.iter() {
            counts[k] += u64::from(cnt[c]);
            cnt[c] = 0;
        }
    };
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
        if since + m > u32::MAX as usize {
            add(&mut cnt, counts);
            since = 0;
        }
        since += m;
        let mut sub: Vec<&mut [f64]> = rows.chunks_mut(STRIDE).collect();
        rows_on(backend, dy, &plan, b0, m, &mut stack, &mut sub);
        drop(sub);
        let from = g0.max(v0) - g0;
        transpose(avx2, &rows, nr, from, m, &mut bars);
        for t in g0.max(v0)..g1 {
            let c = t - g0;
            let bar = &bars[c * nr..][..nr];
            let Some(o) = order.as_mut() else {
                order = Some(Order::new(bar, avx2));
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
            let ne = o.step(bar, &mut events);
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
    add(&mut cnt, counts);
}
