//! The route built on a folder of hand crops: [`build`] finds their hands,
//! trains the candidates (one study run each) on all but a held-out fifth
//! of the source photos, chooses on that fifth, and fits the unsure rule
//! there. The measuring photos play no part.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::classifier::{self, candidates, Trained};
use super::error::RouteError;
use super::photos::{self, hands_in_photos, HandPhotos};
use super::score::RouteScore;
use super::unsure::MarginRule;
use crate::adapt::Photos;
use crate::landmarks::FindOptions;
use crate::study::Study;

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
    photos.require(2, "one to train on and one to hold out")?;
    let train = hands_in_photos(photos, None, models, &config.find, progress)?;
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
