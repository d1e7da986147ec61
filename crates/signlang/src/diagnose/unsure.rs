//! The "unsure" study: candidate rules (calibrated max probability, max
//! logit, energy, feature-space cosine, each alone and with an input gate)
//! fitted on validation, its corrupted copies and the probes; the rule
//! chosen by the goals on that fitting data; the field photos measured,
//! never fitted on; and an export that carries the chosen rule.

use std::path::Path;

use super::probes::Probes;
use super::unsure_fit::{Score, Scorer, SetData};
use super::DiagnoseError;
use crate::calibrate::{Calibration, ScoreKind, UnsureRule};
use crate::display::Table;
use crate::evaluate::clopper_pearson_interval;

/// Goal: share of clean validation (the test half's stand-in) answered.
pub const GOAL_ANSWERED: f64 = 0.95;
/// Goal: share of noise and blank probes marked unsure.
pub const GOAL_PROBES_UNSURE: f64 = 0.99;
/// Field goal (measured only): share of field photos marked unsure...
pub const GOAL_FIELD_UNSURE: f64 = 0.8;
/// ...or how many times more accurate the answered field photos are than all.
pub const GOAL_FIELD_ACCURACY_RATIO: f64 = 2.0;

/// What a rule does on the field photos (measured only).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldOutcome {
    /// Photos.
    pub n: usize,
    /// Photos answered.
    pub answered: usize,
    /// Correct among the answered.
    pub answered_correct: usize,
    /// Correct among all (no abstaining).
    pub all_correct: usize,
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
    pub test_like_answered: f64,
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

    /// True when, on the field photos, at least [`GOAL_FIELD_UNSURE`] are
    /// unsure or the answered ones are at least [`GOAL_FIELD_ACCURACY_RATIO`]
    /// times as accurate as all of them.
    pub fn meets_field_goal(&self) -> Option<bool> {
        let f = self.field?;
        let unsure = 1.0 - f.answered as f64 / f.n.max(1) as f64;
        let answered_acc = f.answered_correct as f64 / f.answered.max(1) as f64;
        let all_acc = f.all_correct as f64 / f.n.max(1) as f64;
        Some(
            unsure >= GOAL_FIELD_UNSURE
                || (f.answered > 0 && answered_acc >= GOAL_FIELD_ACCURACY_RATIO * all_acc),
        )
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
        if let (Some(f), Some(ok)) = (self.field, self.meets_field_goal()) {
            s += &format!(
                "; on {} real photos it is unsure of {:.1}%, and the answered ones are {:.1}% \
                 right against {:.1}% for all ({}: at least {:.0}% unsure, or the answered ones \
                 at least {} as accurate as all)",
                f.n,
                100.0 * (1.0 - f.answered as f64 / f.n.max(1) as f64),
                100.0 * f.answered_correct as f64 / f.answered.max(1) as f64,
                100.0 * f.all_correct as f64 / f.n.max(1) as f64,
                said(ok),
                100.0 * GOAL_FIELD_UNSURE,
                times(GOAL_FIELD_ACCURACY_RATIO)
            );
        }
        s + "."
    }
}

/// A ratio in words: "twice" for 2, "3×" otherwise.
fn times(ratio: f64) -> String {
    if ratio == 2.0 {
        "twice".to_string()
    } else {
        format!("{ratio}×")
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
                    test_like_answered: share(&answered(&inputs.corrupted), true),
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

    /// One row per candidate: validation answered, test-like (corrupted)
    /// answered, probes unsure, and on the field photos: unsure, accuracy of
    /// the answered and of all. The chosen row is marked.
    pub fn table(&self) -> Table {
        let mut table = Table::new([
            "candidate",
            "validation answered",
            "test-like answered",
            "noise+blank unsure",
            "all probes unsure",
            "field unsure",
            "field answered accuracy (95% CI)",
            "field all accuracy",
        ])
        .with_caption(format!(
            "Unsure rules fitted on validation, corrupted copies and probes; goals: ≥ {:.0}% \
             answered, ≥ {:.0}% of noise and blanks unsure; field photos measured only. Chosen: {}",
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
            let (unsure, answered, all) = match c.field {
                None => ("-".into(), "-".into(), "-".into()),
                Some(f) => field_cells(&f),
            };
            table.push([
                format!("{}{mark}{export}", c.name),
                pct(c.val_answered),
                pct(c.test_like_answered),
                pct(c.probes_unsure),
                pct(c.all_probes_unsure),
                unsure,
                answered,
                all,
            ]);
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

fn field_cells(f: &FieldOutcome) -> (String, String, String) {
    let unsure = 1.0 - f.answered as f64 / f.n.max(1) as f64;
    let answered = if f.answered == 0 {
        "none answered".to_string()
    } else {
        let ci = clopper_pearson_interval(f.answered_correct, f.answered, 0.95);
        let acc = f.answered_correct as f64 / f.answered as f64;
        format!("{:.1}% {} of {}", 100.0 * acc, ci.percent(), f.answered)
    };
    let all = format!("{:.1}%", 100.0 * f.all_correct as f64 / f.n.max(1) as f64);
    (format!("{:.1}%", 100.0 * unsure), answered, all)
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

/// Exports run `id` to `dir` with `calibration` (carrying the unsure rule)
/// in `model.onnx`'s metadata and as `calibration.json`.
pub fn export_with_rule(
    study: &crate::study::Study,
    id: &str,
    dir: &Path,
    calibration: &Calibration,
) -> Result<crate::export::ExportInfo, DiagnoseError> {
    let options = crate::onnx::ExportOptions {
        onnx_metadata: calibration.onnx_metadata(),
        ..Default::default()
    };
    let info = study.load(id)?.export(dir, &options)?;
    calibration.save(dir)?;
    Ok(info)
}
