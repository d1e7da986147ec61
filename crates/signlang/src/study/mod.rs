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
//!   cache/                     evaluations of recorded runs (crate::cache), re-used by re-runs
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

pub mod app;
mod cached;
mod choices;
mod error;
mod files;
pub mod finals;
mod format;
mod label;
mod ledger;
mod loaded;
pub mod recipes;
mod records;
mod robustness;
mod run;
mod runs_table;
mod scale;
mod search;
mod test_eval;
pub mod touches;
mod trainer;
mod views;

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use tch::nn;

use crate::data::{Dataset, FeatureSet};
use crate::model::ModelSpec;
use crate::train::TrainConfig;

pub use crate::model::Net;
pub use crate::train::{Progress, TrainError, TrainOptions, Trained};
pub use app::{
    app_table, rank_candidates, rank_for_apps, told_apart, top_two_note, AppCandidate,
    CALIBRATION_SEVERITY, CLEAN_FLOOR,
};
pub use choices::CHOICES_FILE;
pub use error::StudyError;
pub use finals::{seed_table, seeded_finals, validation_evaluations, SeedTests, SeededFinal};
pub use format::{FORMAT_VERSION, LEDGER_FILE};
pub use label::RunLabel;
pub use ledger::{DataRef, EntryStatus, Ledger, RunEntry, TestTouch, ValidationMetrics};
pub use loaded::LoadedRun;
pub use records::{Cell, CellKind, RecordsError, RunRecord, RUN_COLUMNS};
pub use runs_table::RunsTable;
pub use scale::Scale;
pub use search::{
    Candidate, Grid, Plan, PlanCost, RandomSearch, Rung, SearchOutcome, SuccessiveHalving,
};
pub use test_eval::TestPredictions;
pub use touches::{touch_counts, touch_table, TouchPurpose};
pub use trainer::{Run, Trainer, TrainerFailure, TrainerOutput};
pub use views::{settings_summary, RunRow};

use files::now_rfc3339;

/// Runs a study may spend unless created with another budget.
pub const DEFAULT_BUDGET: usize = 50;

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
    let digest = Sha256::digest(files::canonical_json(&value).as_bytes());
    files::hex(&digest[..8])
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

    pub(crate) fn of_features(train: &FeatureSet, validation: &FeatureSet) -> Self {
        let data_ref = |f: &FeatureSet| DataRef {
            name: f.name.clone(),
            fingerprint: f.fingerprint(),
            images: f.len(),
        };
        DataPair {
            train: data_ref(train),
            validation: data_ref(validation),
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
