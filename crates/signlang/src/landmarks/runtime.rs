//! MediaPipe's two hand models as ONNX Runtime sessions: the files that
//! `scripts/setup.sh` takes out of the `mediapipe` wheel and converts
//! (`.models/mediapipe/`, checked against their SHA-256 in
//! `MANIFEST.json`), and ONNX Runtime itself, loaded at run time from the
//! project venv's `onnxruntime` wheel (or `$ORT_DYLIB_PATH`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::session::Session;
use ort::value::Tensor;

use super::error::LandmarkError;
use super::files::{HAND_ONNX, HAND_TFLITE, MANIFEST, PALM_ONNX, PALM_TFLITE};

/// The landmark model's input side in pixels.
pub const HAND_INPUT: usize = 224;

/// The ONNX Runtime library: `$ORT_DYLIB_PATH`, else the one in the project
/// venv's `onnxruntime` wheel.
pub fn onnxruntime_library() -> Result<PathBuf, LandmarkError> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
        return Ok(PathBuf::from(path));
    }
    let lib = crate::data::project_root().join(".venv").join("lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|dirs| {
        dirs.flatten().find_map(|python| {
            let capi = python.path().join("site-packages/onnxruntime/capi");
            std::fs::read_dir(capi).ok()?.flatten().find_map(|f| {
                let name = f.file_name().to_string_lossy().into_owned();
                (name.starts_with("libonnxruntime.so") || name == "libonnxruntime.dylib")
                    .then(|| f.path())
            })
        })
    });
    found.ok_or(LandmarkError::NoRuntime {
        path: lib,
        reason: "no onnxruntime wheel there".into(),
    })
}

/// ONNX Runtime, loaded once per process.
fn environment() -> Result<&'static ort::environment::Environment, LandmarkError> {
    static RUNTIME: OnceLock<Result<ort::environment::Environment, (PathBuf, String)>> =
        OnceLock::new();
    let result = RUNTIME.get_or_init(|| {
        let path = onnxruntime_library().map_err(|e| (PathBuf::new(), e.to_string()))?;
        let failed = |e: &dyn std::fmt::Display| (path.clone(), e.to_string());
        let builder = ort::init_from(&path).map_err(|e| failed(&e))?;
        builder
            .with_name("signlang")
            .build()
            .map_err(|e| failed(&e))
    });
    result
        .as_ref()
        .map_err(|(path, reason)| LandmarkError::NoRuntime {
            path: path.clone(),
            reason: reason.clone(),
        })
}

/// The SHA-256 of each file the manifest lists.
fn manifest_hashes(dir: &Path) -> Result<serde_json::Value, LandmarkError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| LandmarkError::MissingModel { path: path.clone() })?;
    serde_json::from_str(&text).map_err(|e| LandmarkError::BadModel {
        path,
        reason: format!("not valid JSON ({e})"),
    })
}

/// The SHA-256 the manifest lists for `file` (empty when it lists none).
fn listed_sha256<'a>(manifest: &'a serde_json::Value, file: &str) -> &'a str {
    manifest["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["name"] == file))
        .and_then(|f| f["sha256"].as_str())
        .unwrap_or_default()
}

/// Checks that `file` in `dir` has the SHA-256 the manifest gives it.
fn check_file(
    dir: &Path,
    file: &str,
    manifest: &serde_json::Value,
) -> Result<PathBuf, LandmarkError> {
    let path = dir.join(file);
    if !path.is_file() {
        return Err(LandmarkError::MissingModel { path });
    }
    let expected = listed_sha256(manifest, file);
    let found = crate::weights::file_sha256(&path).map_err(|e| LandmarkError::BadModel {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if found != expected {
        return Err(LandmarkError::BadModel {
            path,
            reason: format!("its SHA-256 is {found}, the manifest says {expected}"),
        });
    }
    Ok(path)
}

/// The two models, ready to run (one call at a time each).
#[derive(Debug)]
pub struct Models {
    /// The folder they were read from.
    pub dir: PathBuf,
    palm: Mutex<Session>,
    hand: Mutex<Session>,
}

impl Models {
    /// Loads both models from `dir` after checking every file against the
    /// manifest, and the manifest's source files against the SHA-256 this
    /// library expects ([`PALM_TFLITE`], [`HAND_TFLITE`]).
    pub fn load(dir: impl AsRef<Path>) -> Result<Models, LandmarkError> {
        let dir = dir.as_ref().to_path_buf();
        let manifest = manifest_hashes(&dir)?;
        for (file, sha) in [PALM_TFLITE, HAND_TFLITE] {
            let listed = listed_sha256(&manifest, file);
            if listed != sha {
                return Err(LandmarkError::BadModel {
                    path: dir.join(MANIFEST),
                    reason: format!(
                        "{file} should have SHA-256 {sha}, the manifest says {listed:?}"
                    ),
                });
            }
        }
        let palm = session(&check_file(&dir, PALM_ONNX, &manifest)?)?;
        let hand = session(&check_file(&dir, HAND_ONNX, &manifest)?)?;
        Ok(Models {
            dir,
            palm: Mutex::new(palm),
            hand: Mutex::new(hand),
        })
    }

    /// Runs the palm detector on a 192×192×3 input: (boxes, score logits).
    pub fn palm(&self, input: Vec<f32>) -> Result<(Vec<f32>, Vec<f32>), LandmarkError> {
        let side = super::anchors::PALM_INPUT;
        let out = run(&self.palm, PALM_ONNX, input, side)?;
        let mut out = out.into_iter();
        match (out.next(), out.next()) {
            (Some(boxes), Some(scores)) => Ok((boxes, scores)),
            _ => Err(inference(PALM_ONNX, "fewer than 2 outputs")),
        }
    }

    /// Runs the landmark model on a 224×224×3 input: its outputs in order
    /// (landmarks, presence, handedness, world landmarks).
    pub fn hand(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, LandmarkError> {
        run(&self.hand, HAND_ONNX, input, HAND_INPUT)
    }
}

fn inference(model: &str, reason: impl ToString) -> LandmarkError {
    LandmarkError::Inference {
        model: model.to_string(),
        reason: reason.to_string(),
    }
}

/// An ONNX Runtime session of the model at `path`, on one thread.
pub fn session(path: &Path) -> Result<Session, LandmarkError> {
    let bad = |e: ort::Error| LandmarkError::BadModel {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    Session::builder(environment()?)
        .map_err(bad)?
        .with_intra_threads(1)
        .map_err(|e| bad(e.into()))?
        .commit_from_file(path)
        .map_err(bad)
}

/// One run of a session on a `side`×`side`×3 input: every output, flat.
fn run(
    session: &Mutex<Session>,
    model: &str,
    input: Vec<f32>,
    side: usize,
) -> Result<Vec<Vec<f32>>, LandmarkError> {
    let tensor =
        Tensor::from_array(([1usize, side, side, 3], input)).map_err(|e| inference(model, e))?;
    let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
    let outputs = session
        .run(ort::inputs![tensor])
        .map_err(|e| inference(model, e))?;
    outputs
        .iter()
        .map(|(_, value)| {
            let (_, data) = value
                .try_extract_tensor::<f32>()
                .map_err(|e| inference(model, e))?;
            Ok(data.to_vec())
        })
        .collect()
}
