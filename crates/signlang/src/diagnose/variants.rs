//! Input variants: other ways to turn a photo into the model's 28×28 input
//! (contrast, zoom, blur, resize filter, mirror), each a pure function of
//! the grey square, scored on labelled photos. Measurement only: nothing is
//! chosen from it.

use image::imageops::{self, FilterType};
use image::GrayImage;

use crate::data::{Dataset, PIXELS};
use crate::display::Table;
use crate::evaluate::{clopper_pearson_interval, Interval};

/// One way to make the 28×28 input from a grey square.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InputVariant {
    /// The export's own preprocessing: Lanczos3 resize.
    Plain,
    /// Pixels stretched to the full range 0..255 (after the resize).
    Autocontrast,
    /// Histogram equalisation (after the resize).
    Equalise,
    /// Pixels shifted and scaled to a mean and standard deviation (in `[0, 1]`).
    MatchStats {
        /// Target mean.
        mean: f64,
        /// Target standard deviation.
        std: f64,
    },
    /// The central 80% of the square only.
    ZoomIn,
    /// The square padded by 12.5% per side with its mean grey.
    ZoomOut,
    /// Gaussian blur, σ = 1 px at 28×28.
    Blur,
    /// Nearest-neighbour resize.
    Nearest,
    /// Bilinear resize.
    Bilinear,
    /// Left and right swapped.
    Mirror,
}

impl InputVariant {
    /// The variants of the diagnosis, matching Sign-MNIST's statistics (`mean`, `std`).
    pub fn all(mean: f64, std: f64) -> Vec<InputVariant> {
        use InputVariant::*;
        vec![
            Plain,
            Autocontrast,
            Equalise,
            MatchStats { mean, std },
            ZoomIn,
            ZoomOut,
            Blur,
            Nearest,
            Bilinear,
            Mirror,
        ]
    }

    /// The name in tables.
    pub fn name(&self) -> String {
        match self {
            InputVariant::Plain => "plain (Lanczos3)".into(),
            InputVariant::Autocontrast => "autocontrast".into(),
            InputVariant::Equalise => "histogram equalisation".into(),
            InputVariant::MatchStats { mean, std } => {
                format!("match mean {mean:.2} / std {std:.2}")
            }
            InputVariant::ZoomIn => "zoom in (crop 80%)".into(),
            InputVariant::ZoomOut => "zoom out (pad 12.5%)".into(),
            InputVariant::Blur => "blur (σ 1 px)".into(),
            InputVariant::Nearest => "nearest resize".into(),
            InputVariant::Bilinear => "bilinear resize".into(),
            InputVariant::Mirror => "mirror".into(),
        }
    }

    /// The 28×28 input made from a grey square (any size ≥ 1).
    pub fn apply(&self, square: &GrayImage) -> [u8; PIXELS] {
        let small = |img: &GrayImage, f| imageops::resize(img, 28, 28, f);
        let img = match self {
            InputVariant::Nearest => small(square, FilterType::Nearest),
            InputVariant::Bilinear => small(square, FilterType::Triangle),
            InputVariant::ZoomIn => {
                let (s, side) = (square.width(), (square.width() * 4 / 5).max(1));
                let off = (s - side) / 2;
                small(
                    &imageops::crop_imm(square, off, off, side, side).to_image(),
                    FilterType::Lanczos3,
                )
            }
            InputVariant::ZoomOut => {
                let s = square.width();
                let pad = s / 8;
                let mean =
                    square.pixels().map(|p| u64::from(p[0])).sum::<u64>() / u64::from(s * s).max(1);
                let mut big =
                    GrayImage::from_pixel(s + 2 * pad, s + 2 * pad, image::Luma([mean as u8]));
                imageops::replace(&mut big, square, i64::from(pad), i64::from(pad));
                small(&big, FilterType::Lanczos3)
            }
            InputVariant::Mirror => small(&imageops::flip_horizontal(square), FilterType::Lanczos3),
            _ => small(square, FilterType::Lanczos3),
        };
        let mut px = [0u8; PIXELS];
        px.copy_from_slice(img.as_raw());
        match self {
            InputVariant::Autocontrast => autocontrast(&px),
            InputVariant::Equalise => equalise(&px),
            InputVariant::MatchStats { mean, std } => match_stats(&px, *mean, *std),
            InputVariant::Blur => {
                let img = GrayImage::from_raw(28, 28, px.to_vec()).expect("28×28");
                let mut out = [0u8; PIXELS];
                out.copy_from_slice(imageops::blur(&img, 1.0).as_raw());
                out
            }
            _ => px,
        }
    }
}

