//! The trainer the study uses (from [`crate::train`] and [`crate::model`]).
//! The study talks to training only through this file.

pub use crate::model::Net;
pub use crate::train::{predict_proba, train, Progress, TrainError, TrainOptions, Trained};

/// Errors before any training (bad spec, config or data) spend no budget;
/// libtorch errors happen during training and count.
pub(crate) fn failure(e: TrainError) -> super::TrainerFailure {
    match e {
        TrainError::Torch(_) => super::TrainerFailure::failed(e.to_string()),
        _ => super::TrainerFailure::nothing_trained(e.to_string()),
    }
}

/// Builds the network of `spec` under `path`.
pub(crate) fn build_net(spec: &crate::model::ModelSpec, path: &tch::nn::Path) -> Net {
    spec.build(path)
}
