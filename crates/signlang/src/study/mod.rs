//! The study ledger: a folder that records every training run, enforces the
//! run budget, returns recorded runs for free, and records every look at
//! the test split.
//!
//! ```text
//! runs/<name>/                 (git-ignored)
//!   ledger.json                the ledger (format_version 1, checksummed)
//!   weights/<run id>.safetensors
//!   .lock                      held while the ledger is read-modified-written
//!   locks/<run id>.lock        held by the process training that run
//! ```
//!
//! # Budget
//! A study is created with a budget (default [`DEFAULT_BUDGET`] = 50 runs),
//! stored in the ledger and fixed from then on. Every run that was started
//! counts: completed, stopped early, diverged, failed, interrupted or still
//! running. A run that would exceed the budget is refused before any
//! training, with [`StudyError::BudgetExhausted`].
//!
//! # Cache: the run key
//! A run's key is the first 16 hex digits of the SHA-256 of the canonical
//! JSON (keys sorted, no whitespace) of
//!
//! ```text
//! { "key_version": 1,
//!   "spec":       the ModelSpec, every field,
//!   "config":     the TrainConfig, every field, including the seed,
//!   "train":      Dataset::fingerprint of the training images and classes,
//!   "validation": Dataset::fingerprint of the validation images and classes }
//! ```
//!
//! Asking again for a key that is recorded returns the recorded run at once:
//! nothing is trained and no budget is spent. Any change to the model, the
//! configuration (learning rate, epochs, seed, …) or the data makes a new
//! key, hence a new run. **Not** in the key: data set names, the device,
//! progress output, the stop flag, search labels, and the trainer's code — a
//! change to the trainer itself needs a new study folder.
//!
//! What a repeated request gets depends on how the recorded run ended:
//! completed, stopped early or diverged runs are returned; a failed run
//! returns its error again (change the seed or config to try again); an
//! interrupted run is trained again, which spends another run.
//!
//! # Robustness
//! - The ledger is written atomically (temporary file, flush, rename), so a
//!   kill at any moment leaves either the old or the new ledger.
//! - A run's slot is reserved (status `running`, with the process id) under
//!   the ledger lock before training starts, and the training process holds
//!   `locks/<id>.lock` until it records the result. A `running` entry whose
//!   lock is free belongs to a process that died (kill, crash, Ctrl-C); it is
//!   marked `interrupted` the next time the ledger is opened, and still
//!   counts, since its compute was spent.
//! - Two processes racing for the last run: only one can reserve it.
//! - A ledger that is not valid JSON, has another `format_version`, fails its
//!   checksum (hand-edited) or is inconsistent (more runs than budget) is
//!   refused with a typed error naming the file; it is never reset.
//!
//! # Test split
//! The sealed [`crate::data::TestSplit`] is read only by
//! [`Study::evaluate_on_test`], which records a [`TestTouch`] (run, time,
//! images, accuracy) in the ledger before returning predictions.

pub mod finals;
mod ledger;
pub mod recipes;
mod records;
mod robustness;
mod scale;
mod search;
mod test_eval;
mod views;

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use sha2::{Digest, Sha256};
use tch::nn;

use crate::data::Dataset;
use crate::model::ModelSpec;
use crate::train::{History, RunStatus, TrainConfig};

pub use crate::model::Net;
pub use crate::train::{Progress, TrainError, TrainOptions, Trained};
pub use finals::{seed_table, seeded_finals, validation_evaluations, SeedTests, SeededFinal};
pub use ledger::{
    DataRef, EntryStatus, Ledger, RunEntry, TestTouch, ValidationMetrics, FORMAT_VERSION,
};
pub use records::{Cell, CellKind, RecordsError, RunRecord, RUN_COLUMNS};
pub use scale::Scale;
pub use search::{
    Candidate, Grid, Plan, PlanCost, RandomSearch, Rung, SearchOutcome, SuccessiveHalving,
};
pub use test_eval::TestPredictions;
pub use views::{settings_summary, RunRow, RunsTable};

