//! `signlang runs <study-dir>` on a real study folder.

use std::process::Command;

use signlang::data::Dataset;
use signlang::model::{DenseSpec, ModelSpec};
use signlang::study::{Study, TrainerOutput};
use signlang::testing::{completed, epoch};
use signlang::train::TrainConfig;

fn dataset(name: &str, seed: u8) -> Dataset {
    signlang::testing::dataset(name, 24, seed)
}

fn fake(c: &TrainConfig) -> Result<TrainerOutput, String> {
    let acc = 0.5 + c.seed as f64 / 10.0;
    Ok(TrainerOutput {
        history: completed(vec![epoch(1, acc, c.lr)]),
        weights: None,
    })
}

#[test]
fn runs_prints_the_table_and_the_budget_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut study = Study::create(dir.path(), 50).unwrap();
    let spec = ModelSpec::Dense(DenseSpec {
        hidden: vec![16],
        ..Default::default()
    });
    let (train, val) = (dataset("train", 1), dataset("validation", 2));
    for seed in [1, 3] {
        let config = TrainConfig {
            epochs: 1,
            seed,
            ..Default::default()
        };
        study
            .run_with(&spec, &config, &train, &val, |_, c, _, _| fake(c))
            .unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .arg("runs")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("r001") && stdout.contains("r002"),
        "{stdout}"
    );
    assert!(stdout.contains("0.8000"), "{stdout}");
    assert!(
        stdout.ends_with("2 / 50 runs used (0 cached requests)\ntest split not evaluated yet\n"),
        "{stdout}"
    );

    let best = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .args(["runs", "--best", "1"])
        .arg(dir.path())
        .output()
        .unwrap();
    let best = String::from_utf8_lossy(&best.stdout);
    assert!(best.contains("r002") && !best.contains("r001"), "{best}");

    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .arg("runs")
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("holds no study"), "{stderr}");
}
