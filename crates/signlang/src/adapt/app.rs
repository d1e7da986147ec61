//! Adapting an exported model to an app developer's own labelled photos in
//! one call ([`adapt_export`], the `signlang adapt` command): hold out a
//! share of the source photos, fine-tune on the rest as a run of a small
//! study kept in the output folder ([`STUDY_SUBDIR`]), measure before and
//! after on the held-out photos, and write a full export.

use std::path::{Path, PathBuf};

use super::draw::holdout;
use super::export::{check_out_dir, export_adapted, AdaptedExport};
use super::photos::load_photos;
use super::tune::{adapt_run, fine_tune_config, score, Base};
use super::AdaptError;
use crate::evaluate::GroupedAccuracy;
use crate::study::{Run, Study, DEFAULT_BUDGET};
use crate::train::{Adapter, Progress, TrainConfig};

/// The study folder inside the output folder: its ledger records the
/// adaptation run, so asking again (with `force`) trains nothing.
pub const STUDY_SUBDIR: &str = ".adapt-study";

/// How [`adapt_export`] adapts.
#[derive(Debug)]
pub struct AdaptOptions {
    /// Share of each letter's source photos held out to measure (0.25).
    pub holdout: f64,
    /// Seed of the hold-out and of training (0).
    pub seed: u64,
    /// Most epochs (`None`: [`fine_tune_config`]'s 40).
    pub epochs: Option<usize>,
    /// Write over a non-empty output folder.
    pub force: bool,
    /// Progress of training.
    pub progress: Progress,
}

impl Default for AdaptOptions {
    fn default() -> Self {
        AdaptOptions {
            holdout: 0.25,
            seed: 0,
            epochs: None,
            force: false,
            progress: Progress::Lines,
        }
    }
}

/// What [`adapt_export`] did.
#[derive(Debug)]
pub struct AdaptOutcome {
    /// The adaptation run (cached when recorded before).
    pub run: Run,
    /// The study that holds it.
    pub study_dir: PathBuf,
    /// Training images and source photos.
    pub train: (usize, usize),
    /// Held-out images and source photos.
    pub held_out: (usize, usize),
    /// The exported model on the held-out photos.
    pub before: GroupedAccuracy,
    /// The adapted model on the held-out photos.
    pub after: GroupedAccuracy,
    /// The export.
    pub export: AdaptedExport,
}

/// Adapts the export in `model_dir` to the photos of `photos_dir` and
/// exports the result to `out` (see the module docs). Every check happens
/// before training: the export folder, the output folder, the photos, and
/// 2 source photos of each letter.
pub fn adapt_export(
    model_dir: &Path,
    photos_dir: &Path,
    out: &Path,
    options: AdaptOptions,
) -> Result<AdaptOutcome, AdaptError> {
    if !(options.holdout > 0.0 && options.holdout < 1.0) {
        return Err(AdaptError::BadShare(options.holdout));
    }
    let base = Base::from_export(model_dir)?;
    check_out_dir(out, options.force)?;
    let photos = load_photos(photos_dir)?;
    photos.require(2, "one to train on and one to hold out")?;
    let (kept, held) = holdout(&photos, options.holdout, options.seed);
    let (train, _) = photos.select("adapt", &kept);
    let (validation, held_groups) = photos.select("held-out photos", &held);
    let study_dir = out.join(STUDY_SUBDIR);
    let mut study = Study::open_or_create(&study_dir, DEFAULT_BUDGET)?;
    let defaults = fine_tune_config(options.seed);
    let config = TrainConfig {
        epochs: options.epochs.unwrap_or(defaults.epochs),
        ..defaults
    };
    let run = adapt_run(
        &mut study,
        &base,
        Adapter::FineTune,
        &config,
        &train,
        &validation,
        options.progress,
    )?;
    let before = score(&base.spec, &base.weights, &validation, &held_groups)?;
    let weights = study.weights_path(run.id())?;
    let after = score(&base.spec, &weights, &validation, &held_groups)?;
    let fitted_on = format!(
        "held-out photos of {} ({} images of {} source photos)",
        photos_dir.display(),
        validation.len(),
        held.len()
    );
    let export = export_adapted(&study, run.id(), &validation, &fitted_on, out, true)?;
    Ok(AdaptOutcome {
        run,
        study_dir,
        train: (train.len(), kept.len()),
        held_out: (validation.len(), held.len()),
        before,
        after,
        export,
    })
}
