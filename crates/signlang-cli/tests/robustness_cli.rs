//! `signlang robustness` end to end: export a small model, evaluate it on a
//! small CSV, print the table (every corruption, clean and the mean); a bad
//! CSV fails with a line naming the file.

use std::io::Write;
use std::process::Command;

fn small_csv(path: &std::path::Path, rows: usize) {
    let mut f = std::fs::File::create(path).unwrap();
    let header: Vec<String> = (1..=784).map(|i| format!("pixel{i}")).collect();
    writeln!(f, "label,{}", header.join(",")).unwrap();
    for r in 0..rows {
        let label = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11][r % 11];
        let px: Vec<String> = (0..784)
            .map(|i| ((i * 7 + r * 31) % 256).to_string())
            .collect();
        writeln!(f, "{label},{}", px.join(",")).unwrap();
    }
}

#[test]
fn robustness_prints_a_row_per_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    signlang::testing::export_linear(&model, 4);
    let csv = dir.path().join("small.csv");
    small_csv(&csv, 40);

    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .arg("robustness")
        .arg(&model)
        .arg(&csv)
        .args(["--seed", "3"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    for name in signlang::corrupt::Corruption::ALL.map(|c| c.name()) {
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
    assert!(stdout.contains("40 images, seed 3"), "{stdout}");
    assert!(stdout.contains("mean corruption"), "{stdout}");

    let missing = dir.path().join("missing.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .arg("robustness")
        .arg(&model)
        .arg(&missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("missing.csv"), "{stderr}");
}
