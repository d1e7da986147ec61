//! Learning curves: loss and accuracy per epoch, train against validation,
//! for one run ([`learning_curves`]), and overlays of several runs
//! ([`compare_runs`]).

use plotters::prelude::*;

use super::{legend, line_key, series_colour, PlotError};
use crate::display::Svg;
use crate::train::{EpochStats, History};

/// Which per-epoch figure to overlay in [`compare_runs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurveMetric {
    /// Training loss.
    TrainLoss,
    /// Validation loss.
    ValLoss,
    /// Training accuracy.
    TrainAccuracy,
    /// Validation accuracy.
    ValAccuracy,
}

impl CurveMetric {
    fn get(self, e: &crate::train::EpochStats) -> f64 {
        match self {
            CurveMetric::TrainLoss => e.train_loss,
            CurveMetric::ValLoss => e.val_loss,
            CurveMetric::TrainAccuracy => e.train_accuracy,
            CurveMetric::ValAccuracy => e.val_accuracy,
        }
    }

    fn label(self) -> &'static str {
        match self {
            CurveMetric::TrainLoss => "training loss",
            CurveMetric::ValLoss => "validation loss",
            CurveMetric::TrainAccuracy => "training accuracy",
            CurveMetric::ValAccuracy => "validation accuracy",
        }
    }

    fn is_accuracy(self) -> bool {
        matches!(self, CurveMetric::TrainAccuracy | CurveMetric::ValAccuracy)
    }
}

/// A series: name, colour, points (epoch, value), finite values only.
type Series = (String, RGBColor, Vec<(f64, f64)>);

fn points(h: &History, f: impl Fn(&EpochStats) -> f64) -> Vec<(f64, f64)> {
    h.epochs
        .iter()
        .map(|e| (e.epoch as f64, f(e)))
        .filter(|(_, v)| v.is_finite())
        .collect()
}

/// The axes of a panel: the last epoch, and the y range (accuracy: 0 to 1;
/// loss: from 0 or below to 5% above the highest value).
fn ranges(accuracy: bool, series: &[Series]) -> (f64, (f64, f64)) {
    let max_x = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let (mut lo, mut hi) = if accuracy {
        (0.0, 1.0)
    } else {
        let vals = series.iter().flat_map(|s| s.2.iter().map(|p| p.1));
        let (a, b) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if a.is_finite() {
            (0.0f64.min(a), b)
        } else {
            (0.0, 1.0)
        }
    };
    if hi <= lo {
        hi = lo + 1.0;
    }
    if !accuracy {
        hi *= 1.05;
        lo = lo.min(0.0);
    }
    (max_x, (lo, hi))
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    y_label: &str,
    accuracy: bool,
    series: &[Series],
) -> Result<(), PlotError> {
    let (max_x, (lo, hi)) = ranges(accuracy, series);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(48)
        .build_cartesian_2d(0.5f64..max_x + 0.5, lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_label)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (name, color, pts) in series {
        let style = ShapeStyle::from(color).stroke_width(2);
        chart
            .draw_series(LineSeries::new(pts.clone(), style))?
            .label(name.clone())
            .legend(line_key(style));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    let position = if accuracy {
        SeriesLabelPosition::LowerRight
    } else {
        SeriesLabelPosition::UpperRight
    };
    legend(&mut chart, position, 0.8, 0.3)
}

/// Learning curves of one run: loss (left) and accuracy (right), training
/// against validation, per epoch. Epochs without validation are left out
/// of the validation lines.
pub fn learning_curves(history: &History, title: &str) -> Svg {
    super::plot((900, 340), |root| {
        let root = root.titled(title, ("sans-serif", 18))?;
        let (left, right) = root.split_horizontally(450);
        // One metric, training against validation.
        let pair = |train: fn(&EpochStats) -> f64, val: fn(&EpochStats) -> f64| {
            [
                (
                    "training".to_string(),
                    super::SERIES_COLOURS[0],
                    points(history, train),
                ),
                (
                    "validation".to_string(),
                    super::SERIES_COLOURS[1],
                    points(history, val),
                ),
            ]
        };
        let loss = pair(|e| e.train_loss, |e| e.val_loss);
        panel(&left, "loss", "cross-entropy", false, &loss)?;
        let acc = pair(|e| e.train_accuracy, |e| e.val_accuracy);
        panel(&right, "accuracy", "accuracy", true, &acc)
    })
}

/// Overlays one metric of several runs (name, history), one colour each.
pub fn compare_runs(runs: &[(&str, &History)], metric: CurveMetric) -> Svg {
    super::plot((640, 380), |root| {
        let series: Vec<Series> = runs
            .iter()
            .enumerate()
            .map(|(i, (name, h))| {
                (
                    name.to_string(),
                    series_colour(i),
                    points(h, |e| metric.get(e)),
                )
            })
            .collect();
        panel(
            root,
            metric.label(),
            metric.label(),
            metric.is_accuracy(),
            &series,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{EpochStats, RunStatus};

    fn history(scale: f64) -> History {
        History {
            epochs: (1..=4)
                .map(|i| EpochStats {
                    epoch: i,
                    train_loss: scale * 3.0 / i as f64,
                    train_accuracy: 0.2 * i as f64,
                    val_loss: if i == 2 {
                        f64::NAN
                    } else {
                        scale * 3.2 / i as f64
                    },
                    val_accuracy: 0.18 * i as f64,
                    lr: 1e-3,
                    seconds: 1.0,
                    images_per_sec: 1000.0,
                })
                .collect(),
            status: RunStatus::Completed,
        }
    }

    #[test]
    fn curves_draw_both_panels_and_legends() {
        let svg = learning_curves(&history(1.0), "cnn2").svg;
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("loss") && svg.contains("accuracy") && svg.contains("validation"));
        assert!(!svg.contains("cannot draw"));
        // Points: 4 + 3 losses (no validation in epoch 2) + 4 + 4 accuracies.
        assert_eq!(svg.matches("<circle").count(), 15);
    }

    #[test]
    fn overlays_name_each_run() {
        let (a, b) = (history(1.0), history(2.0));
        let svg = compare_runs(&[("dense", &a), ("cnn2", &b)], CurveMetric::ValLoss).svg;
        assert!(svg.contains("dense") && svg.contains("cnn2"));
        assert!(!svg.contains("cannot draw"));
        // Validation losses only: 3 of the 4 epochs have one, per run.
        assert_eq!(svg.matches("<circle").count(), 2 * 3);
        let empty = History {
            epochs: vec![],
            status: RunStatus::Interrupted,
        };
        // A run without epochs still gets its (empty) chart, not an error.
        let svg = compare_runs(&[("none", &empty)], CurveMetric::TrainAccuracy).svg;
        assert!(!svg.contains("cannot draw"), "{svg}");
        assert!(svg.contains(CurveMetric::TrainAccuracy.label()));
        assert_eq!(svg.matches("<circle").count(), 0);
    }
}
