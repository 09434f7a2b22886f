//! Scalar van Herk / Gil-Werman rolling extreme (see the module docs).

use super::NO_INDEX;

/// `a` strictly better than `b` (greater for MAX, smaller for MIN).
#[inline(always)]
pub(super) fn better<const MIN: bool>(a: f64, b: f64) -> bool {
    if MIN { a < b } else { a > b }
}

/// Rolling extreme of the finite run `y` (`y.len() >= period`), indices
/// offset by `base`. Returns whether every value of `y` is finite (if
/// not, the outputs are unspecified finite-or-NaN values).
pub(super) fn run<const MIN: bool>(
    y: &[f64],
    period: usize,
    base: usize,
    out: &mut [f64],
    mut index: Option<&mut [usize]>,
) -> bool {
    let m = y.len();
    // Forward: block-prefix extremes, ties to the newest bar.
    let finite = forward::<MIN>(y, period, base, 0, out, index.as_deref_mut());
    // Backward: block-suffix extremes combined with the prefix at j+p-1.
    backward::<MIN>(y, period, base, m, 0, out, index.as_deref_mut(), None);
    let warm = (period - 1).min(m);
    out[..warm].fill(f64::NAN);
    if let Some(ix) = index {
        ix[..warm].fill(NO_INDEX);
    }
    finite
}

/// The forward (prefix) pass over bars `from..y.len()`; bar `from` must be
/// a block start or be preceded by prefix values already in `out`/`index`.
/// Returns whether every bar of `from..y.len()` is finite (it reads them
/// all anyway; the flag is a compare and an AND per bar, off the critical
/// path).
pub(super) fn forward<const MIN: bool>(
    y: &[f64],
    period: usize,
    base: usize,
    from: usize,
    out: &mut [f64],
    mut index: Option<&mut [usize]>,
) -> bool {
    if from >= y.len() {
        return true;
    }
    let mut finite = true;
    let m = y.len();
    let mut i = from;
    while i < m {
        // One division per block, none per bar.
        let end = ((i / period + 1) * period).min(m);
        let (mut bv, mut bi) = if i.is_multiple_of(period) {
            (y[i], i)
        } else {
            let bi = index.as_deref().map_or(i - 1, |ix| ix[i - 1] - base);
            (out[i - 1], bi)
        };
        for k in i..end {
            finite &= y[k].is_finite();
            if !better::<MIN>(bv, y[k]) {
                bv = y[k];
                bi = k;
            }
            out[k] = bv;
            if let Some(ix) = index.as_deref_mut() {
                ix[k] = base + bi;
            }
        }
        i = end;
    }
    finite
}

/// The backward (suffix) pass over `j` from `top - 1` down to `bottom`,
/// combining into outputs `j + period - 1 < y.len()`. `carry` is the
/// suffix extreme (value, position) at `top` if `top < y.len()`.
#[allow(clippy::too_many_arguments)]
pub(super) fn backward<const MIN: bool>(
    y: &[f64],
    period: usize,
    base: usize,
    top: usize,
    bottom: usize,
    out: &mut [f64],
    mut index: Option<&mut [usize]>,
    carry: Option<(f64, usize)>,
) -> (f64, usize) {
    let m = y.len();
    let (mut sv, mut si) = carry.unwrap_or((f64::NAN, 0));
    let mut j = top;
    while j > bottom {
        // The segment of bars j-1 down to the start of their block.
        let top_bar = j - 1;
        let lo = (top_bar / period * period).max(bottom);
        if top_bar + 1 == m || (top_bar + 1).is_multiple_of(period) {
            // top_bar ends its block (or the run): the suffix restarts.
            sv = y[top_bar];
            si = top_bar;
        }
        for k in (lo..=top_bar).rev() {
            if better::<MIN>(y[k], sv) {
                sv = y[k];
                si = k;
            }
            let i = k + period - 1;
            if i < m && better::<MIN>(sv, out[i]) {
                out[i] = sv;
                if let Some(ix) = index.as_deref_mut() {
                    ix[i] = base + si;
                }
            }
        }
        j = lo;
    }
    (sv, si)
}
