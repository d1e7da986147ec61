//! The learning curve: the chosen model adapted with `k` real source photos
//! per letter (several draws each), every adapted model scored on a
//! measuring folder with source photos as the unit, beside the model
//! itself (`k = 0`).
//!
//! One hold-out of the training folder ([`CurveConfig::holdout`] of each
//! letter's source photos, seeded) validates every run: early stopping and
//! the choice of the best adapted model use it, never the measuring folder.
//! The draws come from the rest ("all" = all of the rest).

use std::path::Path;

use super::draw::{draw, holdout, PerLetter};
use super::photos::{load_photos, Photos};
use super::tune::{adapt_run, class_means_config, fine_tune_config, score, Base};
use super::AdaptError;
use crate::data::Dataset;
use crate::evaluate::GroupedAccuracy;
use crate::study::Study;
use crate::train::{Adapter, Progress, TrainConfig};

/// What the curve trains.
#[derive(Clone, Debug)]
pub struct CurveConfig {
    /// Source photos per letter, in order.
    pub per_letter: Vec<PerLetter>,
    /// Fine-tuning draws (seeds `0..draws`) at each size.
    pub draws: usize,
    /// Class-means draws (seeds `0..class_means_draws`) at each size; 0 = none.
    pub class_means_draws: usize,
    /// Share of each letter's source photos held out to validate.
    pub holdout: f64,
    /// Seed of the hold-out.
    pub holdout_seed: u64,
    /// Fine-tuning settings (the seed is set per draw).
    pub fine_tune: TrainConfig,
    /// Measuring photos (source-photo names, e.g. `A_3`) every point is
    /// also scored on alone: those with no near-twin among the training
    /// photos ([`super::Partners::unpartnered_names`]). Empty: none.
    pub also_measure: Vec<String>,
}

/// k = 1, 4, 8 with 2 fine-tuning draws each, and all with one (a second
/// draw of all would train on the same photos: a training-seed repeat);
/// no class means (7 runs); a fifth of the source photos held out.
impl Default for CurveConfig {
    fn default() -> Self {
        CurveConfig {
            per_letter: [1, 4, 8]
                .map(PerLetter::Count)
                .into_iter()
                .chain([PerLetter::All])
                .collect(),
            draws: 2,
            class_means_draws: 0,
            holdout: 0.2,
            holdout_seed: 0,
            fine_tune: fine_tune_config(0),
            also_measure: Vec::new(),
        }
    }
}

impl CurveConfig {
    /// A small curve for quick mode: k = 1 and all, one draw, 2 epochs.
    pub fn quick() -> Self {
        CurveConfig {
            per_letter: vec![PerLetter::Count(1), PerLetter::All],
            draws: 1,
            class_means_draws: 0,
            fine_tune: TrainConfig {
                epochs: 2,
                ..fine_tune_config(0)
            },
            ..CurveConfig::default()
        }
    }

    /// The curve of a study's scale: [`CurveConfig::quick`] in quick mode.
    pub fn for_scale(scale: &crate::study::Scale) -> Self {
        if scale.quick {
            CurveConfig::quick()
        } else {
            CurveConfig::default()
        }
    }

    /// Runs the plan asks for (some may be recorded already).
    pub fn planned_runs(&self) -> usize {
        self.per_letter
            .iter()
            .map(|&k| draws_at(k, self.draws) + draws_at(k, self.class_means_draws))
            .sum()
    }
}

/// One point of the curve.
#[derive(Clone, Debug)]
pub struct CurvePoint {
    /// How it was adapted (`None`: the model itself, k = 0).
    pub adapter: Option<Adapter>,
    /// Source photos per letter asked for (`Count(0)` for the model itself).
    pub per_letter: PerLetter,
    /// The draw (seed).
    pub draw: u64,
    /// The study run (the base run for k = 0).
    pub run_id: String,
    /// True when the run was recorded already (nothing trained).
    pub cached: bool,
    /// Mean source photos per letter actually used.
    pub photos_per_letter: f64,
    /// Training images (all versions).
    pub train_images: usize,
    /// Accuracy on the held-out training photos (the kept epoch's).
    pub holdout_accuracy: f64,
    /// Accuracy on the measuring folder, source photos as the unit.
    pub measured: GroupedAccuracy,
    /// Accuracy on the measuring photos of [`CurveConfig::also_measure`]
    /// alone (those with no near-twin among the training photos).
    pub measured_apart: Option<GroupedAccuracy>,
}

/// The curve, with what is needed to export and plot it.
#[derive(Clone, Debug)]
pub struct LearningCurve {
    /// The adapted run.
    pub base_run: String,
    /// The measuring folder.
    pub measure: String,
    /// k = 0 first, then every adapted run in plan order.
    pub points: Vec<CurvePoint>,
    /// The held-out training photos (validation of every run).
    pub holdout: Dataset,
    /// Their source-photo groups.
    pub holdout_groups: Vec<u32>,
}

/// One planned run.
struct Job {
    adapter: Adapter,
    per_letter: PerLetter,
    draw: u64,
    config: TrainConfig,
    train: Dataset,
    sources: usize,
}

/// Draws at size `k`: at most one of all the pool (every draw of all
/// takes the same photos).
fn draws_at(k: PerLetter, draws: usize) -> usize {
    match k {
        PerLetter::All => draws.min(1),
        PerLetter::Count(_) => draws,
    }
}

