//! `route.json`: what an export of the landmark route expects and decided
//! ([`RouteManifest`]), read back by [`super::predict`] and apps.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::RouteError;
use super::unsure::MarginRule;
use crate::landmarks::features::FEATURE_LAYOUT;
use crate::landmarks::files::{HAND_TFLITE, PALM_TFLITE};
use crate::landmarks::FindOptions;

/// The manifest's file name.
pub const ROUTE_FILE: &str = "route.json";
/// The classifier's file name.
pub const CLASSIFIER_ONNX: &str = "classifier.onnx";
/// The manifest's format version.
pub const ROUTE_FORMAT: u32 = 1;
/// What `route.json` records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteManifest {
    /// [`ROUTE_FORMAT`].
    pub format_version: u32,
    /// `"hand-v1"`.
    pub feature_layout: String,
    /// 85.
    pub feature_len: usize,
    /// The landmark pairs whose distances close the vector.
    pub pairs: Vec<(usize, usize)>,
    /// Output order.
    pub labels: Vec<char>,
    /// The `mediapipe` release the front end's models come from.
    pub mediapipe_version: String,
    /// The MediaPipe model files (as in the wheel) and their SHA-256.
    pub mediapipe_files: Vec<(String, String)>,
    /// How this library looks for a hand.
    pub find: FindOptions,
    /// The unsure rule: no hand, or a margin below its threshold.
    pub unsure: MarginRule,
    /// The study run of the classifier.
    pub run_id: String,
    /// The classifier, in words.
    pub classifier: String,
    /// Its accuracy on the held-out training crops.
    pub holdout_accuracy: f64,
}

impl RouteManifest {
    /// Reads `route.json` from an export folder.
    pub fn read(dir: &Path) -> Result<RouteManifest, RouteError> {
        let path = dir.join(ROUTE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| RouteError::Export {
            path: path.clone(),
            reason: format!("{e}; pass the folder the notebook exported the landmark route to (runs/assignment/export-landmarks)"),
        })?;
        let manifest: RouteManifest =
            serde_json::from_str(&text).map_err(|e| RouteError::Export {
                path: path.clone(),
                reason: format!("not a route manifest ({e}); export the route again"),
            })?;
        if manifest.format_version != ROUTE_FORMAT {
            return Err(RouteError::Export {
                path,
                reason: format!(
                    "format {} where this version reads {ROUTE_FORMAT}; export the route again",
                    manifest.format_version
                ),
            });
        }
        Ok(manifest)
    }

    /// Fails unless the export expects the MediaPipe files this library runs.
    pub fn check_models(&self) -> Result<(), RouteError> {
        let ours: Vec<(String, String)> = [PALM_TFLITE, HAND_TFLITE]
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        if self.mediapipe_files != ours || self.feature_layout != FEATURE_LAYOUT {
            return Err(RouteError::Export {
                path: PathBuf::from(ROUTE_FILE),
                reason: format!(
                    "the export expects {:?} ({}), this library runs {ours:?} ({FEATURE_LAYOUT}); export the route again",
                    self.mediapipe_files, self.feature_layout
                ),
            });
        }
        Ok(())
    }
}
