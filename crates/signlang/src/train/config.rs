//! [`TrainConfig`]: how one model is trained (serde; the study ledger keys
//! runs by its JSON), with its optimizer, schedule, early stopping and
//! augmentation settings.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::TrainError;
use crate::display::short_number as num;

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
    /// Largest gamma change: pixels become `x^γ` with `ln γ` uniform in
    /// `±gamma` (0 = off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub gamma: f64,
    /// Largest Gaussian blur, in pixels: σ uniform in `[0, blur]` per image
    /// (0 = off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blur: f64,
    /// Largest standard deviation of added Gaussian noise: σ uniform in
    /// `[0, noise]` per image (0 = off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub noise: f64,
    /// Probability of random erasing per image: a rectangle of 2–20% of the
    /// image (aspect ratio ½–2) filled with uniform noise (0 = off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub erase: f64,
    /// Mirror left and right with probability ½ (left-handed signers show
    /// every letter mirrored).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mirror: bool,
    /// Largest strength of a cluttered background (blobs and strokes)
    /// blended where the plain background is: uniform in `[0, clutter]` per
    /// image (0 = off; see [`crate::corrupt`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clutter: f64,
}

/// For `skip_serializing_if`: a new setting left at zero is not written, so
/// older configs serialise (and key the study ledger) exactly as before.
fn is_zero(v: &f64) -> bool {
    *v == 0.0
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
    /// Weight decay (L2 for SGD/Adam, decoupled for AdamW).
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
    /// Start from earlier weights (adapting a trained model) instead of a
    /// fresh initialisation; absent from the JSON when `None`, so older
    /// configs key the study ledger exactly as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
    /// Augmentation of hand landmarks (feature vectors of layout
    /// [`crate::landmarks::FEATURE_LAYOUT`]), if any; absent from the JSON
    /// when `None`, so older configs key the study ledger exactly as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keypoints: Option<super::KeypointAugmentation>,
}

/// What adapting a trained model changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adapter {
    /// Every layer is trained further with the config's optimizer (fine-tuning).
    #[default]
    FineTune,
    /// Nothing is trained by gradient: the last linear layer is replaced by
    /// the nearest class mean of the features it reads (see
    /// [`crate::adapt::class_means`]).
    ClassMeans,
}

/// The weights a run starts from (see [`TrainConfig::init`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Init {
    /// SHA-256 (64 hex digits) of the safetensors file of the starting
    /// weights: the run key names what was adapted by its content.
    pub weights_sha256: String,
    /// Where the weights came from, for reading (a run id, an export folder).
    pub from: String,
    /// What is changed.
    #[serde(default)]
    pub adapter: Adapter,
}

/// Adam at 1e-3, a constant rate, batches of 32, 10 epochs, seed 0, and
/// nothing else: the reference models' setup. Change fields with
/// `TrainConfig { lr: 2e-3, ..Default::default() }`.
impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            optimizer: Optimizer::Adam,
            lr: 1e-3,
            schedule: Schedule::Constant,
            batch_size: 32,
            epochs: 10,
            weight_decay: 0.0,
            label_smoothing: 0.0,
            early_stopping: None,
            augmentation: None,
            seed: 0,
            init: None,
            keypoints: None,
        }
    }
}

impl TrainConfig {
    /// The learning rate for 0-based `step` of `total_steps` (batches over all
    /// epochs), in 0-based `epoch`.
    pub fn lr_at(&self, epoch: usize, step: usize, total_steps: usize) -> f64 {
        let t = if total_steps == 0 {
            0.0
        } else {
            step as f64 / total_steps as f64
        };
        let pi = std::f64::consts::PI;
        match &self.schedule {
            Schedule::Constant => self.lr,
            Schedule::Step { every, gamma } => {
                if *every == 0 {
                    self.lr
                } else {
                    self.lr * gamma.powi((epoch / every) as i32)
                }
            }
            Schedule::Cosine => self.lr * 0.5 * (1.0 + (pi * t).cos()),
            Schedule::OneCycle { warmup } => {
                // As PyTorch's OneCycleLR: from lr/25 up to lr, then down to lr/25e4,
                // both phases cosine.
                let (start, end) = (self.lr / 25.0, self.lr / 25.0e4);
                let w = warmup.clamp(0.0, 1.0);
                if t < w {
                    let u = t / w;
                    self.lr + (start - self.lr) * 0.5 * (1.0 + (pi * u).cos())
                } else {
                    let u = if w >= 1.0 { 1.0 } else { (t - w) / (1.0 - w) };
                    end + (self.lr - end) * 0.5 * (1.0 + (pi * u).cos())
                }
            }
        }
    }

    pub(super) fn check(&self) -> Result<(), TrainError> {
        let bad = |what: &str, value: f64| TrainError::BadConfig {
            what: what.to_string(),
            value,
        };
        if self.batch_size == 0 {
            return Err(bad("batch_size", 0.0));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(bad("lr", self.lr));
        }
        if self.weight_decay.is_nan() || self.weight_decay < 0.0 {
            return Err(bad("weight_decay", self.weight_decay));
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(bad("label_smoothing", self.label_smoothing));
        }
        Ok(())
    }
}

/// Every setting of the config on one line, as in the runs table, e.g.
/// `adam lr=0.001 bs=64 cosine 10ep seed=1`.
impl fmt::Display for TrainConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.optimizer {
            Optimizer::Sgd { momentum, nesterov } => {
                let nesterov = if *nesterov { "-nesterov" } else { "" };
                write!(f, "sgd{nesterov} m={}", num(*momentum))?
            }
            Optimizer::Adam => f.write_str("adam")?,
            Optimizer::AdamW => f.write_str("adamw")?,
        }
        write!(f, " lr={} bs={}", num(self.lr), self.batch_size)?;
        match &self.schedule {
            Schedule::Constant => {}
            Schedule::Step { every, gamma } => write!(f, " step{every}x{}", num(*gamma))?,
            Schedule::Cosine => f.write_str(" cosine")?,
            Schedule::OneCycle { warmup } => write!(f, " onecycle{}", num(*warmup))?,
        }
        if self.weight_decay > 0.0 {
            write!(f, " wd={}", num(self.weight_decay))?;
        }
        if self.label_smoothing > 0.0 {
            write!(f, " ls={}", num(self.label_smoothing))?;
        }
        if self.augmentation.is_some() {
            f.write_str(" aug")?;
        }
        if let Some(es) = &self.early_stopping {
            write!(f, " es{}", es.patience)?;
        }
        if let Some(init) = &self.init {
            let what = match init.adapter {
                Adapter::FineTune => "from",
                Adapter::ClassMeans => "class-means of",
            };
            write!(f, " {what} {}", init.from)?;
        }
        write!(f, " {}ep seed={}", self.epochs, self.seed)
    }
}
