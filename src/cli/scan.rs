//! `scan`: trigger events over the bars, as CSV or JSON, with a summary on
//! stderr and optionally an SVG chart.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use ta_kernels::trigger::{Plan, Trigger, TriggerSet};

use super::input::{self, Source};
use super::{CliError, chart, format_value};

/// The set scanned when none is given.
pub const DEFAULT_TRIGGERS: &str = "\
golden_cross = sma(50) crosses_above sma(200)
death_cross = sma(50) crosses_below sma(200)
rsi_oversold = rsi(14) crosses_below 30
rsi_overbought = rsi(14) crosses_above 70
bollinger_breakout_up = close crosses_above bbands(20, 2, 2).upper
bollinger_breakout_down = close crosses_below bbands(20, 2, 2).lower
";

/// The trigger set from `--trigger` flags and a `--triggers` file (the
/// default set when both are absent).
pub(crate) fn trigger_set(flags: &[String], file: Option<&Path>) -> Result<TriggerSet, CliError> {
    let mut set = TriggerSet::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
        #[derive(serde::Deserialize)]
        struct Wrapped {
            triggers: TriggerSet,
        }
        set = match toml::from_str::<Wrapped>(&text) {
            Ok(w) => w.triggers,
            Err(_) => toml::from_str::<TriggerSet>(&text)
                .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?,
        };
    }
    for f in flags {
        let t: Trigger = f
            .parse()
            .map_err(|e| CliError::usage(format!("--trigger {f:?}: {e}")))?;
        set.push(t)
            .map_err(|e| CliError::usage(format!("--trigger {f:?}: {}", e.kind)))?;
    }
    if set.is_empty() {
        set = TriggerSet::parse(DEFAULT_TRIGGERS).expect("the default set parses");
    }
    Ok(set)
}

/// Runs the scan.
pub fn run(
    source: &Source<'_>,
    flags: &[String],
    file: Option<&Path>,
    json: bool,
    chart_path: Option<&Path>,
) -> Result<(), CliError> {
    let set = trigger_set(flags, file)?;
    // With a chart, the indicators it draws are evaluated in the same plan
    // as the triggers, so each is still computed once.
    let plan = match chart_path {
        Some(_) => Plan::with_series(&set, &chart::indicator_series(&set)),
        None => set.plan().map_err(|e| CliError::usage(e.to_string()))?,
    };
    let table = input::load(source, &plan.columns())?;
    let started = Instant::now();
    let eval = plan.evaluate(&table.bars())?;
    let elapsed = started.elapsed();
    let close = table
        .column(ta_kernels::trigger::Column::Close)
        .unwrap_or(&[]);
    let events = eval.merged_events();

    let stdout = std::io::stdout().lock();
    let mut out = BufWriter::new(stdout);
    if json {
        let list: Vec<serde_json::Value> = events
            .iter()
            .map(|e| {
                serde_json::json!({
                    "timestamp": table.timestamp(e.bar),
                    "bar": e.bar,
                    "trigger": eval.name_of(*e),
                    "close": close.get(e.bar).copied().filter(|v| v.is_finite()),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)
            .map_err(|e| CliError::other(format!("writing JSON: {e}")))?;
        writeln!(out)?;
    } else {
        let mut w = csv::Writer::from_writer(&mut out);
        let err = |e: csv::Error| CliError::other(format!("writing CSV: {e}"));
        w.write_record([table.timestamp_header.as_str(), "bar", "trigger", "close"])
            .map_err(err)?;
        for e in &events {
            w.write_record([
                table.timestamp(e.bar),
                e.bar.to_string(),
                eval.name_of(*e).to_owned(),
                close
                    .get(e.bar)
                    .map_or_else(String::new, |v| format_value(*v)),
            ])
            .map_err(err)?;
        }
        w.flush()?;
    }
    out.flush()?;

    eprintln!(
        "{}: {} bars, {} triggers, {} events in {:.3} ms ({} indicators computed once each)",
        table.source,
        table.rows,
        set.len(),
        events.len(),
        elapsed.as_secs_f64() * 1e3,
        eval.indicators_computed
    );
    for (name, mask) in eval.names().iter().zip(eval.masks()) {
        eprintln!("  {name:<28} {:>6}", mask.count_ones());
    }
    if let Some(path) = chart_path {
        chart::draw(path, &table, &set, &eval)?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}
