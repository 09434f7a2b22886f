//! `SMA(fast)` crosses above `SMA(slow)` for many `(fast, slow)` pairs.
//!
//! # Semantics
//!
//! For every pair `(f, s)` of [`cross_pairs`]`(fast, slow)` — each `f` of
//! `fast` in order, and for each, every `s` of `slow` in order with
//! `f < s` (pairs with `f >= s` are skipped; duplicates in a list give
//! duplicate pairs) — bit `i` of the pair's mask is
//! [`crate::cross_above`]`(sma(x, f), sma(x, s))`: `a[i] > b[i] &&
//! a[i−1] <= b[i−1]`, bar 0 never fires, a NaN (warm-up, or a window
//! holding a NaN/±inf) at `i` or `i − 1` means no cross. The SMA values
//! are the sweep's ([`super::sma`]): within `1e-13·mean|x|` of the exact
//! window means, like [`crate::sma`]'s, so a mask can differ from the one
//! computed on [`crate::sma`]'s values only at bars where the two SMAs are
//! within that bound of each other (near-ties).
//!
//! # Layout and memory
//!
//! Pair-major: pair `k` is the `k`-th pair of [`cross_pairs`];
//! [`CrossSweep::masks`]`[k]` is its [`BitMask`] (one bit per bar) and
//! [`CrossSweep::counts`]`[k]` its number of set bits. Nothing of size
//! `n × pairs` is held as `f64`: the series is processed in blocks of
//! [`BLOCK_BARS`] bars; for each block, each distinct period's SMA row is
//! computed once (from the shared dyadic sums), and then every pair's mask
//! word(s) for the block are produced from the two rows in cache. The
//! working set is `(distinct periods + log₂ max p) × (BLOCK_BARS + max p)`
//! values plus one carry and one count per pair.
//!
//! # Algorithm per pair and 64-bar word
//!
//! `gt = bits(a > b)` (one ordered compare per bar, see the `words`
//! module); `le = !gt & valid(a) & valid(b)`, where `valid` (not NaN) is
//! one word per row and block, computed once; `cross = gt & ((le << 1) |
//! carry)`, `carry = le >> 63` — the same shift-and-carry as
//! [`crate::kernels::cross`].
//!
//! # Event-driven algorithm ([`CrossAlgorithm::Events`])
//!
//! The SMA values of all distinct periods are kept in sorted order from
//! bar to bar (key `(value, period)`, a tie ordering the shorter period
//! below); an insertion sort moves the order of bar `i − 1` to bar `i`,
//! and each swap in which the shorter period moves up is exactly one cross
//! above of that pair (proof, NaN handling and cost in the
//! `cross_events` module's docs). Cost: `periods × bars` plus one step per
//! swap (crossings in either direction, including those of pairs not in
//! the sweep), instead of `pairs × bars` compares. The masks are zeroed
//! first and one bit is set per cross.
//!
//! # Which algorithm ([`CrossAlgorithm::Auto`])
//!
//! Both give bit-identical results. `Auto` takes the event-driven one when
//! there are at least 32 pairs per distinct period, else the pair loop.
//! Measured on a random walk with 1%
//! steps (`benches/sweep.rs`, fast 2..=100, slow 3..=200: 14,751 pairs,
//! 199 periods, 74 pairs per period, one run at load 2–7): masks 571 ms
//! (events) vs 907 ms (pair loop), 1.6x faster; counts 388 vs 397 ms, a
//! tie (1.8x slower in a run at load 7–10). The counts did not gain
//! because the SMAs of all periods tangle constantly (about 118 crosses
//! above of swept pairs and 295 swaps per bar, 83 of the 199 periods
//! moving each bar, mean largest move 19 places), and the insertion
//! sort's branches, one misprediction per moving element, cost about as
//! much per bar as the pair loop's 14,751 vector compares. Since then the
//! AVX2 insertion step moves most entries without a branch (see the
//! `cross_events` module): in a later run (criterion, 2 threads, load
//! 1–2) counts took 71 ms (events) vs 138 ms (pair loop), 0.048 ns per
//! pair-bar, and masks into warm buffers 108 vs 247 ms; in the run after
//! the merge (load 1–2) counts 66.3 ms (0.045 ns per pair-bar) vs 148.6,
//! serial 116 vs 177 ms.
//!
//! The threshold, measured again after that rework (one thread, 1e5
//! bars, median of 5 interleaved runs; fast `2..2+k`, slow `200..200+k`,
//! so `k/2` pairs per period), events' speed-up over the pair loop at
//! 16 / 24 / 32 / 48 / 64 pairs per period: masks (AVX2) 0.80 / 1.17 /
//! 1.58 / 1.74 / 1.86x; counts on AVX2 0.93 / 0.91 / 1.29 / 1.32 /
//! 1.55x, on the portable backend 0.70 / 0.90 / 1.17 / 1.62 / 1.87x, on
//! the scalar backend 1.17 / 1.55 / 2.03 / 2.68 / 3.19x. 32 is the first
//! of these densities where the events win on every backend. On the
//! 14,751 pairs above (74 per period), counts, one thread: scalar 182 vs
//! 903 ms (4.96x), portable 204 vs 412 ms (2.02x). On smoother data
//! (fewer crossings per bar) events win earlier, at the caller's choice.
//!
//! # Parallel
//!
//! [`cross_sweep_par`] and [`cross_sweep_counts_par`] (feature `rayon`)
//! run the pair loop with the pairs split into one contiguous range per
//! thread (each range computing the SMA rows of the periods it needs), or
//! the event-driven sweep with the bars split into one range of whole
//! 64-bar words per thread (each range sorting afresh at the bar before its
//! first; counts added up after). Results are **bit-identical** to the
//! serial functions, and both are bit-identical across backends (the
//! comparisons are exact and the SMA values do not depend on the backend
//! or on the blocking).

