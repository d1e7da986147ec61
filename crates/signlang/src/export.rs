//! Export a trained model for app developers.
//!
//! [`export_model`] writes a directory that needs nothing from this crate:
//!
//! | file | content |
//! |---|---|
//! | `model.pt` | TorchScript (traced in eval mode), loads with `torch.jit.load` or `torch::jit::load` |
//! | `model.onnx` | ONNX (dynamic batch), for ONNX Runtime in apps; see [`crate::onnx`] |
//! | `model.safetensors` | the weights, named as in the [`VarStore`] |
//! | `spec.json` | the [`ModelSpec`] that rebuilds the network in this crate |
//! | `labels.json` | the 24 letters in output order |
//! | `README.md` | input/output format and a short Python example |
//!
//! [`crate::infer::Classifier`] loads `model.pt` and classifies image files.

use std::path::{Path, PathBuf};

use tch::nn::{ModuleT, VarStore};
use tch::{CModule, Device, Kind, Tensor};

use crate::data::PIXELS;
use crate::letters::LETTERS;
use crate::model::ModelSpec;
pub use crate::onnx::ExportOptions;

/// Errors of export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Writing JSON failed.
    #[error("{path}: writing JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The serde error.
        source: serde_json::Error,
    },
    /// A torch operation failed.
    #[error("{what}: {source}")]
    Torch {
        /// What was being done.
        what: String,
        /// The tch error.
        source: tch::TchError,
    },
    /// The exported TorchScript model disagrees with the network it was traced from.
    #[error(
        "the exported TorchScript model {path} disagrees with the network on a batch of {batch} \
         images (largest difference {diff:.3e}); the network's forward pass probably depends on \
         the batch size (use flatten/view(-1, ..), not the traced size)"
    )]
    Mismatch {
        /// The model file.
        path: PathBuf,
        /// Batch size of the check.
        batch: i64,
        /// Largest absolute difference of the outputs.
        diff: f64,
    },
    /// The ONNX export failed.
    #[error(transparent)]
    Onnx(#[from] crate::onnx::OnnxError),
}

/// What [`export_model`] wrote.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExportInfo {
    /// The export directory.
    pub dir: PathBuf,
    /// The files written, in order.
    pub files: Vec<PathBuf>,
    /// Number of numbers in the weights (parameters and buffers).
    pub parameters: i64,
    /// Largest absolute difference between the TorchScript model and the
    /// network on the check batch (batch size 7).
    pub max_abs_diff: f64,
    /// Largest absolute difference between ONNX Runtime and the TorchScript
    /// model on the check batch, when `model.onnx` was written.
    pub onnx_max_abs_diff: Option<f64>,
}

fn torch(what: impl Into<String>) -> impl FnOnce(tch::TchError) -> ExportError {
    let what = what.into();
    move |source| ExportError::Torch { what, source }
}

fn write(path: &Path, content: &str) -> Result<(), ExportError> {
    std::fs::write(path, content).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Sets `requires_grad = false` on the trainable variables of a store and
/// restores them when dropped (also on panic).
struct Frozen(Vec<(Tensor, bool)>);

impl Frozen {
    fn new(vs: &VarStore) -> Frozen {
        let vars: Vec<(Tensor, bool)> = vs
            .trainable_variables()
            .into_iter()
            .map(|t| {
                let was = t.requires_grad();
                (t, was)
            })
            .collect();
        for (t, _) in &vars {
            let _ = t.set_requires_grad(false);
        }
        Frozen(vars)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        for (t, was) in &self.0 {
            let _ = t.set_requires_grad(*was);
        }
    }
}

/// A deterministic, varied batch of `n` images in `[0, 1]`, for checking.
fn check_batch(n: i64, device: Device) -> Tensor {
    let i = Tensor::arange(n * PIXELS as i64, (Kind::Float, Device::Cpu));
    ((i.multiply_scalar(0.731).sin() + 1.0) / 2.0)
        .view([n, 1, 28, 28])
        .to_device(device)
}

/// Exports a trained network to `dir` (created if needed): `model.pt`
/// (TorchScript, traced in eval mode on a 1×1×28×28 example), `model.onnx`,
/// `model.safetensors`, `spec.json`, `labels.json` and `README.md`; see
/// [`export_model_with`] for options (ONNX metadata, no ONNX).
///
/// The TorchScript model is reloaded and checked against `net` on a batch
/// of 7 images, so a forward pass that bakes in the batch size is caught.
/// Tracing happens on the device of `vs`; load with `map_location="cpu"` (as
/// the README does) to run on the CPU.
pub fn export_model(
    dir: impl AsRef<Path>,
    spec: &ModelSpec,
    vs: &VarStore,
    net: &impl ModuleT,
) -> Result<ExportInfo, ExportError> {
    export_model_with(dir, spec, vs, net, &ExportOptions::default())
}

/// [`export_model`] with options: whether to write `model.onnx` (through
/// the project venv's Python, [`crate::onnx::export_onnx`]) and the string
/// metadata stored in it.
pub fn export_model_with(
    dir: impl AsRef<Path>,
    spec: &ModelSpec,
    vs: &VarStore,
    net: &impl ModuleT,
    options: &ExportOptions,
) -> Result<ExportInfo, ExportError> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let pt = trace_torchscript(dir, vs, net)?;
    let diff = check_torchscript(&pt, net, vs.device())?;
    let mut files = vec![pt.clone()];
    let onnx = if options.onnx {
        let out = dir.join(crate::onnx::ONNX_FILE);
        let python = options.python.as_deref();
        let meta = &options.onnx_metadata;
        Some(crate::onnx::export_onnx(&pt, &out, meta, python)?)
    } else {
        None
    };
    files.extend(onnx.as_ref().map(|o| o.path.clone()));
    let weights = dir.join("model.safetensors");
    crate::weights::save_weights(vs, &weights)
        .map_err(torch(format!("saving {}", weights.display())))?;
    files.push(weights);
    files.push(write_json(&dir.join("spec.json"), spec, true)?);
    let labels: Vec<String> = LETTERS.iter().map(|c| c.to_string()).collect();
    files.push(write_json(&dir.join("labels.json"), &labels, false)?);
    let parameters: i64 = vs.variables().values().map(|t| t.numel() as i64).sum();
    let readme = dir.join("README.md");
    let mut text = readme_text(parameters);
    if options.onnx {
        text += &crate::onnx::readme_section(&options.onnx_metadata);
    }
    write(&readme, &text)?;
    files.push(readme);
    Ok(ExportInfo {
        dir: dir.to_path_buf(),
        files,
        parameters,
        max_abs_diff: diff,
        onnx_max_abs_diff: onnx.map(|o| o.max_abs_diff),
    })
}

