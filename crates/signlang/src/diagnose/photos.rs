//! Field photos as the model sees them, beside Sign-MNIST: the photos
//! themselves ([`FieldPhotos`]), pixel statistics, distance to the nearest
//! training image, and the average image per letter.

use std::path::{Path, PathBuf};

use image::GrayImage;

use super::variants::InputVariant;
use super::DiagnoseError;
use crate::calibrate::pixel_stats;
use crate::data::{Dataset, PIXELS};
use crate::display::{Svg, Table};
use crate::letters::{letter, NUM_CLASSES};

/// Labelled field photos, decoded once: grey, centre-cropped squares at
/// full resolution (before the resize to 28×28), one per file.
#[derive(Clone, Debug)]
pub struct FieldPhotos {
    /// The files, sorted by path.
    pub files: Vec<PathBuf>,
    /// The grey squares.
    pub squares: Vec<GrayImage>,
    /// True class of each, from the first letter of its name.
    pub truth: Vec<u8>,
}

impl FieldPhotos {
    /// Reads every `.jpg`/`.jpeg`/`.png` of `dir` (names `<LETTER>_…`).
    pub fn load(dir: &Path) -> Result<FieldPhotos, DiagnoseError> {
        let files = crate::field::list_images(dir)?;
        let mut photos = FieldPhotos {
            files: Vec::new(),
            squares: Vec::new(),
            truth: Vec::new(),
        };
        for file in files {
            let truth = crate::field::truth_from_name(&file)?;
            let img = crate::infer::read_image(&file).map_err(crate::field::FieldError::from)?;
            photos.squares.push(crate::infer::square_grey(&img));
            photos.truth.push(truth);
            photos.files.push(file);
        }
        if photos.files.is_empty() {
            return Err(DiagnoseError::Empty(format!(
                "field folder {}",
                dir.display()
            )));
        }
        Ok(photos)
    }

    /// The photos at 28×28 after `variant`, as a [`Dataset`] (rows are 1-based file indices).
    pub fn dataset(&self, variant: InputVariant) -> Dataset {
        let mut pixels = Vec::with_capacity(self.squares.len() * PIXELS);
        for s in &self.squares {
            pixels.extend_from_slice(&variant.apply(s));
        }
        Dataset {
            name: format!("field ({})", variant.name()),
            pixels,
            classes: self.truth.clone(),
            rows: (1..=self.truth.len() as u32).collect(),
        }
    }
}

/// Quartiles and 5%/95% points of a set of values.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Quantiles {
    /// 5% point.
    pub q05: f64,
    /// 25% point.
    pub q25: f64,
    /// Median.
    pub median: f64,
    /// 75% point.
    pub q75: f64,
    /// 95% point.
    pub q95: f64,
}

impl Quantiles {
    /// The quantiles of `values` (NaN when empty).
    pub fn of(values: &[f64]) -> Quantiles {
        let q = |p| super::quantile(values, p);
        Quantiles {
            q05: q(0.05),
            q25: q(0.25),
            median: q(0.5),
            q75: q(0.75),
            q95: q(0.95),
        }
    }
}

/// Mean, contrast and edge energy ([`crate::calibrate::PixelStats`]) of
/// each set at 28×28: one row per set with medians and 5–95% ranges.
pub fn pixel_stats_table(sets: &[&Dataset]) -> Table {
    let mut table = Table::new(["set", "images", "mean", "std (contrast)", "edge energy"])
        .with_caption("Pixel statistics at 28×28 (values in [0, 1]): median [5%, 95%]");
    for d in sets {
        let stats: Vec<_> = (0..d.len()).map(|i| pixel_stats(d.image(i))).collect();
        let cell = |f: &dyn Fn(&crate::calibrate::PixelStats) -> f64| {
            let q = Quantiles::of(&stats.iter().map(f).collect::<Vec<_>>());
            format!("{:.3} [{:.3}, {:.3}]", q.median, q.q05, q.q95)
        };
        table.push([
            d.name.clone(),
            d.len().to_string(),
            cell(&|s| s.mean),
            cell(&|s| s.std),
            cell(&|s| s.gradient),
        ]);
    }
    table
}

/// Quantiles of the distance (L2, pixels in `[0, 1]`) from each image of
/// `set` to its nearest training image (the measure the test half uses,
/// [`crate::data::neighbours::nearest_distances`]).
pub fn nearest_summary(set: &Dataset, train: &Dataset) -> Quantiles {
    let d: Vec<f64> = crate::data::neighbours::nearest_distances(set, train, false)
        .into_iter()
        .map(f64::from)
        .collect();
    Quantiles::of(&d)
}

/// The average image of each letter (`None` for a letter without images).
pub fn letter_averages(data: &Dataset) -> Vec<Option<Vec<u8>>> {
    let mut sums = vec![(0usize, vec![0f64; PIXELS]); NUM_CLASSES];
    for i in 0..data.len() {
        let (n, s) = &mut sums[data.classes[i] as usize];
        *n += 1;
        for (a, &p) in s.iter_mut().zip(data.image(i)) {
            *a += f64::from(p);
        }
    }
    sums.into_iter()
        .map(|(n, s)| (n > 0).then(|| s.iter().map(|v| (v / n as f64).round() as u8).collect()))
        .collect()
}

/// The average image per letter of each set, one row of 24 per set.
pub fn letter_averages_figure(sets: &[&Dataset]) -> Svg {
    let blank = vec![0u8; PIXELS];
    let averages: Vec<_> = sets.iter().map(|d| letter_averages(d)).collect();
    let mut images: Vec<&[u8]> = Vec::new();
    let mut captions = Vec::new();
    for (d, avg) in sets.iter().zip(&averages) {
        for (c, a) in avg.iter().enumerate() {
            images.push(a.as_deref().unwrap_or(&blank));
            captions.push(format!("{} {}", letter(c as u8), d.name));
        }
    }
    crate::plots::image_grid(&images, &captions, NUM_CLASSES, "Average image per letter")
}