/// Pixels stretched linearly so the darkest is 0 and the brightest 255
/// (a flat image stays as it is).
pub fn autocontrast(px: &[u8; PIXELS]) -> [u8; PIXELS] {
    let (lo, hi) = (
        *px.iter().min().unwrap_or(&0),
        *px.iter().max().unwrap_or(&0),
    );
    if hi == lo {
        return *px;
    }
    px.map(|p| ((f64::from(p - lo) * 255.0 / f64::from(hi - lo)).round()) as u8)
}

/// Histogram equalisation: each pixel to its rank share (cumulative histogram) × 255.
pub fn equalise(px: &[u8; PIXELS]) -> [u8; PIXELS] {
    let mut hist = [0usize; 256];
    px.iter().for_each(|&p| hist[p as usize] += 1);
    let mut cdf = [0usize; 256];
    let mut acc = 0;
    for (c, h) in cdf.iter_mut().zip(hist) {
        acc += h;
        *c = acc;
    }
    let min = cdf.iter().copied().find(|&c| c > 0).unwrap_or(0);
    if min == PIXELS {
        return *px;
    }
    px.map(|p| (((cdf[p as usize] - min) as f64 * 255.0 / (PIXELS - min) as f64).round()) as u8)
}

/// Pixels shifted and scaled to mean `mean` and standard deviation `std` (in `[0, 1]`), clipped.
pub fn match_stats(px: &[u8; PIXELS], mean: f64, std: f64) -> [u8; PIXELS] {
    let s = crate::calibrate::pixel_stats(px);
    let scale = if s.std > 1e-9 { std / s.std } else { 0.0 };
    px.map(|p| {
        let v = mean + (f64::from(p) / 255.0 - s.mean) * scale;
        (v.clamp(0.0, 1.0) * 255.0).round() as u8
    })
}

/// One variant's accuracy on the photos (one photo = one unit).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VariantScore {
    /// The variant's name.
    pub name: String,
    /// Photos read right.
    pub correct: usize,
    /// Photos.
    pub n: usize,
    /// Exact 95% (Clopper–Pearson) interval of the accuracy, photos as trials.
    pub ci: Interval,
}

/// Scores every variant: `make` gives the labelled photos at 28×28 after a
/// variant (e.g. [`super::FieldPhotos::dataset`]), `classify` maps a set of
/// 28×28 images to predicted classes.
pub fn score_variants(
    variants: &[InputVariant],
    make: impl Fn(InputVariant) -> Dataset,
    mut classify: impl FnMut(&Dataset) -> Vec<u8>,
) -> Vec<VariantScore> {
    variants
        .iter()
        .map(|v| {
            let data = make(*v);
            let pred = classify(&data);
            let correct = pred
                .iter()
                .zip(&data.classes)
                .filter(|(p, t)| p == t)
                .count();
            VariantScore {
                name: v.name(),
                correct,
                n: data.len(),
                ci: clopper_pearson_interval(correct, data.len(), 0.95),
            }
        })
        .collect()
}

/// One row per variant: accuracy with its interval and the change from the first (plain) row.
pub fn variants_table(scores: &[VariantScore]) -> Table {
    let mut table = Table::new(["input variant", "photos", "accuracy (95% CI)", "vs plain"])
        .with_caption("Input variants on the field photos (measured, nothing chosen from it)");
    let base = scores
        .first()
        .map_or(0.0, |s| s.correct as f64 / s.n.max(1) as f64);
    for s in scores {
        let acc = s.correct as f64 / s.n.max(1) as f64;
        table.push([
            s.name.clone(),
            s.n.to_string(),
            format!("{:.1}% {}", 100.0 * acc, s.ci.percent()),
            format!("{:+.1} points", 100.0 * (acc - base)),
        ]);
    }
    table
}
