//! A recorded run, loaded once ([`Study::load`]): its predictions, its
//! evaluations on data that is not the test split, its robustness on
//! validation, what its calibration is fitted on, and its export. Each
//! result is kept in the study's cache ([`Study::cache`]); the network is
//! built from the weights only when something must be computed. Looks at the test split stay
//! on [`Study`], which records them.

use std::cell::OnceCell;
use std::path::Path;

use tch::{nn, Tensor};

use super::app::{CALIBRATION_SEVERITY, VALIDATION_CORRUPTION_SEED};
use super::cached::WrittenExport;
use super::{RunEntry, Study, StudyError, TestPredictions};
use crate::cache::Key;
use crate::calibrate::Probs;
use crate::corrupt::{self, RobustnessReport};
use crate::data::Dataset;
use crate::evaluate::Evaluation;
use crate::export::{export_model_with, ExportInfo};
use crate::model::Net;
use crate::onnx::ExportOptions;

/// A recorded run with weights, bound to its study ([`Study::load`]).
pub struct LoadedRun<'s> {
    study: &'s Study,
    entry: &'s RunEntry,
    model: OnceCell<(Net, nn::VarStore)>,
}

impl Study {
    /// Run `id`, ready to predict, evaluate and export; fails when it is
    /// not recorded or kept no weights. Nothing is read until needed.
    pub fn load(&self, id: &str) -> Result<LoadedRun<'_>, StudyError> {
        self.check_evaluable(id)?;
        Ok(LoadedRun {
            study: self,
            entry: self.get(id)?,
            model: OnceCell::new(),
        })
    }
}

impl LoadedRun<'_> {
    /// The run's id.
    pub fn id(&self) -> &str {
        &self.entry.id
    }

    /// The run's ledger entry.
    pub fn entry(&self) -> &RunEntry {
        self.entry
    }

    /// The network with the recorded weights (CPU), read on first use.
    pub fn model(&self) -> Result<&(Net, nn::VarStore), StudyError> {
        if let Some(model) = self.model.get() {
            return Ok(model);
        }
        let model = self.study.load_model(self.id())?;
        Ok(self.model.get_or_init(|| model))
    }

    /// Class probabilities `N×24` of images `N×1×28×28` in `[0, 1]`.
    pub fn predict(&self, images: &Tensor) -> Result<Tensor, StudyError> {
        let (net, vs) = self.model()?;
        Ok(crate::infer::predict_proba(net, images, vs.device()))
    }

    /// A cache key for the evaluation `what` of this run ([`Study::cache_key`]).
    fn key(&self, what: &str) -> Result<Key, StudyError> {
        self.study.cache_key(what, self.id())
    }

    /// Predictions on a data set that is not the test split (validation,
    /// for calibration); nothing is recorded.
    pub fn predictions_on(
        &self,
        data: &Dataset,
        groups: &[u32],
    ) -> Result<TestPredictions, StudyError> {
        let probs = self.predict(&data.images())?;
        TestPredictions::from_probabilities(self.id(), &data.classes, groups, &probs)
    }

    /// The evaluation on a data set that is not the test split
    /// (validation, for example); nothing is recorded.
    pub fn evaluate_on(&self, data: &Dataset) -> Result<Evaluation, StudyError> {
        let failed = |source| StudyError::Evaluate {
            id: self.id().to_string(),
            source,
        };
        let key = self.key("predicted-classes")?.with(&data.fingerprint());
        let predicted: Vec<u8> = self.study.cache().get_or_compute(&key, || {
            let (net, vs) = self.model()?;
            crate::evaluate::predict_classes(net, data, vs.device()).map_err(failed)
        })?;
        Evaluation::from_predictions(&data.classes, &predicted).map_err(failed)
    }

    /// The run on the validation half ([`corrupt::IMAGES_PER_PHOTO`] images
    /// of each photo) as it is and under every corruption. Prints one line.
    pub fn robustness_on_validation(
        &self,
        validation: &Dataset,
        groups: &[u32],
    ) -> Result<RobustnessReport, StudyError> {
        let key = self
            .key("robustness-validation")?
            .with(&validation.fingerprint())
            .with(&groups)
            .with(&VALIDATION_CORRUPTION_SEED);
        let started = std::time::Instant::now();
        let report = self.study.cache().get_or_compute(&key, || {
            let data = corrupt::photo_sample(validation, groups);
            let name = format!("{} {}", self.id(), self.entry.spec.describe());
            let seed = VALIDATION_CORRUPTION_SEED;
            corrupt::evaluate_robustness(&name, |x| self.predict(x), &data, seed, |_, _| {})
                .map_err(StudyError::robustness(self.id()))
        })?;
        let seconds = started.elapsed().as_secs_f64();
        println!("{} ({seconds:.1} s)", report.summary_line());
        Ok(report)
    }

    /// What the run's calibration is fitted on: its probabilities on every
    /// validation image, and on [`corrupt::IMAGES_PER_PHOTO`] images of
    /// each validation photo under every corruption at severity
    /// [`CALIBRATION_SEVERITY`]. A model that makes no error on clean
    /// validation leaves temperature scaling nothing to fit; the corrupted
    /// copies bring the errors an app will meet. Nothing is recorded.
    pub fn calibration_data(
        &self,
        validation: &Dataset,
        groups: &[u32],
    ) -> Result<(Vec<Probs>, Vec<u8>), StudyError> {
        let key = self
            .key("calibration-data")?
            .with(&validation.fingerprint())
            .with(&groups)
            .with(&(CALIBRATION_SEVERITY, VALIDATION_CORRUPTION_SEED));
        self.study.cache().get_or_compute(&key, || {
            let clean = self.predictions_on(validation, groups)?;
            let data = corrupt::photo_sample(validation, groups);
            let (severity, seed) = (CALIBRATION_SEVERITY, VALIDATION_CORRUPTION_SEED);
            let versions =
                corrupt::corrupted_probabilities(|x| self.predict(x), &data, severity, seed)
                    .map_err(StudyError::robustness(self.id()))?;
            let (mut probs, mut truth) = (clean.probabilities, clean.truth);
            for (_, p) in versions.into_iter().skip(1) {
                probs.extend(p);
                truth.extend_from_slice(&data.classes);
            }
            Ok((probs, truth))
        })
    }

    /// Exports the model to `dir` ([`export_model_with`]). When the same
    /// weights were exported there with the same options by this build of
    /// the library, nothing is exported again: the files are left as they
    /// are when unchanged, or copied back from the cache when another
    /// export overwrote them.
    pub fn export(
        &self,
        dir: impl AsRef<Path>,
        options: &ExportOptions,
    ) -> Result<ExportInfo, StudyError> {
        let dir = dir.as_ref();
        let key = self.key("export")?.with(&dir).with(options);
        let cache = self.study.cache();
        let stash = cache.path(&key).map(|p| p.with_extension("files"));
        if let Some(written) = cache.get::<WrittenExport>(&key) {
            if written.intact() || stash.as_ref().is_some_and(|s| written.restore(s)) {
                return Ok(written.info);
            }
        }
        let (net, vs) = self.model()?;
        let info =
            export_model_with(dir, &self.entry.spec, vs, net, options).map_err(|source| {
                StudyError::Export {
                    id: self.id().to_string(),
                    source,
                }
            })?;
        let written = WrittenExport::of(info);
        cache.put(&key, &written);
        if let Some(stash) = &stash {
            written.keep(stash);
        }
        Ok(written.info)
    }
}