use crate::bitmask::words_for;
use crate::error::{Result, check_len};
use crate::{Backend, BitMask};

use super::check_periods;
use super::cross_events::{Table, run_range};
use super::sma::{Dyadic, Plan, drive_on, rows_on};
use super::words::{self, Layout};

/// Words (of 64 bars) per block.
const BLOCK_WORDS: usize = 1;

/// Bars per block of the cross sweep.
pub const BLOCK_BARS: usize = 64 * BLOCK_WORDS;

/// The result of [`cross_sweep`]: pairs, one mask and one count per pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrossSweep {
    pairs: Vec<(usize, usize)>,
    masks: Vec<BitMask>,
    counts: Vec<u64>,
}

impl CrossSweep {
    /// The `(fast, slow)` pairs, in the order of [`cross_pairs`].
    pub fn pairs(&self) -> &[(usize, usize)] {
        &self.pairs
    }

    /// `masks()[k]`: bars where `SMA(fast)` crosses above `SMA(slow)` for
    /// pair `k`.
    pub fn masks(&self) -> &[BitMask] {
        &self.masks
    }

    /// `counts()[k]`: the number of crosses of pair `k`
    /// (`masks()[k].count_ones()`).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The masks, by value (pair order).
    pub fn into_masks(self) -> Vec<BitMask> {
        self.masks
    }
}

/// The pairs a cross sweep covers, in its output order: for each `f` of
/// `fast` in order, each `s` of `slow` in order with `f < s`.
pub fn cross_pairs(fast: &[usize], slow: &[usize]) -> Vec<(usize, usize)> {
    fast.iter()
        .flat_map(|&f| slow.iter().filter(move |&&s| f < s).map(move |&s| (f, s)))
        .collect()
}

fn check(fast: &[usize], slow: &[usize]) -> Result<Backend> {
    check_periods("fast_periods.len()", "fast_period", fast, 1)?;
    check_periods("slow_periods.len()", "slow_period", slow, 1)?;
    let backend = Backend::active();
    backend.check()?;
    Ok(backend)
}

/// Which algorithm a cross sweep runs. Both give **bit-identical**
/// results (see the module docs); they differ only in speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CrossAlgorithm {
    /// [`Events`](Self::Events) when the pairs are many for their periods,
    /// else [`PairLoop`](Self::PairLoop) (the rule is in the module docs).
    #[default]
    Auto,
    /// Every pair's two SMA rows compared word by word (64 bars): cost
    /// proportional to `pairs × bars`.
    PairLoop,
    /// The SMA values of all periods kept in sorted order from bar to bar;
    /// each crossing is one swap of an insertion sort: cost proportional
    /// to `periods × bars + crossings`.
    Events,
}

