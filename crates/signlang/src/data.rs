//! Data: load Sign Language MNIST CSVs, check and fix them, split the test
//! CSV by source photo, and hand tensors to tch.

use sha2::{Digest, Sha256};
use tch::{Kind, Tensor};

/// Pixels per image (28×28).
pub const PIXELS: usize = 28 * 28;

/// A clean, typed set of images: `u8` pixels and contiguous class indices
/// (see [`crate::letters`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// A short name for tables and plots ("train", "validation", …).
    pub name: String,
    /// Row-major pixels, [`PIXELS`] per image.
    pub pixels: Vec<u8>,
    /// Class index (0..24) of each image.
    pub classes: Vec<u8>,
    /// 1-based data-row number of each image in its source CSV.
    pub rows: Vec<u32>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * PIXELS..(i + 1) * PIXELS]
    }

    /// The images picked by `indices`, in that order, under a new name.
    pub fn subset(&self, name: &str, indices: &[usize]) -> Dataset {
        let mut pixels = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        Dataset {
            name: name.to_string(),
            pixels,
            classes: indices.iter().map(|&i| self.classes[i]).collect(),
            rows: indices.iter().map(|&i| self.rows[i]).collect(),
        }
    }

    /// Images as an `N×1×28×28` float tensor in `[0, 1]` on the CPU.
    pub fn images(&self) -> Tensor {
        let n = self.len() as i64;
        Tensor::from_slice(&self.pixels)
            .view([n, 1, 28, 28])
            .to_kind(Kind::Float)
            / 255.0
    }

    /// Class indices as an `N` int64 tensor on the CPU.
    pub fn targets(&self) -> Tensor {
        Tensor::from_slice(&self.classes).to_kind(Kind::Int64)
    }
}

impl Dataset {
    /// A short, stable fingerprint of the images and classes (first 16 hex
    /// digits of a SHA-256). The study ledger uses it in each run's key, so a
    /// change to the data makes a new run.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update((self.len() as u64).to_le_bytes());
        h.update(&self.classes);
        h.update(&self.pixels);
        h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Number of images of each class.
    pub fn class_counts(&self) -> [usize; crate::NUM_CLASSES] {
        let mut counts = [0; crate::NUM_CLASSES];
        for &c in &self.classes {
            counts[c as usize] += 1;
        }
        counts
    }
}

/// The held-out test half of the split, sealed: its images are reached only
/// through the study's test API, which records every evaluation
/// ([`crate::study`]). Sizes and counts are public.
#[derive(Clone, Debug)]
pub struct TestSplit {
    data: Dataset,
}

impl TestSplit {
    /// Seals a dataset as the test split.
    pub fn seal(data: Dataset) -> Self {
        TestSplit { data }
    }

    /// Number of test images.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when there are no test images.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Number of test images of each class.
    pub fn class_counts(&self) -> [usize; crate::NUM_CLASSES] {
        self.data.class_counts()
    }

    /// Fingerprint of the test images (see [`Dataset::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        self.data.fingerprint()
    }

    /// The sealed images, for the library's own test API only.
    pub(crate) fn dataset(&self) -> &Dataset {
        &self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_scaled_to_unit_range_with_the_right_shape() {
        let ds = Dataset {
            name: "t".into(),
            pixels: (0..2 * PIXELS).map(|i| (i % 256) as u8).collect(),
            classes: vec![0, 23],
            rows: vec![1, 2],
        };
        let x = ds.images();
        assert_eq!(x.size(), vec![2, 1, 28, 28]);
        assert_eq!(x.double_value(&[0, 0, 0, 1]), f64::from(1.0f32 / 255.0));
        assert_eq!(x.max().double_value(&[]), 1.0);
        assert_eq!(ds.targets().int64_value(&[1]), 23);
        assert_eq!(ds.subset("s", &[1]).classes, vec![23]);
        assert_ne!(ds.fingerprint(), ds.subset("s", &[1, 0]).fingerprint());
    }
}
