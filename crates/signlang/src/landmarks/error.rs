//! [`LandmarkError`]: why landmarks could not be found, with the fix.

use std::path::PathBuf;

/// Why landmarks could not be found. Each message is one line naming the
/// file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum LandmarkError {
    /// A model file is missing.
    #[error("{path}: MediaPipe's hand model is missing; run `make setup` (scripts/setup.sh takes it out of the mediapipe {} wheel)", super::files::MEDIAPIPE_VERSION)]
    MissingModel {
        /// The missing file.
        path: PathBuf,
    },
    /// A model file is not what the manifest says.
    #[error("{path}: {reason}; delete .models/ and run `make setup` again")]
    BadModel {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// ONNX Runtime could not be loaded.
    #[error("{path}: cannot load ONNX Runtime ({reason}); run `make setup`, or set ORT_DYLIB_PATH to a libonnxruntime.so of version 1.22 or later")]
    NoRuntime {
        /// Where it was looked for.
        path: PathBuf,
        /// Why it failed.
        reason: String,
    },
    /// A model failed while running.
    #[error("{model}: {reason}")]
    Inference {
        /// The model file's name.
        model: String,
        /// What failed.
        reason: String,
    },
    /// A photo could not be read.
    #[error("{path}: cannot read this photo ({reason}); replace it with a PNG or JPEG, or move it out of the folder")]
    Photo {
        /// The photo.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}
