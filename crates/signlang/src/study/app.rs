//! Choosing the model for an app: every final configuration compared on
//! the validation half and its corrupted copies ([`crate::corrupt`]).
//!
//! The rule, fixed before any result is seen: a configuration must keep
//! its mean clean validation accuracy at or above [`CLEAN_FLOOR`]; among
//! those, the one with the highest accuracy under the corruptions, averaged
//! over its **seeds** ([`corrupt::IMAGES_PER_PHOTO`] images of each
//! validation photo), is chosen: one lucky seed cannot decide it. When the
//! top two cannot be told apart by their seeds ([`told_apart`]), the table
//! says so. Field photos play no part in it.

use super::finals::SeededFinal;
use super::{Study, StudyError};
use crate::calibrate::Calibration;
use crate::corrupt::{self, AbstainRow, RobustnessReport};
use crate::data::{Dataset, TestSplit};
use crate::display::Table;

/// Mean clean validation accuracy a configuration needs before its
/// robustness counts: the test half must stay at 99.5% or better.
pub const CLEAN_FLOOR: f64 = 0.995;

/// Severity of the corrupted validation copies that calibration is fitted on.
pub const CALIBRATION_SEVERITY: u8 = 3;

/// Seed of the corruptions' random draws on the validation half.
pub const VALIDATION_CORRUPTION_SEED: u64 = 7;

/// One final configuration with its seeds' robustness on validation.
#[derive(Clone, Debug)]
pub struct AppCandidate {
    /// The configuration and its seeds.
    pub config: SeededFinal,
    /// Its best seed on corrupted copies of the validation half (for plots
    /// and the worst corruption).
    pub robustness: RobustnessReport,
    /// Mean corrupted validation accuracy of every seed, in seed order.
    pub seed_corrupted: Vec<f64>,
}

impl AppCandidate {
    /// Whether the configuration keeps the clean accuracy the rule asks for.
    pub fn eligible(&self) -> bool {
        self.config.mean() >= CLEAN_FLOOR
    }

    /// Mean accuracy under the corruptions (validation), averaged over the
    /// seeds: the quantity the rule ranks on.
    pub fn corrupted(&self) -> f64 {
        mean(&self.seed_corrupted)
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Sample standard deviation (0 with fewer than two values).
fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Whether two configurations' seed results (e.g. corrupted validation
/// accuracy per seed) tell them apart: their seed ranges do not overlap
/// and their means differ by more than the larger seed standard deviation.
pub fn told_apart(a: &[f64], b: &[f64]) -> bool {
    let range = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    };
    let ((alo, ahi), (blo, bhi)) = (range(a), range(b));
    let overlap = alo <= bhi && blo <= ahi;
    !overlap && (mean(a) - mean(b)).abs() > sd(a).max(sd(b))
}

/// The rule's order: eligible first, then the higher seed mean under the
/// corruptions, then the higher clean mean.
pub fn rank_candidates(candidates: &mut [AppCandidate]) {
    candidates.sort_by(|a, b| {
        b.eligible()
            .cmp(&a.eligible())
            .then(b.corrupted().total_cmp(&a.corrupted()))
            .then(b.config.mean().total_cmp(&a.config.mean()))
    });
}

/// A sentence when the top two eligible configurations cannot be told apart
/// by their seeds; `None` when the first is clearly ahead (or alone).
pub fn top_two_note(ranked: &[AppCandidate]) -> Option<String> {
    let (a, b) = match ranked {
        [a, b, ..] if a.eligible() && b.eligible() => (a, b),
        _ => return None,
    };
    if told_apart(&a.seed_corrupted, &b.seed_corrupted) {
        return None;
    }
    Some(format!(
        "The top two cannot be told apart on corrupted validation photos: {:.1}% against \
         {:.1}% (seed means), their seeds overlap or differ by less than the seed spread; \
         the rule's order stands, but either would serve.",
        100.0 * a.corrupted(),
        100.0 * b.corrupted()
    ))
}

impl Study {
    /// The abstain rule of `calibration` with run `id` on the test split
    /// ([`corrupt::IMAGES_PER_PHOTO`] images of each photo), clean and under
    /// every corruption at `severity`; recorded in the ledger like every
    /// test evaluation.
    pub fn abstain_on_test(
        &mut self,
        id: &str,
        test: &TestSplit,
        calibration: &Calibration,
        severity: u8,
        seed: u64,
    ) -> Result<Vec<AbstainRow>, StudyError> {
        self.check_evaluable(id)?;
        let data = corrupt::photo_sample(test.dataset(), test.groups());
        let key = self
            .cache_key("abstain-test", id)?
            .with(&test.fingerprint())
            .with(&test.groups())
            .with(calibration)
            .with(&(severity, seed));
        let rows = self.cache().get_or_compute(&key, || {
            let run = self.load(id)?;
            let predict = |x: &tch::Tensor| run.predict(x);
            corrupt::abstain_under_corruptions(predict, &data, calibration, severity, seed)
                .map_err(StudyError::robustness(id))
        })?;
        let clean = &rows[0].operating;
        let what = format!(
            "abstain rule (threshold {:.4}) under corruptions at severity {severity}, {} images",
            calibration.threshold,
            data.len()
        );
        self.record_test_touch(
            id,
            test,
            clean.correct_all as f64 / clean.n as f64,
            Some(what),
        )?;
        Ok(rows)
    }
}

/// Every configuration's seeds on corrupted validation photos, ranked by
/// the rule of this module ([`rank_candidates`]: the seed mean decides).
pub fn rank_for_apps(
    study: &Study,
    finals: &[SeededFinal],
    validation: &Dataset,
    groups: &[u32],
) -> Result<Vec<AppCandidate>, StudyError> {
    let mut out = finals
        .iter()
        .map(|f| {
            let best = f.best_run().id.clone();
            let mut robustness = None;
            let mut seed_corrupted = Vec::new();
            for run in &f.runs {
                let r = study
                    .load(&run.id)?
                    .robustness_on_validation(validation, groups)?;
                seed_corrupted.push(r.mean_corruption_accuracy());
                if run.id == best {
                    robustness = Some(r);
                }
            }
            let robustness = match robustness {
                Some(r) => r,
                None => study
                    .load(&best)?
                    .robustness_on_validation(validation, groups)?,
            };
            Ok(AppCandidate {
                config: f.clone(),
                robustness,
                seed_corrupted,
            })
        })
        .collect::<Result<Vec<_>, StudyError>>()?;
    rank_candidates(&mut out);
    Ok(out)
}

/// The ranking as a table.
pub fn app_table(ranked: &[AppCandidate]) -> Table {
    let mut t = Table::new([
        "rank",
        "configuration",
        "best seed",
        "clean validation (mean of seeds)",
        "corrupted validation (mean of seeds, range)",
        "worst corruption",
        "eligible",
    ])
    .with_caption(format!(
        "Final configurations on validation and its corrupted copies: clean mean ≥ {:.1}% \
         required, then ranked by the seed mean under corruptions{}",
        100.0 * CLEAN_FLOOR,
        top_two_note(ranked).map_or(String::new(), |n| format!(". {n}"))
    ));
    for (i, c) in ranked.iter().enumerate() {
        let worst = c
            .robustness
            .rows
            .iter()
            .min_by(|a, b| a.mean().total_cmp(&b.mean()))
            .map_or("—".to_string(), |r| {
                format!("{} ({:.1}%)", r.corruption.name(), 100.0 * r.mean())
            });
        t.push([
            (i + 1).to_string(),
            c.config.name.trim_start_matches("final: ").to_string(),
            c.config.best_run().id.clone(),
            format!("{:.2}%", 100.0 * c.config.mean()),
            corrupted_cell(&c.seed_corrupted),
            worst,
            if c.eligible() { "yes" } else { "no" }.to_string(),
        ]);
    }
    t
}

/// `"79.3% (78.1–80.2%)"`: the seed mean and range.
fn corrupted_cell(v: &[f64]) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{:.1}% ({:.1}–{:.1}%)",
        100.0 * mean(v),
        100.0 * lo,
        100.0 * hi
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::ledger::{DataRef, EntryStatus, RunEntry, ValidationMetrics};
    use crate::testing::{config, small_spec};

