//! Exactly rounded summation (Shewchuk's algorithm, as Python's
//! `math.fsum`): the reference every accuracy bound is measured against.

/// The sum of `xs`, correctly rounded to the nearest `f64` (barring
/// overflow of an intermediate partial). Non-finite inputs follow IEEE:
/// any NaN, or both infinities, give NaN; one infinity gives itself.
pub fn fsum(xs: impl IntoIterator<Item = f64>) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    let mut special = 0.0f64; // accumulates non-finite values IEEE-style
    let mut has_special = false;
    for mut x in xs {
        if !x.is_finite() {
            special += x;
            has_special = true;
            continue;
        }
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                core::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        partials.push(x);
    }
    if has_special {
        return special;
    }
    // Round the partials (non-overlapping, increasing magnitude) correctly.
    let mut n = partials.len();
    if n == 0 {
        return 0.0;
    }
    n -= 1;
    let mut hi = partials[n];
    let mut lo = 0.0;
    while n > 0 {
        n -= 1;
        let x = hi;
        let y = partials[n];
        hi = x + y;
        let yr = hi - x;
        lo = y - yr;
        if lo != 0.0 {
            break;
        }
    }
    // Half-way case: make the rounding of hi + lo correct.
    if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        let yr = x - hi;
        if y == yr {
            hi = x;
        }
    }
    hi
}

/// Exact mean of a window, correctly rounded sum then one division.
pub fn mean(xs: &[f64]) -> f64 {
    fsum(xs.iter().copied()) / xs.len() as f64
}

/// Mean of |x| over a window (for error bounds stated relative to it).
pub fn mean_abs(xs: &[f64]) -> f64 {
    fsum(xs.iter().map(|v| v.abs())) / xs.len() as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn fsum_is_exact_on_cancellation() {
        assert_eq!(super::fsum([1e100, 1.0, -1e100, 1e-100]), 1.0);
        assert_eq!(super::fsum([0.1; 10]), 1.0);
        assert!(super::fsum([f64::NAN, 1.0]).is_nan());
        assert_eq!(super::fsum([f64::INFINITY, 1.0]), f64::INFINITY);
        assert!(super::fsum([f64::INFINITY, f64::NEG_INFINITY]).is_nan());
    }
}
