//! Near-duplicate partners between a measuring folder and a training
//! folder of real photos: they share no source photo, but they share
//! sessions, and some pairs are nearly the same frame (G_1 and G_25_1).
//! Adapting on a photo whose near-twin is then measured inflates the
//! learning curve; these partners say which training source photos to
//! leave out, and which measuring photos have no partner at all.
//!
//! The distance, one that can be shown: each photo grey, centre-cropped
//! to a square and resized to [`PARTNER_SIDE`]² (as the export's
//! preprocessing does, [`crate::infer::square_grey`]), standardised (zero
//! mean, unit SD), then the L2 distance over √pixels — from 0 (the same
//! picture up to brightness and contrast) to 2 (its negative); unrelated
//! photos lie near √2 (uncorrelated). The smaller of the distances to the
//! photo and to its mirror image counts (left and right hands). A
//! measuring photo's distance to a training source photo is the smallest
//! over that source's versions.
//!
//! A **close partner** is a training source photo of the **same letter**
//! at or under [`CLOSE_PARTNER`] (a near-twin of another letter teaches
//! nothing about the measured letter). The threshold finds near-twins with
//! few false ones, not every photo of a shared session: a version with a
//! strong exposure change or a rotation lies further out.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;

use super::photos::{load_photos, Photos};
use super::AdaptError;

/// Side of the square each photo is compared at.
pub const PARTNER_SIDE: u32 = 64;

/// Distance at or under which a measuring photo and a training source
/// photo of the same letter are close partners (nearly the same frame).
/// Chosen by looking at the pairs of the two roboflow folders, closest
/// first ([`Partners::contact_sheet`], docs/methods.md): the smallest round
/// value above every near-twin pair the audit named (the farthest, L_3 and
/// L_8, at 0.770); nearly every same-letter pair under it is the same
/// session and nearly the same frame, while the first pairs over it mix
/// other sessions with near-twins whose version was re-exposed.
pub const CLOSE_PARTNER: f64 = 0.78;

/// A measuring photo and a training source photo near it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Partner {
    /// Index of the measuring photo in [`Partners::measure_files`].
    pub measure: usize,
    /// The training source photo (group id into [`Partners::sources`]).
    pub source: u32,
    /// Index of its nearest version in [`Partners::train_files`].
    pub file: usize,
    /// The distance (L2 of standardised pixels over √pixels).
    pub distance: f64,
    /// True when the mirror image of the measuring photo is the closer.
    pub mirrored: bool,
}

/// Every measuring photo against every training source photo.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Partners {
    /// The measuring folder.
    pub measure_dir: PathBuf,
    /// The training folder.
    pub train_dir: PathBuf,
    /// Measuring photos, in file order.
    pub measure_files: Vec<PathBuf>,
    /// Training photos (all versions), in file order.
    pub train_files: Vec<PathBuf>,
    /// Letter class of each measuring photo.
    pub measure_classes: Vec<u8>,
    /// Names of the training source photos (`G_25`), sorted.
    pub sources: Vec<String>,
    /// Letter class of each training source photo.
    pub source_classes: Vec<u8>,
    /// `distances[m][s]`: measuring photo `m` to training source `s`.
    pub distances: Vec<Vec<f32>>,
    /// The nearest training source photo of each measuring photo, of any
    /// letter.
    pub nearest: Vec<Partner>,
    /// The nearest training source photo of the same letter, of each
    /// measuring photo whose letter has one (in measuring-photo order).
    pub same_letter: Vec<Partner>,
}

/// The photo of `path` grey, centre-cropped square and resized to
/// `side`², as 8-bit pixels.
pub fn square_pixels(path: &Path, side: u32) -> Result<image::GrayImage, AdaptError> {
    let img = crate::infer::read_image(path).map_err(|e| AdaptError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let square = crate::infer::square_grey(&img);
    Ok(image::imageops::resize(
        &square,
        side,
        side,
        FilterType::Triangle,
    ))
}

/// Pixels standardised to zero mean and unit SD (all zero when flat).
pub fn standardise(pixels: &[u8]) -> Vec<f32> {
    let n = pixels.len().max(1) as f64;
    let mean = pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / n;
    let var = pixels
        .iter()
        .map(|&p| (f64::from(p) - mean).powi(2))
        .sum::<f64>()
        / n;
    let sd = var.sqrt();
    let scale = if sd > 1e-9 { 1.0 / sd } else { 0.0 };
    pixels
        .iter()
        .map(|&p| ((f64::from(p) - mean) * scale) as f32)
        .collect()
}

/// The left–right mirror of a square image of side `side`.
fn mirror(v: &[f32], side: usize) -> Vec<f32> {
    v.chunks_exact(side)
        .flat_map(|row| row.iter().rev().copied())
        .collect()
}

/// The distance between two standardised images: L2 over √pixels.
pub fn photo_distance(a: &[f32], b: &[f32]) -> f64 {
    let ss: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x - y).powi(2))
        .sum();
    (ss / a.len().max(1) as f64).sqrt()
}

