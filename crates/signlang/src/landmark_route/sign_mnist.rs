//! The landmark route on Sign-MNIST's 28×28 images: on the test half (one
//! image of each test photo, a recorded look at the test split), and a
//! classifier trained on Sign-MNIST's landmarks alone, the one way
//! Sign-MNIST by itself might reach real photos.

use serde::{Deserialize, Serialize};

use super::build::LandmarkRoute;
use super::classifier::{self, probabilities, Trained};
use super::error::RouteError;
use super::photos::{hands_in_images, HandPhotos, ProgressFn};
use super::score::RouteScore;
use crate::data::{Dataset, TestSplit};
use crate::landmarks::{Attempt, FindOptions};
use crate::study::Study;

/// How hands are looked for in a 28×28 image: it is a hand crop, so the
/// landmark model reads it whole first, then the palm detector tries.
pub fn sign_mnist_find() -> FindOptions {
    FindOptions {
        attempts: vec![
            Attempt::WholeCrop { pad: 0.25 },
            Attempt::Palm {
                pad: 0.4,
                black: false,
            },
        ],
        refine: true,
    }
}

/// The first image of each source photo, in order.
pub fn one_per_group(groups: &[u32]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    (0..groups.len())
        .filter(|&i| seen.insert(groups[i]))
        .collect()
}

/// `per_letter` images of each letter of `data` (the first ones of a
/// seeded shuffle), with each image its own group.
pub fn sample_per_letter(data: &Dataset, per_letter: usize, seed: u64) -> Vec<usize> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let mut taken = [0usize; crate::NUM_CLASSES];
    let mut out: Vec<usize> = order
        .into_iter()
        .filter(|&i| {
            let c = data.classes[i] as usize;
            taken[c] += 1;
            taken[c] <= per_letter
        })
        .collect();
    out.sort_unstable();
    out
}

/// The route's chosen classifier on one image of each test photo: a look
/// at the test split, recorded in the ledger.
pub fn score_on_test(
    study: &mut Study,
    route: &LandmarkRoute,
    test: &TestSplit,
    progress: Option<ProgressFn<'_>>,
) -> Result<RouteScore, RouteError> {
    let id = route.chosen().run.id().to_string();
    let (net, _vs) = study.load_model(&id)?;
    let what = "landmark route: one image of each test photo";
    study.measure_on_test(&id, test, what, |data, groups| {
        let idx = one_per_group(groups);
        let picked: Vec<u32> = idx.iter().map(|&i| groups[i]).collect();
        let hands = hands_in_images(
            data,
            &idx,
            &picked,
            &route.models,
            &sign_mnist_find(),
            progress,
        )?;
        let probs = classifier::probabilities_with(&net, &hands);
        let photos = "photos like the test CSV (one image of each test photo)";
        let score = RouteScore::new(&route.name(), photos, &hands, &probs);
        let accuracy = score.accuracy().accuracy;
        Ok::<_, RouteError>((score, accuracy))
    })
}

/// Sign-MNIST alone through landmarks: how often a hand is found in its
/// images, and, when at least `min_found` of the training sample has one, the
/// route's chosen classifier trained on them (one study run, stopped on
/// one image of each validation photo) and measured on `measure`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignMnistRoute {
    /// Landmarks of the training sample.
    pub train: HandPhotos,
    /// Landmarks of one image of each validation photo.
    pub validation: HandPhotos,
    /// The classifier's run, when enough hands were found.
    pub run_id: Option<String>,
    /// Its accuracy on the validation images with a hand.
    pub validation_accuracy: Option<f64>,
    /// Its answers on the measuring photos.
    pub measured: Option<RouteScore>,
}

/// Builds [`SignMnistRoute`]; see there.
#[allow(clippy::too_many_arguments)]
pub fn sign_mnist_route(
    study: &mut Study,
    route: &LandmarkRoute,
    train: &Dataset,
    validation: &Dataset,
    validation_groups: &[u32],
    per_letter: usize,
    min_found: f64,
    measure: (&HandPhotos, &str),
    progress: Option<ProgressFn<'_>>,
) -> Result<SignMnistRoute, RouteError> {
    let find = sign_mnist_find();
    let idx = sample_per_letter(train, per_letter, 0);
    let own: Vec<u32> = (0..idx.len() as u32).collect();
    let train_hands = hands_in_images(train, &idx, &own, &route.models, &find, progress)?;
    let vidx = one_per_group(validation_groups);
    let vgroups: Vec<u32> = vidx.iter().map(|&i| validation_groups[i]).collect();
    let val_hands = hands_in_images(validation, &vidx, &vgroups, &route.models, &find, progress)?;
    let mut out = SignMnistRoute {
        train: train_hands,
        validation: val_hands,
        run_id: None,
        validation_accuracy: None,
        measured: None,
    };
    if (out.train.detected() as f64) < min_found * out.train.len() as f64 {
        return Ok(out);
    }
    let all_train: Vec<usize> = (0..out.train.len()).collect();
    let all_val: Vec<usize> = (0..out.validation.len()).collect();
    let (tset, _) = out
        .train
        .feature_set("landmarks: Sign-MNIST training sample", &all_train);
    let (vset, _) = out
        .validation
        .feature_set("landmarks: Sign-MNIST validation photos", &all_val);
    let trained: Trained = classifier::train(study, &route.chosen().candidate, &tset, &vset)?;
    let probs = probabilities(study, trained.run.id(), measure.0)?;
    out.validation_accuracy = Some(trained.holdout_accuracy());
    out.measured = Some(RouteScore::new(
        "landmarks trained on Sign-MNIST alone",
        measure.1,
        measure.0,
        &probs,
    ));
    out.run_id = Some(trained.run.id().to_string());
    Ok(out)
}