/// Crosses of `SMA(fast)` above `SMA(slow)` for every pair of
/// [`cross_pairs`]`(fast, slow)`: one [`BitMask`] and one count per pair
/// (see the module docs for semantics, layout and memory).
///
/// Errors: an empty list → [`InvalidPeriod`](crate::Error::InvalidPeriod)
/// named `"fast_periods.len()"` / `"slow_periods.len()"`; a period outside
/// `1..=100000` → `InvalidPeriod` named `"fast_period"` / `"slow_period"`.
/// Lists that give no pair (every `f >= s`) are not an error: the result
/// is empty.
pub fn cross_sweep(x: &[f64], fast: &[usize], slow: &[usize]) -> Result<CrossSweep> {
    cross_sweep_with(x, fast, slow, CrossAlgorithm::Auto, false)
}

/// The counts of [`cross_sweep`] only (pair order of [`cross_pairs`]),
/// storing no mask: memory is independent of the series' length.
/// Errors as [`cross_sweep`].
pub fn cross_sweep_counts(x: &[f64], fast: &[usize], slow: &[usize]) -> Result<Vec<u64>> {
    cross_sweep_counts_with(x, fast, slow, CrossAlgorithm::Auto, false)
}

/// [`cross_sweep`] on rayon's threads; bit-identical to [`cross_sweep`].
/// The backend is the caller's ([`Backend::active`] on the calling
/// thread).
#[cfg(feature = "rayon")]
pub fn cross_sweep_par(x: &[f64], fast: &[usize], slow: &[usize]) -> Result<CrossSweep> {
    cross_sweep_with(x, fast, slow, CrossAlgorithm::Auto, true)
}

/// [`cross_sweep_counts`] on rayon's threads; bit-identical to it.
#[cfg(feature = "rayon")]
pub fn cross_sweep_counts_par(x: &[f64], fast: &[usize], slow: &[usize]) -> Result<Vec<u64>> {
    cross_sweep_counts_with(x, fast, slow, CrossAlgorithm::Auto, true)
}

/// [`cross_sweep`] with a chosen algorithm, on rayon's threads if
/// `parallel` (serial without the `rayon` feature). Every choice gives the
/// same result. Errors as [`cross_sweep`].
pub fn cross_sweep_with(
    x: &[f64],
    fast: &[usize],
    slow: &[usize],
    algorithm: CrossAlgorithm,
    parallel: bool,
) -> Result<CrossSweep> {
    let backend = check(fast, slow)?;
    let pairs = cross_pairs(fast, slow);
    let mut masks = (0..pairs.len())
        .map(|_| BitMask::zeros(x.len()))
        .collect::<Vec<_>>();
    let mut counts = vec![0u64; pairs.len()];
    sweep::<true>(
        backend,
        x,
        &pairs,
        algorithm,
        parallel,
        &mut masks,
        &mut counts,
    );
    Ok(CrossSweep {
        pairs,
        masks,
        counts,
    })
}

/// [`cross_sweep_with`] into the caller's buffers: `masks[k]` and
/// `counts[k]` receive the mask and count of pair `k` of
/// [`cross_pairs`]`(fast, slow)`. Every word of every mask is written (the
/// buffers need not be cleared), so a caller sweeping many series reuses
/// warm memory instead of paying the page faults of `pairs × n` fresh
/// bits each time. Same results as [`cross_sweep_with`].
///
/// Errors: as [`cross_sweep`], plus `masks.len()` or `counts.len()` other
/// than the number of pairs, or a mask of another length than `x` →
/// [`LengthMismatch`](crate::Error::LengthMismatch) named `"masks"`,
/// `"counts"` or `"masks[k]"`.
pub fn cross_sweep_into(
    x: &[f64],
    fast: &[usize],
    slow: &[usize],
    algorithm: CrossAlgorithm,
    parallel: bool,
    masks: &mut [BitMask],
    counts: &mut [u64],
) -> Result<()> {
    let backend = check(fast, slow)?;
    let pairs = cross_pairs(fast, slow);
    check_len("masks", pairs.len(), masks.len())?;
    check_len("counts", pairs.len(), counts.len())?;
    for m in masks.iter() {
        check_len("masks[k]", x.len(), m.len())?;
    }
    counts.fill(0);
    sweep::<true>(backend, x, &pairs, algorithm, parallel, masks, counts);
    Ok(())
}

