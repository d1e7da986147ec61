//! Fitting the candidate "unsure" rules on model outputs: each score's
//! threshold keeps [`ANSWER_QUANTILE`] of clean validation answered; the
//! input gate comes from validation's pixel statistics. No field photo is
//! used here.

use crate::calibrate::{pixel_stats, InputGate, ScoreKind, UnsureRule};
use crate::data::PIXELS;

use super::Outputs;

/// Share of clean validation left below each fitted threshold (unsure).
pub const ANSWER_QUANTILE: f64 = 0.04;
/// Share of clean validation outside each side of the input gate.
pub const GATE_QUANTILE: f64 = 0.002;

/// One set's model outputs, pixels and truth.
#[derive(Clone, Debug, Default)]
pub struct SetData {
    /// Logits and features.
    pub outputs: Outputs,
    /// 28×28 pixels per image, concatenated.
    pub pixels: Vec<u8>,
    /// True classes (meaningless for probes).
    pub truth: Vec<u8>,
}

impl SetData {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.outputs.logits.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The 28×28 pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * PIXELS..(i + 1) * PIXELS]
    }
}

/// Which score a candidate thresholds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Score {
    /// A score of the logits (travels with the export).
    Logit(ScoreKind),
    /// Largest cosine similarity of the penultimate features to a class
    /// mean of validation (needs the features: not in the export).
    FeatureCosine,
}

/// Scores images: the temperature for probabilities and the validation class means.
#[derive(Clone, Debug)]
pub struct Scorer {
    /// Temperature of the calibrated probabilities.
    pub temperature: f64,
    /// L2-normalised mean feature of each class on validation.
    pub class_means: Vec<Vec<f64>>,
    /// The input gate fitted on validation.
    pub gate: InputGate,
}

fn unit(v: &[f32]) -> Vec<f64> {
    let norm = v
        .iter()
        .map(|&x| f64::from(x).powi(2))
        .sum::<f64>()
        .sqrt()
        .max(1e-12);
    v.iter().map(|&x| f64::from(x) / norm).collect()
}

impl Scorer {
    /// Fits class means and the gate on clean validation.
    pub fn fit(val: &SetData, temperature: f64) -> Scorer {
        let width = val.outputs.features.first().map_or(0, Vec::len);
        let mut sums = vec![(0usize, vec![0f64; width]); crate::NUM_CLASSES];
        for (f, &t) in val.outputs.features.iter().zip(&val.truth) {
            let (n, s) = &mut sums[t as usize];
            *n += 1;
            s.iter_mut().zip(unit(f)).for_each(|(a, b)| *a += b);
        }
        let class_means = sums
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(_, s)| unit(&s.iter().map(|&v| v as f32).collect::<Vec<_>>()))
            .collect();
        let stats: Vec<_> = (0..val.len()).map(|i| pixel_stats(val.image(i))).collect();
        let std: Vec<f64> = stats.iter().map(|s| s.std).collect();
        let grad: Vec<f64> = stats.iter().map(|s| s.gradient).collect();
        let flat: Vec<f64> = stats.iter().map(|s| s.flat).collect();
        Scorer {
            temperature,
            class_means,
            gate: InputGate {
                std_min: super::quantile(&std, GATE_QUANTILE),
                gradient_max: super::quantile(&grad, 1.0 - GATE_QUANTILE),
                flat_max: Some(super::quantile(&flat, 1.0 - GATE_QUANTILE)),
            },
        }
    }

    /// The score of every image of a set.
    pub fn scores(&self, score: Score, set: &SetData) -> Vec<f64> {
        match score {
            Score::Logit(k) => set
                .outputs
                .logits
                .iter()
                .map(|l| k.score(l, self.temperature))
                .collect(),
            Score::FeatureCosine => set
                .outputs
                .features
                .iter()
                .map(|f| {
                    let u = unit(f);
                    self.class_means
                        .iter()
                        .map(|m| m.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>())
                        .fold(f64::NEG_INFINITY, f64::max)
                })
                .collect(),
        }
    }

    /// Which images of a set pass the gate.
    pub fn passes(&self, set: &SetData) -> Vec<bool> {
        (0..set.len())
            .map(|i| self.gate.passes(&pixel_stats(set.image(i))))
            .collect()
    }

    /// The threshold of `score` (with or without the gate) that leaves
    /// [`ANSWER_QUANTILE`] of the answered-by-gate validation images unsure.
    pub fn threshold(&self, score: Score, gated: bool, val: &SetData) -> f64 {
        let s = self.scores(score, val);
        let pass = self.passes(val);
        let kept: Vec<f64> = s
            .iter()
            .zip(pass)
            .filter(|(_, p)| *p || !gated)
            .map(|(v, _)| *v)
            .collect();
        super::quantile(&kept, ANSWER_QUANTILE)
    }

    /// Which images a rule answers: `score ≥ threshold` and, when gated, the gate.
    pub fn answered(&self, score: Score, threshold: f64, gated: bool, set: &SetData) -> Vec<bool> {
        let pass = self.passes(set);
        self.scores(score, set)
            .into_iter()
            .zip(pass)
            .map(|(s, p)| s >= threshold && (p || !gated))
            .collect()
    }

    /// The exportable rule of a logit score (`None` for feature scores).
    pub fn rule(
        &self,
        score: Score,
        threshold: f64,
        gated: bool,
        fitted_on: &str,
    ) -> Option<UnsureRule> {
        match score {
            Score::Logit(kind) => Some(UnsureRule {
                score: kind,
                threshold,
                gate: gated.then_some(self.gate),
                fitted_on: fitted_on.to_string(),
            }),
            Score::FeatureCosine => None,
        }
    }
}
