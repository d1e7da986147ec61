//! What a trainer hands back to the study ([`TrainerOutput`] or a
//! [`TrainerFailure`]) and what the study returns ([`Run`]).

use std::fmt;

use tch::nn;

use super::{settings_summary, RunEntry, TrainError, Trained};
use crate::data::Dataset;
use crate::model::ModelSpec;
use crate::train::{History, TrainConfig};

/// A trainer for a search ([`Study::execute_with`](super::Study::execute_with)):
/// trains a model spec with a config on training and validation data, and
/// may be called once per run. Every such closure is one.
pub trait Trainer<E>:
    FnMut(&ModelSpec, &TrainConfig, &Dataset, &Dataset) -> Result<TrainerOutput, E>
{
}

impl<E, F> Trainer<E> for F where
    F: FnMut(&ModelSpec, &TrainConfig, &Dataset, &Dataset) -> Result<TrainerOutput, E>
{
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
        super::runs_table::RunsTable::of(std::slice::from_ref(&self.entry)).evcxr_display()
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
