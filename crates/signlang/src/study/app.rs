//! Choosing the model for an app: every final configuration compared on
//! the validation half and its corrupted copies ([`crate::corrupt`]).
//!
//! The rule, fixed before any result is seen: a configuration must keep
//! its mean clean validation accuracy at or above [`CLEAN_FLOOR`]; among
//! those, the one with the highest mean accuracy under the corruptions
//! (its best seed, [`corrupt::IMAGES_PER_PHOTO`] images of each validation
//! photo) is chosen. Field photos play no part in it.

use super::finals::SeededFinal;
use super::{Study, StudyError, TestPredictions};
use crate::calibrate::{Calibration, Probs};
use crate::corrupt::{self, AbstainRow, RobustnessReport};
use crate::data::{Dataset, TestSplit};
use crate::display::Table;

/// Mean clean validation accuracy a configuration needs before its
/// robustness counts: the test half must stay at 99.5% or better.
pub const CLEAN_FLOOR: f64 = 0.995;

/// Severity of the corrupted validation copies that calibration is fitted on.
pub const CALIBRATION_SEVERITY: u8 = 3;

/// Seed of the corruptions' random draws on the validation half.
pub const VALIDATION_CORRUPTION_SEED: u64 = 7;

/// One final configuration with its best seed's robustness on validation.
#[derive(Clone, Debug)]
pub struct AppCandidate {
    /// The configuration and its seeds.
    pub config: SeededFinal,
    /// Its best seed on corrupted copies of the validation half.
    pub robustness: RobustnessReport,
}

impl AppCandidate {
    /// Whether the configuration keeps the clean accuracy the rule asks for.
    pub fn eligible(&self) -> bool {
        self.config.mean() >= CLEAN_FLOOR
    }

    /// Mean accuracy under the corruptions (validation).
    pub fn corrupted(&self) -> f64 {
        self.robustness.mean_corruption_accuracy()
    }
}

impl Study {
    /// Predictions of run `id` on a data set that is not the test split
    /// (validation, for calibration); nothing is recorded.
    pub fn predictions_on(
        &self,
        id: &str,
        data: &Dataset,
        groups: &[u32],
    ) -> Result<TestPredictions, StudyError> {
        let probs = self.predictor(id)?(&data.images())?;
        TestPredictions::from_probabilities(id, &data.classes, groups, &probs)
    }

    /// Run `id`'s recorded weights, loaded once, as a predictor: images
    /// `N×1×28×28` in `[0, 1]` → class probabilities `N×24`.
    pub(crate) fn predictor(
        &self,
        id: &str,
    ) -> Result<impl FnMut(&tch::Tensor) -> Result<tch::Tensor, StudyError>, StudyError> {
        let (net, vs) = self.load_model(id)?;
        Ok(move |x: &tch::Tensor| Ok(crate::train::predict_proba(&net, x, vs.device())))
    }

    /// Run `id` on the validation half ([`corrupt::IMAGES_PER_PHOTO`]
    /// images of each photo) as it is and under every corruption.
    pub fn robustness_on_validation(
        &self,
        id: &str,
        validation: &Dataset,
        groups: &[u32],
    ) -> Result<RobustnessReport, StudyError> {
        let data = corrupt::photo_sample(validation, groups);
        let name = format!("{id} {}", self.get(id)?.spec.describe());
        let predict = self.predictor(id)?;
        let started = std::time::Instant::now();
        let report = corrupt::evaluate_robustness(
            &name,
            predict,
            &data,
            VALIDATION_CORRUPTION_SEED,
            |_, _| {},
        )
        .map_err(StudyError::robustness(id))?;
        println!(
            "{} ({:.0} s)",
            report.summary_line(),
            started.elapsed().as_secs_f64()
        );
        Ok(report)
    }
}

impl Study {
    /// Exports run `id`'s model to `dir` ([`crate::export::export_model_with`]).
    pub fn export_run(
        &self,
        id: &str,
        dir: impl AsRef<std::path::Path>,
        options: &crate::onnx::ExportOptions,
    ) -> Result<crate::export::ExportInfo, StudyError> {
        let (net, vs) = self.load_model(id)?;
        let spec = &self.get(id)?.spec;
        crate::export::export_model_with(dir, spec, &vs, &net, options).map_err(|source| {
            StudyError::Export {
                id: id.to_string(),
                source,
            }
        })
    }

