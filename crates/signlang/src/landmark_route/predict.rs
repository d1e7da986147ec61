//! A photo read by the landmark route's export: the landmark front end
//! finds the hand, the exported `classifier.onnx` (ONNX Runtime) reads its
//! features, and the export's unsure rule decides whether to answer. No
//! libtorch and no study are needed, only the export folder and the two
//! MediaPipe models from setup.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::error::RouteError;
use super::export::run_classifier;
use super::manifest::{RouteManifest, CLASSIFIER_ONNX, ROUTE_FILE};
use super::score::top_and_margin;
use crate::landmarks::{runtime, LandmarkError, Landmarker};

/// What the route answered for one photo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutePrediction {
    /// The photo.
    pub file: PathBuf,
    /// True when a hand was found.
    pub hand: bool,
    /// The three most likely letters with probabilities (empty without a hand).
    pub top3: Vec<(char, f32)>,
    /// Top probability minus the second (0 without a hand).
    pub margin: f64,
    /// True when the export's rule says "unsure" (always without a hand).
    pub unsure: bool,
}

impl RoutePrediction {
    /// The predicted letter (`None` without a hand).
    pub fn letter(&self) -> Option<char> {
        self.top3.first().map(|t| t.0)
    }

    /// One JSON object: file, truth (or null), route, hand, predicted (null
    /// without a hand), probability, top3, unsure, unsure_score (the margin).
    pub fn to_json(&self, truth: Option<char>) -> serde_json::Value {
        serde_json::json!({
            "file": self.file.display().to_string(),
            "truth": truth.map(|t| t.to_string()),
            "route": "landmarks",
            "hand": self.hand,
            "predicted": self.letter().map(|l| l.to_string()),
            "probability": self.top3.first().map(|t| t.1),
            "top3": crate::field::top3_json(&self.top3),
            "unsure": self.unsure,
            "unsure_score": self.margin,
        })
    }
}

/// An exported landmark route, ready to read photos.
#[derive(Debug)]
pub struct RouteClassifier {
    /// The export folder.
    pub dir: PathBuf,
    /// Its `route.json`.
    pub manifest: RouteManifest,
    session: Mutex<ort::session::Session>,
    finder: Landmarker,
}

impl RouteClassifier {
    /// Loads the export in `dir` and the MediaPipe models from `models`
    /// (checked against the files the export names): the front end first,
    /// so a missing model or ONNX Runtime is named before the classifier.
    pub fn load_with_models(dir: impl AsRef<Path>, models: &Path) -> Result<Self, RouteError> {
        let dir = dir.as_ref().to_path_buf();
        let manifest = RouteManifest::read(&dir)?;
        manifest.check_models()?;
        let onnx = dir.join(CLASSIFIER_ONNX);
        if !onnx.is_file() {
            return Err(RouteError::Export {
                path: onnx,
                reason:
                    "missing; export the route again (app.ipynb, or landmark_route::export_route)"
                        .into(),
            });
        }
        let mut finder = Landmarker::load(models)?;
        finder.options = manifest.find.clone();
        let session = Mutex::new(runtime::session(&onnx).map_err(|e| match e {
            LandmarkError::BadModel { path, reason } => RouteError::Export {
                path,
                reason: format!("{reason}; export the route again"),
            },
            other => other.into(),
        })?);
        Ok(RouteClassifier {
            dir,
            manifest,
            session,
            finder,
        })
    }

    /// [`RouteClassifier::load_with_models`] with the models where setup
    /// puts them.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, RouteError> {
        Self::load_with_models(dir, &crate::landmarks::default_models_dir())
    }

    /// The classifier's logits for feature vectors (rows of 85, flat).
    pub fn logits(&self, features: &[f32]) -> Result<Vec<f32>, RouteError> {
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        run_classifier(&mut session, features)
    }

    /// Reads one photo.
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<RoutePrediction, RouteError> {
        let path = path.as_ref();
        let found = self.finder.find_file(path)?;
        let Some(features) = found.as_ref().and_then(|f| f.features()) else {
            return Ok(RoutePrediction {
                file: path.to_path_buf(),
                hand: false,
                top3: vec![],
                margin: 0.0,
                unsure: true,
            });
        };
        let logits = self.logits(&features)?;
        let probs =
            crate::calibrate::softmax(&logits.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
        let (best, margin) = top_and_margin(&probs);
        Ok(RoutePrediction {
            file: path.to_path_buf(),
            hand: true,
            top3: crate::field::top_letters(&probs, 3),
            margin,
            unsure: !self.manifest.unsure.answers(best, margin),
        })
    }
}

impl RouteClassifier {
    /// The logits of `dir`'s `classifier.onnx` for `features` (rows of 85),
    /// without the front end: for checking an export.
    pub fn onnx_logits(dir: &Path, features: &[f32]) -> Result<Vec<f32>, RouteError> {
        super::export::onnx_logits(dir, features)
    }
}

/// True when `dir` holds a landmark route's export.
pub fn is_route_export(dir: &Path) -> bool {
    dir.join(ROUTE_FILE).is_file()
}
