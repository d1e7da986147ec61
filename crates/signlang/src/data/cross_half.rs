//! How well the validation and test halves are kept apart, by a check that
//! can fail: link **both halves together** at a looser threshold than the
//! split's (single linkage, same letter only, as [`super::split`] groups),
//! and count the test images whose cluster holds a validation image.
//!
//! Single linkage at the split's own threshold guarantees that no test image
//! lies within it of a same-letter validation image, so measuring at that
//! threshold cannot fail. The real risk is under-grouping: two source photos
//! split apart that are in fact near-copies at a slightly larger distance.
//! [`cross_half_linkage`] measures that share at, e.g., 2.5 and 3.0, and
//! keeps the whole-CSV grouping of the test images at each threshold for
//! the grouping-sensitivity table ([`crate::evaluate::grouping_sensitivity`]).
//!
//! A share alone has no reading: at 2.5–3.0 single linkage chains different
//! photos together, so any split shares clusters. [`super::separation`]
//! judges the share against random group splits (chaining alone) and a
//! random-image split (leakage).

use super::split::{group_near_copies, Split};
use super::Dataset;
use crate::display::Table;

/// The halves linked together at one threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossHalfLink {
    /// The linkage threshold (pixels in `[0, 1]`, L2).
    pub threshold: f64,
    /// Test images.
    pub test_images: usize,
    /// Test images whose cluster holds at least one validation image.
    pub linked: usize,
    /// The group of each test image (in test order) when the whole CSV is
    /// linked at this threshold.
    pub test_groups: Vec<u32>,
}

impl CrossHalfLink {
    /// `linked / test_images` (0 without test images).
    pub fn share(&self) -> f64 {
        self.linked as f64 / self.test_images.max(1) as f64
    }

    /// Source photos the test images form under this grouping.
    pub fn test_photos(&self) -> usize {
        self.test_groups
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    }
}

impl Split {
    /// Indices, in the CSV the split was made from, of the test images (in
    /// test order) and of the validation images (in validation order).
    pub fn indices(&self) -> (Vec<usize>, Vec<usize>) {
        let test: std::collections::HashSet<u32> = self.test.groups().iter().copied().collect();
        (0..self.groups.group_of.len()).partition(|&i| test.contains(&self.groups.group_of[i]))
    }
}

/// Links the images `validation` and `test` (indices into `d`) together at
/// `threshold` and counts the test images in a cluster with a validation
/// image. Only images of the same letter are linked.
pub fn link_halves(
    d: &Dataset,
    validation: &[usize],
    test: &[usize],
    threshold: f64,
) -> CrossHalfLink {
    let clusters = group_near_copies(d, threshold).group_of;
    link_clusters(&clusters, validation, test, threshold)
}

/// [`link_halves`] with the clusters of the whole CSV at `threshold` given
/// (one id per image of the CSV).
pub(super) fn link_clusters(
    clusters: &[u32],
    validation: &[usize],
    test: &[usize],
    threshold: f64,
) -> CrossHalfLink {
    CrossHalfLink {
        threshold,
        test_images: test.len(),
        linked: linked_test_images(clusters, validation, test),
        test_groups: test.iter().map(|&i| clusters[i]).collect(),
    }
}

/// Test images whose cluster (id per image of the CSV) holds a validation image.
pub(super) fn linked_test_images(clusters: &[u32], validation: &[usize], test: &[usize]) -> usize {
    let mut with_validation = vec![false; clusters.iter().max().map_or(0, |&m| m as usize + 1)];
    for &i in validation {
        with_validation[clusters[i] as usize] = true;
    }
    test.iter()
        .filter(|&&i| with_validation[clusters[i] as usize])
        .count()
}

/// [`link_halves`] for `split`, made from the CSV `d`, at each threshold.
/// Panics if `d` is not the data set `split` was made from (sizes differ).
pub fn cross_half_linkage(d: &Dataset, split: &Split, thresholds: &[f64]) -> Vec<CrossHalfLink> {
    assert_eq!(
        d.len(),
        split.groups.group_of.len(),
        "cross_half_linkage needs the CSV the split was made from"
    );
    let (test, validation) = split.indices();
    thresholds
        .iter()
        .map(|&t| link_halves(d, &validation, &test, t))
        .collect()
}

/// The whole-CSV groupings of the test images, as
/// [`crate::evaluate::grouping_sensitivity`] takes them.
pub fn whole_csv_groupings(links: &[CrossHalfLink]) -> Vec<(f64, Vec<u32>)> {
    links
        .iter()
        .map(|l| (l.threshold, l.test_groups.clone()))
        .collect()
}

/// The shares as a table, with a gloss of single linkage.
pub fn cross_half_table(links: &[CrossHalfLink]) -> Table {
    let mut t = Table::new([
        "threshold",
        "test images",
        "in a cluster with validation images",
        "test photos at this threshold",
    ])
    .with_caption(
        "Separation of the halves: validation and test linked together (single linkage: two \
         images of the same letter join when closer than the threshold, and clusters chain)",
    );
    for l in links {
        t.push([
            format!("{:.1}", l.threshold),
            l.test_images.to_string(),
            format!("{} ({:.1}%)", l.linked, 100.0 * l.share()),
            l.test_photos().to_string(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{split_by_group, SplitConfig, PIXELS};

    /// Letter 0: a chain of 10 images, each 5 white pixels (distance 2.24)
    /// from the next. Letter 1: 10 images 6.3 apart.
    fn chained() -> Dataset {
        let mut pixels = Vec::new();
        for k in 0..10 {
            let mut img = vec![0u8; PIXELS];
            img[..5 * k].fill(255);
            pixels.extend(img);
        }
        for j in 0..10 {
            let mut img = vec![0u8; PIXELS];
            img[100 + 20 * j..120 + 20 * j].fill(255);
            pixels.extend(img);
        }
        Dataset {
            name: "chain".into(),
            pixels,
            classes: [vec![0u8; 10], vec![1u8; 10]].concat(),
            rows: (1..=20).collect(),
        }
    }

    #[test]
    fn under_grouping_at_the_split_threshold_is_caught_at_a_looser_one() {
        let d = chained();
        let config = SplitConfig {
            threshold: 2.0,
            seed: 3,
            validation_share: 0.5,
        };
        let split = split_by_group(&d, &config);
        let (test, validation) = split.indices();
        assert_eq!(test.len() + validation.len(), 20);
        let test_chain = test.iter().filter(|&&i| i < 10).count();
        assert!(test_chain > 0 && test_chain < 10, "the chain is split");
        let links = cross_half_linkage(&d, &split, &[2.0, 2.5, 3.0]);
        // At the split's own threshold nothing links: the old check.
        assert_eq!(links[0].linked, 0);
        // At 2.5 the whole chain is one photo: every test image of letter 0
        // shares it with validation images; letter 1 stays apart.
        assert_eq!(links[1].linked, test_chain);
        assert!(links[1].share() > 0.0);
        assert_eq!(links[1].test_photos(), 1 + (test.len() - test_chain));
        assert_eq!(links[2].linked, test_chain);
        let text = cross_half_table(&links).to_text();
        assert!(text.contains(&format!("{test_chain} (")), "{text}");
        assert_eq!(whole_csv_groupings(&links)[1].1.len(), test.len());
    }
}
