//! The learning curve on real photos: accuracy against real source photos
//! per letter used to adapt, one line per adapter through the mean of its
//! draws (whiskers: the mean of their 95% intervals), every draw a dot.

use plotters::prelude::*;

use crate::display::Svg;

/// One adapted model's measured accuracy, for [`learning_curve_real`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurveSample {
    /// Mean real source photos per letter it was adapted with (0: none).
    pub photos_per_letter: f64,
    /// Measured accuracy.
    pub accuracy: f64,
    /// Lower end of its 95% interval.
    pub lo: f64,
    /// Upper end of its 95% interval.
    pub hi: f64,
}

/// Means per x (samples within 0.05 photos of each other pooled):
/// `(x, accuracy, lo, hi)`, ascending in x.
fn means(samples: &[CurveSample]) -> Vec<(f64, f64, f64, f64)> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.photos_per_letter.total_cmp(&b.photos_per_letter));
    let mut out: Vec<(f64, Vec<CurveSample>)> = Vec::new();
    for s in sorted {
        match out.last_mut() {
            Some((x, v)) if (s.photos_per_letter - *x).abs() < 0.05 => v.push(s),
            _ => out.push((s.photos_per_letter, vec![s])),
        }
    }
    out.into_iter()
        .map(|(x, v)| {
            let n = v.len() as f64;
            let mean = |f: fn(&CurveSample) -> f64| v.iter().map(f).sum::<f64>() / n;
            (x, mean(|s| s.accuracy), mean(|s| s.lo), mean(|s| s.hi))
        })
        .collect()
}

/// `series`: `(name, samples)` per adapter; `measure` names the photos scored.
pub fn learning_curve_real(series: &[(&str, Vec<CurveSample>)], measure: &str) -> Svg {
    let x_max = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.photos_per_letter))
        .fold(1.0, f64::max)
        * 1.05;
    let caption = format!("Accuracy on {measure} against real photos per letter (95% CI)");
    super::plot((720, 420), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(caption, ("sans-serif", 15))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.3f64..x_max, 0.0f64..1.0f64)?;
        chart
            .configure_mesh()
            .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
            .x_desc("real source photos per letter used to adapt (0 = the model alone)")
            .y_desc("accuracy")
            .draw()?;
        for (i, (name, samples)) in series.iter().enumerate() {
            let colour = super::series_colour(i);
            let offset = 0.08 * i as f64;
            let m = means(samples);
            chart.draw_series(m.iter().map(|&(x, _, lo, hi)| {
                ErrorBar::new_vertical(x + offset, lo, (lo + hi) / 2.0, hi, colour, 6)
            }))?;
            chart.draw_series(
                samples
                    .iter()
                    .map(|s| Circle::new((s.photos_per_letter + offset, s.accuracy), 3, colour)),
            )?;
            chart
                .draw_series(LineSeries::new(
                    m.iter().map(|&(x, y, _, _)| (x + offset, y)),
                    colour.stroke_width(2),
                ))?
                .label(name.to_string())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
        }
        super::legend(&mut chart, SeriesLabelPosition::UpperLeft, 0.8, 1.0)
    })
}
