//! Reading bars: CSV files (or the embedded samples) into numeric columns.
//!
//! Columns are found by header name, case-insensitively (`open`, `high`,
//! `low`, `close`, `volume`); the timestamp is the column named `date`,
//! `time`, `timestamp` or `datetime`, or an unnamed first column (as
//! pandas writes a frame with a date index). `--column close=Adj Close`
//! maps a column to another header. Only the numeric columns a job needs
//! are parsed and kept, so memory stays close to those columns alone.
//! Empty cells are NaN. Every malformed input is an error naming the line
//! and the column.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use ta_kernels::trigger::{Bars, Column};

use super::CliError;

/// The embedded samples: (name, description, CSV text).
pub const SAMPLES: [(&str, &str, &str); 2] = [
    (
        "goog",
        "GOOG daily bars, 2004-08-19 to 2013-03-01 (2,148 rows)",
        include_str!("../../data/goog_daily.csv"),
    ),
    (
        "eurusd",
        "EURUSD hourly bars from 2017-04-19 (5,000 rows)",
        include_str!("../../data/eurusd_hourly.csv"),
    ),
];

/// Timestamps kept as one text buffer plus offsets (two words per row
/// instead of a `String` each).
#[derive(Debug, Default)]
pub struct Timestamps {
    text: String,
    ends: Vec<usize>,
}

impl Timestamps {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    /// Row `i`'s timestamp.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// Loaded bars: the columns asked for, and the timestamps if any.
#[derive(Debug)]
pub struct Table {
    /// Header of the timestamp column (`timestamp` if unnamed).
    pub timestamp_header: String,
    /// Timestamps, when the input has a timestamp column.
    pub timestamps: Option<Timestamps>,
    columns: [Option<Vec<f64>>; 5],
    /// Number of rows.
    pub rows: usize,
    /// Where the bars came from (a path or `sample NAME`).
    pub source: String,
}

impl Table {
    /// The bars, as the library's view.
    pub fn bars(&self) -> Bars<'_> {
        let mut b = Bars::new();
        for c in Column::ALL {
            if let Some(v) = &self.columns[c as usize] {
                b = b.with(c, v);
            }
        }
        b
    }

    /// A loaded column.
    pub fn column(&self, c: Column) -> Option<&[f64]> {
        self.columns[c as usize].as_deref()
    }

    /// The timestamp of row `i`, or its index when there is none.
    pub fn timestamp(&self, i: usize) -> String {
        match &self.timestamps {
            Some(t) => t.get(i).to_owned(),
            None => i.to_string(),
        }
    }
}

/// Where to read from and how to map columns.
pub struct Source<'a> {
    /// A CSV file, or `None` for a sample.
    pub input: Option<&'a Path>,
    /// The sample's name when `input` is `None`.
    pub sample: &'a str,
    /// `NAME=HEADER` overrides, e.g. `close=Adj Close`.
    pub overrides: &'a [String],
}

/// Reads the `needed` columns (plus close, always, for reports).
pub fn load(source: &Source<'_>, needed: &[Column]) -> Result<Table, CliError> {
    let mut needed: Vec<Column> = needed.to_vec();
    if !needed.contains(&Column::Close) {
        needed.push(Column::Close);
    }
    match source.input {
        Some(path) => {
            let file = File::open(path)
                .map_err(|e| CliError::input(format!("cannot open {}: {e}", path.display())))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let progress = ProgressBar::new(size);
            progress.set_style(
                ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} ({eta})")
                    .expect("valid template"),
            );
            progress.set_message(format!("reading {}", path.display()));
            let reader = progress.wrap_read(file);
            let table = parse(
                reader,
                &needed,
                source.overrides,
                path.display().to_string(),
            );
            progress.finish_and_clear();
            table
        }
        None => {
            let (_, _, text) = SAMPLES
                .iter()
                .find(|(name, _, _)| *name == source.sample)
                .ok_or_else(|| {
                    let names: Vec<&str> = SAMPLES.iter().map(|s| s.0).collect();
                    CliError::usage(format!(
                        "unknown sample {:?}: choose one of {}",
                        source.sample,
                        names.join(", ")
                    ))
                })?;
            parse(
                text.as_bytes(),
                &needed,
                source.overrides,
                format!("sample {}", source.sample),
            )
        }
    }
}

