//! Running a [`Plan`]: what it costs here ([`Study::plan_cost`]), its
//! preview, and its execution rung by rung into a [`SearchOutcome`].

use std::collections::HashSet;
use std::fmt;

use super::super::runs_table::RunsTable;
use super::super::views::{best_first, by_validation};
use super::super::{
    DataPair, EntryStatus, Run, RunEntry, Study, StudyError, TrainOptions, Trainer, TrainerOutput,
};
use crate::data::Dataset;
use crate::display::Table;

use super::{Candidate, Plan, PlanCost, Rung};

/// The runs a plan made, rung by rung.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    /// The plan's name.
    pub name: String,
    /// The runs of each rung (failed runs included).
    pub rungs: Vec<Vec<Run>>,
}

impl SearchOutcome {
    /// All its runs, trained now or answered from the ledger.
    pub fn run_count(&self) -> usize {
        self.rungs.iter().map(Vec::len).sum()
    }

    /// Runs trained now (not from the ledger).
    pub fn trained(&self) -> usize {
        self.rungs.iter().flatten().filter(|r| !r.cached).count()
    }

    /// Runs answered from the ledger.
    pub fn cached(&self) -> usize {
        self.rungs.iter().flatten().filter(|r| r.cached).count()
    }

    /// The best run of the last rung, by validation.
    pub fn best(&self) -> Option<&Run> {
        best_first(self.rungs.last()?, |r| &r.entry)
            .into_iter()
            .next()
    }

    /// All runs, as a table.
    pub fn table(&self) -> RunsTable {
        let entries: Vec<_> = self
            .rungs
            .iter()
            .flatten()
            .map(|r| r.entry.clone())
            .collect();
        let mut t = RunsTable::of(&entries);
        t.caption = Some(format!(
            "{}: {} runs trained, {} from the ledger",
            self.name,
            self.trained(),
            self.cached()
        ));
        t
    }

    /// Shows the table inline in evcxr.
    pub fn evcxr_display(&self) {
        self.table().evcxr_display()
    }
}

/// The finished runs of a search's last rung, best first on validation
/// (accuracy of the kept weights, ties broken by loss).
pub fn ranked(outcome: &SearchOutcome) -> Vec<RunEntry> {
    let mut runs: Vec<RunEntry> = outcome
        .rungs
        .last()
        .map(|r| r.iter().map(|run| run.entry.clone()).collect())
        .unwrap_or_default();
    runs.retain(|e| matches!(e.status, EntryStatus::Completed | EntryStatus::EarlyStopped));
    runs.sort_by(by_validation);
    runs
}

impl fmt::Display for SearchOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.table().fmt(f)
    }
}

impl Study {
    /// What `plan` costs here: recorded runs are free.
    pub fn plan_cost(
        &self,
        plan: &Plan,
        train: &Dataset,
        validation: &Dataset,
    ) -> Result<PlanCost, StudyError> {
        plan.check()?;
        Ok(self.plan_cost_with(plan, &DataPair::of(train, validation)))
    }

    fn plan_cost_with(&self, plan: &Plan, data: &DataPair) -> PlanCost {
        let recorded = |c: &Candidate| {
            let key = data.key(&c.spec, &c.config);
            self.runs()
                .iter()
                .rev()
                .find(|r| r.key == key)
                .filter(|r| r.status.is_finished() || r.status == EntryStatus::Failed)
                .cloned()
        };
        let mut cost = PlanCost {
            runs: plan.runs(),
            cached: 0,
            new: 0,
        };
        // Indices (into plan.candidates) of the rung's candidates, while known.
        let mut current: Option<Vec<usize>> = Some((0..plan.candidates.len()).collect());
        for (i, rung) in plan.rungs.iter().enumerate() {
            let Some(indices) = current.take() else {
                cost.new += rung.runs;
                continue;
            };
            let mut seen = HashSet::new();
            let mut entries = Vec::new();
            let mut all_known = true;
            for idx in indices {
                let c = plan.candidates[idx].with_epochs(rung.epochs);
                match recorded(&c) {
                    Some(e) => {
                        cost.cached += 1;
                        entries.push((idx, e));
                    }
                    None => {
                        all_known = false;
                        if seen.insert(data.key(&c.spec, &c.config)) {
                            cost.new += 1;
                        } else {
                            cost.cached += 1;
                        }
                    }
                }
            }
            if all_known {
                entries.sort_by(|a, b| by_validation(&a.1, &b.1));
                let keep = plan.rungs.get(i + 1).map_or(0, |r| r.runs);
                current = Some(entries.into_iter().take(keep).map(|(idx, _)| idx).collect());
            }
        }
        cost
    }

