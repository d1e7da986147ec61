//! The client's short answer: at most about 150 words of bullets, each a
//! number with its 95% interval and what it covers ("photos like the test
//! CSV", "corrupted", "real photos of other people"), then a recommendation
//! in two or three sentences. Every figure comes from the [`ClientReport`];
//! a goal is called met only when its whole interval is above it.
//!
//! [`ClientReport`]'s `with_*` methods build the report in one expression
//! from the evaluations the notebook already has.

use super::goals::Verdict;
use super::metrics::Evaluation;
use super::report::{ClientReport, Comparison, FieldLine, SeedSpread};
use super::GroupedAccuracy;
use crate::display::{escape, Html};

/// The most words [`ShortAnswer`] is meant to have.
pub const SHORT_ANSWER_WORDS: usize = 150;

/// The short answer: bullets, then the recommendation.
#[derive(Clone, Debug, PartialEq)]
pub struct ShortAnswer {
    /// One line per figure.
    pub bullets: Vec<String>,
    /// Two or three sentences.
    pub recommendation: String,
}

impl ShortAnswer {
    /// The answer as plain text: `- ` bullets, a blank line, the recommendation.
    pub fn to_text(&self) -> String {
        let bullets: Vec<String> = self.bullets.iter().map(|b| format!("- {b}")).collect();
        format!("{}\n\n{}\n", bullets.join("\n"), self.recommendation)
    }

    /// Words in [`ShortAnswer::to_text`].
    pub fn words(&self) -> usize {
        self.to_text()
            .split_whitespace()
            .filter(|w| *w != "-")
            .count()
    }

    /// The answer as an HTML list and paragraph (and text).
    pub fn to_display(&self) -> Html {
        let items: String = self
            .bullets
            .iter()
            .map(|b| format!("<li>{}</li>", escape(b)))
            .collect();
        Html::new(
            format!(
                "<ul>{items}</ul><p><b>{}</b></p>",
                escape(&self.recommendation)
            ),
            self.to_text(),
        )
    }

    /// Shows [`ShortAnswer::to_display`] inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

impl std::fmt::Display for ShortAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// `"[98.4%, 100.0%]"` as `"98.4–100.0%"`.
fn range(ci: super::Interval) -> String {
    format!("{:.1}–{:.1}%", 100.0 * ci.lo, 100.0 * ci.hi)
}

/// A goal's standing in words that never say "met" without the interval.
fn standing(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::PointOnly => "met on the point estimate only (the 95% range reaches below)",
        Verdict::NotMet => "not met",
    }
}

impl<'a> ClientReport<'a> {
    /// Adds the second model and its test against the best.
    pub fn with_second(mut self, second: Comparison<'a>) -> Self {
        self.second = Some(second);
        self
    }

    /// Adds the validation errors of the chosen configuration's seeds
    /// (`evals`: one evaluation per seed on validation), labelled as such.
    pub fn with_chosen_validation(mut self, config: &str, evals: &[Evaluation]) -> Self {
        self.validation_confusions = super::pooled_confusions(&evals.iter().collect::<Vec<_>>());
        self.validation_label = format!(
            "{}'s {} seed{} on validation",
            config.trim_start_matches("final: "),
            evals.len(),
            if evals.len() == 1 { "" } else { "s" }
        );
        self
    }

    /// Adds the accuracy on test photos with no near-copy in training, and
    /// the share of test images that have one.
    pub fn with_novel(mut self, novel: Option<GroupedAccuracy>, near_share: Option<f64>) -> Self {
        self.novel = novel;
        self.near_training_share = near_share;
        self
    }

    /// Adds the test accuracy of every seed, per chosen configuration.
    pub fn with_seeds(mut self, seeds: Vec<SeedSpread>) -> Self {
        self.seeds = seeds;
        self
    }

    /// Adds the corrupted and real-photo figures and the app sentences.
    pub fn with_app_figures(
        mut self,
        corrupted: Option<f64>,
        field: Option<FieldLine>,
        sentences: Vec<String>,
    ) -> Self {
        self.corrupted = corrupted;
        self.field = field;
        self.app_readiness = sentences;
        self
    }

