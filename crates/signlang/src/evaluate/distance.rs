//! Accuracy against each test image's distance to its nearest training
//! image: the closest these data get to "photos the model has never seen".
//!
//! The training CSV is made from source photos too, and some test photos
//! have near-copies in it. [`DistanceBands`] splits the test images into
//! distance bands (L2 on pixels in `[0,1]`) and gives each model's accuracy
//! in each band with a group-aware interval, plus the accuracy on **novel
//! groups**: source photos none of whose images lies within the grouping
//! threshold of any training image.

use super::grouped::{grouped_accuracy, GroupedAccuracy};
use super::metrics::Evaluation;
use super::EvaluateError;
use crate::display::Table;

/// The default band edges: `< 1`, `1–2`, `2–3`, `≥ 3`.
pub const BAND_EDGES: [f64; 3] = [1.0, 2.0, 3.0];

/// The test images' distances to the training set, and the bands.
#[derive(Clone, Debug, PartialEq)]
pub struct DistanceBands {
    /// Distance of each test image to its nearest training image.
    pub distances: Vec<f32>,
    /// Source-photo group of each test image.
    pub groups: Vec<u32>,
    /// The grouping threshold (images closer than this are one photo).
    pub threshold: f64,
    /// Band edges, ascending.
    pub edges: Vec<f64>,
}

/// One model's accuracy in one band.
#[derive(Clone, Debug, PartialEq)]
pub struct BandAccuracy {
    /// "< 1", "1–2", …, or "novel groups".
    pub band: String,
    /// The accuracy on the band's images (`None` when the band is empty).
    pub accuracy: Option<GroupedAccuracy>,
}

impl DistanceBands {
    /// Bands for test images with these distances and groups.
    pub fn new(
        distances: Vec<f32>,
        groups: Vec<u32>,
        threshold: f64,
        edges: &[f64],
    ) -> Result<Self, EvaluateError> {
        if distances.len() != groups.len() {
            return Err(EvaluateError::LengthMismatch {
                what: "distances and groups",
                a: distances.len(),
                b: groups.len(),
            });
        }
        Ok(DistanceBands {
            distances,
            groups,
            threshold,
            edges: edges.to_vec(),
        })
    }

    /// The band labels, in order.
    pub fn labels(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut prev: Option<f64> = None;
        for &e in &self.edges {
            out.push(match prev {
                None => format!("< {e}"),
                Some(p) => format!("{p}–{e}"),
            });
            prev = Some(e);
        }
        if let Some(p) = prev {
            out.push(format!("≥ {p}"));
        }
        out
    }

    /// Band index of a distance.
    pub fn band_of(&self, d: f32) -> usize {
        self.edges
            .iter()
            .position(|&e| f64::from(d) < e)
            .unwrap_or(self.edges.len())
    }

    /// Share of test images within the grouping threshold of a training image.
    pub fn share_within_threshold(&self) -> f64 {
        let n = self.distances.len().max(1) as f64;
        self.distances
            .iter()
            .filter(|&&d| f64::from(d) < self.threshold)
            .count() as f64
            / n
    }

    /// Whether each image belongs to a novel group (no image of its group
    /// within the threshold of a training image).
    pub fn novel(&self) -> Vec<bool> {
        let mut seen = std::collections::HashSet::new();
        for (&d, &g) in self.distances.iter().zip(&self.groups) {
            if f64::from(d) < self.threshold {
                seen.insert(g);
            }
        }
        self.groups.iter().map(|g| !seen.contains(g)).collect()
    }

    /// Number of groups, and of novel groups.
    pub fn group_counts(&self) -> (usize, usize) {
        let novel = self.novel();
        let all: std::collections::HashSet<u32> = self.groups.iter().copied().collect();
        let new: std::collections::HashSet<u32> = self
            .groups
            .iter()
            .zip(&novel)
            .filter(|(_, &n)| n)
            .map(|(&g, _)| g)
            .collect();
        (all.len(), new.len())
    }

    /// A model's accuracy in each band, then on the novel groups.
    pub fn accuracy(&self, eval: &Evaluation) -> Result<Vec<BandAccuracy>, EvaluateError> {
        if eval.n != self.distances.len() {
            return Err(EvaluateError::LengthMismatch {
                what: "evaluation and distances",
                a: eval.n,
                b: self.distances.len(),
            });
        }
        let right = eval.correct_flags();
        let pick = |keep: &dyn Fn(usize) -> bool| {
            let idx: Vec<usize> = (0..eval.n).filter(|&i| keep(i)).collect();
            if idx.is_empty() {
                return None;
            }
            let r: Vec<bool> = idx.iter().map(|&i| right[i]).collect();
            let g: Vec<u32> = idx.iter().map(|&i| self.groups[i]).collect();
            Some(grouped_accuracy(&r, &g))
        };
        let mut out: Vec<BandAccuracy> = self
            .labels()
            .into_iter()
            .enumerate()
            .map(|(b, band)| BandAccuracy {
                band,
                accuracy: pick(&|i| self.band_of(self.distances[i]) == b),
            })
            .collect();
        let novel = self.novel();
        out.push(BandAccuracy {
            band: "novel groups".to_string(),
            accuracy: pick(&|i| novel[i]),
        });
        Ok(out)
    }

    /// Images and photos per band, then each model's accuracy with its
    /// per-photo interval.
    pub fn table(&self, models: &[(&str, &Evaluation)]) -> Result<Table, EvaluateError> {
        if models.is_empty() {
            return Err(EvaluateError::Empty);
        }
        let mut header = vec![
            "distance to training".to_string(),
            "images".into(),
            "photos".into(),
        ];
        header.extend(
            models
                .iter()
                .map(|(name, _)| format!("{name}: accuracy, 95% CI (photos)")),
        );
        let (groups, novel) = self.group_counts();
        let mut t = Table::new(header).with_caption(format!(
            "Test accuracy by distance to the nearest training image (L2, pixels in [0,1]); \
             {:.1}% of test images lie within the grouping threshold {}; {novel} of {groups} \
             test photos are novel (none of their images within it)",
            100.0 * self.share_within_threshold(),
            self.threshold
        ));
        let per_model: Vec<Vec<BandAccuracy>> = models
            .iter()
            .map(|(_, e)| self.accuracy(e))
            .collect::<Result<_, _>>()?;
        for (b, band) in per_model[0].iter().enumerate() {
            let first = band.accuracy.as_ref();
            let mut row = vec![
                band.band.clone(),
                first.map_or("0".into(), |a| a.n.to_string()),
                first.map_or("0".into(), |a| a.groups.to_string()),
            ];
            for m in &per_model {
                row.push(match &m[b].accuracy {
                    Some(a) => format!("{:.1}% {}", 100.0 * a.accuracy, a.group_ci.percent()),
                    None => "–".into(),
                });
            }
            t.push(row);
        }
        Ok(t)
    }
}
