//! Data: load Sign Language MNIST CSVs, check and fix them, split the test
//! CSV by source photo, and hand tensors to tch.
//!
//! The steps, each its own submodule:
//!
//! 1. [`load`]: read a CSV (plain or `.gz`, CRLF or LF; cells by [`parse`]) into a
//!    [`RawTable`] that keeps every cell as read;
//! 2. [`check`](mod@check): list problems by 1-based data row, duplicates and class
//!    counts in a [`CheckReport`];
//! 3. [`fix`]: drop invalid rows (the one policy), saying which and why, into
//!    a clean [`Dataset`];
//! 4. [`split`]: group the test CSV into near-copies of one source photo and
//!    split whole groups into validation and a sealed [`TestSplit`];
//!    [`separation`] checks that the halves are kept apart, against random
//!    group splits and a random-image split.
//!
//! [`load_dataset`] does 1–3 in one call for code that only needs clean data.

pub mod check;
pub mod cross_half;
mod distance;
pub mod features;
pub mod load;
pub mod neighbours;
pub mod parse;
pub mod separation;
pub mod split;

pub use check::{
    check, class_count_table, duplicates_between, fix, CheckReport, Dropped, FixLog, Problem,
    ProblemKind,
};
pub use cross_half::{
    cross_half_linkage, cross_half_table, link_halves, whole_csv_groupings, CrossHalfLink,
};
pub use features::FeatureSet;
pub use load::{load_raw, read_bytes, RawTable};
pub use neighbours::{nearest, nearest_distances, nearest_in_group, neighbour_table, Separation};
pub use separation::{
    check_separation, random_group_split, random_image_split, separation_check, SeparationCheck,
    SeparationConfig, SeparationRow, SeparationVerdict,
};
pub use split::{
    close_pairs_same_letter, group_near_copies, split_by_group, threshold_curve, threshold_table,
    Groups, Split, SplitConfig,
};

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// Why a file could not be read as a Sign Language MNIST CSV.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read the file: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The file is empty.
    #[error("{path}: the file is empty; expected a header `label,pixel1,...,pixel784` and one image per line (re-copy it from the dataset)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Named `.gz` but not gzip.
    #[error("{path}: named .gz but is not gzip-compressed; rename it to .csv if it is plain text, or re-download it")]
    NotGzip {
        /// The file.
        path: PathBuf,
    },
    /// Gzip data that does not decompress (truncated or corrupt).
    #[error(
        "{path}: the gzip data is truncated or corrupt ({detail}); re-download or re-copy the file"
    )]
    BadGzip {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
    },
    /// The first line is data, not the header.
    #[error("{path}: row 1 (line 1) is data, not the header; add the header line `label,pixel1,...,pixel784` at the top")]
    MissingHeader {
        /// The file.
        path: PathBuf,
    },
    /// The header is not `label,pixel1,...,pixel784`.
    #[error("{path}: line 1 (header), column {column}: expected `{expected}`, found {found}; the header must be `label,pixel1,...,pixel784`")]
    WrongHeader {
        /// The file.
        path: PathBuf,
        /// 1-based column.
        column: usize,
        /// Expected name.
        expected: String,
        /// Found name, quoted ([`load::quote`]), or "(end of line)".
        found: String,
    },
    /// The file is not UTF-8 text: UTF-16, binary data, or another encoding.
    #[error("{path}: {detail}")]
    Encoding {
        /// The file.
        path: PathBuf,
        /// What was found, and the fix.
        detail: String,
    },
}

/// The project's root folder: `$SIGNLANG_ROOT` (set by the notebook kernel),
/// else the nearest folder at or above the current one holding `data/SOURCE.md`,
/// else the current folder.
pub fn project_root() -> PathBuf {
    if let Some(root) = std::env::var_os("SIGNLANG_ROOT") {
        return PathBuf::from(root);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|d| d.join("data").join("SOURCE.md").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

/// A file in the project's `data/` folder, e.g. `data_path("sign_mnist_train.csv.gz")`.
pub fn data_path(file: &str) -> PathBuf {
    project_root().join("data").join(file)
}

/// Loads, checks and fixes a CSV in one call: the clean [`Dataset`] (named
/// after the file), with the report and what was dropped.
pub fn load_checked(
    path: impl AsRef<Path>,
    name: &str,
) -> Result<(Dataset, CheckReport, FixLog), DataError> {
    let raw = load_raw(path)?;
    let report = check(&raw);
    let (data, log) = fix(&raw, &report, name);
    Ok((data, report, log))
}

/// Loads a CSV and returns its valid rows as a [`Dataset`] (invalid rows are
/// dropped; use [`load_checked`] to see them). The name is the file stem's
/// first word ("train" for `sign_mnist_train.csv.gz`).
pub fn load_dataset(path: impl AsRef<Path>) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("data")
        .split('.')
        .next()
        .unwrap_or("data");
    let name = stem.rsplit('_').next().unwrap_or(stem);
    Ok(load_checked(path, name)?.0)
}

/// Pixels per image (28×28).
pub const PIXELS: usize = 28 * 28;

/// A clean, typed set of images: `u8` pixels and contiguous class indices
/// (see [`crate::letters`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
        // One copy into torch, one conversion to float, scaled in place.
        let mut x = Tensor::from_slice(&self.pixels)
            .view([n, 1, 28, 28])
            .to_kind(Kind::Float);
        let _ = x.divide_scalar_(255.0);
        x
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
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
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
    groups: Vec<u32>,
}

impl TestSplit {
    /// Seals a dataset as the test split, each image its own group.
    pub fn seal(data: Dataset) -> Self {
        let groups = (0..data.len() as u32).collect();
        TestSplit { data, groups }
    }

    /// Seals a dataset as the test split with the source-photo group of each
    /// image (group ids of the whole test CSV).
    pub fn seal_with_groups(data: Dataset, groups: Vec<u32>) -> Self {
        assert_eq!(data.len(), groups.len(), "one group id per test image");
        TestSplit { data, groups }
    }

    /// The source-photo group of each test image.
    pub fn groups(&self) -> &[u32] {
        &self.groups
    }

    /// Number of source-photo groups.
    pub fn group_count(&self) -> usize {
        self.groups
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    }

    /// Each test image's distance (L2, pixels in `[0,1]`) to its nearest
    /// image in `train`. No model sees the test images here.
    pub fn distances_to(&self, train: &Dataset) -> Vec<f32> {
        nearest_distances(&self.data, train, false)
    }

    /// Groups of the test images alone, linked at another `threshold`
    /// (same letter only), for a sensitivity check of the grouping.
    pub fn regroup(&self, threshold: f64) -> Vec<u32> {
        group_near_copies(&self.data, threshold).group_of
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
