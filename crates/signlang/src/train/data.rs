//! [`TrainData`]: what the trainer reads, images or feature vectors.

use tch::Tensor;

use crate::data::{Dataset, FeatureSet};

/// What the trainer reads: images ([`Dataset`]) or feature vectors
/// ([`FeatureSet`]).
pub trait TrainData {
    /// The set's name, for messages.
    fn name(&self) -> &str;
    /// Rows (images or vectors).
    fn len(&self) -> usize;
    /// True when there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// True for images (image augmentation applies).
    fn is_images(&self) -> bool;
    /// The inputs as one tensor on the CPU.
    fn inputs(&self) -> Tensor;
    /// The classes as an int64 tensor on the CPU.
    fn targets(&self) -> Tensor;
}

impl TrainData for Dataset {
    fn name(&self) -> &str {
        &self.name
    }
    fn len(&self) -> usize {
        Dataset::len(self)
    }
    fn is_images(&self) -> bool {
        true
    }
    fn inputs(&self) -> Tensor {
        self.images()
    }
    fn targets(&self) -> Tensor {
        Dataset::targets(self)
    }
}

impl TrainData for FeatureSet {
    fn name(&self) -> &str {
        &self.name
    }
    fn len(&self) -> usize {
        FeatureSet::len(self)
    }
    fn is_images(&self) -> bool {
        false
    }
    fn inputs(&self) -> Tensor {
        FeatureSet::inputs(self)
    }
    fn targets(&self) -> Tensor {
        FeatureSet::targets(self)
    }
}
