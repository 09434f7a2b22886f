//! The backend choice: the environment variable is honoured (so CI's
//! forced runs really run the forced path), an unknown value warns once
//! and falls back to detection, and `with_backend` overrides per thread.

use std::process::Command;

use ta_kernels::{Backend, Error, with_backend};

#[test]
fn active_backend_honours_env() {
    let expected = match std::env::var("TA_KERNELS_BACKEND") {
        Ok(v) if !v.trim().is_empty() => match v.parse::<Backend>() {
            Ok(b) if b.is_available() => b,
            _ => Backend::detect(),
        },
        _ => Backend::detect(),
    };
    assert_eq!(Backend::active(), expected);
    eprintln!("active backend: {}", Backend::active());
}

/// Run as a child process by the tests below.
#[test]
#[ignore = "helper: run as a child process with TA_KERNELS_BACKEND set"]
fn child_prints_active_backend() {
    for _ in 0..3 {
        let _ = Backend::active();
    }
    println!("active={}", Backend::active());
}

fn run_child(env_value: &str) -> (String, String) {
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([
            "--exact",
            "child_prints_active_backend",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TA_KERNELS_BACKEND", env_value)
        .output()
        .expect("run child");
    assert!(out.status.success(), "child failed: {out:?}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unknown_value_warns_once_and_falls_back() {
    let (stdout, stderr) = run_child("bogus");
    assert!(
        stdout.contains(&format!("active={}", Backend::detect())),
        "{stdout}"
    );
    assert_eq!(stderr.matches("TA_KERNELS_BACKEND").count(), 1, "{stderr}");
    assert!(stderr.contains("unknown backend \"bogus\""), "{stderr}");
}

#[test]
fn each_available_value_is_honoured_in_a_fresh_process() {
    for b in Backend::available() {
        let (stdout, stderr) = run_child(b.name());
        assert!(stdout.contains(&format!("active={b}")), "{b}: {stdout}");
        assert!(!stderr.contains("TA_KERNELS_BACKEND"), "{b}: {stderr}");
    }
}

#[test]
fn with_backend_overrides_this_thread_only() {
    let global = Backend::active();
    let forced = if global == Backend::Scalar {
        Backend::Portable
    } else {
        Backend::Scalar
    };
    with_backend(forced, || {
        assert_eq!(Backend::active(), forced);
        let other = std::thread::spawn(Backend::active).join().unwrap();
        assert_eq!(other, global, "another thread must not see the override");
    })
    .unwrap();
    assert_eq!(Backend::active(), global);
    if !Backend::Avx2.is_available() {
        assert_eq!(
            with_backend(Backend::Avx2, || ()),
            Err(Error::BackendUnavailable {
                backend: Backend::Avx2
            })
        );
    }
}
