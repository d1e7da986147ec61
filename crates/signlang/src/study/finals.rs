//! The final configurations, each trained with several seeds: grouped,
//! ranked on their mean validation accuracy, and tested seed by seed.
//!
//! [`seeded_finals`] groups the final runs of [`super::recipes::finals`] by
//! configuration; [`SeededFinal::evaluate_on_test`] evaluates every seed of
//! one configuration on the test split (each touch recorded in the ledger).

use super::label::RunLabel;
use super::search::ranked;
use super::views::by_validation;
use super::{RunEntry, SearchOutcome, Study, StudyError, TestPredictions};
use crate::data::{Dataset, TestSplit};
use crate::display::Table;
use crate::evaluate::{Evaluation, SeedSpread};

/// One final configuration and its runs, one per seed.
#[derive(Clone, Debug)]
pub struct SeededFinal {
    /// The configuration's name (the run label without the seed).
    pub name: String,
    /// Its finished runs, in seed order.
    pub runs: Vec<RunEntry>,
}

impl SeededFinal {
    fn accuracies(&self) -> Vec<f64> {
        self.runs
            .iter()
            .filter_map(|r| r.validation.as_ref().map(|v| v.accuracy))
            .collect()
    }

    /// Mean validation accuracy over the seeds.
    pub fn mean(&self) -> f64 {
        let v = self.accuracies();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }

    /// Lowest and highest validation accuracy over the seeds.
    pub fn range(&self) -> (f64, f64) {
        let v = self.accuracies();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    }

    /// The seed with the best validation result: the configuration's
    /// representative for the headline evaluation.
    pub fn best_run(&self) -> &RunEntry {
        let mut runs: Vec<&RunEntry> = self.runs.iter().collect();
        runs.sort_by(|a, b| by_validation(a, b));
        runs[0]
    }
}

/// The finals grouped by configuration, best first on the **mean**
/// validation accuracy over seeds (ties: the higher worst seed).
pub fn seeded_finals(outcome: &SearchOutcome) -> Vec<SeededFinal> {
    let mut out: Vec<SeededFinal> = Vec::new();
    for e in ranked(outcome) {
        let label = e.label.clone().unwrap_or_else(|| e.spec.describe());
        let name = RunLabel::parse(&label).config;
        match out.iter_mut().find(|f| f.name == name) {
            Some(f) => f.runs.push(e),
            None => out.push(SeededFinal {
                name,
                runs: vec![e],
            }),
        }
    }
    for f in &mut out {
        f.runs.sort_by_key(|r| r.seed);
    }
    out.sort_by(|a, b| {
        b.mean()
            .total_cmp(&a.mean())
            .then(b.range().0.total_cmp(&a.range().0))
    });
    out
}

/// The finals' validation accuracy per seed, with mean and range, ranked.
pub fn seed_table(finals: &[SeededFinal]) -> Table {
    let mut t = Table::new([
        "rank",
        "configuration",
        "runs (seed: validation accuracy)",
        "mean",
        "range",
    ])
    .with_caption("Final configurations over seeds, ranked by mean validation accuracy");
    for (i, f) in finals.iter().enumerate() {
        let (lo, hi) = f.range();
        let runs: Vec<String> = f
            .runs
            .iter()
            .map(|r| {
                let acc = r.validation.as_ref().map_or(f64::NAN, |v| v.accuracy);
                format!("{} (seed {}): {:.2}%", r.id, r.seed, 100.0 * acc)
            })
            .collect();
        t.push([
            (i + 1).to_string(),
            f.name.trim_start_matches("final: ").to_string(),
            runs.join(", "),
            format!("{:.2}%", 100.0 * f.mean()),
            format!("{:.2}–{:.2}%", 100.0 * lo, 100.0 * hi),
        ]);
    }
    t
}

/// Every seed of one configuration on the test split.
#[derive(Clone, Debug)]
pub struct SeedTests {
    /// The configuration's name.
    pub name: String,
    /// The representative run (best seed on validation).
    pub best_id: String,
    /// Predictions of every seed, in seed order.
    pub all: Vec<TestPredictions>,
}

impl SeedTests {
    /// The predictions of the representative run.
    pub fn best(&self) -> &TestPredictions {
        self.all
            .iter()
            .find(|p| p.run_id == self.best_id)
            .expect("the best run is among the tested seeds")
    }

    /// Test accuracy of each seed.
    pub fn spread(&self) -> SeedSpread {
        SeedSpread {
            name: self.name.trim_start_matches("final: ").to_string(),
            runs: self
                .all
                .iter()
                .map(|p| (p.run_id.clone(), p.accuracy()))
                .collect(),
        }
    }
}

impl SeededFinal {
    /// Evaluates every seed on the test split; each evaluation is recorded.
    pub fn evaluate_on_test(
        &self,
        study: &mut Study,
        test: &TestSplit,
    ) -> Result<SeedTests, StudyError> {
        let all = self
            .runs
            .iter()
            .map(|r| study.evaluate_on_test(&r.id, test))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SeedTests {
            name: self.name.clone(),
            best_id: self.best_run().id.clone(),
            all,
        })
    }
}

/// Every final run's evaluation on `validation`, for the pooled confusions.
pub fn validation_evaluations(
    finals: &[SeededFinal],
    study: &Study,
    validation: &Dataset,
) -> Result<Vec<Evaluation>, StudyError> {
    finals
        .iter()
        .flat_map(|f| &f.runs)
        .map(|r| study.load(&r.id)?.evaluate_on(validation))
        .collect()
}
