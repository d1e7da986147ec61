//! The only way to the test split: [`Study::evaluate_on_test`] predicts with
//! a recorded run's weights and writes a [`TestTouch`] to the ledger before
//! it hands the predictions back.

use serde::Serialize;
use tch::{Kind, Tensor};

use super::{backend, now_rfc3339, EntryStatus, Study, StudyError, TestTouch};
use crate::data::TestSplit;
use crate::NUM_CLASSES;

/// Predictions of one run on the test split: plain data for metrics and
/// plots.
#[derive(Clone, Debug, PartialEq, Serialize)]
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

    /// Builds predictions from an `N×24` probability tensor.
    pub(crate) fn from_probabilities(
        run_id: &str,
        truth: &[u8],
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
        let flat: Vec<f32> = Vec::try_from(
            probs
                .to_device(tch::Device::Cpu)
                .to_kind(Kind::Float)
                .contiguous()
                .view([-1]),
        )
        .map_err(|_| StudyError::BadPredictions {
            id: run_id.to_string(),
            shape: probs.size(),
            n,
        })?;
        let mut probabilities = Vec::with_capacity(n);
        let mut predicted = Vec::with_capacity(n);
        let mut indices_wrong = Vec::new();
        for (i, row) in flat.chunks_exact(NUM_CLASSES).enumerate() {
            let mut p = [0f32; NUM_CLASSES];
            p.copy_from_slice(row);
            let best = (0..NUM_CLASSES)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .unwrap_or(0) as u8;
            if best != truth[i] {
                indices_wrong.push(i);
            }
            predicted.push(best);
            probabilities.push(p);
        }
        Ok(TestPredictions {
            run_id: run_id.to_string(),
            truth: truth.to_vec(),
            predicted,
            probabilities,
            indices_wrong,
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
        let (net, vs) = self.load_model(run_id)?;
        self.evaluate_on_test_with(run_id, test, |images| {
            Ok(backend::predict_proba(&net, images, vs.device()))
        })
    }

    fn check_evaluable(&self, run_id: &str) -> Result<(), StudyError> {
        let entry = self.get(run_id)?;
        if !matches!(
            entry.status,
            EntryStatus::Completed | EntryStatus::EarlyStopped
        ) {
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
    pub(crate) fn evaluate_on_test_with(
        &mut self,
        run_id: &str,
        test: &TestSplit,
        predict: impl FnOnce(&Tensor) -> Result<Tensor, StudyError>,
    ) -> Result<TestPredictions, StudyError> {
        self.check_evaluable(run_id)?;
        let data = test.dataset();
        let probs = predict(&data.images())?;
        let preds = TestPredictions::from_probabilities(run_id, &data.classes, &probs)?;
        let _lock = self.lock()?;
        self.reload_locked()?;
        self.ledger.test_touches.push(TestTouch {
            run_id: run_id.to_string(),
            at: now_rfc3339(),
            n_images: preds.len(),
            accuracy: preds.accuracy(),
            test_fingerprint: test.fingerprint(),
        });
        if let Err(e) = self.ledger.write_atomic(&self.ledger_path()) {
            self.ledger.test_touches.pop();
            return Err(e);
        }
        Ok(preds)
    }

    /// Every evaluation on the test split, oldest first.
    pub fn test_touches(&self) -> &[TestTouch] {
        &self.ledger.test_touches
    }
}
