//! Corrupted copies of images, in the style of MNIST-C and ImageNet-C
//! (Hendrycks & Dietterich, 2019): 13 [`Corruption`]s (one at a time), each at five
//! severities (1 = mild … 5 = severe; 0 = the image as it is), applied as
//! batched tensor work on `N×1×28×28` floats in `[0, 1]`, and
//! [`evaluate_robustness`]: a model's accuracy under each of them.
//!
//! Every corruption is seeded: the random draws (directions, signs, noise,
//! patch positions, textures) depend on the seed and the corruption only, not
//! on the severity, so severity scales one and the same change, and a seed
//! gives the same images on every run.
//!
//! | corruption | severities 1…5 |
//! |---|---|
//! | brightness | ± 0.1, 0.2, 0.3, 0.4, 0.5 added (sign per image) |
//! | contrast | distance to the image mean × 0.6, 0.45, 0.3, 0.2, 0.1 |
//! | gamma | `x^γ`, γ = e^{±0.25…±1.25} (sign per image) |
//! | gaussian noise | σ = 0.04, 0.08, 0.12, 0.18, 0.26 |
//! | blur | Gaussian σ = 0.5, 0.75, 1.0, 1.5, 2.0 px |
//! | JPEG | quality 50, 30, 20, 12, 6 (the `image` crate's real encoder and decoder) |
//! | rotation | ± 6°, 12°, 18°, 24°, 30° (sign per image) |
//! | shift | 1, 2, 3, 4, 5 px in a direction per image |
//! | zoom | × 1.1 … 1.5 in or out (per image) |
//! | shear | ± 0.1 … 0.5 |
//! | occlusion | a grey square of side 4, 7, 10, 13, 16 px at a place per image |
//! | clutter | a textured background (blobs and strokes) blended at 0.2 … 0.8 where the plain background was |
//! | mirror | left and right swapped (a left-handed signer): the same at every severity |
//!
//! Geometric corruptions repeat the border for pixels moved in from outside,
//! like the training augmentation.

mod abstain;
pub(crate) mod ops;
mod report;

pub use abstain::{abstain_table, abstain_under_corruptions, corrupted_probabilities, AbstainRow};
pub use report::{
    comparison_table, evaluate_robustness, evaluate_robustness_net, per_photo_sample, photo_sample,
    stderr_progress, CorruptionRow, RobustnessError, RobustnessReport, IMAGES_PER_PHOTO,
};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

/// The highest severity.
pub const MAX_SEVERITY: u8 = 5;

/// One kind of corruption of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Corruption {
    /// Lighter or darker (a value added).
    Brightness,
    /// Flatter (pixels pulled towards the image mean).
    Contrast,
    /// A gamma curve (lighter or darker mid-tones).
    Gamma,
    /// Additive Gaussian noise.
    GaussianNoise,
    /// Gaussian blur (out of focus).
    Blur,
    /// JPEG compression at falling quality.
    Jpeg,
    /// Rotation about the centre.
    Rotation,
    /// Translation.
    Shift,
    /// Zoom in or out.
    Zoom,
    /// Horizontal shear.
    Shear,
    /// A grey square hiding part of the image.
    Occlusion,
    /// A cluttered background where the plain one was.
    Clutter,
    /// Horizontal mirror image (a left-handed signer); the same at every
    /// severity.
    Mirror,
}

impl Corruption {
    /// Every corruption, in table order.
    pub const ALL: [Corruption; 13] = [
        Corruption::Brightness,
        Corruption::Contrast,
        Corruption::Gamma,
        Corruption::GaussianNoise,
        Corruption::Blur,
        Corruption::Jpeg,
        Corruption::Rotation,
        Corruption::Shift,
        Corruption::Zoom,
        Corruption::Shear,
        Corruption::Occlusion,
        Corruption::Clutter,
        Corruption::Mirror,
    ];

