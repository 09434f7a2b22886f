//! AVX2 backend: `_mm256_cmp_pd` with ordered, quiet predicates (NaN
//! compares false, no floating-point exception is raised), 16 vectors per
//! 64-bar block.
//!
//! The all-ones/all-zeros 64-bit lanes of comparison results are narrowed
//! into one register of 32 bytes: `vshufps` keeps the high 32-bit half of
//! each lane of two results, `vpackssdw` and `vpacksswb` narrow further
//! (saturating `-1` stays `-1`), so one `vpmovmskb` yields 32 bits —
//! instead of eight `vmovmskpd` plus eight shift-and-or steps. [`pack8`]
//! does this for eight results of one comparison (32 bars). A transition
//! keeps both comparisons of 32 bars in flight (16 result registers) and
//! narrows each with one [`pack8`], so each 32-bit mask lands in its half
//! of a word with one shift: a former 16-bar scheme (both comparisons in
//! one `vpmovmskb`) needed about 30 scalar shift/mask/or steps per block
//! to separate and reassemble the halves, and was about 15 % slower with
//! the inputs in L2. The in-lane packs leave the bars in a fixed permuted
//! order, which one `vpermq` (cross-lane, 64-bit granularity) and one
//! `vpshufb` (in-lane, bytes) restore before the movemask.
//!
//! Each input element is loaded exactly once. The partial last block is
//! copied into a NaN-padded stack buffer, so no load ever goes past the end
//! of `a` or `b`.

#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

use super::{Carry, CmpOp, Rhs};
use crate::dispatch::Avx2Fma;

const GT: i32 = _CMP_GT_OQ;
const GE: i32 = _CMP_GE_OQ;
const LT: i32 = _CMP_LT_OQ;
const LE: i32 = _CMP_LE_OQ;

/// Bit `i` of `out` iff `a[i] op b[i]`.
///
/// The caller (`mod.rs`) has checked that a series `b` has `a`'s length
/// and that `out.len() == words_for(a.len())`.
pub(crate) fn compare(_token: Avx2Fma, a: &[f64], op: CmpOp, b: Rhs<'_>, out: &mut [u64]) {
    // SAFETY: the token proves the CPU has AVX2 and FMA; the lengths were
    // checked by the caller, as `compare_avx2` requires.
    unsafe {
        match op {
            CmpOp::Gt => compare_avx2::<GT>(a, b, out),
            CmpOp::Ge => compare_avx2::<GE>(a, b, out),
            CmpOp::Lt => compare_avx2::<LT>(a, b, out),
            CmpOp::Le => compare_avx2::<LE>(a, b, out),
        }
    }
}

/// Bit `i` of `out` iff `a[i] now b[i] && a[i-1] before b[i-1]`.
///
/// The caller (`mod.rs`) has checked that a series `b` has `a`'s length
/// and that `out.len() == words_for(a.len())`.
pub(crate) fn transition(
    _token: Avx2Fma,
    a: &[f64],
    now: CmpOp,
    before: CmpOp,
    b: Rhs<'_>,
    out: &mut [u64],
) {
    use CmpOp::*;
    // SAFETY: the token proves the CPU has AVX2 and FMA; the lengths were
    // checked by the caller, as `transition_avx2` requires.
    unsafe {
        match (now, before) {
            (Gt, Le) => transition_avx2::<GT, LE>(a, b, out),
            (Lt, Ge) => transition_avx2::<LT, GE>(a, b, out),
            (Gt, Gt) => transition_avx2::<GT, GT>(a, b, out),
            (Gt, Ge) => transition_avx2::<GT, GE>(a, b, out),
            (Gt, Lt) => transition_avx2::<GT, LT>(a, b, out),
            (Ge, Gt) => transition_avx2::<GE, GT>(a, b, out),
            (Ge, Ge) => transition_avx2::<GE, GE>(a, b, out),
            (Ge, Lt) => transition_avx2::<GE, LT>(a, b, out),
            (Ge, Le) => transition_avx2::<GE, LE>(a, b, out),
            (Lt, Gt) => transition_avx2::<LT, GT>(a, b, out),
            (Lt, Lt) => transition_avx2::<LT, LT>(a, b, out),
            (Lt, Le) => transition_avx2::<LT, LE>(a, b, out),
            (Le, Gt) => transition_avx2::<LE, GT>(a, b, out),
            (Le, Ge) => transition_avx2::<LE, GE>(a, b, out),
            (Le, Lt) => transition_avx2::<LE, LT>(a, b, out),
            (Le, Le) => transition_avx2::<LE, LE>(a, b, out),
        }
    }
}

