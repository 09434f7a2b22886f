//! Test kit shared by the integration suites: exact arithmetic for the
//! references, adversarial input generators, and error measurement.
//! Each suite uses part of it.
#![allow(dead_code)]

pub mod exact;
pub mod inputs;
pub mod naive_cross;
pub mod naive_recursive;
pub mod naive_sum;
pub mod naive_trigger;
pub mod naive_var;
pub mod naive_window;
pub mod ohlcv;
pub mod talib;
pub mod trees;
