//! The entry points the notebook calls: [`UnsureStudy::measure`] (the
//! unsure rule of a study's run) and [`diagnose`] (the whole diagnosis of
//! the field result), both reading the study only.

use std::path::Path;

use tch::nn::VarStore;

use super::photos::{nearest_summary, FieldPhotos, Quantiles};
use super::probes::{ProbeKind, Probes};
use super::readout::{probe_readouts, Readout};
use super::unsure::{UnsureInputs, UnsureStudy};
use super::unsure_fit::SetData;
use super::variants::{score_variants, InputVariant, VariantScore};
use super::{argmax, outputs, tensor_pixels, DiagnoseError, Findings};
use crate::calibrate::{softmax, Calibration, Probs, DEFAULT_TARGET};
use crate::corrupt::{per_photo_sample, Corruption, IMAGES_PER_PHOTO};
use crate::data::{Dataset, TestSplit};
use crate::model::Net;
use crate::study::app::VALIDATION_CORRUPTION_SEED;
use crate::study::{Study, CALIBRATION_SEVERITY};

pub(super) fn set_of(net: &Net, vs: &VarStore, data: &Dataset) -> SetData {
    SetData {
        outputs: outputs(net, &data.images(), vs.device()),
        pixels: data.pixels.clone(),
        truth: data.classes.clone(),
    }
}

/// Every corruption (at [`CALIBRATION_SEVERITY`], random draws from
/// `seed`) of [`crate::corrupt::IMAGES_PER_PHOTO`] images of each source
/// photo of `data`, and the source photo of each corrupted image.
pub(super) fn corrupted_set(
    net: &Net,
    vs: &VarStore,
    data: &Dataset,
    groups: &[u32],
    seed: u64,
) -> (SetData, Vec<u32>) {
    let idx = per_photo_sample(groups, IMAGES_PER_PHOTO);
    let sample = data.subset(&data.name, &idx);
    let images = sample.images();
    let (mut set, mut photos) = (SetData::default(), Vec::new());
    for c in Corruption::ALL {
        let x = tch::no_grad(|| c.apply(&images, CALIBRATION_SEVERITY, seed));
        let o = outputs(net, &x, vs.device());
        set.outputs.logits.extend(o.logits);
        set.outputs.features.extend(o.features);
        set.pixels.extend(tensor_pixels(&x));
        set.truth.extend_from_slice(&sample.classes);
        photos.extend(idx.iter().map(|&i| groups[i]));
    }
    (set, photos)
}

fn probabilities(sets: &[&SetData]) -> (Vec<Probs>, Vec<u8>) {
    let mut probs = Vec::new();
    let mut truth = Vec::new();
    for s in sets {
        for l in &s.outputs.logits {
            probs.push(softmax(
                &l.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
            ));
        }
        truth.extend_from_slice(&s.truth);
    }
    (probs, truth)
}

impl UnsureStudy {
    /// Loads run `id` of `study` (read only), fits today's calibration and
    /// every candidate rule on `validation` (with `groups`, its source
    /// photos), its corrupted copies and `probes`, and measures them on the
    /// photos of `field_dir` when given (never fitted on them).
    pub fn measure(
        study: &Study,
        id: &str,
        validation: &Dataset,
        groups: &[u32],
        probes: &Probes,
        field_dir: Option<&Path>,
    ) -> Result<UnsureStudy, DiagnoseError> {
        if validation.is_empty() {
            return Err(DiagnoseError::Empty("validation".into()));
        }
        let key = study
            .cache_key("unsure-study", id)?
            .with(&validation.fingerprint())
            .with(&groups)
            .with(&probes_key(probes))
            .with(&field_dir.map(crate::cache::folder_checksum));
        study.cache().get_or_compute(&key, || {
            Self::measure_uncached(study, id, validation, groups, probes, field_dir)
        })
    }

    fn measure_uncached(
        study: &Study,
        id: &str,
        validation: &Dataset,
        groups: &[u32],
        probes: &Probes,
        field_dir: Option<&Path>,
    ) -> Result<UnsureStudy, DiagnoseError> {
        let (net, vs) = study.load_model(id)?;
        let val = set_of(&net, &vs, validation);
        let (corrupted, _) =
            corrupted_set(&net, &vs, validation, groups, VALIDATION_CORRUPTION_SEED);
        let (probs, truth) = probabilities(&[&val, &corrupted]);
        let mut base = Calibration::fit(&probs, &truth, DEFAULT_TARGET)?;
        base.fitted_on = "validation split and its corrupted copies".into();
        let field = match field_dir {
            Some(dir) => Some(set_of(
                &net,
                &vs,
                &FieldPhotos::load(dir)?.dataset(InputVariant::Plain),
            )),
            None => None,
        };
        let inputs = UnsureInputs {
            validation: val,
            corrupted,
            probes: set_of(&net, &vs, &probes.data),
            probe_set: probes.clone(),
            field,
        };
        Ok(UnsureStudy::fit(&inputs, &base))
    }
}

