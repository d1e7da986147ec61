//! The epoch loop: a seeded shuffle per epoch, zero-copy batches, the
//! optimizer step, divergence checks, validation, early stopping, and how
//! the run ended.

use std::sync::atomic::Ordering;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::nn::{self, ModuleT, OptimizerConfig, VarStore};
use tch::{Device, Kind, Reduction, Tensor};

use super::data::TrainData;
use super::early_stop::{EarlyStop, Verdict};
use super::{
    epoch_line, EpochStats, History, Optimizer, Progress, ProgressEvent, RunStatus, TrainConfig,
    TrainOptions,
};
use crate::model::Net;
use crate::runtime::eval_batch;
use crate::runtime::in_batches;
use crate::weights::{restore, snapshot, Snapshot};

/// A batch loss above this counts as exploded.
const EXPLODED: f64 = 1.0e3;

/// One training run's tensors, optimizer and random generator.
pub(super) struct EpochLoop<'a> {
    config: &'a TrainConfig,
    net: &'a Net,
    vs: &'a VarStore,
    opt: nn::Optimizer,
    rng: ChaCha8Rng,
    x: Tensor,
    y: Tensor,
    vx: Tensor,
    vy: Tensor,
    order: Vec<i64>,
    device: Device,
    n: usize,
    batches: usize,
}

/// How the batches of one epoch ended.
enum Batches {
    /// All ran: summed loss, correct count, the last learning rate.
    Done {
        loss_sum: Tensor,
        correct: Tensor,
        lr: f64,
    },
    /// The stop flag was set.
    Interrupted,
    /// A batch loss was not finite or exploded.
    Diverged(String),
}

impl<'a> EpochLoop<'a> {
    /// Moves the data to `device` (the whole training set as one tensor).
    pub(super) fn new<D: TrainData>(
        config: &'a TrainConfig,
        net: &'a Net,
        vs: &'a VarStore,
        opt: nn::Optimizer,
        train: &D,
        validation: &D,
        device: Device,
    ) -> Self {
        let n = train.len();
        EpochLoop {
            config,
            net,
            vs,
            opt,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            x: train.inputs().to_device(device),
            y: train.targets().to_device(device),
            vx: validation.inputs().to_device(device),
            vy: validation.targets().to_device(device),
            order: (0..n as i64).collect(),
            device,
            n,
            batches: n.div_ceil(config.batch_size),
        }
    }

    /// Batches in each epoch.
    pub(super) fn batches_per_epoch(&self) -> usize {
        self.batches
    }

    /// Runs the epochs; the weights in `vs` end as the status says.
    pub(super) fn run(mut self, options: &mut TrainOptions) -> History {
        let mut epochs = Vec::new();
        let status = self.epochs(options, &mut epochs);
        History { epochs, status }
    }

    fn epochs(&mut self, options: &mut TrainOptions, epochs: &mut Vec<EpochStats>) -> RunStatus {
        let mut last_good = snapshot(self.vs);
        let mut stopper = self.config.early_stopping.as_ref().map(EarlyStop::new);
        let mut best: Option<Snapshot> = None;
        for epoch in 1..=self.config.epochs {
            let t0 = Instant::now();
            let (loss_sum, correct, lr) = match self.batches(epoch, options) {
                Batches::Done {
                    loss_sum,
                    correct,
                    lr,
                } => (loss_sum, correct, lr),
                Batches::Interrupted => return RunStatus::Interrupted,
                Batches::Diverged(reason) => {
                    restore(self.vs, &last_good);
                    return RunStatus::Diverged { epoch, reason };
                }
            };
            let stats = self.stats(epoch, t0, &loss_sum, &correct, lr);
            emit(options, self.config.epochs, ProgressEvent::Epoch(&stats));
            let (train_loss, val_loss) = (stats.train_loss, stats.val_loss);
            epochs.push(stats);
            if !train_loss.is_finite() {
                restore(self.vs, &last_good);
                let reason = format!("epoch loss became {train_loss}");
                return RunStatus::Diverged { epoch, reason };
            }
            last_good = snapshot(self.vs);
            match stopper.as_mut().map(|s| s.observe(epoch, val_loss)) {
                Some(Verdict::Improved) => best = Some(shallow(&last_good)),
                Some(Verdict::Stop { best_epoch }) => {
                    if let Some(snap) = &best {
                        restore(self.vs, snap);
                    }
                    return RunStatus::EarlyStopped { best_epoch };
                }
                _ => {}
            }
        }
        RunStatus::Completed
    }

