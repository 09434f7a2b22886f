#![no_main]
//! Differential fuzz target for the rolling sum / SMA kernels: a period
//! and arbitrary f64 bit patterns from the bytes; every available backend
//! must be bit-identical to the scalar one and within the documented
//! bound of the exact reference (NaN/±inf classes included); the strict
//! mean (SMA's kernel) must be the mean with every non-finite output
//! replaced by the canonical NaN, bit for bit, at any output alignment;
//! and nothing may panic.
use libfuzzer_sys::fuzz_target;
use ta_kernels::Backend;
use ta_kernels::kernels::rolling_sum::{rolling_mean, rolling_mean_strict, rolling_sum};

#[allow(dead_code)]
#[path = "../../tests/common/exact.rs"]
mod exact;
#[allow(dead_code)]
#[path = "../../tests/common/naive_sum.rs"]
mod naive_sum;

type Kernel = fn(Backend, &[f64], usize, &mut [f64]) -> ta_kernels::Result<()>;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let period = u16::from_le_bytes([data[0], data[1]]) as usize % 700;
    let x: Vec<f64> = data[2..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let kernels: [(bool, Kernel); 2] = [(false, rolling_sum), (true, rolling_mean)];
    for (mean, k) in kernels {
        let mut reference = vec![0.0; x.len()];
        let r = k(Backend::Scalar, &x, period, &mut reference);
        if period == 0 {
            assert!(r.is_err());
            continue;
        }
        r.unwrap();
        naive_sum::check(&x, period, &reference, mean, 200_000).unwrap();
        for b in Backend::available() {
            let mut out = vec![0.0; x.len()];
            k(b, &x, period, &mut out).unwrap();
            for (u, v) in out.iter().zip(&reference) {
                assert!(
                    u.to_bits() == v.to_bits() || (u.is_nan() && v.is_nan()),
                    "{b}"
                );
            }
        }
        let mut short = vec![0.0; x.len() + 1];
        assert!(k(Backend::Scalar, &x, period, &mut short).is_err());
        if mean {
            let off = usize::from(data[0] & 3);
            for b in Backend::available() {
                let mut buf = vec![1.5; x.len() + off];
                rolling_mean_strict(b, &x, period, &mut buf[off..]).unwrap();
                for (u, v) in buf[off..].iter().zip(&reference) {
                    let want = if v.is_finite() { *v } else { f64::NAN };
                    assert_eq!(u.to_bits(), want.to_bits(), "strict {b}");
                }
            }
        }
    }
});
