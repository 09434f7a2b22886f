//! Comparison words of 64-bar blocks of two SMA rows, dispatched: the
//! innermost loop of [`super::cross_sweep`].
//!
//! The word of a pair of rows is `bits(a[j] > b[j])` for the 64 bars of
//! a block (IEEE ordered: NaN compares false), so every backend gives the
//! same words.
//!
//! - scalar: one comparison per bar, or-ed into the word;
//! - portable: `wide::f64x4` comparisons, 4 bits per `to_bitmask`;
//! - AVX2: 16 `vcmppd` per word; the all-ones/zeros lanes of 8 results
//!   are narrowed by `vshufps`, `vpackssdw`, `vpacksswb` into 32 bytes and
//!   one `vpmovmskb` gives 32 bits. The in-lane packs leave the bars in a
//!   fixed permuted order; instead of restoring it per word (as
//!   `kernels::cross` does, a `vpermq` + `vpshufb` per 32 bits), the rows
//!   are *stored* in the inverse order ([`Layout::Permuted`]) once per
//!   period and block, so the raw movemask bits are already in bar order.
//!   Each row is compared with about a hundred others, which makes the
//!   store-time permutation nearly free.

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use wide::f64x4;

/// How the bars of a 64-bar group are ordered in the block buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Layout {
    /// Bar `j` at index `j`.
    Natural,
    /// Bar `j` at index [`permuted_index`]`(j)` (AVX2's pack order).
    #[cfg(target_arch = "x86_64")]
    Permuted,
}

/// Where bar `j` (`< 64`) of a group is stored in [`Layout::Permuted`]:
/// the index whose comparison lane the packs of [`gt_word_avx2`] move to
/// bit `j` of the movemask.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) const fn permuted_index(j: usize) -> usize {
    let half = j / 32 * 32;
    let b = j % 32;
    // Bits 0..16 of a 32-bit pack are lanes 0, 1 of results 0..8; bits
    // 16..32 are lanes 2, 3 of the same results.
    if b < 16 {
        half + 4 * (b / 2) + b % 2
    } else {
        half + 4 * ((b - 16) / 2) + 2 + (b - 16) % 2
    }
}

/// Writes a 64-bar group `src` (natural order) to `dst` in `layout`.
#[inline(always)]
pub(crate) fn store_group(layout: Layout, src: &[f64; 64], dst: &mut [f64; 64]) {
    match layout {
        Layout::Natural => dst.copy_from_slice(src),
        #[cfg(target_arch = "x86_64")]
        Layout::Permuted => {
            for (j, &v) in src.iter().enumerate() {
                dst[permuted_index(j)] = v;
            }
        }
    }
}

/// `bits(a > b)` of one group, scalar.
#[inline(always)]
pub(crate) fn gt_word_scalar(a: &[f64; 64], b: &[f64; 64]) -> u64 {
    let mut w = 0u64;
    for j in 0..64 {
        w |= u64::from(a[j] > b[j]) << j;
    }
    w
}

/// `bits(a > b)` of one group on `wide::f64x4`.
#[inline(always)]
pub(crate) fn gt_word_portable(a: &[f64; 64], b: &[f64; 64]) -> u64 {
    let mut w = 0u64;
    for v in 0..16 {
        let x = f64x4::from([a[4 * v], a[4 * v + 1], a[4 * v + 2], a[4 * v + 3]]);
        let y = f64x4::from([b[4 * v], b[4 * v + 1], b[4 * v + 2], b[4 * v + 3]]);
        w |= u64::from(x.simd_gt(y).to_bitmask()) << (4 * v);
    }
    w
}

/// `bits(a[j] == a[j])` (not NaN) of one group, any layout's inverse
/// applied by the caller; scalar.
#[inline(always)]
pub(crate) fn valid_word_scalar(a: &[f64; 64]) -> u64 {
    let mut w = 0u64;
    for (j, v) in a.iter().enumerate() {
        w |= u64::from(!v.is_nan()) << j;
    }
    w
}

/// Narrows eight comparison results to 32 bits in the packs' raw order
/// (bit `b` = lane `b % 2` of result `b / 2` for `b < 16`, lane
/// `2 + b % 2` of result `(b − 16) / 2` above), with no reordering.
///
/// # Safety
///
/// AVX2 must be available.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn pack8_raw(c: [__m256d; 8]) -> u32 {
    // SAFETY: register-only intrinsics; AVX2 is available (contract).
    unsafe {
        let f = |x: __m256d| _mm256_castpd_ps(x);
        let i = |x: __m256| _mm256_castps_si256(x);
        let s01 = i(_mm256_shuffle_ps::<0xDD>(f(c[0]), f(c[1])));
        let s23 = i(_mm256_shuffle_ps::<0xDD>(f(c[2]), f(c[3])));
        let s45 = i(_mm256_shuffle_ps::<0xDD>(f(c[4]), f(c[5])));
        let s67 = i(_mm256_shuffle_ps::<0xDD>(f(c[6]), f(c[7])));
        let p0 = _mm256_packs_epi32(s01, s23);
        let p1 = _mm256_packs_epi32(s45, s67);
        _mm256_movemask_epi8(_mm256_packs_epi16(p0, p1)) as u32
    }
}

/// The raw 32 bits of `a op b` for the 32 stored values at offset `o`.
///
/// # Safety
///
/// AVX2 must be available; `a` and `b` must each point at `o + 32`
/// readable `f64`s.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn cmp_half<const P: i32>(a: *const f64, b: *const f64, o: usize) -> u32 {
    // SAFETY: the loads read `a[o + 4j .. o + 4j + 4]` and the same of `b`
    // for `j < 8`, inside the `o + 32` readable values of the contract;
    // AVX2 is available (contract).
    unsafe {
        let mut c = [_mm256_setzero_pd(); 8];
        for (j, cj) in c.iter_mut().enumerate() {
            let x = _mm256_loadu_pd(a.add(o + 4 * j));
            let y = _mm256_loadu_pd(b.add(o + 4 * j));
            *cj = _mm256_cmp_pd::<P>(x, y);
        }
        pack8_raw(c)
    }
}

/// `bits(a op b)` (`P` a `_CMP_*_OQ` predicate) of one group stored in
/// [`Layout::Permuted`], in bar order.
///
/// # Safety
///
/// AVX2 must be available; `a` and `b` must each point at 64 readable
/// `f64`s.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn cmp_word_avx2<const P: i32>(a: *const f64, b: *const f64) -> u64 {
    // SAFETY: both halves read within the 64 values of the contract; AVX2
    // is available (contract).
    unsafe { u64::from(cmp_half::<P>(a, b, 0)) | u64::from(cmp_half::<P>(a, b, 32)) << 32 }
}

/// `bits(a > b)` of one permuted group.
///
/// # Safety
///
/// As [`cmp_word_avx2`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn gt_word_avx2(a: *const f64, b: *const f64) -> u64 {
    // SAFETY: forwarded contract.
    unsafe { cmp_word_avx2::<_CMP_GT_OQ>(a, b) }
}
