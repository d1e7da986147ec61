//! App readiness: would an app read real photos? The evidence beside the
//! test result — real photos of other people, corrupted test photos and the
//! abstain rule — and the sentences the client report draws from it.
//!
//! Everything here is measured elsewhere ([`crate::field`],
//! [`crate::corrupt`], [`crate::calibrate`]) and only put into words here,
//! so every figure in the recommendation comes from the data. Real-photo
//! results stand beside the test results and are never merged into them.

use crate::calibrate::Operating;
use crate::corrupt::RobustnessReport;
use crate::display::Table;
use crate::evaluate::{photos_needed, Goals, Interval};
use crate::field::FieldReport;
use crate::NUM_CLASSES;

/// A model's result on a folder of real photos.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldResult {
    /// The model (run id and name).
    pub model: String,
    /// Where the photos came from.
    pub source: String,
    /// Photos scored.
    pub n: usize,
    /// Photos read right.
    pub correct: usize,
    /// 95% interval of the accuracy with the source photo as the unit
    /// ([`FieldReport::grouped`]); signers unknown, so photos of one signer
    /// count as independent.
    pub ci: Interval,
    /// Coverage and accuracy under the abstain rule, when the model has one.
    pub abstain: Option<Operating>,
}

impl FieldResult {
    /// The headline numbers of a field check; `None` when no photo was scored.
    pub fn new(model: &str, report: &FieldReport) -> Option<FieldResult> {
        let n = report.records.len();
        if n == 0 {
            return None;
        }
        let g = report.grouped()?;
        Some(FieldResult {
            model: model.to_string(),
            source: report.source.clone(),
            n,
            correct: g.correct,
            ci: g.group_ci,
            abstain: report.abstain(),
        })
    }

    /// Accuracy on all photos.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.n as f64
    }

    fn text(&self) -> String {
        format!(
            "{:.1}% ({}/{}, 95% CI {})",
            100.0 * self.accuracy(),
            self.correct,
            self.n,
            self.ci.percent()
        )
    }
}

/// The evidence on app readiness for the chosen model.
#[derive(Clone, Debug, Default)]
pub struct AppEvidence {
    /// The chosen model (run id and name).
    pub model: String,
    /// Its accuracy on the test half (photos like the test CSV).
    pub test_accuracy: f64,
    /// The chosen model on real photos.
    pub field: Option<FieldResult>,
    /// The model chosen on clean validation alone, on the same photos: the
    /// "before" of the robust recipes.
    pub field_before: Option<FieldResult>,
    /// The chosen model on corrupted copies of the test half.
    pub robustness: Option<RobustnessReport>,
    /// The abstain rule on the test half.
    pub abstain_test: Option<Operating>,
}

/// What the intervals of [`AppEvidence::table`] count as independent.
pub const UNITS_NOTE: &str = "Units: real-photo intervals count each source photo once, but \
     the signers are unknown, so photos of one signer count as independent; the abstain rule's \
     intervals count images (several per photo) as independent and are too narrow.";

/// Chance accuracy: one letter in 24.
const CHANCE: f64 = 1.0 / NUM_CLASSES as f64;

impl AppEvidence {
    /// The worst corruptions (mean accuracy over severities 1–5), lowest first.
    pub fn worst_corruptions(&self, k: usize) -> Vec<(String, f64)> {
        let Some(r) = &self.robustness else {
            return Vec::new();
        };
        let mut rows: Vec<(String, f64)> = r
            .rows
            .iter()
            .map(|row| (row.corruption.name().to_string(), row.mean()))
            .collect();
        rows.sort_by(|a, b| a.1.total_cmp(&b.1));
        rows.truncate(k);
        rows
    }

    /// The corrupted and real-photo figures of the short answer
    /// ([`crate::evaluate::ClientReport::with_app_figures`]) and the
    /// app-readiness sentences.
    pub fn report_figures(
        &self,
        goals: &Goals,
    ) -> (Option<f64>, Option<crate::evaluate::FieldLine>, Vec<String>) {
        let field = self.field.as_ref().map(|f| crate::evaluate::FieldLine {
            n: f.n,
            accuracy: f.accuracy(),
            ci: f.ci,
        });
        (
            self.robustness
                .as_ref()
                .map(|r| r.mean_corruption_accuracy()),
            field,
            self.sentences(goals),
        )
    }

