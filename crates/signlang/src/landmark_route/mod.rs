//! The landmark route: hand landmarks ([`crate::landmarks`]) of real
//! training crops, a small classifier trained in the study on them, and
//! what it reads on photos it was not trained on.
//!
//! 1. [`photos`]: the landmarks of every photo of a folder (or of Sign-MNIST
//!    images), cached.
//! 2. [`classifier`]: the candidates (logistic regression, a dense network,
//!    the network with keypoint augmentation), each a run of the study,
//!    chosen on held-out source photos of the training folder.
//! 3. [`score`]: a route's answers scored with the source photo as the unit
//!    (no hand found = wrong).
//! 4. [`unsure`]: "unsure" for this route: no hand, or a small margin
//!    between the top two letters.
//! 5. [`curve`]: the learning curve in training photos per letter.
//! 6. [`export`]: the classifier as ONNX with the front end's description,
//!    for apps; [`predict`]: a photo read by an export.
//! 7. [`report`]: the report on labelled photos (hands found, accuracy with
//!    no hand counted wrong, per letter, confusions, the unsure rule), the
//!    same in the notebook and in `signlang predict --truth-from-name`.
//!
//! [`build`] does 1–4 on a training folder: the measuring photos (the 190)
//! only measure; nothing here is fitted or chosen on them.

pub mod classifier;
pub mod curve;
pub mod export;
pub mod photos;
pub mod predict;
pub mod report;
pub mod score;
pub mod unsure;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use classifier::{candidates, Candidate, Trained};
pub use curve::{learning_curve, LandmarkCurve};
pub use export::{export_route, export_run, RouteManifest, RouteRun, ROUTE_FILE};
pub use photos::{hands_in_images, hands_in_photos, HandPhotos};
pub use predict::{is_route_export, RouteClassifier, RoutePrediction};
pub use report::{RouteCheck, RouteRecord, RouteReport};
pub use score::{RouteScore, NO_HAND};
pub use unsure::MarginRule;

use crate::adapt::Photos;
use crate::landmarks::{FindOptions, LandmarkError};
use crate::study::{Study, StudyError};