use ledger::now_rfc3339;

/// Runs a study may spend unless created with another budget.
pub const DEFAULT_BUDGET: usize = 50;

/// The ledger's file name inside a study folder.
pub const LEDGER_FILE: &str = "ledger.json";

/// Errors of the study ledger.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A file operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The folder holds no ledger.
    #[error("{dir} holds no study (no {LEDGER_FILE}); create one with Study::create or Study::open_or_create")]
    NotAStudy {
        /// The folder.
        dir: PathBuf,
    },
    /// `create` found a ledger already.
    #[error("{dir} already holds a study; open it with Study::open, or start a new study on purpose in a new folder")]
    AlreadyExists {
        /// The folder.
        dir: PathBuf,
    },
    /// The ledger cannot be parsed.
    #[error("the study ledger {path} is corrupt: {detail}. It was left untouched and nothing was reset; restore it (backup, version control) or start a new study in a new folder")]
    CorruptLedger {
        /// The ledger file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The ledger has another format version.
    #[error("the study ledger {path} has format_version {found}, but this library reads format {FORMAT_VERSION}; use a matching signlang version, or start a new study in a new folder")]
    UnsupportedFormat {
        /// The ledger file.
        path: PathBuf,
        /// The version found ("none" when missing).
        found: String,
    },
    /// The checksum does not match: the file was edited by hand or damaged.
    #[error("the study ledger {path} was edited by hand or damaged: its checksum does not match its content, so its runs and budget cannot be trusted and it is not used. Restore the file, or start a new study in a new folder")]
    EditedLedger {
        /// The ledger file.
        path: PathBuf,
    },
    /// The ledger parses but contradicts itself.
    #[error("the study ledger {path} is inconsistent: {problem}. Restore the file, or start a new study in a new folder")]
    InconsistentLedger {
        /// The ledger file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A budget of 0 was asked for.
    #[error("a study needs a budget of at least 1 run")]
    InvalidBudget,
    /// `open_or_create` was given another budget than the stored one.
    #[error("the study in {dir} was created with a budget of {stored} runs, not {requested}; the budget is fixed at creation. Use {stored}, or start a new study on purpose in a new folder")]
    BudgetMismatch {
        /// The folder.
        dir: PathBuf,
        /// Budget in the ledger.
        stored: usize,
        /// Budget asked for.
        requested: usize,
    },
    /// The budget is spent; nothing was trained.
    #[error("run refused before training: the study in {dir} has used {used} / {budget} runs. Recorded runs can still be reused for free (same model, config, seed and data), compared and evaluated; for more training, start a new study on purpose in a new folder")]
    BudgetExhausted {
        /// The folder.
        dir: PathBuf,
        /// Runs used.
        used: usize,
        /// The budget.
        budget: usize,
    },
    /// A plan needs more new runs than are left.
    #[error("plan \"{plan}\" refused before training: it needs up to {new_runs} new runs ({cached} more are recorded and free), but only {remaining} of {budget} remain. Shrink the plan (fewer values, samples or rungs) or reuse recorded runs")]
    PlanOverBudget {
        /// The plan's name.
        plan: String,
        /// New (uncached) runs it may need.
        new_runs: usize,
        /// Runs it would reuse.
        cached: usize,
        /// Runs left.
        remaining: usize,
        /// The budget.
        budget: usize,
    },
    /// Evaluating a recorded run failed.
    #[error("evaluating run {id}: {source}")]
    Evaluate {
        /// The run.
        id: String,
        /// The cause.
        source: crate::evaluate::EvaluateError,
    },
    /// A plan is malformed.
    #[error("plan \"{plan}\" is invalid: {problem}")]
    InvalidPlan {
        /// The plan's name.
        plan: String,
        /// What is wrong.
        problem: String,
    },
    /// The same run is being trained by a live process.
    #[error("run {id} (same model, config, seed and data) is being trained right now by process {pid}; wait for it, then ask again to get the recorded run")]
    RunInProgress {
        /// The run.
        id: String,
        /// The process training it.
        pid: u32,
    },
    /// The trainer failed (now, or when the run was recorded).
    #[error("run {id} failed: {message}. It counts against the budget; asking again returns this error; change the config or seed to try something else")]
    RunFailed {
        /// The run.
        id: String,
        /// The trainer's error.
        message: String,
    },
    /// The run was interrupted (stop flag).
    #[error("run {id} was interrupted after {epochs} epochs; it counts against the budget, and asking for it again trains it again")]
    Interrupted {
        /// The run.
        id: String,
        /// Epochs that finished.
        epochs: usize,
    },
    /// The trainer refused before training (bad spec, config or data).
    #[error("nothing was trained and no budget was spent: {message}")]
    NothingTrained {
        /// The trainer's message.
        message: String,
    },
    /// No run with that id.
    #[error("the study in {dir} has no run {id}")]
    UnknownRun {
        /// The folder.
        dir: PathBuf,
        /// The id asked for.
        id: String,
    },
    /// The run has no weights (not finished, diverged, or failed).
    #[error("run {id} has no weights (status {status}); only completed or early-stopped runs do")]
    NoWeights {
        /// The run.
        id: String,
        /// Its status.
        status: &'static str,
    },
    /// Saving or loading weights failed.
    #[error("could not {action} the weights of run {id} ({path}): {source}")]
    Weights {
        /// The run.
        id: String,
        /// The file.
        path: PathBuf,
        /// "save" or "load".
        action: &'static str,
        /// The cause.
        source: Box<tch::TchError>,
    },
    /// Predictions on the test split had the wrong shape.
    #[error("the model of run {id} returned probabilities of shape {shape:?} for {n} test images; expected [{n}, 24]")]
    BadPredictions {
        /// The run.
        id: String,
        /// Shape returned.
        shape: Vec<i64>,
        /// Number of test images.
        n: usize,
    },
    /// A robustness evaluation of a run failed.
    #[error("robustness evaluation of run {id}: {source}")]
    Robustness {
        /// The run.
        id: String,
        /// What went wrong.
        source: crate::corrupt::RobustnessError,
    },
}

/// Why a trainer returned no result. A [`TrainError`] converts by its kind
/// (a refusal before training or a counted failure); a message (`String`,
/// `&str`) or a libtorch error converts into a counted failure;
/// [`TrainerFailure::nothing_trained`] marks a refusal before any training
/// (a bad spec or config), which gives the slot back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainerFailure {
    /// The trainer's message.
    pub message: String,
    /// True when the trainer refused before training: the run is not
    /// recorded and spends no budget.
    pub nothing_trained: bool,
}

