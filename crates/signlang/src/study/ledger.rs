//! The on-disk ledger: its types, its checks, and atomic reads and writes.
//!
//! The file is `<study>/ledger.json`, pretty-printed JSON:
//!
//! ```text
//! { "format_version": 1, "budget": 50, "created_at": "...",
//!   "data": [...], "runs": [...], "test_touches": [...],
//!   "checksum": "sha256:..." }
//! ```
//!
//! `checksum` is the SHA-256 of the canonical JSON of everything else, so a
//! hand edit (or a half-written copy from elsewhere) is reported instead of
//! being trusted.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::files::{checksum_of_value, now_rfc3339, write_atomic};
use super::format::FORMAT_VERSION;
use super::StudyError;
use crate::model::ModelSpec;
use crate::train::{EpochStats, TrainConfig};

/// One data set a run was trained or validated on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataRef {
    /// The data set's name ("train", "validation", …).
    pub name: String,
    /// Its [`crate::data::Dataset::fingerprint`].
    pub fingerprint: String,
    /// Number of images.
    pub images: usize,
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Training is in progress in a live process (its slot is reserved).
    Running,
    /// Ran all its epochs.
    Completed,
    /// Stopped early; the best epoch's weights were kept.
    EarlyStopped,
    /// The loss diverged; training stopped.
    Diverged,
    /// Interrupted (stop flag, Ctrl-C, kernel interrupt, crash, kill).
    /// Counted; asking for the run again trains it again.
    Interrupted,
    /// The trainer returned an error. Counted; asking again returns the error.
    Failed,
}

impl EntryStatus {
    /// True for runs that finished with a result the cache returns as-is.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            EntryStatus::Completed | EntryStatus::EarlyStopped | EntryStatus::Diverged
        )
    }

    /// Whether a run that ended so keeps weights: completed or stopped
    /// early (a diverged run's are not kept).
    pub fn has_weights(self) -> bool {
        matches!(self, EntryStatus::Completed | EntryStatus::EarlyStopped)
    }

    /// Lower-case name, as in the ledger.
    pub fn name(self) -> &'static str {
        match self {
            EntryStatus::Running => "running",
            EntryStatus::Completed => "completed",
            EntryStatus::EarlyStopped => "early_stopped",
            EntryStatus::Diverged => "diverged",
            EntryStatus::Interrupted => "interrupted",
            EntryStatus::Failed => "failed",
        }
    }
}

/// Validation metrics of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationMetrics {
    /// The epoch whose weights were kept (the best epoch when stopped
    /// early, else the last one).
    pub epoch: usize,
    /// Validation accuracy of the kept weights.
    pub accuracy: f64,
    /// Validation loss of the kept weights.
    pub loss: f64,
    /// Best validation accuracy over all epochs.
    pub best_accuracy: f64,
    /// Lowest validation loss over all epochs.
    pub best_loss: f64,
}

impl ValidationMetrics {
    /// Metrics from a history, or `None` when no epoch finished.
    pub fn from_epochs(epochs: &[EpochStats], kept_epoch: Option<usize>) -> Option<Self> {
        let last = epochs.last()?;
        let kept = kept_epoch
            .and_then(|e| epochs.iter().find(|s| s.epoch == e))
            .unwrap_or(last);
        Some(ValidationMetrics {
            epoch: kept.epoch,
            accuracy: kept.val_accuracy,
            loss: kept.val_loss,
            best_accuracy: epochs
                .iter()
                .map(|s| s.val_accuracy)
                .fold(f64::NEG_INFINITY, f64::max),
            best_loss: epochs
                .iter()
                .map(|s| s.val_loss)
                .fold(f64::INFINITY, f64::min),
        })
    }
}

