//! `compute`: indicator expressions → CSV columns.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use ta_kernels::trigger::{Plan, Series, TriggerSet};

use super::input::{self, Source};
use super::{CliError, format_value};

/// Parses every expression (expanding multi-output calls), loads the
/// columns they read, evaluates them as one plan (shared sub-expressions
/// computed once) and writes timestamp + one column per output.
pub fn run(source: &Source<'_>, output: Option<&Path>, exprs: &[String]) -> Result<(), CliError> {
    let mut series: Vec<(String, Series)> = Vec::new();
    for e in exprs {
        let outputs = Series::parse_outputs(e)
            .map_err(|err| CliError::usage(format!("in expression {e:?}: {err}")))?;
        series.extend(outputs);
    }
    let mut needed: Vec<_> = series.iter().flat_map(|(_, s)| s.columns()).collect();
    needed.sort();
    needed.dedup();
    let table = input::load(source, &needed)?;
    let plan = Plan::with_series(&TriggerSet::new(), &series);
    let eval = plan.evaluate(&table.bars())?;
    let columns: Vec<(&str, &[f64])> = eval.series().collect();

    let sink: Box<dyn Write> = match output {
        Some(p) => Box::new(
            File::create(p)
                .map_err(|e| CliError::other(format!("cannot create {}: {e}", p.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(BufWriter::new(sink));
    let write_err = |e: csv::Error| CliError::other(format!("writing CSV: {e}"));
    let mut header = vec![table.timestamp_header.clone()];
    header.extend(columns.iter().map(|(name, _)| (*name).to_owned()));
    w.write_record(&header).map_err(write_err)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for i in 0..table.rows {
        row.clear();
        row.push(table.timestamp(i));
        row.extend(columns.iter().map(|(_, v)| format_value(v[i])));
        w.write_record(&row).map_err(write_err)?;
    }
    w.flush()?;
    Ok(())
}