    /// The evidence as a table: one row per kind of photo.
    pub fn table(&self) -> Table {
        let mut t = Table::new(["photos", "what they measure", "accuracy", "abstain rule"])
            .with_caption(format!(
                "Would an app work? {} on each kind of photo. {UNITS_NOTE}",
                self.model
            ));
        let op = |o: &Option<Operating>| o.as_ref().map_or("—".to_string(), Operating::summary);
        t.push([
            "test half".to_string(),
            "photos like the test CSV (same signers and rooms as training)".to_string(),
            format!("{:.2}%", 100.0 * self.test_accuracy),
            op(&self.abstain_test),
        ]);
        if let Some(r) = &self.robustness {
            t.push([
                "test half, corrupted".to_string(),
                format!(
                    "{} corruptions × {} severities (lighting, blur, noise, geometry, clutter)",
                    r.rows.len(),
                    crate::corrupt::MAX_SEVERITY
                ),
                format!("{:.1}% (mean)", 100.0 * r.mean_corruption_accuracy()),
                "—".to_string(),
            ]);
        }
        let same_model = match (&self.field, &self.field_before) {
            (Some(a), Some(b)) => a.model == b.model,
            _ => false,
        };
        for (what, f) in [
            ("real photos", &self.field),
            ("real photos, before", &self.field_before),
        ] {
            if what.ends_with("before") && same_model {
                continue;
            }
            if let Some(f) = f {
                t.push([
                    format!("{what}: {}", f.model),
                    format!("{} photos of other people ({})", f.n, f.source),
                    f.text(),
                    op(&f.abstain),
                ]);
            }
        }
        t
    }

    /// The app-readiness sentences of the client report, against the
    /// client's goals.
    pub fn sentences(&self, goals: &Goals) -> Vec<String> {
        let mut s = Vec::new();
        match &self.field {
            Some(f) => s.push(self.field_sentence(f, goals.overall)),
            None => s.push(
                "No real photos were scored (no field folder was given), so nothing here \
                 measures how an app would do on photos of new people."
                    .to_string(),
            ),
        }
        let worst = self.worst_corruptions(3);
        if let (Some(r), false) = (&self.robustness, worst.is_empty()) {
            let list: Vec<String> = worst
                .iter()
                .map(|(c, a)| format!("{c} ({:.1}%)", 100.0 * a))
                .collect();
            s.push(format!(
                "On corrupted copies of the test photos the mean accuracy is {:.1}%; the worst \
                 corruptions are {}.",
                100.0 * r.mean_corruption_accuracy(),
                list.join(", ")
            ));
        }
        if let Some(a) = &self.abstain_test {
            s.push(self.abstain_sentence(a));
        }
        s.push(format!(
            "Whatever the training data, an app needs a held-out field test of new signers \
             scored per photo, with at least {} photos of every letter to check the per-letter \
             goal.",
            photos_needed(goals.per_letter)
        ));
        s
    }

    fn field_sentence(&self, f: &FieldResult, overall_goal: f64) -> String {
        let mut s = format!(
            "On {} real photos of other people in ordinary rooms, {} reads {} (chance: {:.1}%), \
             against {:.2}% on photos like the test CSV.",
            f.n,
            f.model,
            f.text(),
            100.0 * CHANCE,
            100.0 * self.test_accuracy
        );
        if let Some(b) = self.field_before.as_ref().filter(|b| b.model != f.model) {
            s += &format!(
                " The model chosen on clean validation alone ({}) reads {}.",
                b.model,
                b.text()
            );
        }
        s += &if f.ci.hi < overall_goal {
            format!(
                " Even the interval's upper end ({:.1}%) is far below the {:.0}% goal. These \
                 photos' hand boxes were drawn by people, so an app that must find the hand \
                 itself would do no better. Why it fails, and what real training photos would \
                 buy, is measured in app.ipynb.",
                100.0 * f.ci.hi,
                100.0 * overall_goal
            )
        } else {
            format!(
                " The interval reaches the {:.0}% goal, but these photos are few and come \
                 from few people.",
                100.0 * overall_goal
            )
        };
        s
    }

