//! The "unsure" rule an app applies to every image: a score computed from
//! the model's logits (output 0 of the export) and an optional gate on the
//! input's pixel statistics, both fitted on validation and synthetic
//! non-hand images (see [`crate::diagnose`]), stored in `calibration.json`.

use serde::{Deserialize, Serialize};

use crate::data::PIXELS;

/// A score of how sure the model is, computed from its logits: higher means
/// more sure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// Largest probability of `softmax(logits / temperature)`.
    MaxProbability,
    /// Largest logit.
    MaxLogit,
    /// `logsumexp(logits)` (minus the energy).
    NegativeEnergy,
}

impl ScoreKind {
    /// All logit scores, in table order.
    pub const ALL: [ScoreKind; 3] = [
        ScoreKind::MaxProbability,
        ScoreKind::MaxLogit,
        ScoreKind::NegativeEnergy,
    ];

    /// The name used in tables, metadata and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ScoreKind::MaxProbability => "max_probability",
            ScoreKind::MaxLogit => "max_logit",
            ScoreKind::NegativeEnergy => "negative_energy",
        }
    }

    /// The score of one image's logits (`temperature` only matters for
    /// [`ScoreKind::MaxProbability`]).
    pub fn score(self, logits: &[f32], temperature: f64) -> f64 {
        let max = logits
            .iter()
            .map(|&v| f64::from(v))
            .fold(f64::NEG_INFINITY, f64::max);
        match self {
            ScoreKind::MaxLogit => max,
            ScoreKind::NegativeEnergy => {
                max + logits
                    .iter()
                    .map(|&v| (f64::from(v) - max).exp())
                    .sum::<f64>()
                    .ln()
            }
            ScoreKind::MaxProbability => {
                let sum: f64 = logits
                    .iter()
                    .map(|&v| ((f64::from(v) - max) / temperature).exp())
                    .sum();
                1.0 / sum
            }
        }
    }
}

/// Pixel statistics of one 28×28 image, values in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelStats {
    /// Mean brightness.
    pub mean: f64,
    /// Standard deviation of the pixels (contrast).
    pub std: f64,
    /// Mean gradient magnitude `|dx| + |dy|` between neighbouring pixels (edge energy).
    pub gradient: f64,
    /// Share of neighbouring pixel pairs (horizontal and vertical) with
    /// exactly equal values: high for blank, blocky or pixelated images,
    /// low for photos.
    pub flat: f64,
}

/// [`PixelStats`] of 28×28 pixels (`0..=255`).
pub fn pixel_stats(pixels: &[u8]) -> PixelStats {
    debug_assert_eq!(pixels.len(), PIXELS);
    let v: Vec<f64> = pixels.iter().map(|&p| f64::from(p) / 255.0).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let (mut grad, mut flat) = (0.0, 0usize);
    for y in 0..28 {
        for x in 0..28 {
            let p = v[y * 28 + x];
            for q in [
                (x + 1 < 28).then(|| v[y * 28 + x + 1]),
                (y + 1 < 28).then(|| v[(y + 1) * 28 + x]),
            ]
            .into_iter()
            .flatten()
            {
                grad += (q - p).abs();
                flat += usize::from(q == p);
            }
        }
    }
    let pairs = 2.0 * 27.0 * 28.0;
    PixelStats {
        mean,
        std,
        gradient: grad / pairs,
        flat: flat as f64 / pairs,
    }
}

/// Bounds on an input's contrast and edge energy outside which the answer
/// is "unsure" (blank images have almost no contrast, noise far more edges
/// than a hand).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputGate {
    /// Lowest pixel standard deviation answered.
    pub std_min: f64,
    /// Highest mean gradient magnitude answered.
    pub gradient_max: f64,
    /// Highest share of equal neighbouring pixels answered (absent in older
    /// files: no bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flat_max: Option<f64>,
}

impl InputGate {
    /// True when the image passes the gate.
    pub fn passes(&self, stats: &PixelStats) -> bool {
        stats.std >= self.std_min
            && stats.gradient <= self.gradient_max
            && self.flat_max.is_none_or(|m| stats.flat <= m)
    }
}

/// The fitted unsure rule: answer when the input passes the gate (if any)
/// and the score is at least the threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnsureRule {
    /// Which score of the logits.
    pub score: ScoreKind,
    /// Answer only when the score is at least this.
    pub threshold: f64,
    /// The input gate, when the rule has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<InputGate>,
    /// What it was fitted on.
    pub fitted_on: String,
}

impl UnsureRule {
    /// `(unsure, score)` for one image: its 28×28 pixels and the model's logits.
    pub fn decide(&self, pixels: &[u8], logits: &[f32], temperature: f64) -> (bool, f64) {
        let score = self.score.score(logits, temperature);
        let gated = self.gate.is_some_and(|g| !g.passes(&pixel_stats(pixels)));
        (gated || score < self.threshold, score)
    }

    /// How an app applies it, in one sentence.
    pub fn usage(&self) -> String {
        let score = match self.score {
            ScoreKind::MaxProbability => "max(softmax(logits / temperature))",
            ScoreKind::MaxLogit => "max(logits)",
            ScoreKind::NegativeEnergy => "logsumexp(logits)",
        };
        let gate = self.gate.map_or(String::new(), |g| {
            let flat = g.flat_max.map_or(String::new(), |m| {
                format!(", or the share of exactly equal neighbouring pixels is above {m:.4}")
            });
            format!(
                ", or when the 28x28 input's pixel standard deviation is below {:.4} or its mean \
                 |dx|+|dy| between neighbouring pixels is above {:.4}{flat}",
                g.std_min, g.gradient_max
            )
        });
        format!("answer 'unsure' when {score} < {:.4}{gate}", self.threshold)
    }

    /// The rule as ONNX metadata entries (`unsure_*` keys).
    pub fn onnx_metadata(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("unsure_score".to_string(), self.score.name().to_string()),
            ("unsure_threshold".to_string(), self.threshold.to_string()),
        ];
        if let Some(g) = self.gate {
            out.push(("unsure_std_min".into(), g.std_min.to_string()));
            out.push(("unsure_gradient_max".into(), g.gradient_max.to_string()));
            if let Some(m) = g.flat_max {
                out.push(("unsure_flat_max".into(), m.to_string()));
            }
        }
        out.push(("unsure_usage".into(), self.usage()));
        out
    }
}