    /// The plan as a table, captioned with what it costs in this study.
    pub fn preview(
        &self,
        plan: &Plan,
        train: &Dataset,
        validation: &Dataset,
    ) -> Result<Table, StudyError> {
        let cost = self.plan_cost(plan, train, validation)?;
        let mut t = plan.to_table();
        t.caption = Some(format!(
            "{} — {}",
            t.caption.unwrap_or_default(),
            self.cost_line(&cost)
        ));
        Ok(t)
    }

    fn cost_line(&self, cost: &PlanCost) -> String {
        format!(
            "{} recorded (free), at most {} new; budget {} / {} used, {} left{}",
            cost.cached,
            cost.new,
            self.used(),
            self.budget(),
            self.remaining(),
            if cost.new > self.remaining() {
                " — does NOT fit"
            } else {
                ""
            }
        )
    }

    /// Executes a plan with the project's trainer; `options` makes the
    /// options of each run. See [`Study::execute_with`].
    pub fn execute(
        &mut self,
        plan: &Plan,
        train: &Dataset,
        validation: &Dataset,
        mut options: impl FnMut() -> TrainOptions,
    ) -> Result<SearchOutcome, StudyError> {
        self.execute_with(plan, train, validation, |s, c, t, v| {
            crate::train::train(s, c, t, v, options()).map(TrainerOutput::from)
        })
    }

    /// Executes a plan with any trainer: prints the plan line (runs, recorded,
    /// new, budget), refuses it with [`StudyError::PlanOverBudget`] before any
    /// training when its new runs do not fit, then runs it rung by rung.
    /// Failed runs are kept in the outcome and the search goes on; an
    /// interrupted run stops it.
    pub fn execute_with<F, E>(
        &mut self,
        plan: &Plan,
        train: &Dataset,
        validation: &Dataset,
        mut trainer: F,
    ) -> Result<SearchOutcome, StudyError>
    where
        F: Trainer<E>,
        E: Into<super::super::TrainerFailure>,
    {
        plan.check()?;
        self.reload()?;
        let data = DataPair::of(train, validation);
        self.admit(plan, &data)?;
        let mut outcome = SearchOutcome {
            name: plan.name.clone(),
            rungs: Vec::new(),
        };
        let mut current: Vec<usize> = (0..plan.candidates.len()).collect();
        for (i, rung) in plan.rungs.iter().enumerate() {
            let pair = (train, validation, &data);
            let runs = self.run_rung(plan, rung, &current, pair, &mut trainer)?;
            if let Some(next) = plan.rungs.get(i + 1) {
                let mut ranked: Vec<&(usize, Run)> = runs.iter().collect();
                ranked.sort_by(|a, b| by_validation(&a.1.entry, &b.1.entry));
                current = ranked
                    .into_iter()
                    .take(next.runs)
                    .map(|(idx, _)| *idx)
                    .collect();
            }
            outcome
                .rungs
                .push(runs.into_iter().map(|(_, r)| r).collect());
        }
        Ok(outcome)
    }

    /// Prints the plan line (runs, recorded, new, budget) and refuses the
    /// plan when its new runs do not fit the remaining budget.
    fn admit(&self, plan: &Plan, data: &DataPair) -> Result<(), StudyError> {
        let cost = self.plan_cost_with(plan, data);
        {
            // Not println!: a closed stdout must not stop the search (as in training).
            use std::io::Write;
            let _ = writeln!(
                std::io::stdout(),
                "{}: {} runs; {}",
                plan.name,
                plan.runs(),
                self.cost_line(&cost)
            );
        }
        if cost.new > self.remaining() {
            return Err(StudyError::PlanOverBudget {
                plan: plan.name.clone(),
                new_runs: cost.new,
                cached: cost.cached,
                remaining: self.remaining(),
                budget: self.budget(),
            });
        }
        Ok(())
    }

    /// Runs the candidates `current` of a rung (with the rung's epochs); a
    /// failed run stays in the result, any other error ends the search.
    fn run_rung<F, E>(
        &mut self,
        plan: &Plan,
        rung: &Rung,
        current: &[usize],
        (train, validation, data): (&Dataset, &Dataset, &DataPair),
        trainer: &mut F,
    ) -> Result<Vec<(usize, Run)>, StudyError>
    where
        F: Trainer<E>,
        E: Into<super::super::TrainerFailure>,
    {
        let mut runs: Vec<(usize, Run)> = Vec::new();
        for &idx in current {
            let c = plan.candidates[idx].with_epochs(rung.epochs);
            let label = (!c.label.is_empty()).then(|| c.label.clone());
            let cached_before = self.cached_requests;
            let result = self.run_inner(
                label,
                &c.spec,
                &c.config,
                train,
                validation,
                data,
                &mut *trainer,
            );
            let run = match result {
                Ok(run) => run,
                Err(StudyError::RunFailed { id, .. }) => Run {
                    entry: self.get(&id)?.clone(),
                    cached: self.cached_requests > cached_before,
                },
                Err(e) => return Err(e),
            };
            runs.push((idx, run));
        }
        Ok(runs)
    }
}
