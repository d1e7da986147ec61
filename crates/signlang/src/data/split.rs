//! The grouped validation/test split of the test CSV.
//!
//! The test CSV is not ~7,000 independent images: it holds ~20 augmented
//! variants of each of ~400 source photos. Measured on the real file (pixels
//! in `[0,1]`, L2), a test image's nearest other test image lies at a median
//! 0.43, against 2.45 to its nearest training image. A random split would
//! put near-copies of one photo on both sides, and the test estimate would
//! be optimistic.
//!
//! So: link every pair of images closer than [`SplitConfig::threshold`]
//! (single linkage), take the connected groups as source photos, and assign
//! whole groups to validation or test, stratified by letter, with a fixed
//! seed. Distances are screened with a float matrix product, then confirmed
//! in exact integer arithmetic, so the same seed gives the same split on any
//! machine.

use super::{Dataset, TestSplit, PIXELS};
use crate::display::Table;
use crate::letters::NUM_CLASSES;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Kind, Tensor};

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

/// Row-major float matrix `N×784`, pixel units (0..255), on the CPU.
fn pixel_matrix(d: &Dataset) -> Tensor {
    Tensor::from_slice(&d.pixels)
        .view([d.len() as i64, PIXELS as i64])
        .to_kind(Kind::Float)
}

/// Exact squared distance in pixel units.
fn exact_sq(a: &[u8], b: &[u8]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = i32::from(x) - i32::from(y);
            (d * d) as u64
        })
        .sum()
}

/// Squared threshold in pixel units (exact comparisons are `sq < limit`).
fn limit_sq(threshold: f64) -> f64 {
    (threshold * 255.0).powi(2)
}

const CHUNK: i64 = 1024;

