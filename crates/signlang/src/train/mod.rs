//! Training: [`TrainConfig`] (serde) says how, the trainer does it, and a
//! [`History`] records each epoch.
//!
//! The trainer keeps the whole training set as one tensor on the device,
//! shuffles it once per epoch (a seeded ChaCha permutation, applied with one
//! `index_select`) and takes batches as zero-copy `narrow` views. Validation
//! runs in eval mode under `no_grad`, in batches of 1,024 on GPUs and 32 on
//! the CPU (measured faster there). libtorch's global
//! generator (initialisation, dropout) is seeded with the config's seed, and
//! runs in one process are serialised by a lock, so two runs with the same
//! seed and thread count on the CPU give identical histories.

#[cfg(test)]
mod tests;

mod augment;
mod config;
mod data;
mod early_stop;
mod epoch;
mod error;
mod history;
mod keypoints;
mod options;

/// Kept under `train` too, for the callers that predict right after training.
pub use crate::infer::predict_proba;
pub use augment::robust_augmentation;
pub use config::{Adapter, Augmentation, EarlyStopping, Init, Optimizer, Schedule, TrainConfig};
pub use data::TrainData;
pub use error::TrainError;
pub use history::{epoch_line, EpochStats, History, RunStatus};
pub use keypoints::KeypointAugmentation;
pub use options::{Progress, ProgressEvent, TrainOptions};

use std::path::Path;

use tch::nn::VarStore;

use crate::data::{Dataset, FeatureSet};
use crate::model::{ModelSpec, Net};

/// A finished training run: its history and the trained weights.
#[derive(Debug)]
pub struct Trained {
    /// Per-epoch statistics and how the run ended.
    pub history: History,
    /// The weights (best epoch's after early stopping).
    pub vs: VarStore,
    /// The network using `vs`.
    pub net: Net,
}

/// Trains `spec` with `config` on `train`, validating on `validation` after
/// each epoch (pass an empty dataset to skip validation: its fields are then
/// NaN, and early stopping is refused). Returns the history and the weights.
///
/// Divergence (a NaN, infinite or exploded batch loss) stops the run with
/// [`RunStatus::Diverged`] and restores the weights of the last finished
/// epoch; early stopping restores the best epoch's weights.
///
/// A config with [`TrainConfig::init`] needs its starting weights: use
/// [`train_from`].
pub fn train(
    spec: &ModelSpec,
    config: &TrainConfig,
    train: &Dataset,
    validation: &Dataset,
    options: TrainOptions,
) -> Result<Trained, TrainError> {
    if let Some(init) = &config.init {
        return Err(TrainError::Init(format!(
            "the config starts from the weights of {} (sha256 {}); pass that safetensors file \
             to train::train_from",
            init.from, init.weights_sha256
        )));
    }
    train_inner(spec, config, train, validation, options, None)
}

/// [`train`] starting from the weights in the safetensors file `init`
/// (fine-tuning): its SHA-256 must be the one [`TrainConfig::init`] names,
/// so the run key says what was adapted.
pub fn train_from(
    spec: &ModelSpec,
    config: &TrainConfig,
    train: &Dataset,
    validation: &Dataset,
    options: TrainOptions,
    init: &Path,
) -> Result<Trained, TrainError> {
    let bad = |why: String| TrainError::Init(format!("{}: {why}", init.display()));
    let want = config
        .init
        .as_ref()
        .ok_or_else(|| bad("the config has no `init`; use train::train".into()))?;
    let found = crate::weights::file_sha256(init).map_err(|e| bad(e.to_string()))?;
    if found != want.weights_sha256 {
        return Err(bad(format!(
            "its SHA-256 is {found}, but the config starts from {}; pass the file the config names",
            want.weights_sha256
        )));
    }
    train_inner(spec, config, train, validation, options, Some(init))
}

/// [`train`] on feature vectors: a dense network whose
/// [`crate::model::DenseSpec::inputs`] is the set's width, optionally with
/// [`TrainConfig::keypoints`] augmentation (image augmentation is refused).
pub fn train_features(
    spec: &ModelSpec,
    config: &TrainConfig,
    train: &FeatureSet,
    validation: &FeatureSet,
    options: TrainOptions,
) -> Result<Trained, TrainError> {
    if config.init.is_some() {
        return Err(TrainError::Init(
            "feature classifiers are trained from scratch; remove `init`".into(),
        ));
    }
    train_inner(spec, config, train, validation, options, None)
}

fn train_inner<D: TrainData>(
    spec: &ModelSpec,
    config: &TrainConfig,
    train: &D,
    validation: &D,
    mut options: TrainOptions,
    init: Option<&Path>,
) -> Result<Trained, TrainError> {
    let _lock = crate::runtime::torch_rng_lock();
    crate::runtime::flush_denormals();
    check_inputs(spec, config, train, validation)?;
    let device = options.device;
    tch::manual_seed(config.seed as i64);
    let mut vs = VarStore::new(device);
    let net = spec.build(&vs.root());
    if let Some(path) = init {
        vs.load(path).map_err(|e| {
            TrainError::Init(format!(
                "{}: cannot load these weights into {}: {e}",
                path.display(),
                spec.describe()
            ))
        })?;
    }
    let opt = epoch::build_optimizer(config, &vs)?;
    let run = epoch::EpochLoop::new(config, &net, &vs, opt, train, validation, device);
    let start = ProgressEvent::Start {
        epochs: config.epochs,
        batches_per_epoch: run.batches_per_epoch(),
    };
    epoch::emit(&mut options, config.epochs, start);
    let history = run.run(&mut options);
    Ok(Trained { history, vs, net })
}

/// Everything refused before any training: a bad spec or config, no
/// training images, early stopping without validation images.
fn check_inputs<D: TrainData>(
    spec: &ModelSpec,
    config: &TrainConfig,
    train: &D,
    validation: &D,
) -> Result<(), TrainError> {
    spec.validate()?;
    config.check()?;
    if train.is_empty() {
        return Err(TrainError::EmptyData {
            name: train.name().to_string(),
        });
    }
    if config.early_stopping.is_some() && validation.is_empty() {
        return Err(TrainError::NoValidation {
            name: validation.name().to_string(),
        });
    }
    if !train.is_images() && config.augmentation.is_some() {
        return Err(TrainError::Init(format!(
            "`{}` holds feature vectors: image augmentation does not apply (use `keypoints`)",
            train.name()
        )));
    }
    Ok(())
}
