//! The study with the project's real trainer (`train::train`): one small
//! run, its cache hit, its weights and a recorded test evaluation.

use signlang::data::{Dataset, TestSplit, PIXELS};
use signlang::model::{DenseSpec, ModelSpec};
use signlang::study::{EntryStatus, Progress, Study, TrainOptions};
use signlang::train::TrainConfig;

/// Images whose class is written into their brightness: learnable quickly.
fn dataset(name: &str, n: usize, offset: usize) -> Dataset {
    let classes: Vec<u8> = (0..n).map(|i| ((i + offset) % 24) as u8).collect();
    let pixels = classes
        .iter()
        .flat_map(|&c| (0..PIXELS).map(move |p| if p % 24 == c as usize { 250 } else { 10 }))
        .collect();
    Dataset {
        name: name.into(),
        pixels,
        classes,
        rows: (1..=n as u32).collect(),
    }
}

#[test]
fn a_real_run_is_recorded_cached_and_evaluated_on_test() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = (dataset("train", 240, 0), dataset("validation", 48, 5));
    let test = TestSplit::seal(dataset("test", 72, 11));
    let spec = ModelSpec::Dense(DenseSpec {
        hidden: vec![32],
        ..Default::default()
    });
    let config = TrainConfig {
        lr: 1e-2,
        epochs: 5,
        seed: 1,
        ..Default::default()
    };
    let options = || TrainOptions {
        device: tch::Device::Cpu,
        progress: Progress::Silent,
        stop: None,
    };
    let mut study = Study::create(dir.path(), 2).unwrap();
    let run = study.run(&spec, &config, &train, &val, options()).unwrap();
    assert!(!run.cached);
    assert_eq!(run.entry.status, EntryStatus::Completed);
    assert_eq!(run.entry.epochs.len(), 5);
    let val_acc = run.entry.validation.as_ref().unwrap().accuracy;
    assert!(val_acc > 0.9, "validation accuracy {val_acc}");
    assert!(study.weights_path(run.id()).unwrap().exists());

    let again = study.run(&spec, &config, &train, &val, options()).unwrap();
    assert!(again.cached);
    assert_eq!(study.used(), 1);

    let preds = study.evaluate_on_test(run.id(), &test).unwrap();
    assert_eq!(preds.len(), 72);
    assert!(preds.accuracy() > 0.9, "test accuracy {}", preds.accuracy());
    assert_eq!(study.test_touches().len(), 1);
    assert_eq!(study.test_touches()[0].accuracy, preds.accuracy());

    // A config the trainer refuses spends nothing.
    let mut bad = config.clone();
    bad.lr = -1.0;
    let err = study.run(&spec, &bad, &train, &val, options()).unwrap_err();
    assert!(err.to_string().contains("no budget was spent"), "{err}");
    assert_eq!(study.used(), 1);
}
