//! One run through the study: reserve (cache, budget, a `running` entry)
//! → train (without the ledger lock) → record; and the types a trainer
//! hands back.

use std::fs::{self, File};
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use tch::nn;

use super::files::now_rfc3339;
use super::{
    io_err, DataPair, EntryStatus, Run, RunEntry, Study, StudyError, TrainOptions, TrainerFailure,
    TrainerOutput, ValidationMetrics,
};
use crate::data::{Dataset, FeatureSet};
use crate::model::ModelSpec;
use crate::train::{EpochStats, RunStatus, TrainConfig};

/// What [`Study::reserve`] found: the recorded run, or a new slot with its
/// lock (held until the result is recorded).
enum Reservation {
    Recorded(Box<Run>),
    Slot(String, File),
}

/// How a trained run ended, ready for the ledger.
struct Outcome {
    status: EntryStatus,
    message: Option<String>,
    epochs: Vec<EpochStats>,
    kept_epoch: Option<usize>,
    weights: Option<String>,
}

impl Outcome {
    fn failed(message: String) -> Self {
        Outcome {
            status: EntryStatus::Failed,
            message: Some(message),
            epochs: Vec::new(),
            kept_epoch: None,
            weights: None,
        }
    }
}

/// The text of a panic payload.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

impl RunEntry {
    /// A new `running` entry for `id`, owned by this process.
    fn reserved(
        id: String,
        key: String,
        label: Option<String>,
        spec: &ModelSpec,
        config: &TrainConfig,
        data: &DataPair,
    ) -> RunEntry {
        RunEntry {
            id,
            key,
            label,
            spec: spec.clone(),
            config: config.clone(),
            seed: config.seed,
            train_data: data.train.clone(),
            validation_data: data.validation.clone(),
            status: EntryStatus::Running,
            message: None,
            epochs: Vec::new(),
            validation: None,
            started_at: now_rfc3339(),
            finished_at: None,
            seconds: None,
            pid: std::process::id(),
            weights: None,
        }
    }
}

impl Study {
    /// Trains a model with the project's trainer, or returns the recorded
    /// run with the same key (see the module docs) without training.
    pub fn run(
        &mut self,
        spec: &ModelSpec,
        config: &TrainConfig,
        train: &Dataset,
        validation: &Dataset,
        options: TrainOptions,
    ) -> Result<Run, StudyError> {
        let data = DataPair::of(train, validation);
        self.run_inner(
            None,
            spec,
            config,
            train,
            validation,
            &data,
            |s, c, t, v| crate::train::train(s, c, t, v, options).map(TrainerOutput::from),
        )
    }

    /// Like [`Study::run`] with any trainer (tests use fast fake ones).
    /// The trainer is called only when the run is new and fits the budget.
    pub fn run_with<F, E>(
        &mut self,
        spec: &ModelSpec,
        config: &TrainConfig,
        train: &Dataset,
        validation: &Dataset,
        trainer: F,
    ) -> Result<Run, StudyError>
    where
        F: FnOnce(&ModelSpec, &TrainConfig, &Dataset, &Dataset) -> Result<TrainerOutput, E>,
        E: Into<TrainerFailure>,
    {
        let data = DataPair::of(train, validation);
        self.run_inner(None, spec, config, train, validation, &data, trainer)
    }

    /// Trains a classifier of feature vectors (a dense network with
    /// [`crate::model::DenseSpec::inputs`], e.g. on hand landmarks) with the
    /// project's trainer, or returns the recorded run: the same ledger,
    /// budget and run key as [`Study::run`], with the feature sets'
    /// fingerprints in place of the images'.
    pub fn run_features(
        &mut self,
        spec: &ModelSpec,
        config: &TrainConfig,
        train: &FeatureSet,
        validation: &FeatureSet,
        options: TrainOptions,
    ) -> Result<Run, StudyError> {
        let data = DataPair::of_features(train, validation);
        self.run_recorded(None, spec, config, &data, || {
            crate::train::train_features(spec, config, train, validation, options)
                .map(TrainerOutput::from)
        })
    }