    fn abstain_sentence(&self, a: &Operating) -> String {
        let mut s = format!(
            "An abstain rule (answer only when the calibrated confidence is at least {:.3}, \
             chosen on validation) answers {:.1}% of test images, {:.2}% of them right",
            a.threshold,
            100.0 * a.coverage,
            100.0 * a.accuracy
        );
        if let Some(fa) = self.field.as_ref().and_then(|f| f.abstain.as_ref()) {
            s += &if fa.accepted == 0 {
                "; on the real photos it answers none.".to_string()
            } else {
                field_abstain_words(fa)
            };
        } else {
            s += ".";
        }
        s
    }
}

/// The abstain rule on real photos, judged by what it is for: are the
/// photos it answers more often right than those it refuses
/// ([`crate::calibrate::UnsureTest`])?
fn field_abstain_words(fa: &Operating) -> String {
    use crate::calibrate::percent;
    let test = crate::calibrate::UnsureTest::from_counts(
        (fa.correct, fa.accepted),
        (fa.correct_all - fa.correct, fa.n - fa.accepted),
    );
    let verdict = if test.verdict.passes() {
        format!(
            ", so its answers are more often right than its refusals ({}), though that does \
             not make the model usable there",
            crate::calibrate::p_words(test.p)
        )
    } else {
        format!(
            " ({}): {}",
            test.verdict.words(),
            crate::calibrate::CANNOT_TELL_ON_REAL_PHOTOS
        )
    };
    format!(
        "; on the real photos it answers {}, {} of those right against {} of those it \
         refuses{verdict}.",
        percent(test.answered_share()),
        percent(test.accuracy_answered()),
        percent(test.accuracy_refused())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::clopper_pearson_interval;

    fn field(correct: usize, n: usize) -> FieldResult {
        FieldResult {
            model: "m".into(),
            source: "photos".into(),
            n,
            correct,
            ci: clopper_pearson_interval(correct, n, 0.95),
            abstain: None,
        }
    }

    #[test]
    fn low_field_accuracy_says_the_app_would_not_work() {
        let e = AppEvidence {
            model: "r001".into(),
            test_accuracy: 1.0,
            field: Some(field(28, 190)),
            field_before: Some(FieldResult {
                model: "before".into(),
                ..field(20, 190)
            }),
            ..Default::default()
        };
        let s = e.sentences(&Goals::default()).join(" ");
        assert!(s.contains("14.7% (28/190"), "{s}");
        assert!(s.contains("reads 10.5% (20/190"), "{s}");
        assert!(s.contains("far below the 96% goal"), "{s}");
        assert!(s.contains("chance: 4.2%"), "{s}");
        assert!(s.contains("at least 36 photos of every letter"), "{s}");
        assert_eq!(e.table().rows.len(), 3);
        // When the chosen model is the one chosen on clean validation, no "before".
        let mut same = e.clone();
        same.field_before = same.field.clone();
        assert_eq!(same.table().rows.len(), 2);
        // The abstain rule on real photos: better or not than all answers.
        let op = |accepted: usize, correct: usize| Operating {
            threshold: 0.8,
            n: 190,
            accepted,
            correct,
            correct_all: 28,
            coverage: accepted as f64 / 190.0,
            accuracy: correct as f64 / accepted as f64,
            ci: clopper_pearson_interval(correct, accepted, 0.95),
        };
        let mut with_rule = e.clone();
        with_rule.abstain_test = Some(op(190, 190));
        with_rule.field.as_mut().unwrap().abstain = Some(op(40, 3));
        let s = with_rule.sentences(&Goals::default()).join(" ");
        assert!(
            s.contains(
                "answers 21.1%, 7.5% of those right against 16.7% of those it refuses \
                 (answered not more accurate (p = 0.96)): on real photos this model cannot tell"
            ),
            "{s}"
        );
        with_rule.field.as_mut().unwrap().abstain = Some(op(40, 20));
        let s = with_rule.sentences(&Goals::default()).join(" ");
        assert!(
            s.contains("more often right than its refusals (p < 0.001)"),
            "{s}"
        );
        assert!(!same.sentences(&Goals::default())[0].contains("clean validation alone"));
    }

    #[test]
    fn high_field_accuracy_does_not_claim_failure_and_missing_field_is_said() {
        let e = AppEvidence {
            field: Some(field(189, 190)),
            ..Default::default()
        };
        assert!(e.sentences(&Goals::default())[0].contains("reaches the 96% goal"));
        let none = AppEvidence::default().sentences(&Goals::default());
        assert!(
            none[0].starts_with("No real photos were scored"),
            "{none:?}"
        );
    }
}
