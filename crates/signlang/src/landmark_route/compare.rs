//! Routes side by side on the same photos: the pixel models' field reports
//! as [`RouteScore`]s, one table, and a clustered McNemar test between the
//! two best (photos that one route reads right and the other wrong).

use super::score::{top_and_margin, RouteScore};
use crate::display::Table;
use crate::evaluate::{clustered_mcnemar, ClusteredMcNemar, EvaluateError};
use crate::field::FieldReport;

impl RouteScore {
    /// A pixel model's field report as a route's score (every photo gets an
    /// answer; the margin comes from its probabilities).
    pub fn from_field(route: &str, photos: &str, report: &FieldReport) -> RouteScore {
        let margin = report
            .records
            .iter()
            .map(|r| top_and_margin(&r.prediction.probabilities).1)
            .collect();
        RouteScore {
            route: route.into(),
            photos: photos.into(),
            truth: report.truth(),
            predicted: report
                .records
                .iter()
                .map(|r| r.prediction.predicted)
                .collect(),
            margin,
            groups: report.source_photos(),
        }
    }
}

/// The routes compared, best first, and the test between the first two.
#[derive(Clone, Debug)]
pub struct RouteComparison {
    /// The scores, most accurate first.
    pub ranked: Vec<RouteScore>,
    /// The clustered McNemar test between the first two, when there are two.
    pub test: Option<ClusteredMcNemar>,
}

/// Ranks `scores` (all on the same photos, in the same order) by accuracy
/// and tests the best two against each other, clustered by source photo.
pub fn compare(scores: &[&RouteScore]) -> Result<RouteComparison, EvaluateError> {
    let mut ranked: Vec<RouteScore> = scores.iter().map(|s| (*s).clone()).collect();
    ranked.sort_by(|a, b| b.accuracy().accuracy.total_cmp(&a.accuracy().accuracy));
    for s in &ranked[1..] {
        if s.truth != ranked[0].truth {
            return Err(EvaluateError::LengthMismatch {
                what: "the same photos in the same order",
                a: ranked[0].len(),
                b: s.len(),
            });
        }
    }
    let test = match ranked.as_slice() {
        [a, b, ..] => Some(clustered_mcnemar(
            &a.truth,
            &a.predicted,
            &b.predicted,
            &a.groups,
        )?),
        _ => None,
    };
    Ok(RouteComparison { ranked, test })
}

impl RouteComparison {
    /// One row per route, and the test in the caption.
    pub fn table(&self) -> Table {
        let caption = match (&self.test, self.ranked.as_slice()) {
            (Some(t), [a, b, ..]) => format!(
                "{} photos; best two: {} (clustered McNemar, photos as the unit)",
                a.len(),
                t.verdict(&a.route, &b.route, 0.05)
            ),
            _ => "one route".into(),
        };
        let mut t = Table::new([
            "route",
            "photos",
            "accuracy (no hand = wrong)",
            "95% CI",
            "right",
        ])
        .with_caption(caption);
        for s in &self.ranked {
            let a = s.accuracy();
            t.push([
                s.route.clone(),
                s.photos.clone(),
                format!("{:.1}%", 100.0 * a.accuracy),
                a.group_ci.percent(),
                format!("{} of {}", a.correct, a.n),
            ]);
        }
        t
    }
}
