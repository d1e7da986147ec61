//! The only way to the test split: [`Study::evaluate_on_test`] predicts with
//! a recorded run's weights and writes a [`TestTouch`] to the ledger before
//! it hands the predictions back.

use serde::{Deserialize, Serialize};
use tch::Tensor;

use super::{now_rfc3339, Study, StudyError, TestTouch};
use crate::data::TestSplit;
use crate::evaluate::{EvaluateError, Evaluation};
use crate::NUM_CLASSES;

/// Predictions of one run on the test split: plain data for metrics and
/// plots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestPredictions {
    /// The evaluated run.
    pub run_id: String,
    /// True class of each test image.
    pub truth: Vec<u8>,
    /// Predicted class (arg-max of the probabilities) of each test image.
    pub predicted: Vec<u8>,
    /// Class probabilities of each test image.
    pub probabilities: Vec<[f32; NUM_CLASSES]>,
    /// Indices (into the test split) of the misclassified images.
    pub indices_wrong: Vec<usize>,
    /// Source-photo group of each test image.
    pub groups: Vec<u32>,
}

impl TestPredictions {
    /// Number of test images.
    pub fn len(&self) -> usize {
        self.truth.len()
    }

    /// True when there are no predictions.
    pub fn is_empty(&self) -> bool {
        self.truth.is_empty()
    }

    /// Share of images predicted correctly (0 when empty).
    pub fn accuracy(&self) -> f64 {
        if self.truth.is_empty() {
            return 0.0;
        }
        1.0 - self.indices_wrong.len() as f64 / self.truth.len() as f64
    }

    /// The evaluation of these predictions, with group-aware intervals.
    pub fn evaluation(&self) -> Result<Evaluation, EvaluateError> {
        Evaluation::from_predictions(&self.truth, &self.predicted)?.with_groups(&self.groups)
    }

    /// Builds predictions from an `N×24` probability tensor.
    pub(crate) fn from_probabilities(
        run_id: &str,
        truth: &[u8],
        groups: &[u32],
        probs: &Tensor,
    ) -> Result<Self, StudyError> {
        let n = truth.len();
        let shape = probs.size();
        if shape != [n as i64, NUM_CLASSES as i64] {
            return Err(StudyError::BadPredictions {
                id: run_id.to_string(),
                shape,
                n,
            });
        }
        let rows = crate::infer::probability_rows(probs).ok_or(StudyError::BadPredictions {
            id: run_id.to_string(),
            shape: probs.size(),
            n,
        })?;
        let mut predicted = Vec::with_capacity(n);
        let mut indices_wrong = Vec::new();
        for (i, p) in rows.iter().enumerate() {
            let best = (0..NUM_CLASSES)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .unwrap_or(0) as u8;
            if best != truth[i] {
                indices_wrong.push(i);
            }
            predicted.push(best);
        }
        Ok(TestPredictions {
            run_id: run_id.to_string(),
            truth: truth.to_vec(),
            predicted,
            probabilities: rows,
            indices_wrong,
            groups: groups.to_vec(),
        })
    }
}

impl Study {
    /// Predicts the sealed test split with the weights of run `run_id` and
    /// records the evaluation (run, time, images, accuracy) in the ledger
    /// before returning the predictions. Every call is recorded.
    pub fn evaluate_on_test(
        &mut self,
        run_id: &str,
        test: &TestSplit,
    ) -> Result<TestPredictions, StudyError> {
        self.check_evaluable(run_id)?;
        let key = self
            .cache_key("test-predictions", run_id)?
            .with(&test.fingerprint())
            .with(&test.groups());
        let preds = self.cache().get_or_compute(&key, || {
            let run = self.load(run_id)?;
            Self::predict_test(run_id, test, |x| run.predict(x))
        })?;
        // A cached result is still a look at the test split: it is recorded.
        self.record_test_touch(run_id, test, preds.accuracy(), None)?;
        Ok(preds)
    }