    fn run(id: &str, clean: f64) -> RunEntry {
        let data = DataRef {
            name: "d".into(),
            fingerprint: "f".into(),
            images: 1,
        };
        RunEntry {
            id: id.into(),
            key: id.into(),
            label: None,
            spec: small_spec(),
            config: config(0),
            seed: 0,
            train_data: data.clone(),
            validation_data: data,
            status: EntryStatus::Completed,
            message: None,
            epochs: Vec::new(),
            validation: Some(ValidationMetrics {
                epoch: 1,
                accuracy: clean,
                loss: 0.1,
                best_accuracy: clean,
                best_loss: 0.1,
            }),
            started_at: String::new(),
            finished_at: None,
            seconds: None,
            pid: 0,
            weights: None,
        }
    }

    fn candidate(name: &str, clean: f64, seeds: &[f64]) -> AppCandidate {
        let runs = (0..seeds.len())
            .map(|i| run(&format!("{name}{i}"), clean))
            .collect();
        AppCandidate {
            config: SeededFinal {
                name: name.into(),
                runs,
            },
            robustness: RobustnessReport {
                model: name.into(),
                data: "validation".into(),
                n_images: 1,
                seed: 0,
                clean,
                rows: Vec::new(),
            },
            seed_corrupted: seeds.to_vec(),
        }
    }

    #[test]
    fn the_seed_mean_decides_not_the_luckiest_seed() {
        // "lucky" has the best single seed (82.3%) but the lower mean (74.4%).
        let mut c = vec![
            candidate("lucky", 0.998, &[0.700, 0.710, 0.823]),
            candidate("steady", 0.997, &[0.790, 0.792, 0.793]),
            candidate("fragile", 0.990, &[0.950, 0.950, 0.950]),
        ];
        rank_candidates(&mut c);
        let names: Vec<&str> = c.iter().map(|c| c.config.name.as_str()).collect();
        assert_eq!(names, ["steady", "lucky", "fragile"], "ineligible last");
        assert!((c[0].corrupted() - 0.791_666_7).abs() < 1e-6);
        // "lucky"'s seeds span "steady"'s: the two cannot be told apart.
        let note = top_two_note(&c).expect("overlapping seeds");
        assert!(note.contains("79.2% against 74.4%"), "{note}");
        assert!(app_table(&c).to_text().contains("cannot be told apart"));
    }

    #[test]
    fn clearly_separated_seeds_are_told_apart() {
        assert!(told_apart(&[0.80, 0.81, 0.82], &[0.70, 0.71, 0.72]));
        // Ranges apart but the gap is smaller than the seed spread.
        assert!(!told_apart(&[0.80, 0.80, 1.0], &[0.79, 0.79, 0.79]));
        assert!(!told_apart(&[0.80, 0.85], &[0.82, 0.83]), "overlap");
        let c = vec![
            candidate("a", 0.998, &[0.80, 0.81, 0.82]),
            candidate("b", 0.998, &[0.70, 0.71, 0.72]),
        ];
        assert_eq!(top_two_note(&c), None);
    }
}