impl TrainerFailure {
    /// A failure during training (recorded as `failed`, counted).
    pub fn failed(message: impl Into<String>) -> Self {
        TrainerFailure {
            message: message.into(),
            nothing_trained: false,
        }
    }

    /// A refusal before any training (not recorded, not counted).
    pub fn nothing_trained(message: impl Into<String>) -> Self {
        TrainerFailure {
            message: message.into(),
            nothing_trained: true,
        }
    }
}

/// The project's trainer: errors before any training (bad spec, config or
/// data) spend no budget; libtorch errors happen during training and count.
/// The same conversion serves [`Study::run`] and [`Study::run_with`].
impl From<TrainError> for TrainerFailure {
    fn from(e: TrainError) -> Self {
        match e {
            TrainError::Torch(_) => TrainerFailure::failed(e.to_string()),
            _ => TrainerFailure::nothing_trained(e.to_string()),
        }
    }
}

/// A message from another trainer: a counted failure.
impl From<String> for TrainerFailure {
    fn from(message: String) -> Self {
        TrainerFailure::failed(message)
    }
}

/// A message from another trainer: a counted failure.
impl From<&str> for TrainerFailure {
    fn from(message: &str) -> Self {
        TrainerFailure::failed(message)
    }
}

/// A libtorch error during training: a counted failure.
impl From<tch::TchError> for TrainerFailure {
    fn from(e: tch::TchError) -> Self {
        TrainerFailure::failed(format!("libtorch: {e}"))
    }
}