/// Mean brightness and mean contrast of a set's images (values in `[0, 1]`).
fn mean_std(data: &Dataset) -> (f64, f64) {
    let stats: Vec<_> = (0..data.len())
        .map(|i| crate::calibrate::pixel_stats(data.image(i)))
        .collect();
    let n = stats.len().max(1) as f64;
    let mean = stats.iter().map(|s| s.mean).sum::<f64>() / n;
    (mean, stats.iter().map(|s| s.std).sum::<f64>() / n)
}

/// The diagnosis of the field result (see [`diagnose`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Diagnosis {
    /// Answers per probe kind, then on the field photos.
    pub readouts: Vec<Readout>,
    /// Distance to the nearest training image: test half, field photos.
    pub distances: (Quantiles, Quantiles),
    /// The input variants scored on the field photos (plain first).
    pub variants: Vec<VariantScore>,
    /// The measurements the explanation is made of.
    pub findings: Findings,
    /// The field photos at 28×28 (plain input), for tables and figures.
    pub field: Dataset,
}

/// Diagnoses run `id` on the photos of `field_dir`: answers on `probes` and
/// the photos, distances of the test half (its own nearest-neighbour
/// distances, [`TestSplit::distances_to`]) and the photos to `train`, and
/// every input variant (Sign-MNIST statistics from `train`). Reads the
/// study only.
/// Kept in the study's cache ([`Study::cache`]), keyed by the run's
/// weights, the data, the probes and every photo file.
pub fn diagnose(
    study: &Study,
    id: &str,
    train: &Dataset,
    test: &TestSplit,
    probes: &Probes,
    field_dir: &Path,
) -> Result<Diagnosis, DiagnoseError> {
    let key = study
        .cache_key("diagnosis", id)?
        .with(&train.fingerprint())
        .with(&test.fingerprint())
        .with(&probes_key(probes))
        .with(&crate::cache::folder_checksum(field_dir));
    study.cache().get_or_compute(&key, || {
        diagnose_uncached(study, id, train, test, probes, field_dir)
    })
}

/// What identifies a set of probes in a cache key.
fn probes_key(probes: &Probes) -> (String, String) {
    (probes.data.fingerprint(), format!("{:?}", probes.kinds))
}

fn diagnose_uncached(
    study: &Study,
    id: &str,
    train: &Dataset,
    test: &TestSplit,
    probes: &Probes,
    field_dir: &Path,
) -> Result<Diagnosis, DiagnoseError> {
    let (net, vs) = study.load_model(id)?;
    let photos = FieldPhotos::load(field_dir)?;
    let field = photos.dataset(InputVariant::Plain);
    let classify = |d: &Dataset| argmax(&outputs(&net, &d.images(), vs.device()).logits);
    let (mean, std) = mean_std(train);
    let variants = score_variants(
        &InputVariant::all(mean, std),
        |v| photos.dataset(v),
        classify,
    );
    let mut readouts = probe_readouts(probes, &outputs(&net, &probes.data.images(), vs.device()));
    let field_out = outputs(&net, &field.images(), vs.device());
    readouts.push(Readout::new("field photos", &field_out.logits));
    let test_d: Vec<f64> = test
        .distances_to(train)
        .into_iter()
        .map(f64::from)
        .collect();
    let distances = (Quantiles::of(&test_d), nearest_summary(&field, train));
    let plain = variants[0].correct as f64 / variants[0].n.max(1) as f64;
    let best_variant = variants[1..]
        .iter()
        .map(|v| {
            (
                v.name.clone(),
                100.0 * (v.correct as f64 / v.n.max(1) as f64 - plain),
            )
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let noise = readouts
        .iter()
        .find(|r| r.name == ProbeKind::WhiteNoise.name());
    let findings = Findings {
        field_accuracy: plain,
        test_median_distance: distances.0.median,
        field_median_distance: distances.1.median,
        best_variant,
        noise_letter: noise.map(Readout::most_predicted),
        field_letter: readouts.last().map(Readout::most_predicted),
        standardises_input: matches!(&study.get(id)?.spec, crate::model::ModelSpec::Cnn(c) if c.input_norm),
    };
    Ok(Diagnosis {
        readouts,
        distances,
        variants,
        findings,
        field,
    })
}

impl Diagnosis {
    /// Distance to the nearest training image, test half against field
    /// photos: median and 5–95% range (the measure the test half's
    /// near-copy check uses).
    pub fn distance_table(&self) -> crate::display::Table {
        let mut t = crate::display::Table::new(["photos", "median", "5%", "95%"]).with_caption(
            "Distance to the nearest training image at 28×28 (lower: more like the training photos)",
        );
        for (name, q) in [
            ("test half", self.distances.0),
            ("real photos", self.distances.1),
        ] {
            t.push([
                name.to_string(),
                format!("{:.2}", q.median),
                format!("{:.2}", q.q05),
                format!("{:.2}", q.q95),
            ]);
        }
        t
    }
}