    /// A short name for tables and plots.
    pub fn name(self) -> &'static str {
        match self {
            Corruption::Brightness => "brightness",
            Corruption::Contrast => "contrast",
            Corruption::Gamma => "gamma",
            Corruption::GaussianNoise => "gaussian noise",
            Corruption::Blur => "blur",
            Corruption::Jpeg => "jpeg",
            Corruption::Rotation => "rotation",
            Corruption::Shift => "shift",
            Corruption::Zoom => "zoom",
            Corruption::Shear => "shear",
            Corruption::Occlusion => "occlusion",
            Corruption::Clutter => "clutter",
            Corruption::Mirror => "mirror",
        }
    }

    /// The corruption's strength at `severity` 1..=5 (see the module table).
    fn level(self, severity: u8) -> f64 {
        let i = usize::from(severity.clamp(1, MAX_SEVERITY) - 1);
        let table: [f64; 5] = match self {
            Corruption::Brightness => [0.1, 0.2, 0.3, 0.4, 0.5],
            Corruption::Contrast => [0.6, 0.45, 0.3, 0.2, 0.1],
            Corruption::Gamma => [0.25, 0.5, 0.75, 1.0, 1.25],
            Corruption::GaussianNoise => [0.04, 0.08, 0.12, 0.18, 0.26],
            Corruption::Blur => [0.5, 0.75, 1.0, 1.5, 2.0],
            Corruption::Jpeg => [50.0, 30.0, 20.0, 12.0, 6.0],
            Corruption::Rotation => [6.0, 12.0, 18.0, 24.0, 30.0],
            Corruption::Shift => [1.0, 2.0, 3.0, 4.0, 5.0],
            Corruption::Zoom | Corruption::Shear => [0.1, 0.2, 0.3, 0.4, 0.5],
            Corruption::Occlusion => [4.0, 7.0, 10.0, 13.0, 16.0],
            Corruption::Clutter => [0.2, 0.35, 0.5, 0.65, 0.8],
            Corruption::Mirror => [1.0; 5],
        };
        table[i]
    }

    /// The images corrupted at `severity` (0 = unchanged, 1..=5; higher
    /// values count as 5), with the random draws of `seed`: same shape,
    /// values in `[0, 1]`, on the images' device.
    pub fn apply(self, images: &Tensor, severity: u8, seed: u64) -> Tensor {
        let n = images.size()[0];
        if severity == 0 || n == 0 {
            return images.copy();
        }
        let x = images.to_kind(Kind::Float);
        let level = self.level(severity);
        let stream = Corruption::ALL.iter().position(|&c| c == self).unwrap_or(0);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((stream as u64 + 1) << 56));
        let device = images.device();
        let signs: Vec<f32> = (0..n)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect();
        let sign_col = ops::per_image(&signs, device);
        let y = match self {
            Corruption::Brightness => x + sign_col * level,
            Corruption::Contrast => {
                let mean = x.mean_dim([1i64, 2, 3].as_slice(), true, Kind::Float);
                (x - &mean) * level + mean
            }
            Corruption::Gamma => x.clamp(0.0, 1.0).pow(&(sign_col * level).exp()),
            Corruption::GaussianNoise => {
                let noise = ops::normal_like(&x, &mut rng);
                x + noise * level
            }
            Corruption::Blur => ops::blur(&x, &vec![level; n as usize]),
            Corruption::Jpeg => ops::jpeg(&x, level as u8),
            Corruption::Rotation | Corruption::Shift | Corruption::Zoom | Corruption::Shear => {
                self.warp(&x, level, &signs, &mut rng)
            }
            Corruption::Occlusion => occlude(&x, level as i64, &mut rng),
            Corruption::Clutter => ops::clutter(&x, &vec![level as f32; n as usize], &mut rng),
            Corruption::Mirror => x.flip([3]),
        };
        y.clamp(0.0, 1.0)
    }

    fn warp(self, x: &Tensor, level: f64, signs: &[f32], rng: &mut impl Rng) -> Tensor {
        let size = x.size();
        let (h, w) = (size[2] as f64, size[3] as f64);
        let mut theta = Vec::with_capacity(signs.len() * 6);
        for &s in signs {
            let s = f64::from(s);
            let direction: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let t = match self {
                Corruption::Rotation => ops::theta(s * level, 1.0, 0.0, 0.0, 0.0),
                Corruption::Shift => ops::theta(
                    0.0,
                    1.0,
                    0.0,
                    level * direction.cos() * 2.0 / w,
                    level * direction.sin() * 2.0 / h,
                ),
                // Sampling-grid scale: > 1 zooms out, < 1 zooms in.
                Corruption::Zoom => ops::theta(0.0, (1.0 + level).powf(s), 0.0, 0.0, 0.0),
                _ => ops::theta(0.0, 1.0, s * level, 0.0, 0.0),
            };
            theta.extend_from_slice(&t);
        }
        ops::affine(x, &theta)
    }
}

impl std::fmt::Display for Corruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A square of side `side` px, centred at a place drawn per image (inside
/// the central 60% of the image), filled with a grey level drawn per image.
fn occlude(x: &Tensor, side: i64, rng: &mut impl Rng) -> Tensor {
    let size = x.size();
    let (n, h, w) = (size[0], size[2], size[3]);
    let mut params = Vec::with_capacity(n as usize * 3);
    for _ in 0..n {
        params.push(rng.random_range(0.2..0.8) * h as f32);
        params.push(rng.random_range(0.2..0.8) * w as f32);
        params.push(rng.random_range(0.0..1.0f32));
    }
    let p = ops::to_device(Tensor::from_slice(&params).view([n, 3, 1, 1]), x.device());
    let opts = (Kind::Float, x.device());
    let ys = Tensor::arange(h, opts).view([1, 1, h, 1]) + 0.5;
    let xs = Tensor::arange(w, opts).view([1, 1, 1, w]) + 0.5;
    let half = side as f64 / 2.0;
    let inside = (ys - p.narrow(1, 0, 1))
        .abs()
        .le(half)
        .logical_and(&(xs - p.narrow(1, 1, 1)).abs().le(half));
    let fill = p.narrow(1, 2, 1).expand_as(x);
    fill.where_self(&inside, x)
}

#[cfg(test)]
mod tests;
