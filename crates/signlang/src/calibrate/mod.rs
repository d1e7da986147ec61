//! Calibration and an abstain rule: is the model's confidence worth
//! believing, and when should an app say "unsure" instead of a letter?
//!
//! - [`expected_calibration_error`] and [`reliability_bins`]: the gap between
//!   confidence (top-1 probability) and accuracy, in 15 equal-width bins;
//! - [`fit_temperature`]: temperature scaling fitted on validation
//!   (minimum negative log-likelihood over `T`, golden-section search on
//!   `log T`, deterministic);
//! - [`coverage_curve`], [`choose_threshold`] and [`at_threshold`]: how many
//!   images an app would accept at a confidence threshold, and how accurate
//!   those are;
//! - [`Calibration`]: temperature + threshold, fitted on validation, saved as
//!   `calibration.json` next to an exported model and applied by
//!   [`crate::infer::Classifier`] when present;
//! - [`UnsureRule`]: a better "unsure" (a logit score and an input gate,
//!   fitted by [`crate::diagnose`]) stored in the same file;
//! - [`RiskCoverage`], [`UnsureTest`], [`UnsureEvidence`]: whether an
//!   unsure rule earns its place: the images it answers more often right
//!   than those it refuses, on images it was not fitted on.
//!
//! The exported network outputs **logits**; the study's probabilities
//! (`train::predict_proba`, `TestPredictions::probabilities`) are their
//! softmax. `softmax(log p / T)` equals `softmax(logits / T)` (a log-softmax
//! differs from the logits by a constant per image), so temperature scaling
//! works the same on stored probabilities as on logits.

use std::path::PathBuf;

mod evidence;
mod rule;
mod selective;
#[cfg(test)]
mod selective_tests;
mod unsure;

pub use evidence::{evidence_table, real_photos_sentence, Population, UnsureEvidence};
pub use rule::{at_threshold, Calibration, Operating};
pub(crate) use selective::percent;
pub use selective::{
    answered_at, auroc, difference_design_effect, fisher_exact, p_text, p_words, FisherExact,
    RiskCoverage, RiskPoint, UnsureTest, Verdict, CANNOT_TELL_ON_REAL_PHOTOS, MIN_ANSWERED, PASS_P,
    REAL_PHOTOS_METADATA_KEY,
};
pub use unsure::{pixel_stats, InputGate, PixelStats, ScoreKind, UnsureRule};

use crate::evaluate::Interval;
use crate::letters::NUM_CLASSES;

/// Number of equal-width confidence bins of the ECE and reliability diagram.
pub const ECE_BINS: usize = 15;
/// Default accuracy the accepted images must reach on validation.
pub const DEFAULT_TARGET: f64 = 0.99;
/// File name of the calibration in an export directory.
pub const CALIBRATION_FILE: &str = "calibration.json";

/// Class probabilities of one image.
pub type Probs = [f32; NUM_CLASSES];

/// Errors of calibration.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// No images to fit or measure on.
    #[error("calibration needs at least one image, got none")]
    Empty,
    /// Probabilities and truth of different lengths.
    #[error("{probs} probability rows but {truth} true classes: pass the same images to both")]
    LengthMismatch {
        /// Rows of probabilities.
        probs: usize,
        /// True classes.
        truth: usize,
    },
    /// A true class outside 0..24.
    #[error("true class {class} at row {row} is outside 0..24 (use class indices, not labels)")]
    BadClass {
        /// Row of the bad class.
        row: usize,
        /// The class.
        class: u8,
    },
    /// A score that is not a number.
    #[error("score at row {row} is NaN: pass a number for every image (higher = more sure)")]
    NotANumber {
        /// Row of the bad score.
        row: usize,
    },
    /// A target accuracy outside (0, 1].
    #[error("target accuracy {0} must be in (0, 1], e.g. 0.99")]
    BadTarget(f64),
    /// Reading or writing calibration.json failed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn check(probs: &[Probs], truth: &[u8]) -> Result<(), CalibrateError> {
    if probs.len() != truth.len() {
        return Err(CalibrateError::LengthMismatch {
            probs: probs.len(),
            truth: truth.len(),
        });
    }
    if probs.is_empty() {
        return Err(CalibrateError::Empty);
    }
    match truth.iter().position(|&c| c as usize >= NUM_CLASSES) {
        Some(row) => Err(CalibrateError::BadClass {
            row,
            class: truth[row],
        }),
        None => Ok(()),
    }
}

