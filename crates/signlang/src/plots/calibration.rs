//! Calibration figures: the reliability diagram (accuracy against
//! confidence in 15 bins) and the coverage–accuracy curve of the abstain
//! rule. Each takes named sets of predictions: `(name, probabilities, truth)`.

use plotters::prelude::*;

use crate::calibrate::{
    at_threshold, coverage_curve, expected_calibration_error, reliability_bins, Probs, ECE_BINS,
};
use crate::display::Svg;

use super::{legend, line_key, series_colour as colour, PlotError};

/// A named set of predictions: name, class probabilities, true classes.
pub type PredictionSet<'a> = (&'a str, &'a [Probs], &'a [u8]);

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<F64, F64>>;
type F64 = plotters::coord::types::RangedCoordf64;
type Root<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// A chart with a caption, axis titles and no fine grid, over
/// `[0, 1] × [y_min, 1]`, its y labels `y_label_width` pixels wide.
fn chart<'a, 'b>(
    area: &'a Root<'b>,
    caption: String,
    (x_desc, y_desc): (&str, &str),
    y_min: f64,
    y_label_width: u32,
) -> Result<Chart<'a, 'b>, PlotError> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(0f64..1f64, y_min..1f64)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    Ok(chart)
}

/// One set in the reliability diagram: its index (for its colour), its
/// legend label, and per non-empty bin (confidence, accuracy, share).
type BinSeries = (usize, String, Vec<(f64, f64, f64)>);

/// Reliability diagram: for each set, the accuracy of each of the 15
/// confidence bins against its mean confidence (dot size grows with the
/// bin's share of images), and the diagonal of perfect calibration. The
/// legend gives each set's ECE.
pub fn reliability_diagram(sets: &[PredictionSet]) -> Svg {
    let series: Vec<BinSeries> = sets
        .iter()
        .enumerate()
        .filter_map(|(i, (name, probs, truth))| {
            let bins = reliability_bins(probs, truth, ECE_BINS).ok()?;
            let ece = expected_calibration_error(probs, truth).ok()?;
            let n = probs.len() as f64;
            let pts = bins.iter().filter(|b| b.n > 0);
            let pts = pts.map(|b| (b.confidence, b.accuracy, b.n as f64 / n));
            let label = format!("{name} (n = {}, ECE {ece:.4})", probs.len());
            Some((i, label, pts.collect()))
        })
        .collect();
    super::plot((560, 520), |area| {
        let caption = format!("Reliability diagram ({ECE_BINS} confidence bins)");
        let axes = ("confidence (top-1 probability)", "accuracy");
        let mut chart = chart(area, caption, axes, 0.0, 48)?;
        let diagonal = BLACK.mix(0.4);
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                diagonal.stroke_width(1),
            ))?
            .label("perfect calibration")
            .legend(line_key(diagonal.into()));
        for (i, label, pts) in &series {
            let c = colour(*i);
            let style = ShapeStyle::from(&c).stroke_width(2);
            chart
                .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), style))?
                .label(label)
                .legend(line_key(style));
            chart.draw_series(pts.iter().map(|&(x, y, share)| {
                let radius = 3 + (share * 12.0).round() as i32;
                Circle::new((x, y), radius, c.mix(0.6).filled())
            }))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 0.85, 0.3)
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
    super::plot((640, 460), |area| {
        let axes = (
            "coverage (share of images answered)",
            "accuracy on answered images",
        );
        let mut chart = chart(area, title, axes, y_min, 52)?;
        for (i, ((name, probs, truth), curve)) in sets.iter().zip(&curves).enumerate() {
            let c = colour(i);
            let style = ShapeStyle::from(&c).stroke_width(2);
            let line = curve.iter().map(|p| (p.coverage, p.accuracy));
            chart
                .draw_series(LineSeries::new(line, style))?
                .label(format!("{name} (n = {})", probs.len()))
                .legend(line_key(style));
            let op = threshold.and_then(|t| at_threshold(probs, truth, t).ok());
            if let Some(op) = op.filter(|o| o.accepted > 0) {
                let at = (op.coverage, op.accuracy.max(y_min));
                chart.draw_series([Circle::new(at, 6, c.filled())])?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 0.85, 0.3)
    })
}