    /// Adds the caller's app lines (short-answer bullets) and recommendation.
    pub fn with_app_note(mut self, lines: Vec<String>, recommendation: Option<String>) -> Self {
        self.app_lines = lines;
        self.app_recommendation = recommendation;
        self
    }

    /// Adds the worst corruption and its accuracy (e.g. the mirror image).
    pub fn with_worst_corruption(mut self, name: &str, accuracy: f64) -> Self {
        self.worst_corruption = Some((name.to_string(), accuracy));
        self
    }

    /// The short answer (see the module docs): photos of other people
    /// first (what an app meets), then photos like the test CSV, the
    /// letters, and corrupted photos, in words a manager reads.
    pub fn short_answer(&self) -> ShortAnswer {
        let check = self.goal_check();
        let b = self.best;
        let mut bullets = Vec::new();
        if let Some(f) = &self.field {
            bullets.push(format!(
                "Real photos of other people (what an app sees): {:.1}% right (95% range {}, \
                 {} photos; guessing gives 4%). Goal over {:.0}%: {}.",
                100.0 * f.accuracy,
                range(f.ci),
                f.n,
                100.0 * self.goals.overall,
                standing(Verdict::of(f.accuracy, f.ci, self.goals.overall))
            ));
        }
        let (ci, photos) = match &b.grouped {
            Some(g) => (g.group_ci, g.groups),
            None => (b.ci, b.n),
        };
        bullets.push(format!(
            "Photos like the dataset's own test photos (its camera, room and signers): {:.1}% \
             right (95% range {}, {photos} original photos). Goal over {:.0}%: {}, for such \
             photos only.",
            100.0 * b.accuracy,
            range(ci),
            100.0 * self.goals.overall,
            standing(check.overall)
        ));
        bullets.push(self.letters_line(&check));
        if let Some(c) = self.corrupted {
            let worst = self
                .worst_corruption
                .as_ref()
                .map_or(String::new(), |(n, a)| {
                    format!("; worst: {n}, {:.0}%", 100.0 * a)
                });
            bullets.push(format!(
                "Those photos blurred, darkened, mirrored or cluttered: {:.1}% on average{worst}.",
                100.0 * c
            ));
        }
        bullets.extend(self.app_lines.iter().cloned());
        ShortAnswer {
            bullets,
            recommendation: self.short_recommendation(check.overall),
        }
    }

    /// Every letter over the goal, with why it cannot be shown when it is not.
    fn letters_line(&self, check: &super::GoalCheck) -> String {
        let photos: Vec<usize> = check
            .letters
            .iter()
            .map(|l| l.photos)
            .filter(|&p| p > 0)
            .collect();
        let (lo, hi) = (
            photos.iter().min().copied().unwrap_or(0),
            photos.iter().max().copied().unwrap_or(0),
        );
        let needed = super::report::photos_needed(self.goals.per_letter);
        format!(
            "Every letter over {:.0}%: {}; each letter has {lo}–{hi} test photos, and showing \
             {:.0}% takes {needed} all read right.",
            100.0 * self.goals.per_letter,
            standing(check.letters_verdict()),
            100.0 * self.goals.per_letter
        )
    }

