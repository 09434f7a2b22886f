//! Command-line parsing and the subcommands.

mod bench;
mod chart;
mod compute;
mod input;
mod scan;
mod watch;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[global_allocator]
static ALLOC: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// Trading indicators and triggers on SIMD kernels, identical to TA-Lib.
#[derive(Parser, Debug)]
#[command(name = "ta-kernels", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compute indicator expressions and write them as CSV columns.
    ///
    /// Each EXPR is a series in the trigger language (`sma(20)`,
    /// `ema(high, 10)`, `macd(12,26,9)` → three columns, `close - sma(50)`).
    Compute {
        #[command(flatten)]
        input: InputArgs,
        /// Write the CSV here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Series expressions, one column (or one per output) each.
        #[arg(required = true, value_name = "EXPR")]
        exprs: Vec<String>,
    },
    /// Scan the bars for triggers and print each event.
    ///
    /// Without --trigger or --triggers, scans a default set: golden/dead
    /// cross, RSI oversold/overbought, Bollinger breakouts.
    Scan {
        #[command(flatten)]
        input: InputArgs,
        /// A trigger, `NAME=EXPR` (repeatable).
        #[arg(long = "trigger", short, value_name = "NAME=EXPR")]
        triggers: Vec<String>,
        /// A TOML file of triggers: `NAME = "EXPR"` per line (or trees).
        #[arg(long = "triggers", value_name = "FILE.toml")]
        triggers_file: Option<PathBuf>,
        /// Output format of the events.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Draw close, the indicators the triggers read and the events as
        /// an SVG chart. Defaults to ta-kernels-scan.svg when scanning an
        /// embedded sample.
        #[arg(long, value_name = "FILE.svg")]
        chart: Option<PathBuf>,
        /// Do not write a chart.
        #[arg(long, conflicts_with = "chart")]
        no_chart: bool,
    },
    /// Benchmark the full indicator set and a 10-trigger set, and check the
    /// performance targets.
    Bench {
        /// Series lengths to run, comma separated.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "1000,10000,100000,1000000"
        )]
        sizes: Vec<usize>,
        /// Write the report as JSON.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// A previous JSON report to compare against (ratios).
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
    },
    /// Read CSV bars from standard input one line at a time (a live feed,
    /// e.g. `tail -f bars.csv | ta-kernels watch ...`) and print each event
    /// the moment its bar arrives.
    ///
    /// Feeding a file gives exactly the events `scan` gives on it. With
    /// --state, the engine's state is saved on end of input or Ctrl-C and
    /// the next run resumes from it.
    Watch {
        /// A trigger, `NAME=EXPR` (repeatable).
        #[arg(long = "trigger", short, value_name = "NAME=EXPR")]
        triggers: Vec<String>,
        /// A TOML file of triggers: `NAME = "EXPR"` per line (or trees).
        #[arg(long = "triggers", value_name = "FILE.toml")]
        triggers_file: Option<PathBuf>,
        /// Save the engine's state here on exit and resume from it on start.
        #[arg(long, value_name = "FILE.json")]
        state: Option<PathBuf>,
        /// A CSV file of earlier bars to warm up from (no events printed);
        /// ignored when resuming from --state.
        #[arg(long, value_name = "FILE.csv")]
        history: Option<PathBuf>,
        /// Map a column to another header, e.g. `close=Adj Close` (repeatable).
        #[arg(long = "column", value_name = "NAME=HEADER")]
        columns: Vec<String>,
        /// Output format of the events.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
}

#[derive(Args, Debug)]
struct InputArgs {
    /// A CSV file with a header row (columns found by name).
    #[arg(long, short, value_name = "FILE", conflicts_with = "sample")]
    input: Option<PathBuf>,
    /// An embedded sample: goog (daily) or eurusd (hourly).
    #[arg(long, default_value = "goog")]
    sample: String,
    /// Map a column to another header, e.g. `close=Adj Close` (repeatable).
    #[arg(long = "column", value_name = "NAME=HEADER")]
    columns: Vec<String>,
}

impl InputArgs {
    fn source(&self) -> input::Source<'_> {
        input::Source {
            input: self.input.as_deref(),
            sample: &self.sample,
            overrides: &self.columns,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Csv,
    Json,
}

/// A failure, with the exit code it maps to: 2 for bad input or usage,
/// 1 for anything else.
#[derive(Debug)]
pub struct CliError {
    message: String,
    code: u8,
}

impl CliError {
    /// Bad input data (exit code 2).
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 2,
        }
    }
    /// Bad arguments (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::input(message)
    }
    /// Anything else (exit code 1).
    pub fn other(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ta_kernels::Error> for CliError {
    fn from(e: ta_kernels::Error) -> Self {
        CliError::input(e.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::other(format!("I/O error: {e}"))
    }
}

/// Runs the command line; errors print to stderr with their exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compute {
            input,
            output,
            exprs,
        } => compute::run(&input.source(), output.as_deref(), &exprs),
        Command::Scan {
            input,
            triggers,
            triggers_file,
            format,
            chart,
            no_chart,
        } => {
            let chart = match (chart, no_chart, input.input.is_none()) {
                (Some(path), _, _) => Some(path),
                (None, false, true) => Some(PathBuf::from("ta-kernels-scan.svg")),
                _ => None,
            };
            scan::run(
                &input.source(),
                &triggers,
                triggers_file.as_deref(),
                format == Format::Json,
                chart.as_deref(),
            )
        }
        Command::Bench {
            sizes,
            json,
            baseline,
        } => bench::run(&sizes, json.as_deref(), baseline.as_deref()),
        Command::Watch {
            triggers,
            triggers_file,
            state,
            history,
            columns,
            format,
        } => watch::run(&watch::Options {
            triggers: &triggers,
            triggers_file: triggers_file.as_deref(),
            state: state.as_deref(),
            history: history.as_deref(),
            overrides: &columns,
            json: format == Format::Json,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code)
        }
    }
}

/// Formats a value for CSV: empty for NaN, otherwise the shortest text
/// that parses back to the same `f64`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else if v == 0.0 || (1e-5..1e16).contains(&v.abs()) || v.is_infinite() {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}
