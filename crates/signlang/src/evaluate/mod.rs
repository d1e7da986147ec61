//! Evaluation and statistics for the client's report.
//!
//! **The unit of evidence is the source photo.** The test CSV holds about 20
//! near-copies of each photo, so every accuracy gets a group-aware interval
//! beside the per-image one once the groups are known.
//!
//! | module | what |
//! |---|---|
//! | [`intervals`] | Wilson (per image) and Clopper–Pearson (exact; every count of photos) intervals for a proportion |
//! | [`grouped`] | accuracy with source photos as the unit: Clopper–Pearson on the effective number of photos, design effect |
//! | [`coverage`] | the group-aware interval's coverage and false-"met" rate, simulated ([`CoverageTable`]) |
//! | [`metrics`] | [`Evaluation`]: confusion matrix, per-letter statistics, lowest letters, confusions |
//! | [`tables`] | the summary and per-letter tables |
//! | [`mcnemar`] | McNemar per image, and clustered (Durkalski, sign test over photos, paired difference) |
//! | [`goals`] | the client's goals: met, met on the point estimate only, or not met |
//! | [`distance`] | accuracy by distance to the nearest training image, and on novel photos |
//! | [`report`] | the client's answers and the recommendation, generated from the numbers |
//! | [`answer`] | the client's short answer (≤ 150 words) and the report's one-expression builder |
//!
//! [`evaluate`] and [`predict_classes`] run a network on a [`Dataset`].

pub mod answer;
pub mod coverage;
pub mod distance;
pub mod goals;
pub mod grouped;
pub mod intervals;
pub mod mcnemar;
pub mod metrics;
pub mod report;
pub mod tables;

pub use answer::{ShortAnswer, SHORT_ANSWER_WORDS};
pub use coverage::{CoverageConfig, CoverageRow, CoverageTable};
pub use distance::{BandAccuracy, DistanceBands, BAND_EDGES};
pub use goals::{GoalCheck, Goals, LetterGoal, Verdict};
pub use grouped::{grouped_accuracy, GroupMethod, GroupedAccuracy};
pub use intervals::{
    clopper_pearson_interval, rate_with_exact_interval, rate_with_interval, wilson_interval,
    Interval,
};
pub use mcnemar::{clustered_mcnemar, mcnemar, mcnemar_p, ClusteredMcNemar, McNemar};
pub use metrics::{pooled_confusions, Confusion, Evaluation, LetterStats};
pub use report::{photos_needed, ClientReport, Comparison, FieldLine, SeedSpread};
pub use tables::{grouping_sensitivity, grouping_sensitivity_whole};

use tch::nn::ModuleT;
use tch::{Device, Kind};

use crate::data::Dataset;

/// Errors of the evaluation functions.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// Two class vectors that must describe the same images differ in length.
    #[error(
        "{what}: {a} truths but {b} predictions; both must list the same images in the same order"
    )]
    LengthMismatch {
        /// What was compared.
        what: &'static str,
        /// Length of the first vector.
        a: usize,
        /// Length of the second vector.
        b: usize,
    },
    /// A class index outside `0..24`.
    #[error("{what}: class {class} at position {index} is not one of the 24 letter classes 0..24")]
    BadClass {
        /// Which vector held it.
        what: &'static str,
        /// Position in the vector.
        index: usize,
        /// The bad value.
        class: u8,
    },
    /// Nothing to evaluate.
    #[error("no images to evaluate: the prediction vectors are empty")]
    Empty,
    /// The network failed on the data.
    #[error("running the network on {dataset}: {source}")]
    Torch {
        /// The dataset's name.
        dataset: String,
        /// The tch error.
        source: tch::TchError,
    },
}

/// Evaluates a network on a dataset: batched forward passes in eval mode
/// without gradients, argmax of the outputs, then
/// [`Evaluation::from_predictions`]. Works with any [`ModuleT`] that maps
/// `N×1×28×28` images in `[0, 1]` to `N×24` logits or probabilities.
pub fn evaluate(
    net: &impl ModuleT,
    data: &Dataset,
    device: Device,
) -> Result<Evaluation, EvaluateError> {
    let predicted = predict_classes(net, data, device)?;
    Evaluation::from_predictions(&data.classes, &predicted)
}

/// The predicted class of each image of `data` (argmax of the network's output).
pub fn predict_classes(
    net: &impl ModuleT,
    data: &Dataset,
    device: Device,
) -> Result<Vec<u8>, EvaluateError> {
    const BATCH: i64 = 512;
    let torch = |source| EvaluateError::Torch {
        dataset: data.name.clone(),
        source,
    };
    let images = data.images();
    let batches = tch::no_grad(|| {
        crate::runtime::in_batches(data.len() as i64, BATCH, |start, len| {
            let x = images.f_narrow(0, start, len).map_err(torch)?;
            let x = x.f_to_device(device).map_err(torch)?;
            let classes = net
                .forward_t(&x, false)
                .f_argmax(-1, false)
                .and_then(|t| t.f_to_device(Device::Cpu))
                .and_then(|t| t.f_to_kind(Kind::Int64))
                .map_err(torch)?;
            Vec::<i64>::try_from(&classes).map_err(torch)
        })
    })?;
    Ok(batches.into_iter().flatten().map(|c| c as u8).collect())
}
