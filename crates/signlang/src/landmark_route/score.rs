//! A route's answers on a set of photos, scored with the source photo as
//! the unit: accuracy with a photo where no hand was found counted wrong,
//! the detection rate, accuracy among the photos with a hand, per letter,
//! and the common confusions.

use serde::{Deserialize, Serialize};

use super::photos::HandPhotos;
use crate::display::Table;
use crate::evaluate::{grouped_accuracy, GroupedAccuracy};
use crate::letters::{letter, NUM_CLASSES};

/// The prediction recorded for a photo where no hand was found: no letter
/// (never equal to a true class, so it counts wrong).
pub const NO_HAND: u8 = u8::MAX;

/// What a route answered on a set of photos.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteScore {
    /// The route, e.g. `"landmarks (dense 128-64)"`.
    pub route: String,
    /// The photos, e.g. `"the 190 real photos"`.
    pub photos: String,
    /// True class of each photo.
    pub truth: Vec<u8>,
    /// Predicted class, or [`NO_HAND`].
    pub predicted: Vec<u8>,
    /// How sure: the top probability minus the second (0 without a hand).
    pub margin: Vec<f64>,
    /// Source-photo group of each photo.
    pub groups: Vec<u32>,
}

/// The top class and the margin over the second of a probability row.
pub fn top_and_margin(p: &[f32]) -> (u8, f64) {
    let (mut best, mut second) = ((0usize, f32::MIN), f32::MIN);
    for (c, &v) in p.iter().enumerate() {
        if v > best.1 {
            second = best.1;
            best = (c, v);
        } else if v > second {
            second = v;
        }
    }
    (best.0 as u8, f64::from(best.1 - second.max(0.0)))
}

impl RouteScore {
    /// The score of probabilities (`None` where no hand was found) on `hands`.
    pub fn new(route: &str, photos: &str, hands: &HandPhotos, probs: &[Option<Vec<f32>>]) -> Self {
        let (predicted, margin) = probs
            .iter()
            .map(|p| p.as_deref().map_or((NO_HAND, 0.0), top_and_margin))
            .unzip();
        RouteScore {
            route: route.into(),
            photos: photos.into(),
            truth: hands.classes.clone(),
            predicted,
            margin,
            groups: hands.groups.clone(),
        }
    }

    /// The photos `indices` alone, named `photos`.
    pub fn subset(&self, photos: &str, indices: &[usize]) -> RouteScore {
        let pick = |v: &[u8]| indices.iter().map(|&i| v[i]).collect::<Vec<u8>>();
        RouteScore {
            route: self.route.clone(),
            photos: photos.into(),
            truth: pick(&self.truth),
            predicted: pick(&self.predicted),
            margin: indices.iter().map(|&i| self.margin[i]).collect(),
            groups: indices.iter().map(|&i| self.groups[i]).collect(),
        }
    }

    /// Number of photos.
    pub fn len(&self) -> usize {
        self.truth.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.truth.is_empty()
    }

    /// Whether each photo was read right (no hand: wrong).
    pub fn correct(&self) -> Vec<bool> {
        self.truth
            .iter()
            .zip(&self.predicted)
            .map(|(t, p)| t == p)
            .collect()
    }

    /// Whether a hand was found in each photo.
    pub fn detected(&self) -> Vec<bool> {
        self.predicted.iter().map(|&p| p != NO_HAND).collect()
    }

    /// Accuracy with a photo without a hand counted wrong.
    pub fn accuracy(&self) -> GroupedAccuracy {
        grouped_accuracy(&self.correct(), &self.groups)
    }

    /// Share of photos where a hand was found.
    pub fn detection(&self) -> GroupedAccuracy {
        grouped_accuracy(&self.detected(), &self.groups)
    }

    /// Accuracy among the photos where a hand was found.
    pub fn among_detected(&self) -> GroupedAccuracy {
        let (correct, groups): (Vec<bool>, Vec<u32>) = self
            .correct()
            .into_iter()
            .zip(&self.groups)
            .zip(self.detected())
            .filter(|(_, d)| *d)
            .map(|((c, &g), _)| (c, g))
            .unzip();
        grouped_accuracy(&correct, &groups)
    }

