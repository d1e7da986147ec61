//! Training: [`TrainConfig`] (serde) says how, the trainer does it, and a
//! [`History`] records each epoch.

use serde::{Deserialize, Serialize};

/// Optimizer and its own settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Optimizer {
    /// Stochastic gradient descent with momentum.
    Sgd {
        /// Momentum (0 = plain SGD).
        momentum: f64,
        /// Nesterov momentum.
        #[serde(default)]
        nesterov: bool,
    },
    /// Adam.
    Adam,
    /// Adam with decoupled weight decay.
    AdamW,
    /// RMSprop.
    RmsProp,
}

/// Learning-rate schedule over the epochs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// The base rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` epochs.
    Step {
        /// Epochs between drops.
        every: usize,
        /// Factor at each drop.
        gamma: f64,
    },
    /// Cosine decay from the base rate to (nearly) zero over all epochs, per batch.
    Cosine,
    /// One-cycle: warm up to the base rate, then anneal, per batch.
    OneCycle {
        /// Share of the steps spent warming up.
        warmup: f64,
    },
}

/// Early stopping on validation loss; the best weights are restored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Smallest decrease of validation loss that counts as improvement.
    #[serde(default)]
    pub min_delta: f64,
}

/// On-the-fly augmentation of training batches, on tensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// Largest shift, in pixels, along each axis.
    pub shift: f64,
    /// Largest rotation, in degrees.
    pub rotate: f64,
    /// Largest relative zoom (0.1 = ±10%).
    pub zoom: f64,
    /// Largest brightness change, added (0.1 = ±0.1 in [0,1] units).
    pub brightness: f64,
    /// Largest relative contrast change (0.1 = ±10%).
    pub contrast: f64,
}

/// How one model is trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Base learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Weight decay (L2 for SGD/Adam/RMSprop, decoupled for AdamW).
    #[serde(default)]
    pub weight_decay: f64,
    /// Label smoothing of the cross-entropy loss.
    #[serde(default)]
    pub label_smoothing: f64,
    /// Early stopping, if any.
    #[serde(default)]
    pub early_stopping: Option<EarlyStopping>,
    /// Augmentation, if any.
    #[serde(default)]
    pub augmentation: Option<Augmentation>,
    /// Seed for initialisation, shuffling and augmentation.
    pub seed: u64,
}

/// What happened in one epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy over the epoch (on augmented batches, in train mode).
    pub train_accuracy: f64,
    /// Validation loss (eval mode).
    pub val_loss: f64,
    /// Validation accuracy (eval mode).
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
