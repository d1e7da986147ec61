//! [`FieldReport`]: the scored photos of a field check, their accuracy,
//! per-letter results, confusions, the abstain rule, and their tables.

use std::path::PathBuf;

use crate::calibrate::{at_threshold, Operating, Probs};
use crate::display::{escape, Html, Table};
use crate::evaluate::{grouped_accuracy, Evaluation, GroupedAccuracy};
use crate::letters::letter;

use super::Prediction;

/// What the field intervals count as independent, in words for tables.
pub const FIELD_UNIT_NOTE: &str = "each source photo once (versions of one photo together); \
     the signers are unknown, so photos of one signer count as independent and the interval \
     may be too narrow";

/// A scored field photo.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldRecord {
    /// The true class, from the file name.
    pub truth: u8,
    /// The model's answer.
    pub prediction: Prediction,
}

impl FieldRecord {
    /// True when the predicted letter is the true one.
    pub fn correct(&self) -> bool {
        self.truth == self.prediction.predicted
    }
}

/// A file that could not be scored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldFailure {
    /// The file.
    pub file: PathBuf,
    /// The error, naming the file and the fix.
    pub error: String,
}

/// The result of a field check.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FieldReport {
    /// What was scored (a folder or "N files").
    pub source: String,
    /// The scored photos, in file order.
    pub records: Vec<FieldRecord>,
    /// The files that could not be scored.
    pub failures: Vec<FieldFailure>,
    /// The calibration's threshold and temperature, when the model has one.
    pub calibration: Option<(f64, f64)>,
    /// The calibration's unsure rule in words, when it has one (it then
    /// decides which photos are unsure instead of the threshold).
    pub unsure_rule: Option<String>,
}

impl FieldReport {
    /// True classes of the scored photos.
    pub fn truth(&self) -> Vec<u8> {
        self.records.iter().map(|r| r.truth).collect()
    }

    /// Probabilities of the scored photos (calibrated when the model is),
    /// for [`crate::calibrate`] and the calibration plots.
    pub fn probabilities(&self) -> Vec<Probs> {
        self.records
            .iter()
            .map(|r| r.prediction.probabilities)
            .collect()
    }

    /// Accuracy, per-letter statistics and confusions, with the source
    /// photos as groups (so every interval counts photos: exact
    /// Clopper–Pearson when each photo has one version); `None` when no
    /// photo was scored.
    pub fn evaluation(&self) -> Option<Evaluation> {
        let predicted: Vec<u8> = self
            .records
            .iter()
            .map(|r| r.prediction.predicted)
            .collect();
        Evaluation::from_predictions(&self.truth(), &predicted)
            .and_then(|e| e.with_groups(&self.source_photos()))
            .ok()
    }

    /// The source photo of each scored file, as a group id: files named
    /// `<LETTER>_<source>_<version>.jpg` are versions of photo
    /// `<LETTER>_<source>`; any other name is a photo of its own.
    pub fn source_photos(&self) -> Vec<u32> {
        let mut ids = std::collections::HashMap::new();
        self.records
            .iter()
            .map(|r| {
                let stem = r
                    .prediction
                    .file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let parts: Vec<&str> = stem.split('_').collect();
                let key = match parts.as_slice() {
                    [l, src, _version] => format!("{l}_{src}"),
                    _ => stem.clone(),
                };
                let next = ids.len() as u32;
                *ids.entry(key).or_insert(next)
            })
            .collect()
    }

    /// Accuracy with the source photo as the unit (versions of one photo
    /// count once; see [`FieldReport::source_photos`]); `None` when no
    /// photo was scored. The signers are unknown, so photos of one signer
    /// still count as independent.
    pub fn grouped(&self) -> Option<GroupedAccuracy> {
        if self.records.is_empty() {
            return None;
        }
        let right: Vec<bool> = self.records.iter().map(FieldRecord::correct).collect();
        Some(grouped_accuracy(&right, &self.source_photos()))
    }

    /// Coverage and accuracy under the abstain rule; `None` without a
    /// calibration or without scored photos.
    pub fn abstain(&self) -> Option<Operating> {
        let (threshold, _) = self.calibration?;
        let mut op = at_threshold(&self.probabilities(), &self.truth(), threshold).ok()?;
        if self.unsure_rule.is_some() {
            let answered: Vec<&FieldRecord> = self
                .records
                .iter()
                .filter(|r| !r.prediction.unsure)
                .collect();
            op.accepted = answered.len();
            op.correct = answered.iter().filter(|r| r.correct()).count();
            op.coverage = op.accepted as f64 / op.n.max(1) as f64;
            (op.accuracy, op.ci) =
                crate::evaluate::rate_with_exact_interval(op.correct, op.accepted);
        }
        Some(op)
    }

