//! `watch`: a live feed of CSV bars on standard input, one line at a time,
//! through the streaming trigger engine; each event is printed (and
//! flushed) the moment its bar arrives.
//!
//! With `--state FILE`, the engine's snapshot is saved on end of input and
//! on Ctrl-C, and a later run resumes from it: feeding a file in two runs
//! gives the events of one run, and the events `scan` gives on the whole
//! file. The state file also keeps the CSV header, so the resumed feed may
//! start with or without it.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ta_kernels::stream::{Bar, Snapshot, StreamEngine};
use ta_kernels::trigger::{Column, TriggerSet};

use super::input::{self, Layout, Source};
use super::{CliError, format_value, scan};

/// What a state file holds: the engine's snapshot and the feed's header.
#[derive(Serialize, Deserialize)]
struct StateFile {
    /// Identifies the file's kind.
    kind: String,
    /// The header row of the feed the state was built from.
    header: Vec<String>,
    /// The streaming engine's state.
    snapshot: Snapshot,
}

const KIND: &str = "ta-kernels watch state";

/// Options of `watch`.
pub struct Options<'a> {
    /// `--trigger NAME=EXPR` flags.
    pub triggers: &'a [String],
    /// `--triggers FILE`.
    pub triggers_file: Option<&'a Path>,
    /// `--state FILE`.
    pub state: Option<&'a Path>,
    /// `--history FILE`: bars to warm up from (no events printed).
    pub history: Option<&'a Path>,
    /// `--column NAME=HEADER` overrides.
    pub overrides: &'a [String],
    /// Print JSON Lines instead of CSV.
    pub json: bool,
}

/// Parses a timestamp cell: integer (any monotonic unit, kept as is), or
/// an RFC 3339 instant, ISO date-time or date (as UTC microseconds).
fn timestamp(cell: &str) -> Option<i64> {
    if let Ok(v) = cell.parse::<i64>() {
        return Some(v);
    }
    let micros = |ts: jiff::Timestamp| Some(ts.as_microsecond());
    if let Ok(ts) = cell.parse::<jiff::Timestamp>() {
        return micros(ts);
    }
    let civil = cell.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        cell.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.at(0, 0, 0, 0))
    })?;
    jiff::tz::TimeZone::UTC
        .to_timestamp(civil)
        .ok()
        .and_then(micros)
}

fn read_state(path: &Path) -> Result<Option<StateFile>, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::input(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let state: StateFile = serde_json::from_str(&text)
        .map_err(|e| CliError::input(format!("{}: not a watch state file: {e}", path.display())))?;
    if state.kind != KIND {
        return Err(CliError::input(format!(
            "{}: not a watch state file",
            path.display()
        )));
    }
    Ok(Some(state))
}

/// Writes the state next to `path` and renames it over, so an interrupted
/// save never leaves a half-written file.
fn write_state(path: &Path, state: &StateFile) -> Result<(), CliError> {
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    let text = serde_json::to_string(state)
        .map_err(|e| CliError::other(format!("encoding the state: {e}")))?;
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| CliError::other(format!("cannot write {}: {e}", path.display())))
}

/// A record read from standard input, or the end of it.
enum Input {
    Record(csv::StringRecord),
    Error(String),
}

/// Reads CSV records from standard input on a thread of its own, so the
/// main loop can notice Ctrl-C while a live feed is quiet.
fn spawn_reader() -> mpsc::Receiver<Input> {
    let (tx, rx) = mpsc::sync_channel(1024);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(stdin.lock());
        let mut record = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut record) {
                Ok(true) => {
                    if tx.send(Input::Record(record.clone())).is_err() {
                        return;
                    }
                }
                Ok(false) => return,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    let _ = tx.send(Input::Error(format!("line {line}: {e}")));
                    return;
                }
            }
        }
    });
    rx
}

/// The bar of a data record. Columns the set reads must hold numbers (or
/// be empty: NaN); the other OHLCV columns of the feed are read too when
/// they parse (so a bar with high < low is refused whatever the set
/// reads), and are NaN otherwise.
fn bar_of(
    record: &csv::StringRecord,
    layout: &Layout,
    needed: &[Column],
    header: &[String],
    line: u64,
) -> Result<Bar, String> {
    let mut v = [f64::NAN; 5];
    for c in Column::ALL {
        if let (false, Some(i)) = (needed.contains(&c), layout.index[c as usize]) {
            v[c as usize] = record
                .get(i)
                .and_then(|cell| cell.parse::<f64>().ok())
                .unwrap_or(f64::NAN);
        }
    }
    for &c in needed {
        let i = layout.index[c as usize].expect("layout has every needed column");
        let cell = record.get(i).unwrap_or("");
        if !cell.is_empty() {
            v[c as usize] = cell.parse::<f64>().map_err(|_| {
                format!(
                    "line {line}, column {:?}: {cell:?} is not a number",
                    header[i]
                )
            })?;
        }
    }
    let bar = Bar::new(v[0], v[1], v[2], v[3], v[4]);
    match layout.ts_index {
        Some(i) => {
            let cell = record.get(i).unwrap_or("");
            let ts = timestamp(cell)
                .ok_or_else(|| format!("line {line}: {cell:?} is not a timestamp"))?;
            Ok(bar.at(ts))
        }
        None => Ok(bar),
    }
}

