//! Are the validation and test halves kept apart? A check with a reference,
//! a threshold stated in advance and a verdict that can fail.
//!
//! [`super::cross_half`] links both halves together at looser thresholds
//! than the split's and counts the test images whose cluster holds a
//! validation image. At 2.5–3.0 single linkage chains different photos of a
//! letter together, so even a fair split shares clusters: the share alone
//! cannot tell leakage from chaining. So the same share is computed for
//!
//! 1. **the split** under test;
//! 2. **random group splits**: the same groups of near-copies, assigned to
//!    the halves the same way (stratified by letter, largest groups first)
//!    with other seeds ([`SeparationConfig::group_seeds`]): what a fair
//!    split gets from chaining alone;
//! 3. **a random-image split**: each letter's images shuffled one by one
//!    and cut at the split's own count per letter: a split known to leak.
//!
//! **The rule, fixed before any share is computed**: at each threshold the
//! limit is the larger of the group splits' maximum and their mean plus two
//! standard deviations. The split is
//! - **separated** there when its share is at most the limit and the
//!   random-image split's share is above it;
//! - **leaky** when its share is above the limit;
//! - the threshold is **uninformative** when even the random-image split
//!   stays within the limit (chaining alone reaches the leak's level).
//!
//! Overall: leaky if any threshold is leaky, separated if none is and at
//! least one is separated, otherwise uninformative. Linking costs one
//! [`group_near_copies`] per threshold; each reference split is a count.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::cross_half::{link_clusters, linked_test_images, CrossHalfLink};
use super::split::{assign_groups, group_members, group_near_copies, Groups, Split};
use super::Dataset;
use crate::display::{Html, Table};
use crate::letters::NUM_CLASSES;

/// The verdict at one threshold, or overall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeparationVerdict {
    /// Within what random group splits get, and below a leaky split.
    Separated,
    /// Above what random group splits get: more shared clusters than chaining explains.
    Leaky,
    /// Even a random-image split stays within the group splits' range.
    Uninformative,
}

impl SeparationVerdict {
    /// `"separated"`, `"leaky"` or `"uninformative"`.
    pub fn name(&self) -> &'static str {
        match self {
            SeparationVerdict::Separated => "separated",
            SeparationVerdict::Leaky => "leaky",
            SeparationVerdict::Uninformative => "uninformative",
        }
    }
}

/// The settings of the check.
#[derive(Clone, Debug, PartialEq)]
pub struct SeparationConfig {
    /// Linkage thresholds (pixels in `[0, 1]`, L2).
    pub thresholds: Vec<f64>,
    /// Seeds of the random group splits (the reference); the split's own
    /// seed should not be among them.
    pub group_seeds: Vec<u64>,
    /// Share of the images that go to validation in a group split.
    pub validation_share: f64,
    /// Seed of the random-image split.
    pub image_seed: u64,
}

impl SeparationConfig {
    /// Eight group splits with the seeds after `seed` (the split's own),
    /// the random-image split with `seed`.
    pub fn new(thresholds: &[f64], seed: u64, validation_share: f64) -> SeparationConfig {
        SeparationConfig {
            thresholds: thresholds.to_vec(),
            group_seeds: (1..=8).map(|k| seed.wrapping_add(k)).collect(),
            validation_share,
            image_seed: seed,
        }
    }
}

/// The shares at one threshold, and the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct SeparationRow {
    /// The linkage threshold.
    pub threshold: f64,
    /// The split's share of test images in a cluster with validation images.
    pub share: f64,
    /// The same share for each random group split.
    pub group_splits: Vec<f64>,
    /// The same share for the random-image split.
    pub image_split: f64,
    /// The larger of the group splits' maximum and mean + 2 SD.
    pub limit: f64,
    /// The verdict at this threshold.
    pub verdict: SeparationVerdict,
}

