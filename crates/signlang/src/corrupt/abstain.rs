//! The abstain rule under corruptions: coverage and accuracy of a
//! calibrated threshold on clean images and on each corruption at one
//! severity, so the report can say where the rule helps and where a model
//! answers confidently and wrongly.

use tch::Tensor;

use super::report::RobustnessError;
use super::Corruption;
use crate::calibrate::{at_threshold, Calibration, Operating, Probs};
use crate::data::Dataset;
use crate::display::Table;
use crate::NUM_CLASSES;

/// The abstain rule on one version of the images.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AbstainRow {
    /// "clean" or the corruption's name.
    pub images: String,
    /// Coverage and accuracy at the calibration's threshold.
    pub operating: Operating,
}

/// Probabilities of `predict` (images → `N×24` probabilities) on `data`
/// as it is and under every corruption at `severity` (random draws from
/// `seed`): `("clean", …)` first, then one entry per corruption, in
/// [`Corruption::ALL`] order.
pub fn corrupted_probabilities<E: std::fmt::Display>(
    mut predict: impl FnMut(&Tensor) -> Result<Tensor, E>,
    data: &Dataset,
    severity: u8,
    seed: u64,
) -> Result<Vec<(String, Vec<Probs>)>, RobustnessError> {
    if data.is_empty() {
        return Err(RobustnessError::Empty {
            name: data.name.clone(),
        });
    }
    let images = data.images();
    let mut versions = vec![("clean".to_string(), images.shallow_clone())];
    for &c in Corruption::ALL.iter() {
        let x = tch::no_grad(|| c.apply(&images, severity, seed));
        versions.push((c.name().to_string(), x));
    }
    versions
        .into_iter()
        .map(|(name, x)| {
            let p = predict(&x).map_err(|e| RobustnessError::Predictor {
                what: name.clone(),
                reason: e.to_string(),
            })?;
            if p.size() != [data.len() as i64, NUM_CLASSES as i64] {
                return Err(RobustnessError::BadPredictions {
                    shape: p.size(),
                    n: data.len() as i64,
                });
            }
            let rows =
                crate::infer::probability_rows(&p).ok_or(RobustnessError::BadPredictions {
                    shape: p.size(),
                    n: data.len() as i64,
                })?;
            Ok((name, rows))
        })
        .collect()
}

/// The abstain rule of `calibration` with `predict` (images → `N×24`
/// probabilities) on `data` as it is and under every corruption at
/// `severity` (random draws from `seed`).
pub fn abstain_under_corruptions<E: std::fmt::Display>(
    predict: impl FnMut(&Tensor) -> Result<Tensor, E>,
    data: &Dataset,
    calibration: &Calibration,
    severity: u8,
    seed: u64,
) -> Result<Vec<AbstainRow>, RobustnessError> {
    corrupted_probabilities(predict, data, severity, seed)?
        .into_iter()
        .map(|(name, probs)| {
            let scaled = calibration.apply(&probs);
            let operating =
                at_threshold(&scaled, &data.classes, calibration.threshold).map_err(|e| {
                    RobustnessError::Predictor {
                        what: name.clone(),
                        reason: e.to_string(),
                    }
                })?;
            Ok(AbstainRow {
                images: name,
                operating,
            })
        })
        .collect()
}

/// The rows as a table: accuracy without the rule, coverage, and accuracy
/// on the accepted images.
pub fn abstain_table(rows: &[AbstainRow], caption: &str) -> Table {
    let mut t = Table::new([
        "images",
        "accuracy (all)",
        "coverage",
        "accuracy on accepted (95% CI)",
    ])
    .with_caption(caption);
    for r in rows {
        let o = &r.operating;
        t.push([
            r.images.clone(),
            format!("{:.1}%", 100.0 * o.correct_all as f64 / o.n as f64),
            format!("{:.1}%", 100.0 * o.coverage),
            if o.accepted == 0 {
                "none accepted".to_string()
            } else {
                format!("{:.1}% {}", 100.0 * o.accuracy, o.ci.percent())
            },
        ]);
    }
    t
}