/// Copies the partial last block (`a.len() % 64` bars, possibly none) of
/// `a` into a NaN-padded 64-element buffer.
#[inline(always)]
fn tail_block(a: &[f64]) -> [f64; 64] {
    let full = a.len() / 64 * 64;
    let mut t = [f64::NAN; 64];
    t[..a.len() - full].copy_from_slice(&a[full..]);
    t
}

/// Runs `f(o, pa, pb)` on each 64-bar block `k` of `(a, b)` with `o` the
/// word `out[k]`, where `pa` points at 64 readable `f64`s of `a` (or of a
/// NaN-padded copy for the partial last block) and `pb` likewise for a
/// series `b`; for a constant `b`, `pb` is a dangling pointer that `f` must
/// not read. `out` has `words_for(a.len())` words (checked by the caller);
/// zipping with it keeps bounds checks out of the loop.
#[inline(always)]
fn for_blocks(
    a: &[f64],
    b: Option<&[f64]>,
    out: &mut [u64],
    mut f: impl FnMut(&mut u64, *const f64, *const f64),
) {
    let full = a.len() / 64;
    let pa = a.as_ptr();
    let pb = b.map_or(core::ptr::null(), <[f64]>::as_ptr);
    let (body, tail) = out.split_at_mut(full.min(out.len()));
    for (k, o) in body.iter_mut().enumerate() {
        // `wrapping_add` keeps this safe; the offset stays inside `a` (and
        // `b`, of the same length) because `64 * k + 64 <= a.len()`.
        f(o, pa.wrapping_add(64 * k), pb.wrapping_add(64 * k));
    }
    if let (false, Some(o)) = (a.len().is_multiple_of(64), tail.first_mut()) {
        let ta = tail_block(a);
        let tb = b.map(tail_block);
        let pb = tb.as_ref().map_or(core::ptr::null(), |t| t.as_ptr());
        f(o, ta.as_ptr(), pb);
    }
}

/// # Safety
///
/// AVX2 must be available. A series `b` must have `a`'s length, and
/// `out.len() == words_for(a.len())`.
#[target_feature(enable = "avx2,fma")]
unsafe fn compare_avx2<const P: i32>(a: &[f64], b: Rhs<'_>, out: &mut [u64]) {
    match b {
        Rhs::Series(bs) => for_blocks(a, Some(bs), out, |o, pa, pb| {
            // SAFETY: `for_blocks` gives pointers to 64 readable f64s of
            // `a` and `b` (or their padded copies); AVX2 is enabled here.
            *o = unsafe { word::<P, true>(pa, pb, _mm256_setzero_pd()) };
        }),
        Rhs::Value(v) => {
            let bv = _mm256_set1_pd(v);
            for_blocks(a, None, out, |o, pa, pb| {
                // SAFETY: `pa` points at 64 readable f64s; with
                // SERIES = false, `pb` is not read; AVX2 is enabled here.
                *o = unsafe { word::<P, false>(pa, pb, bv) };
            })
        }
    }
}

/// # Safety
///
/// AVX2 must be available. A series `b` must have `a`'s length, and
/// `out.len() == words_for(a.len())`.
#[target_feature(enable = "avx2,fma")]
unsafe fn transition_avx2<const N: i32, const P: i32>(a: &[f64], b: Rhs<'_>, out: &mut [u64]) {
    let mut carry = Carry::default();
    match b {
        Rhs::Series(bs) => for_blocks(a, Some(bs), out, |o, pa, pb| {
            // SAFETY: `for_blocks` gives pointers to 64 readable f64s of
            // `a` and `b` (or their padded copies); AVX2 is enabled here.
            let (n, p) = unsafe { words2::<N, P, true>(pa, pb, _mm256_setzero_pd()) };
            *o = carry.step(n, p);
        }),
        Rhs::Value(v) => {
            let bv = _mm256_set1_pd(v);
            for_blocks(a, None, out, |o, pa, pb| {
                // SAFETY: `pa` points at 64 readable f64s; with
                // SERIES = false, `pb` is not read; AVX2 is enabled here.
                let (n, p) = unsafe { words2::<N, P, false>(pa, pb, bv) };
                *o = carry.step(n, p);
            })
        }
    }
}

