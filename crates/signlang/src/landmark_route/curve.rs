//! The landmark route's learning curve: the chosen classifier trained on
//! `k` training source photos per letter (drawn as the pixel route's curve
//! draws them, from the same pool, with the same held-out photos to stop
//! training), each a study run, measured on a measuring folder.

use serde::{Deserialize, Serialize};

use super::build::LandmarkRoute;
use super::classifier::{self, probabilities};
use super::error::RouteError;
use super::photos::HandPhotos;
use super::score::RouteScore;
use crate::adapt::{draw, PerLetter, Photos};
use crate::display::Table;
use crate::study::Study;

/// One point of the curve.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Source photos per letter asked for (`"all"` for the whole pool).
    pub per_letter: String,
    /// Mean source photos per letter actually used.
    pub photos_per_letter: f64,
    /// Training crops with a hand.
    pub train_rows: usize,
    /// The study run.
    pub run_id: String,
    /// Accuracy on the held-out training crops.
    pub holdout_accuracy: f64,
    /// The answers on the measuring photos.
    pub measured: RouteScore,
}

/// The curve.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LandmarkCurve {
    /// The points, smallest `k` first, the whole pool last.
    pub points: Vec<CurvePoint>,
}

/// Trains the chosen candidate of `route` on `k` source photos per letter
/// for each of `ks` (seed 0, nested draws), adds the chosen run itself as
/// "all", and measures each on `measure`.
pub fn learning_curve(
    study: &mut Study,
    route: &LandmarkRoute,
    photos: &Photos,
    ks: &[usize],
    measure: &HandPhotos,
    measure_name: &str,
) -> Result<LandmarkCurve, RouteError> {
    let candidate = &route.chosen().candidate;
    let (hold, _) = route.train.feature_set(
        "landmarks: held-out crops",
        &route.train.of_groups(&route.held_out),
    );
    let mut points = Vec::new();
    for &k in ks {
        let groups = draw(photos, &route.pool, PerLetter::Count(k), 0);
        let name = format!("landmarks: {k} photos per letter");
        let (set, _) = route
            .train
            .feature_set(&name, &route.train.of_groups(&groups));
        let trained = classifier::train(study, candidate, &set, &hold)?;
        points.push(point(
            study,
            &trained,
            k.to_string(),
            &groups,
            set.len(),
            measure,
            measure_name,
        )?);
    }
    let all = route.chosen();
    let rows = route
        .train
        .feature_set("all", &route.train.of_groups(&route.pool))
        .0
        .len();
    points.push(point(
        study,
        all,
        "all".into(),
        &route.pool,
        rows,
        measure,
        measure_name,
    )?);
    Ok(LandmarkCurve { points })
}

fn point(
    study: &Study,
    trained: &classifier::Trained,
    per_letter: String,
    groups: &[u32],
    train_rows: usize,
    measure: &HandPhotos,
    measure_name: &str,
) -> Result<CurvePoint, RouteError> {
    let probs = probabilities(study, trained.run.id(), measure)?;
    let route = format!("landmarks, {per_letter} per letter");
    Ok(CurvePoint {
        per_letter,
        photos_per_letter: groups.len() as f64 / crate::NUM_CLASSES as f64,
        train_rows,
        run_id: trained.run.id().to_string(),
        holdout_accuracy: trained.holdout_accuracy(),
        measured: RouteScore::new(&route, measure_name, measure, &probs),
    })
}

impl LandmarkCurve {
    /// The points for [`crate::plots::learning_curve_real`] (accuracy with
    /// no hand counted wrong).
    pub fn series(&self) -> Vec<crate::plots::CurveSample> {
        self.points
            .iter()
            .map(|p| {
                let a = p.measured.accuracy();
                crate::plots::CurveSample {
                    photos_per_letter: p.photos_per_letter,
                    accuracy: a.accuracy,
                    lo: a.group_ci.lo,
                    hi: a.group_ci.hi,
                }
            })
            .collect()
    }

    /// One row per point, the accuracy with its 95% interval per photo.
    pub fn table(&self) -> Table {
        let mut t = Table::new([
            "photos per letter",
            "run",
            "training crops with a hand",
            "held-out accuracy",
            "measured accuracy (no hand = wrong)",
            "95% CI",
        ])
        .with_caption("The landmark route's learning curve (one draw per size; the same held-out crops stop every run)");
        for p in &self.points {
            let acc = p.measured.accuracy();
            t.push([
                format!("{} ({:.1})", p.per_letter, p.photos_per_letter),
                p.run_id.clone(),
                p.train_rows.to_string(),
                format!("{:.1}%", 100.0 * p.holdout_accuracy),
                format!("{:.1}%", 100.0 * acc.accuracy),
                acc.group_ci.percent(),
            ]);
        }
        t
    }
}