/// A trainer that cannot fail.
impl From<std::convert::Infallible> for TrainerFailure {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}

/// What a trainer hands back to the study.
pub struct TrainerOutput {
    /// Per-epoch history and how the run ended.
    pub history: History,
    /// The weights to keep (saved as safetensors), if any.
    pub weights: Option<nn::VarStore>,
}

impl From<Trained> for TrainerOutput {
    fn from(t: Trained) -> Self {
        TrainerOutput {
            history: t.history,
            weights: Some(t.vs),
        }
    }
}

/// A run returned by the study: its ledger entry and whether it came from
/// the cache.
#[derive(Clone, Debug)]
pub struct Run {
    /// The ledger entry.
    pub entry: RunEntry,
    /// True when nothing was trained (the run was already recorded).
    pub cached: bool,
}

impl Run {
    /// The run id.
    pub fn id(&self) -> &str {
        &self.entry.id
    }

    /// Shows the run inline in evcxr.
    pub fn evcxr_display(&self) {
        views::RunsTable::of(std::slice::from_ref(&self.entry)).evcxr_display()
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.entry;
        write!(
            f,
            "{} {}{}: {}",
            e.id,
            e.status.name(),
            if self.cached {
                " (recorded, nothing trained)"
            } else {
                ""
            },
            settings_summary(&e.spec, &e.config)
        )?;
        if let Some(v) = &e.validation {
            write!(
                f,
                ", epoch {}: val acc {:.4}, val loss {:.4}",
                v.epoch, v.accuracy, v.loss
            )?;
        }
        if let Some(s) = e.seconds {
            write!(f, ", {s:.1} s")?;
        }
        Ok(())
    }
}

/// The run key of a model, configuration and data (see the module docs).
pub fn run_key(
    spec: &ModelSpec,
    config: &TrainConfig,
    train_fingerprint: &str,
    validation_fingerprint: &str,
) -> String {
    let value = json!({
        "key_version": 1,
        "spec": spec,
        "config": config,
        "train": train_fingerprint,
        "validation": validation_fingerprint,
    });
    let digest = Sha256::digest(ledger::canonical_json(&value).as_bytes());
    ledger::hex(&digest[..8])
}

/// A study bound to a folder; see the module docs.
#[derive(Debug)]
pub struct Study {
    dir: PathBuf,
    ledger: Ledger,
    cached_requests: usize,
}

/// Held while the ledger is read-modified-written (an exclusive file lock on
/// `<dir>/.lock`, released when dropped).
struct LedgerLock {
    _file: File,
}

/// Fingerprints of one (train, validation) pair, computed once.
pub(crate) struct DataPair {
    train: DataRef,
    validation: DataRef,
}

impl DataPair {
    pub(crate) fn of(train: &Dataset, validation: &Dataset) -> Self {
        DataPair {
            train: DataRef {
                name: train.name.clone(),
                fingerprint: train.fingerprint(),
                images: train.len(),
            },
            validation: DataRef {
                name: validation.name.clone(),
                fingerprint: validation.fingerprint(),
                images: validation.len(),
            },
        }
    }