    /// Runs `measure` on the sealed test split (its images and source-photo
    /// groups) for the final model `run_id` of another route, e.g. the
    /// landmark route, and records the look like [`Study::evaluate_on_test`]
    /// does, with `what` (what was measured) and the accuracy `measure`
    /// returns beside its result.
    pub fn measure_on_test<T, E: From<StudyError>>(
        &mut self,
        run_id: &str,
        test: &TestSplit,
        what: &str,
        measure: impl FnOnce(&crate::data::Dataset, &[u32]) -> Result<(T, f64), E>,
    ) -> Result<T, E> {
        self.check_evaluable(run_id)?;
        let (result, accuracy) = measure(test.dataset(), test.groups())?;
        self.record_test_touch(run_id, test, accuracy, Some(what.to_string()))?;
        Ok(result)
    }

    pub(crate) fn check_evaluable(&self, run_id: &str) -> Result<(), StudyError> {
        let entry = self.get(run_id)?;
        if !entry.status.has_weights() {
            return Err(StudyError::NoWeights {
                id: run_id.to_string(),
                status: entry.status.name(),
            });
        }
        Ok(())
    }

    /// [`Study::evaluate_on_test`] with any predictor (images `N×1×28×28` in
    /// `[0, 1]` → probabilities `N×24`); crate-internal so that the test
    /// images never leave the library unrecorded.
    #[cfg(test)]
    pub(crate) fn evaluate_on_test_with(
        &mut self,
        run_id: &str,
        test: &TestSplit,
        predict: impl FnOnce(&Tensor) -> Result<Tensor, StudyError>,
    ) -> Result<TestPredictions, StudyError> {
        self.check_evaluable(run_id)?;
        let preds = Self::predict_test(run_id, test, predict)?;
        self.record_test_touch(run_id, test, preds.accuracy(), None)?;
        Ok(preds)
    }

    /// Predictions of `predict` on the test split; nothing is recorded.
    fn predict_test(
        run_id: &str,
        test: &TestSplit,
        predict: impl FnOnce(&Tensor) -> Result<Tensor, StudyError>,
    ) -> Result<TestPredictions, StudyError> {
        let data = test.dataset();
        let probs = predict(&data.images())?;
        TestPredictions::from_probabilities(run_id, &data.classes, test.groups(), &probs)
    }

    /// Writes a [`TestTouch`] for run `run_id` on `test` to the ledger
    /// (under the study's lock); `what` says what was measured when it was
    /// not plain predictions.
    pub(crate) fn record_test_touch(
        &mut self,
        run_id: &str,
        test: &TestSplit,
        accuracy: f64,
        what: Option<String>,
    ) -> Result<(), StudyError> {
        let _lock = self.lock()?;
        self.reload_locked()?;
        self.ledger.test_touches.push(TestTouch {
            run_id: run_id.to_string(),
            at: now_rfc3339(),
            n_images: test.len(),
            accuracy,
            test_fingerprint: test.fingerprint(),
            what,
        });
        if let Err(e) = self.ledger.write_atomic(&self.ledger_path()) {
            self.ledger.test_touches.pop();
            return Err(e);
        }
        Ok(())
    }

