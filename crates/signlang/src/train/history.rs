//! What a training run records: one [`EpochStats`] per epoch, how the run
//! ended ([`RunStatus`]), and the notebook's line per epoch.

use serde::{Deserialize, Deserializer, Serialize};

/// What happened in one epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy over the epoch (on augmented batches, in train mode).
    pub train_accuracy: f64,
    /// Validation loss (eval mode); NaN (JSON `null`) when trained without
    /// validation images.
    #[serde(deserialize_with = "nan_if_null")]
    pub val_loss: f64,
    /// Validation accuracy (eval mode); NaN (JSON `null`) without validation images.
    #[serde(deserialize_with = "nan_if_null")]
    pub val_accuracy: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Wall-clock seconds of the epoch (training and validation).
    pub seconds: f64,
    /// Training images per second.
    pub images_per_sec: f64,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    /// Ran all epochs.
    Completed,
    /// Stopped early; the weights of `best_epoch` were restored.
    EarlyStopped {
        /// The restored epoch (1-based).
        best_epoch: usize,
    },
    /// The loss became NaN/infinite or exploded; training stopped.
    Diverged {
        /// Epoch in which it happened (1-based).
        epoch: usize,
        /// What was seen.
        reason: String,
    },
    /// The run was interrupted (Ctrl-C, kernel interrupt, crash).
    Interrupted,
}

/// Per-epoch record of one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One entry per finished epoch.
    pub epochs: Vec<EpochStats>,
    /// How the run ended.
    pub status: RunStatus,
}

fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// The notebook's one line per epoch.
pub fn epoch_line(e: &EpochStats, epochs: usize) -> String {
    let mut s = format!(
        "epoch {:>3}/{epochs}  loss {:.4}  acc {:.4}",
        e.epoch, e.train_loss, e.train_accuracy
    );
    if e.val_loss.is_finite() {
        s += &format!(
            "  val_loss {:.4}  val_acc {:.4}",
            e.val_loss, e.val_accuracy
        );
    }
    s += &format!(
        "  lr {:.2e}  {:.1} s  {:.0} img/s",
        e.lr, e.seconds, e.images_per_sec
    );
    s
}
