//! End-to-end tests of the `ta-kernels` binary.
#![cfg(feature = "cli")]

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ta-kernels"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run ta-kernels")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch directory unique to this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ta-kernels-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn parse_csv(s: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(s.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn scan_on_each_sample_prints_events_summary_and_chart() {
    for sample in ["goog", "eurusd"] {
        let dir = scratch(&format!("scan-{sample}"));
        let chart = dir.join("chart.svg");
        let out = run(&[
            "scan",
            "--sample",
            sample,
            "--chart",
            chart.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let rows = parse_csv(&stdout);
        assert_eq!(rows[0], ["timestamp", "bar", "trigger", "close"]);
        assert!(rows.len() > 10, "{sample}: few events:\n{stdout}");
        let bars: Vec<usize> = rows[1..].iter().map(|r| r[1].parse().unwrap()).collect();
        assert!(bars.windows(2).all(|w| w[0] <= w[1]), "events in bar order");
        let stderr = text(&out.stderr);
        for name in ["golden_cross", "rsi_oversold", "bollinger_breakout_up"] {
            assert!(stderr.contains(name), "{stderr}");
        }
        let svg = std::fs::read_to_string(&chart).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("sma(close, 50)") && svg.contains("rsi(close, 14)"));
        assert!(svg.contains("<polyline"), "lines drawn");
        assert!(
            svg.matches("<polygon").count() >= rows.len() - 1,
            "a marker per event"
        );
    }
}

#[test]
fn scan_json_and_custom_triggers() {
    let out = run(&[
        "scan",
        "--no-chart",
        "--format",
        "json",
        "--trigger",
        "up=close crosses_above sma(10)",
        "--trigger",
        "hot = rsi(14) > 70",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let events = events.as_array().unwrap();
    assert!(!events.is_empty());
    for e in events {
        let t = e["trigger"].as_str().unwrap();
        assert!(t == "up" || t == "hot");
        assert!(e["close"].as_f64().unwrap() > 0.0);
        assert_eq!(e["timestamp"].as_str().unwrap().len(), 10);
    }
}

#[test]
fn scan_reads_a_toml_trigger_file() {
    let dir = scratch("toml");
    let file = dir.join("t.toml");
    std::fs::write(
        &file,
        "[triggers]\ndip = \"rsi(14) < 35 and close > sma(200)\"\n",
    )
    .unwrap();
    let out = run(&["scan", "--no-chart", "--triggers", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(",dip,"));
    std::fs::write(&file, "dip = \"rsi(1) < 35\"\n").unwrap();
    let out = run(&["scan", "--no-chart", "--triggers", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("rsi"), "{}", text(&out.stderr));
}

#[test]
fn bad_trigger_reports_position_and_exit_code_2() {
    let out = run(&["scan", "--no-chart", "--trigger", "x = rsi(14) <"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("1:14") && err.contains("expected"), "{err}");
}

#[test]
fn compute_output_parses_back_to_the_library_values() {
    let out = run(&[
        "compute",
        "--sample",
        "goog",
        "sma(20)",
        "macd(12,26,9)",
        "close - ema(5)",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = parse_csv(&text(&out.stdout));
    assert_eq!(
        rows[0],
        [
            "timestamp",
            "sma(20)",
            "macd(12,26,9).macd",
            "macd(12,26,9).signal",
            "macd(12,26,9).hist",
            "close - ema(5)"
        ]
    );
    let sample =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/goog_daily.csv"))
            .unwrap();
    let close: Vec<f64> = sample
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows.len(), close.len() + 1);
    let sma = ta_kernels::sma(&close, 20).unwrap();
    let macd = ta_kernels::macd(&close, 12, 26, 9).unwrap();
    let ema = ta_kernels::ema(&close, 5).unwrap();
    let cell = |s: &str| {
        if s.is_empty() {
            f64::NAN
        } else {
            s.parse::<f64>().unwrap()
        }
    };
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    for (i, r) in rows[1..].iter().enumerate() {
        assert!(same(cell(&r[1]), sma[i]), "row {i}: {} vs {}", r[1], sma[i]);
        assert!(same(cell(&r[2]), macd.macd[i]));
        assert!(same(cell(&r[3]), macd.signal[i]));
        assert!(same(cell(&r[4]), macd.hist[i]));
        assert!(same(cell(&r[5]), close[i] - ema[i]));
    }
    assert_eq!(rows[1][1], "", "warm-up is an empty cell");
    assert_eq!(rows[1][0], "2004-08-19");
}

#[test]
fn compute_with_input_file_column_override_and_output_file() {
    let dir = scratch("override");
    let input = dir.join("in.csv");
    std::fs::write(&input, "Date,Open,High,Low,Adj Close,Volume\n2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1.5,2.5,1,2,11\n2024-01-03,2,3,1.5,,12\n").unwrap();
    let output = dir.join("out.csv");
    let out = run(&[
        "compute",
        "--input",
        input.to_str().unwrap(),
        "--column",
        "close=Adj Close",
        "--output",
        output.to_str().unwrap(),
        "sma(2)",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&output).unwrap();
    assert_eq!(
        written,
        "Date,sma(2)\n2024-01-01,\n2024-01-02,1.75\n2024-01-03,\n"
    );
}

#[test]
fn malformed_csv_is_exit_code_2_with_the_line() {
    let dir = scratch("bad");
    let cases: [(&str, &str, &[&str]); 6] = [
        (
            "bad_number.csv",
            "date,close\n2024-01-01,1\n2024-01-02,abc\n",
            &["line 3", "close", "abc"],
        ),
        (
            "ragged.csv",
            "date,close\n2024-01-01,1\n2024-01-02\n",
            &["line 3", "ragged"],
        ),
        (
            "missing.csv",
            "date,open\n2024-01-01,1\n",
            &["close", "missing"],
        ),
        ("empty.csv", "", &["empty"]),
        ("header_only.csv", "date,close\n", &["no data rows"]),
        (
            "stoch_needs_high.csv",
            "date,close\n2024-01-01,1\n",
            &["high"],
        ),
    ];
    for (name, content, needles) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let expr = if name.starts_with("stoch") {
            "stoch(5,3,3)"
        } else {
            "sma(2)"
        };
        let out = run(&["compute", "--input", path.to_str().unwrap(), expr]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        for n in needles {
            assert!(err.contains(n), "{name}: {err:?} lacks {n:?}");
        }
    }
}

#[test]
fn bench_small_runs_and_reports_targets() {
    let dir = scratch("bench");
    let json = dir.join("report.json");
    let out = run(&["bench", "--sizes", "1000", "--json", json.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("[PASS] 1000 points in < 1 s"), "{stdout}");
    assert!(stdout.contains("[PASS] memory < 200 MB"), "{stdout}");
    assert!(stdout.contains("[PASS] >= 5 concurrent jobs"), "{stdout}");
    assert!(stdout.contains("[SKIP] 100,000 points handled"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["rows"].as_array().unwrap().len(), 2);
    let out = run(&[
        "bench",
        "--sizes",
        "1000",
        "--baseline",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("against baseline"));
}

#[test]
fn unknown_sample_is_a_usage_error() {
    let out = run(&["scan", "--sample", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("goog"));
}

/// Runs `watch` with `args`, feeding `input` on stdin.
fn watch(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = bin()
        .arg("watch")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ta-kernels watch");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    out
}

const GOOG: &str = include_str!("../data/goog_daily.csv");

#[test]
fn watch_gives_the_events_scan_gives_in_one_run_and_in_two() {
    let scan_out = run(&["scan", "--sample", "goog", "--no-chart"]);
    assert!(scan_out.status.success(), "{}", text(&scan_out.stderr));
    let want = parse_csv(&text(&scan_out.stdout));
    assert!(want.len() > 20, "few events");

    let once = watch(&[], GOOG);
    assert!(once.status.success(), "{}", text(&once.stderr));
    assert_eq!(parse_csv(&text(&once.stdout)), want);

    // Two runs with a saved state between them; the second part of the
    // feed comes with and without its header line.
    let lines: Vec<&str> = GOOG.lines().collect();
    for (cut, repeat_header) in [(700usize, false), (1500, true), (1, false)] {
        let dir = scratch(&format!("watch-{cut}"));
        let state = dir.join("state.json");
        let _ = std::fs::remove_file(&state);
        let first = lines[..=cut].join("\n") + "\n";
        let mut second = lines[cut + 1..].join("\n") + "\n";
        if repeat_header {
            second = format!("{}\n{second}", lines[0]);
        }
        let s = state.to_str().unwrap();
        let a = watch(&["--state", s], &first);
        assert!(a.status.success(), "{}", text(&a.stderr));
        assert!(state.exists());
        let b = watch(&["--state", s], &second);
        assert!(b.status.success(), "{}", text(&b.stderr));
        let mut got = parse_csv(&text(&a.stdout));
        got.extend(parse_csv(&text(&b.stdout)));
        assert_eq!(got, want, "cut after bar {cut}");
    }
}

#[test]
fn watch_state_of_another_set_is_refused_and_bad_lines_are_skipped() {
    let dir = scratch("watch-refuse");
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    let s = state.to_str().unwrap();
    let head: String = GOOG.lines().take(50).collect::<Vec<_>>().join("\n") + "\n";
    let a = watch(&["--state", s, "--trigger", "up=close > sma(5)"], &head);
    assert!(a.status.success(), "{}", text(&a.stderr));
    let b = watch(&["--state", s, "--trigger", "up=close > sma(6)"], "");
    assert_eq!(b.status.code(), Some(2), "{}", text(&b.stderr));
    assert!(text(&b.stderr).contains("state"), "{}", text(&b.stderr));

    // A bar with high < low, a bar out of time order and a non-number are
    // reported with their line and skipped; the feed goes on.
    let feed = ",Open,High,Low,Close,Volume\n\
        2004-08-19,100,104,96,100,1\n\
        2004-08-20,100,90,96,100,1\n\
        2004-08-18,100,104,96,100,1\n\
        2004-08-23,100,104,96,abc,1\n\
        2004-08-24,100,104,96,101,1\n";
    let c = watch(&["--trigger", "up=close > 100.5", "--format", "json"], feed);
    assert!(c.status.success(), "{}", text(&c.stderr));
    let err = text(&c.stderr);
    for line in ["line 3", "line 4", "line 5"] {
        assert!(err.contains(line), "{err}");
    }
    let events: Vec<serde_json::Value> = text(&c.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["trigger"], "up");
    assert_eq!(events[0]["bar"], 1);
}
