//! Field check: score a folder of labelled photos with an exported model.
//!
//! Each photo's true letter is the first character of its file name
//! (`A_1.jpg`, `b-hand.png`; case-insensitive). Photos are read and
//! preprocessed like any image the app would see
//! ([`crate::infer::preprocess_image`]); the probabilities are calibrated
//! when the export directory has a `calibration.json` (see
//! [`crate::calibrate`]), and an image is `unsure` below its threshold.
//!
//! A bad file (unreadable, not an image, a name that is not a letter)
//! becomes a [`FieldFailure`] naming the file; the others are still scored.
//!
//! Field photos are for **measuring** only, never for choosing models or
//! thresholds.

use std::path::{Path, PathBuf};

use tch::{Kind, Tensor};

use crate::cache::{folder_checksum, Cache, Key};
use crate::calibrate::{top1, Probs};
use crate::data::PIXELS;
use crate::display::{escape, Html};
use crate::infer::{preprocess_image, Classifier, InferError};
use crate::letters::{class_of_letter, letter};

mod report;

pub use report::{FieldFailure, FieldRecord, FieldReport, FIELD_UNIT_NOTE};

/// The environment variable naming the field-photo folder for
/// [`check_from_env`] (`make notebook` sets it when the folder exists).
pub const FIELD_DIR_ENV: &str = "SIGNLANG_FIELD_DIR";

