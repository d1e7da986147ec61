//! Where MediaPipe's hand models come from and where setup puts them:
//! the files in the `mediapipe` wheel with their SHA-256, and their ONNX
//! conversions in `.models/mediapipe/` (listed in `MANIFEST.json`).

use std::path::PathBuf;

/// The `mediapipe` release the models come from.
pub const MEDIAPIPE_VERSION: &str = "0.10.21";
/// The palm detector as shipped in the wheel, and its SHA-256.
pub const PALM_TFLITE: (&str, &str) = (
    "palm_detection_full.tflite",
    "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
);
/// The hand landmark model as shipped in the wheel, and its SHA-256.
pub const HAND_TFLITE: (&str, &str) = (
    "hand_landmark_full.tflite",
    "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
);
/// The converted palm detector.
pub const PALM_ONNX: &str = "palm_detection_full.onnx";
/// The converted hand landmark model.
pub const HAND_ONNX: &str = "hand_landmark_full.onnx";
/// The list of files and their SHA-256, written by setup.
pub const MANIFEST: &str = "MANIFEST.json";

/// Where setup puts the models: `<project>/.models/mediapipe`.
pub fn default_models_dir() -> PathBuf {
    crate::data::project_root()
        .join(".models")
        .join("mediapipe")
}
