//! The evidence for an unsure rule, one row per model × population (the
//! test half, its corrupted copies, real photos): what the rule answers,
//! how right the answered and the refused are, the AUROC of its score, and
//! the verdict ([`super::UnsureTest`]); as a table and in words.

use serde::{Deserialize, Serialize};

use super::selective::{
    p_text, p_words, percent, RiskCoverage, UnsureTest, CANNOT_TELL_ON_REAL_PHOTOS,
};
use super::CalibrateError;
use crate::display::Table;

/// Images a rule is judged on, never those it was fitted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Population {
    /// The test half (about 16 images of each source photo).
    TestHalf,
    /// Corrupted copies of test photos (every corruption).
    CorruptedTest,
    /// Real photos of other people (one image per photo).
    RealPhotos,
}

impl Population {
    /// `"test half"`, `"corrupted test copies"`, `"real photos"`.
    pub fn name(self) -> &'static str {
        match self {
            Population::TestHalf => "test half",
            Population::CorruptedTest => "corrupted test copies",
            Population::RealPhotos => "real photos",
        }
    }

    /// The name in a table row: real photos with their number
    /// (`"190 real photos"`).
    pub fn label(self, images: usize) -> String {
        match self {
            Population::RealPhotos => format!("{images} real photos"),
            other => other.name().to_string(),
        }
    }
}

/// One model's unsure rule on one population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnsureEvidence {
    /// The model (and rule), as named in tables and the figure.
    pub model: String,
    /// The images.
    pub population: Population,
    /// The curve of the rule's score (its operating point is `test`).
    pub curve: RiskCoverage,
    /// The rule's own decisions, tested.
    pub test: UnsureTest,
}

impl UnsureEvidence {
    /// The evidence of a rule: `scores` (higher = more sure), `answered`
    /// (the rule's decisions), `correct`, and the source photo of each
    /// image when a photo has several.
    pub fn new(
        model: &str,
        population: Population,
        scores: &[f64],
        answered: &[bool],
        correct: &[bool],
        groups: Option<&[u32]>,
    ) -> Result<UnsureEvidence, CalibrateError> {
        Ok(UnsureEvidence {
            model: model.to_string(),
            population,
            curve: RiskCoverage::new(scores, correct, groups)?,
            test: UnsureTest::new(answered, correct, groups)?,
        })
    }

    /// The population's name in a table row.
    pub fn label(&self) -> String {
        self.population.label(self.test.n)
    }

    /// `"model on 190 real photos: answers 6.8% (13 of 190): …; fails: …
    /// (AUROC 0.52)"`.
    pub fn summary(&self) -> String {
        format!(
            "{} on {}: {} (AUROC of its score {})",
            self.model,
            self.label(),
            self.test.summary(),
            auroc_text(self.curve.auroc)
        )
    }
}

fn auroc_text(a: Option<f64>) -> String {
    a.map_or("-".into(), |v| format!("{v:.2}"))
}

/// One row per model × population: answered share, accuracy of the
/// answered, the refused and all, AUROC, the one-sided photo-aware p and
/// the verdict.
pub fn evidence_table(rows: &[UnsureEvidence]) -> Table {
    let mut table = Table::new([
        "model",
        "photos",
        "images (photos)",
        "answered",
        "accuracy answered",
        "accuracy refused",
        "accuracy all",
        "AUROC",
        "p (one-sided, photo-aware)",
        "verdict",
    ])
    .with_caption(format!(
        "An unsure rule earns its place only if the images it answers are more often right than \
         those it refuses, on images it was not fitted on (p < {}, answering at least {:.0}%); \
         p from Fisher's exact test on the counts divided by the design effect of photos",
        super::PASS_P,
        100.0 * super::MIN_ANSWERED
    ));
    for r in rows {
        let t = &r.test;
        let deff = if t.design_effect > 1.0 {
            format!(" (design effect {:.1})", t.design_effect)
        } else {
            String::new()
        };
        table.push([
            r.model.clone(),
            r.label(),
            format!("{} ({})", t.n, t.photos),
            format!(
                "{} ({} of {})",
                percent(t.answered_share()),
                t.answered,
                t.n
            ),
            percent(t.accuracy_answered()),
            percent(t.accuracy_refused()),
            percent(t.accuracy_all()),
            auroc_text(r.curve.auroc),
            format!("{}{deff}", p_text(t.p)),
            t.verdict.words(),
        ]);
    }
    table
}

/// What the evidence says about real photos, in one sentence: `None`
/// without real photos; [`CANNOT_TELL_ON_REAL_PHOTOS`] when no rule passes
/// there; else which rule passes and by how much.
pub fn real_photos_sentence(rows: &[UnsureEvidence]) -> Option<String> {
    let real: Vec<&UnsureEvidence> = rows
        .iter()
        .filter(|r| r.population == Population::RealPhotos)
        .collect();
    if real.is_empty() {
        return None;
    }
    let passing = real.iter().find(|r| r.test.verdict.passes());
    Some(match passing {
        None => CANNOT_TELL_ON_REAL_PHOTOS.to_string(),
        Some(r) => format!(
            "on real photos the unsure rule of {} answers {} and its answers are more often right \
             than its refusals ({} against {}, {})",
            r.model,
            percent(r.test.answered_share()),
            percent(r.test.accuracy_answered()),
            percent(r.test.accuracy_refused()),
            p_words(r.test.p)
        ),
    })
}
