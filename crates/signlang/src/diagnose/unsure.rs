//! The "unsure" study: candidate rules (calibrated max probability, max
//! logit, energy, feature-space cosine, each alone and with an input gate)
//! fitted on validation, its corrupted copies and the probes; the rule
//! chosen by the goals on that fitting data; and the field photos
//! measured, never fitted on, each rule judged there by whether the photos
//! it answers are more often right than those it refuses
//! ([`crate::calibrate::UnsureTest`]; [`super::evidence`] does the same on
//! the test half and its corrupted copies, and exports the chosen rule).

use super::probes::Probes;
use super::unsure_fit::{Score, Scorer, SetData};
use crate::calibrate::{p_words, Calibration, ScoreKind, UnsureRule, UnsureTest};
use crate::display::Table;
use crate::evaluate::clopper_pearson_interval;

/// Goal: share of clean validation (the test half's stand-in) answered.
pub const GOAL_ANSWERED: f64 = 0.95;
/// Goal: share of noise and blank probes marked unsure.
pub const GOAL_PROBES_UNSURE: f64 = 0.99;

/// What a rule does on the field photos (measured only).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldOutcome {
    /// Photos.
    pub n: usize,
    /// Photos answered.
    pub answered: usize,
    /// Correct among the answered.
    pub answered_correct: usize,
    /// Correct among all (none refused).
    pub all_correct: usize,
}

impl FieldOutcome {
    /// The pass test of the rule on these photos (one image per photo:
    /// plain Fisher exact): are the answered more often right than the
    /// refused?
    pub fn test(&self) -> UnsureTest {
        UnsureTest::from_counts(
            (self.answered_correct, self.answered),
            (
                self.all_correct - self.answered_correct,
                self.n - self.answered,
            ),
        )
    }
}

/// One candidate rule and what it does on every set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    /// Its name in the table.
    pub name: String,
    /// The rule as it is exported (`None`: it needs the features, not exported).
    pub rule: Option<UnsureRule>,
    /// Share of clean validation answered.
    pub val_answered: f64,
    /// Share of corrupted validation copies answered.
    #[serde(alias = "test_like_answered")]
    pub corrupted_val_answered: f64,
    /// Share of noise and blank probes marked unsure.
    pub probes_unsure: f64,
    /// Share of all probes (with textures, backgrounds) marked unsure.
    pub all_probes_unsure: f64,
    /// On the field photos, when given.
    pub field: Option<FieldOutcome>,
}

impl Candidate {
    /// True when it meets both fitting goals.
    pub fn meets_goals(&self) -> bool {
        self.val_answered >= GOAL_ANSWERED && self.probes_unsure >= GOAL_PROBES_UNSURE
    }

    /// The rule's figures in one sentence, each goal said as met or missed.
    pub fn summary(&self) -> String {
        let said = |ok: bool| if ok { "goal met" } else { "goal missed" };
        let mut s = format!(
            "{}: answers {:.1}% of validation ({} at {:.0}%) and marks {:.1}% of noise and blank \
             images unsure ({} at {:.0}%)",
            self.name,
            100.0 * self.val_answered,
            said(self.val_answered >= GOAL_ANSWERED),
            100.0 * GOAL_ANSWERED,
            100.0 * self.probes_unsure,
            said(self.probes_unsure >= GOAL_PROBES_UNSURE),
            100.0 * GOAL_PROBES_UNSURE
        );
        if let Some(f) = self.field {
            s += &format!("; on {} real photos it {}", f.n, f.test().summary());
        }
        s + "."
    }
}

/// The fitting data and, for measuring only, the field photos.
#[derive(Clone, Debug)]
pub struct UnsureInputs {
    /// Clean validation.
    pub validation: SetData,
    /// Corrupted copies of validation photos.
    pub corrupted: SetData,
    /// The probes' outputs and pixels (truth unused).
    pub probes: SetData,
    /// The probes themselves (for their kinds).
    pub probe_set: Probes,
    /// Field photos (measured, never fitted).
    pub field: Option<SetData>,
}