    fn key(&self, spec: &ModelSpec, config: &TrainConfig) -> String {
        run_key(
            spec,
            config,
            &self.train.fingerprint,
            &self.validation.fingerprint,
        )
    }
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> StudyError {
    let path = path.to_path_buf();
    move |source| StudyError::Io {
        path,
        action,
        source,
    }
}

impl Study {
    /// Creates a new study in `dir` (created if missing) with a budget of
    /// `budget` runs. Fails if `dir` already holds a study.
    pub fn create(dir: impl AsRef<Path>, budget: usize) -> Result<Study, StudyError> {
        if budget == 0 {
            return Err(StudyError::InvalidBudget);
        }
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(io_err(&dir, "create the study folder"))?;
        let study = Study {
            dir,
            ledger: Ledger::new(budget),
            cached_requests: 0,
        };
        let _lock = study.lock()?;
        if study.ledger_path().exists() {
            return Err(StudyError::AlreadyExists { dir: study.dir });
        }
        study.ledger.write_atomic(&study.ledger_path())?;
        Ok(study)
    }

    /// Opens the study in `dir`. Runs left `running` by a process that is
    /// gone are marked `interrupted` (and still counted).
    pub fn open(dir: impl AsRef<Path>) -> Result<Study, StudyError> {
        let dir = dir.as_ref().to_path_buf();
        if !dir.join(LEDGER_FILE).exists() {
            return Err(StudyError::NotAStudy { dir });
        }
        let mut study = Study {
            dir,
            ledger: Ledger::new(1),
            cached_requests: 0,
        };
        study.reload()?;
        Ok(study)
    }

    /// Opens the study in `dir`, or creates it with `budget` when the folder
    /// holds none. An existing study must have been created with the same
    /// budget ([`StudyError::BudgetMismatch`] otherwise).
    pub fn open_or_create(dir: impl AsRef<Path>, budget: usize) -> Result<Study, StudyError> {
        let dir = dir.as_ref();
        let study = match Study::create(dir, budget) {
            Err(StudyError::AlreadyExists { .. }) => Study::open(dir)?,
            other => other?,
        };
        if study.budget() != budget {
            return Err(StudyError::BudgetMismatch {
                dir: dir.to_path_buf(),
                stored: study.budget(),
                requested: budget,
            });
        }
        Ok(study)
    }

    /// The study folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the ledger file.
    pub fn ledger_path(&self) -> PathBuf {
        self.dir.join(LEDGER_FILE)
    }

    /// The budget (most runs), fixed at creation.
    pub fn budget(&self) -> usize {
        self.ledger.budget
    }

    /// Runs counted against the budget.
    pub fn used(&self) -> usize {
        self.ledger.used()
    }

    /// Runs left.
    pub fn remaining(&self) -> usize {
        self.budget().saturating_sub(self.used())
    }

    /// Requests answered from the ledger by this handle (nothing trained).
    pub fn cached_requests(&self) -> usize {
        self.cached_requests
    }

    /// The ledger as last read or written by this handle.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// All runs, in order of reservation.
    pub fn runs(&self) -> &[RunEntry] {
        &self.ledger.runs
    }

    /// The run with id `id`.
    pub fn get(&self, id: &str) -> Result<&RunEntry, StudyError> {
        self.ledger
            .runs
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StudyError::UnknownRun {
                dir: self.dir.clone(),
                id: id.to_string(),
            })
    }

    /// The latest recorded run for this model, config and data, if any
    /// (no training, no budget).
    pub fn lookup(
        &self,
        spec: &ModelSpec,
        config: &TrainConfig,
        train: &Dataset,
        validation: &Dataset,
    ) -> Option<&RunEntry> {
        let key = DataPair::of(train, validation).key(spec, config);
        self.ledger.runs.iter().rev().find(|r| r.key == key)
    }

    /// Re-reads the ledger from disk (other processes may have added runs),
    /// marking runs of dead processes as interrupted.
    pub fn reload(&mut self) -> Result<(), StudyError> {
        let _lock = self.lock()?;
        self.reload_locked()
    }

