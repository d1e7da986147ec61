//! Accuracy against distance to the training set: one point per model and
//! band, with the band's group-aware 95% interval as a whisker.

use plotters::prelude::*;

use super::{legend, series_colour, PlotError};
use crate::display::Svg;
use crate::evaluate::BandAccuracy;

/// A point with its whisker: `(x, accuracy, lower end, upper end)`.
type Point = (f64, f64, f64, f64);

/// What [`accuracy_by_distance`] draws: band names, the lower end of the
/// y axis, and per model its name and points.
struct Layout<'a> {
    bands: Vec<String>,
    y_min: f64,
    models: Vec<(&'a str, Vec<Point>)>,
}

fn layout<'a>(models: &[(&'a str, Vec<BandAccuracy>)]) -> Layout<'a> {
    let bands: Vec<String> = models
        .first()
        .map(|(_, b)| b.iter().map(|b| b.band.clone()).collect())
        .unwrap_or_default();
    let lowest = models
        .iter()
        .flat_map(|(_, b)| b.iter())
        .filter_map(|b| b.accuracy.as_ref().map(|a| a.group_ci.lo))
        .fold(1.0, f64::min);
    let y_min = ((lowest - 0.05) * 10.0).floor().clamp(0.0, 9.0) / 10.0;
    let k = models.len().max(1) as f64;
    let models = models.iter().enumerate().map(|(m, (name, per_band))| {
        let offset = (m as f64 - (k - 1.0) / 2.0) * 0.12;
        let points = per_band.iter().enumerate().filter_map(|(b, band)| {
            let a = band.accuracy.as_ref()?;
            let x = b as f64 + offset;
            Some((x, a.accuracy, a.group_ci.lo.max(y_min), a.group_ci.hi))
        });
        (*name, points.collect())
    });
    Layout {
        bands,
        y_min,
        models: models.collect(),
    }
}

/// One series per model: `(name, accuracy per band)` as returned by
/// [`crate::evaluate::DistanceBands::accuracy`] (the bands, then "novel
/// groups"). Bands without images are left out.
pub fn accuracy_by_distance(models: &[(&str, Vec<BandAccuracy>)]) -> Svg {
    let layout = layout(models);
    super::plot((720, 400), |root| draw(root, &layout))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    layout: &Layout,
) -> Result<(), PlotError> {
    let bands = &layout.bands;
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Test accuracy by distance to the nearest training image (95% CI per photo)",
            ("sans-serif", 15),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..bands.len() as f64 - 0.5, layout.y_min..1.0f64)?;
    chart
        .configure_mesh()
        .x_labels(bands.len())
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                bands.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
        .x_desc("L2 distance to the nearest training image (pixels in [0,1])")
        .y_desc("accuracy")
        .draw()?;
    for (m, (name, points)) in layout.models.iter().enumerate() {
        let colour = series_colour(m);
        chart.draw_series(points.iter().map(|&(x, y, lo, hi)| {
            ErrorBar::new_vertical(x, lo, y, hi, colour.stroke_width(2), 8)
        }))?;
        let dots = points
            .iter()
            .map(|&(x, y, _, _)| Circle::new((x, y), 5, colour.filled()));
        chart
            .draw_series(dots)?
            .label(name.to_string())
            .legend(move |(x, y)| Circle::new((x + 8, y), 5, colour.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::LowerLeft, 0.85, 0.3)
}