    /// The headline numbers.
    pub fn summary_table(&self) -> Table {
        let mut t = Table::new(["measure", "value"]).with_caption(format!(
            "Field check on {}: {} photos scored, {} failed",
            self.source,
            self.records.len(),
            self.failures.len()
        ));
        if let Some(g) = self.grouped() {
            t.push([
                "accuracy (95% CI, source photo as the unit)".to_string(),
                format!(
                    "{:.1}% ({}/{}) {} on {} source photos",
                    100.0 * g.accuracy,
                    g.correct,
                    g.n,
                    g.group_ci.percent(),
                    g.groups
                ),
            ]);
            t.push([
                "unit of the interval".to_string(),
                FIELD_UNIT_NOTE.to_string(),
            ]);
        }
        match (self.calibration, self.abstain()) {
            (Some((th, temp)), Some(op)) => {
                let rule = match &self.unsure_rule {
                    Some(rule) => format!("unsure rule ({rule})"),
                    None => format!("abstain rule (confidence ≥ {th:.4}, temperature {temp:.3})"),
                };
                t.push([rule, op.summary()]);
            }
            _ => t.push([
                "abstain rule",
                "no calibration.json: every image is answered",
            ]),
        }
        t
    }

    /// Per-letter accuracy with its 95% interval on source photos (exact
    /// Clopper–Pearson with one version per photo) and the most common
    /// wrong answer.
    pub fn per_letter_table(&self) -> Table {
        let mut t = Table::new([
            "letter",
            "photos",
            "correct",
            "accuracy",
            "95% CI",
            "often read as",
        ])
        .with_caption("Per letter");
        let Some(e) = self.evaluation() else {
            return t;
        };
        let confusions = e.confusions();
        for l in e.letters.iter().filter(|l| l.n > 0) {
            let worst = confusions
                .iter()
                .find(|c| c.truth == l.class)
                .map(|c| format!("{} ({})", letter(c.predicted), c.count))
                .unwrap_or_default();
            t.push([
                l.letter.to_string(),
                l.n.to_string(),
                l.correct.to_string(),
                format!("{:.0}%", 100.0 * l.accuracy),
                l.best_ci().percent(),
                worst,
            ]);
        }
        t
    }

    /// The `k` most common confusions (true → predicted).
    pub fn confusions_table(&self, k: usize) -> Table {
        let mut t = Table::new(["true", "read as", "photos"]).with_caption("Top confusions");
        for c in self
            .evaluation()
            .map(|e| e.confusions())
            .unwrap_or_default()
            .iter()
            .take(k)
        {
            t.push([
                letter(c.truth).to_string(),
                letter(c.predicted).to_string(),
                c.count.to_string(),
            ]);
        }
        t
    }

    /// The files that failed, with their errors.
    pub fn failures_table(&self) -> Table {
        let mut t = Table::new(["file", "error"]).with_caption("Files not scored");
        for f in &self.failures {
            t.push([f.file.display().to_string(), f.error.clone()]);
        }
        t
    }

    fn note() -> &'static str {
        "The interval assumes independent photos; photos of one person (or one session) are \
         not independent, so the true uncertainty is wider. Field photos measure the model; \
         they must not be used to choose models or thresholds."
    }

    /// The whole report as plain text.
    pub fn to_text(&self) -> String {
        let mut parts = vec![self.summary_table().to_text(), Self::note().to_string()];
        parts.push(self.per_letter_table().to_text());
        parts.push(self.confusions_table(10).to_text());
        if !self.failures.is_empty() {
            parts.push(self.failures_table().to_text());
        }
        parts.join("\n\n")
    }

    /// The whole report as HTML for the notebook.
    pub fn to_display(&self) -> Html {
        let mut html = self.summary_table().to_html();
        html += &format!("<p><em>{}</em></p>", escape(Self::note()));
        html += &self.per_letter_table().to_html();
        html += &self.confusions_table(10).to_html();
        if !self.failures.is_empty() {
            html += &self.failures_table().to_html();
        }
        Html::new(html, self.to_text())
    }

    /// Shows the report inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display();
    }
}

impl std::fmt::Display for FieldReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}