/// Narrows eight comparison results (bars `4j .. 4j + 4` in `c[j]`) to a
/// 32-bit mask, bit `4j + e` = lane `e` of `c[j]`.
///
/// # Safety
///
/// AVX2 must be available.
#[inline(always)]
unsafe fn pack8(c: &[__m256d; 8]) -> u32 {
    // SAFETY: register-only intrinsics; AVX2 is available (contract).
    unsafe {
        let f = |x: __m256d| _mm256_castpd_ps(x);
        let i = |x: __m256| _mm256_castps_si256(x);
        // Per 128-bit lane: [c0.e0, c0.e1, c1.e0, c1.e1] (low lane) and
        // [c0.e2, c0.e3, c1.e2, c1.e3] (high lane), as 32-bit -1/0.
        let s01 = i(_mm256_shuffle_ps::<0xDD>(f(c[0]), f(c[1])));
        let s23 = i(_mm256_shuffle_ps::<0xDD>(f(c[2]), f(c[3])));
        let s45 = i(_mm256_shuffle_ps::<0xDD>(f(c[4]), f(c[5])));
        let s67 = i(_mm256_shuffle_ps::<0xDD>(f(c[6]), f(c[7])));
        let p0 = _mm256_packs_epi32(s01, s23);
        let p1 = _mm256_packs_epi32(s45, s67);
        // Qwords: [c0..c3 e0e1], [c4..c7 e0e1], [c0..c3 e2e3], [c4..c7 e2e3].
        let q = _mm256_packs_epi16(p0, p1);
        // -> low lane c0..c3, high lane c4..c7.
        let q = _mm256_permute4x64_epi64::<0xD8>(q);
        // Within each lane, bytes [cj.e0 cj.e1 ...] then [cj.e2 cj.e3 ...]
        // are interleaved back into bar order.
        let idx = _mm256_setr_epi8(
            0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, //
            0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
        );
        _mm256_movemask_epi8(_mm256_shuffle_epi8(q, idx)) as u32
    }
}

/// Loads vector `v` (bars `4v .. 4v + 4`) of a block.
///
/// # Safety
///
/// AVX2 must be available; `pa` (and `pb` if `SERIES`) must point at 64
/// readable `f64`s and `v < 16`.
#[inline(always)]
unsafe fn load<const SERIES: bool>(
    pa: *const f64,
    pb: *const f64,
    bv: __m256d,
    v: usize,
) -> (__m256d, __m256d) {
    // SAFETY: `4 * v + 4 <= 64`, so both unaligned loads read inside the
    // 64 readable elements (contract); `pb` is only read when SERIES.
    unsafe {
        let x = _mm256_loadu_pd(pa.add(4 * v));
        let y = if SERIES {
            _mm256_loadu_pd(pb.add(4 * v))
        } else {
            bv
        };
        (x, y)
    }
}

/// The compare word `bits(a op b)` of one 64-bar block.
///
/// # Safety
///
/// AVX2 must be available; `pa` (and `pb` if `SERIES`) must point at 64
/// readable `f64`s.
#[inline(always)]
unsafe fn word<const P: i32, const SERIES: bool>(
    pa: *const f64,
    pb: *const f64,
    bv: __m256d,
) -> u64 {
    // SAFETY: `load` is called with v < 16 on pointers to 64 readable
    // f64s (contract); the rest is register-only AVX2 code.
    unsafe {
        let mut lo = [_mm256_setzero_pd(); 8];
        let mut hi = [_mm256_setzero_pd(); 8];
        for v in 0..8 {
            let (x, y) = load::<SERIES>(pa, pb, bv, v);
            lo[v] = _mm256_cmp_pd::<P>(x, y);
            let (x, y) = load::<SERIES>(pa, pb, bv, v + 8);
            hi[v] = _mm256_cmp_pd::<P>(x, y);
        }
        u64::from(pack8(&lo)) | (u64::from(pack8(&hi)) << 32)
    }
}

/// The compare words `(bits(a N b), bits(a P b))` of one 64-bar block,
/// each element loaded once; 32 bars (8 vectors, both comparisons: 16
/// result registers) at a time, each comparison narrowed by [`pack8`] to
/// 32 bits that go straight into their half of the word.
///
/// # Safety
///
/// AVX2 must be available; `pa` (and `pb` if `SERIES`) must point at 64
/// readable `f64`s.
#[inline(always)]
unsafe fn words2<const N: i32, const P: i32, const SERIES: bool>(
    pa: *const f64,
    pb: *const f64,
    bv: __m256d,
) -> (u64, u64) {
    // SAFETY: `load` is called with v < 16 on pointers to 64 readable
    // f64s (contract); the rest is register-only AVX2 code.
    unsafe {
        let mut w = [0u32; 4];
        for h in 0..2 {
            let mut cn = [_mm256_setzero_pd(); 8];
            let mut cp = [_mm256_setzero_pd(); 8];
            for v in 0..8 {
                let (x, y) = load::<SERIES>(pa, pb, bv, 8 * h + v);
                cn[v] = _mm256_cmp_pd::<N>(x, y);
                cp[v] = _mm256_cmp_pd::<P>(x, y);
            }
            w[h] = pack8(&cn);
            w[2 + h] = pack8(&cp);
        }
        (
            u64::from(w[0]) | (u64::from(w[1]) << 32),
            u64::from(w[2]) | (u64::from(w[3]) << 32),
        )
    }
}
