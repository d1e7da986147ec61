//! Inference: the class probabilities of a network, image preprocessing, and the
//! [`Classifier`] that runs an exported model.
//!
//! [`Classifier`] loads `model.pt` (no spec needed) and classifies PNG/JPEG
//! files of any size and colour after [`preprocess_image`]: decode, flatten
//! transparency onto white, convert to greyscale (luma), centre-crop to a
//! square, and resize to 28×28 with a Lanczos3 filter (ImageMagick's default
//! for shrinking, with which the dataset was made: hands cropped to a square
//! and resized).

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView};
use tch::nn::ModuleT;
use tch::{CModule, Device, Kind, Tensor};

use crate::calibrate::Probs;
use crate::data::{Dataset, PIXELS};
use crate::letters::{LETTERS, NUM_CLASSES};
use crate::model::Net;
use crate::runtime::{eval_batch, in_batches};

/// Errors of loading an exported model, reading images and classifying them.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// A torch operation failed.
    #[error("{what}: {source}")]
    Torch {
        /// What was being done.
        what: String,
        /// The tch error.
        source: tch::TchError,
    },
    /// No exported model where one was expected.
    #[error(
        "no exported model at {path}; export one from the notebook with \
         `signlang::export::export_model(dir, &spec, &vs, &net)`"
    )]
    MissingModel {
        /// The missing file or directory.
        path: PathBuf,
    },
    /// The model's output is not `N×24`.
    #[error("{path}: the model outputs shape {shape:?}, expected N×24 letter scores")]
    BadOutput {
        /// The model file.
        path: PathBuf,
        /// The output shape.
        shape: Vec<i64>,
    },
    /// An image file could not be read or decoded.
    #[error("cannot read image {path}: {reason}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The export directory's `calibration.json` is unreadable or invalid.
    #[error(transparent)]
    Calibration(#[from] crate::calibrate::CalibrateError),
}

/// Wraps a tch error with what was being done.
pub(crate) fn torch(what: impl Into<String>) -> impl FnOnce(tch::TchError) -> InferError {
    let what = what.into();
    move |source| InferError::Torch { what, source }
}

/// The rows of an `N×24` probability tensor (any device or float kind) as
/// [`Probs`] arrays; `None` when it is not `N×24`.
pub fn probability_rows(probs: &Tensor) -> Option<Vec<Probs>> {
    let shape = probs.size();
    if shape.len() != 2 || shape[1] != NUM_CLASSES as i64 {
        return None;
    }
    let flat: Vec<f32> = Vec::try_from(
        probs
            .to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .contiguous()
            .view([-1]),
    )
    .ok()?;
    Some(
        flat.chunks_exact(NUM_CLASSES)
            .map(|row| {
                let mut p = [0f32; NUM_CLASSES];
                p.copy_from_slice(row);
                p
            })
            .collect(),
    )
}

/// Class probabilities (`N×24` softmax, on the CPU) of `images`
/// (`N×1×28×28` in `[0, 1]`, any device) in eval mode under `no_grad`,
/// in batches on `device` (1,024 on GPUs, 32 on the CPU, where that is
/// faster; see [`crate::runtime`]).
pub fn predict_proba(net: &Net, images: &Tensor, device: Device) -> Tensor {
    let _guard = tch::no_grad_guard();
    let n = images.size()[0];
    let parts = in_batches(n, eval_batch(device), |start, len| {
        let bx = images.narrow(0, start, len).to_device(device);
        let p = net.forward_t(&bx, false).softmax(-1, Kind::Float);
        Ok::<_, std::convert::Infallible>(p.to_device(Device::Cpu))
    })
    .unwrap_or_else(|e| match e {});
    if parts.is_empty() {
        return Tensor::zeros([0, NUM_CLASSES as i64], (Kind::Float, Device::Cpu));
    }
    Tensor::cat(&parts, 0)
}

/// The resize filter used to bring images to 28×28.
pub const RESIZE_FILTER: FilterType = FilterType::Lanczos3;

/// Turns a decoded image into 28×28 greyscale pixels: transparency
/// flattened onto white, luma, centre-cropped to a square, resized with
/// [`RESIZE_FILTER`].
pub fn preprocess(img: &DynamicImage) -> [u8; PIXELS] {
    let square = square_grey(img);
    let small = image::imageops::resize(&square, 28, 28, RESIZE_FILTER);
    let mut out = [0u8; PIXELS];
    out.copy_from_slice(small.as_raw());
    out
}

/// The first steps of [`preprocess`]: transparency flattened onto white,
/// luma, centre-cropped to a square (at full resolution).
pub fn square_grey(img: &DynamicImage) -> image::GrayImage {
    let la = img.to_luma_alpha8();
    let (w, h) = la.dimensions();
    let grey = image::GrayImage::from_fn(w, h, |x, y| {
        let p = la.get_pixel(x, y);
        let (l, a) = (f32::from(p[0]), f32::from(p[1]) / 255.0);
        image::Luma([(l * a + 255.0 * (1.0 - a)).round() as u8])
    });
    let side = w.min(h);
    image::imageops::crop_imm(&grey, (w - side) / 2, (h - side) / 2, side, side).to_image()
}

/// Reads a PNG or JPEG file (format detected from its content) and
/// [`preprocess`]es it to 28×28 greyscale pixels.
pub fn preprocess_image(path: impl AsRef<Path>) -> Result<[u8; PIXELS], InferError> {
    Ok(preprocess(&read_image(path)?))
}

