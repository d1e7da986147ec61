//! Is the unsure rule worth having? A run's rule judged on images it was
//! not fitted on: the test half (source photos as the unit), corrupted
//! copies of test photos, and real photos ([`UnsureEvidence`], one row per
//! population). Touching the test half is recorded in the study's ledger.

use std::path::Path;

use super::measure::{corrupted_set, set_of};
use super::photos::FieldPhotos;
use super::unsure_fit::SetData;
use super::variants::InputVariant;
use super::{argmax, DiagnoseError};
use crate::calibrate::{
    real_photos_sentence, Calibration, Population, UnsureEvidence, REAL_PHOTOS_METADATA_KEY,
};
use crate::data::TestSplit;
use crate::study::{Study, CALIBRATION_SEVERITY};

/// Seed of the corruptions' random draws on the test photos (the one the
/// study's abstain table on the test half uses).
pub const TEST_CORRUPTION_SEED: u64 = 11;

/// The rule of `calibration` (its unsure rule when it has one, else its
/// threshold) on one set: its score with the images it refuses for
/// another reason (the input gate) ranked lowest, so that the rule's
/// operating point lies on the curve; its decisions; and the evidence.
pub fn judge(
    model: &str,
    population: Population,
    calibration: &Calibration,
    set: &SetData,
    groups: Option<&[u32]>,
) -> Result<UnsureEvidence, DiagnoseError> {
    let predicted = argmax(&set.outputs.logits);
    let correct: Vec<bool> = predicted
        .iter()
        .zip(&set.truth)
        .map(|(p, t)| p == t)
        .collect();
    let threshold = calibration
        .unsure
        .as_ref()
        .map_or(calibration.threshold, |r| r.threshold);
    let (mut scores, mut answered) = (Vec::new(), Vec::new());
    for (i, logits) in set.outputs.logits.iter().enumerate() {
        let (unsure, score) = calibration.decide(set.image(i), logits);
        answered.push(!unsure);
        scores.push(if unsure && score >= threshold {
            f64::MIN
        } else {
            score
        });
    }
    Ok(UnsureEvidence::new(
        model, population, &scores, &answered, &correct, groups,
    )?)
}

/// The rule of `calibration` with run `id` of `study`, named `model` in
/// the rows: on the test half, on every corruption of
/// [`crate::corrupt::IMAGES_PER_PHOTO`] images of each test photo (at
/// [`CALIBRATION_SEVERITY`], seed [`TEST_CORRUPTION_SEED`]), and on the
/// photos of `field_dir` when given. Recorded in the ledger like every
/// test evaluation; kept in the study's cache.
pub fn unsure_evidence(
    study: &mut Study,
    id: &str,
    model: &str,
    calibration: &Calibration,
    test: &TestSplit,
    field_dir: Option<&Path>,
) -> Result<Vec<UnsureEvidence>, DiagnoseError> {
    study.check_evaluable(id)?;
    let key = study
        .cache_key("unsure-evidence", id)?
        .with(&model)
        .with(calibration)
        .with(&test.fingerprint())
        .with(&test.groups())
        .with(&(CALIBRATION_SEVERITY, TEST_CORRUPTION_SEED))
        .with(&field_dir.map(crate::cache::folder_checksum));
    let rows: Vec<UnsureEvidence> = study.cache().get_or_compute(&key, || {
        evidence_uncached(study, id, model, calibration, test, field_dir)
    })?;
    let clean = &rows[0].test;
    let what =
        format!(
        "unsure rule judged (answered more often right than refused?): test half, corrupted test \
         copies{}",
        if field_dir.is_some() { ", real photos" } else { "" }
    );
    study.record_test_touch(id, test, clean.accuracy_all(), Some(what))?;
    Ok(rows)
}

fn evidence_uncached(
    study: &Study,
    id: &str,
    model: &str,
    calibration: &Calibration,
    test: &TestSplit,
    field_dir: Option<&Path>,
) -> Result<Vec<UnsureEvidence>, DiagnoseError> {
    let (net, vs) = study.load_model(id)?;
    let data = test.dataset();
    let clean = set_of(&net, &vs, data);
    let groups = test.groups();
    let mut rows = vec![judge(
        model,
        Population::TestHalf,
        calibration,
        &clean,
        Some(groups),
    )?];
    let (corrupted, photos) = corrupted_set(&net, &vs, data, groups, TEST_CORRUPTION_SEED);
    rows.push(judge(
        model,
        Population::CorruptedTest,
        calibration,
        &corrupted,
        Some(&photos),
    )?);
    if let Some(dir) = field_dir {
        let field = FieldPhotos::load(dir)?.dataset(InputVariant::Plain);
        let set = set_of(&net, &vs, &field);
        rows.push(judge(
            model,
            Population::RealPhotos,
            calibration,
            &set,
            None,
        )?);
    }
    Ok(rows)
}

/// Exports run `id` to `dir` with `calibration` (carrying the unsure rule)
/// in `model.onnx`'s metadata and as `calibration.json`
/// ([`export_with_evidence`] without evidence).
pub fn export_with_rule(
    study: &Study,
    id: &str,
    dir: &Path,
    calibration: &Calibration,
) -> Result<crate::export::ExportInfo, DiagnoseError> {
    export_with_evidence(study, id, dir, calibration, &[])
}

/// [`export_with_rule`], with what `evidence` says about real
/// photos ([`real_photos_sentence`]) in `model.onnx`'s metadata (key
/// [`REAL_PHOTOS_METADATA_KEY`]) and so in the export's README.
pub fn export_with_evidence(
    study: &Study,
    id: &str,
    dir: &Path,
    calibration: &Calibration,
    evidence: &[UnsureEvidence],
) -> Result<crate::export::ExportInfo, DiagnoseError> {
    let mut onnx_metadata = calibration.onnx_metadata();
    if let Some(sentence) = real_photos_sentence(evidence) {
        onnx_metadata.push((REAL_PHOTOS_METADATA_KEY.to_string(), sentence));
    }
    let options = crate::onnx::ExportOptions {
        onnx_metadata,
        ..Default::default()
    };
    let info = study.load(id)?.export(dir, &options)?;
    calibration.save(dir)?;
    Ok(info)
}
