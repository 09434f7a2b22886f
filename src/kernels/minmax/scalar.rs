//! Scalar van Herk / Gil-Werman rolling extreme (see the module docs).

use super::NO_INDEX;

/// `a` strictly better than `b` (greater for MAX, smaller for MIN).
#[inline(always)]
pub(super) fn better<const MIN: bool>(a: f64, b: f64) -> bool {
    if MIN { a < b } else { a > b }
}

/// Rolling extreme of the finite run `y` (`y.len() >= period`), indices
/// offset by `base`.
pub(super) fn run<const MIN: bool>(
    y: &[f64],
    period: usize,
    base: usize,
    out: &mut [f64],
    mut index: Option<&mut [usize]>,
) {
    let m = y.len();
    // Forward: block-prefix extremes, ties to the newest bar.
    forward::<MIN>(y, period, base, 0, out, index.as_deref_mut());
    // Backward: block-suffix extremes combined with the prefix at j+p-1.
    backward::<MIN>(y, period, base, m, 0, out, index.as_deref_mut(), None);
    let warm = (period - 1).min(m);
    out[..warm].fill(f64::NAN);
    if let Some(ix) = index {
        ix[..warm].fill(NO_INDEX);
    }
}

/// The forward (prefix) pass over bars `from..y.len()`; bar `from` must be
/// a block start or be preceded by prefix values already in `out`/`index`.
pub(super) fn forward<const MIN: bool>(
    y: &[f64],
    period: usize,
    base: usize,
    from: usize,
    out: &mut [f64],
    mut index: Option<&mut [usize]>,
) {
    if from >= y.len() {
        return;
    }
    let (mut bv, mut bi) = if from % period == 0 {
        (y[from], from)
    } else {
        let bi = index.as_deref().map_or(from - 1, |ix| ix[from - 1] - base);
        (out[from - 1], bi)
    };
    for i in from..y.len() {
        if i % period == 0 || !better::<MIN>(bv, y[i]) {
            bv = y[i];
            bi = i;
        }
        out[i] = bv;
        if let Some(ix) = index.as_deref_mut() {
            ix[i] = base + bi;
        }
    }
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
    for j in (bottom..top).rev() {
        if j + 1 == m || (j + 1) % period == 0 || better::<MIN>(y[j], sv) {
            sv = y[j];
            si = j;
        }
        let i = j + period - 1;
        if i < m && better::<MIN>(sv, out[i]) {
            out[i] = sv;
            if let Some(ix) = index.as_deref_mut() {
                ix[i] = base + si;
            }
        }
    }
    (sv, si)
}