    /// Every evaluation on the test split, oldest first.
    pub fn test_touches(&self) -> &[TestTouch] {
        &self.ledger.test_touches
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::study::TrainerOutput;
    use crate::testing::{completed, config, dataset, epoch, small_spec as spec};
    use crate::train::History;
    use tch::Kind;

    fn history() -> History {
        completed(vec![epoch(1, 0.5, 1e-3)])
    }

    #[test]
    fn test_evaluations_use_the_recorded_weights_and_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (train, val) = (dataset("train", 24, 1), dataset("validation", 24, 2));
        let test = TestSplit::seal(dataset("test", 30, 3));
        let mut study = Study::create(dir.path(), 3).unwrap();
        let expected = RefCell::new(None);
        let run = study
            .run_with(&spec(), &config(1), &train, &val, |s, _, _, _| {
                let _rng = crate::runtime::torch_rng_lock();
                let vs = tch::nn::VarStore::new(tch::Device::Cpu);
                let net = s.build(&vs.root());
                let p = crate::train::predict_proba(&net, &test.dataset().images(), vs.device());
                *expected.borrow_mut() = Some(Vec::<f32>::try_from(p.view([-1])).unwrap());
                Ok::<_, String>(TrainerOutput {
                    history: history(),
                    weights: Some(vs),
                })
            })
            .unwrap();
        assert!(study.test_touches().is_empty());
        let preds = study.evaluate_on_test(run.id(), &test).unwrap();
        let flat: Vec<f32> = preds.probabilities.iter().flatten().copied().collect();
        assert_eq!(flat, expected.borrow().clone().unwrap());
        assert_eq!(preds.len(), 30);
        assert_eq!(preds.truth, test.dataset().classes);
        let wrong = (0..30).filter(|&i| preds.predicted[i] != preds.truth[i]);
        assert_eq!(preds.indices_wrong, wrong.collect::<Vec<_>>());

        let reopened = Study::open(dir.path()).unwrap();
        let touches = reopened.test_touches();
        assert_eq!(touches.len(), 1);
        assert_eq!(touches[0].run_id, "r001");
        assert_eq!(touches[0].n_images, 30);
        assert_eq!(touches[0].accuracy, preds.accuracy());
        assert_eq!(touches[0].test_fingerprint, test.fingerprint());
        assert_eq!(reopened.test_line(), "test split evaluated 1 time: r001");
        let json = serde_json::to_value(&preds).unwrap();
        assert_eq!(json["probabilities"][0].as_array().unwrap().len(), 24);
    }

    #[test]
    fn every_test_evaluation_is_counted_and_bad_ones_are_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (train, val) = (dataset("train", 24, 1), dataset("validation", 24, 2));
        let test = TestSplit::seal(dataset("test", 48, 3));
        let mut study = Study::create(dir.path(), 3).unwrap();
        let ok = |_: &_, _: &_, _: &_, _: &_| {
            Ok::<_, String>(TrainerOutput {
                history: history(),
                weights: None,
            })
        };
        let id = study
            .run_with(&spec(), &config(1), &train, &val, ok)
            .unwrap()
            .entry
            .id;
        // A predictor that is right except on image 0.
        let one_hot = |images: &Tensor| {
            let n = images.size()[0];
            let truth = test.dataset().targets();
            let _ = truth
                .get(0)
                .fill_((test.dataset().classes[0] as i64 + 1) % 24);
            Ok(truth.one_hot(24).to_kind(Kind::Float).view([n, 24]))
        };
        for _ in 0..2 {
            let preds = study.evaluate_on_test_with(&id, &test, one_hot).unwrap();
            assert_eq!(preds.indices_wrong, [0]);
            assert_eq!(preds.accuracy(), 47.0 / 48.0);
        }
        assert_eq!(study.test_touches().len(), 2);
        assert_eq!(
            study.test_line(),
            "test split evaluated 2 times: r001, r001"
        );

        let bad = study.evaluate_on_test_with(&id, &test, |_| {
            Ok(Tensor::zeros([3, 24], (Kind::Float, tch::Device::Cpu)))
        });
        assert!(matches!(bad, Err(StudyError::BadPredictions { n: 48, .. })));
        let failed = study
            .run_with(&spec(), &config(2), &train, &val, |_, _, _, _| {
                Err::<TrainerOutput, _>("x")
            })
            .unwrap_err();
        let StudyError::RunFailed { id: failed_id, .. } = failed else {
            panic!("{failed}")
        };
        let err = study.evaluate_on_test(&failed_id, &test).unwrap_err();
        assert!(err.to_string().contains("status failed"), "{err}");
        let err = study.evaluate_on_test("r999", &test).unwrap_err();
        assert!(matches!(err, StudyError::UnknownRun { .. }), "{err}");
        assert_eq!(Study::open(dir.path()).unwrap().test_touches().len(), 2);
    }
}
