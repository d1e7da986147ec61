//! Batched image operations shared by the corruptions ([`super::Corruption`])
//! and the training augmentation ([`crate::train::Augmentation`]): affine
//! warps, per-image Gaussian blur, seeded Gaussian noise, cluttered
//! backgrounds and JPEG re-encoding. Inputs are `N×1×H×W` float tensors in
//! `[0, 1]`; random draws come from the caller's seeded generator, never from
//! libtorch's global one.

use rand::Rng;
use tch::{Device, Kind, Tensor};

/// Moves a CPU tensor to `device` (no copy on the CPU).
pub(crate) fn to_device(t: Tensor, device: Device) -> Tensor {
    if device == Device::Cpu {
        t
    } else {
        t.to_device(device)
    }
}

/// A per-image column `N×1×1×1` from values.
pub(crate) fn per_image(values: &[f32], device: Device) -> Tensor {
    to_device(
        Tensor::from_slice(values).view([values.len() as i64, 1, 1, 1]),
        device,
    )
}

/// One sampling matrix per image (6 numbers each, the `theta` of
/// `affine_grid`), applied with bilinear interpolation; pixels moved in from
/// outside repeat the border (Keras's `fill_mode="nearest"`).
pub(crate) fn affine(images: &Tensor, theta: &[f32]) -> Tensor {
    let n = images.size()[0];
    let theta = to_device(Tensor::from_slice(theta).view([n, 2, 3]), images.device());
    let grid = Tensor::affine_grid_generator(&theta, images.size(), false);
    // interpolation 0 = bilinear, padding 1 = border.
    images.grid_sampler(&grid, 0, 1, false)
}

/// The sampling matrix of a rotation (degrees), a scale of the sampling grid
/// (> 1 shows more of the image), a shear and a shift (in units of the
/// half-width).
pub(crate) fn theta(degrees: f64, scale: f64, shear: f64, tx: f64, ty: f64) -> [f32; 6] {
    let (s, c) = degrees.to_radians().sin_cos();
    [
        (scale * c) as f32,
        (scale * (-s + shear * c)) as f32,
        tx as f32,
        (scale * s) as f32,
        (scale * (c + shear * s)) as f32,
        ty as f32,
    ]
}

/// Gaussian blur with one standard deviation (pixels) per image, as two
/// separable grouped convolutions; borders repeat. A zero sigma leaves its
/// image as it is.
pub(crate) fn blur(images: &Tensor, sigmas: &[f64]) -> Tensor {
    let size = images.size();
    let (n, h, w) = (size[0], size[2], size[3]);
    let max = sigmas.iter().copied().fold(0.0, f64::max);
    if n == 0 || max <= 0.0 {
        return images.shallow_clone();
    }
    let r = ((3.0 * max).ceil() as i64).clamp(1, h.min(w) - 1);
    let k = 2 * r + 1;
    let mut weights = Vec::with_capacity(sigmas.len() * k as usize);
    for &s in sigmas {
        let row: Vec<f64> = (-r..=r)
            .map(|i| {
                if s <= 0.0 {
                    f64::from(u8::from(i == 0))
                } else {
                    (-((i * i) as f64) / (2.0 * s * s)).exp()
                }
            })
            .collect();
        let sum: f64 = row.iter().sum();
        weights.extend(row.iter().map(|v| (v / sum) as f32));
    }
    let kernel = to_device(Tensor::from_slice(&weights), images.device());
    // One sigma for all: one plain convolution; else one group per image.
    let (groups, shape) = if sigmas.iter().all(|&s| s == sigmas[0]) {
        (1, [n, 1, h, w])
    } else {
        (n, [1, n, h, w])
    };
    let kernel = kernel.narrow(0, 0, groups * k);
    let x = images
        .reshape(shape)
        .pad([r, r, r, r], "replicate", None::<f64>);
    let none: Option<Tensor> = None;
    let conv = |x: Tensor, kh: i64, kw: i64| {
        let weight = kernel.view([groups, 1, kh, kw]);
        x.conv2d(&weight, none.as_ref(), [1, 1], [0, 0], [1, 1], groups)
    };
    conv(conv(x, 1, k), k, 1).reshape(size.as_slice())
}

