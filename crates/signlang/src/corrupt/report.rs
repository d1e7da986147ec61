//! [`evaluate_robustness`]: a model's accuracy on clean images and under
//! every [`Corruption`] at severities 1..=5, as a [`RobustnessReport`].

use std::fmt;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use super::{Corruption, MAX_SEVERITY};
use crate::data::Dataset;
use crate::display::{Html, Table};
use crate::model::Net;
use crate::NUM_CLASSES;

/// Images per call of the predictor.
const CHUNK: i64 = 1024;

/// Images of each source photo that robustness evaluations use in the
/// study: the photo is the unit of evidence and its ~17 near-copies add
/// little, so 3 per photo keep the verdicts and cut the forward passes
/// about 5× (under a minute per model on 2 cores).
pub const IMAGES_PER_PHOTO: usize = 3;

/// [`IMAGES_PER_PHOTO`] images of each source photo of `data` (`groups`
/// gives each image's photo), as a data set with the same name.
pub fn photo_sample(data: &Dataset, groups: &[u32]) -> Dataset {
    data.subset(&data.name, &per_photo_sample(groups, IMAGES_PER_PHOTO))
}

/// Indices of at most `k` images of each group (source photo), spread
/// evenly over the group's images in their order: deterministic, and every
/// group keeps at least one image.
pub fn per_photo_sample(groups: &[u32], k: usize) -> Vec<usize> {
    let mut members: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for (i, &g) in groups.iter().enumerate() {
        members.entry(g).or_default().push(i);
    }
    let mut out: Vec<usize> = members
        .values()
        .flat_map(|m| {
            let take = k.max(1).min(m.len());
            (0..take).map(move |j| m[j * m.len() / take])
        })
        .collect();
    out.sort_unstable();
    out
}

/// Why a robustness evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum RobustnessError {
    /// No images to evaluate.
    #[error("robustness evaluation: the data set `{name}` has no images; pass a non-empty one")]
    Empty {
        /// The data set's name.
        name: String,
    },
    /// The predictor returned an error.
    #[error("robustness evaluation: the model failed on {what}: {reason}")]
    Predictor {
        /// Which corruption and severity.
        what: String,
        /// The predictor's error.
        reason: String,
    },
    /// The predictor returned something other than `N×24` scores.
    #[error(
        "robustness evaluation: the model returned shape {shape:?} for {n} images; it must \
         return N×24 letter probabilities"
    )]
    BadPredictions {
        /// The returned shape.
        shape: Vec<i64>,
        /// Images passed.
        n: i64,
    },
}

/// Accuracies under one corruption.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorruptionRow {
    /// The corruption.
    pub corruption: Corruption,
    /// Accuracy at severities 1..=5.
    pub accuracy: [f64; MAX_SEVERITY as usize],
}

impl CorruptionRow {
    /// Mean accuracy over the five severities.
    pub fn mean(&self) -> f64 {
        self.accuracy.iter().sum::<f64>() / self.accuracy.len() as f64
    }
}

/// A model's accuracy on clean and corrupted copies of a data set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RobustnessReport {
    /// The model's name (for tables and plots).
    pub model: String,
    /// The data set's name.
    pub data: String,
    /// Number of images.
    pub n_images: usize,
    /// Seed of the corruptions.
    pub seed: u64,
    /// Accuracy on the images as they are.
    pub clean: f64,
    /// One row per corruption, in [`Corruption::ALL`] order.
    pub rows: Vec<CorruptionRow>,
}

impl RobustnessReport {
    /// Mean accuracy over all corruptions and severities 1..=5 (MNIST-C's
    /// and ImageNet-C's summary number, as accuracy rather than error).
    pub fn mean_corruption_accuracy(&self) -> f64 {
        if self.rows.is_empty() {
            return f64::NAN;
        }
        self.rows.iter().map(CorruptionRow::mean).sum::<f64>() / self.rows.len() as f64
    }

