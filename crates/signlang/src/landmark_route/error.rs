//! [`RouteError`]: why the landmark route could not go on.

use std::path::PathBuf;

use crate::landmarks::LandmarkError;
use crate::study::StudyError;

/// Why the landmark route could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The landmark front end failed (a model, ONNX Runtime, a photo).
    #[error(transparent)]
    Landmarks(#[from] LandmarkError),
    /// The study refused or failed a run.
    #[error(transparent)]
    Study(#[from] StudyError),
    /// A photo folder could not be read.
    #[error(transparent)]
    Photos(#[from] crate::adapt::AdaptError),
    /// Too few hands were found to train or choose anything.
    #[error("{what}: only {found} photos with a hand; the route needs at least {needed}")]
    TooFew {
        /// Which photos.
        what: String,
        /// Hands found.
        found: usize,
        /// Hands needed.
        needed: usize,
    },
    /// Writing or reading an export failed.
    #[error("{path}: {reason}")]
    Export {
        /// The file.
        path: PathBuf,
        /// What went wrong and what to do.
        reason: String,
    },
}