fn plan(photos: &Photos, pool: &[u32], config: &CurveConfig) -> Vec<Job> {
    let mut jobs = Vec::new();
    for &k in &config.per_letter {
        let mut add = |adapter, draws: usize, make: &dyn Fn(u64) -> TrainConfig| {
            for d in 0..draws_at(k, draws) as u64 {
                let groups = draw(photos, pool, k, d);
                let name = format!("{} k={} draw {d}", photos.data.name, k.label());
                jobs.push(Job {
                    adapter,
                    per_letter: k,
                    draw: d,
                    config: make(d),
                    train: photos.select(&name, &groups).0,
                    sources: groups.len(),
                });
            }
        };
        let ft = |d| TrainConfig {
            seed: d,
            ..config.fine_tune.clone()
        };
        add(Adapter::FineTune, config.draws, &ft);
        add(
            Adapter::ClassMeans,
            config.class_means_draws,
            &class_means_config,
        );
    }
    jobs
}

/// Adapts run `base_run` of `study` with photos of `train_dir` as
/// `config` plans, and scores each adapted model (and the base) on
/// `measure_dir`. Refuses before training when the budget cannot hold the
/// new runs. Prints one line per run.
pub fn learning_curve(
    study: &mut Study,
    base_run: &str,
    train_dir: impl AsRef<Path>,
    measure_dir: impl AsRef<Path>,
    config: &CurveConfig,
) -> Result<LearningCurve, AdaptError> {
    if !(config.holdout > 0.0 && config.holdout < 1.0) {
        return Err(AdaptError::BadShare(config.holdout));
    }
    let base = Base::from_run(study, base_run)?;
    let photos = load_photos(train_dir)?;
    photos.require(2, "one to train on and one to hold out")?;
    let measure = load_photos(measure_dir)?;
    let (pool, held) = holdout(&photos, config.holdout, config.holdout_seed);
    let (validation, holdout_groups) = photos.select("held-out photos", &held);
    let jobs = plan(&photos, &pool, config);
    check_budget(study, &base, &jobs, &validation)?;
    let apart = apart_photos(&measure, &config.also_measure);
    let score_apart = |weights: &Path| {
        apart
            .as_ref()
            .map(|(d, g)| score(&base.spec, weights, d, g))
            .transpose()
    };
    let base_holdout = score(&base.spec, &base.weights, &validation, &holdout_groups)?;
    let mut points = vec![CurvePoint {
        measured_apart: score_apart(&base.weights)?,
        ..base_point(&base, base_run, base_holdout.accuracy, &measure)?
    }];
    println!("{}", points[0].line());
    for job in jobs {
        let mut point = run_point(study, &base, job, &validation, &measure)?;
        point.measured_apart = score_apart(&study.weights_path(&point.run_id)?)?;
        println!("{}", point.line());
        points.push(point);
    }
    Ok(LearningCurve {
        base_run: base_run.to_string(),
        measure: measure.dir.display().to_string(),
        points,
        holdout: validation,
        holdout_groups,
    })
}

/// The curve's first point: the model itself (k = 0) on the measuring photos.
fn base_point(
    base: &Base,
    base_run: &str,
    holdout_accuracy: f64,
    measure: &Photos,
) -> Result<CurvePoint, AdaptError> {
    Ok(CurvePoint {
        adapter: None,
        per_letter: PerLetter::Count(0),
        draw: 0,
        run_id: base_run.to_string(),
        cached: true,
        photos_per_letter: 0.0,
        train_images: 0,
        holdout_accuracy,
        measured: score(&base.spec, &base.weights, &measure.data, &measure.groups)?,
        measured_apart: None,
    })
}

/// Refuses (before any training) a plan whose new runs exceed the budget.
fn check_budget(
    study: &Study,
    base: &Base,
    jobs: &[Job],
    validation: &Dataset,
) -> Result<(), AdaptError> {
    let new = jobs
        .iter()
        .filter(|j| {
            let c = TrainConfig {
                init: Some(base.init(j.adapter)),
                ..j.config.clone()
            };
            study.lookup(&base.spec, &c, &j.train, validation).is_none()
        })
        .count();
    if new > study.remaining() {
        return Err(AdaptError::Budget {
            dir: study.dir().to_path_buf(),
            needed: new,
            left: study.remaining(),
        });
    }
    Ok(())
}

fn run_point(
    study: &mut Study,
    base: &Base,
    job: Job,
    validation: &Dataset,
    measure: &Photos,
) -> Result<CurvePoint, AdaptError> {
    let run = adapt_run(
        study,
        base,
        job.adapter,
        &job.config,
        &job.train,
        validation,
        Progress::Silent,
    )?;
    let weights = study.weights_path(run.id())?;
    let measured = score(&base.spec, &weights, &measure.data, &measure.groups)?;
    Ok(CurvePoint {
        adapter: Some(job.adapter),
        per_letter: job.per_letter,
        draw: job.draw,
        run_id: run.id().to_string(),
        cached: run.cached,
        photos_per_letter: job.sources as f64 / crate::NUM_CLASSES as f64,
        train_images: job.train.len(),
        holdout_accuracy: run
            .entry
            .validation
            .as_ref()
            .map_or(f64::NAN, |v| v.accuracy),
        measured,
        measured_apart: None,
    })
}

/// The measuring photos whose source-photo names are in `names`, with
/// their groups (`None` when `names` is empty).
fn apart_photos(measure: &Photos, names: &[String]) -> Option<(Dataset, Vec<u32>)> {
    if names.is_empty() {
        return None;
    }
    let ids: Vec<u32> = (0..measure.group_names.len() as u32)
        .filter(|&g| names.contains(&measure.group_names[g as usize]))
        .collect();
    Some(measure.select("measuring photos without a near-twin", &ids))
}
