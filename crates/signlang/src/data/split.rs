//! The grouped validation/test split of the test CSV.
//!
//! The test CSV is not ~7,000 independent images: it holds ~20 augmented
//! variants of each of ~400 source photos. Measured on the real file (pixels
//! in `[0,1]`, L2), a test image's nearest other test image lies at a median
//! 0.43, against 2.45 to its nearest training image. A random split would
//! put near-copies of one photo on both sides, and the test estimate would
//! be optimistic.
//!
//! So: link every pair of images **of the same letter** closer than
//! [`SplitConfig::threshold`] (single linkage), take the connected groups as
//! source photos, and assign whole groups to validation or test, stratified
//! by letter, with a fixed seed. A source photo shows one letter, so images
//! of different letters are never linked, however close (without that rule
//! a few chains joined e.g. B with W into groups of over 100 images). Distances are screened with a float matrix product, then confirmed
//! in exact integer arithmetic, so the same seed gives the same split on any
//! machine.

use super::distance::{exact_sq, pixel_matrix, CHUNK};
use super::neighbours::Separation;
use super::{Dataset, TestSplit};
use crate::display::Table;
use crate::letters::NUM_CLASSES;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::Kind;

/// How to split the test CSV.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitConfig {
    /// Two images closer than this (L2, pixels in `[0,1]`) are near-copies of
    /// one source photo. 2.0 by default: well above the median nearest-copy
    /// distance (0.43) and below the median distance to the nearest image of
    /// another photo set (2.45).
    pub threshold: f64,
    /// Seed of the group shuffle.
    pub seed: u64,
    /// Share of the images that go to validation (0.5 = halves).
    pub validation_share: f64,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            threshold: 2.0,
            seed: 42,
            validation_share: 0.5,
        }
    }
}

/// Groups of near-copies found by single linkage.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// The linkage threshold used.
    pub threshold: f64,
    /// Group index of each image (groups numbered by their first image).
    pub group_of: Vec<u32>,
    /// Number of groups.
    pub count: usize,
}

impl Groups {
    /// Sizes of the groups, by group index.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.count];
        for &g in &self.group_of {
            sizes[g as usize] += 1;
        }
        sizes
    }
}

/// Squared threshold in pixel units (exact comparisons are `sq < limit`).
fn limit_sq(threshold: f64) -> f64 {
    (threshold * 255.0).powi(2)
}

/// All pairs `i < j` within `d` closer than `threshold` (exact), with their
/// squared distance in pixel units.
/// Kept in [`crate::cache::data_cache`] when it is on.
pub fn close_pairs(d: &Dataset, threshold: f64) -> Vec<(u32, u32, u64)> {
    let key = || {
        let key = crate::cache::Key::new("close-pairs");
        key.with(&d.fingerprint()).with(&threshold)
    };
    let compute = || Ok::<_, std::convert::Infallible>(close_pairs_uncached(d, threshold));
    let Ok(pairs) = crate::cache::data_cache().get_or_compute_lazy(key, compute);
    pairs
}

fn close_pairs_uncached(d: &Dataset, threshold: f64) -> Vec<(u32, u32, u64)> {
    let _guard = tch::no_grad_guard();
    let x = pixel_matrix(d);
    let norms = (&x * &x).sum_dim_intlist(1, false, Kind::Float);
    let x_t = (&x * -2.0).tr();
    let n = d.len() as i64;
    // Screen with a 1% margin, confirm exactly.
    let screen = limit_sq(threshold) * 1.02 + 1.0;
    let limit = limit_sq(threshold);
    let mut pairs = Vec::new();
    let mut start = 0;
    while start < n {
        let len = CHUNK.min(n - start);
        // |b|² - 2a·b < screen - |a|²: one fused matmul-add, one comparison.
        let partial = norms.unsqueeze(0).addmm(&x.narrow(0, start, len), &x_t);
        let bound = (-norms.narrow(0, start, len) + screen).unsqueeze(1);
        let hits = partial.lt_tensor(&bound).nonzero();
        let hits: Vec<i64> = Vec::try_from(hits.flatten(0, -1)).unwrap_or_default();
        for ij in hits.chunks_exact(2) {
            let (i, j) = ((start + ij[0]) as usize, ij[1] as usize);
            if i < j {
                let sq = exact_sq(d.image(i), d.image(j));
                if (sq as f64) < limit {
                    pairs.push((i as u32, j as u32, sq));
                }
            }
        }
        start += len;
    }
    pairs
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n as u32).collect())
    }
    fn find(&mut self, i: u32) -> u32 {
        let mut r = i;
        while self.0[r as usize] != r {
            r = self.0[r as usize];
        }
        let mut i = i;
        while self.0[i as usize] != r {
            let next = self.0[i as usize];
            self.0[i as usize] = r;
            i = next;
        }
        r
    }
    /// Joins two sets; true when they were apart. The smaller root wins, so
    /// roots are always each group's first image.
    fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.0[hi as usize] = lo;
        true
    }
}