/// Runs the watch loop until end of input or Ctrl-C.
pub fn run(opts: &Options<'_>) -> Result<(), CliError> {
    let set: TriggerSet = scan::trigger_set(opts.triggers, opts.triggers_file)?;
    let plan = set.plan().map_err(|e| CliError::usage(e.to_string()))?;
    let mut needed = plan.columns();
    if !needed.contains(&Column::Close) {
        needed.push(Column::Close); // printed with each event
    }
    let saved = match opts.state {
        Some(p) => read_state(p)?,
        None => None,
    };
    let resumed = saved.is_some();
    let (mut engine, mut header) = match saved {
        Some(state) => {
            let engine = StreamEngine::restore(&set, &state.snapshot).map_err(|e| {
                CliError::input(format!(
                    "{}: {e} (remove the file or watch the same triggers)",
                    opts.state.expect("a state was read").display()
                ))
            })?;
            (engine, Some(state.header))
        }
        None => (StreamEngine::new(&set)?, None),
    };
    if let (Some(path), false) = (opts.history, resumed) {
        let table = input::load(
            &Source {
                input: Some(path),
                sample: "",
                overrides: opts.overrides,
            },
            &needed,
        )?;
        engine.warm_up(&table.bars())?;
        if table.timestamps.is_some() && table.rows > 0 {
            let last = table.timestamp(table.rows - 1);
            engine.set_last_timestamp(timestamp(&last));
        }
        eprintln!("warmed up on {} bars of {}", table.rows, table.source);
    }

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second Ctrl-C exits at once (without saving).
        ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        })
        .map_err(|e| CliError::other(format!("cannot handle Ctrl-C: {e}")))?;
    }

    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let rx = spawn_reader();
    let mut layout: Option<Layout> = None;
    let (mut events, mut fed, mut skipped) = (0u64, 0u64, 0u64);
    let mut line = 0u64;
    let mut failure = None;
    while !stop.load(Ordering::SeqCst) {
        let input = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(i) => i,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let record = match input {
            Input::Record(r) => r,
            Input::Error(e) => {
                failure = Some(CliError::input(format!("stdin: {e}")));
                break;
            }
        };
        line = record.position().map_or(line + 1, |p| p.line());
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        let is_header = match &header {
            None => true,
            Some(h) => {
                h.len() == record.len()
                    && h.iter()
                        .zip(record.iter())
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
            }
        };
        if is_header || layout.is_none() {
            let h: Vec<String> = if is_header {
                record.iter().map(str::to_owned).collect()
            } else {
                header.clone().expect("a resumed state has a header")
            };
            let found = Layout::find(
                &csv::StringRecord::from(h.clone()),
                &needed,
                opts.overrides,
                "stdin",
            );
            match found {
                Ok(l) => layout = Some(l),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            if !resumed && header.is_none() {
                let ts = &layout.as_ref().expect("just set").timestamp_header;
                if opts.json {
                    // JSON Lines: no header.
                } else {
                    writeln!(out, "{ts},bar,trigger,close")?;
                }
            }
            header = Some(h);
            if is_header {
                out.flush()?;
                continue;
            }
        }
        let (l, h) = (
            layout.as_ref().expect("set above"),
            header.as_deref().unwrap_or(&[]),
        );
        if record.len() != h.len() {
            eprintln!(
                "line {line}: skipped: {} fields where the header has {}",
                record.len(),
                h.len()
            );
            skipped += 1;
            continue;
        }
        let bar = match bar_of(&record, l, &needed, h, line) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{e}: skipped");
                skipped += 1;
                continue;
            }
        };
        let index = engine.bars();
        match engine.push(&bar) {
            Ok(fired) => {
                fed += 1;
                let ts = l
                    .ts_index
                    .and_then(|i| record.get(i))
                    .unwrap_or("")
                    .to_owned();
                for name in fired.names() {
                    events += 1;
                    if opts.json {
                        let obj = serde_json::json!({
                            "timestamp": ts,
                            "bar": index,
                            "trigger": name,
                            "close": Some(bar.close).filter(|v| v.is_finite()),
                        });
                        writeln!(out, "{obj}")?;
                    } else {
                        let mut w = csv::WriterBuilder::new()
                            .has_headers(false)
                            .from_writer(&mut out);
                        w.write_record([
                            ts.as_str(),
                            &index.to_string(),
                            name,
                            &format_value(bar.close),
                        ])
                        .map_err(|e| CliError::other(format!("writing CSV: {e}")))?;
                        w.flush()?;
                    }
                }
                if !fired.is_empty() {
                    out.flush()?;
                }
            }
            Err(e) => {
                eprintln!("line {line}: skipped: {e}");
                skipped += 1;
            }
        }
    }
    out.flush()?;
    let interrupted = stop.load(Ordering::SeqCst);
    if let (Some(path), Some(h)) = (opts.state, header) {
        write_state(
            path,
            &StateFile {
                kind: KIND.to_owned(),
                header: h,
                snapshot: engine.snapshot(),
            },
        )?;
        eprintln!("state saved to {} ({} bars)", path.display(), engine.bars());
    }
    eprintln!(
        "{}{fed} bars, {events} events, {skipped} lines skipped",
        if interrupted { "interrupted: " } else { "" }
    );
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
