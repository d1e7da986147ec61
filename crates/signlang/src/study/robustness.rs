//! [`Study::robustness_on_test`]: a recorded run's accuracy on corrupted
//! copies of the sealed test split ([`crate::corrupt`]), recorded in the
//! ledger as a [`super::TestTouch`] like every other test evaluation.

use tch::Tensor;

use super::{Study, StudyError};
use crate::corrupt::{self, RobustnessReport};
use crate::data::TestSplit;
use crate::infer::predict_proba;

impl Study {
    /// Evaluates run `run_id` (its recorded weights, on the CPU) on the test
    /// split ([`corrupt::IMAGES_PER_PHOTO`] images of each source photo) as
    /// it is and under every corruption at severities 1..=5 (random
    /// draws from `seed`), records the evaluation in the ledger (accuracy =
    /// the clean accuracy, `what` = the summary) and returns the report.
    /// Prints one line when done.
    pub fn robustness_on_test(
        &mut self,
        run_id: &str,
        test: &TestSplit,
        seed: u64,
    ) -> Result<RobustnessReport, StudyError> {
        self.check_evaluable(run_id)?;
        let key = self
            .cache_key("robustness-test", run_id)?
            .with(&test.fingerprint())
            .with(&test.groups())
            .with(&seed);
        let cache = self.cache();
        if let Some(report) = cache.get::<RobustnessReport>(&key) {
            // A cached result is still a look at the test split: it is recorded.
            self.record_robustness_touch(run_id, test, seed, &report)?;
            return Ok(report);
        }
        let name = format!("{run_id} {}", self.get(run_id)?.spec.describe());
        let (net, vs) = self.load_model(run_id)?;
        let predict = |x: &Tensor| Ok::<_, StudyError>(predict_proba(&net, x, vs.device()));
        let report = self.robustness_on_test_with(run_id, test, seed, &name, predict)?;
        cache.put(&key, &report);
        Ok(report)
    }

    /// [`Study::robustness_on_test`] with any predictor (images → `N×24`
    /// probabilities); crate-internal so that the test images never leave the
    /// library unrecorded.
    pub(crate) fn robustness_on_test_with<E: std::fmt::Display>(
        &mut self,
        run_id: &str,
        test: &TestSplit,
        seed: u64,
        name: &str,
        predict: impl FnMut(&Tensor) -> Result<Tensor, E>,
    ) -> Result<RobustnessReport, StudyError> {
        self.check_evaluable(run_id)?;
        let data = corrupt::photo_sample(test.dataset(), test.groups());
        let report = corrupt::evaluate_robustness(name, predict, &data, seed, |_, _| {})
            .map_err(StudyError::robustness(run_id))?;
        self.record_robustness_touch(run_id, test, seed, &report)?;
        Ok(report)
    }

    /// Records a robustness evaluation on the test split as a test touch.
    fn record_robustness_touch(
        &mut self,
        run_id: &str,
        test: &TestSplit,
        seed: u64,
        report: &RobustnessReport,
    ) -> Result<(), StudyError> {
        let what = format!(
            "robustness (seed {seed}, {} images, at most {} per photo): clean {:.1}%, mean \
             corruption {:.1}%",
            report.n_images,
            corrupt::IMAGES_PER_PHOTO,
            100.0 * report.clean,
            100.0 * report.mean_corruption_accuracy()
        );
        self.record_test_touch(run_id, test, report.clean, Some(what))?;
        println!("{} (recorded as a test touch)", report.summary_line());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::model::ModelSpec;
    use crate::study::TrainerOutput;
    use crate::testing::{completed, config, dataset, epoch, small_spec};
    use crate::train::TrainConfig;
    use tch::Kind;

    fn trained(
        weights: bool,
    ) -> impl FnOnce(&ModelSpec, &TrainConfig, &Dataset, &Dataset) -> Result<TrainerOutput, String>
    {
        move |spec, _, _, _| {
            let _rng = crate::runtime::torch_rng_lock();
            let vs = tch::nn::VarStore::new(tch::Device::Cpu);
            let _ = spec.build(&vs.root());
            Ok(TrainerOutput {
                history: completed(vec![epoch(1, 0.5, 1e-3)]),
                weights: weights.then_some(vs),
            })
        }
    }

    #[test]
    fn robustness_on_test_is_recorded_with_its_summary() {
        let dir = tempfile::tempdir().unwrap();
        let (train, val) = (dataset("train", 24, 1), dataset("validation", 24, 2));
        let test = TestSplit::seal(dataset("test", 30, 3));
        let mut study = Study::create(dir.path(), 3).unwrap();
        let spec = small_spec();
        let id = study
            .run_with(&spec, &config(1), &train, &val, trained(true))
            .unwrap()
            .entry
            .id;
        let report = study.robustness_on_test(&id, &test, 4).unwrap();
        assert_eq!(report.n_images, 30);
        assert_eq!(report.rows.len(), 13);
        assert!(report.model.starts_with("r001 dense 8"), "{}", report.model);
        let reopened = Study::open(dir.path()).unwrap();
        let touches = reopened.test_touches();
        assert_eq!(touches.len(), 1);
        assert_eq!(touches[0].accuracy, report.clean);
        assert_eq!(touches[0].n_images, 30);
        let what = touches[0].what.clone().unwrap();
        assert!(
            what.starts_with("robustness (seed 4, 30 images, at most 3 per photo): clean"),
            "{what}"
        );
        // The same seed gives the same report; each call is recorded.
        assert_eq!(study.robustness_on_test(&id, &test, 4).unwrap(), report);
        assert_eq!(study.test_touches().len(), 2);
    }

    #[test]
    fn failed_robustness_evaluations_are_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (train, val) = (dataset("train", 24, 1), dataset("validation", 24, 2));
        let test = TestSplit::seal(dataset("test", 12, 3));
        let mut study = Study::create(dir.path(), 3).unwrap();
        let spec = ModelSpec::Dense(crate::model::DenseSpec::default());
        let id = study
            .run_with(&spec, &config(1), &train, &val, trained(false))
            .unwrap()
            .entry
            .id;
        let bad = study.robustness_on_test_with(&id, &test, 0, "bad", |x: &Tensor| {
            Ok::<_, String>(Tensor::zeros(
                [x.size()[0], 2],
                (Kind::Float, tch::Device::Cpu),
            ))
        });
        let err = bad.unwrap_err();
        assert!(matches!(err, StudyError::Robustness { .. }), "{err}");
        assert!(err.to_string().contains("r001"), "{err}");
        assert!(study.robustness_on_test("r999", &test, 0).is_err());
        assert!(Study::open(dir.path()).unwrap().test_touches().is_empty());
    }
}
