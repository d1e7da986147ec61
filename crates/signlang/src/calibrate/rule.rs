//! The abstain rule: what a threshold does ([`Operating`],
//! [`at_threshold`]) and the fitted [`Calibration`] (temperature and
//! threshold) saved next to an exported model.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::*;
use crate::display::Table;

/// What a confidence threshold does on one set of predictions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Operating {
    /// The threshold.
    pub threshold: f64,
    /// All images.
    pub n: usize,
    /// Images accepted (confidence ≥ threshold).
    pub accepted: usize,
    /// Correct among the accepted.
    pub correct: usize,
    /// Correct among all images (no abstaining).
    pub correct_all: usize,
    /// Accepted share.
    pub coverage: f64,
    /// Accuracy on the accepted (NaN when none are accepted).
    #[serde(with = "crate::cache::nan_as_null")]
    pub accuracy: f64,
    /// Exact 95% (Clopper–Pearson) interval of that accuracy, each accepted
    /// image one trial: on photos (one image each) the interval used for
    /// every count of photos; on test images too narrow (near-copies).
    pub ci: Interval,
}

impl Operating {
    /// `"coverage 41.2% (78/190), accuracy 96.2% [89.3%, 98.7%] on accepted"`.
    pub fn summary(&self) -> String {
        let acc = if self.accepted == 0 {
            "no image accepted".to_string()
        } else {
            format!(
                "accuracy {:.1}% {} on accepted",
                100.0 * self.accuracy,
                self.ci.percent()
            )
        };
        format!(
            "coverage {:.1}% ({}/{}), {acc}",
            100.0 * self.coverage,
            self.accepted,
            self.n
        )
    }
}

/// Coverage and accuracy of a threshold on any set of predictions (test,
/// a corruption, field photos).
pub fn at_threshold(
    probs: &[Probs],
    truth: &[u8],
    threshold: f64,
) -> Result<Operating, CalibrateError> {
    check(probs, truth)?;
    let (mut accepted, mut correct, mut correct_all) = (0, 0, 0);
    for (p, &t) in probs.iter().zip(truth) {
        let (c, conf) = top1(p);
        correct_all += usize::from(c == t);
        if conf >= threshold {
            accepted += 1;
            correct += usize::from(c == t);
        }
    }
    let n = probs.len();
    let (accuracy, ci) = crate::evaluate::rate_with_exact_interval(correct, accepted);
    Ok(Operating {
        threshold,
        n,
        accepted,
        correct,
        correct_all,
        coverage: accepted as f64 / n as f64,
        accuracy,
        ci,
    })
}

/// A fitted calibration: the temperature and the abstain threshold, as
/// stored in `calibration.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Divide the model's logits by this before the softmax.
    pub temperature: f64,
    /// Calibrated top-1 probability below which the answer is "unsure".
    pub threshold: f64,
    /// Accuracy the accepted validation images reach at the threshold (the target).
    pub target_accuracy: f64,
    /// Which data the temperature and threshold were fitted on.
    pub fitted_on: String,
    /// Number of images they were fitted on.
    pub fitted_images: usize,
    /// ECE (15 bins) on the fitting data before temperature scaling.
    pub ece_before: f64,
    /// ECE (15 bins) on the fitting data after temperature scaling.
    pub ece_after: f64,
    /// How an app applies it.
    #[serde(default)]
    pub usage: String,
    /// The unsure rule that replaces the threshold when present (see
    /// [`super::UnsureRule`]); absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsure: Option<super::UnsureRule>,
}

impl Calibration {
    /// Fits the temperature on validation probabilities, then the lowest
    /// threshold whose accepted validation images reach `target` accuracy
    /// (on the calibrated probabilities). `fitted_on` says "validation split".
    pub fn fit(
        val_probs: &[Probs],
        val_truth: &[u8],
        target: f64,
    ) -> Result<Calibration, CalibrateError> {
        let temperature = fit_temperature(val_probs, val_truth)?;
        let scaled: Vec<Probs> = val_probs
            .iter()
            .map(|p| apply_temperature(p, temperature))
            .collect();
        Ok(Calibration {
            temperature,
            threshold: choose_threshold(&scaled, val_truth, target)?,
            target_accuracy: target,
            fitted_on: "validation split".into(),
            fitted_images: val_probs.len(),
            ece_before: expected_calibration_error(val_probs, val_truth)?,
            ece_after: expected_calibration_error(&scaled, val_truth)?,
            usage: "probabilities = softmax(logits / temperature); answer 'unsure' when the \
                    largest probability is below threshold"
                .into(),
            unsure: None,
        })
    }

