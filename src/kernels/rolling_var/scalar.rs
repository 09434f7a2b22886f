//! Scalar rolling variance: the block algorithm of the
//! [module docs](super), one element at a time (safe code).

use super::{Block, Kernel, Pre};

/// The scalar backend.
pub(crate) struct Scalar;

/// Pre-pass shared by the scalar and portable backends' tails.
#[inline]
pub(crate) fn prepass(xs: &[f64], p: usize, r: f64) -> Pre {
    let (mut s1, mut s2, mut l, mut minabs) = (0.0, 0.0, 0.0, f64::INFINITY);
    for c in xs[..p].chunks(super::CHUNK) {
        let (mut c1, mut c2) = (0.0, 0.0);
        for &v in c {
            let a = v - r;
            c1 += a;
            c2 += a * a;
            l += a.abs();
            minabs = minabs.min(v.abs());
        }
        s1 += c1;
        s2 += c2;
    }
    let mut q = s2;
    for &v in &xs[p..] {
        let a = v - r;
        q += a * a;
        l += a.abs();
        minabs = minabs.min(v.abs());
    }
    Pre {
        s1,
        s2,
        q,
        l,
        minabs,
    }
}

/// Runs outputs `from..b.e` sequentially from the running sums at
/// `from - 1` (or, if `from == b.s`, from the block's first window).
#[inline]
pub(crate) fn run_from<const MEAN: bool>(
    x: &[f64],
    b: &Block,
    from: usize,
    mut s1: f64,
    mut s2: f64,
    var: &mut [f64],
    mean: &mut [f64],
) -> usize {
    let (p, r) = (b.p, b.r);
    for k in from..b.e {
        if k > b.s {
            let a = x[k] - r;
            let o = x[k - p] - r;
            s1 += a - o;
            s2 += a * a - o * o;
        }
        let (v, ok) = b.finish(s1, s2);
        var[k] = v;
        if !ok {
            return k;
        }
        if MEAN {
            let (m, ok) = b.finish_mean(s1);
            mean[k] = m;
            if !ok {
                return k;
            }
        }
    }
    b.e
}

impl Kernel for Scalar {
    fn prepass(&self, xs: &[f64], p: usize, r: f64) -> Pre {
        prepass(xs, p, r)
    }

    fn run<const MEAN: bool>(
        &self,
        x: &[f64],
        b: &Block,
        var: &mut [f64],
        mean: &mut [f64],
    ) -> usize {
        run_from::<MEAN>(x, b, b.s, b.s1, b.s2, var, mean)
    }
}