    fn short_recommendation(&self, overall: Verdict) -> String {
        let first = match overall {
            Verdict::Met => "The chosen model meets the overall goal only on photos like the \
                             dataset's own."
                .to_string(),
            _ => "The chosen model does not yet show the overall goal, even on photos like the \
                  dataset's own."
                .to_string(),
        };
        let second = match (&self.app_recommendation, &self.field) {
            (Some(r), _) => r.clone(),
            (None, Some(f)) if f.ci.hi < self.goals.overall => {
                "It is not ready for an app: on real photos of other people it falls far short; \
                 an app needs training photos of many signers taken the way the app takes them."
                    .to_string()
            }
            (None, Some(_)) => "Real photos of other people look promising; a larger field \
                                test of new signers should confirm it before an app."
                .to_string(),
            (None, None) => {
                "Real photos were not measured, so how an app would do is unknown.".to_string()
            }
        };
        format!("{first} {second}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{Goals, Interval};

    /// `photos` photos of 20 images of each of 24 letters; the first
    /// `wrong` photos of letter 0 are read as letter 1.
    fn eval(photos: usize, wrong: usize) -> Evaluation {
        let (mut truth, mut pred, mut groups) = (vec![], vec![], vec![]);
        for c in 0..24u8 {
            for p in 0..photos {
                for _ in 0..20 {
                    truth.push(c);
                    pred.push(if c == 0 && p < wrong { 1 } else { c });
                    groups.push(u32::from(c) * 1000 + p as u32);
                }
            }
        }
        Evaluation::from_predictions(&truth, &pred)
            .unwrap()
            .with_groups(&groups)
            .unwrap()
    }

    fn with_everything<'a>(e: &'a Evaluation) -> ClientReport<'a> {
        ClientReport::new(e, "r026", Goals::default())
            .with_app_figures(
                Some(0.793),
                Some(FieldLine {
                    n: 190,
                    accuracy: 0.211,
                    ci: Interval { lo: 0.16, hi: 0.27 },
                }),
                vec!["a long sentence that must not appear in the short answer".into()],
            )
            .with_app_note(
                vec!["App with the unsure rule: 60.0% of answers right (95% range 50–70%).".into()],
                None,
            )
    }

    #[test]
    fn the_short_answer_fits_and_says_what_each_number_covers() {
        let e = eval(10, 0);
        let a = with_everything(&e).short_answer();
        let text = a.to_text();
        assert!(
            a.words() <= SHORT_ANSWER_WORDS,
            "{} words:\n{text}",
            a.words()
        );
        for covers in [
            "Photos like the dataset's own test photos",
            "blurred, darkened, mirrored",
            "Real photos of other people",
        ] {
            assert!(text.contains(covers), "{text}");
        }
        assert!(
            text.contains("95% range 98.5–100.0%, 240 original photos"),
            "{text}"
        );
        assert!(text.contains("unsure rule"), "{text}");
        assert!(text.contains("not ready for an app"), "{text}");
        assert!(
            !text.contains("must not appear") && !text.contains("(\""),
            "{text}"
        );
        let sentences = a.recommendation.matches(". ").count() + 1;
        assert!((2..=3).contains(&sentences), "{}", a.recommendation);
    }

    #[test]
    fn the_short_answer_never_says_met_without_the_interval() {
        // 3 photos per letter, all right: 96% goal met? The estimate is
        // 100%, but 72 photos give a lower bound of 95.0%: not shown.
        let e = eval(3, 0);
        let r = with_everything(&e);
        assert_eq!(r.goal_check().overall, Verdict::PointOnly);
        let text = r.short_answer().to_text();
        let without_not = text
            .replace("not met", "")
            .replace("met on the point estimate only", "");
        assert!(!without_not.contains(" met"), "{text}");
        assert!(text.contains("not yet show the overall goal"), "{text}");
        // With enough photos the overall goal is met, and says so.
        let e = eval(10, 1);
        let text = with_everything(&e).short_answer().to_text();
        assert!(
            text.contains("Goal over 96%: met, for such photos only"),
            "{text}"
        );
        assert!(
            text.contains("Every letter over 90%: not met; each letter has 10–10"),
            "{text}"
        );
        let real = text.find("Real photos of other people").unwrap();
        assert!(
            real < text.find("Photos like the dataset").unwrap(),
            "other people first: {text}"
        );
        assert!(
            !text.contains(" CI ") && !text.contains("r026"),
            "plain words: {text}"
        );
        // The caller's recommendation replaces the generated one.
        let r = with_everything(&e).with_app_note(vec![], Some("Ship the unsure rule.".into()));
        assert!(r
            .short_answer()
            .recommendation
            .ends_with("Ship the unsure rule."));
    }
}