    /// The calibration as `model.onnx` metadata
    /// ([`crate::onnx::ExportOptions::onnx_metadata`]): temperature,
    /// threshold, target accuracy, what it was fitted on, and how to use it.
    pub fn onnx_metadata(&self) -> Vec<(String, String)> {
        [
            ("temperature", self.temperature.to_string()),
            ("abstain_threshold", self.threshold.to_string()),
            ("abstain_target_accuracy", self.target_accuracy.to_string()),
            ("calibration_fitted_on", self.fitted_on.clone()),
            ("calibration_usage", self.usage.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(self.unsure.iter().flat_map(|r| r.onnx_metadata()))
        .collect()
    }

    /// `(unsure, score)` of one image from its pixels and logits: the
    /// unsure rule when there is one, else the calibrated top probability
    /// against the threshold.
    pub fn decide(&self, pixels: &[u8], logits: &[f32]) -> (bool, f64) {
        match &self.unsure {
            Some(rule) => rule.decide(pixels, logits, self.temperature),
            None => {
                let p = super::ScoreKind::MaxProbability.score(logits, self.temperature);
                (self.is_unsure(p), p)
            }
        }
    }

    /// Calibrated probabilities of a batch.
    pub fn apply(&self, probs: &[Probs]) -> Vec<Probs> {
        probs
            .iter()
            .map(|p| apply_temperature(p, self.temperature))
            .collect()
    }

    /// True when a calibrated confidence is below the threshold.
    pub fn is_unsure(&self, confidence: f64) -> bool {
        confidence < self.threshold
    }

    /// A table, one row per set of (uncalibrated) predictions: images,
    /// accuracy, ECE before and after, and coverage and accuracy at the
    /// threshold.
    pub fn report(&self, sets: &[(&str, &[Probs], &[u8])]) -> Result<Table, CalibrateError> {
        let mut table = Table::new([
            "set",
            "images",
            "accuracy",
            "ECE raw",
            "ECE calibrated",
            "coverage",
            "accuracy on accepted (95% CI)",
        ])
        .with_caption(format!(
            "Temperature {:.3}, abstain below {:.4} (target {:.1}% on {}, {} images)",
            self.temperature,
            self.threshold,
            100.0 * self.target_accuracy,
            self.fitted_on,
            self.fitted_images
        ));
        for (name, probs, truth) in sets {
            let scaled = self.apply(probs);
            let op = at_threshold(&scaled, truth, self.threshold)?;
            table.push([
                name.to_string(),
                op.n.to_string(),
                format!("{:.1}%", 100.0 * op.correct_all as f64 / op.n as f64),
                format!("{:.4}", expected_calibration_error(probs, truth)?),
                format!("{:.4}", expected_calibration_error(&scaled, truth)?),
                format!("{:.1}% ({}/{})", 100.0 * op.coverage, op.accepted, op.n),
                if op.accepted == 0 {
                    "none accepted".into()
                } else {
                    format!("{:.2}% {}", 100.0 * op.accuracy, op.ci.percent())
                },
            ]);
        }
        Ok(table)
    }

    /// Writes `calibration.json` into an export directory (call after
    /// `export::export_model`); returns its path.
    pub fn save(&self, export_dir: impl AsRef<Path>) -> Result<PathBuf, CalibrateError> {
        let path = export_dir.as_ref().join(CALIBRATION_FILE);
        let err = |reason: String| CalibrateError::File {
            path: path.clone(),
            reason,
        };
        let json = serde_json::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        std::fs::write(&path, json).map_err(|e| err(e.to_string()))?;
        Ok(path)
    }

    /// Reads `calibration.json` from an export directory: `None` when there
    /// is none, an error naming the file when it is unreadable or invalid.
    pub fn load(export_dir: impl AsRef<Path>) -> Result<Option<Calibration>, CalibrateError> {
        let path = export_dir.as_ref().join(CALIBRATION_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let err = |reason: String| CalibrateError::File {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
        let cal: Calibration = serde_json::from_str(&text).map_err(|e| {
            err(format!(
                "not a valid calibration ({e}); write it again with Calibration::save"
            ))
        })?;
        if !(cal.temperature.is_finite() && cal.temperature > 0.0) {
            return Err(err(format!(
                "temperature {} must be a positive number",
                cal.temperature
            )));
        }
        Ok(Some(cal))
    }
}
