//! Naive references for the rolling variance family: the corrected
//! two-pass formula with exactly rounded sums, one window at a time.
//!
//! Self-contained apart from `super::exact::fsum`, so the fuzz target can
//! include it with `#[path]` next to `exact.rs`.

use super::exact::fsum;

/// Variance of one window, divided by `len - ddof`:
/// `m̂ = fsum(w)/p`, `(fsum((x-m̂)²) - fsum(x-m̂)²/p) / (p - ddof)`.
/// The correction term removes the first-order effect of rounding `m̂`
/// (it matters for 1e9 + 1e-3 noise). NaN if the window holds NaN/±inf.
pub fn var_window(w: &[f64], ddof: usize) -> f64 {
    if w.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let p = w.len() as f64;
    let m = fsum(w.iter().copied()) / p;
    let q = fsum(w.iter().map(|&v| (v - m) * (v - m)));
    let c = fsum(w.iter().map(|&v| v - m));
    (q - c * c / p) / (p - ddof as f64)
}

/// Mean of one window (exactly rounded sum / p); NaN if it holds NaN/±inf.
pub fn mean_window(w: &[f64]) -> f64 {
    if w.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    fsum(w.iter().copied()) / w.len() as f64
}

/// The window of output `i` (`None` during the warm-up).
pub fn window(x: &[f64], period: usize, i: usize) -> Option<&[f64]> {
    (i + 1 >= period).then(|| &x[i + 1 - period..=i])
}

/// The whole rolling variance, naively.
pub fn rolling_var(x: &[f64], period: usize, ddof: usize) -> Vec<f64> {
    (0..x.len())
        .map(|i| window(x, period, i).map_or(f64::NAN, |w| var_window(w, ddof)))
        .collect()
}

/// Relative bound of the variance (module docs of `kernels::rolling_var`).
pub const VAR_REL: f64 = 1e-11;
/// Bound of the mean of `rolling_mean_var`, relative to mean |x|.
pub const MEAN_REL: f64 = 1e-13;

/// The documented absolute floor `F = (2p + 8)·2⁻¹⁰⁷⁴ / (p - ddof)`: the
/// underflow of the ≤ p + 4 squares/products on each side.
pub fn var_floor(period: usize, ddof: usize) -> f64 {
    (2 * period + 8) as f64 * f64::from_bits(1) / (period - ddof) as f64
}

/// The reference values of one window, computed once and compared with
/// every backend's outputs.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    /// `var_window(w, ddof)`.
    pub var: f64,
    /// `mean_window(w)`.
    pub mean: f64,
    /// Mean of |x| over the window.
    pub mabs: f64,
    /// Whether every value of the window is finite.
    pub finite: bool,
    /// Whether every value equals the first (and is finite).
    pub constant: bool,
    /// `var_floor(p, ddof)`.
    pub floor: f64,
}

impl Expect {
    /// The reference for window `w`.
    pub fn new(w: &[f64], ddof: usize) -> Expect {
        let finite = w.iter().all(|v| v.is_finite());
        Expect {
            var: var_window(w, ddof),
            mean: mean_window(w),
            mabs: if finite {
                fsum(w.iter().map(|v| v.abs())) / w.len() as f64
            } else {
                f64::NAN
            },
            finite,
            constant: finite && w.iter().all(|&v| v == w[0]),
            floor: var_floor(w.len(), ddof),
        }
    }

    /// Checks a variance output against the documented bound
    /// `|v̂ - v| ≤ 1e-11·v + F`; returns the relative error seen.
    pub fn check_var(&self, got: f64) -> Result<f64, String> {
        let want = self.var;
        if !self.finite {
            return if got.is_nan() {
                Ok(0.0)
            } else {
                Err(format!("want NaN (non-finite in window), got {got}"))
            };
        }
        if !want.is_finite() {
            // Overflow in the reference: only "not negative" is promised.
            return if got.is_nan() || got >= 0.0 {
                Ok(0.0)
            } else {
                Err(format!("negative {got} on an overflowing window"))
            };
        }
        if got.is_nan() || got < 0.0 {
            return Err(format!("got {got}, want {want} (must be >= 0)"));
        }
        if self.constant && got != 0.0 {
            return Err(format!("constant window gave {got}"));
        }
        let err = (got - want).abs();
        let bound = VAR_REL * want + self.floor;
        if err <= bound {
            Ok(if want > 0.0 { err / want } else { 0.0 })
        } else {
            Err(format!(
                "got {got:e}, want {want:e}, rel err {:e} > bound (abs {err:e} > {bound:e})",
                err / want
            ))
        }
    }

    /// Checks a standard deviation: `|σ̂ - σ| ≤ 1e-11·σ + √F`.
    pub fn check_std(&self, got: f64) -> Result<(), String> {
        if !self.finite {
            return if got.is_nan() {
                Ok(())
            } else {
                Err(format!("std: want NaN, got {got}"))
            };
        }
        if !self.var.is_finite() {
            return if got.is_nan() || got >= 0.0 {
                Ok(())
            } else {
                Err(format!("std {got}"))
            };
        }
        let want = self.var.max(0.0).sqrt();
        let bound = VAR_REL * want + self.floor.sqrt();
        if (got - want).abs() <= bound {
            Ok(())
        } else {
            Err(format!("std got {got:e}, want {want:e}"))
        }
    }

    /// Checks a mean against the SMA kernel's bound:
    /// `|m̂ - m| ≤ 1e-13 · mean|x| + 2⁻¹⁰⁷⁴`, NaN for non-finite windows.
    pub fn check_mean(&self, got: f64) -> Result<(), String> {
        if !self.finite {
            return if got.is_nan() {
                Ok(())
            } else {
                Err(format!("mean: want NaN, got {got}"))
            };
        }
        if !self.mean.is_finite() || !self.mabs.is_finite() {
            return Ok(()); // overflowing sum: nothing promised
        }
        if (got - self.mean).abs() <= MEAN_REL * self.mabs + f64::from_bits(1) {
            Ok(())
        } else {
            Err(format!(
                "mean got {got:e}, want {:e}, mean|x| {:e}",
                self.mean, self.mabs
            ))
        }
    }
}

/// Checks one variance output against window `w` (see [`Expect::check_var`]).
pub fn check_var(got: f64, w: &[f64], ddof: usize) -> Result<f64, String> {
    Expect::new(w, ddof).check_var(got)
}

/// Checks one mean output against window `w`.
pub fn check_mean(got: f64, w: &[f64]) -> Result<(), String> {
    Expect::new(w, 0).check_mean(got)
}