/// [`close_pairs`] between images of the same letter only.
pub fn close_pairs_same_letter(d: &Dataset, threshold: f64) -> Vec<(u32, u32, u64)> {
    let mut pairs = close_pairs(d, threshold);
    pairs.retain(|&(i, j, _)| d.classes[i as usize] == d.classes[j as usize]);
    pairs
}

/// Groups the images of `d` into near-copies: single linkage at
/// `threshold` between images of the same letter, so no group mixes letters.
pub fn group_near_copies(d: &Dataset, threshold: f64) -> Groups {
    let mut uf = UnionFind::new(d.len());
    for (i, j, _) in close_pairs_same_letter(d, threshold) {
        uf.union(i, j);
    }
    let mut index = vec![u32::MAX; d.len()];
    let mut group_of = Vec::with_capacity(d.len());
    let mut count = 0u32;
    for i in 0..d.len() as u32 {
        let root = uf.find(i) as usize;
        if index[root] == u32::MAX {
            index[root] = count;
            count += 1;
        }
        group_of.push(index[root]);
    }
    Groups {
        threshold,
        group_of,
        count: count as usize,
    }
}

/// Group count and largest group for each threshold (ascending), to show
/// how the choice of threshold behaves. One screening pass at the largest
/// threshold, then single linkage (same letter only) in order of distance.
pub fn threshold_curve(d: &Dataset, thresholds: &[f64]) -> Vec<(f64, usize, usize)> {
    let mut ts = thresholds.to_vec();
    ts.sort_by(f64::total_cmp);
    let Some(&max) = ts.last() else {
        return Vec::new();
    };
    let mut pairs = close_pairs_same_letter(d, max);
    pairs.sort_by_key(|p| p.2);
    let mut uf = UnionFind::new(d.len());
    let mut size = vec![1usize; d.len()];
    let mut groups = d.len();
    let mut largest = 1.min(d.len());
    let mut out = Vec::new();
    let mut k = 0;
    for t in ts {
        let limit = limit_sq(t);
        while k < pairs.len() && (pairs[k].2 as f64) < limit {
            let (i, j) = (pairs[k].0, pairs[k].1);
            let (ri, rj) = (uf.find(i), uf.find(j));
            if uf.union(i, j) {
                let root = uf.find(i) as usize;
                let merged = size[ri as usize] + size[rj as usize];
                size[root] = merged;
                largest = largest.max(merged);
                groups -= 1;
            }
            k += 1;
        }
        out.push((t, groups, largest));
    }
    out
}

/// The validation and test halves of the test CSV.
#[derive(Clone, Debug)]
pub struct Split {
    /// Validation half: for choosing models.
    pub validation: Dataset,
    /// Test half, sealed: reached only through the study's recorded test API.
    pub test: TestSplit,
    /// The groups found.
    pub groups: Groups,
    /// The settings used.
    pub config: SplitConfig,
    /// Groups in validation and in test.
    pub group_counts: (usize, usize),
    /// Group id (into [`Split::groups`]) of each validation image.
    pub validation_groups: Vec<u32>,
    /// How well the halves are kept apart (a measure that can fail).
    pub separation: Separation,
}

impl Split {
    /// Sizes, letter balance and leakage as a table (inline HTML in evcxr).
    pub fn summary(&self) -> Table {
        let test = self.test.dataset();
        let mut t = Table::new(["", "validation", "test"]).with_caption(format!(
            "Grouped split of the test CSV (threshold {}, seed {}): {} groups of near-copies",
            self.config.threshold, self.config.seed, self.groups.count
        ));
        t.push([
            "images".to_string(),
            self.validation.len().to_string(),
            test.len().to_string(),
        ]);
        t.push([
            "groups (source photos)".to_string(),
            self.group_counts.0.to_string(),
            self.group_counts.1.to_string(),
        ]);
        let (cv, ct) = (self.validation.class_counts(), test.class_counts());
        let (lo, hi) = validation_share_range(&cv, &ct);
        t.push([
            "letters".to_string(),
            cv.iter().filter(|&&n| n > 0).count().to_string(),
            ct.iter().filter(|&&n| n > 0).count().to_string(),
        ]);
        t.push([
            "validation share per letter".to_string(),
            format!("{:.0}%..{:.0}%", lo * 100.0, hi * 100.0),
            String::new(),
        ]);
        self.push_separation_rows(&mut t);
        t
    }

    /// The rows of [`Split::summary`] that say how far test images lie from
    /// validation images ([`Separation`]).
    fn push_separation_rows(&self, t: &mut Table) {
        let sep = &self.separation;
        t.push([
            "median distance: test image → nearest validation image".to_string(),
            String::new(),
            format!("{:.2}", sep.to_validation_median),
        ]);
        t.push([
            "median distance: test image → nearest image of its own photo".to_string(),
            String::new(),
            format!("{:.2}", sep.within_group_median),
        ]);
        t.push([
            "test images closer to a validation image than to their own photo's images".to_string(),
            String::new(),
            format!(
                "{:.1}% (random split: {:.1}%)",
                100.0 * sep.closer_to_validation,
                100.0 * sep.random_closer_to_validation
            ),
        ]);
        t.push([
            format!(
                "test images with a validation image within {}",
                self.config.threshold
            ),
            String::new(),
            format!("{:.1}%", 100.0 * sep.within_threshold),
        ]);
    }

