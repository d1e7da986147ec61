//! Search helpers that plan runs against the remaining budget.
//!
//! Each helper makes a [`Plan`]: its candidates and how many runs it takes.
//! [`Study::preview`] shows the plan with what it costs in this study (runs
//! already recorded are free); [`Study::execute`] prints that line, refuses a
//! plan whose new runs do not fit the remaining budget, and only then trains.
//!
//! - [`Grid`]: every combination of named values;
//! - [`RandomSearch`]: `n` candidates sampled with a seed;
//! - [`SuccessiveHalving`]: all candidates trained for a few epochs, the best
//!   share continues with more epochs, rung after rung. Each rung trains the
//!   survivors again from scratch with the rung's epoch count (a new run
//!   each, since `epochs` is part of the run key).

use std::fmt;

mod execute;
mod plans;

pub use execute::{ranked, SearchOutcome};
pub use plans::{Grid, RandomSearch, SuccessiveHalving};

use super::StudyError;
use crate::display::Table;
use crate::model::ModelSpec;
use crate::train::TrainConfig;

/// One model and config to train, with a label saying what was varied.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// What was varied ("lr=0.001, batch=64").
    pub label: String,
    /// The model.
    pub spec: ModelSpec,
    /// The training config.
    pub config: TrainConfig,
}

impl Candidate {
    /// A candidate with an empty label.
    pub fn new(spec: ModelSpec, config: TrainConfig) -> Self {
        Candidate {
            label: String::new(),
            spec,
            config,
        }
    }

    fn with_epochs(&self, epochs: Option<usize>) -> Candidate {
        let mut c = self.clone();
        if let Some(e) = epochs {
            c.config.epochs = e;
            c.label = if c.label.is_empty() {
                format!("{e} epochs")
            } else {
                format!("{}, {e} epochs", c.label)
            };
        }
        c
    }
}

/// One rung of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Rung {
    /// Epochs of every run in the rung (`None`: as in each candidate's config).
    pub epochs: Option<usize>,
    /// Runs in the rung.
    pub runs: usize,
}

/// A search plan: candidates and rungs. The first rung trains every
/// candidate; each later rung trains the best of the rung before.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// A name for messages and tables.
    pub name: String,
    /// The candidates of the first rung.
    pub candidates: Vec<Candidate>,
    /// The rungs (one for grid and random search).
    pub rungs: Vec<Rung>,
}

impl Plan {
    /// A one-rung plan that trains each candidate once, with its own epochs
    /// (what grid and random search make).
    pub fn single(name: &str, candidates: Vec<Candidate>) -> Self {
        Plan {
            name: name.to_string(),
            rungs: vec![Rung {
                epochs: None,
                runs: candidates.len(),
            }],
            candidates,
        }
    }

    /// Runs the plan takes in all (before discounting recorded runs).
    pub fn runs(&self) -> usize {
        self.rungs.iter().map(|r| r.runs).sum()
    }

    fn check(&self) -> Result<(), StudyError> {
        let bad = |problem: &str| StudyError::InvalidPlan {
            plan: self.name.clone(),
            problem: problem.to_string(),
        };
        if self.candidates.is_empty() {
            return Err(bad("it has no candidates"));
        }
        if self.rungs.is_empty() {
            return Err(bad("it has no rungs"));
        }
        if self.rungs[0].runs != self.candidates.len() {
            return Err(bad("its first rung must train every candidate"));
        }
        if self
            .rungs
            .windows(2)
            .any(|w| w[1].runs > w[0].runs || w[1].runs == 0)
        {
            return Err(bad(
                "each later rung must keep between 1 and all runs of the rung before",
            ));
        }
        if self.rungs.iter().any(|r| r.epochs == Some(0)) {
            return Err(bad("a rung has 0 epochs"));
        }
        Ok(())
    }

    /// The plan as a table: one row per first-rung candidate, then a line
    /// per rung.
    pub fn to_table(&self) -> Table {
        let rungs: Vec<String> = self
            .rungs
            .iter()
            .map(|r| match r.epochs {
                Some(e) => format!("{}×{e}ep", r.runs),
                None => r.runs.to_string(),
            })
            .collect();
        let mut t = Table::new(["#", "candidate", "model and config"]).with_caption(format!(
            "{}: {} runs (rungs: {})",
            self.name,
            self.runs(),
            rungs.join(" → ")
        ));
        for (i, c) in self.candidates.iter().enumerate() {
            t.push([
                (i + 1).to_string(),
                c.label.clone(),
                super::settings_summary(&c.spec, &c.config),
            ]);
        }
        t
    }

    /// Shows the plan inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_table().evcxr_display()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_table().fmt(f)
    }
}

/// What a plan costs in a study.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanCost {
    /// Runs in the plan.
    pub runs: usize,
    /// Of those, runs already recorded (free).
    pub cached: usize,
    /// Most new runs it can need (exact when every rung before the last new
    /// one is recorded).
    pub new: usize,
}
