//! Choosing the code path (backend) a kernel runs on.
//!
//! Every kernel exists three times: a plain scalar loop, a portable SIMD
//! version on the [`wide`] crate (128-bit SSE2 on x86_64, NEON on aarch64,
//! whatever `-C target-cpu` allows elsewhere) and, on x86_64, a version
//! written with AVX2+FMA intrinsics. Which one runs is decided here:
//!
//! 1. a thread-local override set by [`with_backend`] (tests, benches,
//!    differential checks) wins;
//! 2. otherwise the process-wide choice, made once at first use and cached
//!    in an atomic: the environment variable `TA_KERNELS_BACKEND`
//!    (`scalar`, `portable` or `avx2`) if it names an available backend,
//!    else the best backend the CPU supports. An unknown or unavailable
//!    value prints one warning on stderr and falls back to detection.
//!
//! Every kernel also has an explicit form taking a [`Backend`] argument
//! (see [`crate::kernels`]), which returns [`Error::BackendUnavailable`]
//! instead of running a path the CPU cannot execute.
//!
//! [`Error::BackendUnavailable`]: crate::Error::BackendUnavailable

mod cpu;

use core::cell::Cell;
use core::fmt;
use core::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};

pub use cpu::Avx2Fma;

use crate::Error;

/// The environment variable that forces a backend for the whole process.
pub const BACKEND_ENV_VAR: &str = "TA_KERNELS_BACKEND";

/// A code path a kernel can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Backend {
    /// Plain scalar Rust: one element at a time. Always available; the
    /// path every other one is measured and checked against.
    Scalar,
    /// Portable SIMD on the `wide` crate. Always available; its vector
    /// width and whether `mul_add` fuses are fixed when the crate is
    /// compiled (SSE2 pairs on a default x86_64 build).
    Portable,
    /// AVX2 + FMA intrinsics, x86_64 only, chosen only when the CPU
    /// reports both features at run time.
    Avx2,
}

impl Backend {
    /// Every backend, available here or not, in order of preference
    /// (worst first).
    pub const ALL: [Backend; 3] = [Backend::Scalar, Backend::Portable, Backend::Avx2];

    /// The backends this CPU can run, worst first. Tests iterate over this
    /// to check every path against the references.
    pub fn available() -> impl Iterator<Item = Backend> + Clone {
        Self::ALL.into_iter().filter(|b| b.is_available())
    }

    /// Whether this CPU can run `self`.
    #[inline]
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar | Backend::Portable => true,
            Backend::Avx2 => Avx2Fma::is_available(),
        }
    }

    /// The best backend this CPU can run, ignoring any override.
    pub fn detect() -> Backend {
        if Avx2Fma::is_available() {
            Backend::Avx2
        } else {
            Backend::Portable
        }
    }

    /// The backend kernels called without an explicit backend use on this
    /// thread right now: the [`with_backend`] override if one is active,
    /// else the cached process-wide choice (see the module docs).
    #[inline]
    pub fn active() -> Backend {
        if let Some(b) = OVERRIDE.with(Cell::get) {
            return b;
        }
        match Backend::from_code(GLOBAL.load(Ordering::Relaxed)) {
            Some(b) => b,
            None => init_global(),
        }
    }

    /// The lower-case name used by `TA_KERNELS_BACKEND` and in bench ids.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Portable => "portable",
            Backend::Avx2 => "avx2",
        }
    }

    /// `Ok(())` if available, else [`Error::BackendUnavailable`].
    #[inline]
    pub fn check(self) -> Result<(), Error> {
        if self.is_available() {
            Ok(())
        } else {
            Err(Error::BackendUnavailable { backend: self })
        }
    }

    const fn code(self) -> u8 {
        match self {
            Backend::Scalar => 1,
            Backend::Portable => 2,
            Backend::Avx2 => 3,
        }
    }

    const fn from_code(code: u8) -> Option<Backend> {
        match code {
            1 => Some(Backend::Scalar),
            2 => Some(Backend::Portable),
            3 => Some(Backend::Avx2),
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a backend name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {0:?}: expected scalar, portable or avx2")]
pub struct ParseBackendError(pub String);

impl FromStr for Backend {
    type Err = ParseBackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scalar" => Ok(Backend::Scalar),
            "portable" | "wide" => Ok(Backend::Portable),
            "avx2" => Ok(Backend::Avx2),
            _ => Err(ParseBackendError(s.to_owned())),
        }
    }
}

