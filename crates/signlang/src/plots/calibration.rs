//! Calibration figures: the reliability diagram (accuracy against
//! confidence in 15 bins) and the coverage–accuracy curve of the abstain
//! rule. Each takes named sets of predictions: `(name, probabilities, truth)`.

use plotters::prelude::*;

use crate::calibrate::{
    at_threshold, coverage_curve, expected_calibration_error, reliability_bins, Probs, ECE_BINS,
};
use crate::display::Svg;

use super::SERIES_COLOURS;

/// A named set of predictions: name, class probabilities, true classes.
pub type PredictionSet<'a> = (&'a str, &'a [Probs], &'a [u8]);

fn colour(i: usize) -> RGBColor {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// Reliability diagram: for each set, the accuracy of each of the 15
/// confidence bins against its mean confidence (dot size grows with the
/// bin's share of images), and the diagonal of perfect calibration. The
/// legend gives each set's ECE.
pub fn reliability_diagram(sets: &[PredictionSet]) -> Svg {
    super::render((560, 520), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("Reliability diagram ({ECE_BINS} confidence bins)"),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("confidence (top-1 probability)")
            .y_desc("accuracy")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                BLACK.mix(0.4).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?
            .label("perfect calibration")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.mix(0.4)));
        for (i, (name, probs, truth)) in sets.iter().enumerate() {
            let (Ok(bins), Ok(ece)) = (
                reliability_bins(probs, truth, ECE_BINS),
                expected_calibration_error(probs, truth),
            ) else {
                continue;
            };
            let n = probs.len() as f64;
            let pts: Vec<(f64, f64, f64)> = bins
                .iter()
                .filter(|b| b.n > 0)
                .map(|b| (b.confidence, b.accuracy, b.n as f64 / n))
                .collect();
            let c = colour(i);
            let style = ShapeStyle::from(&c).stroke_width(2);
            chart
                .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), style))
                .map_err(|e| e.to_string())?
                .label(format!("{name} (n = {}, ECE {ece:.4})", probs.len()))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
            chart
                .draw_series(pts.iter().map(|&(x, y, share)| {
                    Circle::new(
                        (x, y),
                        3 + (share * 12.0).round() as i32,
                        c.mix(0.6).filled(),
                    )
                }))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| e.to_string())
    })
}

/// Coverage–accuracy curves: as the confidence threshold rises, the share
/// of images accepted (x) against the accuracy on them (y). With a
/// `threshold`, each set's operating point at it is marked.
pub fn coverage_accuracy(sets: &[PredictionSet], threshold: Option<f64>) -> Svg {
    let curves: Vec<_> = sets
        .iter()
        .map(|(_, p, t)| coverage_curve(p, t).unwrap_or_default())
        .collect();
    let lowest = curves
        .iter()
        .flatten()
        .map(|p| p.accuracy)
        .fold(1.0f64, f64::min);
    let y_min = ((lowest - 0.01) * 20.0).floor().clamp(0.0, 19.0) / 20.0;
    let title = match threshold {
        Some(t) => format!("Coverage against accuracy (dots: threshold {t:.4})"),
        None => "Coverage against accuracy".to_string(),
    };
    super::render((640, 460), |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(0f64..1.0f64, y_min..1.0f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("coverage (share of images answered)")
            .y_desc("accuracy on answered images")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, ((name, probs, truth), curve)) in sets.iter().zip(&curves).enumerate() {
            let c = colour(i);
            let style = ShapeStyle::from(&c).stroke_width(2);
            chart
                .draw_series(LineSeries::new(
                    curve.iter().map(|p| (p.coverage, p.accuracy)),
                    style,
                ))
                .map_err(|e| e.to_string())?
                .label(format!("{name} (n = {})", probs.len()))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
            let op = threshold.and_then(|t| at_threshold(probs, truth, t).ok());
            if let Some(op) = op.filter(|o| o.accepted > 0) {
                chart
                    .draw_series([Circle::new(
                        (op.coverage, op.accuracy.max(y_min)),
                        6,
                        c.filled(),
                    )])
                    .map_err(|e| e.to_string())?;
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::LowerLeft)
            .draw()
            .map_err(|e| e.to_string())
    })
}
