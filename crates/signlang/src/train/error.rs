//! [`TrainError`]: why training could not start, with what to fix.

use crate::model::ModelError;

/// Why training could not start.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The model spec is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A config value is out of range.
    #[error("train config: {what} = {value} is out of range; fix the config")]
    BadConfig {
        /// The field.
        what: String,
        /// Its value.
        value: f64,
    },
    /// A data set has no images.
    #[error("dataset `{name}` has no images; training needs at least one batch")]
    EmptyData {
        /// The dataset's name.
        name: String,
    },
    /// Early stopping needs validation images.
    #[error("early stopping needs validation images, but `{name}` is empty")]
    NoValidation {
        /// The validation set's name.
        name: String,
    },
    /// libtorch reported an error.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    /// The config starts from earlier weights but none were given, or they
    /// are not the ones it names.
    #[error("{0}")]
    Init(String),
}