/// 0 = not chosen yet; otherwise [`Backend::code`].
static GLOBAL: AtomicU8 = AtomicU8::new(0);

thread_local! {
    static OVERRIDE: Cell<Option<Backend>> = const { Cell::new(None) };
}

/// Makes the process-wide choice. Two threads racing here both compute the
/// same answer; only the first stores it (so the warning prints once).
#[cold]
fn init_global() -> Backend {
    let (chosen, warning) = choose_from_env(std::env::var(BACKEND_ENV_VAR).ok().as_deref());
    match GLOBAL.compare_exchange(0, chosen.code(), Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => {
            if let Some(w) = warning {
                eprintln!("ta-kernels: {w}");
            }
            chosen
        }
        Err(existing) => Backend::from_code(existing).unwrap_or(chosen),
    }
}

/// The backend an environment value selects, and the warning to print if
/// the value could not be honoured.
fn choose_from_env(value: Option<&str>) -> (Backend, Option<String>) {
    let detected = Backend::detect();
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return (detected, None);
    };
    match value.parse::<Backend>() {
        Ok(b) if b.is_available() => (b, None),
        Ok(b) => (
            detected,
            Some(format!(
                "{BACKEND_ENV_VAR}={value}: the {b} backend is not available on this CPU; using {detected}"
            )),
        ),
        Err(e) => (
            detected,
            Some(format!("{BACKEND_ENV_VAR}: {e}; using {detected}")),
        ),
    }
}

/// Runs `f` with every kernel called on this thread (without an explicit
/// backend) using `backend`, then restores the previous setting, even if
/// `f` panics. Nested calls stack. Threads spawned inside `f` (rayon
/// workers included) do not inherit the override.
///
/// Returns [`Error::BackendUnavailable`] without running `f` if this CPU
/// cannot run `backend`.
pub fn with_backend<R>(backend: Backend, f: impl FnOnce() -> R) -> Result<R, Error> {
    backend.check()?;
    struct Restore(Option<Backend>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|c| c.replace(Some(backend))));
    Ok(f())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_and_portable_always_available() {
        let all: Vec<_> = Backend::available().collect();
        assert!(all.contains(&Backend::Scalar));
        assert!(all.contains(&Backend::Portable));
        assert_eq!(
            all.contains(&Backend::Avx2),
            cfg!(target_arch = "x86_64")
                && std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
        );
    }

    #[test]
    fn env_value_parsing() {
        assert_eq!(choose_from_env(None), (Backend::detect(), None));
        assert_eq!(choose_from_env(Some("")), (Backend::detect(), None));
        assert_eq!(choose_from_env(Some("scalar")), (Backend::Scalar, None));
        assert_eq!(
            choose_from_env(Some(" Portable ")),
            (Backend::Portable, None)
        );
        let (b, w) = choose_from_env(Some("neon"));
        assert_eq!(b, Backend::detect());
        assert!(w.unwrap().contains("unknown backend"));
        let (b, w) = choose_from_env(Some("avx2"));
        if Backend::Avx2.is_available() {
            assert_eq!((b, w), (Backend::Avx2, None));
        } else {
            assert_eq!(b, Backend::detect());
            assert!(w.unwrap().contains("not available"));
        }
    }

    #[test]
    fn override_nests_and_restores() {
        let outer = Backend::active();
        with_backend(Backend::Scalar, || {
            assert_eq!(Backend::active(), Backend::Scalar);
            with_backend(Backend::Portable, || {
                assert_eq!(Backend::active(), Backend::Portable)
            })
            .unwrap();
            assert_eq!(Backend::active(), Backend::Scalar);
        })
        .unwrap();
        assert_eq!(Backend::active(), outer);
        let caught = std::panic::catch_unwind(|| {
            with_backend(Backend::Scalar, || panic!("boom")).unwrap();
        });
        assert!(caught.is_err());
        assert_eq!(Backend::active(), outer);
    }

    #[test]
    fn names_round_trip() {
        for b in Backend::ALL {
            assert_eq!(b.name().parse::<Backend>().unwrap(), b);
            assert_eq!(b.to_string(), b.name());
        }
    }
}