/// [`cross_sweep_counts`] with a chosen algorithm, on rayon's threads if
/// `parallel` (serial without the `rayon` feature). Every choice gives the
/// same result. Errors as [`cross_sweep`].
pub fn cross_sweep_counts_with(
    x: &[f64],
    fast: &[usize],
    slow: &[usize],
    algorithm: CrossAlgorithm,
    parallel: bool,
) -> Result<Vec<u64>> {
    let backend = check(fast, slow)?;
    let pairs = cross_pairs(fast, slow);
    let mut counts = vec![0u64; pairs.len()];
    sweep::<false>(
        backend,
        x,
        &pairs,
        algorithm,
        parallel,
        &mut [],
        &mut counts,
    );
    Ok(counts)
}

/// [`CrossAlgorithm::Auto`]'s choice for `pairs` (see the module docs).
fn choose(pairs: &[(usize, usize)]) -> CrossAlgorithm {
    let mut periods: Vec<usize> = pairs.iter().flat_map(|&(f, s)| [f, s]).collect();
    periods.sort_unstable();
    periods.dedup();
    if pairs.len() >= EVENTS_MIN_PAIRS_PER_PERIOD * periods.len() {
        CrossAlgorithm::Events
    } else {
        CrossAlgorithm::PairLoop
    }
}

/// [`CrossAlgorithm::Auto`] runs [`CrossAlgorithm::Events`] from this
/// many pairs per distinct period on, for masks and counts on every
/// backend (see "Which algorithm" in the module docs).
const EVENTS_MIN_PAIRS_PER_PERIOD: usize = 32;

/// The sweep of `pairs` with `algorithm` (masks written if `MASKS`, else
/// `masks` is empty; `counts` zero on entry).
fn sweep<const MASKS: bool>(
    backend: Backend,
    x: &[f64],
    pairs: &[(usize, usize)],
    algorithm: CrossAlgorithm,
    parallel: bool,
    masks: &mut [BitMask],
    counts: &mut [u64],
) {
    if pairs.is_empty() || x.is_empty() {
        return;
    }
    let algorithm = match algorithm {
        CrossAlgorithm::Auto => choose(pairs),
        a => a,
    };
    match algorithm {
        CrossAlgorithm::Events => events::<MASKS>(backend, x, pairs, parallel, masks, counts),
        _ => {
            #[cfg(feature = "rayon")]
            if parallel {
                use rayon::prelude::*;
                let chunk = chunk_len(pairs.len());
                if MASKS {
                    pairs
                        .par_chunks(chunk)
                        .zip(masks.par_chunks_mut(chunk))
                        .zip(counts.par_chunks_mut(chunk))
                        .for_each(|((p, m), c)| run::<true>(backend, x, p, m, c));
                } else {
                    pairs
                        .par_chunks(chunk)
                        .zip(counts.par_chunks_mut(chunk))
                        .for_each(|(p, c)| run::<false>(backend, x, p, &mut [], c));
                }
                return;
            }
            let _ = parallel;
            run::<MASKS>(backend, x, pairs, masks, counts)
        }
    }
}

/// Bars per range of the parallel event-driven sweep, at least (each
/// range sorts afresh and recomputes `max p` bars of history).
#[cfg(feature = "rayon")]
const EVENTS_MIN_RANGE_WORDS: usize = 4;

/// The event-driven sweep ([`cross_events`]): the bars split into one
/// word-aligned range per thread if `parallel`.
fn events<const MASKS: bool>(
    backend: Backend,
    x: &[f64],
    pairs: &[(usize, usize)],
    parallel: bool,
    masks: &mut [BitMask],
    counts: &mut [u64],
) {
    let table = Table::new(pairs);
    let n = x.len();
    let nw = words_for(n);
    #[cfg(feature = "rayon")]
    let parts = if parallel {
        rayon::current_num_threads()
            .min(nw / EVENTS_MIN_RANGE_WORDS)
            .max(1)
    } else {
        1
    };
    #[cfg(not(feature = "rayon"))]
    let parts = {
        let _ = parallel;
        1
    };
    let bounds: Vec<usize> = (0..=parts).map(|c| nw * c / parts).collect();
    // Each range's slice of every mask's words.
    let mut words: Vec<Vec<&mut [u64]>> = (0..parts).map(|_| Vec::new()).collect();
    if MASKS {
        for m in masks.iter_mut() {
            let mut rest = m.words_mut();
            for (c, w) in words.iter_mut().enumerate() {
                let (a, b) = core::mem::take(&mut rest).split_at_mut(bounds[c + 1] - bounds[c]);
                w.push(a);
                rest = b;
            }
        }
    }
    if parts == 1 {
        run_range::<MASKS>(backend, x, &table, 0, n, counts, &mut words[0]);
    } else {
        #[cfg(feature = "rayon")]
        {
            use rayon::prelude::*;
            let partial: Vec<Vec<u64>> = words
                .into_par_iter()
                .enumerate()
                .map(|(c, mut w)| {
                    let mut part = vec![0u64; pairs.len()];
                    let (c0, c1) = (bounds[c] * 64, (bounds[c + 1] * 64).min(n));
                    run_range::<MASKS>(backend, x, &table, c0, c1, &mut part, &mut w);
                    part
                })
                .collect();
            for part in partial {
                for (t, p) in counts.iter_mut().zip(part) {
                    *t += p;
                }
            }
        }
    }
    // Duplicate pairs copy their first occurrence.
    for k in 0..pairs.len() {
        let c = table.canonical(k);
        if c != k {
            counts[k] = counts[c];
            if MASKS {
                // `c < k`: the first occurrence comes first.
                let (a, b) = masks.split_at_mut(k);
                b[0].words_mut().copy_from_slice(a[c].words());
            }
        }
    }
}