/// The candidates, the chosen one and the calibration that carries it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct UnsureStudy {
    /// Every candidate, in table order (today's rule first).
    pub candidates: Vec<Candidate>,
    /// Index of the chosen candidate.
    pub chosen: usize,
    /// The calibration with the chosen rule as [`Calibration::unsure`].
    pub calibration: Calibration,
}

fn share(flags: &[bool], value: bool) -> f64 {
    flags.iter().filter(|&&f| f == value).count() as f64 / flags.len().max(1) as f64
}

fn field_outcome(answered: &[bool], set: &SetData) -> FieldOutcome {
    let pred = super::argmax(&set.outputs.logits);
    let ok: Vec<bool> = pred.iter().zip(&set.truth).map(|(p, t)| p == t).collect();
    FieldOutcome {
        n: ok.len(),
        answered: answered.iter().filter(|&&a| a).count(),
        answered_correct: ok.iter().zip(answered).filter(|(o, a)| **o && **a).count(),
        all_correct: ok.iter().filter(|&&o| o).count(),
    }
}

impl UnsureStudy {
    /// Fits every candidate on `inputs` (validation, corrupted copies,
    /// probes) with `base` (today's calibration: temperature and threshold),
    /// chooses one by the goals, and measures all on the field photos.
    pub fn fit(inputs: &UnsureInputs, base: &Calibration) -> UnsureStudy {
        let scorer = Scorer::fit(&inputs.validation, base.temperature);
        let goal: Vec<bool> = inputs.probe_set.kinds.iter().map(|k| k.in_goal()).collect();
        let fitted_on = format!(
            "validation ({} images), {} corrupted copies, {} synthetic non-hand images",
            inputs.validation.len(),
            inputs.corrupted.len(),
            inputs.probes.len()
        );
        let specs = candidate_specs(&scorer, &inputs.validation, base.threshold);
        let candidates: Vec<Candidate> = specs
            .into_iter()
            .map(|(name, score, t, gated)| {
                let answered = |s: &SetData| scorer.answered(score, t, gated, s);
                let probe = answered(&inputs.probes);
                let goal_flags: Vec<bool> = probe
                    .iter()
                    .zip(&goal)
                    .filter(|(_, g)| **g)
                    .map(|(a, _)| *a)
                    .collect();
                Candidate {
                    name,
                    rule: scorer.rule(score, t, gated, &fitted_on),
                    val_answered: share(&answered(&inputs.validation), true),
                    corrupted_val_answered: share(&answered(&inputs.corrupted), true),
                    probes_unsure: share(&goal_flags, false),
                    all_probes_unsure: share(&probe, false),
                    field: inputs
                        .field
                        .as_ref()
                        .map(|f| field_outcome(&answered(f), f)),
                }
            })
            .collect();
        let chosen = choose(&candidates);
        let mut calibration = base.clone();
        calibration.unsure = candidates[chosen].rule.clone();
        UnsureStudy {
            candidates,
            chosen,
            calibration,
        }
    }

