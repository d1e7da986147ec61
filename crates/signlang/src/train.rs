//! Training: [`TrainConfig`] (serde) says how, the trainer does it, and a
//! [`History`] records each epoch.
//!
//! The trainer keeps the whole training set as one tensor on the device,
//! shuffles it once per epoch (a seeded ChaCha permutation, applied with one
//! `index_select`) and takes batches as zero-copy `narrow` views. Validation
//! runs in eval mode under `no_grad`, in batches of 1,024 on GPUs and 32 on
//! the CPU (measured faster there). libtorch's global
//! generator (initialisation, dropout) is seeded with the config's seed, and
//! runs in one process are serialised by a lock, so two runs with the same
//! seed and thread count on the CPU give identical histories.

mod augment;

pub use augment::robust_augmentation;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize};
use tch::nn::{self, ModuleT, OptimizerConfig, VarStore};
use tch::{Device, Kind, Reduction, Tensor};

use crate::data::Dataset;
use crate::model::{ModelError, ModelSpec, Net};

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
        }
    }
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

impl History {
    /// The epoch with the lowest validation loss, if any epoch has one.
    pub fn best_epoch(&self) -> Option<&EpochStats> {
        self.epochs
            .iter()
            .filter(|e| e.val_loss.is_finite())
            .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
    }

    /// The last finished epoch.
    pub fn last(&self) -> Option<&EpochStats> {
        self.epochs.last()
    }

    /// Total wall-clock seconds of all epochs.
    pub fn seconds(&self) -> f64 {
        self.epochs.iter().map(|e| e.seconds).sum()
    }
}

impl TrainConfig {
    /// The fields that decide the outcome of a run, as a JSON value with
    /// sorted keys (for the study ledger's run keys). All fields count today.
    pub fn key_fields(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

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

    fn check(&self) -> Result<(), TrainError> {
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

/// Why training could not start.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The model spec is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A config value is out of range.
    #[error("train config: {what} = {value} is out of range; fix the config")]
    BadConfig {
        /// The field.
        what: String,
        /// Its value.
        value: f64,
    },
    /// A data set has no images.
    #[error("dataset `{name}` has no images; training needs at least one batch")]
    EmptyData {
        /// The dataset's name.
        name: String,
    },
    /// Early stopping needs validation images.
    #[error("early stopping needs validation images, but `{name}` is empty")]
    NoValidation {
        /// The validation set's name.
        name: String,
    },
    /// libtorch reported an error.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// Something for a progress display to show.
#[derive(Clone, Debug)]
pub enum ProgressEvent<'a> {
    /// Training starts.
    Start {
        /// Maximum number of epochs.
        epochs: usize,
        /// Batches in each epoch.
        batches_per_epoch: usize,
    },
    /// A training batch finished.
    Batch {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch.
        batch: usize,
        /// Batches in the epoch.
        batches: usize,
    },
    /// An epoch finished (validation included).
    Epoch(&'a EpochStats),
}

/// How the trainer reports progress.
pub enum Progress {
    /// Nothing.
    Silent,
    /// One printed line per epoch (the notebook).
    Lines,
    /// A callback for every [`ProgressEvent`] (the CLI drives an indicatif bar with it).
    Callback(Box<dyn FnMut(&ProgressEvent<'_>) + Send>),
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Progress::Silent => "Silent",
            Progress::Lines => "Lines",
            Progress::Callback(_) => "Callback(..)",
        })
    }
}

/// Where and how to train (does not change results on the CPU).
#[derive(Debug)]
pub struct TrainOptions {
    /// Device to train on.
    pub device: Device,
    /// Progress display.
    pub progress: Progress,
    /// When set to true (Ctrl-C, notebook interrupt), the run ends after the
    /// current batch with [`RunStatus::Interrupted`].
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            device: Device::cuda_if_available(),
            progress: Progress::Lines,
            stop: None,
        }
    }
}

/// A finished training run: its history and the trained weights.
#[derive(Debug)]
pub struct Trained {
    /// Per-epoch statistics and how the run ended.
    pub history: History,
    /// The weights (best epoch's after early stopping).
    pub vs: VarStore,
    /// The network using `vs`.
    pub net: Net,
}

