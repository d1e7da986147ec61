//! The landmark classifier, trained in the study: logistic regression (the
//! floor), a small dense network, and the network with keypoint
//! augmentation, each one run of the study's ledger, on the hand crops'
//! landmarks; the one with the best accuracy on the held-out source photos
//! is chosen (the measuring photos choose nothing).

use serde::{Deserialize, Serialize};
use tch::Tensor;

use super::error::RouteError;
use super::photos::HandPhotos;
use crate::data::FeatureSet;
use crate::landmarks::FEATURE_LEN;
use crate::model::{DenseSpec, ModelSpec};
use crate::study::{Run, Study};
use crate::train::{
    EarlyStopping, KeypointAugmentation, Optimizer, Progress, TrainConfig, TrainOptions,
};

/// One classifier the route may use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// A short name for tables ("logistic regression", …).
    pub name: String,
    /// The network (dense, on [`FEATURE_LEN`] inputs).
    pub spec: ModelSpec,
    /// How it is trained.
    pub config: TrainConfig,
}

/// A dense network on the landmark features with these hidden layers.
pub fn dense_on_landmarks(hidden: Vec<i64>, dropout: f64) -> ModelSpec {
    ModelSpec::Dense(DenseSpec {
        hidden,
        dropout,
        inputs: Some(FEATURE_LEN as i64),
        ..Default::default()
    })
}

/// Adam at 3e-3 with a little weight decay, batches of 32, up to `epochs`
/// epochs, early stopping on the held-out loss (patience 20), seed 0.
pub fn landmark_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        optimizer: Optimizer::Adam,
        lr: 3e-3,
        weight_decay: 1e-4,
        batch_size: 32,
        epochs,
        early_stopping: Some(EarlyStopping {
            patience: 20,
            min_delta: 0.0,
        }),
        ..Default::default()
    }
}

/// The three candidates, in order of complexity: logistic regression, a
/// 128-64 network with dropout 0.2, and the same with
/// [`KeypointAugmentation::mild`]. `epochs` caps every run (200 in the
/// study, fewer in quick mode).
pub fn candidates(epochs: usize) -> Vec<Candidate> {
    let config = landmark_config(epochs);
    vec![
        Candidate {
            name: "logistic regression".into(),
            spec: dense_on_landmarks(vec![], 0.0),
            config: config.clone(),
        },
        Candidate {
            name: "dense 128-64".into(),
            spec: dense_on_landmarks(vec![128, 64], 0.2),
            config: config.clone(),
        },
        Candidate {
            name: "dense 128-64, augmented".into(),
            spec: dense_on_landmarks(vec![128, 64], 0.2),
            config: TrainConfig {
                keypoints: Some(KeypointAugmentation::mild()),
                ..config
            },
        },
    ]
}

/// A trained candidate.
#[derive(Clone, Debug)]
pub struct Trained {
    /// What was trained.
    pub candidate: Candidate,
    /// The study's run.
    pub run: Run,
}

impl Trained {
    /// Accuracy on the held-out source photos at the kept epoch.
    pub fn holdout_accuracy(&self) -> f64 {
        self.run
            .entry
            .validation
            .as_ref()
            .map_or(f64::NAN, |v| v.accuracy)
    }
}

/// Trains `candidate` on `train`, validated on `holdout` (a study run).
pub fn train(
    study: &mut Study,
    candidate: &Candidate,
    train: &FeatureSet,
    holdout: &FeatureSet,
) -> Result<Trained, RouteError> {
    let run = study.run_features(
        &candidate.spec,
        &candidate.config,
        train,
        holdout,
        // Hundreds of epochs of a few milliseconds each: no line per epoch
        // (the candidates and curve tables show each run's outcome).
        TrainOptions {
            progress: Progress::Silent,
            ..TrainOptions::default()
        },
    )?;
    Ok(Trained {
        candidate: candidate.clone(),
        run,
    })
}

/// The index of the best candidate on the held-out photos; a tie goes to
/// the simpler (earlier) one.
pub fn choose(trained: &[Trained]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, t) in trained.iter().enumerate() {
        let better = best.is_none_or(|b| t.holdout_accuracy() > trained[b].holdout_accuracy());
        if better && t.holdout_accuracy().is_finite() {
            best = Some(i);
        }
    }
    best
}

/// Class probabilities of a run's network for each photo of `hands` with a
/// hand (`None` for the others).
pub fn probabilities(
    study: &Study,
    run_id: &str,
    hands: &HandPhotos,
) -> Result<Vec<Option<Vec<f32>>>, RouteError> {
    let loaded = study.load(run_id)?;
    let (net, _) = loaded.model()?;
    Ok(probabilities_with(net, hands))
}

/// [`probabilities`] with a network at hand.
pub fn probabilities_with(net: &crate::model::Net, hands: &HandPhotos) -> Vec<Option<Vec<f32>>> {
    let all: Vec<usize> = (0..hands.len()).collect();
    let (set, kept) = hands.feature_set("score", &all);
    let mut out = vec![None; hands.len()];
    if set.is_empty() {
        return out;
    }
    let probs = crate::infer::predict_proba(net, &set.inputs(), tch::Device::Cpu);
    for (row, &i) in kept.iter().enumerate() {
        out[i] = Some(Vec::<f32>::try_from(probs.get(row as i64)).unwrap_or_default());
    }
    out
}

/// The logits of a network on the rows of `x` (`N×85`), for checks.
pub fn logits(net: &crate::model::Net, x: &Tensor) -> Tensor {
    use tch::nn::ModuleT;
    tch::no_grad(|| net.forward_t(x, false))
}
