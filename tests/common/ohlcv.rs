//! Random OHLCV bars for the trigger, engine, stream and parallel suites.

use super::inputs::Rng;
use ta_kernels::trigger::Bars;

/// Random OHLCV bars: a walk with a consistent high/low, and (if
/// `nan_every > 0`) NaN holes, each value with probability `1/nan_every`.
pub fn ohlcv(len: usize, seed: u64, nan_every: usize) -> [Vec<f64>; 5] {
    let mut r = Rng::new(seed);
    let mut c = 100.0;
    let mut cols: [Vec<f64>; 5] = Default::default();
    for _ in 0..len {
        let open = c;
        c *= 1.0 + 0.01 * r.sym();
        let high = open.max(c) * (1.0 + 0.005 * r.unit());
        let low = open.min(c) * (1.0 - 0.005 * r.unit());
        let vol = 1000.0 * (1.0 + r.unit());
        for (col, v) in cols.iter_mut().zip([open, high, low, c, vol]) {
            col.push(v);
        }
    }
    if nan_every > 0 {
        for col in cols.iter_mut() {
            for v in col.iter_mut() {
                if r.below(nan_every) == 0 {
                    *v = f64::NAN;
                }
            }
        }
    }
    cols
}

/// The five columns as [`Bars`].
pub fn bars(cols: &[Vec<f64>; 5]) -> Bars<'_> {
    Bars::ohlcv(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4])
}
