//! Hand landmarks of every photo of a labelled folder (letter and source
//! photo from the file name, as [`crate::adapt::load_photos`] reads them),
//! or of Sign-MNIST images, found in parallel and kept in the data cache.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::error::RouteError;
use crate::adapt::Photos;
use crate::data::{Dataset, FeatureSet};
use crate::landmarks::{FindOptions, Found, Landmarker, FEATURE_LEN};

/// Called with (photos done, photos in all) while hands are being found.
pub type ProgressFn<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// What the landmark front end found in each photo of a set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HandPhotos {
    /// Where the photos came from (a folder, or a data set's name).
    pub source: String,
    /// The file of each photo (empty for Sign-MNIST images).
    pub files: Vec<PathBuf>,
    /// The letter class of each photo.
    pub classes: Vec<u8>,
    /// The source-photo group of each photo.
    pub groups: Vec<u32>,
    /// What was found in each photo (`None`: no hand).
    pub found: Vec<Option<Found>>,
    /// Seconds of work per photo, summed over threads (CPU time of the
    /// models and the steps around them).
    pub seconds_per_photo: f64,
}

impl HandPhotos {
    /// Number of photos.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// Photos where a hand was found.
    pub fn detected(&self) -> usize {
        self.found.iter().filter(|f| f.is_some()).count()
    }

    /// The feature vector of photo `i`, if a hand was found.
    pub fn features_of(&self, i: usize) -> Option<Vec<f32>> {
        self.found[i].as_ref().and_then(Found::features)
    }

    /// The photos among `indices` with a hand, as a feature set named
    /// `name`, and the indices they came from.
    pub fn feature_set(&self, name: &str, indices: &[usize]) -> (FeatureSet, Vec<usize>) {
        let mut set = FeatureSet::empty(name, FEATURE_LEN);
        let mut kept = Vec::new();
        for &i in indices {
            if let Some(f) = self.features_of(i) {
                set.push(&f, self.classes[i]);
                kept.push(i);
            }
        }
        (set, kept)
    }

    /// The photos `indices` as their own set.
    pub fn select(&self, indices: &[usize]) -> HandPhotos {
        HandPhotos {
            source: self.source.clone(),
            files: indices
                .iter()
                .filter_map(|&i| self.files.get(i).cloned())
                .collect(),
            classes: indices.iter().map(|&i| self.classes[i]).collect(),
            groups: indices.iter().map(|&i| self.groups[i]).collect(),
            found: indices.iter().map(|&i| self.found[i].clone()).collect(),
            seconds_per_photo: self.seconds_per_photo,
        }
    }

    /// Photos where a hand was found by each attempt of the search.
    pub fn by_attempt(&self) -> Vec<usize> {
        let mut counts = Vec::new();
        for f in self.found.iter().flatten() {
            if counts.len() <= f.attempt {
                counts.resize(f.attempt + 1, 0);
            }
            counts[f.attempt] += 1;
        }
        counts
    }

    /// One row per set: photos, hands found with a 95% interval per source
    /// photo, which attempt found them, and the work per photo.
    pub fn detection_table(sets: &[(&str, &HandPhotos)]) -> crate::display::Table {
        let mut t = crate::display::Table::new(["photos", "n", "hand found", "95% CI", "found by attempt", "ms per photo"])
            .with_caption("Where the landmark front end finds a hand (attempts in order: palm detector with 40%, 25% black and 15% borders, then the whole crop)");
        for (name, h) in sets {
            let found: Vec<bool> = h.found.iter().map(Option::is_some).collect();
            let g = crate::evaluate::grouped_accuracy(&found, &h.groups);
            let attempts: Vec<String> = h.by_attempt().iter().map(usize::to_string).collect();
            t.push([
                name.to_string(),
                h.len().to_string(),
                format!("{:.1}%", 100.0 * g.accuracy),
                g.group_ci.percent(),
                attempts.join(" / "),
                format!("{:.0}", 1000.0 * h.seconds_per_photo),
            ]);
        }
        t
    }

    /// The indices of the photos of the source photos `groups`.
    pub fn of_groups(&self, groups: &[u32]) -> Vec<usize> {
        let keep: std::collections::HashSet<u32> = groups.iter().copied().collect();
        (0..self.len())
            .filter(|&i| keep.contains(&self.groups[i]))
            .collect()
    }
}

/// A photo to look at, read when its turn comes.
type PhotoSource<'a> = Box<dyn Fn() -> Result<RgbImage, RouteError> + Sync + 'a>;

/// What one thread found: (photo index, hand, seconds).
type Looks = Vec<(usize, Option<Found>, f64)>;

