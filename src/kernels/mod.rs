//! The hand-vectorized kernels, one folder per family, each with its
//! backends side by side (`scalar.rs`, `portable.rs`, `avx2.rs`) and a
//! `mod.rs` that validates arguments and dispatches.
//!
//! Every function here takes an explicit [`Backend`](crate::Backend) and
//! returns [`Error::BackendUnavailable`](crate::Error::BackendUnavailable)
//! if the CPU cannot run it; the crate-root functions call these with
//! [`Backend::active`](crate::Backend::active). Kernels allocate nothing:
//! they write into the caller's buffers.

pub mod bands;
pub mod cross;
pub mod decimate;
pub mod ema;
pub mod minmax;
#[cfg(target_arch = "x86_64")]
pub(crate) mod nontemporal;
pub mod rolling_sum;
pub mod rolling_var;
pub mod stoch;
pub mod wma;

pub use cross::{CmpOp, Rhs};