/// Replaces `best` with `p` when `p` is nearer (or `best` is empty).
fn keep_nearer(best: &mut Option<Partner>, p: &Partner) {
    if best.as_ref().is_none_or(|b| p.distance < b.distance) {
        *best = Some(p.clone());
    }
}

/// Standardised [`PARTNER_SIDE`]² pixels of every photo of a folder.
fn standardised_all(photos: &Photos) -> Result<Vec<Vec<f32>>, AdaptError> {
    photos
        .files
        .iter()
        .map(|f| Ok(standardise(square_pixels(f, PARTNER_SIDE)?.as_raw())))
        .collect()
}

impl Partners {
    /// Compares every photo of `measure_dir` with every photo of
    /// `train_dir` (folders read by [`load_photos`]). Kept in
    /// [`crate::cache::data_cache`] when it is on, keyed by every file.
    pub fn find(
        measure_dir: impl AsRef<Path>,
        train_dir: impl AsRef<Path>,
    ) -> Result<Partners, AdaptError> {
        let (m, t) = (measure_dir.as_ref(), train_dir.as_ref());
        let key = || {
            crate::cache::Key::new("partners")
                .with(&(m, t, PARTNER_SIDE))
                .with(&crate::cache::folder_checksum(m))
                .with(&crate::cache::folder_checksum(t))
        };
        crate::cache::data_cache().get_or_compute_lazy(key, || Self::find_uncached(m, t))
    }

    fn find_uncached(measure_dir: &Path, train_dir: &Path) -> Result<Partners, AdaptError> {
        let measure = load_photos(measure_dir)?;
        let train = load_photos(train_dir)?;
        let (ms, ts) = (standardised_all(&measure)?, standardised_all(&train)?);
        let mut source_classes = vec![0u8; train.group_names.len()];
        for (&g, &c) in train.groups.iter().zip(&train.data.classes) {
            source_classes[g as usize] = c;
        }
        let side = PARTNER_SIDE as usize;
        let (mut distances, mut nearest, mut same_letter) = (Vec::new(), Vec::new(), Vec::new());
        for (i, a) in ms.iter().enumerate() {
            let flipped = mirror(a, side);
            let mut row = vec![f32::INFINITY; train.group_names.len()];
            let (mut best, mut best_same): (Option<Partner>, Option<Partner>) = (None, None);
            for (j, b) in ts.iter().enumerate() {
                let (plain, mirrored) = (photo_distance(a, b), photo_distance(&flipped, b));
                let g = train.groups[j];
                let p = Partner {
                    measure: i,
                    source: g,
                    file: j,
                    distance: plain.min(mirrored),
                    mirrored: mirrored < plain,
                };
                row[g as usize] = row[g as usize].min(p.distance as f32);
                if train.data.classes[j] == measure.data.classes[i] {
                    keep_nearer(&mut best_same, &p);
                }
                keep_nearer(&mut best, &p);
            }
            distances.push(row);
            nearest.extend(best);
            same_letter.extend(best_same);
        }
        Ok(Partners {
            measure_dir: measure_dir.to_path_buf(),
            train_dir: train_dir.to_path_buf(),
            measure_files: measure.files,
            train_files: train.files,
            measure_classes: measure.data.classes,
            sources: train.group_names,
            source_classes,
            distances,
            nearest,
            same_letter,
        })
    }

    /// Every (measuring photo, training source photo) pair of the same
    /// letter at or under `threshold`, closest first: `(measure, source,
    /// distance)`.
    pub fn close_pairs(&self, threshold: f64) -> Vec<(usize, u32, f64)> {
        let mut out: Vec<(usize, u32, f64)> = Vec::new();
        for (m, row) in self.distances.iter().enumerate() {
            for (s, &d) in row.iter().enumerate() {
                let same = self.source_classes[s] == self.measure_classes[m];
                if same && f64::from(d) <= threshold {
                    out.push((m, s as u32, f64::from(d)));
                }
            }
        }
        out.sort_by(|a, b| a.2.total_cmp(&b.2));
        out
    }