    /// What the calibration of run `id` is fitted on: its probabilities on
    /// every validation image, and on [`corrupt::IMAGES_PER_PHOTO`] images
    /// of each validation photo under every corruption at severity
    /// [`CALIBRATION_SEVERITY`]. A model that makes no error on clean
    /// validation leaves temperature scaling nothing to fit; the corrupted
    /// copies bring the errors an app will meet. Nothing is recorded.
    pub fn calibration_data(
        &self,
        id: &str,
        validation: &Dataset,
        groups: &[u32],
    ) -> Result<(Vec<Probs>, Vec<u8>), StudyError> {
        let mut predict = self.predictor(id)?;
        let probs = predict(&validation.images())?;
        let clean = TestPredictions::from_probabilities(id, &validation.classes, groups, &probs)?;
        let data = corrupt::photo_sample(validation, groups);
        let versions = corrupt::corrupted_probabilities(
            predict,
            &data,
            CALIBRATION_SEVERITY,
            VALIDATION_CORRUPTION_SEED,
        )
        .map_err(StudyError::robustness(id))?;
        let (mut probs, mut truth) = (clean.probabilities, clean.truth);
        for (_, p) in versions.into_iter().skip(1) {
            probs.extend(p);
            truth.extend_from_slice(&data.classes);
        }
        Ok((probs, truth))
    }

    /// The abstain rule of `calibration` with run `id` on the test split
    /// ([`corrupt::IMAGES_PER_PHOTO`] images of each photo), clean and under
    /// every corruption at `severity`; recorded in the ledger like every
    /// test evaluation.
    pub fn abstain_on_test(
        &mut self,
        id: &str,
        test: &TestSplit,
        calibration: &Calibration,
        severity: u8,
        seed: u64,
    ) -> Result<Vec<AbstainRow>, StudyError> {
        self.check_evaluable(id)?;
        let data = corrupt::photo_sample(test.dataset(), test.groups());
        let predict = self.predictor(id)?;
        let rows = corrupt::abstain_under_corruptions(predict, &data, calibration, severity, seed)
            .map_err(StudyError::robustness(id))?;
        let clean = &rows[0].operating;
        let what = format!(
            "abstain rule (threshold {:.4}) under corruptions at severity {severity}, {} images",
            calibration.threshold,
            data.len()
        );
        self.record_test_touch(
            id,
            test,
            clean.correct_all as f64 / clean.n as f64,
            Some(what),
        )?;
        Ok(rows)
    }
}

/// Every configuration's best seed on corrupted validation photos, ranked
/// by the rule of this module: eligible first, then the higher mean
/// corruption accuracy, then the higher clean mean.
pub fn rank_for_apps(
    study: &Study,
    finals: &[SeededFinal],
    validation: &Dataset,
    groups: &[u32],
) -> Result<Vec<AppCandidate>, StudyError> {
    let mut out = finals
        .iter()
        .map(|f| {
            let robustness =
                study.robustness_on_validation(&f.best_run().id, validation, groups)?;
            Ok(AppCandidate {
                config: f.clone(),
                robustness,
            })
        })
        .collect::<Result<Vec<_>, StudyError>>()?;
    out.sort_by(|a, b| {
        b.eligible()
            .cmp(&a.eligible())
            .then(b.corrupted().total_cmp(&a.corrupted()))
            .then(b.config.mean().total_cmp(&a.config.mean()))
    });
    Ok(out)
}

/// The ranking as a table.
pub fn app_table(ranked: &[AppCandidate]) -> Table {
    let mut t = Table::new([
        "rank",
        "configuration",
        "best seed",
        "clean validation (mean of seeds)",
        "corrupted validation (mean)",
        "worst corruption",
        "eligible",
    ])
    .with_caption(format!(
        "Final configurations on validation and its corrupted copies: clean mean ≥ {:.1}% \
         required, then ranked by the mean under corruptions",
        100.0 * CLEAN_FLOOR
    ));
    for (i, c) in ranked.iter().enumerate() {
        let worst = c
            .robustness
            .rows
            .iter()
            .min_by(|a, b| a.mean().total_cmp(&b.mean()))
            .map_or("—".to_string(), |r| {
                format!("{} ({:.1}%)", r.corruption.name(), 100.0 * r.mean())
            });
        t.push([
            (i + 1).to_string(),
            c.config.name.trim_start_matches("final: ").to_string(),
            c.config.best_run().id.clone(),
            format!("{:.2}%", 100.0 * c.config.mean()),
            format!("{:.1}%", 100.0 * c.corrupted()),
            worst,
            if c.eligible() { "yes" } else { "no" }.to_string(),
        ]);
    }
    t
}
