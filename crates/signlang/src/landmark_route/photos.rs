//! Hand landmarks of every photo of a labelled folder (letter and source
//! photo from the file name, as [`crate::adapt::load_photos`] reads them),
//! or of Sign-MNIST images, found in parallel and kept in the data cache.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::RouteError;
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

    /// The indices of the photos of the source photos `groups`.
    pub fn of_groups(&self, groups: &[u32]) -> Vec<usize> {
        let keep: std::collections::HashSet<u32> = groups.iter().copied().collect();
        (0..self.len())
            .filter(|&i| keep.contains(&self.groups[i]))
            .collect()
    }
}

/// A photo's index, what was found in it, and the seconds it took.
type Timed = (usize, Option<Found>, f64);

/// Finds a hand in each of `images` with `threads` landmarkers (one per
/// thread, loaded from `models`), in order.
fn find_all(
    images: &[Box<dyn Fn() -> Result<RgbImage, RouteError> + Sync + '_>],
    models: &Path,
    options: &FindOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<(Vec<Option<Found>>, f64), RouteError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    let (next, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let results: Vec<Result<Vec<Timed>, RouteError>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(images.len().max(1)))
            .map(|_| {
                s.spawn(|| {
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
                })
            })
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
            &std::fs::read_to_string(models.join(crate::landmarks::runtime::MANIFEST))
                .unwrap_or_default(),
        )
}

/// Hand landmarks of every photo of a labelled folder (read as
/// [`crate::adapt::load_photos`] reads it), kept in the data cache.
pub fn hands_in_photos(
    photos: &Photos,
    models: &Path,
    options: &FindOptions,
    progress: Option<ProgressFn<'_>>,
) -> Result<HandPhotos, RouteError> {
    let make_key = || {
        let folder = crate::cache::folder_checksum(&photos.dir);
        key("hands-in-photos", &(&photos.dir, folder), options, models)
    };
    crate::cache::data_cache().get_or_compute_lazy(make_key, || {
        let images: Vec<Box<dyn Fn() -> Result<RgbImage, RouteError> + Sync>> = photos
            .files
            .iter()
            .map(|f| Box::new(move || read_rgb(f)) as Box<dyn Fn() -> _ + Sync>)
            .collect();
        let (found, seconds) = find_all(&images, models, options, progress)?;
        Ok(HandPhotos {
            source: photos.dir.display().to_string(),
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
        let images: Vec<Box<dyn Fn() -> Result<RgbImage, RouteError> + Sync>> = indices
            .iter()
            .map(|&i| {
                Box::new(move || {
                    let grey = image::GrayImage::from_raw(28, 28, data.image(i).to_vec())
                        .expect("28×28 pixels");
                    Ok(image::DynamicImage::ImageLuma8(grey).to_rgb8())
                }) as Box<dyn Fn() -> _ + Sync>
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

fn read_rgb(path: &Path) -> Result<RgbImage, RouteError> {
    Ok(crate::landmarks::read_photo(path)?)
}