/// `len` standard normal numbers (Box–Muller) from a seeded generator.
pub(crate) fn normal(rng: &mut impl Rng, len: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(len + 1);
    while out.len() < len {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        out.push((r * c) as f32);
        out.push((r * s) as f32);
    }
    out.truncate(len);
    out
}

/// A noise tensor shaped like `images` (standard normal, seeded).
pub(crate) fn normal_like(images: &Tensor, rng: &mut impl Rng) -> Tensor {
    let size = images.size();
    let v = normal(rng, size.iter().product::<i64>() as usize);
    to_device(
        Tensor::from_slice(&v).view(size.as_slice()),
        images.device(),
    )
}

/// Where an image is background: pixels within `0.12` of the median of its
/// one-pixel frame (the dataset's hands fill the centre of fairly plain
/// backgrounds), softened by a 3×3 mean so edges blend. `N×1×H×W` in `[0, 1]`.
pub(crate) fn background_mask(images: &Tensor) -> Tensor {
    let size = images.size();
    let (n, h, w) = (size[0], size[2], size[3]);
    let frame = Tensor::cat(
        &[
            images.narrow(2, 0, 1).reshape([n, w]),
            images.narrow(2, h - 1, 1).reshape([n, w]),
            images.narrow(3, 0, 1).reshape([n, h]),
            images.narrow(3, w - 1, 1).reshape([n, h]),
        ],
        1,
    );
    let (median, _) = frame.median_dim(1, false);
    let near = (images - median.view([n, 1, 1, 1]))
        .abs()
        .le(0.12)
        .to_kind(Kind::Float);
    near.pad([1, 1, 1, 1], "replicate", None::<f64>).avg_pool2d(
        [3, 3],
        [1, 1],
        [0, 0],
        false,
        true,
        None::<i64>,
    )
}

/// A seeded cluttered texture per image, in `[0, 1]`: coarse blobs (4×4)
/// plus finer detail (9×9), each upsampled bilinearly, plus three bright or
/// dark straight strokes: a stand-in for furniture, clothes and walls.
pub(crate) fn clutter_texture(
    n: i64,
    h: i64,
    w: i64,
    rng: &mut impl Rng,
    device: Device,
) -> Tensor {
    let grid = |side: i64, rng: &mut dyn rand::RngCore| {
        let v: Vec<f32> = (0..n * side * side).map(|_| rng.random::<f32>()).collect();
        Tensor::from_slice(&v)
            .view([n, 1, side, side])
            .upsample_bilinear2d([h, w], false, None::<f64>, None::<f64>)
    };
    let mut t = grid(4, rng) * 0.6 + grid(9, rng) * 0.4;
    // Strokes: lines a·x + b·y = c, two pixels wide.
    let ys = Tensor::arange(h, (Kind::Float, Device::Cpu)).view([1, 1, h, 1]);
    let xs = Tensor::arange(w, (Kind::Float, Device::Cpu)).view([1, 1, 1, w]);
    for _ in 0..3 {
        let mut params = Vec::with_capacity(n as usize * 4);
        for _ in 0..n {
            let angle = rng.random_range(0.0..std::f32::consts::PI);
            params.extend([angle.cos(), angle.sin()]);
            params.push(rng.random_range(0.0..(h.max(w) as f32)));
            params.push(if rng.random::<bool>() { 1.0 } else { 0.0 });
        }
        let p = Tensor::from_slice(&params).view([n, 4, 1, 1]);
        let dist = (&xs * p.narrow(1, 0, 1) + &ys * p.narrow(1, 1, 1) - p.narrow(1, 2, 1)).abs();
        let on = dist.le(1.0).to_kind(Kind::Float);
        t = &t * (1.0 - &on) + p.narrow(1, 3, 1) * &on;
    }
    to_device(t, device)
}

