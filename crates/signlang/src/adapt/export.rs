//! A full export of an adapted model (TorchScript, ONNX, safetensors,
//! spec, labels, README) with a `calibration.json` fitted on held-out
//! training photos, never on the measuring photos.

use std::path::Path;

use super::AdaptError;
use crate::calibrate::{Calibration, DEFAULT_TARGET};
use crate::data::Dataset;
use crate::export::{ExportInfo, ExportOptions};
use crate::study::Study;

/// What [`export_adapted`] wrote.
#[derive(Clone, Debug)]
pub struct AdaptedExport {
    /// The exported run.
    pub run_id: String,
    /// The files written by the export.
    pub info: ExportInfo,
    /// The calibration saved beside them.
    pub calibration: Calibration,
}

/// Fails with [`AdaptError::OutExists`] when `dir` holds anything and
/// `force` is false.
pub fn check_out_dir(dir: &Path, force: bool) -> Result<(), AdaptError> {
    let non_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if non_empty && !force {
        return Err(AdaptError::OutExists {
            dir: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Exports run `run_id` of `study` to `dir` (refused when `dir` holds
/// files, unless `force`), with a calibration (temperature and abstain
/// threshold at [`DEFAULT_TARGET`]) fitted on `holdout`, described as
/// `fitted_on`; the calibration also goes into `model.onnx`'s metadata.
pub fn export_adapted(
    study: &Study,
    run_id: &str,
    holdout: &Dataset,
    fitted_on: &str,
    dir: impl AsRef<Path>,
    force: bool,
) -> Result<AdaptedExport, AdaptError> {
    let dir = dir.as_ref();
    check_out_dir(dir, force)?;
    let (net, vs) = study.load_model(run_id)?;
    let probs = crate::infer::predict_proba(&net, &holdout.images(), vs.device());
    let rows = crate::infer::probability_rows(&probs).unwrap_or_default();
    let calibration = Calibration {
        fitted_on: fitted_on.to_string(),
        ..Calibration::fit(&rows, &holdout.classes, DEFAULT_TARGET)?
    };
    let options = ExportOptions {
        onnx_metadata: calibration.onnx_metadata(),
        ..Default::default()
    };
    let info = study.load(run_id)?.export(dir, &options)?;
    calibration.save(dir)?;
    Ok(AdaptedExport {
        run_id: run_id.to_string(),
        info,
        calibration,
    })
}

impl super::LearningCurve {
    /// Exports the best adapted model ([`super::LearningCurve::best`], chosen
    /// on the held-out training photos) with [`export_adapted`], its
    /// calibration fitted on those photos.
    pub fn export_best(
        &self,
        study: &Study,
        dir: impl AsRef<Path>,
        force: bool,
    ) -> Result<AdaptedExport, AdaptError> {
        let best = self.best().ok_or_else(|| AdaptError::EmptyFolder {
            dir: dir.as_ref().to_path_buf(),
        })?;
        let what = format!(
            "held-out training photos ({} images of {} source photos)",
            self.holdout.len(),
            self.holdout_groups
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len()
        );
        export_adapted(study, &best.run_id, &self.holdout, &what, dir, force)
    }
}
