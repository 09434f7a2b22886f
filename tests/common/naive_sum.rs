//! Naive references for the rolling sum / SMA kernels, and the checker
//! that asserts the documented error bound.
//!
//! Shared with the fuzz target (`#[path]`-included next to `exact.rs`),
//! so it uses nothing but `super::exact` and std.

use super::exact::fsum;

/// 2⁻¹⁰⁷⁴, the smallest subnormal: the absolute slack of the bound.
pub const TINY: f64 = f64::from_bits(1);

/// The relative constant of the documented bound.
pub const REL: f64 = 1e-13;

/// Rolling sum, one exactly rounded `fsum` per window.
pub fn rolling_sum(x: &[f64], p: usize) -> Vec<f64> {
    (0..x.len()).map(|i| window_sum(x, p, i)).collect()
}

/// Rolling mean: `fsum(window) / p`.
pub fn rolling_mean(x: &[f64], p: usize) -> Vec<f64> {
    (0..x.len())
        .map(|i| window_sum(x, p, i) / p as f64)
        .collect()
}

fn window_sum(x: &[f64], p: usize, i: usize) -> f64 {
    if p >= 1 && i + 1 >= p {
        fsum(x[i + 1 - p..=i].iter().copied())
    } else {
        f64::NAN
    }
}

/// What the checker found: the largest error as a fraction of the bound
/// over the checked finite outputs, and how many outputs it checked.
#[derive(Clone, Copy, Debug, Default)]
pub struct Report {
    pub worst_ratio: f64,
    pub checked: usize,
}

/// Checks `got` (the kernel's output for `x`, `p`; mean if `mean`)
/// against the documented contract:
///
/// - warm-up outputs (`i < p - 1`, or all if `p > len`) are NaN;
/// - a window with a NaN, or with both infinities, gives NaN; one kind of
///   infinity gives that infinity (unless the finite part could overflow,
///   `Σ|x| > f64::MAX / 2`, where NaN/±inf are also accepted);
/// - a finite window: `|got - fsum(W)[/p]| <= 1e-13·Σ|x|[/p] + 2⁻¹⁰⁷⁴`
///   (anything accepted if `Σ|x| > f64::MAX / 2`, documented overflow).
///
/// The non-finite classes are checked for every output (sliding counts).
/// Accuracy is checked for every output when `n·p <= budget`, otherwise
/// on the first and last 64 outputs, the 8 outputs after each non-finite
/// value leaves the window, and an even sample of about `budget / p`.
pub fn check(
    x: &[f64],
    p: usize,
    got: &[f64],
    mean: bool,
    budget: usize,
) -> Result<Report, String> {
    let n = x.len();
    if got.len() != n {
        return Err(format!("output length {} != {}", got.len(), n));
    }
    let first = p.saturating_sub(1).min(n);
    for (i, g) in got[..first].iter().enumerate() {
        if !g.is_nan() {
            return Err(format!("warm-up output {i} = {g}, expected NaN"));
        }
    }
    if p > n {
        return Ok(Report::default());
    }
    // Sliding counts of NaN, +inf, -inf (exact integers).
    let (mut nan, mut pinf, mut ninf) = (0usize, 0usize, 0usize);
    let bump = |v: f64, d: isize, nan: &mut usize, pinf: &mut usize, ninf: &mut usize| {
        let c = if v.is_nan() {
            nan
        } else if v == f64::INFINITY {
            pinf
        } else if v == f64::NEG_INFINITY {
            ninf
        } else {
            return;
        };
        *c = (*c as isize + d) as usize;
    };
    let mut sample = vec![false; n];
    let full = (n - first).saturating_mul(p) <= budget;
    let stride = if full {
        1
    } else {
        ((n - first) * p / budget.max(1)).max(1)
    };
    let mut exits_left = 0usize;
    for i in 0..n {
        bump(x[i], 1, &mut nan, &mut pinf, &mut ninf);
        if i >= p {
            if !x[i - p].is_finite() {
                exits_left = 8;
            }
            bump(x[i - p], -1, &mut nan, &mut pinf, &mut ninf);
        }
        if i < first {
            continue;
        }
        let g = got[i];
        if nan + pinf + ninf > 0 {
            let want_nan = nan > 0 || (pinf > 0 && ninf > 0);
            let ok_exact = if want_nan {
                g.is_nan()
            } else if pinf > 0 {
                g == f64::INFINITY
            } else {
                g == f64::NEG_INFINITY
            };
            if !ok_exact {
                let w = &x[i + 1 - p..=i];
                let abs = fsum(w.iter().filter(|v| v.is_finite()).map(|v| v.abs()));
                if abs <= f64::MAX / 2.0 {
                    return Err(format!(
                        "output {i} = {g}: window has {nan} NaN, {pinf} +inf, {ninf} -inf"
                    ));
                }
            }
            continue;
        }
        if full
            || i < first + 64
            || i + 64 >= n
            || exits_left > 0
            || (i - first).is_multiple_of(stride)
        {
            sample[i] = true;
        }
        exits_left = exits_left.saturating_sub(1);
    }
    let mut rep = Report::default();
    for i in (first..n).filter(|&i| sample[i]) {
        let w = &x[i + 1 - p..=i];
        let abs = fsum(w.iter().map(|v| v.abs()));
        let may_overflow = abs.is_nan() || abs > f64::MAX / 2.0;
        if may_overflow {
            continue;
        }
        let (want, bound) = if mean {
            (
                fsum(w.iter().copied()) / p as f64,
                REL * (abs / p as f64) + TINY,
            )
        } else {
            (fsum(w.iter().copied()), REL * abs + TINY)
        };
        let err = (got[i] - want).abs();
        if err.is_nan() || err > bound {
            return Err(format!(
                "output {i} (p = {p}, mean = {mean}): got {g:e}, exact {want:e}, error {err:e} > bound {bound:e}",
                g = got[i]
            ));
        }
        rep.worst_ratio = rep.worst_ratio.max(err / bound);
        rep.checked += 1;
    }
    Ok(rep)
}
