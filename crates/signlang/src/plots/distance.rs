//! Accuracy against distance to the training set: one point per model and
//! band, with the band's group-aware 95% interval as a whisker.

use plotters::prelude::*;

use crate::display::Svg;
use crate::evaluate::BandAccuracy;

/// One series per model: `(name, accuracy per band)` as returned by
/// [`crate::evaluate::DistanceBands::accuracy`] (the bands, then "novel
/// groups"). Bands without images are left out.
pub fn accuracy_by_distance(models: &[(&str, Vec<BandAccuracy>)]) -> Svg {
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
    super::render((720, 400), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Test accuracy by distance to the nearest training image (95% CI per photo)",
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..bands.len() as f64 - 0.5, y_min..1.0f64)
            .map_err(|e| e.to_string())?;
        let names = bands.clone();
        chart
            .configure_mesh()
            .x_labels(bands.len())
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
            .x_desc("L2 distance to the nearest training image (pixels in [0,1])")
            .y_desc("accuracy")
            .draw()
            .map_err(|e| e.to_string())?;
        let k = models.len().max(1) as f64;
        for (m, (name, per_band)) in models.iter().enumerate() {
            let colour = super::SERIES_COLOURS[m % super::SERIES_COLOURS.len()];
            let offset = (m as f64 - (k - 1.0) / 2.0) * 0.12;
            let points: Vec<(f64, f64, f64, f64)> = per_band
                .iter()
                .enumerate()
                .filter_map(|(b, band)| {
                    let a = band.accuracy.as_ref()?;
                    Some((
                        b as f64 + offset,
                        a.accuracy,
                        a.group_ci.lo.max(y_min),
                        a.group_ci.hi,
                    ))
                })
                .collect();
            chart
                .draw_series(points.iter().map(|&(x, y, lo, hi)| {
                    ErrorBar::new_vertical(x, lo, y, hi, colour.stroke_width(2), 8)
                }))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&(x, y, _, _)| Circle::new((x, y), 5, colour.filled())),
                )
                .map_err(|e| e.to_string())?
                .label(name.to_string())
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(|e| e.to_string())
    })
}