    /// The corruption with the lowest mean accuracy over the severities,
    /// and that accuracy.
    pub fn worst(&self) -> Option<(&'static str, f64)> {
        self.rows
            .iter()
            .map(|r| (r.corruption.name(), r.mean()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// `"<model> on <data> (N images): clean 100.0%, mean corruption 79.2%"`.
    pub fn summary_line(&self) -> String {
        format!(
            "{} on {} ({} images): clean {:.1}%, mean corruption {:.1}%",
            self.model,
            self.data,
            self.n_images,
            100.0 * self.clean,
            100.0 * self.mean_corruption_accuracy()
        )
    }

    /// Accuracy under `corruption` at `severity` (0 = clean).
    pub fn accuracy(&self, corruption: Corruption, severity: u8) -> Option<f64> {
        if severity == 0 {
            return Some(self.clean);
        }
        let row = self.rows.iter().find(|r| r.corruption == corruption)?;
        row.accuracy.get(usize::from(severity) - 1).copied()
    }

    /// The report as a table: one row per corruption (severities 1–5 and
    /// their mean), then clean and the mean corruption accuracy.
    pub fn table(&self) -> Table {
        let pct = |v: f64| format!("{:.1}%", 100.0 * v);
        let mut t =
            Table::new(["corruption", "1", "2", "3", "4", "5", "mean"]).with_caption(format!(
                "{} on {} ({} images, seed {}): clean {}, mean corruption accuracy {}",
                self.model,
                self.data,
                self.n_images,
                self.seed,
                pct(self.clean),
                pct(self.mean_corruption_accuracy())
            ));
        for r in &self.rows {
            let mut row = vec![r.corruption.name().to_string()];
            row.extend(r.accuracy.iter().map(|&a| pct(a)));
            row.push(pct(r.mean()));
            t.push(row);
        }
        let mut clean = vec!["clean".to_string()];
        clean.extend(std::iter::repeat_n(String::new(), 5));
        clean.push(pct(self.clean));
        t.push(clean);
        let mut mean = vec!["mean corruption".to_string()];
        mean.extend((0..MAX_SEVERITY as usize).map(|i| {
            let n = self.rows.len().max(1) as f64;
            pct(self.rows.iter().map(|r| r.accuracy[i]).sum::<f64>() / n)
        }));
        mean.push(pct(self.mean_corruption_accuracy()));
        t.push(mean);
        t
    }

    /// Converts to an [`Html`] value that shows inline in evcxr.
    pub fn to_display(&self) -> Html {
        self.table().to_display()
    }

    /// Shows the table inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

impl fmt::Display for RobustnessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table().to_text())
    }
}

/// Several models side by side: one row per corruption with each model's
/// mean accuracy over severities 1–5, then clean and the mean corruption
/// accuracy.
pub fn comparison_table(reports: &[&RobustnessReport]) -> Table {
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    let mut header = vec!["corruption (mean of severities 1–5)".to_string()];
    header.extend(reports.iter().map(|r| r.model.clone()));
    let mut t = Table::new(header).with_caption(format!(
        "Accuracy under each corruption: {}",
        reports
            .iter()
            .map(|r| format!("{} ({} images of {})", r.model, r.n_images, r.data))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    for c in Corruption::ALL.iter() {
        let mut row = vec![c.name().to_string()];
        row.extend(reports.iter().map(|r| {
            r.rows
                .iter()
                .find(|row| row.corruption == *c)
                .map_or("—".to_string(), |row| pct(row.mean()))
        }));
        t.push(row);
    }
    let mut clean = vec!["clean".to_string()];
    clean.extend(reports.iter().map(|r| pct(r.clean)));
    t.push(clean);
    let mut mean = vec!["mean corruption".to_string()];
    mean.extend(reports.iter().map(|r| pct(r.mean_corruption_accuracy())));
    t.push(mean);
    t
}

/// Correct predictions of `predict` on `images` (in chunks of 1,024).
fn correct<E: fmt::Display>(
    predict: &mut impl FnMut(&Tensor) -> Result<Tensor, E>,
    images: &Tensor,
    targets: &Tensor,
    what: &dyn Fn() -> String,
) -> Result<i64, RobustnessError> {
    let n = images.size()[0];
    let mut total = 0;
    let mut start = 0;
    while start < n {
        let len = CHUNK.min(n - start);
        let p = predict(&images.narrow(0, start, len)).map_err(|e| RobustnessError::Predictor {
            what: what(),
            reason: e.to_string(),
        })?;
        if p.size() != [len, NUM_CLASSES as i64] {
            return Err(RobustnessError::BadPredictions {
                shape: p.size(),
                n: len,
            });
        }
        let hits = p
            .to_device(Device::Cpu)
            .argmax(-1, false)
            .eq_tensor(&targets.narrow(0, start, len))
            .sum(Kind::Int64);
        total += hits.int64_value(&[]);
        start += len;
    }
    Ok(total)
}

/// Evaluates a predictor (images `N×1×28×28` in `[0, 1]` → `N×24`
/// probabilities or scores; called with at most 1,024 images at a time) on
/// `data` as it is and under every corruption at severities 1..=5, with the
/// corruptions' random draws from `seed`. `progress(done, total)` is called
/// after each of the 66 steps. Deterministic for a seed and a deterministic
/// predictor.
pub fn evaluate_robustness<E: fmt::Display>(
    model: &str,
    mut predict: impl FnMut(&Tensor) -> Result<Tensor, E>,
    data: &Dataset,
    seed: u64,
    mut progress: impl FnMut(usize, usize),
) -> Result<RobustnessReport, RobustnessError> {
    if data.is_empty() {
        return Err(RobustnessError::Empty {
            name: data.name.clone(),
        });
    }
    let n = data.len();
    let images = data.images();
    let targets = data.targets();
    let steps = 1 + Corruption::ALL.len() * MAX_SEVERITY as usize;
    let clean = correct(&mut predict, &images, &targets, &|| "clean images".into())?;
    progress(1, steps);
    let mut rows = Vec::with_capacity(Corruption::ALL.len());
    for (i, &c) in Corruption::ALL.iter().enumerate() {
        let mut accuracy = [0.0; MAX_SEVERITY as usize];
        for s in 1..=MAX_SEVERITY {
            // Mirror is the same at every severity: evaluate it once.
            accuracy[usize::from(s) - 1] = if c == Corruption::Mirror && s > 1 {
                accuracy[0]
            } else {
                let x = tch::no_grad(|| c.apply(&images, s, seed));
                let what = || format!("{c} severity {s}");
                correct(&mut predict, &x, &targets, &what)? as f64 / n as f64
            };
            progress(2 + i * MAX_SEVERITY as usize + usize::from(s) - 1, steps);
        }
        rows.push(CorruptionRow {
            corruption: c,
            accuracy,
        });
    }
    Ok(RobustnessReport {
        model: model.to_string(),
        data: data.name.clone(),
        n_images: n,
        seed,
        clean: clean as f64 / n as f64,
        rows,
    })
}

/// [`evaluate_robustness`] for a network of this crate on `device` (eval
/// mode, no gradients), with a line on stderr after each corruption.
pub fn evaluate_robustness_net(
    model: &str,
    net: &Net,
    device: Device,
    data: &Dataset,
    seed: u64,
) -> Result<RobustnessReport, RobustnessError> {
    let predict =
        |x: &Tensor| Ok::<_, RobustnessError>(crate::infer::predict_proba(net, x, device));
    evaluate_robustness(model, predict, data, seed, stderr_progress(model))
}

/// A progress callback that writes one line to stderr per corruption.
pub fn stderr_progress(model: &str) -> impl FnMut(usize, usize) + '_ {
    move |done, total| {
        if done == 1 || (done - 1) % MAX_SEVERITY as usize == 0 {
            let k = (done - 1) / MAX_SEVERITY as usize;
            let what = match k {
                0 => "clean",
                k => Corruption::ALL[k - 1].name(),
            };
            eprintln!("robustness {model}: {what} done ({done}/{total})");
        }
    }
}
