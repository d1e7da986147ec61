//! Shared helpers of the study tests: small generated data, a base model and
//! config, and a fast deterministic fake trainer that counts its calls.
#![allow(dead_code)]

use std::cell::Cell;
use std::convert::Infallible;

use signlang::data::Dataset;
use signlang::model::ModelSpec;
use signlang::study::TrainerOutput;
use signlang::testing::epoch;
pub use signlang::testing::{config, dataset, small_spec as spec};
use signlang::train::{History, RunStatus, TrainConfig};

/// Train and validation sets.
pub fn data() -> (Dataset, Dataset) {
    (dataset("train", 48, 1), dataset("validation", 24, 2))
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
            .map(|e| epoch(e, fake_accuracy(config, e), config.lr))
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