/// Where each column and the timestamp are in a CSV header row.
pub struct Layout {
    /// Field index of each [`Column`] (by `Column as usize`), if present.
    pub index: [Option<usize>; 5],
    /// Field index of the timestamp, if any.
    pub ts_index: Option<usize>,
    /// The timestamp's header (`timestamp` when unnamed or absent).
    pub timestamp_header: String,
}

impl Layout {
    /// Finds the columns in `headers` (case-insensitive names, then the
    /// `NAME=HEADER` overrides); every `needed` column must be present.
    pub fn find(
        headers: &csv::StringRecord,
        needed: &[Column],
        overrides: &[String],
        source: &str,
    ) -> Result<Layout, CliError> {
        let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        // Column → field index, honouring NAME=HEADER overrides.
        let mut index: [Option<usize>; 5] = [None; 5];
        for c in Column::ALL {
            index[c as usize] = find(c.name());
        }
        for o in overrides {
            let (name, header) = o.split_once('=').ok_or_else(|| {
                CliError::usage(format!(
                    "--column {o:?}: expected NAME=HEADER, e.g. close=Adj Close"
                ))
            })?;
            let column = Column::from_name(&name.trim().to_ascii_lowercase()).ok_or_else(|| {
                CliError::usage(format!(
                    "--column {o:?}: {name:?} is not a column (open, high, low, close, volume)"
                ))
            })?;
            let i = find(header.trim()).ok_or_else(|| {
                CliError::input(format!(
                    "--column {o:?}: {source} has no column {header:?} (columns: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ))
            })?;
            index[column as usize] = Some(i);
        }
        for &c in needed {
            if index[c as usize].is_none() {
                return Err(CliError::input(format!(
                    "{source}: missing required column {:?} (columns: {}; map one with --column {}=HEADER)",
                    c.name(),
                    headers.iter().collect::<Vec<_>>().join(", "),
                    c.name()
                )));
            }
        }
        let ts_index = ["date", "time", "timestamp", "datetime"]
            .iter()
            .find_map(|n| find(n))
            .or_else(|| headers.get(0).filter(|h| h.is_empty()).map(|_| 0));
        let timestamp_header = match ts_index {
            Some(i) if !headers[i].is_empty() => headers[i].to_owned(),
            _ => "timestamp".to_owned(),
        };
        Ok(Layout {
            index,
            ts_index,
            timestamp_header,
        })
    }
}

/// Parses CSV text from `reader`.
pub fn parse(
    reader: impl Read,
    needed: &[Column],
    overrides: &[String],
    source: String,
) -> Result<Table, CliError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| CliError::input(format!("{source}: cannot read the header row: {e}")))?
        .clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(CliError::input(format!(
            "{source}: the file is empty (no header row)"
        )));
    }
    let Layout {
        index,
        ts_index,
        timestamp_header,
    } = Layout::find(&headers, needed, overrides, &source)?;
    let mut columns: [Option<Vec<f64>>; 5] = Default::default();
    for &c in needed {
        columns[c as usize] = Some(Vec::new());
    }
    let mut timestamps = ts_index.map(|_| Timestamps::default());
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    loop {
        let more = rdr.read_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            CliError::input(format!("{source}: line {line}: {e}"))
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(rows as u64 + 2, |p| p.line());
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != headers.len() {
            return Err(CliError::input(format!(
                "{source}: line {line}: ragged row: {} fields where the header has {}",
                record.len(),
                headers.len()
            )));
        }
        for &c in needed {
            let i = index[c as usize].expect("checked above");
            let cell = &record[i];
            let v = if cell.is_empty() {
                f64::NAN
            } else {
                cell.parse::<f64>().map_err(|_| {
                    CliError::input(format!(
                        "{source}: line {line}, column {:?}: {cell:?} is not a number",
                        &headers[i]
                    ))
                })?
            };
            columns[c as usize]
                .as_mut()
                .expect("allocated above")
                .push(v);
        }
        if let (Some(t), Some(i)) = (timestamps.as_mut(), ts_index) {
            t.push(&record[i]);
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(CliError::input(format!(
            "{source}: no data rows after the header"
        )));
    }
    Ok(Table {
        timestamp_header,
        timestamps,
        columns,
        rows,
        source,
    })
}