/// Pairs per parallel task: one contiguous range per thread.
#[cfg(feature = "rayon")]
fn chunk_len(pairs: usize) -> usize {
    pairs.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// Slow rows per tile of the pair loop: 32 rows × 64 bars × 8 bytes =
/// 16 KiB, so a tile stays in L1 while every fast row is compared with it
/// (in pair order the slow rows of one fast period span ~100 KiB, read
/// from L2 for each fast period).
const TILE_ROWS: usize = 32;

/// The block buffers of one run.
struct Block {
    /// Distinct periods, ascending; row `r` is period `periods[r]`.
    periods: Vec<usize>,
    /// `(pair index, fast row, slow row)` of each pair, in processing
    /// order (see [`TILE_ROWS`]).
    rows_of: Vec<(usize, usize, usize)>,
    /// Row `r`, word `w` at `rows[r * BLOCK_WORDS + w]`, in `layout`.
    rows: Vec<[f64; 64]>,
    /// Not-NaN words: row `r`, word `w` at `valid[r * BLOCK_WORDS + w]`.
    valid: Vec<u64>,
    /// Per pair: bit 63 of the previous word's `le`.
    carry: Vec<u64>,
    layout: Layout,
}

/// Which word kernel a run uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Words {
    Scalar,
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

fn words_for_backend(backend: Backend) -> Words {
    match backend {
        Backend::Scalar => Words::Scalar,
        Backend::Portable => Words::Portable,
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 if avx2_popcnt() => Words::Avx2,
        Backend::Avx2 => Words::Portable,
    }
}

/// AVX2 + FMA (the backend's token) and POPCNT, for the pair loop.
#[cfg(target_arch = "x86_64")]
fn avx2_popcnt() -> bool {
    crate::dispatch::Avx2Fma::is_available() && std::is_x86_feature_detected!("popcnt")
}

/// The serial sweep of `pairs` (masks written if `MASKS`, else `masks`
/// is empty; `counts` accumulated from zero).
fn run<const MASKS: bool>(
    backend: Backend,
    x: &[f64],
    pairs: &[(usize, usize)],
    masks: &mut [BitMask],
    counts: &mut [u64],
) {
    if pairs.is_empty() || x.is_empty() {
        return;
    }
    let mut periods: Vec<usize> = pairs.iter().flat_map(|&(f, s)| [f, s]).collect();
    periods.sort_unstable();
    periods.dedup();
    let row = |p: usize| periods.binary_search(&p).unwrap_or(0);
    let mut rows_of: Vec<(usize, usize, usize)> = pairs
        .iter()
        .enumerate()
        .map(|(k, &(f, s))| (k, row(f), row(s)))
        .collect();
    // Slow rows in tiles that stay in L1 while every fast row meets them.
    rows_of.sort_by_key(|&(k, rf, rs)| (rs / TILE_ROWS, rf, k));
    let kind = words_for_backend(backend);
    let layout = match kind {
        #[cfg(target_arch = "x86_64")]
        Words::Avx2 => Layout::Permuted,
        _ => Layout::Natural,
    };
    let nr = periods.len();
    let max_p = periods[nr - 1];
    let mut blk = Block {
        rows: vec![[f64::NAN; 64]; nr * BLOCK_WORDS],
        valid: vec![0; nr * BLOCK_WORDS],
        carry: vec![0; pairs.len()],
        periods,
        rows_of,
        layout,
    };
    let mut tmp = vec![[f64::NAN; BLOCK_BARS]; nr];
    let plan = Plan::new(&blk.periods);
    let mut stack = vec![0.0; plan.stack_len(BLOCK_BARS)];
    let mut dy = Dyadic::new(x, max_p, BLOCK_BARS);
    drive_on(backend, &mut dy, BLOCK_BARS, |b0, b1, dy| {
        let m = b1 - b0;
        let mut sub: Vec<&mut [f64]> = tmp.iter_mut().map(|t| &mut t[..]).collect();
        rows_on(backend, dy, &plan, b0, m, &mut stack, &mut sub);
        drop(sub);
        for (r, tmp) in tmp.iter_mut().enumerate() {
            tmp[m..].fill(f64::NAN);
            let (groups, _) = tmp.as_chunks::<64>();
            for (w, src) in groups.iter().enumerate() {
                let i = r * BLOCK_WORDS + w;
                blk.valid[i] = words::valid_word_scalar(src);
                words::store_group(blk.layout, src, &mut blk.rows[i]);
            }
        }
        let w0 = b0 / 64;
        let nw = words_for(m);
        pairs_block::<MASKS>(kind, &mut blk, w0, nw, masks, counts);
    });
}

/// Every pair's words `w0 .. w0 + nw` of the current block.
fn pairs_block<const MASKS: bool>(
    kind: Words,
    blk: &mut Block,
    w0: usize,
    nw: usize,
    masks: &mut [BitMask],
    counts: &mut [u64],
) {
    match kind {
        Words::Scalar => pairs_generic::<MASKS>(blk, w0, nw, masks, counts, words::gt_word_scalar),
        Words::Portable => {
            pairs_generic::<MASKS>(blk, w0, nw, masks, counts, words::gt_word_portable)
        }
        #[cfg(target_arch = "x86_64")]
        Words::Avx2 => {
            // SAFETY: `Words::Avx2` is only chosen when AVX2, FMA and
            // POPCNT are available (`words_for_backend`).
            unsafe { pairs_avx2::<MASKS>(blk, w0, nw, masks, counts) }
        }
    }
}

/// [`pairs_generic`] with the AVX2 word kernel, compiled with AVX2 and
/// POPCNT.
///
/// # Safety
///
/// AVX2, FMA and POPCNT must be available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,popcnt")]
unsafe fn pairs_avx2<const MASKS: bool>(
    blk: &mut Block,
    w0: usize,
    nw: usize,
    masks: &mut [BitMask],
    counts: &mut [u64],
) {
    pairs_generic::<MASKS>(blk, w0, nw, masks, counts, |a, b| {
        // SAFETY: `a` and `b` are 64 f64s each (rows stored in
        // `Layout::Permuted`); AVX2 is available (contract).
        unsafe { words::gt_word_avx2(a.as_ptr(), b.as_ptr()) }
    })
}

/// The pair loop: for each pair and word, `gt` from `word`, then the
/// shift-and-carry into the cross word, the count and (if `MASKS`) the
/// mask.
#[inline(always)]
fn pairs_generic<const MASKS: bool>(
    blk: &mut Block,
    w0: usize,
    nw: usize,
    masks: &mut [BitMask],
    counts: &mut [u64],
    word: impl Fn(&[f64; 64], &[f64; 64]) -> u64,
) {
    let rows = blk.rows.as_slice();
    let valid = blk.valid.as_slice();
    for &(k, rf, rs) in &blk.rows_of {
        let fr = &rows[rf * BLOCK_WORDS..][..BLOCK_WORDS];
        let sr = &rows[rs * BLOCK_WORDS..][..BLOCK_WORDS];
        let mut carry = blk.carry[k];
        let mut count = 0u64;
        for w in 0..nw {
            let gt = word(&fr[w], &sr[w]);
            let le = !gt & valid[rf * BLOCK_WORDS + w] & valid[rs * BLOCK_WORDS + w];
            let cross = gt & ((le << 1) | carry);
            carry = le >> 63;
            count += u64::from(cross.count_ones());
            if MASKS {
                masks[k].words_mut()[w0 + w] = cross;
            }
        }
        blk.carry[k] = carry;
        counts[k] += count;
    }
}