    /// One row per candidate: validation answered, corrupted validation
    /// answered, probes unsure, and on the real photos (measured only):
    /// answered, accuracy of the answered and of the refused, and the pass
    /// test's verdict ([`UnsureTest`]). The chosen row is marked.
    pub fn table(&self) -> Table {
        let mut table = Table::new([
            "candidate",
            "validation answered",
            "corrupted validation answered",
            "noise+blank unsure",
            "all probes unsure",
            "real photos answered",
            "accuracy answered (95% CI)",
            "accuracy refused",
            "real photos: answered more often right? (one-sided p)",
        ])
        .with_caption(format!(
            "Unsure rules fitted on validation, corrupted copies and probes; goals on that fitting \
             data: ≥ {:.0}% answered, ≥ {:.0}% of noise and blanks unsure. Real photos measured \
             only: a rule earns its place there only if the photos it answers are more often \
             right than those it refuses. Chosen: {}",
            100.0 * GOAL_ANSWERED,
            100.0 * GOAL_PROBES_UNSURE,
            self.candidates[self.chosen].name
        ));
        let pct = |v: f64| format!("{:.1}%", 100.0 * v);
        for (i, c) in self.candidates.iter().enumerate() {
            let mark = if i == self.chosen { " (chosen)" } else { "" };
            let export = if c.rule.is_none() {
                " [needs features]"
            } else {
                ""
            };
            let mut row = vec![
                format!("{}{mark}{export}", c.name),
                pct(c.val_answered),
                pct(c.corrupted_val_answered),
                pct(c.probes_unsure),
                pct(c.all_probes_unsure),
            ];
            row.extend(match c.field {
                None => vec!["-".to_string(); 4],
                Some(f) => field_cells(&f).to_vec(),
            });
            table.push(row);
        }
        table
    }

    /// The chosen candidate.
    pub fn chosen(&self) -> &Candidate {
        &self.candidates[self.chosen]
    }
}

/// Today's rule, then every score alone and with the gate: (name, score,
/// threshold, gated).
fn candidate_specs(scorer: &Scorer, val: &SetData, today: f64) -> Vec<(String, Score, f64, bool)> {
    let mut specs = vec![(
        "today: calibrated max probability (threshold for 99% accurate)".to_string(),
        Score::Logit(ScoreKind::MaxProbability),
        today,
        false,
    )];
    let scores = ScoreKind::ALL
        .map(Score::Logit)
        .into_iter()
        .chain([Score::FeatureCosine]);
    for score in scores {
        for gated in [false, true] {
            let t = scorer.threshold(score, gated, val);
            let gate = if gated { " + input gate" } else { "" };
            specs.push((format!("{}{gate}", score_name(score)), score, t, gated));
        }
    }
    specs
}

fn field_cells(f: &FieldOutcome) -> [String; 4] {
    let test = f.test();
    let answered = if f.answered == 0 {
        "none answered".to_string()
    } else {
        let ci = clopper_pearson_interval(f.answered_correct, f.answered, 0.95);
        format!("{:.1}% {}", 100.0 * test.accuracy_answered(), ci.percent())
    };
    let refused = if test.refused() == 0 {
        "none refused".to_string()
    } else {
        format!("{:.1}%", 100.0 * test.accuracy_refused())
    };
    let verdict = match test.verdict.passes() {
        true => format!("yes ({})", p_words(test.p)),
        false => format!("no: {}", test.verdict.words()),
    };
    [
        format!(
            "{:.1}% ({} of {})",
            100.0 * test.answered_share(),
            f.answered,
            f.n
        ),
        answered,
        refused,
        verdict,
    ]
}

fn score_name(score: Score) -> String {
    match score {
        Score::Logit(k) => k.name().replace('_', " "),
        Score::FeatureCosine => "feature cosine to class mean".into(),
    }
}

/// The candidate to export: among exportable ones meeting both goals, the
/// one with most probes unsure, then most validation answered; when none
/// meets them, the exportable one with ≥ 95% answered and most probes
/// unsure; else today's rule (index 0).
pub fn choose(candidates: &[Candidate]) -> usize {
    let key = |c: &Candidate| (c.probes_unsure, c.all_probes_unsure, c.val_answered);
    let best = |ok: &dyn Fn(&Candidate) -> bool| {
        (0..candidates.len())
            .filter(|&i| candidates[i].rule.is_some() && ok(&candidates[i]))
            .max_by(|&a, &b| {
                key(&candidates[a])
                    .partial_cmp(&key(&candidates[b]))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
    };
    best(&Candidate::meets_goals)
        .or_else(|| best(&|c: &Candidate| c.val_answered >= GOAL_ANSWERED))
        .unwrap_or(0)
}
