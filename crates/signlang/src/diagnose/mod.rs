//! Why the model fails on real photos, and when it should say "unsure":
//! what it does with non-hand images ([`probes`]), real photos as it sees
//! them beside Sign-MNIST ([`photos`]), input variants scored on the photos
//! ([`variants`]), an "unsure" rule fitted on validation and probes only
//! ([`unsure`]), whether that rule earns its place on images it was not
//! fitted on ([`evidence`]: are the answered more often right than the
//! refused?), and a sentence generated from these measurements
//! ([`explanation`]).
//!
//! Field photos are measured here, never fitted on: every threshold and
//! choice comes from validation, its corrupted copies and the probes.

pub mod evidence;
pub mod explain;
mod measure;
pub mod photos;
pub mod probes;
pub mod readout;
#[cfg(test)]
mod tests;
pub mod unsure;
pub mod unsure_fit;
pub mod variants;

pub use evidence::{
    export_with_evidence, export_with_rule, judge, unsure_evidence, TEST_CORRUPTION_SEED,
};
pub use explain::{explanation, Findings};
pub use measure::{diagnose, Diagnosis};
pub use photos::{
    letter_averages, letter_averages_figure, nearest_summary, pixel_stats_table, FieldPhotos,
    Quantiles,
};
pub use probes::{ProbeKind, Probes};
pub use readout::{readout_table, Readout};
pub use unsure::{Candidate, FieldOutcome, UnsureInputs, UnsureStudy};
pub use variants::{variants_table, InputVariant, VariantScore};

use tch::{Device, Kind, Tensor};

use crate::model::Net;

/// Errors of the diagnosis.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    /// The study or its run failed.
    #[error(transparent)]
    Study(#[from] crate::study::StudyError),
    /// The field photos could not be read.
    #[error(transparent)]
    Field(#[from] crate::field::FieldError),
    /// Fitting the calibration failed.
    #[error(transparent)]
    Calibrate(#[from] crate::calibrate::CalibrateError),
    /// A set that must not be empty is.
    #[error("{0} is empty: pass at least one image")]
    Empty(String),
}

/// The model's logits and penultimate features of a set of images.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    /// `N` rows of 24 logits.
    pub logits: Vec<Vec<f32>>,
    /// `N` rows of features (the last linear layer's input).
    pub features: Vec<Vec<f32>>,
}

/// [`Outputs`] of `net` (on `device`) for `N×1×28×28` images in `[0, 1]`,
/// in eval mode, in batches of 256.
pub fn outputs(net: &Net, images: &Tensor, device: Device) -> Outputs {
    let _guard = tch::no_grad_guard();
    let n = images.size()[0];
    let mut out = Outputs::default();
    let mut start = 0;
    while start < n {
        let len = 256.min(n - start);
        let (l, f) = net.logits_and_features(&images.narrow(0, start, len).to_device(device));
        out.logits.extend(rows(&l));
        out.features.extend(rows(&f));
        start += len;
    }
    out
}

fn rows(t: &Tensor) -> Vec<Vec<f32>> {
    let t = t.to_device(Device::Cpu).to_kind(Kind::Float).contiguous();
    let width = t.size()[1] as usize;
    let flat = Vec::<f32>::try_from(t.view([-1])).unwrap_or_default();
    flat.chunks_exact(width.max(1))
        .map(<[f32]>::to_vec)
        .collect()
}

/// 28×28 pixels (`0..=255`) of `N×1×28×28` images in `[0, 1]`.
pub fn tensor_pixels(images: &Tensor) -> Vec<u8> {
    let t = (images.to_device(Device::Cpu).to_kind(Kind::Float) * 255.0)
        .round()
        .clamp(0.0, 255.0)
        .to_kind(Kind::Uint8)
        .contiguous();
    Vec::<u8>::try_from(t.view([-1])).unwrap_or_default()
}

/// Arg-max class of each row of logits.
pub fn argmax(logits: &[Vec<f32>]) -> Vec<u8> {
    logits
        .iter()
        .map(|row| (0..row.len()).fold(0, |b, i| if row[i] > row[b] { i } else { b }) as u8)
        .collect()
}

/// The `q` quantile (`0..=1`, nearest rank) of values; NaN when empty.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize]
}