/// Blends a cluttered texture into the background of each image with
/// strength `alphas[i]` in `[0, 1]` (0 = unchanged).
pub(crate) fn clutter(images: &Tensor, alphas: &[f32], rng: &mut impl Rng) -> Tensor {
    let size = images.size();
    let texture = clutter_texture(size[0], size[2], size[3], rng, images.device());
    let weight = background_mask(images) * per_image(alphas, images.device());
    images + weight * (texture - images)
}

/// Encodes each image as a greyscale JPEG at `quality` (1–100) with the
/// `image` crate and decodes it again: real JPEG blocking and ringing, done
/// on the CPU image by image.
pub(crate) fn jpeg(images: &Tensor, quality: u8) -> Tensor {
    let size = images.size();
    let (n, h, w) = (size[0] as usize, size[2] as u32, size[3] as u32);
    let device = images.device();
    let bytes: Vec<u8> = Vec::try_from(
        (images.to_device(Device::Cpu) * 255.0)
            .round()
            .clamp(0.0, 255.0)
            .to_kind(Kind::Uint8)
            .contiguous()
            .view([-1]),
    )
    .unwrap_or_default();
    let per = (h * w) as usize;
    let mut out = Vec::with_capacity(bytes.len());
    for img in bytes.chunks_exact(per).take(n) {
        out.extend(jpeg_round_trip(img, w, h, quality).unwrap_or_else(|| img.to_vec()));
    }
    let t = Tensor::from_slice(&out)
        .view(size.as_slice())
        .to_kind(Kind::Float)
        / 255.0;
    to_device(t, device)
}

fn jpeg_round_trip(pixels: &[u8], w: u32, h: u32, quality: u8) -> Option<Vec<u8>> {
    use image::codecs::jpeg::JpegEncoder;
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality)
        .encode(pixels, w, h, image::ExtendedColorType::L8)
        .ok()?;
    let img = image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg).ok()?;
    let grey = img.to_luma8();
    (grey.dimensions() == (w, h)).then(|| grey.into_raw())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn blur_with_zero_sigma_is_identity_and_keeps_the_mean() {
        let x = Tensor::rand([3, 1, 28, 28], (Kind::Float, Device::Cpu));
        let y = blur(&x, &[0.0, 1.0, 2.0]);
        assert_eq!(y.size(), x.size());
        assert!(y.get(0).allclose(&x.get(0), 1e-6, 1e-6, false));
        // Blurring removes variance.
        let var = |t: Tensor| t.var(true).double_value(&[]);
        assert!(var(y.get(2)) < var(y.get(1)) && var(y.get(1)) < var(x.get(1)));
    }

    #[test]
    fn normal_numbers_have_unit_variance() {
        let v = normal(&mut ChaCha8Rng::seed_from_u64(3), 20_001);
        assert_eq!(v.len(), 20_001);
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn the_background_mask_finds_a_plain_background() {
        let x = Tensor::full([1, 1, 28, 28], 0.2, (Kind::Float, Device::Cpu));
        let _ = x.narrow(2, 8, 12).narrow(3, 8, 12).fill_(0.9);
        let m = background_mask(&x);
        assert_eq!(m.double_value(&[0, 0, 0, 0]), 1.0);
        assert_eq!(m.double_value(&[0, 0, 14, 14]), 0.0);
    }

    #[test]
    fn jpeg_changes_a_textured_image_more_at_lower_quality() {
        let x = Tensor::rand([2, 1, 28, 28], (Kind::Float, Device::Cpu));
        let d = |q| (jpeg(&x, q) - &x).abs().mean(Kind::Float).double_value(&[]);
        assert!(
            d(90) < d(30) && d(30) < d(5),
            "{} {} {}",
            d(90),
            d(30),
            d(5)
        );
    }
}
