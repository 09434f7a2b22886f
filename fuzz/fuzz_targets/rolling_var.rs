#![no_main]
//! Differential fuzz target for the rolling variance family: arbitrary f64
//! bit patterns and periods, every available backend against the naive
//! corrected two-pass reference, within the documented bounds; never a
//! panic.
use libfuzzer_sys::fuzz_target;
use ta_kernels::Backend;
use ta_kernels::kernels::rolling_var::{rolling_mean_var, rolling_std, rolling_var};

#[path = "../../tests/common/exact.rs"]
#[allow(dead_code)]
mod exact;
#[path = "../../tests/common/naive_var.rs"]
#[allow(dead_code)]
mod naive;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let period = 1 + (u16::from_le_bytes([data[0], data[1]]) as usize % 70);
    let ddof = (data.get(2).copied().unwrap_or(0) as usize) % period;
    let x: Vec<f64> = data[3.min(data.len())..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let n = x.len();
    let want: Vec<Option<naive::Expect>> = (0..n)
        .map(|i| naive::window(&x, period, i).map(|w| naive::Expect::new(w, ddof)))
        .collect();
    let (mut v, mut s, mut m, mut v2) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for b in Backend::available() {
        rolling_var(b, &x, period, ddof, &mut v).unwrap();
        rolling_std(b, &x, period, ddof, &mut s).unwrap();
        rolling_mean_var(b, &x, period, ddof, &mut m, &mut v2).unwrap();
        for i in 0..n {
            match &want[i] {
                None => assert!(v[i].is_nan() && s[i].is_nan() && m[i].is_nan() && v2[i].is_nan()),
                Some(w) => {
                    // Huge values: intermediate overflow is documented
                    // (NaN or +inf); only non-negativity is checked.
                    let win = &x[i + 1 - period..=i];
                    if win.iter().any(|t| t.is_finite() && t.abs() > 1e150) {
                        assert!(v[i].is_nan() || v[i] >= 0.0);
                        continue;
                    }
                    if let Err(e) = w.check_var(v[i]) {
                        panic!("{b:?} var p={period} ddof={ddof} i={i}: {e}");
                    }
                    if let Err(e) = w.check_var(v2[i]) {
                        panic!("{b:?} mean_var.var p={period} i={i}: {e}");
                    }
                    if let Err(e) = w.check_std(s[i]) {
                        panic!("{b:?} std p={period} i={i}: {e}");
                    }
                    if let Err(e) = w.check_mean(m[i]) {
                        panic!("{b:?} mean p={period} i={i}: {e}");
                    }
                }
            }
        }
    }
});
