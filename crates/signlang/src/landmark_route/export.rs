//! The landmark route exported for apps: the chosen classifier as ONNX
//! (input: the keypoint vector of layout [`FEATURE_LAYOUT`]), the names and
//! SHA-256 of the MediaPipe model files the front end expects, how hands
//! were looked for, the unsure rule, and a README with the exact
//! preprocessing (see [`README`]).
//!
//! | file | content |
//! |---|---|
//! | `classifier.onnx` | `features` (float32, `N×85`) → `logits` (`N×24`, the order of `labels.json`) |
//! | `classifier.safetensors`, `spec.json` | the weights and the spec that rebuild it in this crate |
//! | `labels.json` | the 24 letters in output order |
//! | `route.json` | [`RouteManifest`] |
//! | `README.md` | the preprocessing, step by step, for an app using MediaPipe's own hand landmarker |

use std::path::Path;
use std::process::Command;

use super::build::LandmarkRoute;
use super::error::RouteError;
use super::manifest::{RouteManifest, CLASSIFIER_ONNX, ROUTE_FILE, ROUTE_FORMAT};
use super::unsure::MarginRule;
use crate::landmarks::features::{FEATURE_LAYOUT, FEATURE_LEN, PAIRS};
use crate::landmarks::files::{HAND_TFLITE, MEDIAPIPE_VERSION, PALM_TFLITE};
use crate::landmarks::FindOptions;
use crate::letters::LETTERS;
use crate::study::Study;

/// The export's README (see the module docs); `{…}` fields are filled in.
pub const README: &str = include_str!("export_readme.md");
/// The converter from the classifier's safetensors to ONNX.
const DENSE_ONNX_SCRIPT: &str = include_str!("../../../../scripts/export_dense_onnx.py");

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RouteError + '_ {
    move |e| RouteError::Export {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// A study run of a landmark classifier and what travels with it into an
/// export: enough to export a classifier without a whole [`LandmarkRoute`]
/// (a test's tiny classifier, or a run chosen by hand).
#[derive(Clone, Debug)]
pub struct RouteRun<'a> {
    /// The study run whose weights are exported (a dense network on the
    /// [`FEATURE_LEN`] landmark features).
    pub run_id: &'a str,
    /// The classifier's short name ("logistic regression", …).
    pub name: &'a str,
    /// How hands were looked for when its features were computed.
    pub find: &'a FindOptions,
    /// The unsure rule it travels with.
    pub unsure: MarginRule,
}

/// Exports `route`'s chosen classifier to `dir` (created if needed), with
/// `measured` lines (what it read where) for the README, and checks that
/// the ONNX file gives the network's logits ([`export_run`]).
pub fn export_route(
    route: &LandmarkRoute,
    study: &Study,
    dir: &Path,
    measured: &[String],
) -> Result<RouteManifest, RouteError> {
    let run = RouteRun {
        run_id: route.chosen().run.id(),
        name: &route.chosen().candidate.name,
        find: &route.config.find,
        unsure: route.unsure,
    };
    export_run(study, &run, dir, measured)
}

/// Exports the classifier of study run `run.run_id` to `dir` (created if
/// needed) with `run`'s front end and unsure rule: `classifier.onnx`, its
/// weights and spec, `labels.json`, `route.json` and the README (with
/// `measured` lines), and checks that the ONNX file gives the network's
/// logits. The held-out accuracy is the run's validation accuracy.
pub fn export_run(
    study: &Study,
    run: &RouteRun<'_>,
    dir: &Path,
    measured: &[String],
) -> Result<RouteManifest, RouteError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let loaded = study.load(run.run_id)?;
    let entry = loaded.entry();
    let (net, vs) = loaded.model()?;
    let weights = dir.join("classifier.safetensors");
    crate::weights::save_weights(vs, &weights).map_err(|e| RouteError::Export {
        path: weights.clone(),
        reason: e.to_string(),
    })?;
    let spec = serde_json::to_string_pretty(&entry.spec).expect("a spec is JSON");
    std::fs::write(dir.join("spec.json"), spec).map_err(io(dir))?;
    let labels = serde_json::to_string(&LETTERS.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        .expect("JSON");
    std::fs::write(dir.join("labels.json"), labels).map_err(io(dir))?;
    write_onnx(&weights, &dir.join(CLASSIFIER_ONNX))?;
    let holdout = entry.validation.as_ref().map_or(f64::NAN, |v| v.accuracy);
    let manifest = manifest(run, &entry.spec.describe(), holdout);
    let json = serde_json::to_string_pretty(&manifest).expect("JSON");
    std::fs::write(dir.join(ROUTE_FILE), json).map_err(io(dir))?;
    std::fs::write(dir.join("README.md"), readme(&manifest, measured)).map_err(io(dir))?;
    check_onnx(dir, net)?;
    Ok(manifest)
}