/// Traces `net` in eval mode, without gradients, into `dir/model.pt`.
fn trace_torchscript(
    dir: &Path,
    vs: &VarStore,
    net: &impl ModuleT,
) -> Result<PathBuf, ExportError> {
    let pt = dir.join("model.pt");
    let example = Tensor::zeros([1, 1, 28, 28], (Kind::Float, vs.device()));
    // The tracer stores the weights as constants, which must not require
    // gradients: freeze them for the trace (restored when `frozen` drops).
    let frozen = Frozen::new(vs);
    let module = tch::no_grad(|| {
        CModule::create_by_tracing("SignLangNet", "forward", &[example], &mut |xs| {
            vec![net.forward_t(&xs[0], false)]
        })
    })
    .map_err(torch("tracing the network for TorchScript"))?;
    module
        .save(&pt)
        .map_err(torch(format!("saving {}", pt.display())))?;
    // The traced constants are the store's own tensors: they are saved with
    // `requires_grad = false` only while frozen.
    drop(module);
    drop(frozen);
    Ok(pt)
}

/// Reloads `pt` and runs it on a batch of another size than the traced
/// one; returns the largest difference from `net`, or a mismatch error.
fn check_torchscript(pt: &Path, net: &impl ModuleT, device: Device) -> Result<f64, ExportError> {
    let reloaded = CModule::load_on_device(pt, device)
        .map_err(torch(format!("reloading {}", pt.display())))?;
    let batch = 7;
    let x = check_batch(batch, device);
    let (want, got) = tch::no_grad(|| -> Result<(Tensor, Tensor), ExportError> {
        let want = net.forward_t(&x, false);
        let got = reloaded.forward_ts(&[&x]).map_err(torch(format!(
            "running {} on a batch of {batch} (does the forward pass depend on the batch size?)",
            pt.display()
        )))?;
        Ok((want, got))
    })?;
    let mismatch = |diff| ExportError::Mismatch {
        path: pt.to_path_buf(),
        batch,
        diff,
    };
    if got.size() != want.size() {
        return Err(mismatch(f64::INFINITY));
    }
    let diff = (&got - &want).abs().max().double_value(&[]);
    let scale = want.abs().max().double_value(&[]).max(1.0);
    if diff.is_nan() || diff > 1e-4 * scale {
        return Err(mismatch(diff));
    }
    Ok(diff)
}

/// Writes `value` as JSON (pretty or compact) to `path`; returns the path.
fn write_json(
    path: &Path,
    value: &impl serde::Serialize,
    pretty: bool,
) -> Result<PathBuf, ExportError> {
    let json = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|source| ExportError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    write(path, &json)?;
    Ok(path.to_path_buf())
}

fn readme_text(parameters: i64) -> String {
    let letters: String = LETTERS.iter().collect();
    format!(
        r#"# Sign language letter classifier

Classifies a photo of a hand showing one of the 24 static letters of the
American Sign Language alphabet (A–Y without J; J and Z need motion).
Weights: {parameters} numbers.

## Files

- `model.pt`: TorchScript; load with `torch.jit.load` (Python) or `torch::jit::load` (C++).
- `model.onnx` (when exported): the same network for ONNX Runtime (see below).
- `model.safetensors`: the same weights, for rebuilding the network from `spec.json`.
- `spec.json`: the network's description (the `signlang` crate's `ModelSpec`).
- `labels.json`: the letters in output order.

## Input and output

- Input: float32 tensor `N×1×28×28`, greyscale pixels scaled to `[0, 1]`
  (0 = black, 1 = white).
- Prepare a photo like the training data: convert to greyscale, crop the
  centre square around the hand, resize to 28×28 (Lanczos filter).
- Output: `N×24` logits (apply softmax for probabilities), in the order
  `{letters}` (see `labels.json`).

## Python

```python
import torch; from PIL import Image, ImageOps
model = torch.jit.load("model.pt", map_location="cpu").eval()
img = ImageOps.fit(Image.open("hand.jpg").convert("L"), (28, 28), Image.LANCZOS)
x = torch.tensor(list(img.getdata()), dtype=torch.float32).view(1, 1, 28, 28) / 255
print("{letters}"[model(x).argmax(1).item()])
```
"#
    )
}