    /// Reserve → train → record: the cache and budget are checked and a
    /// slot reserved under the ledger lock, the trainer runs without it, and
    /// the result is recorded under the lock again.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_inner<F, E>(
        &mut self,
        label: Option<String>,
        spec: &ModelSpec,
        config: &TrainConfig,
        train: &Dataset,
        validation: &Dataset,
        data: &DataPair,
        trainer: F,
    ) -> Result<Run, StudyError>
    where
        F: FnOnce(&ModelSpec, &TrainConfig, &Dataset, &Dataset) -> Result<TrainerOutput, E>,
        E: Into<TrainerFailure>,
    {
        self.run_recorded(label, spec, config, data, || {
            trainer(spec, config, train, validation)
        })
    }

    /// [`Study::run_inner`] for a trainer that holds its own data.
    fn run_recorded<F, E>(
        &mut self,
        label: Option<String>,
        spec: &ModelSpec,
        config: &TrainConfig,
        data: &DataPair,
        trainer: F,
    ) -> Result<Run, StudyError>
    where
        F: FnOnce() -> Result<TrainerOutput, E>,
        E: Into<TrainerFailure>,
    {
        let (id, run_lock) = match self.reserve(label, spec, config, data)? {
            Reservation::Recorded(run) => return Ok(*run),
            Reservation::Slot(id, run_lock) => (id, run_lock),
        };
        let started = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(trainer));
        let seconds = started.elapsed().as_secs_f64();
        let result = match outcome {
            Ok(Ok(out)) => self.outcome_of(&id, out),
            Ok(Err(e)) => {
                let failure: TrainerFailure = e.into();
                if failure.nothing_trained {
                    return self.release(&id, run_lock, failure.message);
                }
                Outcome::failed(failure.message)
            }
            Err(panic) => Outcome::failed(format!(
                "the trainer panicked: {}",
                panic_text(panic.as_ref())
            )),
        };
        let entry = self.record(&id, run_lock, result, seconds)?;
        match entry.status {
            EntryStatus::Failed => Err(StudyError::RunFailed {
                id: entry.id,
                message: entry.message.unwrap_or_default(),
            }),
            EntryStatus::Interrupted => Err(StudyError::Interrupted {
                id: entry.id,
                epochs: entry.epochs.len(),
            }),
            _ => Ok(Run {
                entry,
                cached: false,
            }),
        }
    }

    /// Under the ledger lock: the recorded run for this key (or its
    /// error), the budget check, and a new `running` entry with its lock.
    fn reserve(
        &mut self,
        label: Option<String>,
        spec: &ModelSpec,
        config: &TrainConfig,
        data: &DataPair,
    ) -> Result<Reservation, StudyError> {
        let key = data.key(spec, config);
        let _lock = self.lock()?;
        self.reload_locked()?;
        if let Some(recorded) = self.recorded(&key) {
            return recorded.map(|run| Reservation::Recorded(Box::new(run)));
        }
        if self.ledger.used() >= self.ledger.budget {
            return Err(StudyError::BudgetExhausted {
                dir: self.dir.clone(),
                used: self.ledger.used(),
                budget: self.ledger.budget,
            });
        }
        let id = self.next_id();
        // A fresh id: its lock is free unless a stale file is still locked.
        let run_lock = self
            .try_run_lock(&id)?
            .ok_or_else(|| StudyError::InconsistentLedger {
                path: self.ledger_path(),
                problem: format!("the lock of new run {id} is held by another process"),
            })?;
        self.ledger.note_data(&data.train);
        self.ledger.note_data(&data.validation);
        let entry = RunEntry::reserved(id.clone(), key, label, spec, config, data);
        self.ledger.runs.push(entry);
        if let Err(e) = self.ledger.write_atomic(&self.ledger_path()) {
            self.ledger.runs.pop();
            return Err(e);
        }
        Ok(Reservation::Slot(id, run_lock))
    }

    /// What a repeated request gets (module docs): finished runs are
    /// returned, a failed run's error again, a running one is refused;
    /// `None` when the key is new or its run was interrupted.
    fn recorded(&mut self, key: &str) -> Option<Result<Run, StudyError>> {
        let entry = self.ledger.runs.iter().rev().find(|r| r.key == key)?;
        match entry.status {
            s if s.is_finished() => {
                let run = Run {
                    entry: entry.clone(),
                    cached: true,
                };
                self.cached_requests += 1;
                Some(Ok(run))
            }
            EntryStatus::Failed => {
                let err = StudyError::RunFailed {
                    id: entry.id.clone(),
                    message: entry.message.clone().unwrap_or_default(),
                };
                self.cached_requests += 1;
                Some(Err(err))
            }
            EntryStatus::Running => Some(Err(StudyError::RunInProgress {
                id: entry.id.clone(),
                pid: entry.pid,
            })),
            _ => None, // interrupted: train again
        }
    }

    /// The next run id: `r` and one more than the largest number so far,
    /// zero-padded to the budget's width (at least 3 digits).
    fn next_id(&self) -> String {
        let width = self.ledger.budget.to_string().len().max(3);
        let next = self
            .ledger
            .runs
            .iter()
            .filter_map(|r| r.id.strip_prefix('r')?.parse::<usize>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        format!("r{next:0width$}")
    }

    /// The status of a trainer's result, with its weights saved when the
    /// run keeps them.
    fn outcome_of(&self, id: &str, out: TrainerOutput) -> Outcome {
        let (mut status, mut message, mut kept_epoch) = (EntryStatus::Completed, None, None);
        match out.history.status {
            RunStatus::Completed => {}
            RunStatus::EarlyStopped { best_epoch } => {
                kept_epoch = Some(best_epoch);
                status = EntryStatus::EarlyStopped;
            }
            RunStatus::Diverged { epoch, reason } => {
                message = Some(format!("diverged in epoch {epoch}: {reason}"));
                status = EntryStatus::Diverged;
            }
            RunStatus::Interrupted => {
                message = Some("stopped by the stop flag".into());
                status = EntryStatus::Interrupted;
            }
        }
        let mut weights = None;
        if let (true, Some(vs)) = (status.has_weights(), out.weights) {
            let rel = format!("weights/{id}.safetensors");
            match self.save_weights(id, &vs, &rel) {
                Ok(()) => weights = Some(rel),
                Err(e) => {
                    status = EntryStatus::Failed;
                    message = Some(e.to_string());
                }
            }
        }
        Outcome {
            status,
            message,
            epochs: out.history.epochs,
            kept_epoch,
            weights,
        }
    }

    /// Under the ledger lock: writes the outcome into the reserved entry
    /// and frees the run's lock.
    fn record(
        &mut self,
        id: &str,
        run_lock: File,
        outcome: Outcome,
        seconds: f64,
    ) -> Result<RunEntry, StudyError> {
        let _lock = self.lock()?;
        self.reload_locked()?;
        let path = self.ledger_path();
        let entry = self
            .ledger
            .runs
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| StudyError::InconsistentLedger {
                path: path.clone(),
                problem: format!("run {id}, reserved by this process, disappeared"),
            })?;
        entry.validation = ValidationMetrics::from_epochs(&outcome.epochs, outcome.kept_epoch);
        entry.epochs = outcome.epochs;
        entry.status = outcome.status;
        entry.message = outcome.message;
        entry.finished_at = Some(now_rfc3339());
        entry.seconds = Some(seconds);
        entry.weights = outcome.weights;
        let entry = entry.clone();
        self.ledger.write_atomic(&path)?;
        drop(run_lock);
        let _ = fs::remove_file(self.run_lock_path(id));
        Ok(entry)
    }

    /// Gives back the slot of run `id` (reserved by this handle) when the
    /// trainer refused before training: nothing was spent.
    fn release(&mut self, id: &str, run_lock: File, message: String) -> Result<Run, StudyError> {
        let _lock = self.lock()?;
        self.reload_locked()?;
        self.ledger.runs.retain(|r| r.id != id);
        self.ledger.write_atomic(&self.ledger_path())?;
        drop(run_lock);
        let _ = fs::remove_file(self.run_lock_path(id));
        Err(StudyError::NothingTrained { message })
    }

    fn save_weights(&self, id: &str, vs: &nn::VarStore, rel: &str) -> Result<(), StudyError> {
        let path = self.dir.join(rel);
        let dir = self.dir.join("weights");
        fs::create_dir_all(&dir).map_err(io_err(&dir, "create"))?;
        // Write under a temporary name, then rename: a kill never leaves a
        // half-written weights file under the final name.
        let tmp = dir.join(format!(".{id}.tmp-{}.safetensors", std::process::id()));
        crate::weights::save_weights(vs, &tmp).map_err(|source| StudyError::Weights {
            id: id.to_string(),
            path: tmp.clone(),
            action: "save",
            source: Box::new(source),
        })?;
        fs::rename(&tmp, &path).map_err(io_err(&path, "rename the weights onto"))
    }
}