/// The predicted class (arg-max) and its probability (the confidence).
pub fn top1(p: &Probs) -> (u8, f64) {
    let (c, v) = p
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bc, bv), (c, &v)| {
            if v > bv {
                (c, v)
            } else {
                (bc, bv)
            }
        });
    (c as u8, f64::from(v))
}

/// Probabilities at temperature `t`: `softmax(log p / t)` (`t = 1` gives `p`
/// back up to rounding; `t > 1` softens, `t < 1` sharpens). Zero
/// probabilities stay (near) zero.
pub fn apply_temperature(p: &Probs, t: f64) -> Probs {
    let logits: Vec<f64> = p
        .iter()
        .map(|&v| f64::from(v).max(1e-45).ln() / t)
        .collect();
    softmax(&logits)
}

/// Softmax of logits (any scale), as `f32` probabilities.
pub fn softmax(logits: &[f64]) -> Probs {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits.iter().map(|&v| (v - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    let mut out = [0f32; NUM_CLASSES];
    for (o, e) in out.iter_mut().zip(exps) {
        *o = (e / sum) as f32;
    }
    out
}

/// One confidence bin of a reliability diagram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReliabilityBin {
    /// Lower edge (exclusive, except for the first bin).
    pub lo: f64,
    /// Upper edge (inclusive).
    pub hi: f64,
    /// Images whose confidence falls in the bin.
    pub n: usize,
    /// Mean confidence of those images (NaN when empty).
    pub confidence: f64,
    /// Their accuracy (NaN when empty).
    pub accuracy: f64,
}

/// Top-1 confidences in `bins` equal-width bins over `[0, 1]` (bin `i`
/// holds `(i/bins, (i+1)/bins]`, the first also 0).
pub fn reliability_bins(
    probs: &[Probs],
    truth: &[u8],
    bins: usize,
) -> Result<Vec<ReliabilityBin>, CalibrateError> {
    check(probs, truth)?;
    let bins = bins.max(1);
    let mut sums = vec![(0usize, 0f64, 0usize); bins];
    for (p, &t) in probs.iter().zip(truth) {
        let (c, conf) = top1(p);
        let i = ((conf * bins as f64).ceil() as usize).clamp(1, bins) - 1;
        sums[i].0 += 1;
        sums[i].1 += conf;
        sums[i].2 += usize::from(c == t);
    }
    Ok(sums
        .into_iter()
        .enumerate()
        .map(|(i, (n, conf, correct))| ReliabilityBin {
            lo: i as f64 / bins as f64,
            hi: (i + 1) as f64 / bins as f64,
            n,
            confidence: if n == 0 { f64::NAN } else { conf / n as f64 },
            accuracy: if n == 0 {
                f64::NAN
            } else {
                correct as f64 / n as f64
            },
        })
        .collect())
}

/// Expected calibration error with [`ECE_BINS`] equal-width bins: the
/// image-weighted mean of |accuracy − mean confidence| over the bins.
pub fn expected_calibration_error(probs: &[Probs], truth: &[u8]) -> Result<f64, CalibrateError> {
    let bins = reliability_bins(probs, truth, ECE_BINS)?;
    let n = probs.len() as f64;
    Ok(bins
        .iter()
        .filter(|b| b.n > 0)
        .map(|b| b.n as f64 / n * (b.accuracy - b.confidence).abs())
        .sum())
}

/// Mean negative log-likelihood of the true classes at temperature `t`.
pub fn nll(probs: &[Probs], truth: &[u8], t: f64) -> f64 {
    let mut total = 0.0;
    for (p, &y) in probs.iter().zip(truth) {
        let z: Vec<f64> = p
            .iter()
            .map(|&v| f64::from(v).max(1e-45).ln() / t)
            .collect();
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        total += lse - z[y as usize];
    }
    total / probs.len().max(1) as f64
}

/// The temperature in `[0.05, 20]` that minimises [`nll`] on these images:
/// golden-section search on `log T` to a relative precision of about 1e-6
/// (the NLL is unimodal in `log T`). Deterministic. When every image's top
/// class is right, the NLL keeps falling as `T` shrinks and nothing can be
/// fitted: the temperature is then 1 (the model's own probabilities).
pub fn fit_temperature(probs: &[Probs], truth: &[u8]) -> Result<f64, CalibrateError> {
    check(probs, truth)?;
    if probs.iter().zip(truth).all(|(p, &t)| top1(p).0 == t) {
        return Ok(1.0);
    }
    let f = |log_t: f64| nll(probs, truth, log_t.exp());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > 1e-6 {
        if fc <= fd {
            (b, d, fd) = (d, c, fc);
            c = b - g * (b - a);
            fc = f(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    Ok(((a + b) / 2.0).exp())
}

/// One point of the coverage–accuracy curve: accept images whose
/// confidence is at least `threshold`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoveragePoint {
    /// The confidence threshold (an image's confidence ≥ it: accepted).
    pub threshold: f64,
    /// Accepted images.
    pub accepted: usize,
    /// Correct among the accepted.
    pub correct: usize,
    /// Accepted share of all images.
    pub coverage: f64,
    /// Accuracy on the accepted images.
    pub accuracy: f64,
}

/// The coverage–accuracy curve: one point per distinct confidence, from
/// the highest threshold (fewest images accepted) to the lowest (all).
pub fn coverage_curve(probs: &[Probs], truth: &[u8]) -> Result<Vec<CoveragePoint>, CalibrateError> {
    check(probs, truth)?;
    let mut scored: Vec<(f64, bool)> = probs
        .iter()
        .zip(truth)
        .map(|(p, &t)| {
            let (c, conf) = top1(p);
            (conf, c == t)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = scored.len();
    let mut out = Vec::new();
    let (mut accepted, mut correct) = (0, 0);
    for (i, &(conf, ok)) in scored.iter().enumerate() {
        accepted += 1;
        correct += usize::from(ok);
        // Ties are accepted together: emit a point after the last of them.
        if i + 1 == n || scored[i + 1].0 < conf {
            out.push(CoveragePoint {
                threshold: conf,
                accepted,
                correct,
                coverage: accepted as f64 / n as f64,
                accuracy: correct as f64 / accepted as f64,
            });
        }
    }
    Ok(out)
}

/// The lowest confidence threshold whose accepted images are at least
/// `target` accurate (on the images given: validation). When no threshold
/// reaches the target, the threshold is just above the highest confidence
/// (nothing is accepted).
pub fn choose_threshold(probs: &[Probs], truth: &[u8], target: f64) -> Result<f64, CalibrateError> {
    if !(target > 0.0 && target <= 1.0) {
        return Err(CalibrateError::BadTarget(target));
    }
    let curve = coverage_curve(probs, truth)?;
    let best = curve
        .iter()
        .rev()
        .find(|p| p.accuracy >= target)
        .map(|p| p.threshold);
    Ok(best.unwrap_or_else(|| next_up(curve[0].threshold)))
}

/// The smallest `f64` above `x` that still rejects an `f32` confidence of `x`.
fn next_up(x: f64) -> f64 {
    f64::from(f32::from_bits((x as f32).to_bits() + 1))
}