    /// Letter balance: images per letter in each half.
    pub fn balance(&self) -> Table {
        super::check::class_count_table(&[&self.validation, self.test.dataset()])
    }

    /// Shows the summary inline in evcxr.
    pub fn evcxr_display(&self) {
        self.summary().evcxr_display()
    }
}

/// Splits `d` (the test CSV) into validation and test by groups of near-copies,
/// stratified by letter, and measures how well the halves are kept apart
/// ([`Separation`]), against a random split.
pub fn split_by_group(d: &Dataset, config: &SplitConfig) -> Split {
    let groups = group_near_copies(d, config.threshold);
    let (members, mut by_letter) = group_members(d, &groups);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let share = config.validation_share.clamp(0.0, 1.0);
    let (mut val_idx, mut test_idx, group_counts) =
        assign_groups(&members, &mut by_letter, share, &mut rng);
    val_idx.sort_unstable();
    test_idx.sort_unstable();
    let group_ids = |idx: &[usize]| idx.iter().map(|&i| groups.group_of[i]).collect::<Vec<_>>();
    let validation = d.subset("validation", &val_idx);
    let test = TestSplit::seal_with_groups(d.subset("test", &test_idx), group_ids(&test_idx));
    // The same sizes drawn at random, image by image, for comparison.
    let mut shuffled: Vec<usize> = (0..d.len()).collect();
    shuffled.shuffle(&mut rng);
    let separation = Separation::measure(
        d,
        &groups.group_of,
        (&val_idx, &test_idx),
        &shuffled,
        config.threshold,
    );
    Split {
        validation,
        test,
        validation_groups: group_ids(&val_idx),
        groups,
        config: config.clone(),
        group_counts,
        separation,
    }
}

/// The images of each group, and the groups of each letter (groups never
/// mix letters: a group's letter is its first image's).
pub(super) fn group_members(d: &Dataset, groups: &Groups) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.count];
    for (i, &g) in groups.group_of.iter().enumerate() {
        members[g as usize].push(i);
    }
    let mut by_letter: Vec<Vec<usize>> = vec![Vec::new(); NUM_CLASSES];
    for (g, m) in members.iter().enumerate() {
        by_letter[d.classes[m[0]] as usize].push(g);
    }
    (members, by_letter)
}

/// Lowest and highest share of each letter's images that went to
/// validation (`cv`, `ct`: images per letter in validation and test).
fn validation_share_range(cv: &[usize], ct: &[usize]) -> (f64, f64) {
    let share = |c: usize| {
        let tot = cv[c] + ct[c];
        if tot == 0 {
            0.0
        } else {
            cv[c] as f64 / tot as f64
        }
    };
    (0..NUM_CLASSES)
        .filter(|&c| cv[c] + ct[c] > 0)
        .map(share)
        .fold((1.0f64, 0.0f64), |(lo, hi), s| (lo.min(s), hi.max(s)))
}

/// Assigns whole groups (`members` of each, `by_letter`: the groups of each
/// letter) to validation or test, letter by letter; returns the validation
/// and test images (unsorted) and the number of groups on each side.
pub(super) fn assign_groups(
    members: &[Vec<usize>],
    by_letter: &mut [Vec<usize>],
    share: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, Vec<usize>, (usize, usize)) {
    let mut val_idx = Vec::new();
    let mut test_idx = Vec::new();
    let (mut val_groups, mut test_groups) = (0, 0);
    for gs in by_letter.iter_mut() {
        // Seeded shuffle, then largest groups first (stable, so ties keep the
        // shuffled order): each group goes to the half that is further below
        // its target, which balances every letter closely.
        gs.shuffle(rng);
        gs.sort_by_key(|&g| std::cmp::Reverse(members[g].len()));
        let (mut in_val, mut in_test) = (0.0f64, 0.0f64);
        for &g in gs.iter() {
            let size = members[g].len() as f64;
            let val_fill = if share > 0.0 {
                in_val / share
            } else {
                f64::INFINITY
            };
            let test_fill = if share < 1.0 {
                in_test / (1.0 - share)
            } else {
                f64::INFINITY
            };
            if val_fill <= test_fill {
                in_val += size;
                val_idx.extend(&members[g]);
                val_groups += 1;
            } else {
                in_test += size;
                test_idx.extend(&members[g]);
                test_groups += 1;
            }
        }
    }
    (val_idx, test_idx, (val_groups, test_groups))
}

/// The threshold curve as a table (threshold, groups, largest group).
pub fn threshold_table(curve: &[(f64, usize, usize)]) -> Table {
    let mut t = Table::new(["threshold (L2)", "groups", "largest group"])
        .with_caption("Groups of near-copies against the linkage threshold");
    for &(th, g, l) in curve {
        t.push([format!("{th:.2}"), g.to_string(), l.to_string()]);
    }
    t
}
