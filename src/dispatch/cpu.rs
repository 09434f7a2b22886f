//! A zero-sized proof that the CPU supports AVX2 and FMA.
//!
//! Holding an [`Avx2Fma`] value is what makes calling a
//! `#[target_feature(enable = "avx2,fma")]` function sound: the only safe
//! way to get one is [`Avx2Fma::try_new`], which checks the CPU. Detection
//! is cached in an atomic tri-state, so the check costs one relaxed load
//! after the first call.

/// Proof that AVX2 and FMA are available on this CPU.
#[derive(Clone, Copy, Debug)]
pub struct Avx2Fma {
    _private: (),
}

impl Avx2Fma {
    /// Returns the token if the CPU supports AVX2 and FMA.
    #[inline]
    pub fn try_new() -> Option<Self> {
        if Self::is_available() {
            Some(Avx2Fma { _private: () })
        } else {
            None
        }
    }

    /// Returns the token without checking.
    ///
    /// # Safety
    ///
    /// The CPU running the program must support the `avx2` and `fma`
    /// features; any use of the token on a CPU without them is undefined
    /// behaviour.
    #[inline]
    pub const unsafe fn new_unchecked() -> Self {
        Avx2Fma { _private: () }
    }

    /// Whether this CPU supports AVX2 and FMA (detected once, cached).
    #[inline]
    pub fn is_available() -> bool {
        #[cfg(all(
            target_arch = "x86_64",
            target_feature = "avx2",
            target_feature = "fma"
        ))]
        {
            true
        }
        #[cfg(all(
            target_arch = "x86_64",
            not(all(target_feature = "avx2", target_feature = "fma"))
        ))]
        {
            use std::sync::atomic::{AtomicU8, Ordering};
            /// 0 = not detected yet, 1 = absent, 2 = present.
            static AVX2_FMA: AtomicU8 = AtomicU8::new(0);
            match AVX2_FMA.load(Ordering::Relaxed) {
                0 => {
                    let present = std::is_x86_feature_detected!("avx2")
                        && std::is_x86_feature_detected!("fma");
                    AVX2_FMA.store(if present { 2 } else { 1 }, Ordering::Relaxed);
                    present
                }
                state => state == 2,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }
}
