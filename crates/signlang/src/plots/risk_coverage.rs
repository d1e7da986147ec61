//! Is an unsure rule worth having? The accuracy of the answered images
//! against the share answered, as the rule's score threshold falls, one
//! line per model × population ([`crate::calibrate::UnsureEvidence`]), the
//! rule's own operating point marked. A useful score rises to the left: the
//! fewer it answers, the more of those are right; a flat line is a score
//! that cannot tell right answers from wrong ones.

use plotters::prelude::*;

use crate::calibrate::{RiskPoint, UnsureEvidence};
use crate::display::Svg;

use super::{legend, line_key, series_colour, PlotError};

/// Smallest step in share answered between drawn points (the curve of
/// thousands of images keeps its shape in a few hundred points).
const STEP: f64 = 0.002;

/// The points drawn: the first, every one at least [`STEP`] further in
/// share answered than the last kept, and the last.
fn thinned(points: &[RiskPoint]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let far = out.last().is_none_or(|l| p.coverage - l.0 >= STEP);
        if far || i + 1 == points.len() {
            out.push((p.coverage, p.accuracy));
        }
    }
    out
}

/// Accuracy of the answered against the share answered, one line per row
/// of `rows`, each rule's operating point a dot (a ring when it passes
/// the test of [`crate::calibrate::UnsureTest`]).
pub fn risk_coverage(rows: &[UnsureEvidence]) -> Svg {
    super::plot((720, 480), |area| draw(area, rows))
}

fn draw(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rows: &[UnsureEvidence],
) -> Result<(), PlotError> {
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Accuracy of the answered against the share answered (dots: the rule)",
            ("sans-serif", 15),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)?;
    chart
        .configure_mesh()
        .x_desc("share of images answered (the rest: unsure)")
        .y_desc("accuracy of the answered")
        .x_label_formatter(&|x| format!("{:.0}%", 100.0 * x))
        .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, r) in rows.iter().enumerate() {
        let c = series_colour(i);
        let style = ShapeStyle::from(&c).stroke_width(2);
        let auroc = r.curve.auroc.map_or("-".into(), |a| format!("{a:.2}"));
        chart
            .draw_series(LineSeries::new(thinned(&r.curve.points), style))?
            .label(format!("{}: {} (AUROC {auroc})", r.model, r.label()))
            .legend(line_key(style));
        let t = &r.test;
        if t.answered > 0 {
            let at = (t.answered_share(), t.accuracy_answered());
            let dot = if t.verdict.passes() {
                Circle::new(at, 6, c.stroke_width(3))
            } else {
                Circle::new(at, 6, c.filled())
            };
            chart.draw_series([dot])?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight, 0.85, 0.3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::Population;

    #[test]
    fn one_line_per_row_with_the_rule_marked() {
        let correct: Vec<bool> = (0..5000).map(|i| i % 4 != 0).collect();
        let scores: Vec<f64> = (0..5000).map(|i| f64::from(i % 97)).collect();
        let answered: Vec<bool> = scores.iter().map(|&s| s >= 40.0).collect();
        let rows: Vec<UnsureEvidence> = [Population::TestHalf, Population::RealPhotos]
            .into_iter()
            .map(|p| UnsureEvidence::new("m", p, &scores, &answered, &correct, None).unwrap())
            .collect();
        assert!(thinned(&rows[0].curve.points).len() <= 97);
        let svg = risk_coverage(&rows).svg;
        assert!(svg.contains("m: test half (AUROC") && svg.contains("m: 5000 real photos"));
        assert!(!svg.contains("cannot draw"), "{svg}");
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "one operating point per row"
        );
    }
}
