//! On-the-fly augmentation of training batches, on tensors: one random
//! affine transform per image (shift, rotation, zoom) applied with
//! `affine_grid` + `grid_sample` for the whole batch at once, then a random
//! brightness and contrast change per image. Random draws come from a
//! seeded ChaCha generator, so augmentation is reproducible and independent
//! of libtorch's global generator.

use rand::Rng;
use tch::{Device, Kind, Tensor};

use super::Augmentation;

impl Augmentation {
    /// No change at all.
    pub fn none() -> Self {
        Augmentation {
            shift: 0.0,
            rotate: 0.0,
            zoom: 0.0,
            brightness: 0.0,
            contrast: 0.0,
        }
    }

    /// Mild settings for hand images: ±2 px, ±10°, ±10% zoom, ±0.1
    /// brightness, ±10% contrast.
    pub fn mild() -> Self {
        Augmentation {
            shift: 2.0,
            rotate: 10.0,
            zoom: 0.1,
            brightness: 0.1,
            contrast: 0.1,
        }
    }

    fn is_geometric(&self) -> bool {
        self.shift != 0.0 || self.rotate != 0.0 || self.zoom != 0.0
    }

    fn is_photometric(&self) -> bool {
        self.brightness != 0.0 || self.contrast != 0.0
    }

    /// Augments a batch `N×1×H×W` of images in `[0, 1]` (on any device);
    /// returns a new batch of the same shape and range. Identity (the same
    /// values) when every strength is zero. Pixels moved in from outside
    /// the image repeat the border, like Keras's `fill_mode="nearest"`.
    pub fn apply(&self, images: &Tensor, rng: &mut impl Rng) -> Tensor {
        let size = images.size();
        let n = size[0] as usize;
        let device = images.device();
        let mut out = images.shallow_clone();
        if n == 0 {
            return out;
        }
        if self.is_geometric() {
            let (h, w) = (size[2] as f64, size[3] as f64);
            let mut theta = Vec::with_capacity(n * 6);
            for _ in 0..n {
                let angle = uniform(rng, self.rotate).to_radians();
                // Sampling grid scale: > 1 shows more of the image (zoom out).
                let scale = 1.0 + uniform(rng, self.zoom);
                let tx = uniform(rng, self.shift) * 2.0 / w;
                let ty = uniform(rng, self.shift) * 2.0 / h;
                let (s, c) = angle.sin_cos();
                theta.extend_from_slice(&[
                    (scale * c) as f32,
                    (-scale * s) as f32,
                    tx as f32,
                    (scale * s) as f32,
                    (scale * c) as f32,
                    ty as f32,
                ]);
            }
            let theta = to_device(Tensor::from_slice(&theta).view([n as i64, 2, 3]), device);
            let grid = Tensor::affine_grid_generator(&theta, &size, false);
            // interpolation 0 = bilinear, padding 1 = border.
            out = out.grid_sampler(&grid, 0, 1, false);
        }
        if self.is_photometric() {
            let mut params = Vec::with_capacity(n * 2);
            for _ in 0..n {
                params.push(uniform(rng, self.brightness) as f32);
                params.push((1.0 + uniform(rng, self.contrast)) as f32);
            }
            let p = to_device(
                Tensor::from_slice(&params).view([n as i64, 2, 1, 1]),
                device,
            );
            let bright = p.narrow(1, 0, 1);
            let contrast = p.narrow(1, 1, 1);
            let mean = out.mean_dim([1i64, 2, 3].as_slice(), true, Kind::Float);
            out = ((&out - &mean) * contrast + mean + bright).clamp(0.0, 1.0);
        }
        out
    }
}

fn uniform(rng: &mut impl Rng, strength: f64) -> f64 {
    if strength == 0.0 {
        0.0
    } else {
        rng.random_range(-strength..=strength)
    }
}

fn to_device(t: Tensor, device: Device) -> Tensor {
    if device == Device::Cpu {
        t
    } else {
        t.to_device(device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn batch() -> Tensor {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let v: Vec<f32> = (0..4 * 784).map(|_| rng.random_range(0.0..1.0)).collect();
        Tensor::from_slice(&v).view([4, 1, 28, 28])
    }

    #[test]
    fn zero_strength_is_identity() {
        let x = batch();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let y = Augmentation::none().apply(&x, &mut rng);
        assert!(y.equal(&x));
    }

    #[test]
    fn augmentation_keeps_shape_and_range_and_changes_images() {
        let x = batch();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let y = Augmentation::mild().apply(&x, &mut rng);
        assert_eq!(y.size(), x.size());
        assert!(y.min().double_value(&[]) >= 0.0);
        assert!(y.max().double_value(&[]) <= 1.0);
        let diff = (&y - &x).abs().mean(Kind::Float).double_value(&[]);
        assert!(diff > 0.01, "mean change {diff}");
        // Reproducible for a seed.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        assert!(Augmentation::mild().apply(&x, &mut rng).equal(&y));
    }

    #[test]
    fn a_whole_pixel_shift_moves_the_image() {
        // Only a shift of exactly 1 px in x: draw from a strength that the
        // rng cannot vary is impossible, so check the geometry directly:
        // theta with tx = 2/28 moves content by one pixel.
        let x = Tensor::zeros([1, 1, 28, 28], (Kind::Float, Device::Cpu));
        let _ = x.narrow(3, 10, 1).fill_(1.0);
        let theta = Tensor::from_slice(&[1.0f32, 0.0, 2.0 / 28.0, 0.0, 1.0, 0.0]).view([1, 2, 3]);
        let grid = Tensor::affine_grid_generator(&theta, [1, 1, 28, 28], false);
        let y = x.grid_sampler(&grid, 0, 1, false);
        let col = y.sum_dim_intlist([0i64, 1, 2].as_slice(), false, Kind::Float);
        assert!((col.double_value(&[9]) - 28.0).abs() < 1e-3, "{col}");
    }
}