    /// One row per score: photos, hands found, accuracy (no hand = wrong)
    /// and among the found, each with its 95% interval per photo.
    pub fn table(scores: &[&RouteScore]) -> Table {
        let mut t = Table::new([
            "route",
            "photos",
            "n",
            "hand found",
            "accuracy (no hand = wrong)",
            "95% CI",
            "accuracy where a hand was found",
        ])
        .with_caption("Each photo counted once; intervals per source photo");
        for s in scores {
            let (acc, det, among) = (s.accuracy(), s.detection(), s.among_detected());
            t.push([
                s.route.clone(),
                s.photos.clone(),
                s.len().to_string(),
                format!("{:.1}%", 100.0 * det.accuracy),
                format!("{:.1}%", 100.0 * acc.accuracy),
                acc.group_ci.percent(),
                format!("{:.1}% of {}", 100.0 * among.accuracy, among.n),
            ]);
        }
        t
    }

    /// Per letter: photos, hands found, right, accuracy and interval (no
    /// hand = wrong), and the letter it is most often read as.
    pub fn per_letter_table(&self) -> Table {
        let mut t = Table::new([
            "letter",
            "photos",
            "hand found",
            "right",
            "accuracy",
            "95% CI",
            "often read as",
        ])
        .with_caption(format!("{}: {}, per letter", self.route, self.photos));
        let confusions = self.confusions();
        for c in 0..NUM_CLASSES as u8 {
            let idx: Vec<usize> = (0..self.len()).filter(|&i| self.truth[i] == c).collect();
            if idx.is_empty() {
                continue;
            }
            let correct: Vec<bool> = idx.iter().map(|&i| self.predicted[i] == c).collect();
            let groups: Vec<u32> = idx.iter().map(|&i| self.groups[i]).collect();
            let g = grouped_accuracy(&correct, &groups);
            let found = idx
                .iter()
                .filter(|&&i| self.predicted[i] != NO_HAND)
                .count();
            let worst = confusions.iter().find(|x| x.0 == c);
            t.push([
                letter(c).to_string(),
                idx.len().to_string(),
                found.to_string(),
                g.correct.to_string(),
                format!("{:.0}%", 100.0 * g.accuracy),
                g.group_ci.percent(),
                worst.map_or(String::new(), |w| format!("{} ({})", letter(w.1), w.2)),
            ]);
        }
        t
    }

    /// Confusions among photos with a hand, `(true, read as, photos)`, most
    /// common first.
    pub fn confusions(&self) -> Vec<(u8, u8, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for (&t, &p) in self.truth.iter().zip(&self.predicted) {
            if p != NO_HAND && p != t {
                *counts.entry((t, p)).or_insert(0usize) += 1;
            }
        }
        let mut out: Vec<(u8, u8, usize)> =
            counts.into_iter().map(|((t, p), n)| (t, p, n)).collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
        out
    }

    /// The `k` most common confusions as a table.
    pub fn confusions_table(&self, k: usize) -> Table {
        let mut t = Table::new(["true letter", "read as", "photos"]).with_caption(format!(
            "{}: most common confusions on {}",
            self.route, self.photos
        ));
        for (tr, p, n) in self.confusions().into_iter().take(k) {
            t.push([letter(tr).to_string(), letter(p).to_string(), n.to_string()]);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_without_a_hand_counts_wrong_but_not_among_the_found() {
        let s = RouteScore {
            route: "r".into(),
            photos: "p".into(),
            truth: vec![0, 1, 2, 3],
            predicted: vec![0, 1, NO_HAND, 4],
            margin: vec![0.9, 0.5, 0.0, 0.1],
            groups: vec![0, 1, 2, 3],
        };
        assert_eq!(s.accuracy().correct, 2);
        assert_eq!(s.accuracy().n, 4);
        assert_eq!(s.detection().correct, 3);
        let among = s.among_detected();
        assert_eq!((among.correct, among.n), (2, 3));
        assert_eq!(s.confusions(), vec![(3, 4, 1)]);
        assert_eq!(
            top_and_margin(&[0.1, 0.7, 0.2]),
            (1, f64::from(0.7f32 - 0.2))
        );
    }
}
