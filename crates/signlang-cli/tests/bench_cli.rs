//! `signlang bench` end to end on a small CSV: one JSON line per epoch that
//! names the CPU, its SIMD level and libtorch's back-ends, so timings from
//! two machines can be compared, and the OpenMP wait policy it ran with.

use std::io::Write;
use std::process::Command;

#[test]
fn bench_lines_record_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("small.csv");
    let mut f = std::fs::File::create(&csv).unwrap();
    let header: Vec<String> = (1..=784).map(|i| format!("pixel{i}")).collect();
    writeln!(f, "label,{}", header.join(",")).unwrap();
    for r in 0..64 {
        let px: Vec<String> = (0..784)
            .map(|i| ((i * 3 + r * 17) % 256).to_string())
            .collect();
        writeln!(f, "{},{}", [0, 1, 2, 3][r % 4], px.join(",")).unwrap();
    }
    drop(f);
    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .args([
            "bench", "--model", "dense", "--epochs", "2", "--quiet", "--data",
        ])
        .arg(&csv)
        .env("OMP_WAIT_POLICY", "PASSIVE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("torch threads"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for l in &lines {
        assert_eq!(l["model"], "dense");
        assert!(l["cpu"].as_str().is_some_and(|s| !s.is_empty()), "{l}");
        let simd = l["simd"].as_str().unwrap();
        assert!(
            ["AVX-512", "AVX2", "AVX", "NEON", "none"].contains(&simd),
            "{l}"
        );
        assert!(l["onednn"].is_boolean() && l["mkl"].is_boolean(), "{l}");
        // The wait policy it ran with (set here), so two runs compare honestly.
        assert_eq!(l["omp_wait_policy"], "PASSIVE", "{l}");
    }
}