    fn lock(&self) -> Result<LedgerLock, StudyError> {
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path, "open the lock file"))?;
        fs4::FileExt::lock(&file).map_err(io_err(&path, "lock"))?;
        Ok(LedgerLock { _file: file })
    }

    fn run_lock_path(&self, id: &str) -> PathBuf {
        self.dir.join("locks").join(format!("{id}.lock"))
    }

    /// Takes the lock of run `id`: `Ok(Some(file))` when free (held until the
    /// file is dropped), `Ok(None)` when a live process holds it.
    fn try_run_lock(&self, id: &str) -> Result<Option<File>, StudyError> {
        let path = self.run_lock_path(id);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent, "create"))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path, "open the run lock"))?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(Some(file)),
            Err(fs4::TryLockError::WouldBlock) => Ok(None),
            Err(fs4::TryLockError::Error(e)) => Err(io_err(&path, "lock")(e)),
        }
    }

    /// Reads the ledger; must be called with the ledger lock held.
    fn reload_locked(&mut self) -> Result<(), StudyError> {
        let path = self.ledger_path();
        if !path.exists() {
            return Err(StudyError::NotAStudy {
                dir: self.dir.clone(),
            });
        }
        let mut ledger = Ledger::read(&path)?;
        let mut changed = false;
        for i in 0..ledger.runs.len() {
            if ledger.runs[i].status != EntryStatus::Running {
                continue;
            }
            let id = ledger.runs[i].id.clone();
            if let Some(lock) = self.try_run_lock(&id)? {
                let entry = &mut ledger.runs[i];
                entry.status = EntryStatus::Interrupted;
                entry.message = Some(format!(
                    "process {} ended before the run finished (killed, crashed or interrupted)",
                    entry.pid
                ));
                entry.finished_at = Some(now_rfc3339());
                changed = true;
                drop(lock);
                let _ = fs::remove_file(self.run_lock_path(&id));
            }
        }
        if changed {
            ledger.write_atomic(&path)?;
        }
        self.ledger = ledger;
        Ok(())
    }

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
        let key = data.key(spec, config);
        // 1. Under the ledger lock: cache lookup, budget check, reservation.
        let (id, run_lock) = {
            let _lock = self.lock()?;
            self.reload_locked()?;
            if let Some(entry) = self.ledger.runs.iter().rev().find(|r| r.key == key) {
                match entry.status {
                    s if s.is_finished() => {
                        self.cached_requests += 1;
                        return Ok(Run {
                            entry: entry.clone(),
                            cached: true,
                        });
                    }
                    EntryStatus::Failed => {
                        self.cached_requests += 1;
                        return Err(StudyError::RunFailed {
                            id: entry.id.clone(),
                            message: entry.message.clone().unwrap_or_default(),
                        });
                    }
                    EntryStatus::Running => {
                        return Err(StudyError::RunInProgress {
                            id: entry.id.clone(),
                            pid: entry.pid,
                        })
                    }
                    _ => {} // interrupted: train again
                }
            }
            if self.ledger.used() >= self.ledger.budget {
                return Err(StudyError::BudgetExhausted {
                    dir: self.dir.clone(),
                    used: self.ledger.used(),
                    budget: self.ledger.budget,
                });
            }
            let width = self.ledger.budget.to_string().len().max(3);
            let next = self
                .ledger
                .runs
                .iter()
                .filter_map(|r| r.id.strip_prefix('r')?.parse::<usize>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            let id = format!("r{next:0width$}");
            // A fresh id: its lock is free unless a stale file is still locked.
            let run_lock =
                self.try_run_lock(&id)?
                    .ok_or_else(|| StudyError::InconsistentLedger {
                        path: self.ledger_path(),
                        problem: format!("the lock of new run {id} is held by another process"),
                    })?;
            self.ledger.note_data(&data.train);
            self.ledger.note_data(&data.validation);
            self.ledger.runs.push(RunEntry {
                id: id.clone(),
                key: key.clone(),
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
            });
            if let Err(e) = self.ledger.write_atomic(&self.ledger_path()) {
                self.ledger.runs.pop();
                return Err(e);
            }
            (id, run_lock)
        };

        // 2. Train, without the ledger lock (other processes may use it).
        let started = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            trainer(spec, config, train, validation)
        }));
        let seconds = started.elapsed().as_secs_f64();

        // 3. Save the weights, then record the result under the lock.
        let mut status;
        let mut message = None;
        let mut epochs = Vec::new();
        let mut kept_epoch = None;
        let mut weights = None;
        match outcome {
            Ok(Ok(out)) => {
                epochs = out.history.epochs;
                status = match out.history.status {
                    RunStatus::Completed => EntryStatus::Completed,
                    RunStatus::EarlyStopped { best_epoch } => {
                        kept_epoch = Some(best_epoch);
                        EntryStatus::EarlyStopped
                    }
                    RunStatus::Diverged { epoch, reason } => {
                        message = Some(format!("diverged in epoch {epoch}: {reason}"));
                        EntryStatus::Diverged
                    }
                    RunStatus::Interrupted => {
                        message = Some("stopped by the stop flag".into());
                        EntryStatus::Interrupted
                    }
                };
                if matches!(status, EntryStatus::Completed | EntryStatus::EarlyStopped) {
                    if let Some(vs) = out.weights {
                        let rel = format!("weights/{id}.safetensors");
                        match self.save_weights(&id, &vs, &rel) {
                            Ok(()) => weights = Some(rel),
                            Err(e) => {
                                status = EntryStatus::Failed;
                                message = Some(e.to_string());
                            }
                        }
                    }
                }
            }
            Ok(Err(e)) => {
                let failure: TrainerFailure = e.into();
                if failure.nothing_trained {
                    return self.release(&id, run_lock, failure.message);
                }
                status = EntryStatus::Failed;
                message = Some(failure.message);
            }
            Err(panic) => {
                status = EntryStatus::Failed;
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                message = Some(format!("the trainer panicked: {text}"));
            }
        }
        let entry = {
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
            entry.validation = ValidationMetrics::from_epochs(&epochs, kept_epoch);
            entry.epochs = epochs;
            entry.status = status;
            entry.message = message;
            entry.finished_at = Some(now_rfc3339());
            entry.seconds = Some(seconds);
            entry.weights = weights;
            let entry = entry.clone();
            self.ledger.write_atomic(&path)?;
            drop(run_lock);
            let _ = fs::remove_file(self.run_lock_path(&id));
            entry
        };
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

    /// Path of a run's weights file.
    pub fn weights_path(&self, id: &str) -> Result<PathBuf, StudyError> {
        let entry = self.get(id)?;
        match &entry.weights {
            Some(rel) => Ok(self.dir.join(rel)),
            None => Err(StudyError::NoWeights {
                id: id.to_string(),
                status: entry.status.name(),
            }),
        }
    }

    /// Loads the weights of a run into `vs`, whose variables must already
    /// exist (built from the run's spec).
    pub fn load_weights_into(&self, id: &str, vs: &mut nn::VarStore) -> Result<(), StudyError> {
        let path = self.weights_path(id)?;
        vs.load(&path).map_err(|source| StudyError::Weights {
            id: id.to_string(),
            path,
            action: "load",
            source: Box::new(source),
        })
    }

    /// The network of a run, with its recorded weights, on the CPU.
    pub fn load_model(&self, id: &str) -> Result<(Net, nn::VarStore), StudyError> {
        self.load_model_on(id, tch::Device::Cpu)
    }

    /// The network of a run, with its recorded weights, on `device`.
    pub fn load_model_on(
        &self,
        id: &str,
        device: tch::Device,
    ) -> Result<(Net, nn::VarStore), StudyError> {
        let spec = self.get(id)?.spec.clone();
        let mut vs = nn::VarStore::new(device);
        let net = spec.build(&vs.root());
        self.load_weights_into(id, &mut vs)?;
        Ok((net, vs))
    }
}
