//! Sign-MNIST alone, as far as it goes: training levers for real photos
//! (for example [`crate::study::recipes::domain_randomised`]) measured beside
//! the chosen model, on the validation half and its corrupted copies (how
//! they are judged) and on real photos (measured only, never chosen on).

use std::path::Path;

use crate::data::Dataset;
use crate::display::Table;
use crate::field::{self, FieldError};
use crate::onnx::ExportOptions;
use crate::readiness::FieldResult;
use crate::study::{Study, StudyError};

/// Errors of the lever comparison.
#[derive(Debug, thiserror::Error)]
pub enum LeverError {
    /// Loading, exporting or evaluating a run failed.
    #[error(transparent)]
    Study(#[from] StudyError),
    /// Scoring the real photos failed.
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// One run's figures.
#[derive(Clone, Debug)]
pub struct LeverRow {
    /// The run and what it is ("chosen" or the lever's label).
    pub name: String,
    /// Clean validation accuracy (the kept epoch's).
    pub validation: f64,
    /// Mean accuracy over the corruptions on validation photos.
    pub corrupted: f64,
    /// The real photos, when a folder was given.
    pub field: Option<FieldResult>,
}

/// Measures each run of `ids` on validation (clean and corrupted) and, when
/// `field_dir` is given, on its photos, with the run exported (without ONNX)
/// to `export-lever-<id>` in the study folder.
pub fn measure(
    study: &Study,
    ids: &[&str],
    validation: &Dataset,
    groups: &[u32],
    field_dir: Option<&Path>,
) -> Result<Vec<LeverRow>, LeverError> {
    let mut rows = Vec::new();
    for id in ids {
        let entry = study.get(id)?;
        let name = format!("{id} {}", entry.label.clone().unwrap_or_default());
        let robustness = study
            .load(id)?
            .robustness_on_validation(validation, groups)?;
        let field = match field_dir {
            Some(dir) => {
                let out = study.dir().join(format!("export-lever-{id}"));
                let options = ExportOptions {
                    onnx: false,
                    ..Default::default()
                };
                study.load(id)?.export(&out, &options)?;
                let report = field::check_export_cached(&out, dir, &study.cache())?;
                FieldResult::new(id, &report)
            }
            None => None,
        };
        rows.push(LeverRow {
            name,
            validation: entry.validation.as_ref().map_or(f64::NAN, |v| v.accuracy),
            corrupted: robustness.mean_corruption_accuracy(),
            field,
        });
    }
    Ok(rows)
}

/// The rows as a table: clean and corrupted validation, real photos with
/// their 95% interval (one photo = one source photo; signers unknown).
pub fn table(rows: &[LeverRow]) -> Table {
    let mut t = Table::new([
        "run",
        "clean validation",
        "corrupted validation",
        "real photos (95% CI)",
    ])
    .with_caption(
        "Levers from Sign-MNIST alone beside the chosen model: judged on validation and its \
         corrupted copies; real photos only measure them",
    );
    for r in rows {
        let field = r.field.as_ref().map_or("not measured".to_string(), |f| {
            format!(
                "{:.1}% ({}/{}) [{:.1}%, {:.1}%]",
                100.0 * f.accuracy(),
                f.correct,
                f.n,
                100.0 * f.ci.lo,
                100.0 * f.ci.hi
            )
        });
        t.push([
            r.name.clone(),
            format!("{:.2}%", 100.0 * r.validation),
            format!("{:.1}%", 100.0 * r.corrupted),
            field,
        ]);
    }
    t
}