/// Reads and decodes a PNG or JPEG file (format detected from its content).
pub fn read_image(path: impl AsRef<Path>) -> Result<DynamicImage, InferError> {
    let path = path.as_ref();
    let err = |reason: String| InferError::Image {
        path: path.to_path_buf(),
        reason,
    };
    let reader = image::ImageReader::open(path)
        .map_err(|e| err(e.to_string()))?
        .with_guessed_format()
        .map_err(|e| err(e.to_string()))?;
    if reader.format().is_none() {
        return Err(err("not a PNG or JPEG image (unrecognised content)".into()));
    }
    let img = reader.decode().map_err(|e| err(e.to_string()))?;
    if img.dimensions().0 == 0 || img.dimensions().1 == 0 {
        return Err(err("the image is empty (0 pixels)".into()));
    }
    Ok(img)
}

/// An exported model loaded for classification on the CPU.
#[derive(Debug)]
pub struct Classifier {
    module: CModule,
    path: PathBuf,
    calibration: Option<crate::calibrate::Calibration>,
}

impl Classifier {
    /// Loads `model.pt` from an export directory written by [`crate::export::export_model`],
    /// and its `calibration.json` when present (see [`crate::calibrate`]).
    pub fn load(dir: impl AsRef<Path>) -> Result<Classifier, InferError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(InferError::MissingModel {
                path: dir.to_path_buf(),
            });
        }
        let path = dir.join("model.pt");
        if !path.is_file() {
            return Err(InferError::MissingModel { path });
        }
        let mut module = CModule::load_on_device(&path, Device::Cpu).map_err(torch(format!(
            "loading TorchScript model {}",
            path.display()
        )))?;
        module.set_eval();
        let calibration = crate::calibrate::Calibration::load(dir)?;
        Ok(Classifier {
            module,
            path,
            calibration,
        })
    }

    /// The calibration read from `calibration.json`, if any.
    pub fn calibration(&self) -> Option<&crate::calibrate::Calibration> {
        self.calibration.as_ref()
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Letter probabilities (`N×24`, softmax of the model's output, divided
    /// by the calibration's temperature when there is one) for an
    /// `N×1×28×28` float batch in `[0, 1]`.
    pub fn probabilities(&self, images: &Tensor) -> Result<Tensor, InferError> {
        let out = self.logits(images)?;
        let t = self.calibration.as_ref().map_or(1.0, |c| c.temperature);
        Ok((out / t).softmax(-1, Kind::Float))
    }

    /// `(unsure, score)` of one image under the calibration's rule (its
    /// unsure rule when it has one, else its threshold on the calibrated
    /// top probability); `None` without a calibration.
    pub fn decide(&self, pixels: &[u8; PIXELS]) -> Result<Option<(bool, f64)>, InferError> {
        let Some(cal) = &self.calibration else {
            return Ok(None);
        };
        let x = Tensor::from_slice(pixels)
            .view([1, 1, 28, 28])
            .to_kind(Kind::Float)
            / 255.0;
        let logits = self.logits(&x)?.to_kind(Kind::Float).view([-1]);
        let logits = Vec::<f32>::try_from(&logits).map_err(torch("reading logits"))?;
        Ok(Some(cal.decide(pixels, &logits)))
    }

    /// The model's output (`N×24` logits) for an `N×1×28×28` float batch in `[0, 1]`.
    pub fn logits(&self, images: &Tensor) -> Result<Tensor, InferError> {
        let out = tch::no_grad(|| self.module.forward_ts(&[images]))
            .map_err(torch(format!("running {}", self.path.display())))?;
        let shape = out.size();
        if shape.len() != 2 || shape[1] != NUM_CLASSES as i64 {
            return Err(InferError::BadOutput {
                path: self.path.clone(),
                shape,
            });
        }
        Ok(out)
    }

    /// The predicted class (argmax) of each image of `data`, in batches.
    pub fn predict_classes(&self, data: &Dataset) -> Result<Vec<u8>, InferError> {
        let images = data.images();
        let parts = in_batches(data.len() as i64, 512, |start, len| {
            let p = self.probabilities(&images.narrow(0, start, len))?;
            Vec::<i64>::try_from(&p.argmax(-1, false)).map_err(torch("reading predictions"))
        })?;
        Ok(parts.into_iter().flatten().map(|c| c as u8).collect())
    }

    /// The `k` most likely letters with their probabilities, most likely first.
    pub fn top_k(&self, pixels: &[u8; PIXELS], k: usize) -> Result<Vec<(char, f32)>, InferError> {
        let x = Tensor::from_slice(pixels)
            .view([1, 1, 28, 28])
            .to_kind(Kind::Float)
            / 255.0;
        let p = self.probabilities(&x)?;
        let p = Vec::<f32>::try_from(&p.view([-1])).map_err(torch("reading probabilities"))?;
        let mut ranked: Vec<(char, f32)> = LETTERS.iter().copied().zip(p).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(k);
        Ok(ranked)
    }

    /// Reads, preprocesses and classifies an image file: the top-3 letters
    /// with probabilities.
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<Vec<(char, f32)>, InferError> {
        let pixels = preprocess_image(path)?;
        self.top_k(&pixels, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_have_one_row_per_image_and_sum_to_one() {
        let _rng = crate::runtime::torch_rng_lock();
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let net = crate::presets::dense().build(&vs.root());
        let x = Tensor::rand([70, 1, 28, 28], (Kind::Float, Device::Cpu));
        let p = predict_proba(&net, &x, Device::Cpu);
        assert_eq!(p.size(), vec![70, 24]);
        let sums = p.sum_dim_intlist([1i64].as_slice(), false, Kind::Float);
        assert!((sums - 1.0).abs().max().double_value(&[]) < 1e-5);
        let empty = x.narrow(0, 0, 0);
        assert_eq!(predict_proba(&net, &empty, Device::Cpu).size(), vec![0, 24]);
    }
}
