//! The learning curve as a table, a plot and a choice: the best adapted
//! model by its accuracy on the held-out training photos.

use super::curve::{CurvePoint, LearningCurve};
use crate::display::{Svg, Table};
use crate::train::Adapter;

impl CurvePoint {
    /// `"fine-tune"`, `"class means"` or `"none (k = 0)"`.
    pub fn adapter_name(&self) -> &'static str {
        match self.adapter {
            None => "none (the model)",
            Some(Adapter::FineTune) => "fine-tune",
            Some(Adapter::ClassMeans) => "class means",
        }
    }

    /// One line: run, adapter, k, draw, held-out and measured accuracy.
    pub fn line(&self) -> String {
        format!(
            "{} {} k={} draw {}{}: {} images, held-out {:.1}%, measured {} {}",
            self.run_id,
            self.adapter_name(),
            self.per_letter.label(),
            self.draw,
            if self.cached { " (recorded)" } else { "" },
            self.train_images,
            100.0 * self.holdout_accuracy,
            self.measured.point(),
            self.measured.group_text()
        )
    }
}

impl LearningCurve {
    /// The adapted point with the best held-out accuracy (ties: more
    /// photos, then the earlier run); never chosen on the measuring folder.
    pub fn best(&self) -> Option<&CurvePoint> {
        self.points
            .iter()
            .filter(|p| p.adapter.is_some() && p.holdout_accuracy.is_finite())
            .min_by(|a, b| {
                b.holdout_accuracy
                    .total_cmp(&a.holdout_accuracy)
                    .then(b.photos_per_letter.total_cmp(&a.photos_per_letter))
            })
    }

    /// Every point: adapter, k, draw, run, photos per letter, images,
    /// held-out accuracy, measured accuracy with its 95% interval.
    pub fn table(&self) -> Table {
        let mut t = Table::new([
            "adapter",
            "k",
            "draw",
            "run",
            "photos per letter",
            "images",
            "held-out training photos",
            "measured",
            "95% CI (source photos)",
        ])
        .with_caption(format!(
            "Run {} adapted with k real source photos per letter, scored on {}; held-out = \
             source photos of the training folder kept back (early stopping and the choice)",
            self.base_run, self.measure
        ));
        let apart = self.points.iter().any(|p| p.measured_apart.is_some());
        if apart {
            t.push_header("photos without a near-twin (95% CI)");
        }
        for p in &self.points {
            let mut row = vec![
                p.adapter_name().to_string(),
                p.per_letter.label(),
                p.draw.to_string(),
                p.run_id.clone(),
                format!("{:.1}", p.photos_per_letter),
                p.train_images.to_string(),
                format!("{:.1}%", 100.0 * p.holdout_accuracy),
                format!("{:.1}%", 100.0 * p.measured.accuracy),
                p.measured.group_ci.percent(),
            ];
            if apart {
                row.push(p.measured_apart.as_ref().map_or(String::new(), |a| {
                    format!(
                        "{:.1}% {} of {}",
                        100.0 * a.accuracy,
                        a.group_ci.percent(),
                        a.n
                    )
                }));
            }
            t.push(row);
        }
        t
    }

    /// The fine-tuned points on the measuring photos without a near-twin
    /// (empty when they were not measured), from k = 0.
    pub fn series_apart(&self) -> Vec<crate::plots::CurveSample> {
        self.points
            .iter()
            .filter(|p| p.adapter != Some(Adapter::ClassMeans))
            .filter_map(|p| {
                let a = p.measured_apart.as_ref()?;
                Some(crate::plots::CurveSample {
                    photos_per_letter: p.photos_per_letter,
                    accuracy: a.accuracy,
                    lo: a.group_ci.lo,
                    hi: a.group_ci.hi,
                })
            })
            .collect()
    }

    /// The points of one adapter (`None`: the model) for
    /// [`crate::plots::learning_curve_real`].
    pub fn series(&self, adapter: Option<Adapter>) -> Vec<crate::plots::CurveSample> {
        self.points
            .iter()
            .filter(|p| p.adapter == adapter || p.adapter.is_none())
            .map(|p| crate::plots::CurveSample {
                photos_per_letter: p.photos_per_letter,
                accuracy: p.measured.accuracy,
                lo: p.measured.group_ci.lo,
                hi: p.measured.group_ci.hi,
            })
            .collect()
    }

    /// Accuracy on the measuring folder against real photos per letter:
    /// fine-tuning and class means, each from k = 0.
    pub fn plot(&self) -> Svg {
        let mut series = vec![("fine-tune", self.series(Some(Adapter::FineTune)))];
        if self
            .points
            .iter()
            .any(|p| p.adapter == Some(Adapter::ClassMeans))
        {
            series.push(("class means", self.series(Some(Adapter::ClassMeans))));
        }
        crate::plots::learning_curve_real(&series, &self.measure)
    }
}

impl LearningCurve {
    /// The curve in words, from its points: the model alone (k = 0), the
    /// mean over fine-tuning draws at the smallest and largest k, and the
    /// best adapted model (chosen on the held-out training photos) with its
    /// interval, with the caveat that the measuring photos may share
    /// signers with the training photos.
    pub fn summary(&self) -> String {
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        let mut s = match self.points.iter().find(|p| p.adapter.is_none()) {
            Some(p) => format!(
                "On {} real photos, Sign-MNIST alone reads {} {}",
                p.measured.n,
                pct(p.measured.accuracy),
                p.measured.group_text()
            ),
            None => "The model alone was not measured".to_string(),
        };
        let tuned: Vec<&CurvePoint> = self
            .points
            .iter()
            .filter(|p| p.adapter == Some(Adapter::FineTune))
            .collect();
        let mean_at = |k: &str| {
            let at: Vec<&&CurvePoint> =
                tuned.iter().filter(|p| p.per_letter.label() == k).collect();
            let n = at.len().max(1) as f64;
            let acc = at.iter().map(|p| p.measured.accuracy).sum::<f64>() / n;
            let photos = at.iter().map(|p| p.photos_per_letter).sum::<f64>() / n;
            (!at.is_empty()).then_some((acc, photos))
        };
        let mut labels: Vec<String> = tuned.iter().map(|p| p.per_letter.label()).collect();
        labels.dedup();
        for k in [labels.first(), labels.last()].into_iter().flatten() {
            if let Some((acc, photos)) = mean_at(k) {
                s += &format!(
                    "; fine-tuned on {photos:.0} real source photos per letter: {} (mean of draws)",
                    pct(acc)
                );
            }
        }
        if let Some(b) = self.best() {
            s += &format!(
                ". The best adapted model, chosen on held-out training photos ({}, {:.0} photos \
                 per letter), reads {} {}",
                b.run_id,
                b.photos_per_letter,
                pct(b.measured.accuracy),
                b.measured.group_text()
            );
        }
        s + ". The measuring photos share no source photo with the training photos, but they \
             come from the same few people and rooms, some nearly the same frame: this is a \
             same-people figure, and other signers may do worse."
    }
}