    /// Names of the training source photos with a close partner among the
    /// measuring photos (distance ≤ `threshold`), sorted: leave them out
    /// of adaptation for a measure free of near-twins.
    pub fn partnered_sources(&self, threshold: f64) -> Vec<String> {
        let mut ids: Vec<u32> = self
            .close_pairs(threshold)
            .into_iter()
            .map(|p| p.1)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|g| self.sources[g as usize].clone())
            .collect()
    }

    /// Indices of the measuring photos with no close partner (no training
    /// source photo of their letter at or under `threshold`): score the
    /// curve on them too.
    pub fn unpartnered_measures(&self, threshold: f64) -> Vec<usize> {
        let partnered: std::collections::HashSet<usize> = self
            .close_pairs(threshold)
            .into_iter()
            .map(|p| p.0)
            .collect();
        (0..self.measure_files.len())
            .filter(|m| !partnered.contains(m))
            .collect()
    }

    /// Names (file stems, `G_1`) of the measuring photos with no close
    /// partner ([`Partners::unpartnered_measures`]).
    pub fn unpartnered_names(&self, threshold: f64) -> Vec<String> {
        self.unpartnered_measures(threshold)
            .into_iter()
            .map(|m| self.measure_name(m))
            .collect()
    }

    /// The name (file stem) of measuring photo `m`.
    pub fn measure_name(&self, m: usize) -> String {
        stem(&self.measure_files[m])
    }

    /// The name (file stem) of training photo `j`.
    pub fn train_name(&self, j: usize) -> String {
        stem(&self.train_files[j])
    }

    /// Distances of the measuring photos to their nearest training source
    /// photo of the same letter, ascending.
    pub fn nearest_distances(&self) -> Vec<f64> {
        let mut d: Vec<f64> = self.same_letter.iter().map(|p| p.distance).collect();
        d.sort_by(f64::total_cmp);
        d
    }

    /// In words: the spread of the distances to the nearest same-letter
    /// source photo, and at `threshold` how many measuring photos have a
    /// close partner, how many training source photos are partners, how
    /// many measuring photos have none.
    pub fn summary(&self, threshold: f64) -> String {
        let d = self.nearest_distances();
        let q = |p: f64| {
            let i = ((d.len().max(1) - 1) as f64 * p).round() as usize;
            d.get(i).copied().unwrap_or(f64::NAN)
        };
        let alone = self.unpartnered_measures(threshold).len();
        format!(
            "{} measuring photos against {} training source photos ({} files); distance to the \
             nearest source photo of the same letter: min {:.3}, 10% {:.3}, median {:.3}, 90% \
             {:.3}; at the threshold {threshold:.2}, {} measuring photos have a close partner \
             ({} pairs), {} training source photos are partners, {alone} measuring photos have \
             none",
            self.measure_files.len(),
            self.sources.len(),
            self.train_files.len(),
            q(0.0),
            q(0.1),
            q(0.5),
            q(0.9),
            self.measure_files.len() - alone,
            self.close_pairs(threshold).len(),
            self.partnered_sources(threshold).len(),
        )
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or(String::new(), |s| s.to_string_lossy().into_owned())
}

/// Side of the thumbnails of [`Partners::contact_sheet`].
pub const THUMB_SIDE: u32 = 48;

impl Partners {
    /// The `closest` nearest pairs (measuring photo, nearest version of its
    /// nearest training source photo of the same letter) and the first
    /// `above` pairs over
    /// `threshold`, as [`THUMB_SIDE`]-pixel thumbnails with their names and
    /// distances (framed green at or under the threshold, red over it):
    /// the threshold checked by eye.
    pub fn contact_sheet(
        &self,
        threshold: f64,
        closest: usize,
        above: usize,
    ) -> Result<crate::display::Svg, AdaptError> {
        let mut order: Vec<&Partner> = self.same_letter.iter().collect();
        order.sort_by(|a, b| a.distance.total_cmp(&b.distance));
        let first_above = order.partition_point(|p| p.distance <= threshold);
        let near = &order[..closest.min(order.len())];
        let far = &order[first_above..(first_above + above).min(order.len())];
        let sections = vec![
            (
                format!("the {} closest pairs", near.len()),
                self.thumbs(near, threshold)?,
            ),
            (
                format!(
                    "the first {} pairs over the threshold {threshold:.2}",
                    far.len()
                ),
                self.thumbs(far, threshold)?,
            ),
        ];
        let title = format!(
            "Near-twins between the measuring and the training photos (close partner: \
             distance ≤ {threshold:.2})\nleft: measuring photo; right: the nearest training \
             photo of its letter (mirrored when marked)\ngreen frame: close partner; red: not"
        );
        Ok(crate::plots::pair_sheet(&title, &sections))
    }

    fn thumbs(
        &self,
        pairs: &[&Partner],
        threshold: f64,
    ) -> Result<Vec<crate::plots::ThumbPair>, AdaptError> {
        pairs
            .iter()
            .map(|p| {
                let left = square_pixels(&self.measure_files[p.measure], THUMB_SIDE)?;
                let right = square_pixels(&self.train_files[p.file], THUMB_SIDE)?;
                let right = if p.mirrored {
                    image::imageops::flip_horizontal(&right)
                } else {
                    right
                };
                let mirrored = if p.mirrored { ", mirrored" } else { "" };
                Ok(crate::plots::ThumbPair {
                    left: left.into_raw(),
                    right: right.into_raw(),
                    side: THUMB_SIDE,
                    caption: [
                        format!(
                            "{} ↔ {}",
                            self.measure_name(p.measure),
                            self.train_name(p.file)
                        ),
                        format!("d = {:.3}{mirrored}", p.distance),
                    ],
                    under: p.distance <= threshold,
                })
            })
            .collect()
    }
}
