//! The model being adapted ([`Base`]), the fixed adaptation settings, and
//! one adaptation as a study run: fine-tuning every layer, or
//! [`class_means`] of the frozen features (a nearest-class-mean head).

use std::path::{Path, PathBuf};
use std::time::Instant;

use tch::nn::{self, ModuleT};
use tch::{Device, Kind, Tensor};

use super::AdaptError;
use crate::data::Dataset;
use crate::evaluate::{grouped_accuracy, GroupedAccuracy};
use crate::model::{ModelSpec, Net};
use crate::study::{Run, Study, TrainerFailure, TrainerOutput};
use crate::train::{
    Adapter, Augmentation, EarlyStopping, EpochStats, History, Init, Optimizer, Progress,
    RunStatus, Schedule, TrainConfig, TrainOptions,
};

/// A trained model to adapt: its spec and its safetensors weights.
#[derive(Clone, Debug)]
pub struct Base {
    /// The network.
    pub spec: ModelSpec,
    /// The weights file.
    pub weights: PathBuf,
    /// SHA-256 of the weights file.
    pub sha256: String,
    /// Where it came from (`run r026`, an export folder).
    pub from: String,
}

impl Base {
    /// Run `id` of a study.
    pub fn from_run(study: &Study, id: &str) -> Result<Base, AdaptError> {
        let spec = study.get(id)?.spec.clone();
        let weights = study.weights_path(id)?;
        Base::new(spec, weights, format!("run {id}"))
    }