/// Sets flush-to-zero and denormals-are-zero on the calling thread (x86_64
/// MXCSR) and on libtorch's OpenMP worker threads, so tiny optimizer
/// state does not fall into slow denormal arithmetic. Threads created later
/// by this thread inherit the setting. A no-op on other architectures, and
/// when the environment variable `SIGNLANG_KEEP_DENORMALS` is set (to
/// measure the difference).
pub fn flush_denormals() {
    if std::env::var_os("SIGNLANG_KEEP_DENORMALS").is_some() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        set_ftz_daz();
        gomp_everywhere(tch::get_num_threads());
    }
}

#[cfg(target_arch = "x86_64")]
extern "C" fn set_ftz_daz_on_thread(_: *mut std::ffi::c_void) {
    set_ftz_daz();
}

#[cfg(target_arch = "x86_64")]
fn set_ftz_daz() {
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr/ldmxcsr read and write the SSE control register of
    // this thread from/to a valid u32; bits 15 (FTZ) and 6 (DAZ) only.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr as *mut u32, options(nostack));
        csr |= 0x8040;
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr as *const u32, options(nostack, readonly));
    }
}

/// Runs [`set_ftz_daz`] on every thread of the OpenMP team libtorch uses,
/// through libgomp's `GOMP_parallel` (found with `dlsym`, so nothing is
/// linked in; nothing happens without libgomp).
#[cfg(target_arch = "x86_64")]
fn gomp_everywhere(threads: i32) {
    use std::ffi::{c_char, c_uint, c_void};
    type GompParallel =
        unsafe extern "C" fn(extern "C" fn(*mut c_void), *mut c_void, c_uint, c_uint);
    extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    if threads <= 1 {
        return;
    }
    // SAFETY: RTLD_DEFAULT (null) searches the loaded objects; the symbol,
    // if present, is libgomp's GOMP_parallel with the declared signature,
    // and the callback only touches its own thread's MXCSR.
    unsafe {
        let f = dlsym(std::ptr::null_mut(), c"GOMP_parallel".as_ptr());
        if !f.is_null() {
            let f: GompParallel = std::mem::transmute(f);
            f(
                set_ftz_daz_on_thread,
                std::ptr::null_mut(),
                threads as c_uint,
                0,
            );
        }
    }
}

/// Whether flush-to-zero is on for the calling thread (x86_64; false elsewhere).
pub fn denormals_flushed() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: reads this thread's MXCSR into a valid u32.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr as *mut u32, options(nostack)) };
        csr & 0x8040 == 0x8040
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// libtorch's generator is global: one run at a time per process keeps
/// seeded runs reproducible.
static TRAIN_LOCK: Mutex<()> = Mutex::new(());

/// Batch size for evaluation and prediction on `device`: 1,024 on GPUs;
/// 32 on the CPU, where measured (examples/train_profile.rs, cnn2, 2
/// threads) no_grad batches of 32 evaluate 1,024 images in 103 ms against
/// 151 ms in batches of 128 and 310 ms in one batch (cache-bound convolutions).
fn eval_batch(device: Device) -> i64 {
    if device == Device::Cpu {
        32
    } else {
        1024
    }
}

/// A batch loss above this counts as exploded.
const EXPLODED: f64 = 1.0e3;

fn build_optimizer(config: &TrainConfig, vs: &VarStore) -> Result<nn::Optimizer, tch::TchError> {
    let wd = config.weight_decay;
    match &config.optimizer {
        Optimizer::Sgd { momentum, nesterov } => nn::Sgd {
            momentum: *momentum,
            dampening: 0.0,
            wd,
            nesterov: *nesterov,
        }
        .build(vs, config.lr),
        Optimizer::Adam => nn::Adam {
            wd,
            ..Default::default()
        }
        .build(vs, config.lr),
        Optimizer::AdamW => nn::AdamW {
            wd,
            ..Default::default()
        }
        .build(vs, config.lr),
        Optimizer::RmsProp => nn::RmsProp {
            wd,
            ..Default::default()
        }
        .build(vs, config.lr),
    }
}

