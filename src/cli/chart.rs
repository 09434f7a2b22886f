//! The `scan --chart` SVG: close and the price-scale indicators on top, one
//! panel per group of oscillators below, and a marker per trigger event.
//!
//! Long series are thinned for drawing with the crate's min-max
//! decimation kernel (two points per pixel column, the lowest and the
//! highest), so a chart of ten million bars stays small and still shows
//! every extreme.

use std::path::Path;

use plotters::prelude::*;
use ta_kernels::trigger::{Column, Evaluation, Indicator, Series, TriggerSet};

use super::CliError;
use super::input::Table;

const WIDTH: u32 = 1400;
const PRICE_HEIGHT: u32 = 560;
const PANEL_HEIGHT: u32 = 200;

/// A named line to draw.
type Line<'a> = (&'a str, &'a [f64]);

/// Which panel an indicator belongs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Panel {
    Price,
    Oscillator,
    Macd,
    Other,
}

impl Panel {
    fn title(self) -> &'static str {
        match self {
            Panel::Price => "price",
            Panel::Oscillator => "oscillators (0–100)",
            Panel::Macd => "MACD",
            Panel::Other => "other indicators",
        }
    }
}

/// Whether `s` is in price units (a price column or a moving
/// average/extreme/band of one).
fn in_price_units(s: &Series) -> bool {
    match s {
        Series::Column(c) => *c != Column::Volume,
        Series::Indicator(ind) => match &**ind {
            Indicator::Sma { input, .. }
            | Indicator::Ema { input, .. }
            | Indicator::Wma { input, .. }
            | Indicator::Max { input, .. }
            | Indicator::Min { input, .. }
            | Indicator::Bbands { input, .. } => in_price_units(input),
            _ => false,
        },
        _ => false,
    }
}

fn panel_of(s: &Series) -> Panel {
    if in_price_units(s) {
        return Panel::Price;
    }
    match s {
        Series::Indicator(ind) => match **ind {
            Indicator::Rsi { .. } | Indicator::Stoch { .. } => Panel::Oscillator,
            Indicator::Macd { .. } => Panel::Macd,
            _ => Panel::Other,
        },
        _ => Panel::Other,
    }
}

/// The indices of `v` to draw: all of them when few, else the min and max
/// of each of `2 × WIDTH` buckets.
fn thinned(v: &[f64]) -> Vec<usize> {
    let buckets = 2 * WIDTH as usize;
    if v.len() <= 2 * buckets {
        return (0..v.len()).filter(|&i| v[i].is_finite()).collect();
    }
    ta_kernels::decimate_minmax(v, buckets).unwrap_or_default()
}

fn range_of<'a>(series: impl Iterator<Item = &'a [f64]>) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in series {
        for &v in s.iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-9).max(1e-12);
    (lo - pad, hi + pad)
}

fn draw_err(e: impl std::fmt::Display) -> CliError {
    CliError::other(format!("drawing the chart: {e}"))
}

/// The indicator series the triggers read, to be evaluated with them.
pub fn indicator_series(set: &TriggerSet) -> Vec<(String, Series)> {
    set.indicators()
        .into_iter()
        .map(|s| (s.to_string(), s))
        .collect()
}

/// Draws the chart. `eval` must come from a plan compiled with
/// [`indicator_series`] as its series.
pub fn draw(
    path: &Path,
    table: &Table,
    set: &TriggerSet,
    eval: &Evaluation,
) -> Result<(), CliError> {
    let close = table
        .column(Column::Close)
        .ok_or_else(|| CliError::input("the chart needs a close column"))?;
    let n = close.len();
    let mut panels: Vec<(Panel, Vec<Line<'_>>)> = Vec::new();
    let indicators: Vec<(String, Series)> = indicator_series(set);
    for ((name, values), (_, s)) in eval.series().zip(&indicators) {
        let p = panel_of(s);
        match panels.iter_mut().find(|(q, _)| *q == p) {
            Some((_, list)) => list.push((name, values)),
            None => panels.push((p, vec![(name, values)])),
        }
    }
    panels.sort_by_key(|(p, _)| *p);
    let price_extra: Vec<(&str, &[f64])> = panels
        .iter()
        .find(|(p, _)| *p == Panel::Price)
        .map(|(_, l)| l.clone())
        .unwrap_or_default();
    let lower: Vec<&(Panel, Vec<Line<'_>>)> =
        panels.iter().filter(|(p, _)| *p != Panel::Price).collect();
    let height = PRICE_HEIGHT + PANEL_HEIGHT * lower.len() as u32;

    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_err)?;
    let (top, rest) = root.split_vertically(PRICE_HEIGHT);
    let x_range = 0..n.max(2);
    let label = |x: &usize| -> String {
        if *x < n {
            table.timestamp(*x).chars().take(10).collect()
        } else {
            String::new()
        }
    };

    // Price panel: close, overlays, event markers.
    let (lo, hi) = range_of(std::iter::once(close).chain(price_extra.iter().map(|(_, v)| *v)));
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!("{} — {} bars, {} triggers", table.source, n, set.len()),
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range.clone(), lo..hi)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&label)
        .x_labels(8)
        .y_desc("price")
        .draw()
        .map_err(draw_err)?;
    let line =
        |v: &[f64]| -> Vec<(usize, f64)> { thinned(v).into_iter().map(|i| (i, v[i])).collect() };
    chart
        .draw_series(LineSeries::new(line(close), BLACK.stroke_width(1)))
        .map_err(draw_err)?
        .label("close")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK));
    for (k, (name, v)) in price_extra.iter().enumerate() {
        let color = Palette99::pick(k + 1).mix(0.9);
        chart
            .draw_series(LineSeries::new(line(v), color.stroke_width(1)))
            .map_err(draw_err)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
    }
    for (t, name) in eval.names().iter().enumerate() {
        let color = Palette99::pick(t + 20).filled();
        let points: Vec<(usize, f64)> = eval
            .events(t)
            .into_iter()
            .filter(|e| close[e.bar].is_finite())
            .map(|e| (e.bar, close[e.bar]))
            .collect();
        chart
            .draw_series(points.into_iter().map(|p| TriangleMarker::new(p, 6, color)))
            .map_err(draw_err)?
            .label(format!("{name} ({})", eval.masks()[t].count_ones()))
            .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 5, color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(draw_err)?;

    // Lower panels.
    let areas = if lower.is_empty() {
        Vec::new()
    } else {
        rest.split_evenly((lower.len(), 1))
    };
    for (area, (panel, list)) in areas.iter().zip(&lower) {
        let (lo, hi) = if *panel == Panel::Oscillator {
            (0.0, 100.0)
        } else {
            range_of(list.iter().map(|(_, v)| *v))
        };
        let mut c = ChartBuilder::on(area)
            .caption(panel.title(), ("sans-serif", 14))
            .margin(10)
            .x_label_area_size(20)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range.clone(), lo..hi)
            .map_err(draw_err)?;
        c.configure_mesh()
            .x_label_formatter(&label)
            .x_labels(8)
            .y_labels(4)
            .draw()
            .map_err(draw_err)?;
        for (k, (name, v)) in list.iter().enumerate() {
            let color = Palette99::pick(k + 40).mix(0.9);
            c.draw_series(LineSeries::new(line(v), color.stroke_width(1)))
                .map_err(draw_err)?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .draw()
            .map_err(draw_err)?;
    }
    root.present().map_err(draw_err)?;
    Ok(())
}