    /// An export folder (`spec.json` and `model.safetensors`).
    pub fn from_export(dir: &Path) -> Result<Base, AdaptError> {
        for file in ["spec.json", "model.safetensors"] {
            if !dir.join(file).is_file() {
                return Err(AdaptError::NotAnExport {
                    dir: dir.to_path_buf(),
                    missing: file.into(),
                });
            }
        }
        let path = dir.join("spec.json");
        let bad = |reason: String| AdaptError::BadExport {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let spec: ModelSpec =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a model spec ({e})")))?;
        Base::new(
            spec,
            dir.join("model.safetensors"),
            dir.display().to_string(),
        )
    }

    fn new(spec: ModelSpec, weights: PathBuf, from: String) -> Result<Base, AdaptError> {
        let sha256 = crate::weights::file_sha256(&weights).map_err(|e| AdaptError::BadExport {
            path: weights.clone(),
            reason: e.to_string(),
        })?;
        Ok(Base {
            spec,
            weights,
            sha256,
            from,
        })
    }

    /// How a config names these weights.
    pub fn init(&self, adapter: Adapter) -> Init {
        Init {
            weights_sha256: self.sha256.clone(),
            from: self.from.clone(),
            adapter,
        }
    }
}

/// Builds `spec` with the weights of a safetensors file, on the CPU.
pub fn load_net(spec: &ModelSpec, weights: &Path) -> Result<(Net, nn::VarStore), AdaptError> {
    let mut vs = nn::VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    vs.load(weights).map_err(|e| AdaptError::BadExport {
        path: weights.to_path_buf(),
        reason: format!("cannot load these weights into {} ({e})", spec.describe()),
    })?;
    Ok((net, vs))
}

/// Accuracy of a model on images grouped by source photo (the project's
/// group-aware interval; exact Clopper–Pearson when one image per photo).
pub fn score(
    spec: &ModelSpec,
    weights: &Path,
    data: &Dataset,
    groups: &[u32],
) -> Result<GroupedAccuracy, AdaptError> {
    let key = crate::cache::Key::new("adapt-score")
        .with(spec)
        .with(&crate::weights::file_sha256(weights).ok())
        .with(&data.fingerprint());
    let correct: Vec<bool> = crate::cache::data_cache().get_or_compute(&key, || {
        let (net, vs) = load_net(spec, weights)?;
        let probs = crate::infer::predict_proba(&net, &data.images(), vs.device());
        let predicted = Vec::<i64>::try_from(probs.argmax(-1, false))?;
        Ok::<_, AdaptError>(
            predicted
                .iter()
                .zip(&data.classes)
                .map(|(&p, &t)| p == i64::from(t))
                .collect(),
        )
    })?;
    Ok(grouped_accuracy(&correct, groups))
}

/// The fine-tuning settings, fixed a priori (no photo seen): Adam at 3e-4
/// with a cosine decay, batches of 32, up to 25 epochs with early stopping
/// (patience 8) on the held-out photos, label smoothing 0.1, and
/// augmentation for real photos: a mirror (left hands), ±3 px, ±12°, ±15%
/// zoom, ±0.2 brightness, ±30% contrast, γ = e^±0.3.
pub fn fine_tune_config(seed: u64) -> TrainConfig {
    TrainConfig {
        optimizer: Optimizer::Adam,
        lr: 3e-4,
        schedule: Schedule::Cosine,
        batch_size: 32,
        epochs: 25,
        label_smoothing: 0.1,
        early_stopping: Some(EarlyStopping {
            patience: 8,
            min_delta: 0.0,
        }),
        augmentation: Some(Augmentation {
            shift: 3.0,
            rotate: 12.0,
            zoom: 0.15,
            brightness: 0.2,
            contrast: 0.3,
            gamma: 0.3,
            mirror: true,
            ..Augmentation::none()
        }),
        seed,
        ..Default::default()
    }
}

/// The class-means settings: one pass, nothing else (the seed only keys
/// the run).
pub fn class_means_config(seed: u64) -> TrainConfig {
    TrainConfig {
        epochs: 1,
        seed,
        ..Default::default()
    }
}

/// Adapts `base` to `train` as a run of `study` (validated on
/// `validation`): `config` with its `init` set to `base` and `adapter`.
/// A recorded run with the same key is returned without training.
pub fn adapt_run(
    study: &mut Study,
    base: &Base,
    adapter: Adapter,
    config: &TrainConfig,
    train: &Dataset,
    validation: &Dataset,
    progress: Progress,
) -> Result<Run, AdaptError> {
    let config = TrainConfig {
        init: Some(base.init(adapter)),
        ..config.clone()
    };
    let weights = base.weights.clone();
    let run = match adapter {
        Adapter::FineTune => {
            study.run_with(&base.spec, &config, train, validation, |s, c, t, v| {
                let options = TrainOptions {
                    progress,
                    ..Default::default()
                };
                crate::train::train_from(s, c, t, v, options, &weights).map(TrainerOutput::from)
            })
        }
        Adapter::ClassMeans => {
            study.run_with(&base.spec, &config, train, validation, |s, _, t, v| {
                class_means(s, &weights, t, v)
            })
        }
    }?;
    Ok(run)
}

/// The nearest-class-mean adapter: the last linear layer becomes
/// `logit_c = f·μ_c − ½|μ_c|²`, with `μ_c` the mean of the frozen features
/// `f` of `train`'s images of letter `c` (eval mode); a letter without
/// images keeps its row. The largest logit is then the nearest class mean.
pub fn class_means(
    spec: &ModelSpec,
    weights: &Path,
    train: &Dataset,
    validation: &Dataset,
) -> Result<TrainerOutput, TrainerFailure> {
    let t0 = Instant::now();
    let (net, vs) =
        load_net(spec, weights).map_err(|e| TrainerFailure::nothing_trained(e.to_string()))?;
    let (w, b) = last_linear(&vs).ok_or_else(|| {
        TrainerFailure::nothing_trained(format!("{} has no linear layer", spec.describe()))
    })?;
    tch::no_grad(|| -> Result<(), tch::TchError> {
        let f = net.features_t(&train.images(), false);
        let y = train.targets();
        for c in 0..crate::NUM_CLASSES as i64 {
            let rows = f.f_index_select(0, &y.eq(c).nonzero().view([-1]))?;
            if rows.size()[0] == 0 {
                continue;
            }
            let mu = rows.mean_dim([0i64].as_slice(), false, Kind::Float);
            w.get(c).copy_(&mu);
            let _ = b.get(c).fill_(-0.5 * mu.dot(&mu).double_value(&[]));
        }
        Ok(())
    })?;
    let (train_loss, train_accuracy) = loss_and_accuracy(&net, train);
    let (val_loss, val_accuracy) = loss_and_accuracy(&net, validation);
    let stats = EpochStats {
        epoch: 1,
        train_loss,
        train_accuracy,
        val_loss,
        val_accuracy,
        lr: 0.0,
        seconds: t0.elapsed().as_secs_f64(),
        images_per_sec: train.len() as f64 / t0.elapsed().as_secs_f64().max(1e-9),
    };
    Ok(TrainerOutput {
        history: History {
            epochs: vec![stats],
            status: RunStatus::Completed,
        },
        weights: Some(vs),
    })
}

/// The weight and bias of the last linear layer (`fc<N>` with the largest `N`).
fn last_linear(vs: &nn::VarStore) -> Option<(Tensor, Tensor)> {
    let vars = vs.variables();
    let n = vars
        .keys()
        .filter_map(|k| {
            k.strip_prefix("fc")?
                .strip_suffix(".weight")?
                .parse::<u32>()
                .ok()
        })
        .max()?;
    let w = vars.get(&format!("fc{n}.weight"))?.shallow_clone();
    let b = vars.get(&format!("fc{n}.bias"))?.shallow_clone();
    Some((w, b))
}

/// Mean cross-entropy and accuracy in eval mode.
fn loss_and_accuracy(net: &Net, data: &Dataset) -> (f64, f64) {
    let logits = tch::no_grad(|| net.forward_t(&data.images(), false));
    let loss = logits.cross_entropy_for_logits(&data.targets());
    let acc = logits.accuracy_for_logits(&data.targets());
    (loss.double_value(&[]), acc.double_value(&[]))
}