/// One run in the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// Short id, `r001`, `r002`, … in order of reservation.
    pub id: String,
    /// The run key (see the module docs of [`crate::study`]).
    pub key: String,
    /// A label given by a search helper ("lr=0.001, batch=64"), if any.
    #[serde(default)]
    pub label: Option<String>,
    /// The model.
    pub spec: ModelSpec,
    /// The training configuration (including the seed).
    pub config: TrainConfig,
    /// The seed (a copy of `config.seed`, for reading).
    pub seed: u64,
    /// Training data.
    pub train_data: DataRef,
    /// Validation data.
    pub validation_data: DataRef,
    /// Where the run stands.
    pub status: EntryStatus,
    /// Reason for `diverged` / `failed` / `interrupted`, if known.
    #[serde(default)]
    pub message: Option<String>,
    /// Per-epoch history (empty while running).
    #[serde(default)]
    pub epochs: Vec<EpochStats>,
    /// Validation metrics, once at least one epoch finished.
    #[serde(default)]
    pub validation: Option<ValidationMetrics>,
    /// When the slot was reserved (RFC 3339, UTC).
    pub started_at: String,
    /// When the run ended (RFC 3339, UTC), if it did.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// Wall-clock seconds of the trainer call.
    #[serde(default)]
    pub seconds: Option<f64>,
    /// Process that trained (or is training) it.
    pub pid: u32,
    /// Weights file relative to the study folder (safetensors), if saved.
    #[serde(default)]
    pub weights: Option<String>,
}

impl RunEntry {
    /// The run's learning history, for plots ([`crate::plots::learning_curves`]).
    pub fn history(&self) -> crate::train::History {
        use crate::train::RunStatus;
        let last = self.epochs.last().map_or(0, |e| e.epoch);
        let status = match self.status {
            EntryStatus::Completed => RunStatus::Completed,
            EntryStatus::EarlyStopped => RunStatus::EarlyStopped {
                best_epoch: self.validation.as_ref().map_or(last, |v| v.epoch),
            },
            EntryStatus::Diverged => RunStatus::Diverged {
                epoch: last,
                reason: self.message.clone().unwrap_or_default(),
            },
            EntryStatus::Running | EntryStatus::Interrupted | EntryStatus::Failed => {
                RunStatus::Interrupted
            }
        };
        crate::train::History {
            epochs: self.epochs.clone(),
            status,
        }
    }

    /// "dense" or "cnn".
    pub fn family(&self) -> &'static str {
        match self.spec {
            ModelSpec::Dense(_) => "dense",
            ModelSpec::Cnn(_) => "cnn",
        }
    }
}

/// One evaluation on the sealed test split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestTouch {
    /// The evaluated run.
    pub run_id: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Number of test images.
    pub n_images: usize,
    /// Test accuracy.
    pub accuracy: f64,
    /// Fingerprint of the test images.
    pub test_fingerprint: String,
    /// What was measured when it was not plain predictions, e.g.
    /// `robustness (seed 0): clean 99.1%, mean corruption 61.2%` (then
    /// `accuracy` is the clean accuracy). Absent in older ledgers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
}

/// The whole ledger file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// Format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Most runs this study may spend, fixed at creation.
    pub budget: usize,
    /// When the study was created (RFC 3339, UTC).
    pub created_at: String,
    /// Every data set seen by a run, once per fingerprint.
    #[serde(default)]
    pub data: Vec<DataRef>,
    /// Runs in order of reservation; every entry counts against the budget.
    #[serde(default)]
    pub runs: Vec<RunEntry>,
    /// Evaluations on the test split.
    #[serde(default)]
    pub test_touches: Vec<TestTouch>,
}

impl Ledger {
    /// A new, empty ledger.
    pub fn new(budget: usize) -> Self {
        Ledger {
            format_version: FORMAT_VERSION,
            budget,
            created_at: now_rfc3339(),
            data: Vec::new(),
            runs: Vec::new(),
            test_touches: Vec::new(),
        }
    }

    /// Runs counted against the budget (all entries, whatever their status).
    pub fn used(&self) -> usize {
        self.runs.len()
    }

