//! Nearest neighbours between image sets: why the test CSV must be split by
//! source photo, and whether the split keeps the halves apart.
//!
//! - [`nearest`] / [`nearest_distances`]: each image's nearest image in
//!   another set (L2 on pixels in `[0,1]`), one fused matrix product per
//!   chunk;
//! - [`neighbour_table`]: near-copies inside the test CSV against the
//!   training CSV;
//! - [`Separation`]: a check of the grouped split that can fail: is a test
//!   image closer to a validation image than to the other images of its own
//!   photo?

use super::distance::{exact_sq, pixel_matrix, CHUNK};
use super::Dataset;
use crate::display::Table;
use tch::{Kind, Tensor};

/// Distance (L2, pixels in `[0,1]`) from each image of `a` to its nearest
/// image in `b`. With `same`, `a` and `b` are the same set and an image is
/// not its own neighbour.
pub fn nearest_distances(a: &Dataset, b: &Dataset, same: bool) -> Vec<f32> {
    nearest(a, b, same).into_iter().map(|(d, _)| d).collect()
}

/// For each image of `a`: the distance to its nearest image in `b` and that
/// image's index (see [`nearest_distances`]).
/// Kept in [`crate::cache::data_cache`] when it is on.
pub fn nearest(a: &Dataset, b: &Dataset, same: bool) -> Vec<(f32, usize)> {
    let cache = crate::cache::data_cache();
    if !cache.is_on() {
        return nearest_uncached(a, b, same);
    }
    let key = crate::cache::Key::new("nearest")
        .with(&a.fingerprint())
        .with(&b.fingerprint())
        .with(&same);
    if let Some(found) = cache.get(&key) {
        return found;
    }
    let found = nearest_uncached(a, b, same);
    // JSON has no infinity (an empty `b`): such results are not kept.
    if found.iter().all(|(d, _)| d.is_finite()) {
        cache.put(&key, &found);
    }
    found
}

fn nearest_uncached(a: &Dataset, b: &Dataset, same: bool) -> Vec<(f32, usize)> {
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

/// How well the grouped split keeps validation and test apart, measured
/// so that it can fail: for each test image, its distance to the nearest
/// validation image against its distance to the nearest other image of its
/// own photo group (test images alone in their group are skipped for the
/// second measure).
#[derive(Clone, Debug, PartialEq)]
pub struct Separation {
    /// Median distance from a test image to its nearest validation image.
    pub to_validation_median: f64,
    /// Median distance from a test image to its nearest group-mate.
    pub within_group_median: f64,
    /// Share of test images (with a group-mate) whose nearest validation
    /// image is closer than their nearest group-mate.
    pub closer_to_validation: f64,
    /// Share of test images with a validation image within the threshold.
    pub within_threshold: f64,
    /// [`Separation::closer_to_validation`] for a random split of the same
    /// sizes, for comparison.
    pub random_closer_to_validation: f64,
}

/// Distance from each image to its nearest other image of the same group
/// (`f32::INFINITY` for an image alone in its group). Exact, in `[0,1]` units.
pub fn nearest_in_group(d: &Dataset, groups: &[u32]) -> Vec<f32> {
    let mut members: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    for (i, &g) in groups.iter().enumerate() {
        members.entry(g).or_default().push(i);
    }
    let mut out = vec![f32::INFINITY; d.len()];
    for m in members.values() {
        for (a, &i) in m.iter().enumerate() {
            for &j in &m[a + 1..] {
                let dist = (exact_sq(d.image(i), d.image(j)) as f64).sqrt() as f32 / 255.0;
                out[i] = out[i].min(dist);
                out[j] = out[j].min(dist);
            }
        }
    }
    out
}

/// `(closer_to_validation, to_validation, within_group)` for one split.
fn closer_share(
    validation: &Dataset,
    test: &Dataset,
    test_groups: &[u32],
) -> (f64, Vec<f32>, Vec<f32>) {
    let to_val = nearest_distances(test, validation, false);
    let within = nearest_in_group(test, test_groups);
    let paired: Vec<(f32, f32)> = to_val
        .iter()
        .zip(&within)
        .filter(|(_, w)| w.is_finite())
        .map(|(&v, &w)| (v, w))
        .collect();
    let closer = paired.iter().filter(|(v, w)| v < w).count() as f64 / paired.len().max(1) as f64;
    (closer, to_val, within)
}

impl Separation {
    /// Measures a split given by index lists into `d` with group ids
    /// `group_of` (indexed like `d`), and a random split of the same sizes
    /// drawn with `shuffled` (a permutation of `0..d.len()`).
    pub fn measure(
        d: &Dataset,
        group_of: &[u32],
        (val_idx, test_idx): (&[usize], &[usize]),
        shuffled: &[usize],
        threshold: f64,
    ) -> Separation {
        let groups_of = |idx: &[usize]| idx.iter().map(|&i| group_of[i]).collect::<Vec<_>>();
        let (closer, to_val, within) = closer_share(
            &d.subset("validation", val_idx),
            &d.subset("test", test_idx),
            &groups_of(test_idx),
        );
        let (rv, rt) = shuffled.split_at(val_idx.len().min(shuffled.len()));
        let (random, _, _) = closer_share(
            &d.subset("random validation", rv),
            &d.subset("random test", rt),
            &groups_of(rt),
        );
        let finite: Vec<f32> = within.into_iter().filter(|w| w.is_finite()).collect();
        Separation {
            to_validation_median: f64::from(median(to_val.clone())),
            within_group_median: f64::from(median(finite)),
            closer_to_validation: closer,
            within_threshold: to_val.iter().filter(|&&v| f64::from(v) < threshold).count() as f64
                / to_val.len().max(1) as f64,
            random_closer_to_validation: random,
        }
    }
}