impl SeparationRow {
    /// Judges `share` against the reference shares (the rule of the module docs).
    pub fn judge(threshold: f64, share: f64, group_splits: Vec<f64>, image_split: f64) -> Self {
        let n = group_splits.len().max(1) as f64;
        let mean = group_splits.iter().sum::<f64>() / n;
        let var = group_splits.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        let max = group_splits.iter().copied().fold(0.0, f64::max);
        let limit = max.max(mean + 2.0 * var.sqrt());
        let verdict = if share > limit {
            SeparationVerdict::Leaky
        } else if image_split > limit {
            SeparationVerdict::Separated
        } else {
            SeparationVerdict::Uninformative
        };
        SeparationRow {
            threshold,
            share,
            group_splits,
            image_split,
            limit,
            verdict,
        }
    }

    /// Lowest and highest share of the group splits.
    pub fn group_range(&self) -> (f64, f64) {
        let lo = self.group_splits.iter().copied().fold(1.0, f64::min);
        let hi = self.group_splits.iter().copied().fold(0.0, f64::max);
        (lo.min(hi), hi)
    }

    /// `"24.6% at 2.5 against 22.1–27.0% for random group splits and 98.0%
    /// for a random-image split"`.
    pub fn text(&self) -> String {
        let (lo, hi) = self.group_range();
        format!(
            "{:.1}% at {:.1} against {:.1}–{:.1}% for random group splits and {:.1}% for a \
             random-image split",
            100.0 * self.share,
            self.threshold,
            100.0 * lo,
            100.0 * hi,
            100.0 * self.image_split
        )
    }
}

/// The check at every threshold, the overall verdict, and the split's own
/// links (for [`crate::evaluate::grouping_sensitivity_whole`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SeparationCheck {
    /// One row per threshold, in the order given.
    pub rows: Vec<SeparationRow>,
    /// The split under test linked at each threshold.
    pub links: Vec<CrossHalfLink>,
    /// Random group splits per threshold.
    pub group_splits: usize,
    /// The overall verdict.
    pub verdict: SeparationVerdict,
}

/// Checks the split of `d` into `validation` and `test` (indices into `d`)
/// whose groups of near-copies are `groups` (the rule of the module docs).
pub fn check_separation(
    d: &Dataset,
    groups: &Groups,
    validation: &[usize],
    test: &[usize],
    config: &SeparationConfig,
) -> SeparationCheck {
    let group_splits: Vec<(Vec<usize>, Vec<usize>)> = config
        .group_seeds
        .iter()
        .map(|&seed| random_group_split(d, groups, config.validation_share, seed))
        .collect();
    let image_split = random_image_split(d, validation, test, config.image_seed);
    let share = |clusters: &[u32], (v, t): &(Vec<usize>, Vec<usize>)| {
        linked_test_images(clusters, v, t) as f64 / t.len().max(1) as f64
    };
    let (mut rows, mut links) = (Vec::new(), Vec::new());
    for &threshold in &config.thresholds {
        let clusters = group_near_copies(d, threshold).group_of;
        let link = link_clusters(&clusters, validation, test, threshold);
        let reference = group_splits.iter().map(|s| share(&clusters, s)).collect();
        let leak = share(&clusters, &image_split);
        rows.push(SeparationRow::judge(
            threshold,
            link.share(),
            reference,
            leak,
        ));
        links.push(link);
    }
    let verdict = overall(&rows);
    SeparationCheck {
        rows,
        links,
        group_splits: config.group_seeds.len(),
        verdict,
    }
}

/// [`check_separation`] for `split`, made from the CSV `d`, at each
/// threshold, with [`SeparationConfig::new`] from the split's seed and share.
/// Panics if `d` is not the data set `split` was made from (sizes differ).
pub fn separation_check(d: &Dataset, split: &Split, thresholds: &[f64]) -> SeparationCheck {
    assert_eq!(
        d.len(),
        split.groups.group_of.len(),
        "separation_check needs the CSV the split was made from"
    );
    let (test, validation) = split.indices();
    let c = &split.config;
    let config = SeparationConfig::new(thresholds, c.seed, c.validation_share);
    check_separation(d, &split.groups, &validation, &test, &config)
}