/// Copies of a var store's variables, by name.
type Snapshot = Vec<(String, Tensor)>;

fn snapshot(vs: &VarStore) -> Snapshot {
    let _guard = tch::no_grad_guard();
    let mut v: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(k, t)| (k, t.copy()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn restore(vs: &VarStore, snap: &[(String, Tensor)]) {
    let _guard = tch::no_grad_guard();
    let vars = vs.variables();
    for (name, saved) in snap {
        if let Some(t) = vars.get(name) {
            let mut t = t.shallow_clone();
            t.copy_(saved);
        }
    }
}

/// Mean loss and accuracy of `net` on `x`/`y` (already on the device), in
/// eval mode under `no_grad`, in large batches. `(NaN, NaN)` when empty.
fn evaluate(net: &Net, x: &Tensor, y: &Tensor, label_smoothing: f64) -> (f64, f64) {
    let n = x.size()[0];
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let _guard = tch::no_grad_guard();
    let mut loss = 0.0;
    let mut correct = 0i64;
    let mut start = 0;
    while start < n {
        let len = eval_batch(x.device()).min(n - start);
        let bx = x.narrow(0, start, len);
        let by = y.narrow(0, start, len);
        let logits = net.forward_t(&bx, false);
        let l =
            logits.cross_entropy_loss::<Tensor>(&by, None, Reduction::Sum, -100, label_smoothing);
        loss += l.double_value(&[]);
        correct += logits
            .argmax(-1, false)
            .eq_tensor(&by)
            .sum(Kind::Int64)
            .int64_value(&[]);
        start += len;
    }
    (loss / n as f64, correct as f64 / n as f64)
}

/// Trains `spec` with `config` on `train`, validating on `validation` after
/// each epoch (pass an empty dataset to skip validation: its fields are then
/// NaN, and early stopping is refused). Returns the history and the weights.
///
/// Divergence (a NaN, infinite or exploded batch loss) stops the run with
/// [`RunStatus::Diverged`] and restores the weights of the last finished
/// epoch; early stopping restores the best epoch's weights.
pub fn train(
    spec: &ModelSpec,
    config: &TrainConfig,
    train: &Dataset,
    validation: &Dataset,
    mut options: TrainOptions,
) -> Result<Trained, TrainError> {
    let _lock = TRAIN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    flush_denormals();
    spec.validate()?;
    config.check()?;
    if train.is_empty() {
        return Err(TrainError::EmptyData {
            name: train.name.clone(),
        });
    }
    if config.early_stopping.is_some() && validation.is_empty() {
        return Err(TrainError::NoValidation {
            name: validation.name.clone(),
        });
    }
    let device = options.device;
    tch::manual_seed(config.seed as i64);
    let vs = VarStore::new(device);
    let net = spec.build(&vs.root());
    let mut opt = build_optimizer(config, &vs)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);

    let x = train.images().to_device(device);
    let y = train.targets().to_device(device);
    let vx = validation.images().to_device(device);
    let vy = validation.targets().to_device(device);
    let n = train.len();
    let bs = config.batch_size;
    let nb = n.div_ceil(bs);
    let total_steps = nb * config.epochs;
    let check_every = if device == Device::Cpu { 1 } else { 25 };
    let ls = config.label_smoothing;

    let emit = |options: &mut TrainOptions, ev: ProgressEvent<'_>| match &mut options.progress {
        Progress::Silent => {}
        Progress::Lines => {
            if let ProgressEvent::Epoch(e) = ev {
                // Not println!: a closed stdout (the notebook's client went
                // away) must not turn a training run into a failed one.
                use std::io::Write;
                let _ = writeln!(std::io::stdout(), "{}", epoch_line(e, config.epochs));
            }
        }
        Progress::Callback(f) => f(&ev),
    };
    emit(
        &mut options,
        ProgressEvent::Start {
            epochs: config.epochs,
            batches_per_epoch: nb,
        },
    );

    let mut epochs = Vec::new();
    let mut status = RunStatus::Completed;
    let mut last_good = snapshot(&vs);
    let mut best: Option<(f64, usize, Snapshot)> = None;
    let mut order: Vec<i64> = (0..n as i64).collect();
    'epochs: for epoch in 1..=config.epochs {
        let t0 = Instant::now();
        order.shuffle(&mut rng);
        let perm = Tensor::from_slice(&order).to_device(device);
        let xs = x.index_select(0, &perm);
        let ys = y.index_select(0, &perm);
        let mut loss_sum = Tensor::zeros([], (Kind::Float, device));
        let mut correct = Tensor::zeros([], (Kind::Int64, device));
        let mut lr = config.lr;
        for b in 0..nb {
            if options
                .stop
                .as_ref()
                .is_some_and(|s| s.load(Ordering::Relaxed))
            {
                status = RunStatus::Interrupted;
                break 'epochs;
            }
            let step = (epoch - 1) * nb + b;
            let new_lr = config.lr_at(epoch - 1, step, total_steps);
            if new_lr != lr || b == 0 {
                lr = new_lr;
                opt.set_lr(lr);
            }
            let start = (b * bs) as i64;
            let len = bs.min(n - b * bs) as i64;
            let mut bx = xs.narrow(0, start, len);
            let by = ys.narrow(0, start, len);
            if let Some(aug) = &config.augmentation {
                bx = aug.apply(&bx, &mut rng);
            }
            let logits = net.forward_t(&bx, true);
            let loss = logits.cross_entropy_loss::<Tensor>(&by, None, Reduction::Mean, -100, ls);
            if b % check_every == 0 || b + 1 == nb {
                let v = loss.double_value(&[]);
                if !v.is_finite() || v > EXPLODED {
                    let reason = if v.is_finite() {
                        format!(
                            "batch loss {v:.3e} exceeded {EXPLODED:e} in batch {}",
                            b + 1
                        )
                    } else {
                        format!("batch loss became {v} in batch {}", b + 1)
                    };
                    status = RunStatus::Diverged { epoch, reason };
                    restore(&vs, &last_good);
                    break 'epochs;
                }
            }
            opt.backward_step(&loss);
            tch::no_grad(|| {
                loss_sum += loss.detach() * len as f64;
                correct += logits.argmax(-1, false).eq_tensor(&by).sum(Kind::Int64);
            });
            emit(
                &mut options,
                ProgressEvent::Batch {
                    epoch,
                    batch: b + 1,
                    batches: nb,
                },
            );
        }
        let train_loss = loss_sum.double_value(&[]) / n as f64;
        let train_accuracy = correct.int64_value(&[]) as f64 / n as f64;
        let train_seconds = t0.elapsed().as_secs_f64();
        let (val_loss, val_accuracy) = evaluate(&net, &vx, &vy, ls);
        let stats = EpochStats {
            epoch,
            train_loss,
            train_accuracy,
            val_loss,
            val_accuracy,
            lr,
            seconds: t0.elapsed().as_secs_f64(),
            images_per_sec: n as f64 / train_seconds.max(1e-9),
        };
        emit(&mut options, ProgressEvent::Epoch(&stats));
        epochs.push(stats);
        if !train_loss.is_finite() {
            status = RunStatus::Diverged {
                epoch,
                reason: format!("epoch loss became {train_loss}"),
            };
            restore(&vs, &last_good);
            break;
        }
        last_good = snapshot(&vs);
        if let Some(es) = &config.early_stopping {
            let improved = match &best {
                None => true,
                Some((b, _, _)) => val_loss < b - es.min_delta,
            };
            if improved {
                best = Some((
                    val_loss,
                    epoch,
                    last_good
                        .iter()
                        .map(|(k, t)| (k.clone(), t.shallow_clone()))
                        .collect(),
                ));
            } else if let Some((_, best_epoch, snap)) = &best {
                if epoch - best_epoch >= es.patience.max(1) {
                    restore(&vs, snap);
                    status = RunStatus::EarlyStopped {
                        best_epoch: *best_epoch,
                    };
                    break;
                }
            }
        }
    }
    Ok(Trained {
        history: History { epochs, status },
        vs,
        net,
    })
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