/// The manifest of `run`, whose network is described as `spec`.
fn manifest(run: &RouteRun<'_>, spec: &str, holdout_accuracy: f64) -> RouteManifest {
    RouteManifest {
        format_version: ROUTE_FORMAT,
        feature_layout: FEATURE_LAYOUT.into(),
        feature_len: FEATURE_LEN,
        pairs: PAIRS.to_vec(),
        labels: LETTERS.to_vec(),
        mediapipe_version: MEDIAPIPE_VERSION.into(),
        mediapipe_files: [PALM_TFLITE, HAND_TFLITE]
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect(),
        find: run.find.clone(),
        unsure: run.unsure,
        run_id: run.run_id.to_string(),
        classifier: format!("{} ({spec})", run.name),
        holdout_accuracy,
    }
}

/// Runs the converter with the project venv's Python.
fn write_onnx(weights: &Path, out: &Path) -> Result<(), RouteError> {
    let output = Command::new(crate::onnx::python())
        .arg("-c")
        .arg(DENSE_ONNX_SCRIPT)
        .arg(weights)
        .arg(out)
        .arg(FEATURE_LEN.to_string())
        .output()
        .map_err(|e| RouteError::Export {
            path: crate::onnx::python(),
            reason: format!("{e}; run make setup"),
        })?;
    if !output.status.success() {
        return Err(RouteError::Export {
            path: out.to_path_buf(),
            reason: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(())
}

/// The ONNX file's logits against the network's on 7 varied vectors.
fn check_onnx(dir: &Path, net: &crate::model::Net) -> Result<(), RouteError> {
    let n = 7 * FEATURE_LEN;
    let x: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.731).sin()).collect();
    let ours = super::classifier::logits(
        net,
        &tch::Tensor::from_slice(&x).view([7, FEATURE_LEN as i64]),
    );
    let ours = Vec::<f32>::try_from(ours.view([-1])).unwrap_or_default();
    let theirs = onnx_logits(dir, &x)?;
    let diff = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    if ours.len() != theirs.len() || diff > 1e-4 {
        return Err(RouteError::Export {
            path: dir.join(CLASSIFIER_ONNX),
            reason: format!("ONNX Runtime's logits differ from the network's by {diff:.2e}"),
        });
    }
    Ok(())
}

/// The README, with the manifest's facts and the measured lines filled in.
pub fn readme(m: &RouteManifest, measured: &[String]) -> String {
    let pairs: Vec<String> = m.pairs.iter().map(|(a, b)| format!("({a}, {b})")).collect();
    let files: Vec<String> = m
        .mediapipe_files
        .iter()
        .map(|(n, s)| format!("- `{n}`: SHA-256 `{s}`"))
        .collect();
    README
        .replace("{classifier}", &m.classifier)
        .replace("{run_id}", &m.run_id)
        .replace("{holdout}", &format!("{:.1}%", 100.0 * m.holdout_accuracy))
        .replace("{version}", &m.mediapipe_version)
        .replace("{files}", &files.join("\n"))
        .replace("{pairs}", &pairs.join(", "))
        .replace("{threshold}", &format!("{:.4}", m.unsure.threshold))
        .replace(
            "{measured}",
            &measured
                .iter()
                .map(|l| format!("- {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
}

/// The logits of `dir`'s `classifier.onnx` for `features` (rows of 85, flat).
pub fn onnx_logits(dir: &Path, features: &[f32]) -> Result<Vec<f32>, RouteError> {
    let mut session = crate::landmarks::runtime::session(&dir.join(CLASSIFIER_ONNX))?;
    run_classifier(&mut session, features)
}

/// Runs a classifier session on feature vectors (rows of 85, flat): the
/// logits, flat.
pub fn run_classifier(
    session: &mut ort::session::Session,
    features: &[f32],
) -> Result<Vec<f32>, RouteError> {
    let width = crate::landmarks::FEATURE_LEN;
    let failed = |e: ort::Error| crate::landmarks::LandmarkError::Inference {
        model: CLASSIFIER_ONNX.into(),
        reason: e.to_string(),
    };
    let input =
        ort::value::Tensor::from_array(([features.len() / width, width], features.to_vec()))
            .map_err(failed)?;
    let out = session.run(ort::inputs![input]).map_err(failed)?;
    let (_, logits) = out[0].try_extract_tensor::<f32>().map_err(failed)?;
    Ok(logits.to_vec())
}
