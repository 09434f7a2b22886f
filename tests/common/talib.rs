//! Loading the TA-Lib 0.8.1 reference outputs in `tests/data/` (see its
//! README): CSV files with a header row, `NaN` for warm-up rows.

use std::collections::HashMap;
use std::path::PathBuf;

/// The fixture series folders.
pub const SERIES: [&str; 2] = ["gbm_5000", "goog_daily"];

/// A CSV file as named columns.
pub struct Table {
    pub columns: HashMap<String, Vec<f64>>,
    pub rows: usize,
}

impl Table {
    /// The column `name`; panics with the file's columns if absent.
    pub fn col(&self, name: &str) -> &[f64] {
        self.columns.get(name).unwrap_or_else(|| {
            panic!(
                "no column {name:?}; have {:?}",
                self.columns.keys().collect::<Vec<_>>()
            )
        })
    }
}

/// Reads `tests/data/<series>/<file>`.
pub fn load(series: &str, file: &str) -> Table {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", series, file]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header row")
        .split(',')
        .map(|h| h.trim().to_owned())
        .collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
    let mut rows = 0;
    for (ln, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(
            cells.len(),
            header.len(),
            "{}: ragged line {}",
            path.display(),
            ln + 2
        );
        for (c, cell) in cells.iter().enumerate() {
            let v = if cell.trim() == "NaN" {
                f64::NAN
            } else {
                cell.trim().parse().unwrap_or_else(|e| {
                    panic!("{}: line {} col {c}: {cell:?}: {e}", path.display(), ln + 2)
                })
            };
            cols[c].push(v);
        }
        rows += 1;
    }
    Table {
        columns: header.into_iter().zip(cols).collect(),
        rows,
    }
}

/// The input series (close, high, low) of a fixture folder.
pub fn input(series: &str) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let t = load(series, "input.csv");
    (
        t.col("close").to_vec(),
        t.col("high").to_vec(),
        t.col("low").to_vec(),
    )
}

/// Asserts `got` matches TA-Lib's `want`: NaN exactly where TA-Lib has
/// NaN, and elsewhere `|got - want| <= tol * max(|want|, scale)` (the
/// issue's criterion: `scale` is mean |close| for price-unit outputs and
/// 100 for RSI/STOCH). Returns the largest relative error seen.
pub fn assert_matches(what: &str, got: &[f64], want: &[f64], scale: f64, tol: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{what}[{i}]: TA-Lib NaN, got {g}");
            continue;
        }
        assert!(!g.is_nan(), "{what}[{i}]: got NaN, TA-Lib {w}");
        let rel = (g - w).abs() / w.abs().max(scale);
        worst = worst.max(rel);
        assert!(
            rel <= tol,
            "{what}[{i}]: got {g}, TA-Lib {w}, rel err {rel:e} > {tol:e}"
        );
    }
    worst
}

/// Mean of |x| over the finite values (the price scale of a series).
pub fn mean_abs(x: &[f64]) -> f64 {
    let f: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    f.iter().map(|v| v.abs()).sum::<f64>() / f.len().max(1) as f64
}