/// Class probabilities (`N×24` softmax, on the CPU) of `images`
/// (`N×1×28×28` in `[0, 1]`, any device) in eval mode under `no_grad`,
/// in batches on `device` (1,024 on GPUs, 32 on the CPU, where that is faster).
pub fn predict_proba(net: &Net, images: &Tensor, device: Device) -> Tensor {
    let _guard = tch::no_grad_guard();
    let n = images.size()[0];
    let mut parts = Vec::new();
    let mut start = 0;
    while start < n {
        let len = eval_batch(device).min(n - start);
        let bx = images.narrow(0, start, len).to_device(device);
        parts.push(
            net.forward_t(&bx, false)
                .softmax(-1, Kind::Float)
                .to_device(Device::Cpu),
        );
        start += len;
    }
    if parts.is_empty() {
        return Tensor::zeros([0, crate::NUM_CLASSES as i64], (Kind::Float, Device::Cpu));
    }
    Tensor::cat(&parts, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};

    /// The first `n` rows of the real training CSV (test-only reader).
    fn real_rows(name: &str, skip: usize, n: usize) -> Dataset {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/sign_mnist_train.csv.gz"
        );
        let path = if std::path::Path::new(path).exists() {
            path.to_string()
        } else {
            "/work/main/data/sign_mnist_train.csv.gz".to_string()
        };
        let file = std::fs::File::open(&path).expect("real training data");
        let reader = BufReader::new(flate2::read::GzDecoder::new(file));
        let mut ds = Dataset {
            name: name.into(),
            pixels: vec![],
            classes: vec![],
            rows: vec![],
        };
        for (i, line) in reader.lines().skip(1 + skip).take(n).enumerate() {
            let line = line.unwrap();
            let mut fields = line.trim_end().split(',').map(|f| f.parse::<u8>().unwrap());
            let label = fields.next().unwrap();
            ds.classes.push(if label > 9 { label - 1 } else { label });
            ds.pixels.extend(fields);
            ds.rows.push((skip + i + 1) as u32);
        }
        ds
    }

    fn quick(spec: &str, epochs: usize) -> (ModelSpec, TrainConfig) {
        let (s, mut c) = crate::presets::reference(spec).unwrap();
        c.epochs = epochs;
        (s, c)
    }

    fn cpu() -> TrainOptions {
        TrainOptions {
            device: Device::Cpu,
            progress: Progress::Silent,
            stop: None,
        }
    }

    #[test]
    fn training_lowers_the_loss_and_beats_chance_far() {
        let (tr, va) = (
            real_rows("train", 0, 2000),
            real_rows("validation", 2000, 500),
        );
        let (spec, config) = quick("cnn2", 2);
        let t = train(&spec, &config, &tr, &va, cpu()).unwrap();
        let h = &t.history;
        assert_eq!(h.status, RunStatus::Completed);
        assert_eq!(h.epochs.len(), 2);
        assert!(
            h.epochs[1].train_loss < h.epochs[0].train_loss * 0.8,
            "{h:?}"
        );
        assert!(h.epochs[1].val_loss < (24f64).ln() * 0.6, "{h:?}");
        assert!(h.epochs[1].val_accuracy > 0.4, "chance is 1/24: {h:?}");
        // predict_proba agrees with the recorded validation accuracy.
        let p = predict_proba(&t.net, &va.images(), Device::Cpu);
        assert_eq!(p.size(), vec![500, 24]);
        let acc = p
            .argmax(-1, false)
            .eq_tensor(&va.targets())
            .to_kind(Kind::Float)
            .mean(Kind::Float);
        assert!((acc.double_value(&[]) - h.epochs[1].val_accuracy).abs() < 1e-6);
        let sums = p.sum_dim_intlist([1i64].as_slice(), false, Kind::Float);
        assert!((sums - 1.0).abs().max().double_value(&[]) < 1e-5);
    }

    #[test]
    fn two_seeded_runs_give_identical_histories() {
        let (tr, va) = (
            real_rows("train", 0, 400),
            real_rows("validation", 400, 100),
        );
        let (spec, mut config) = quick("cnn2", 2);
        config.augmentation = Some(Augmentation::mild());
        config.schedule = Schedule::OneCycle { warmup: 0.3 };
        let strip = |h: &History| -> Vec<[f64; 5]> {
            h.epochs
                .iter()
                .map(|e| {
                    [
                        e.train_loss,
                        e.train_accuracy,
                        e.val_loss,
                        e.val_accuracy,
                        e.lr,
                    ]
                })
                .collect()
        };
        let a = train(&spec, &config, &tr, &va, cpu()).unwrap().history;
        let b = train(&spec, &config, &tr, &va, cpu()).unwrap().history;
        assert_eq!(strip(&a), strip(&b));
        config.seed = 1;
        let c = train(&spec, &config, &tr, &va, cpu()).unwrap().history;
        assert_ne!(strip(&a), strip(&c));
    }

    #[test]
    fn a_huge_learning_rate_diverges_without_a_panic() {
        let (tr, va) = (real_rows("train", 0, 300), real_rows("validation", 300, 50));
        let (spec, mut config) = quick("dense", 3);
        config.lr = 1e6;
        config.optimizer = Optimizer::Sgd {
            momentum: 0.9,
            nesterov: true,
        };
        let t = train(&spec, &config, &tr, &va, cpu()).unwrap();
        assert!(
            matches!(t.history.status, RunStatus::Diverged { .. }),
            "{:?}",
            t.history
        );
        // The restored weights are finite.
        for (_, v) in t.vs.variables() {
            assert!(v.isfinite().all().int64_value(&[]) == 1);
        }
        let json = serde_json::to_string(&t.history).unwrap();
        assert_eq!(
            serde_json::from_str::<History>(&json).unwrap().status,
            t.history.status
        );
    }

    #[test]
    fn early_stopping_restores_the_best_weights_and_stop_interrupts() {
        let (tr, va) = (
            real_rows("train", 0, 300),
            real_rows("validation", 300, 100),
        );
        let (spec, mut config) = quick("dense", 5);
        // A min_delta no epoch can beat: stops after epoch 2, restores epoch 1.
        config.early_stopping = Some(EarlyStopping {
            patience: 1,
            min_delta: 100.0,
        });
        let t = train(&spec, &config, &tr, &va, cpu()).unwrap();
        assert_eq!(t.history.status, RunStatus::EarlyStopped { best_epoch: 1 });
        assert_eq!(t.history.epochs.len(), 2);
        let (vl, _) = evaluate(&t.net, &va.images(), &va.targets(), 0.0);
        assert!(
            (vl - t.history.epochs[0].val_loss).abs() < 1e-6,
            "{vl} {:?}",
            t.history
        );

        let stop = Arc::new(AtomicBool::new(true));
        let opts = TrainOptions {
            stop: Some(stop),
            ..cpu()
        };
        let t = train(&spec, &config, &tr, &va, opts).unwrap();
        assert_eq!(t.history.status, RunStatus::Interrupted);
        assert!(t.history.epochs.is_empty());
    }

    #[test]
    fn schedules_and_bad_configs() {
        let (_, mut c) = quick("cnn2", 10);
        assert_eq!(c.lr_at(9, 99, 100), 1e-3);
        c.schedule = Schedule::Step {
            every: 3,
            gamma: 0.1,
        };
        assert!((c.lr_at(3, 30, 100) - 1e-4).abs() < 1e-12);
        c.schedule = Schedule::Cosine;
        assert!((c.lr_at(5, 50, 100) - 5e-4).abs() < 1e-12);
        c.schedule = Schedule::OneCycle { warmup: 0.25 };
        assert!((c.lr_at(0, 0, 100) - 4e-5).abs() < 1e-12);
        assert!((c.lr_at(2, 25, 100) - 1e-3).abs() < 1e-12);
        assert!(c.lr_at(9, 99, 100) < 1e-5);
        c.batch_size = 0;
        let ds = real_rows("t", 0, 10);
        let r = train(&crate::presets::dense(), &c, &ds, &ds, cpu());
        assert!(matches!(r, Err(TrainError::BadConfig { .. })));
        assert!(flush_check());
    }

    fn flush_check() -> bool {
        flush_denormals();
        std::env::var_os("SIGNLANG_KEEP_DENORMALS").is_some()
            || !cfg!(target_arch = "x86_64")
            || denormals_flushed()
    }
}
