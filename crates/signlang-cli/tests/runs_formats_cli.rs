//! `signlang runs --format csv|json`: one flat record per run, read back by
//! pandas (the project venv) and serde_json; the table prints the budget
//! line once.

use std::path::{Path, PathBuf};
use std::process::Command;

use signlang::data::Dataset;
use signlang::model::{CnnSpec, ConvBlock, DenseSpec, ModelSpec};
use signlang::study::{Study, TrainerOutput};
use signlang::testing::epoch;
use signlang::train::{EarlyStopping, History, Optimizer, RunStatus, Schedule, TrainConfig};

fn dataset(name: &str, seed: u8) -> Dataset {
    signlang::testing::dataset(name, 24, seed)
}

fn fake(c: &TrainConfig) -> Result<TrainerOutput, String> {
    let acc = 0.5 + c.seed as f64 / 10.0;
    let epochs = (1..=2).map(|e| epoch(e, acc, c.lr)).collect();
    Ok(TrainerOutput {
        history: History {
            epochs,
            status: RunStatus::Completed,
        },
        weights: None,
    })
}

/// A study with a dense run (Adam, constant) and a CNN run (SGD, step, early stopping).
fn study() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut study = Study::create(dir.path(), 50).unwrap();
    let dense = ModelSpec::Dense(DenseSpec {
        hidden: vec![64, 32],
        dropout: 0.25,
        ..Default::default()
    });
    let block = |filters| ConvBlock::pooled(filters, 3);
    let cnn = ModelSpec::Cnn(CnnSpec {
        blocks: vec![block(8), block(16)],
        activation: Default::default(),
        head: DenseSpec {
            hidden: vec![32],
            ..Default::default()
        },
        input_norm: false,
    });
    let config = TrainConfig {
        epochs: 2,
        seed: 1,
        ..Default::default()
    };
    let sgd = TrainConfig {
        optimizer: Optimizer::Sgd {
            momentum: 0.9,
            nesterov: true,
        },
        schedule: Schedule::Step {
            every: 3,
            gamma: 0.5,
        },
        early_stopping: Some(EarlyStopping {
            patience: 4,
            min_delta: 0.0,
        }),
        seed: 3,
        ..config.clone()
    };
    let (train, val) = (dataset("train", 1), dataset("validation", 2));
    for (spec, c) in [(&dense, &config), (&cnn, &sgd)] {
        study
            .run_with(spec, c, &train, &val, |_, c, _, _| fake(c))
            .unwrap();
    }
    dir
}

fn runs(dir: &Path, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_signlang"))
        .args(["runs", "--format", format])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn venv_python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make setup` (this test needs pandas from the project venv)",
        python.display()
    );
    python
}

#[test]
fn csv_reads_back_in_pandas_with_one_column_per_setting() {
    let dir = study();
    let csv = runs(dir.path(), "csv");
    let file = dir.path().join("runs.csv");
    std::fs::write(&file, &csv).unwrap();
    let script = r#"
import sys, pandas as pd
df = pd.read_csv(sys.argv[1])
assert len(df) == 2, len(df)
d, c = df.iloc[0], df.iloc[1]
assert list(df["id"]) == ["r001", "r002"], list(df["id"])
assert list(df["family"]) == ["dense", "cnn"]
assert d["hidden"] == "64-32" and d["dropout"] == 0.25, d
assert pd.isna(d["conv_filters"]) and pd.isna(d["momentum"]), d
assert c["conv_filters"] == "8-16" and c["conv_pool"] == "2-2", c
assert c["optimizer"] == "sgd" and c["momentum"] == 0.9 and bool(c["nesterov"]), c
assert c["schedule"] == "step" and c["step_every"] == 3 and c["early_stopping_patience"] == 4, c
assert list(df["seed"]) == [1, 3] and list(df["epochs"]) == [2, 2]
assert abs(c["best_val_accuracy"] - 0.8) < 1e-12, c["best_val_accuracy"]
assert list(df["test_touches"]) == [0, 0]
assert df["started_at"].notna().all() and df["finished_at"].notna().all()
print("ok", len(df.columns))
"#;
    let out = Command::new(venv_python())
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with("ok"),
        "{stdout}{}\n{csv}",
        String::from_utf8_lossy(&out.stderr)
    );
    let columns = signlang::study::RUN_COLUMNS.len();
    assert_eq!(stdout.trim(), format!("ok {columns}"));
}

#[test]
fn json_has_one_object_per_run_with_every_field() {
    let dir = study();
    let json: serde_json::Value = serde_json::from_str(&runs(dir.path(), "json")).unwrap();
    let runs = json.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        for (column, _) in signlang::study::RUN_COLUMNS {
            assert!(keys.contains(column), "{column} missing in {r}");
        }
    }
    assert_eq!(runs[0]["id"], "r001");
    assert_eq!(runs[0]["optimizer"], "adam");
    assert!(runs[0]["conv_filters"].is_null() && runs[0]["momentum"].is_null());
    assert_eq!(runs[1]["conv_batch_norm"], "true-true");
    assert_eq!(runs[1]["hidden"], "32");
    assert_eq!(runs[1]["lr"], 1e-3);
    assert_eq!(runs[1]["step_gamma"], 0.5);
    assert_eq!(runs[1]["test_touches"], 0);
    assert_eq!(runs[1]["status"], "completed");
}

#[test]
fn the_table_prints_the_budget_line_once() {
    let dir = study();
    let table = runs(dir.path(), "table");
    assert_eq!(table.matches("2 / 50 runs used").count(), 1, "{table}");
    assert!(table.contains("r001") && table.contains("r002"), "{table}");
    assert!(table.ends_with("test split not evaluated yet\n"), "{table}");
}