    /// One epoch's batches: shuffle, then for each batch the learning rate,
    /// augmentation, forward pass, divergence check and optimizer step.
    fn batches(&mut self, epoch: usize, options: &mut TrainOptions) -> Batches {
        let (config, device, n, nb) = (self.config, self.device, self.n, self.batches);
        let (bs, total_steps) = (config.batch_size, nb * config.epochs);
        let check_every = if device == Device::Cpu { 1 } else { 25 };
        self.order.shuffle(&mut self.rng);
        let perm = Tensor::from_slice(&self.order).to_device(device);
        let xs = self.x.index_select(0, &perm);
        let ys = self.y.index_select(0, &perm);
        let mut loss_sum = Tensor::zeros([], (Kind::Float, device));
        let mut correct = Tensor::zeros([], (Kind::Int64, device));
        let mut lr = config.lr;
        for b in 0..nb {
            if stop_requested(options) {
                return Batches::Interrupted;
            }
            let new_lr = config.lr_at(epoch - 1, (epoch - 1) * nb + b, total_steps);
            if new_lr != lr || b == 0 {
                lr = new_lr;
                self.opt.set_lr(lr);
            }
            let (start, len) = ((b * bs) as i64, bs.min(n - b * bs) as i64);
            let mut bx = xs.narrow(0, start, len);
            let by = ys.narrow(0, start, len);
            if let Some(aug) = &config.augmentation {
                bx = aug.apply(&bx, &mut self.rng);
            }
            if let Some(aug) = &config.keypoints {
                bx = aug.apply(&bx, &mut self.rng);
            }
            let logits = self.net.forward_t(&bx, true);
            let ls = config.label_smoothing;
            let loss = logits.cross_entropy_loss::<Tensor>(&by, None, Reduction::Mean, -100, ls);
            if b % check_every == 0 || b + 1 == nb {
                if let Some(reason) = exploded(loss.double_value(&[]), b + 1) {
                    return Batches::Diverged(reason);
                }
            }
            self.opt.backward_step(&loss);
            tch::no_grad(|| {
                loss_sum += loss.detach() * len as f64;
                correct += logits.argmax(-1, false).eq_tensor(&by).sum(Kind::Int64);
            });
            let batch = ProgressEvent::Batch {
                epoch,
                batch: b + 1,
                batches: nb,
            };
            emit(options, config.epochs, batch);
        }
        Batches::Done {
            loss_sum,
            correct,
            lr,
        }
    }

    /// The epoch's statistics, validation included.
    fn stats(
        &self,
        epoch: usize,
        t0: Instant,
        loss_sum: &Tensor,
        correct: &Tensor,
        lr: f64,
    ) -> EpochStats {
        let n = self.n as f64;
        let train_loss = loss_sum.double_value(&[]) / n;
        let train_accuracy = correct.int64_value(&[]) as f64 / n;
        let train_seconds = t0.elapsed().as_secs_f64();
        let ls = self.config.label_smoothing;
        let (val_loss, val_accuracy) = evaluate(self.net, &self.vx, &self.vy, ls);
        EpochStats {
            epoch,
            train_loss,
            train_accuracy,
            val_loss,
            val_accuracy,
            lr,
            seconds: t0.elapsed().as_secs_f64(),
            images_per_sec: n / train_seconds.max(1e-9),
        }
    }
}

/// Why a batch loss `v` of 1-based `batch` means divergence, if it does.
fn exploded(v: f64, batch: usize) -> Option<String> {
    if v.is_finite() && v <= EXPLODED {
        None
    } else if v.is_finite() {
        Some(format!(
            "batch loss {v:.3e} exceeded {EXPLODED:e} in batch {batch}"
        ))
    } else {
        Some(format!("batch loss became {v} in batch {batch}"))
    }
}

fn stop_requested(options: &TrainOptions) -> bool {
    options
        .stop
        .as_ref()
        .is_some_and(|s| s.load(Ordering::Relaxed))
}

/// Shares the tensors of a snapshot (no copy).
fn shallow(snap: &Snapshot) -> Snapshot {
    snap.iter()
        .map(|(k, t)| (k.clone(), t.shallow_clone()))
        .collect()
}

/// Hands a progress event to the display of `options`.
pub(super) fn emit(options: &mut TrainOptions, epochs: usize, ev: ProgressEvent<'_>) {
    match &mut options.progress {
        Progress::Silent => {}
        Progress::Lines => {
            if let ProgressEvent::Epoch(e) = ev {
                // Not println!: a closed stdout (the notebook's client went
                // away) must not turn a training run into a failed one.
                use std::io::Write;
                let _ = writeln!(std::io::stdout(), "{}", epoch_line(e, epochs));
            }
        }
        Progress::Callback(f) => f(&ev),
    }
}

/// Mean loss and accuracy of `net` on `x`/`y` (already on the device), in
/// eval mode under `no_grad`, in batches. `(NaN, NaN)` when empty.
pub(super) fn evaluate(net: &Net, x: &Tensor, y: &Tensor, label_smoothing: f64) -> (f64, f64) {
    let n = x.size()[0];
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let _guard = tch::no_grad_guard();
    let parts = in_batches(n, eval_batch(x.device()), |start, len| {
        let (bx, by) = (x.narrow(0, start, len), y.narrow(0, start, len));
        let logits = net.forward_t(&bx, false);
        let ls = label_smoothing;
        let loss = logits.cross_entropy_loss::<Tensor>(&by, None, Reduction::Sum, -100, ls);
        let hits = logits.argmax(-1, false).eq_tensor(&by).sum(Kind::Int64);
        Ok::<_, std::convert::Infallible>((loss.double_value(&[]), hits.int64_value(&[])))
    })
    .unwrap_or_else(|e| match e {});
    let loss = parts.iter().fold(0.0, |sum, p| sum + p.0);
    let correct: i64 = parts.iter().map(|p| p.1).sum();
    (loss / n as f64, correct as f64 / n as f64)
}

pub(super) fn build_optimizer(
    config: &TrainConfig,
    vs: &VarStore,
) -> Result<nn::Optimizer, tch::TchError> {
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
    }
}