/// The file extensions read from a folder (case-insensitive).
pub const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// Errors of the field check.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    /// The file name does not start with one of the 24 letters.
    #[error(
        "{path}: {reason}; name field photos <LETTER>_<n>.jpg with one of the 24 static \
         letters A–Y without J (J and Z need motion)"
    )]
    BadName {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Reading, decoding or classifying the image failed.
    #[error(transparent)]
    Image(#[from] InferError),
    /// A folder could not be listed.
    #[error("cannot list folder {path}: {reason}")]
    Dir {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The true class of a field photo: the first character of its file name.
pub fn truth_from_name(path: &Path) -> Result<u8, FieldError> {
    let bad = |reason: String| FieldError::BadName {
        path: path.to_path_buf(),
        reason,
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| bad("the file name is not valid UTF-8".into()))?;
    let first = name
        .chars()
        .next()
        .ok_or_else(|| bad("empty name".into()))?;
    match first.to_ascii_uppercase() {
        'J' | 'Z' => Err(bad(format!(
            "'{first}' is a letter the model cannot read (it needs motion)"
        ))),
        c => class_of_letter(c)
            .ok_or_else(|| bad(format!("the name starts with '{first}', not a letter"))),
    }
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The `.jpg`, `.jpeg` and `.png` files of a folder (not its subfolders),
/// sorted by path.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>, FieldError> {
    let err = |e: std::io::Error| FieldError::Dir {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let path = entry.map_err(err)?.path();
        if path.is_file() && is_image(&path) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Folders replaced by their images ([`list_images`]); files kept as given.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FieldError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(list_images(p)?);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The model's answer for one image file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Prediction {
    /// The image file.
    pub file: PathBuf,
    /// The predicted class.
    pub predicted: u8,
    /// Its (calibrated, when the model has a calibration) probability.
    pub confidence: f32,
    /// The three most likely letters with probabilities, most likely first.
    pub top3: Vec<(char, f32)>,
    /// All 24 probabilities.
    pub probabilities: Probs,
    /// True when the calibration's rule says "unsure" (its unsure rule
    /// when it has one, else the confidence below its threshold; never
    /// without a calibration).
    pub unsure: bool,
    /// The score the rule compared with its threshold (`None` without a calibration).
    pub unsure_score: Option<f64>,
}

/// The top letters as JSON objects `{letter, probability}`, best first (the
/// `top3` field of both routes' predictions).
pub fn top3_json(top3: &[(char, f32)]) -> Vec<serde_json::Value> {
    top3.iter()
        .map(|(l, p)| serde_json::json!({ "letter": l.to_string(), "probability": p }))
        .collect()
}

impl Prediction {
    /// The predicted letter.
    pub fn letter(&self) -> char {
        letter(self.predicted)
    }

    /// One JSON object: file, truth (or null), predicted, probability, top3, unsure.
    pub fn to_json(&self, truth: Option<char>) -> serde_json::Value {
        serde_json::json!({
            "file": self.file.display().to_string(),
            "truth": truth.map(|t| t.to_string()),
            "predicted": self.letter().to_string(),
            "probability": self.confidence,
            "top3": top3_json(&self.top3),
            "unsure": self.unsure,
            "unsure_score": self.unsure_score,
        })
    }
}

fn probabilities(classifier: &Classifier, pixels: &[u8; PIXELS]) -> Result<Probs, InferError> {
    let x = Tensor::from_slice(pixels)
        .view([1, 1, 28, 28])
        .to_kind(Kind::Float)
        / 255.0;
    let p = classifier.probabilities(&x)?;
    let v = Vec::<f32>::try_from(&p.view([-1])).map_err(|source| InferError::Torch {
        what: "reading probabilities".into(),
        source,
    })?;
    let mut out = [0f32; crate::NUM_CLASSES];
    out.copy_from_slice(&v);
    Ok(out)
}

/// The `n` most probable letters with their probabilities, best first.
pub fn top_letters(probs: &[f32], n: usize) -> Vec<(char, f32)> {
    let mut ranked: Vec<(char, f32)> = probs
        .iter()
        .enumerate()
        .map(|(c, &p)| (letter(c as u8), p))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(n);
    ranked
}

/// Reads, preprocesses and classifies one image file.
pub fn predict_file(classifier: &Classifier, path: &Path) -> Result<Prediction, FieldError> {
    let pixels = preprocess_image(path)?;
    let probs = probabilities(classifier, &pixels)?;
    let (predicted, confidence) = top1(&probs);
    let decision = classifier.decide(&pixels)?;
    Ok(Prediction {
        file: path.to_path_buf(),
        predicted,
        confidence: confidence as f32,
        top3: top_letters(&probs, 3),
        probabilities: probs,
        unsure: decision.is_some_and(|d| d.0),
        unsure_score: decision.map(|d| d.1),
    })
}

/// Scores image files whose names start with their true letter. Each bad
/// file becomes a [`FieldFailure`]; the others are still scored.
pub fn check_files(classifier: &Classifier, files: &[PathBuf], source: &str) -> FieldReport {
    let mut records = Vec::new();
    let mut failures = Vec::new();
    for file in files {
        let scored = truth_from_name(file).and_then(|truth| {
            predict_file(classifier, file).map(|prediction| FieldRecord { truth, prediction })
        });
        match scored {
            Ok(r) => records.push(r),
            Err(e) => failures.push(FieldFailure {
                file: file.clone(),
                error: e.to_string(),
            }),
        }
    }
    FieldReport {
        source: source.to_string(),
        records,
        failures,
        calibration: classifier
            .calibration()
            .map(|c| (c.threshold, c.temperature)),
        unsure_rule: classifier
            .calibration()
            .and_then(|c| c.unsure.as_ref().map(|r| r.usage())),
    }
}

/// Scores every `.jpg`, `.jpeg` and `.png` photo of a folder ([`check_files`]).
pub fn check_dir(
    classifier: &Classifier,
    dir: impl AsRef<Path>,
) -> Result<FieldReport, FieldError> {
    let dir = dir.as_ref();
    let files = list_images(dir)?;
    Ok(check_files(classifier, &files, &dir.display().to_string()))
}

/// Runs the field check with the model exported to `export_dir` on the
/// folder named by `SIGNLANG_FIELD_DIR` ([`report_from_env`], shown by
/// [`show`]). Says plainly when the variable is not set, the folder is
/// missing or the model cannot be loaded.
pub fn check_from_env(export_dir: impl AsRef<Path>) -> Html {
    match report_from_env(export_dir) {
        Ok(report) => show(report.as_ref()),
        Err(e) => plain(format!("No field check: {e}")),
    }
}

/// A field report from [`report_from_env`] as a display, or, without one,
/// a line saying why: `SIGNLANG_FIELD_DIR` not set, or not a folder.
pub fn show(report: Option<&FieldReport>) -> Html {
    if let Some(r) = report {
        return r.to_display();
    }
    match std::env::var_os(FIELD_DIR_ENV).filter(|d| !d.is_empty()) {
        None => plain(format!(
            "No field check: {FIELD_DIR_ENV} is not set. Set it to a folder of photos named \
             <LETTER>_<n>.jpg (`make notebook` sets it to ../shared/field/roboflow-handcrop \
             when that folder exists)."
        )),
        Some(d) => plain(format!(
            "No field check: {FIELD_DIR_ENV} names {}, which is not a folder.",
            Path::new(&d).display()
        )),
    }
}

fn plain(msg: String) -> Html {
    Html::new(format!("<p><strong>{}</strong></p>", escape(&msg)), msg)
}

/// The folder named by `SIGNLANG_FIELD_DIR`, when it is set and is a folder.
pub fn dir_from_env() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(FIELD_DIR_ENV)?);
    dir.is_dir().then_some(dir)
}

/// The field check of the model exported to `export_dir` on
/// [`dir_from_env`]'s folder, for the numbers behind the report; `None`
/// when no folder is set ([`check_from_env`] says why).
pub fn report_from_env(export_dir: impl AsRef<Path>) -> Result<Option<FieldReport>, FieldError> {
    let Some(dir) = dir_from_env() else {
        return Ok(None);
    };
    let classifier = Classifier::load(export_dir.as_ref())?;
    check_dir(&classifier, &dir).map(|r| Some(shown_from_project(r, &dir)))
}

/// [`report_from_env`], kept in `cache`: computed again only when a file
/// of the export or of the photo folder (or the library) changed.
pub fn report_from_env_cached(
    export_dir: impl AsRef<Path>,
    cache: &Cache,
) -> Result<Option<FieldReport>, FieldError> {
    let Some(dir) = dir_from_env() else {
        return Ok(None);
    };
    check_export_cached(export_dir, &dir, cache).map(|r| Some(shown_from_project(r, &dir)))
}

/// [`check_dir`] with the model exported to `export_dir`, kept in `cache`:
/// computed again only when a file of the export or of the photo folder
/// (or the library) changed.
pub fn check_export_cached(
    export_dir: impl AsRef<Path>,
    photo_dir: &Path,
    cache: &Cache,
) -> Result<FieldReport, FieldError> {
    let export_dir = export_dir.as_ref();
    let key = Key::new("field-report")
        .with(&photo_dir)
        .with(&folder_checksum(export_dir))
        .with(&folder_checksum(photo_dir));
    cache.get_or_compute(&key, || {
        let classifier = Classifier::load(export_dir)?;
        check_dir(&classifier, photo_dir)
    })
}

/// Names the folder relative to the project (`../shared/field/…`) rather
/// than by an absolute path that holds only on one machine.
fn shown_from_project(mut report: FieldReport, dir: &Path) -> FieldReport {
    let root = crate::data::project_root();
    let parent = root.parent().unwrap_or(&root);
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Ok(rel) = dir.strip_prefix(root.canonicalize().unwrap_or(root.clone())) {
        report.source = rel.display().to_string();
    } else if let Ok(rel) = dir.strip_prefix(parent.canonicalize().unwrap_or(parent.to_path_buf()))
    {
        report.source = format!("../{}", rel.display());
    }
    report
}
