//! TEMPORARY STAND-IN for the trainer of branch `models`.
//!
//! The study talks to training only through this file: [`train`],
//! [`predict_proba`], [`build_net`] and the types [`TrainOptions`],
//! [`Trained`], [`TrainError`], [`Net`]. Until `models` is merged these are
//! minimal stand-ins (a single linear layer; `train` returns an error), so
//! the study builds and its tests run on fake trainers.
//!
//! When `models` is merged, replace the body of this file with:
//!
//! ```ignore
//! //! The trainer the study uses (from `crate::train` and `crate::model`).
//! pub use crate::model::Net;
//! pub use crate::train::{predict_proba, train, Progress, TrainError, TrainOptions, Trained};
//!
//! /// Errors before any training (bad spec, config or data) spend no budget;
//! /// libtorch errors happen during training and count.
//! pub(crate) fn failure(e: TrainError) -> super::TrainerFailure {
//!     match e {
//!         TrainError::Torch(_) => super::TrainerFailure::failed(e.to_string()),
//!         _ => super::TrainerFailure::nothing_trained(e.to_string()),
//!     }
//! }
//!
//! /// Builds the network of `spec` under `path`.
//! pub(crate) fn build_net(spec: &crate::model::ModelSpec, path: &tch::nn::Path) -> Net {
//!     spec.build(path)
//! }
//! ```

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tch::nn::{self, Module};
use tch::Tensor;

use crate::data::Dataset;
use crate::model::ModelSpec;
use crate::train::{History, TrainConfig};

/// STAND-IN: progress reporting of the trainer.
#[derive(Clone, Copy, Debug, Default)]
pub enum Progress {
    /// Print nothing.
    #[default]
    Silent,
    /// One line per epoch.
    Lines,
}

/// STAND-IN: how the trainer runs.
#[derive(Debug)]
pub struct TrainOptions {
    /// Device to train on.
    pub device: tch::Device,
    /// Progress reporting.
    pub progress: Progress,
    /// Set to stop training after the current batch (status `Interrupted`).
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            device: tch::Device::Cpu,
            progress: Progress::Silent,
            stop: None,
        }
    }
}

/// STAND-IN: a trained network.
#[derive(Debug)]
pub struct Net {
    fc: nn::Linear,
}

/// STAND-IN: what training returns.
pub struct Trained {
    /// Per-epoch history.
    pub history: History,
    /// The weights.
    pub vs: nn::VarStore,
    /// The network over `vs`.
    pub net: Net,
}

/// STAND-IN: training errors.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The real trainer is not merged yet.
    #[error("the trainer (branch `models`) is not merged into this build yet")]
    NotAvailable,
}

/// STAND-IN: a trainer error as a study failure (nothing was trained).
pub(crate) fn failure(e: TrainError) -> super::TrainerFailure {
    super::TrainerFailure::nothing_trained(e.to_string())
}

/// STAND-IN: builds the network of `spec` under `path` (one linear layer).
pub(crate) fn build_net(_spec: &ModelSpec, path: &nn::Path) -> Net {
    Net {
        fc: nn::linear(path / "fc", 784, 24, Default::default()),
    }
}

/// STAND-IN: always fails with [`TrainError::NotAvailable`].
pub fn train(
    _spec: &ModelSpec,
    _config: &TrainConfig,
    _train: &Dataset,
    _validation: &Dataset,
    _options: TrainOptions,
) -> Result<Trained, TrainError> {
    Err(TrainError::NotAvailable)
}

/// STAND-IN: class probabilities (`N×24`, CPU) of `images` (`N×1×28×28`).
pub fn predict_proba(net: &Net, images: &Tensor, device: tch::Device) -> Tensor {
    tch::no_grad(|| {
        let x = images.to_device(device).flatten(1, -1);
        net.fc
            .forward(&x)
            .softmax(-1, tch::Kind::Float)
            .to_device(tch::Device::Cpu)
    })
}
