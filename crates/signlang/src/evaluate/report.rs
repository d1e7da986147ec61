//! The client's report: the brief's questions answered from the evidence,
//! and a recommendation generated from the same numbers.
//!
//! Every figure comes from the evaluations passed in; nothing is a constant.
//! The report says what each estimate covers: "photos like the test CSV"
//! (the same signers and setting as the training photos) is not "new
//! signers", and results on real photos, when given, stand beside the test
//! results, never merged into them.

use super::goals::{GoalCheck, Goals, Verdict};
use super::grouped::GroupedAccuracy;
use super::mcnemar::ClusteredMcNemar;
use super::metrics::{Confusion, Evaluation};
use super::tables::{design_effect_text, group_cell};
use crate::display::{escape, Html, Table};
use crate::letters::letter;

/// The second model, compared with the best on the same test images.
#[derive(Clone, Copy, Debug)]
pub struct Comparison<'a> {
    /// Its name (run id).
    pub name: &'a str,
    /// Its test evaluation.
    pub eval: &'a Evaluation,
    /// The clustered McNemar comparison, best as model A.
    pub test: &'a ClusteredMcNemar,
}

/// Test accuracies of every seed of one final configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedSpread {
    /// The configuration's name.
    pub name: String,
    /// `(run id, test accuracy)` per seed.
    pub runs: Vec<(String, f64)>,
}

impl SeedSpread {
    /// `(min, mean, max)` of the accuracies.
    pub fn range(&self) -> (f64, f64, f64) {
        let v: Vec<f64> = self.runs.iter().map(|r| r.1).collect();
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min, mean, max)
    }
}

impl std::fmt::Display for SeedSpread {
    /// `"final: cnn …: test accuracy over 3 seeds: mean 99.90%, range 99.80–100.00%"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (lo, mean, hi) = self.range();
        write!(
            f,
            "{}: test accuracy over {} seeds: mean {:.2}%, range {:.2}–{:.2}%",
            self.name,
            self.runs.len(),
            100.0 * mean,
            100.0 * lo,
            100.0 * hi
        )
    }
}

/// Everything the report draws on. Only `best`, `best_name` and `goals` are
/// required; each optional part adds its answer and its sentence.
#[derive(Clone, Debug)]
pub struct ClientReport<'a> {
    /// The chosen model's test evaluation, with groups.
    pub best: &'a Evaluation,
    /// Its name (run id).
    pub best_name: &'a str,
    /// The client's goals.
    pub goals: Goals,
    /// The second model and the test between them.
    pub second: Option<Comparison<'a>>,
    /// Confusions on validation of the models named by
    /// [`ClientReport::validation_label`] (see
    /// [`ClientReport::with_chosen_validation`]), pooled.
    pub validation_confusions: Vec<Confusion>,
    /// Whose validation errors those are, e.g. "the chosen configuration's
    /// 3 seeds on validation".
    pub validation_label: String,
    /// The best model on test photos with no near-copy in the training CSV.
    pub novel: Option<GroupedAccuracy>,
    /// Share of test images within the grouping threshold of a training image.
    pub near_training_share: Option<f64>,
    /// Test accuracy across seeds, per chosen configuration.
    pub seeds: Vec<SeedSpread>,
    /// Sentences on real photos (app readiness), generated elsewhere.
    pub app_readiness: Vec<String>,
    /// Mean accuracy on corrupted copies of the test photos, when measured.
    pub corrupted: Option<f64>,
    /// The worst corruption and its mean accuracy, when measured.
    pub worst_corruption: Option<(String, f64)>,
    /// Accuracy on real photos of other people, when measured.
    pub field: Option<FieldLine>,
    /// Extra lines for the short answer (e.g. the app's unsure rule), as
    /// given by the caller, each at most one sentence.
    pub app_lines: Vec<String>,
    /// A recommendation sentence for the app, given by the caller; replaces
    /// the generated second sentence of the short answer's recommendation.
    pub app_recommendation: Option<String>,
}

/// Accuracy on real photos of other people, for the short answer.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldLine {
    /// Photos scored.
    pub n: usize,
    /// Accuracy.
    pub accuracy: f64,
    /// 95% interval (source photo as the unit; signers unknown).
    pub ci: super::intervals::Interval,
}

/// Photos of one letter, all read right, needed before its exact 95% lower
/// bound exceeds `goal`.
pub fn photos_needed(goal: f64) -> usize {
    // Clopper–Pearson with k = n: lower bound = 0.025^(1/n).
    (1..10_000)
        .find(|&n| 0.025f64.powf(1.0 / n as f64) > goal)
        .unwrap_or(10_000)
}