/// Finds a hand in each of `images`, one landmarker per thread (loaded
/// from `models`), in order; also the mean seconds of work per photo.
fn find_all(
    images: &[PhotoSource<'_>],
    models: &Path,
    options: &FindOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<(Vec<Option<Found>>, f64), RouteError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let (next, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let results: Vec<Result<Looks, RouteError>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(images.len().max(1)))
            .map(|_| s.spawn(|| look_all(images, models, options, (&next, &done), progress)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a landmark thread"))
            .collect()
    });
    let mut found = vec![None; images.len()];
    let mut seconds = 0.0;
    for part in results {
        for (i, f, s) in part? {
            found[i] = f;
            seconds += s;
        }
    }
    Ok((found, seconds / images.len().max(1) as f64))
}

/// One thread's share of [`find_all`]: takes the next photo until none is left.
fn look_all(
    images: &[PhotoSource<'_>],
    models: &Path,
    options: &FindOptions,
    (next, done): (&AtomicUsize, &AtomicUsize),
    progress: Option<ProgressFn<'_>>,
) -> Result<Looks, RouteError> {
    let mut finder = Landmarker::load(models)?;
    finder.options = options.clone();
    let mut out = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(image) = images.get(i) else { break };
        let t0 = Instant::now();
        let found = finder.find(&image()?)?;
        out.push((i, found, t0.elapsed().as_secs_f64()));
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(d, images.len());
        }
    }
    Ok(out)
}

/// The cache key of a search over photos: what was searched, how, and with
/// which models.
fn key(
    what: &str,
    source: &impl Serialize,
    options: &FindOptions,
    models: &Path,
) -> crate::cache::Key {
    crate::cache::Key::new(what)
        .with(source)
        .with(options)
        .with(
            &std::fs::read_to_string(models.join(crate::landmarks::files::MANIFEST))
                .unwrap_or_default(),
        )
}

/// Hand landmarks of every photo of a labelled folder (read as
/// [`crate::adapt::load_photos`] reads it), each first shrunk to
/// `side`×`side` pixels when `side` is given (to see how small photos
/// fare), kept in the data cache.
pub fn hands_in_photos(
    photos: &Photos,
    side: Option<u32>,
    models: &Path,
    options: &FindOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<HandPhotos, RouteError> {
    let make_key = || {
        let folder = crate::cache::folder_checksum(&photos.dir);
        key(
            "hands-in-photos",
            &(&photos.dir, folder, side),
            options,
            models,
        )
    };
    crate::cache::data_cache().get_or_compute_lazy(make_key, || {
        let images: Vec<PhotoSource> = photos
            .files
            .iter()
            .map(|f| Box::new(move || read_rgb(f, side)) as PhotoSource)
            .collect();
        let (found, seconds) = find_all(&images, models, options, progress)?;
        let source = match side {
            Some(s) => format!("{} at {s}×{s}", photos.dir.display()),
            None => photos.dir.display().to_string(),
        };
        Ok(HandPhotos {
            source,
            files: photos.files.clone(),
            classes: photos.data.classes.clone(),
            groups: photos.groups.clone(),
            found,
            seconds_per_photo: seconds,
        })
    })
}

/// Hand landmarks of the images `indices` of a Sign-MNIST data set (28×28
/// greyscale, read as RGB), with their source-photo `groups`, kept in the
/// data cache.
pub fn hands_in_images(
    data: &Dataset,
    indices: &[usize],
    groups: &[u32],
    models: &Path,
    options: &FindOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<HandPhotos, RouteError> {
    let make_key = || {
        let source = (data.fingerprint(), indices, groups);
        key("hands-in-images", &source, options, models)
    };
    crate::cache::data_cache().get_or_compute_lazy(make_key, || {
        let images: Vec<PhotoSource> = indices
            .iter()
            .map(|&i| {
                Box::new(move || {
                    let grey = image::GrayImage::from_raw(28, 28, data.image(i).to_vec())
                        .expect("28×28 pixels");
                    Ok(image::DynamicImage::ImageLuma8(grey).to_rgb8())
                }) as PhotoSource
            })
            .collect();
        let (found, seconds) = find_all(&images, models, options, progress)?;
        Ok(HandPhotos {
            source: data.name.clone(),
            files: Vec::new(),
            classes: indices.iter().map(|&i| data.classes[i]).collect(),
            groups: groups.to_vec(),
            found,
            seconds_per_photo: seconds,
        })
    })
}

fn read_rgb(path: &Path, side: Option<u32>) -> Result<RgbImage, RouteError> {
    let photo = crate::landmarks::read_photo(path)?;
    Ok(match side {
        Some(s) => image::imageops::resize(&photo, s, s, image::imageops::FilterType::Triangle),
        None => photo,
    })
}
