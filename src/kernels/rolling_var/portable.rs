//! Portable rolling variance: the block pre-pass (the only part with
//! independent work per element) on `wide::f64x4`; the sliding sums run
//! as in the scalar path, where a 2-lane SSE2 scan would not pay for its
//! shuffles.

use super::{Block, Kernel, Pre};
use wide::f64x4;

/// The portable (`wide`) backend.
pub(crate) struct Portable;

impl Kernel for Portable {
    fn prepass(&self, xs: &[f64], p: usize, r: f64) -> Pre {
        let rv = f64x4::splat(r);
        let (win, rest) = xs.split_at(p);
        let (mut s1, mut s2, mut l, mut mn) = (
            f64x4::ZERO,
            f64x4::ZERO,
            f64x4::ZERO,
            f64x4::splat(f64::INFINITY),
        );
        let (mut t1, mut t2) = (0.0, 0.0);
        let mut cw = win.chunks_exact(4);
        for (j, c) in (&mut cw).enumerate() {
            let v = f64x4::from([c[0], c[1], c[2], c[3]]);
            let a = v - rv;
            s1 += a;
            s2 += a * a;
            l += a.abs();
            mn = mn.min(v.abs());
            if j % super::CHUNK == super::CHUNK - 1 {
                // One chunk of 64 per lane done: fold it into the totals.
                t1 += s1.reduce_add();
                t2 += s2.reduce_add();
                s1 = f64x4::ZERO;
                s2 = f64x4::ZERO;
            }
        }
        let s1 = {
            t1 += s1.reduce_add();
            t1
        };
        let s2 = {
            t2 += s2.reduce_add();
            f64x4::from([t2, 0.0, 0.0, 0.0])
        };
        let mut q = s2;
        let mut cr = rest.chunks_exact(4);
        for c in &mut cr {
            let v = f64x4::from([c[0], c[1], c[2], c[3]]);
            let a = v - rv;
            q += a * a;
            l += a.abs();
            mn = mn.min(v.abs());
        }
        let mut s1 = s1;
        let (mut s2, mut q, mut l) = (s2.reduce_add(), q.reduce_add(), l.reduce_add());
        let mn4 = mn.to_array();
        let mut minabs = mn4[0].min(mn4[1]).min(mn4[2].min(mn4[3]));
        for &v in cw.remainder() {
            let a = v - r;
            s1 += a;
            s2 += a * a;
            q += a * a;
            l += a.abs();
            minabs = minabs.min(v.abs());
        }
        for &v in cr.remainder() {
            let a = v - r;
            q += a * a;
            l += a.abs();
            minabs = minabs.min(v.abs());
        }
        // `f64::min` ignores NaN; a NaN input already makes `q` NaN.
        Pre {
            s1,
            s2,
            q,
            l,
            minabs,
        }
    }

    fn run<const MEAN: bool>(
        &self,
        x: &[f64],
        b: &Block,
        var: &mut [f64],
        mean: &mut [f64],
    ) -> usize {
        super::scalar::run_from::<MEAN>(x, b, b.s, b.s1, b.s2, var, mean)
    }
}