/// Leaky if any threshold is, separated if at least one is, else uninformative.
fn overall(rows: &[SeparationRow]) -> SeparationVerdict {
    let any = |v| rows.iter().any(|r| r.verdict == v);
    if any(SeparationVerdict::Leaky) {
        SeparationVerdict::Leaky
    } else if any(SeparationVerdict::Separated) {
        SeparationVerdict::Separated
    } else {
        SeparationVerdict::Uninformative
    }
}

/// Validation and test images of a group split of `d` with `seed`, made as
/// [`super::split_by_group`] makes it.
pub fn random_group_split(
    d: &Dataset,
    groups: &Groups,
    validation_share: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let (members, mut by_letter) = group_members(d, groups);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let share = validation_share.clamp(0.0, 1.0);
    let (mut v, mut t, _) = assign_groups(&members, &mut by_letter, share, &mut rng);
    v.sort_unstable();
    t.sort_unstable();
    (v, t)
}

/// A split by images with the same number of each letter's images in
/// validation as `validation` has: each letter's images (of `validation`
/// and `test`) shuffled with `seed` and cut there.
pub fn random_image_split(
    d: &Dataset,
    validation: &[usize],
    test: &[usize],
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut by_letter: Vec<Vec<usize>> = vec![Vec::new(); NUM_CLASSES];
    let mut in_validation = [0usize; NUM_CLASSES];
    for &i in validation {
        in_validation[d.classes[i] as usize] += 1;
    }
    for &i in validation.iter().chain(test) {
        by_letter[d.classes[i] as usize].push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut v, mut t) = (Vec::new(), Vec::new());
    for (images, &k) in by_letter.iter_mut().zip(&in_validation) {
        images.sort_unstable();
        images.shuffle(&mut rng);
        v.extend_from_slice(&images[..k]);
        t.extend_from_slice(&images[k..]);
    }
    v.sort_unstable();
    t.sort_unstable();
    (v, t)
}

impl SeparationCheck {
    /// `"separated: 24.6% at 2.5 against 22.1–27.0% for random group splits
    /// and 98.0% for a random-image split; …"`.
    pub fn summary(&self) -> String {
        let rows: Vec<String> = self.rows.iter().map(SeparationRow::text).collect();
        format!("{}: {}", self.verdict.name(), rows.join("; "))
    }

    /// The shares and verdicts as a table.
    pub fn table(&self) -> Table {
        let mut t = Table::new([
            "threshold",
            "this split",
            "random group splits (range, mean)",
            "limit (max, or mean + 2 SD)",
            "random-image split",
            "verdict",
        ])
        .with_caption(format!(
            "Separation of the halves: test images in a cluster with validation images when \
             both are linked together (single linkage, same letter), against {} random group \
             splits (chaining alone) and a random-image split (leakage); overall: {}",
            self.group_splits,
            self.verdict.name()
        ));
        for r in &self.rows {
            let (lo, hi) = r.group_range();
            let mean = r.group_splits.iter().sum::<f64>() / r.group_splits.len().max(1) as f64;
            t.push([
                format!("{:.1}", r.threshold),
                format!("{:.1}%", 100.0 * r.share),
                format!(
                    "{:.1}–{:.1}% ({:.1}%)",
                    100.0 * lo,
                    100.0 * hi,
                    100.0 * mean
                ),
                format!("{:.1}%", 100.0 * r.limit),
                format!("{:.1}%", 100.0 * r.image_split),
                r.verdict.name().to_string(),
            ]);
        }
        t
    }

    /// The summary line and the table, inline in evcxr.
    pub fn to_display(&self) -> Html {
        let t = self.table();
        Html::new(
            format!(
                "<p>{}</p>{}",
                crate::display::escape(&self.summary()),
                t.to_html()
            ),
            format!("{}\n{}", self.summary(), t.to_text()),
        )
    }

    /// Shows [`SeparationCheck::to_display`] inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{split_by_group, SplitConfig, PIXELS};