/// Why the landmark route could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The landmark front end failed (a model, ONNX Runtime, a photo).
    #[error(transparent)]
    Landmarks(#[from] LandmarkError),
    /// The study refused or failed a run.
    #[error(transparent)]
    Study(#[from] StudyError),
    /// A photo folder could not be read.
    #[error(transparent)]
    Photos(#[from] crate::adapt::AdaptError),
    /// Too few hands were found to train or choose anything.
    #[error("{what}: only {found} photos with a hand; the route needs at least {needed}")]
    TooFew {
        /// Which photos.
        what: String,
        /// Hands found.
        found: usize,
        /// Hands needed.
        needed: usize,
    },
    /// Writing or reading an export failed.
    #[error("{path}: {reason}")]
    Export {
        /// The file.
        path: PathBuf,
        /// What went wrong and what to do.
        reason: String,
    },
}

/// What the route trains and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteConfig {
    /// Share of each letter's source photos held out to choose.
    pub holdout: f64,
    /// Seed of the hold-out (the pixel learning curve's, so both routes
    /// hold out the same photos).
    pub holdout_seed: u64,
    /// Most epochs of each classifier run.
    pub epochs: usize,
    /// How hands are looked for.
    pub find: FindOptions,
    /// Accuracy the answered held-out photos must reach when the unsure
    /// rule's margin is fitted.
    pub unsure_target: f64,
}

/// A fifth held out (seed 0), up to 200 epochs, the default search, 95%.
impl Default for RouteConfig {
    fn default() -> Self {
        RouteConfig {
            holdout: 0.2,
            holdout_seed: 0,
            epochs: 200,
            find: FindOptions::default(),
            unsure_target: 0.95,
        }
    }
}

impl RouteConfig {
    /// The study scale's config: 30 epochs in quick mode.
    pub fn for_scale(scale: &crate::study::Scale) -> Self {
        RouteConfig {
            epochs: if scale.quick { 30 } else { 200 },
            ..RouteConfig::default()
        }
    }
}

/// The route as trained on a folder of hand crops.
#[derive(Clone, Debug)]
pub struct LandmarkRoute {
    /// The config it was built with.
    pub config: RouteConfig,
    /// Where the models came from.
    pub models: PathBuf,
    /// The training crops and their landmarks.
    pub train: HandPhotos,
    /// Source photos used for training, and those held out to choose.
    pub pool: Vec<u32>,
    /// Source photos held out.
    pub held_out: Vec<u32>,
    /// Every candidate, trained.
    pub trained: Vec<Trained>,
    /// Index of the chosen one in `trained`.
    pub chosen: usize,
    /// The unsure rule, fitted on the held-out photos.
    pub unsure: MarginRule,
}

/// Finds the hands of `photos` (the training crops), trains the candidates
/// on all but the held-out fifth (one study run each), chooses on the
/// held-out photos and fits the unsure rule there.
pub fn build(
    study: &mut Study,
    photos: &Photos,
    models: &Path,
    config: &RouteConfig,
    progress: Option<photos::ProgressFn<'_>>,
) -> Result<LandmarkRoute, RouteError> {
    let train = hands_in_photos(photos, models, &config.find, progress)?;
    let (pool, held_out) = crate::adapt::holdout(photos, config.holdout, config.holdout_seed);
    let (train_set, _) = train.feature_set("landmarks: training crops", &train.of_groups(&pool));
    let (hold_set, _) = train.feature_set("landmarks: held-out crops", &train.of_groups(&held_out));
    for (set, needed) in [(&train_set, 48), (&hold_set, 24)] {
        if set.len() < needed {
            return Err(RouteError::TooFew {
                what: set.name.clone(),
                found: set.len(),
                needed,
            });
        }
    }
    let mut trained = Vec::new();
    for candidate in candidates(config.epochs) {
        trained.push(classifier::train(study, &candidate, &train_set, &hold_set)?);
    }
    let chosen = classifier::choose(&trained).unwrap_or(0);
    let mut route = LandmarkRoute {
        config: config.clone(),
        models: models.to_path_buf(),
        train,
        pool,
        held_out,
        trained,
        chosen,
        unsure: MarginRule::default(),
    };
    let held = route.score_on(study, &route.held_out_photos(), "held-out training crops")?;
    route.unsure = MarginRule::fit(&held, config.unsure_target);
    Ok(route)
}

impl LandmarkRoute {
    /// The chosen classifier.
    pub fn chosen(&self) -> &Trained {
        &self.trained[self.chosen]
    }

    /// The held-out training crops as their own photo set.
    pub fn held_out_photos(&self) -> HandPhotos {
        let idx = self.train.of_groups(&self.held_out);
        self.train.select(&idx)
    }

    /// The route's name in tables: `"landmarks (dense 128-64)"`.
    pub fn name(&self) -> String {
        format!("landmarks ({})", self.chosen().candidate.name)
    }

    /// The chosen classifier's answers on `hands`.
    pub fn score_on(
        &self,
        study: &Study,
        hands: &HandPhotos,
        photos: &str,
    ) -> Result<RouteScore, RouteError> {
        let probs = classifier::probabilities(study, self.chosen().run.id(), hands)?;
        Ok(RouteScore::new(&self.name(), photos, hands, &probs))
    }

    /// Every candidate with its held-out accuracy, the chosen one marked.
    pub fn candidates_table(&self) -> crate::display::Table {
        let mut t = crate::display::Table::new(["candidate", "run", "network", "held-out accuracy", "epochs", "chosen"])
            .with_caption("Landmark classifiers, chosen on held-out training crops (a fifth of each letter's source photos)");
        for (i, c) in self.trained.iter().enumerate() {
            let e = &c.run.entry;
            t.push([
                c.candidate.name.clone(),
                e.id.clone(),
                c.candidate.spec.describe(),
                format!("{:.1}%", 100.0 * c.holdout_accuracy()),
                e.epochs.len().to_string(),
                if i == self.chosen {
                    "✓".into()
                } else {
                    String::new()
                },
            ]);
        }
        t
    }
}
