//! "Unsure" for the landmark route: no hand found, or a margin between the
//! top two letters' probabilities below a threshold fitted on held-out
//! training crops (never on the measuring photos). Whether it earns its
//! place is judged on photos it was not fitted on, by whether the photos it
//! answers are more often right than those it refuses.

use serde::{Deserialize, Serialize};

use super::score::{RouteScore, NO_HAND};

/// Answer when a hand was found and the top letter's probability exceeds
/// the second's by at least `threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginRule {
    /// Smallest margin answered.
    pub threshold: f64,
    /// Accuracy the answered fitting photos reached (the target asked);
    /// NaN (`null` in JSON) for the rule that answers every hand.
    #[serde(with = "crate::cache::nan_as_null")]
    pub target: f64,
}

/// Answers every photo with a hand.
impl Default for MarginRule {
    fn default() -> Self {
        MarginRule {
            threshold: 0.0,
            target: f64::NAN,
        }
    }
}

impl MarginRule {
    /// The smallest threshold at which the answered photos of `score` are
    /// at least `target` right (the largest margin when none is).
    pub fn fit(score: &RouteScore, target: f64) -> MarginRule {
        let mut rows: Vec<(f64, bool)> = score
            .margin
            .iter()
            .zip(score.correct())
            .zip(&score.predicted)
            .filter(|(_, &p)| p != NO_HAND)
            .map(|((&m, c), _)| (m, c))
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut threshold = rows.first().map_or(0.0, |r| r.0);
        let mut right = 0;
        for (i, &(m, ok)) in rows.iter().enumerate() {
            right += usize::from(ok);
            let tie_follows = rows.get(i + 1).is_some_and(|next| next.0 == m);
            if !tie_follows && right as f64 / (i + 1) as f64 >= target {
                threshold = m;
            }
        }
        MarginRule { threshold, target }
    }

    /// True when the route answers a photo with this prediction and margin.
    pub fn answers(&self, predicted: u8, margin: f64) -> bool {
        predicted != NO_HAND && margin >= self.threshold
    }

    /// Whether the rule answers each photo of `score`.
    pub fn answered(&self, score: &RouteScore) -> Vec<bool> {
        score
            .predicted
            .iter()
            .zip(&score.margin)
            .map(|(&p, &m)| self.answers(p, m))
            .collect()
    }

    /// The rule judged on `score`'s photos (never those it was fitted on):
    /// answered against refused, and the curve of its margin.
    pub fn evidence(
        &self,
        model: &str,
        population: crate::calibrate::Population,
        score: &RouteScore,
    ) -> Result<crate::calibrate::UnsureEvidence, crate::calibrate::CalibrateError> {
        crate::calibrate::UnsureEvidence::new(
            model,
            population,
            &Self::scores(score),
            &self.answered(score),
            &score.correct(),
            Some(&score.groups),
        )
    }

    /// The score the rule thresholds, per photo (higher = surer; no hand
    /// lowest): for risk–coverage curves.
    pub fn scores(score: &RouteScore) -> Vec<f64> {
        score
            .predicted
            .iter()
            .zip(&score.margin)
            .map(|(&p, &m)| if p == NO_HAND { -1.0 } else { m })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_the_lowest_margin_whose_answers_reach_the_target() {
        let s = RouteScore {
            route: "r".into(),
            photos: "p".into(),
            truth: vec![0, 0, 0, 0, 0],
            predicted: vec![0, 0, 1, 0, NO_HAND],
            margin: vec![0.9, 0.8, 0.5, 0.2, 0.0],
            groups: vec![0, 1, 2, 3, 4],
        };
        let rule = MarginRule::fit(&s, 0.75);
        assert_eq!(rule.threshold, 0.2, "4 answered, 3 right");
        let strict = MarginRule::fit(&s, 1.0);
        assert_eq!(strict.threshold, 0.8);
        assert_eq!(strict.answered(&s), vec![true, true, false, false, false]);
    }
}
