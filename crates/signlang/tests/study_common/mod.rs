//! Shared helpers of the study tests: small generated data, a base model and
//! config, and a fast deterministic fake trainer that counts its calls.
#![allow(dead_code)]

use std::cell::Cell;
use std::convert::Infallible;

use signlang::data::{Dataset, PIXELS};
use signlang::model::{DenseSpec, ModelSpec};
use signlang::study::TrainerOutput;
use signlang::train::{EpochStats, History, RunStatus, TrainConfig};

/// A generated data set of `n` images (deterministic in `seed`).
pub fn dataset(name: &str, n: usize, seed: u8) -> Dataset {
    Dataset {
        name: name.into(),
        pixels: (0..n * PIXELS)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect(),
        classes: (0..n).map(|i| (i % 24) as u8).collect(),
        rows: (1..=n as u32).collect(),
    }
}

/// Train and validation sets.
pub fn data() -> (Dataset, Dataset) {
    (dataset("train", 48, 1), dataset("validation", 24, 2))
}

/// A small dense model.
pub fn spec() -> ModelSpec {
    ModelSpec::Dense(DenseSpec {
        hidden: vec![8],
        ..Default::default()
    })
}

/// A base config with `seed`.
pub fn config(seed: u64) -> TrainConfig {
    TrainConfig {
        batch_size: 16,
        epochs: 3,
        seed,
        ..Default::default()
    }
}

/// The validation accuracy the fake trainer reaches after `epoch` epochs:
/// best at lr = 1e-3, rising with epochs.
pub fn fake_accuracy(config: &TrainConfig, epoch: usize) -> f64 {
    let quality = 0.95 - 0.1 * (config.lr.log10() + 3.0).abs() - 0.001 * (config.seed % 7) as f64;
    quality * (1.0 - 0.5f64.powi(epoch as i32))
}

/// A history as the fake trainer makes it.
pub fn fake_history(config: &TrainConfig) -> History {
    History {
        epochs: (1..=config.epochs)
            .map(|e| {
                let acc = fake_accuracy(config, e);
                EpochStats {
                    epoch: e,
                    train_loss: 1.0 - acc,
                    train_accuracy: acc,
                    val_loss: 1.0 - acc,
                    val_accuracy: acc,
                    lr: config.lr,
                    seconds: 0.0,
                    images_per_sec: 0.0,
                }
            })
            .collect(),
        status: RunStatus::Completed,
    }
}

/// A fake trainer counting its calls in `calls`: no weights.
pub fn fake(
    calls: &Cell<usize>,
) -> impl FnMut(&ModelSpec, &TrainConfig, &Dataset, &Dataset) -> Result<TrainerOutput, Infallible> + '_
{
    move |_, config, _, _| {
        calls.set(calls.get() + 1);
        Ok(TrainerOutput {
            history: fake_history(config),
            weights: None,
        })
    }
}
