//! Feature vectors with their classes: what a classifier that does not read
//! pixels trains on (for example the 85 numbers of a hand's landmarks,
//! [`crate::landmarks::features`]). The counterpart of [`super::Dataset`]
//! for the study's ledger and trainer.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tch::{Kind, Tensor};

/// `len` rows of `width` numbers, each with a class (0..24).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureSet {
    /// A short name for tables and the ledger ("landmarks: train", …).
    pub name: String,
    /// Numbers per row.
    pub width: usize,
    /// Row-major values, `width` per row.
    pub values: Vec<f32>,
    /// Class index of each row.
    pub classes: Vec<u8>,
}

impl FeatureSet {
    /// An empty set of rows of `width` numbers.
    pub fn empty(name: &str, width: usize) -> FeatureSet {
        FeatureSet {
            name: name.to_string(),
            width,
            values: Vec::new(),
            classes: Vec::new(),
        }
    }

    /// Appends one row; panics if it is not `width` long.
    pub fn push(&mut self, row: &[f32], class: u8) {
        assert_eq!(row.len(), self.width, "a feature row of the set's width");
        self.values.extend_from_slice(row);
        self.classes.push(class);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// The rows picked by `indices`, in that order, under a new name.
    pub fn subset(&self, name: &str, indices: &[usize]) -> FeatureSet {
        let mut out = FeatureSet::empty(name, self.width);
        for &i in indices {
            out.push(self.row(i), self.classes[i]);
        }
        out
    }

    /// A short, stable fingerprint of the values and classes (first 16 hex
    /// digits of a SHA-256), for run keys like [`super::Dataset::fingerprint`].
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"features");
        h.update((self.width as u64).to_le_bytes());
        h.update((self.len() as u64).to_le_bytes());
        h.update(&self.classes);
        for v in &self.values {
            h.update(v.to_le_bytes());
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The rows as an `N×width` float tensor on the CPU.
    pub fn inputs(&self) -> Tensor {
        Tensor::from_slice(&self.values).view([self.len() as i64, self.width as i64])
    }

    /// Class indices as an `N` int64 tensor on the CPU.
    pub fn targets(&self) -> Tensor {
        Tensor::from_slice(&self.classes).to_kind(Kind::Int64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_subsets_tensors_and_fingerprints() {
        let mut f = FeatureSet::empty("f", 2);
        f.push(&[1.0, 2.0], 3);
        f.push(&[4.0, 5.0], 7);
        assert_eq!((f.len(), f.row(1)), (2, &[4.0f32, 5.0][..]));
        let s = f.subset("s", &[1]);
        assert_eq!(
            (s.values.clone(), s.classes.clone()),
            (vec![4.0, 5.0], vec![7])
        );
        assert_eq!(f.inputs().size(), vec![2, 2]);
        assert_ne!(f.fingerprint(), s.fingerprint());
        let mut g = f.clone();
        g.values[0] = 1.5;
        assert_ne!(
            f.fingerprint(),
            g.fingerprint(),
            "a changed value is a new fingerprint"
        );
    }
}
