//! Cache-bypassing (non-temporal) stores for outputs far larger than the
//! last-level cache.
//!
//! A normal store to a line that is not cached first reads the line (a
//! read-for-ownership), so a kernel that writes `B` bytes of fresh output
//! moves `2·B` bytes for it. When a call writes many megabytes, the output
//! cannot stay cached for the caller anyway, and `vmovntpd` writes it with
//! `B` bytes of traffic: the memory-bound many-series scans gain up to a
//! third. Below [`STREAM_MIN_BYTES`] normal stores are kept, so outputs a
//! caller reads right away stay in cache.
//!
//! Values are unaffected: a non-temporal store writes the same bits.
#![cfg(target_arch = "x86_64")]

use core::arch::x86_64::*;

/// Total output of one call from which its AVX2 kernel streams its stores:
/// half the 32 MiB last-level cache of the Zen 3 parts we measure on, in
/// line with what `memcpy` implementations use.
pub(crate) const STREAM_MIN_BYTES: usize = 16 << 20;

/// Whether a call writing `elements` f64 values in total should bypass the
/// cache.
#[inline]
pub(crate) fn worth_streaming(elements: usize) -> bool {
    elements.saturating_mul(8) >= STREAM_MIN_BYTES
}

/// How many elements from index `i` of `s` until a 32-byte boundary (0..=3).
#[inline]
pub(crate) fn to_boundary(s: &[f64], i: usize) -> usize {
    let addr = (s.as_ptr() as usize).wrapping_add(i.wrapping_mul(8));
    ((32 - addr % 32) % 32) / 8
}

/// Stores `v` into `s[i..i + 4]`: with a non-temporal store when `stream`
/// is set and the destination is 32-byte aligned, else a normal one.
///
/// # Safety
/// The CPU must support AVX.
#[inline(always)]
pub(crate) unsafe fn store(s: &mut [f64], i: usize, v: __m256d, stream: bool) {
    let c: &mut [f64; 4] = (&mut s[i..i + 4]).try_into().unwrap();
    let p = c.as_mut_ptr();
    if stream && (p as usize).is_multiple_of(32) {
        // SAFETY: `p` points to 4 exclusively borrowed f64 and is 32-byte
        // aligned as `vmovntpd` requires; AVX is present per the contract.
        // Callers issue `fence` before returning (see there).
        unsafe { _mm256_stream_pd(p, v) }
    } else {
        // SAFETY: as above, without the alignment requirement.
        unsafe { _mm256_storeu_pd(p, v) }
    }
}

/// Orders this thread's non-temporal stores before any later access: every
/// kernel that called [`store`] with `stream` set calls this before it
/// returns, so its caller sees ordinary memory.
#[inline]
pub(crate) fn fence() {
    // SAFETY: `sfence` is part of SSE, which every x86_64 CPU has.
    unsafe { _mm_sfence() }
}