    /// Letters 0–2: 8 photos of 6 near-copies each (copies 0.4 apart at most,
    /// photos 6.3 apart). Letter 3: a chain of 10 photos, each 2.24 from the
    /// next, that single linkage joins from 2.5 on.
    fn photos_and_a_chain() -> Dataset {
        let (mut pixels, mut classes) = (Vec::new(), Vec::new());
        for letter in 0..3u8 {
            for photo in 0..8 {
                for copy in 0..6u8 {
                    let mut img = vec![0u8; PIXELS];
                    img[20 * photo..20 * photo + 20].fill(255);
                    img[700] = 20 * copy;
                    pixels.extend(img);
                    classes.push(letter);
                }
            }
        }
        for k in 0..10 {
            let mut img = vec![0u8; PIXELS];
            img[..5 * k].fill(255);
            pixels.extend(img);
            classes.push(3);
        }
        Dataset {
            name: "photos".into(),
            pixels,
            rows: (1..=classes.len() as u32).collect(),
            classes,
        }
    }

    #[test]
    fn a_group_split_passes_and_a_random_image_split_fails() {
        let d = photos_and_a_chain();
        let config = SplitConfig {
            threshold: 2.0,
            seed: 3,
            validation_share: 0.5,
        };
        let split = split_by_group(&d, &config);
        let thresholds = [2.0, 2.5, 3.0];
        let check = separation_check(&d, &split, &thresholds);
        assert_eq!(
            check.verdict,
            SeparationVerdict::Separated,
            "{}",
            check.summary()
        );
        assert_eq!(check.rows.len(), 3);
        // At its own threshold no group split links; at 2.5 the chain's test
        // images share its cluster with validation in every group split.
        assert_eq!(check.rows[0].share, 0.0);
        assert_eq!(check.rows[0].limit, 0.0);
        let chain = check.rows[1].share;
        assert!(
            chain > 0.0 && chain <= check.rows[1].limit,
            "{}",
            check.summary()
        );
        assert!(
            check.rows.iter().all(|r| r.image_split > 0.9),
            "{}",
            check.summary()
        );
        assert_eq!(check.links.len(), 3);
        assert_eq!(check.links[1].share(), chain);

        // A split by images puts copies of one photo on both sides: leaky.
        let (test, validation) = split.indices();
        let (v, t) = random_image_split(&d, &validation, &test, 9);
        assert_eq!((v.len(), t.len()), (validation.len(), test.len()));
        let sep = SeparationConfig::new(&thresholds, 3, 0.5);
        let leaky = check_separation(&d, &split.groups, &v, &t, &sep);
        assert_eq!(
            leaky.verdict,
            SeparationVerdict::Leaky,
            "{}",
            leaky.summary()
        );
        assert!(leaky
            .rows
            .iter()
            .all(|r| r.verdict == SeparationVerdict::Leaky));
        assert!(
            leaky.summary().starts_with("leaky: "),
            "{}",
            leaky.summary()
        );
        let text = check.to_display().text;
        assert!(
            text.starts_with("separated: 0.0% at 2.0 against 0.0–0.0%"),
            "{text}"
        );
        assert!(text.contains("random-image split"), "{text}");
    }

    #[test]
    fn the_rule_needs_a_leak_to_stand_out() {
        // The image split within the group splits' range: uninformative.
        let row = SeparationRow::judge(2.5, 0.2, vec![0.2, 0.25, 0.3], 0.28);
        assert_eq!(row.verdict, SeparationVerdict::Uninformative);
        assert_eq!(overall(&[row]), SeparationVerdict::Uninformative);
        // Mean 0.25, SD 0.05: the limit is 0.35, above the maximum 0.3.
        let row = SeparationRow::judge(2.5, 0.34, vec![0.2, 0.25, 0.3], 0.9);
        assert!((row.limit - 0.35).abs() < 1e-12);
        assert_eq!(row.verdict, SeparationVerdict::Separated);
        let leak = SeparationRow::judge(2.5, 0.36, vec![0.2, 0.25, 0.3], 0.9);
        assert_eq!(leak.verdict, SeparationVerdict::Leaky);
        assert_eq!(overall(&[row, leak]), SeparationVerdict::Leaky);
    }
}
