//! `signlang predict` end to end: export a small model, classify PNG and
//! JPEG files, and report an unreadable file by name with a non-zero exit.

use std::process::Command;

#[test]
fn predict_prints_top3_and_names_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    signlang::testing::export_linear(&model, 3);

    let png = dir.path().join("wide colour.png");
    image::RgbImage::from_fn(90, 40, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 5) as u8, 90])
    })
    .save(&png)
    .unwrap();
    let jpg = dir.path().join("tall.jpg");
    image::GrayImage::from_fn(17, 63, |x, y| image::Luma([(x * y % 256) as u8]))
        .save(&jpg)
        .unwrap();
    let bad = dir.path().join("broken.png");
    std::fs::write(&bad, b"\x89PNG but not really").unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .arg("predict")
        .arg(&model)
        .arg(&png)
        .arg(&bad)
        .arg(&jpg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bad image must fail the command");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{}: ", png.display())),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with(&format!("{}: ", jpg.display())),
        "{stdout}"
    );
    for line in &lines {
        let ranked = line.rsplit(": ").next().unwrap();
        let probs: Vec<f64> = ranked
            .split("  ")
            .map(|s| {
                let (letter, p) = s.split_once(' ').unwrap();
                assert_eq!(letter.len(), 1);
                p.trim_end_matches('%').parse().unwrap()
            })
            .collect();
        assert_eq!(probs.len(), 3, "{line}");
        assert!(probs[0] >= probs[1] && probs[1] >= probs[2], "{line}");
    }
    assert!(stderr.contains("broken.png"), "{stderr}");
    assert!(
        stderr.contains("1 of 3 images could not be classified"),
        "{stderr}"
    );

    // No model: the error names the directory and how to make one.
    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .args(["predict", "/nonexistent/dir"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/dir") && stderr.contains("export_model"),
        "{stderr}"
    );
}