    /// Records a data set once per fingerprint.
    pub fn note_data(&mut self, data: &DataRef) {
        if !self.data.iter().any(|d| d.fingerprint == data.fingerprint) {
            self.data.push(data.clone());
        }
    }

    /// Reads and checks the ledger at `path`.
    pub fn read(path: &Path) -> Result<Ledger, StudyError> {
        let text = fs::read_to_string(path).map_err(|e| StudyError::Io {
            path: path.to_path_buf(),
            action: "read the ledger",
            source: e,
        })?;
        Ledger::parse(path, &text)
    }

    /// Parses and checks ledger text (`path` is for messages only).
    pub fn parse(path: &Path, text: &str) -> Result<Ledger, StudyError> {
        let corrupt = |detail: String| StudyError::CorruptLedger {
            path: path.to_path_buf(),
            detail,
        };
        let mut value: Value = serde_json::from_str(text)
            .map_err(|e| corrupt(format!("it is not valid JSON ({e})")))?;
        let obj = value
            .as_object_mut()
            .ok_or_else(|| corrupt("it is not a JSON object".into()))?;
        match obj.get("format_version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(StudyError::UnsupportedFormat {
                    path: path.to_path_buf(),
                    found: v.to_string(),
                })
            }
            None => {
                return Err(StudyError::UnsupportedFormat {
                    path: path.to_path_buf(),
                    found: "none".into(),
                })
            }
        }
        let stored = match obj.remove("checksum") {
            Some(Value::String(s)) => s,
            _ => return Err(corrupt("it has no \"checksum\" field".into())),
        };
        let actual = checksum_of_value(&value);
        if stored != actual {
            return Err(StudyError::EditedLedger {
                path: path.to_path_buf(),
            });
        }
        let ledger: Ledger = serde_json::from_value(value)
            .map_err(|e| corrupt(format!("its fields do not match format 1 ({e})")))?;
        ledger.check(path)?;
        Ok(ledger)
    }

    /// Consistency checks beyond the schema.
    fn check(&self, path: &Path) -> Result<(), StudyError> {
        let bad = |problem: String| StudyError::InconsistentLedger {
            path: path.to_path_buf(),
            problem,
        };
        if self.budget == 0 {
            return Err(bad("its budget is 0".into()));
        }
        if self.used() > self.budget {
            return Err(bad(format!(
                "it records {} runs but its budget is {}",
                self.used(),
                self.budget
            )));
        }
        let mut ids = std::collections::HashSet::new();
        for run in &self.runs {
            if !ids.insert(run.id.as_str()) {
                return Err(bad(format!("run id {} appears twice", run.id)));
            }
            if run.seed != run.config.seed {
                return Err(bad(format!(
                    "run {} has seed {} but its config has seed {}",
                    run.id, run.seed, run.config.seed
                )));
            }
        }
        for touch in &self.test_touches {
            if !ids.contains(touch.run_id.as_str()) {
                return Err(bad(format!(
                    "a test evaluation names run {}, which is not in the ledger",
                    touch.run_id
                )));
            }
        }
        Ok(())
    }

    /// The file text: pretty JSON with the checksum.
    pub fn to_text(&self) -> String {
        let mut value = serde_json::to_value(self).expect("ledger serialises");
        // Round-trip through text first, so the checksum is computed on
        // exactly the numbers a reader will parse back.
        let text = serde_json::to_string(&value).expect("ledger serialises");
        value = serde_json::from_str(&text).expect("ledger re-parses");
        let sum = checksum_of_value(&value);
        if let Value::Object(map) = &mut value {
            map.insert("checksum".into(), Value::String(sum));
        }
        serde_json::to_string_pretty(&value).expect("ledger serialises") + "\n"
    }

    /// Writes the ledger atomically: a temporary file in the same folder,
    /// flushed to disk, then renamed over `path`.
    pub fn write_atomic(&self, path: &Path) -> Result<(), StudyError> {
        write_atomic(path, self.to_text().as_bytes())
    }
}