pub(crate) fn confusion_list(c: &[Confusion], k: usize) -> String {
    c.iter()
        .take(k)
        .map(|c| format!("{}→{} ({})", letter(c.truth), letter(c.predicted), c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> ClientReport<'a> {
    /// A report with only the required parts.
    pub fn new(best: &'a Evaluation, best_name: &'a str, goals: Goals) -> Self {
        ClientReport {
            best,
            best_name,
            goals,
            second: None,
            validation_confusions: Vec::new(),
            validation_label: String::new(),
            novel: None,
            near_training_share: None,
            seeds: Vec::new(),
            app_readiness: Vec::new(),
            corrupted: None,
            worst_corruption: None,
            field: None,
            app_lines: Vec::new(),
            app_recommendation: None,
        }
    }

    /// The goal check of the best model.
    pub fn goal_check(&self) -> GoalCheck {
        self.best.goal_check(&self.goals)
    }

    /// The most common error, answered honestly when the best model has none.
    pub fn most_common_error(&self) -> String {
        if self.best.most_common_confusion().is_some() {
            return format!(
                "{} ({})",
                self.best.most_common_error_text(),
                self.best_name
            );
        }
        let mut s = format!(
            "{} made no errors on the test images, so it has no most common error.",
            self.best_name
        );
        if let Some(sec) = &self.second {
            s += &match sec.eval.most_common_confusion() {
                Some(_) => format!(
                    " The second model {} made {}: {}.",
                    sec.name,
                    sec.eval.errors(),
                    confusion_list(&sec.eval.confusions(), 5)
                ),
                None => format!(" Nor did the second model {}.", sec.name),
            };
        }
        if !self.validation_confusions.is_empty() {
            let whose = if self.validation_label.is_empty() {
                "the final models on validation"
            } else {
                self.validation_label.as_str()
            };
            s += &format!(
                " Pooled over {whose}, the most common errors are {}.",
                confusion_list(&self.validation_confusions, 3)
            );
        }
        s
    }

    /// The answers about the best model alone: `(question, answer)`.
    fn best_answers(&self) -> Vec<[String; 2]> {
        let b = self.best;
        let mut rows = vec![[
            "accuracy (unbiased estimate)".to_string(),
            format!(
                "{:.2}% ({} of {}); 95% CI per source photo {}; per image {} (too narrow: \
                 near-copies are not independent)",
                100.0 * b.accuracy,
                b.correct,
                b.n,
                group_cell(b.grouped.as_ref()),
                b.ci.percent()
            ),
        ]];
        if let Some(g) = &b.grouped {
            rows.push(["how much evidence".to_string(), design_effect_text(g)]);
        }
        rows.push([
            "letter with the lowest accuracy".to_string(),
            b.lowest_letter_text(),
        ]);
        rows.push(["most common error".to_string(), self.most_common_error()]);
        rows
    }

    /// The answers from the further evidence given (second model, seeds,
    /// real photos, photos without near-copies): `(question, answer)`.
    fn further_answers(&self) -> Vec<[String; 2]> {
        let mut rows = Vec::new();
        if let Some(sec) = &self.second {
            rows.push([
                format!("{} significantly better than {}?", self.best_name, sec.name),
                sec.test.verdict(self.best_name, sec.name, 0.05),
            ]);
        }
        for s in &self.seeds {
            let (lo, mean, hi) = s.range();
            rows.push([
                format!("{}: test accuracy over {} seeds", s.name, s.runs.len()),
                format!(
                    "mean {:.2}%, range {:.2}–{:.2}%",
                    100.0 * mean,
                    100.0 * lo,
                    100.0 * hi
                ),
            ]);
        }
        if let Some(first) = self.app_readiness.first() {
            rows.push([
                "would an app work? (real photos)".to_string(),
                first.clone(),
            ]);
        }
        if let Some(n) = &self.novel {
            rows.push([
                "photos with no near-copy in the training CSV".to_string(),
                format!("{}; 95% CI {}", n.point(), n.group_text()),
            ]);
        }
        rows
    }

    /// The brief's questions and their answers.
    pub fn answers(&self) -> Table {
        let b = self.best;
        let mut t = Table::new(["the client asked", "answer"]).with_caption(format!(
            "Results on {} held-out test images{}: photos like the test CSV, not new signers",
            b.n,
            b.grouped.as_ref().map_or(String::new(), |g| format!(
                " from {} source photos",
                g.groups
            ))
        ));
        for row in self
            .best_answers()
            .into_iter()
            .chain(self.further_answers())
        {
            t.push(row);
        }
        t
    }

    /// The recommendation, paragraph by paragraph.
    pub fn recommendation(&self) -> Vec<String> {
        let mut p = vec![self.what_is_shown(), self.per_letter_paragraph()];
        p.push(self.improvement_paragraph());
        p.push(self.what_is_not_shown());
        if !self.app_readiness.is_empty() {
            p.push(self.app_readiness.join(" "));
        }
        p.push(self.what_would_show_it());
        p
    }

    fn what_is_shown(&self) -> String {
        let check = self.goal_check();
        let b = self.best;
        let unit = if check.by_photo {
            "source photos"
        } else {
            "images"
        };
        let mut s = format!(
            "For photos like the test CSV, {} reads {:.2}% of the held-out test images; \
             counting {unit} as the unit, the 95% interval is {}. ",
            self.best_name,
            100.0 * b.accuracy,
            check.ci.percent()
        );
        s += &format!(
            "The overall goal of {:.0}% is {}. ",
            100.0 * self.goals.overall,
            check.overall.words()
        );
        s
    }

    fn per_letter_paragraph(&self) -> String {
        let check = self.goal_check();
        let need = photos_needed(self.goals.per_letter);
        let photos: Vec<usize> = check.letters.iter().map(|l| l.photos).collect();
        let (lo, hi) = (
            photos.iter().copied().min().unwrap_or(0),
            photos.iter().copied().max().unwrap_or(0),
        );
        let not_met: Vec<String> = check
            .letters_with(Verdict::NotMet)
            .iter()
            .map(|l| format!("{} ({:.1}%)", l.letter, 100.0 * l.accuracy))
            .collect();
        let mut s = format!(
            "The per-letter goal of {:.0}% is {}: {} letters meet it with their whole interval, \
             {} on the point estimate only, {} not at all{}. ",
            100.0 * self.goals.per_letter,
            check.letters_verdict().words(),
            check.letters_with(Verdict::Met).len(),
            check.letters_with(Verdict::PointOnly).len(),
            not_met.len(),
            if not_met.is_empty() {
                String::new()
            } else {
                format!(" ({})", not_met.join(", "))
            }
        );
        if check.by_photo {
            s += &format!(
                "Each letter rests on only {lo}–{hi} source photos in the test half; showing a \
                 letter above {:.0}% with its whole interval needs at least {need} photos of it, \
                 all read right.",
                100.0 * self.goals.per_letter
            );
        }
        s
    }

    /// What small further development would likely give, from the errors.
    fn improvement_paragraph(&self) -> String {
        let b = self.best;
        if b.errors() == 0 {
            return "The model made no errors on the test images, so these data cannot show \
                    where it would improve; only new, independent photos can."
                .to_string();
        }
        let top: Vec<Confusion> = b.confusions().into_iter().take(5).collect();
        let top_sum: usize = top.iter().map(|c| c.count).sum();
        let share = top_sum as f64 / b.errors() as f64;
        let mut s = format!(
            "The {} errors are {}: the {} most common confusions ({}) make up {:.0}% of them. ",
            b.errors(),
            if share >= 0.5 {
                "concentrated"
            } else {
                "spread over many letter pairs"
            },
            top.len(),
            confusion_list(&top, 5),
            100.0 * share
        );
        let lift: f64 = b
            .letters
            .iter()
            .filter(|l| l.n > 0 && l.accuracy <= self.goals.per_letter)
            .map(|l| (self.goals.per_letter * l.n as f64 - l.correct as f64).max(0.0))
            .sum();
        if lift > 0.0 {
            s += &format!(
                "Lifting only the letters below {:.0}% to that level would raise overall accuracy \
                 to about {:.2}%. ",
                100.0 * self.goals.per_letter,
                100.0 * (b.correct as f64 + lift) / b.n as f64
            );
        }
        s += if b.accuracy >= self.goals.overall - 0.03 {
            "Small, targeted steps may close the gap on photos like these: more photos of the \
             confused letters and augmentation that mimics their differences."
        } else {
            "The model is far from the goals, so small steps will not be enough: a stronger \
             model and more varied training photos should come first."
        };
        s
    }

    fn what_is_not_shown(&self) -> String {
        let mut s = String::from(
            "What these numbers do not cover: every test photo comes from the same few signers, \
             backgrounds and camera as the training photos",
        );
        if let Some(share) = self.near_training_share {
            s += &format!(
                ", and {:.0}% of the test images have a near-copy in the training CSV",
                100.0 * share
            );
        }
        s += ". ";
        if let Some(n) = &self.novel {
            s += &format!(
                "On the test photos with no near-copy in training, accuracy is {:.1}% (95% CI {}). ",
                100.0 * n.accuracy,
                n.group_text()
            );
        }
        s += "None of this measures new signers, hands, lighting or cameras.";
        s
    }

    fn what_would_show_it(&self) -> String {
        format!(
            "What would show it: a field test on photos of new signers in the app's own \
             conditions, scored per photo, with at least {} photos of every letter (all read \
             right) before the per-letter goal can be claimed, and J and Z, which need motion, \
             handled separately.",
            photos_needed(self.goals.per_letter)
        )
    }

    /// The answers, the goal table and the recommendation.
    pub fn to_display(&self) -> Html {
        let (answers, goals) = (self.answers(), self.goal_check().headline_table());
        let rec = self.recommendation();
        let html = format!(
            "{}{}{}",
            answers.to_html(),
            goals.to_html(),
            rec.iter()
                .map(|s| format!("<p>{}</p>", escape(s)))
                .collect::<String>()
        );
        let text = format!("{answers}\n{goals}\n{}", rec.join("\n\n"));
        Html::new(html, text)
    }

    /// Shows [`ClientReport::to_display`] inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}