/// All pairs `i < j` within `d` closer than `threshold` (exact), with their
/// squared distance in pixel units.
pub fn close_pairs(d: &Dataset, threshold: f64) -> Vec<(u32, u32, u64)> {
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

/// Groups the images of `d` into near-copies (single linkage at `threshold`).
pub fn group_near_copies(d: &Dataset, threshold: f64) -> Groups {
    let mut uf = UnionFind::new(d.len());
    for (i, j, _) in close_pairs(d, threshold) {
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
/// threshold, then single linkage in order of distance.
pub fn threshold_curve(d: &Dataset, thresholds: &[f64]) -> Vec<(f64, usize, usize)> {
    let mut ts = thresholds.to_vec();
    ts.sort_by(f64::total_cmp);
    let Some(&max) = ts.last() else {
        return Vec::new();
    };
    let mut pairs = close_pairs(d, max);
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

/// Distance (L2, pixels in `[0,1]`) from each image of `a` to its nearest
/// image in `b`. With `same`, `a` and `b` are the same set and an image is
/// not its own neighbour.
pub fn nearest_distances(a: &Dataset, b: &Dataset, same: bool) -> Vec<f32> {
    nearest(a, b, same).into_iter().map(|(d, _)| d).collect()
}

/// For each image of `a`: the distance to its nearest image in `b` and that
/// image's index (see [`nearest_distances`]).
pub fn nearest(a: &Dataset, b: &Dataset, same: bool) -> Vec<(f32, usize)> {
    let _guard = tch::no_grad_guard();
    if a.is_empty() || b.is_empty() {
        return vec![(f32::INFINITY, 0); a.len()];
    }
    let xa = pixel_matrix(a) / 255.0;
    let na = (&xa * &xa).sum_dim_intlist(1, false, Kind::Float);
    let (xb, nb) = if same {
        (xa.shallow_clone(), na.shallow_clone())
    } else {
        let xb = pixel_matrix(b) / 255.0;
        let nb = (&xb * &xb).sum_dim_intlist(1, false, Kind::Float);
        (xb, nb)
    };
    let xb_t = (&xb * -2.0).tr();
    let n = a.len() as i64;
    let mut out = Vec::with_capacity(a.len());
    let mut start = 0;
    while start < n {
        let len = CHUNK.min(n - start);
        // |a|² + |b|² - 2a·b, with |a|² added after the minimum (it is
        // constant along a row): one fused matmul-add over the chunk.
        let mut d2 = nb.unsqueeze(0).addmm(&xa.narrow(0, start, len), &xb_t);
        if same {
            let idx = Tensor::arange_start(start, start + len, (Kind::Int64, tch::Device::Cpu));
            let _ = d2.index_put_(
                &[
                    Some(Tensor::arange(len, (Kind::Int64, tch::Device::Cpu))),
                    Some(idx),
                ],
                &Tensor::from(f32::INFINITY),
                false,
            );
        }
        let (min, arg) = d2.min_dim(1, false);
        let min = (min + na.narrow(0, start, len)).clamp_min(0.0).sqrt();
        let min = Vec::<f32>::try_from(min).unwrap_or_default();
        let arg = Vec::<i64>::try_from(arg).unwrap_or_default();
        out.extend(min.into_iter().zip(arg.into_iter().map(|i| i as usize)));
        start += len;
    }
    out
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// Why the test CSV must be split by group: how close each test image is to
/// its nearest other test image and to its nearest training image, and how
/// often its nearest test neighbour shows the same letter. The distance to
/// the training set is measured on every 4th test image.
pub fn neighbour_table(test: &Dataset, train: &Dataset) -> Table {
    let within = nearest(test, test, true);
    // Every 4th test image is enough for a median, at a quarter of the cost
    // (the full comparison with 27,455 training images takes seconds).
    let sample: Vec<usize> = (0..test.len()).step_by(4).collect();
    let across = nearest_distances(&test.subset("test sample", &sample), train, false);
    let same_letter = within
        .iter()
        .enumerate()
        .filter(|&(i, &(_, j))| test.classes[i] == test.classes[j])
        .count() as f64
        / test.len().max(1) as f64;
    let mut t = Table::new(["measure (L2, pixels in [0,1])", "value"])
        .with_caption("Nearest neighbours of the test images");
    t.push([
        "median distance to the nearest other test image".to_string(),
        format!("{:.2}", median(within.iter().map(|p| p.0).collect())),
    ]);
    t.push([
        "median distance to the nearest training image (every 4th test image)".to_string(),
        format!("{:.2}", median(across)),
    ]);
    t.push([
        "nearest test neighbour shows the same letter".to_string(),
        format!("{:.2}%", same_letter * 100.0),
    ]);
    t
}

/// Share of `test` images whose nearest `validation` image lies within `threshold`.
pub fn leakage(validation: &Dataset, test: &Dataset, threshold: f64) -> f64 {
    if test.is_empty() {
        return 0.0;
    }
    let d = nearest_distances(test, validation, false);
    d.iter().filter(|&&x| f64::from(x) < threshold).count() as f64 / test.len() as f64
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
    /// Share of test images whose nearest validation image lies within the
    /// threshold, for this grouped split.
    pub leakage: f64,
    /// The same measure for a random (ungrouped) split of the same sizes.
    pub random_leakage: f64,
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
        let share = |c: usize| {
            let tot = cv[c] + ct[c];
            if tot == 0 {
                0.0
            } else {
                cv[c] as f64 / tot as f64
            }
        };
        let (lo, hi) = (0..NUM_CLASSES)
            .filter(|&c| cv[c] + ct[c] > 0)
            .map(share)
            .fold((1.0f64, 0.0f64), |(lo, hi), s| (lo.min(s), hi.max(s)));
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
        t.push([
            "leakage: test images with a near-copy in validation".to_string(),
            String::new(),
            format!(
                "{:.1}% (random split: {:.1}%)",
                self.leakage * 100.0,
                self.random_leakage * 100.0
            ),
        ]);
        t
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
/// stratified by letter, and measures the leakage against a random split.
pub fn split_by_group(d: &Dataset, config: &SplitConfig) -> Split {
    let groups = group_near_copies(d, config.threshold);
    // Members and majority letter of each group.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.count];
    for (i, &g) in groups.group_of.iter().enumerate() {
        members[g as usize].push(i);
    }
    let letter_of = |m: &Vec<usize>| {
        let mut counts = [0usize; NUM_CLASSES];
        for &i in m {
            counts[d.classes[i] as usize] += 1;
        }
        // Most common letter; ties go to the earlier letter.
        (0..NUM_CLASSES)
            .max_by_key(|&c| (counts[c], std::cmp::Reverse(c)))
            .unwrap_or(0)
    };
    let mut by_letter: Vec<Vec<usize>> = vec![Vec::new(); NUM_CLASSES];
    for (g, m) in members.iter().enumerate() {
        by_letter[letter_of(m)].push(g);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut val_idx = Vec::new();
    let mut test_idx = Vec::new();
    let (mut val_groups, mut test_groups) = (0, 0);
    let share = config.validation_share.clamp(0.0, 1.0);
    for gs in by_letter.iter_mut() {
        // Seeded shuffle, then largest groups first (stable, so ties keep the
        // shuffled order): each group goes to the half that is further below
        // its target, which balances every letter closely.
        gs.shuffle(&mut rng);
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
    val_idx.sort_unstable();
    test_idx.sort_unstable();
    let validation = d.subset("validation", &val_idx);
    let test = d.subset("test", &test_idx);
    let leak = leakage(&validation, &test, config.threshold);

    // The same sizes drawn at random, image by image, for comparison.
    let mut all: Vec<usize> = (0..d.len()).collect();
    all.shuffle(&mut rng);
    let (rv, rt) = all.split_at(val_idx.len());
    let random_leakage = leakage(
        &d.subset("random validation", rv),
        &d.subset("random test", rt),
        config.threshold,
    );
    Split {
        validation,
        test: TestSplit::seal(test),
        groups,
        config: config.clone(),
        group_counts: (val_groups, test_groups),
        leakage: leak,
        random_leakage,
    }
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
