//! Tests of the trainer on the first rows of the real training CSV.
use super::epoch::evaluate;
use super::*;
use std::io::{BufRead, BufReader};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use tch::{Device, Kind};

/// The first `n` rows of the real training CSV (test-only reader).
fn real_rows(name: &str, skip: usize, n: usize) -> Dataset {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/sign_mnist_train.csv.gz"
    );
    let file = std::fs::File::open(path).expect("real training data (data/ is in git)");
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut ds = Dataset {
        name: name.into(),
        pixels: vec![],
        classes: vec![],
        rows: vec![],
    };
    for (i, line) in reader.lines().skip(1 + skip).take(n).enumerate() {
        let line = line.unwrap();
        let mut fields = line.trim_end().split(',').map(|f| f.parse::<u8>().unwrap());
        let label = fields.next().unwrap();
        ds.classes.push(if label > 9 { label - 1 } else { label });
        ds.pixels.extend(fields);
        ds.rows.push((skip + i + 1) as u32);
    }
    ds
}

fn quick(spec: &str, epochs: usize) -> (ModelSpec, TrainConfig) {
    let (s, mut c) = crate::presets::reference(spec).unwrap();
    c.epochs = epochs;
    (s, c)
}

fn cpu() -> TrainOptions {
    TrainOptions {
        device: Device::Cpu,
        progress: Progress::Silent,
        stop: None,
    }
}

#[test]
fn training_lowers_the_loss_and_beats_chance_far() {
    let (tr, va) = (
        real_rows("train", 0, 2000),
        real_rows("validation", 2000, 500),
    );
    let (spec, config) = quick("cnn2", 2);
    let t = train(&spec, &config, &tr, &va, cpu()).unwrap();
    let h = &t.history;
    assert_eq!(h.status, RunStatus::Completed);
    assert_eq!(h.epochs.len(), 2);
    assert!(
        h.epochs[1].train_loss < h.epochs[0].train_loss * 0.8,
        "{h:?}"
    );
    assert!(h.epochs[1].val_loss < (24f64).ln() * 0.6, "{h:?}");
    assert!(h.epochs[1].val_accuracy > 0.4, "chance is 1/24: {h:?}");
    // predict_proba agrees with the recorded validation accuracy.
    let p = predict_proba(&t.net, &va.images(), Device::Cpu);
    assert_eq!(p.size(), vec![500, 24]);
    let acc = p
        .argmax(-1, false)
        .eq_tensor(&va.targets())
        .to_kind(Kind::Float)
        .mean(Kind::Float);
    assert!((acc.double_value(&[]) - h.epochs[1].val_accuracy).abs() < 1e-6);
    let sums = p.sum_dim_intlist([1i64].as_slice(), false, Kind::Float);
    assert!((sums - 1.0).abs().max().double_value(&[]) < 1e-5);
}

#[test]
fn two_seeded_runs_give_identical_histories() {
    let (tr, va) = (
        real_rows("train", 0, 400),
        real_rows("validation", 400, 100),
    );
    let (spec, mut config) = quick("cnn2", 2);
    config.augmentation = Some(Augmentation::mild());
    config.schedule = Schedule::OneCycle { warmup: 0.3 };
    let strip = |h: &History| -> Vec<[f64; 5]> {
        h.epochs
            .iter()
            .map(|e| {
                [
                    e.train_loss,
                    e.train_accuracy,
                    e.val_loss,
                    e.val_accuracy,
                    e.lr,
                ]
            })
            .collect()
    };
    let a = train(&spec, &config, &tr, &va, cpu()).unwrap().history;
    let b = train(&spec, &config, &tr, &va, cpu()).unwrap().history;
    assert_eq!(strip(&a), strip(&b));
    config.seed = 1;
    let c = train(&spec, &config, &tr, &va, cpu()).unwrap().history;
    assert_ne!(strip(&a), strip(&c));
}

#[test]
fn a_huge_learning_rate_diverges_without_a_panic() {
    let (tr, va) = (real_rows("train", 0, 300), real_rows("validation", 300, 50));
    let (spec, mut config) = quick("dense", 3);
    config.lr = 1e6;
    config.optimizer = Optimizer::Sgd {
        momentum: 0.9,
        nesterov: true,
    };
    let t = train(&spec, &config, &tr, &va, cpu()).unwrap();
    assert!(
        matches!(t.history.status, RunStatus::Diverged { .. }),
        "{:?}",
        t.history
    );
    // The restored weights are finite.
    for (_, v) in t.vs.variables() {
        assert!(v.isfinite().all().int64_value(&[]) == 1);
    }
    let json = serde_json::to_string(&t.history).unwrap();
    assert_eq!(
        serde_json::from_str::<History>(&json).unwrap().status,
        t.history.status
    );
}

#[test]
fn early_stopping_restores_the_best_weights_and_stop_interrupts() {
    let (tr, va) = (
        real_rows("train", 0, 300),
        real_rows("validation", 300, 100),
    );
    let (spec, mut config) = quick("dense", 5);
    // A min_delta no epoch can beat: stops after epoch 2, restores epoch 1.
    config.early_stopping = Some(EarlyStopping {
        patience: 1,
        min_delta: 100.0,
    });
    let t = train(&spec, &config, &tr, &va, cpu()).unwrap();
    assert_eq!(t.history.status, RunStatus::EarlyStopped { best_epoch: 1 });
    assert_eq!(t.history.epochs.len(), 2);
    let (vl, _) = evaluate(&t.net, &va.images(), &va.targets(), 0.0);
    assert!(
        (vl - t.history.epochs[0].val_loss).abs() < 1e-6,
        "{vl} {:?}",
        t.history
    );

    let stop = Arc::new(AtomicBool::new(true));
    let opts = TrainOptions {
        stop: Some(stop),
        ..cpu()
    };
    let t = train(&spec, &config, &tr, &va, opts).unwrap();
    assert_eq!(t.history.status, RunStatus::Interrupted);
    assert!(t.history.epochs.is_empty());
}

#[test]
fn schedules_and_bad_configs() {
    let (_, mut c) = quick("cnn2", 10);
    assert_eq!(c.lr_at(9, 99, 100), 1e-3);
    c.schedule = Schedule::Step {
        every: 3,
        gamma: 0.1,
    };
    assert!((c.lr_at(3, 30, 100) - 1e-4).abs() < 1e-12);
    c.schedule = Schedule::Cosine;
    assert!((c.lr_at(5, 50, 100) - 5e-4).abs() < 1e-12);
    c.schedule = Schedule::OneCycle { warmup: 0.25 };
    assert!((c.lr_at(0, 0, 100) - 4e-5).abs() < 1e-12);
    assert!((c.lr_at(2, 25, 100) - 1e-3).abs() < 1e-12);
    assert!(c.lr_at(9, 99, 100) < 1e-5);
    c.batch_size = 0;
    let ds = real_rows("t", 0, 10);
    let r = train(&crate::presets::dense(), &c, &ds, &ds, cpu());
    assert!(matches!(r, Err(TrainError::BadConfig { .. })));
}
