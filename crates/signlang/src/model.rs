//! Model descriptions ([`ModelSpec`]) and the tch networks built from them.
//!
//! A spec is plain data (serde, round-trips through JSON), so the study
//! ledger can store it and hash it. Two families: densely connected
//! ([`DenseSpec`]) and convolutional ([`CnnSpec`]: conv blocks, then a dense head).
//! Inputs are `N×1×28×28` float images in `[0, 1]`; outputs are 24 logits.

use serde::{Deserialize, Serialize};

/// Activation function of hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x)
    #[default]
    Relu,
    /// Gaussian error linear unit.
    Gelu,
    /// Hyperbolic tangent.
    Tanh,
    /// x · sigmoid(x)
    Silu,
}

/// A densely connected network: flatten, hidden layers, 24 outputs.
/// Also used as the head of a [`CnnSpec`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct DenseSpec {
    /// Sizes of the hidden layers, input side first.
    pub hidden: Vec<i64>,
    /// Activation after each hidden layer.
    #[serde(default)]
    pub activation: Activation,
    /// Batch norm after each hidden linear layer (before the activation).
    #[serde(default)]
    pub batch_norm: bool,
    /// Dropout probability after each hidden layer (0 = none).
    #[serde(default)]
    pub dropout: f64,
}

/// Convolution padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// Output has the input's size (odd kernels).
    #[default]
    Same,
    /// No padding.
    Valid,
}

/// One convolutional block: conv → (batch norm) → activation → (max pool) → (dropout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvBlock {
    /// Output channels.
    pub filters: i64,
    /// Square kernel size.
    pub kernel: i64,
    /// Padding mode.
    #[serde(default)]
    pub padding: Padding,
    /// Batch norm after the convolution.
    #[serde(default)]
    pub batch_norm: bool,
    /// Max-pool size after the activation (`None` = no pooling).
    #[serde(default)]
    pub pool: Option<i64>,
    /// Dropout probability after the block (0 = none).
    #[serde(default)]
    pub dropout: f64,
}

/// A convolutional network: conv blocks, flatten, dense head, 24 outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CnnSpec {
    /// Convolutional blocks, input side first.
    pub blocks: Vec<ConvBlock>,
    /// Activation of the conv blocks.
    #[serde(default)]
    pub activation: Activation,
    /// Per-image contrast normalisation as the first layer: each image is
    /// standardised to zero mean and unit variance inside the network, so
    /// training, TorchScript export and prediction all use it. Absent from
    /// the JSON when off, so older specs serialise as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub input_norm: bool,
    /// The dense head after flattening.
    pub head: DenseSpec,
}

/// A model description: one of the two families.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum ModelSpec {
    /// Densely connected network.
    Dense(DenseSpec),
    /// Convolutional network.
    Cnn(CnnSpec),
}

use std::fmt;

use tch::nn::{self, ModuleT};
use tch::Tensor;

use crate::display::{Html, Table};
use crate::runtime::channels_last;
use crate::NUM_CLASSES;

/// A problem with a [`ModelSpec`] that would make an unusable network.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// A layer size, kernel or pool size is not positive.
    #[error("model spec: {what} must be positive, got {value}; fix the spec")]
    NotPositive {
        /// Which field.
        what: String,
        /// The value found.
        value: i64,
    },
    /// A dropout probability outside `[0, 1)`.
    #[error("model spec: {what} dropout must be in [0, 1), got {value}; fix the spec")]
    BadDropout {
        /// Which layer.
        what: String,
        /// The value found.
        value: f64,
    },
    /// The feature map shrinks to nothing.
    #[error("model spec: conv block {block} leaves a {size}×{size} feature map; use fewer pools, `same` padding or smaller kernels")]
    MapTooSmall {
        /// 1-based block number.
        block: usize,
        /// The side of the map after the block.
        size: i64,
    },
    /// `same` padding with an even kernel (ambiguous in libtorch).
    #[error("model spec: conv block {block} has `same` padding with an even kernel {kernel}; use an odd kernel")]
    EvenSameKernel {
        /// 1-based block number.
        block: usize,
        /// The kernel size.
        kernel: i64,
    },
}

impl Activation {
    fn apply(self, xs: &Tensor) -> Tensor {
        match self {
            Activation::Relu => xs.relu(),
            Activation::Gelu => xs.gelu("none"),
            Activation::Tanh => xs.tanh(),
            Activation::Silu => xs.silu(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Gelu => "gelu",
            Activation::Tanh => "tanh",
            Activation::Silu => "silu",
        }
    }
}

/// One layer of a built [`Net`].
#[derive(Debug)]
enum Layer {
    InputNorm,
    Conv(nn::Conv2D),
    BatchNorm(nn::BatchNorm),
    Act(Activation),
    MaxPool(i64),
    Dropout(f64),
    Flatten,
    Linear(nn::Linear),
}

/// A network built from a [`ModelSpec`]: input `N×1×28×28` floats in
/// `[0, 1]`, output `N×24` logits. Implements [`tch::nn::ModuleT`]
/// (`train = true` enables dropout and batch-norm statistics updates).
#[derive(Debug)]
pub struct Net {
    layers: Vec<Layer>,
}

impl ModuleT for Net {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut x = xs.shallow_clone();
        if channels_last()
            && x.dim() == 4
            && x.size()[1] > 1
            && matches!(self.layers.first(), Some(Layer::Conv(_)))
        {
            // (One-channel input needs no conversion: a channels-last weight
            // alone makes oneDNN run the convolution channels-last, and the
            // input then stays free of traced sizes.)
            x = to_channels_last(&x);
        }
        for layer in &self.layers {
            x = match layer {
                Layer::InputNorm => standardise(&x),
                Layer::Conv(c) => x.apply(c),
                Layer::BatchNorm(b) => x.apply_t(b, train),
                Layer::Act(a) => a.apply(&x),
                Layer::MaxPool(k) => x.max_pool2d([*k, *k], [*k, *k], [0, 0], [1, 1], false),
                Layer::Dropout(p) => x.dropout(*p, train),
                Layer::Flatten => x.flatten(1, -1),
                Layer::Linear(l) => x.apply(l),
            };
        }
        x
    }
}

/// Each image (all axes but the batch) to zero mean and unit variance;
/// a flat image becomes zeros. Traces into TorchScript for any batch size.
fn standardise(x: &Tensor) -> Tensor {
    let dims: Vec<i64> = (1..x.dim() as i64).collect();
    let mean = x.mean_dim(dims.as_slice(), true, tch::Kind::Float);
    let var = x.var_dim(dims.as_slice(), false, true);
    (x - mean) / (var + INPUT_NORM_EPS).sqrt()
}

/// Added to each image's variance before [`standardise`] divides by its
/// square root.
const INPUT_NORM_EPS: f64 = 1e-4;

/// The same 4-d tensor with channels-last strides, set exactly (also for
/// one channel, whose stride libtorch reads to pick the memory format).
///
/// Built from `permute` and `contiguous` only, so a traced (TorchScript)
/// model keeps working for any batch size. With one channel the strides stay
/// NCHW (libtorch sees both layouts there); [`exact_channels_last`] sets them.
fn to_channels_last(x: &Tensor) -> Tensor {
    x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
}

/// The same 4-d tensor with channels-last strides set exactly, also for one
/// channel, whose stride libtorch reads to pick the memory format. Uses the
/// tensor's sizes as constants: for weights only, never in `forward`.
fn exact_channels_last(x: &Tensor) -> Tensor {
    let s = x.size();
    let (c, h, w) = (s[1], s[2], s[3]);
    x.permute([0, 2, 3, 1]).contiguous().as_strided(
        [s[0], c, h, w],
        [h * w * c, 1, w * c, c],
        None::<i64>,
    )
}

/// One row of a [`Summary`]: a layer, its output shape and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Layer name and settings, e.g. `conv2d 32 3×3 same`.
    pub layer: String,
    /// Output shape without the batch axis, e.g. `[32, 26, 26]`.
    pub output_shape: Vec<i64>,
    /// All parameters (Keras convention: batch norm counts its moving mean and variance).
    pub params: i64,
    /// Trainable parameters.
    pub trainable: i64,
}

/// A Keras-style model summary: per-layer rows and totals. Shows as an HTML
/// table in the notebook and as a text table elsewhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// One row per layer, input side first.
    pub rows: Vec<SummaryRow>,
    /// All parameters (Keras's "Total params").
    pub total_params: i64,
    /// Trainable parameters (PyTorch's `sum(p.numel() for p in parameters())`).
    pub trainable_params: i64,
    /// Non-trainable parameters (batch-norm moving statistics).
    pub non_trainable_params: i64,
}

impl Summary {
    /// The summary as a [`Table`], totals in the caption.
    pub fn table(&self) -> Table {
        let mut t = Table::new(["layer", "output shape", "params"]).with_caption(format!(
            "Total params: {} (trainable {}, non-trainable {})",
            group(self.total_params),
            group(self.trainable_params),
            group(self.non_trainable_params)
        ));
        for r in &self.rows {
            let shape: Vec<String> = r.output_shape.iter().map(|d| d.to_string()).collect();
            t.push([
                r.layer.clone(),
                format!("(None, {})", shape.join(", ")),
                group(r.params),
            ]);
        }
        t
    }

    /// Converts to an [`Html`] value that shows inline in evcxr.
    pub fn to_display(&self) -> Html {
        self.table().to_display()
    }

    /// Shows the summary inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table().to_text())
    }
}

/// 1234567 → "1,234,567".
fn group(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn fmt_p(p: f64) -> String {
    format!("{p}")
}

impl DenseSpec {
    fn describe(&self) -> String {
        let sizes: Vec<String> = self.hidden.iter().map(|h| h.to_string()).collect();
        let mut s = if sizes.is_empty() {
            "dense -".to_string()
        } else {
            format!("dense {}", sizes.join("-"))
        };
        if self.activation != Activation::Relu {
            s += &format!(" {}", self.activation.name());
        }
        if self.batch_norm {
            s += " bn";
        }
        if self.dropout > 0.0 {
            s += &format!(" d{}", fmt_p(self.dropout));
        }
        s
    }

    fn validate(&self, prefix: &str) -> Result<(), ModelError> {
        for (i, &h) in self.hidden.iter().enumerate() {
            if h <= 0 {
                return Err(ModelError::NotPositive {
                    what: format!("{prefix}hidden layer {}", i + 1),
                    value: h,
                });
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(ModelError::BadDropout {
                what: format!("{prefix}dense"),
                value: self.dropout,
            });
        }
        Ok(())
    }
}

/// What one layer of the plan is, with its shapes: used both to build the
/// net and to summarise it, so the two cannot disagree.
enum Planned {
    InputNorm([i64; 3]),
    Conv {
        cin: i64,
        cout: i64,
        k: i64,
        pad: i64,
        shape: [i64; 3],
        padding: Padding,
    },
    BatchNorm {
        c: i64,
        shape: Vec<i64>,
    },
    Act(Activation, Vec<i64>),
    MaxPool(i64, [i64; 3]),
    Dropout(f64, Vec<i64>),
    Flatten(i64),
    Linear {
        fin: i64,
        fout: i64,
    },
}

impl ModelSpec {
    /// Checks sizes, kernels, pools and dropouts; [`ModelSpec::build`] and
    /// the trainer assume a valid spec.
    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            ModelSpec::Dense(d) => d.validate(""),
            ModelSpec::Cnn(c) => {
                let mut side = 28;
                for (i, b) in c.blocks.iter().enumerate() {
                    let block = i + 1;
                    for (what, v) in [("filters", b.filters), ("kernel", b.kernel)] {
                        if v <= 0 {
                            return Err(ModelError::NotPositive {
                                what: format!("conv block {block} {what}"),
                                value: v,
                            });
                        }
                    }
                    if let Some(p) = b.pool {
                        if p <= 0 {
                            return Err(ModelError::NotPositive {
                                what: format!("conv block {block} pool"),
                                value: p,
                            });
                        }
                    }
                    if !(0.0..1.0).contains(&b.dropout) {
                        return Err(ModelError::BadDropout {
                            what: format!("conv block {block}"),
                            value: b.dropout,
                        });
                    }
                    if b.padding == Padding::Same && b.kernel % 2 == 0 {
                        return Err(ModelError::EvenSameKernel {
                            block,
                            kernel: b.kernel,
                        });
                    }
                    if b.padding == Padding::Valid {
                        side -= b.kernel - 1;
                    }
                    if let Some(p) = b.pool {
                        side = side.max(0) / p;
                    }
                    if side < 1 {
                        return Err(ModelError::MapTooSmall { block, size: side });
                    }
                }
                c.head.validate("head ")
            }
        }
    }

    fn plan(&self) -> Vec<Planned> {
        let mut out = Vec::new();
        let dense = |out: &mut Vec<Planned>, d: &DenseSpec, mut fin: i64| {
            for &h in &d.hidden {
                out.push(Planned::Linear { fin, fout: h });
                if d.batch_norm {
                    out.push(Planned::BatchNorm {
                        c: h,
                        shape: vec![h],
                    });
                }
                out.push(Planned::Act(d.activation, vec![h]));
                if d.dropout > 0.0 {
                    out.push(Planned::Dropout(d.dropout, vec![h]));
                }
                fin = h;
            }
            out.push(Planned::Linear {
                fin,
                fout: NUM_CLASSES as i64,
            });
        };
        match self {
            ModelSpec::Dense(d) => {
                out.push(Planned::Flatten(784));
                dense(&mut out, d, 784);
            }
            ModelSpec::Cnn(c) => {
                let (mut ch, mut side) = (1i64, 28i64);
                if c.input_norm {
                    out.push(Planned::InputNorm([1, 28, 28]));
                }
                for b in &c.blocks {
                    let pad = match b.padding {
                        Padding::Same => b.kernel / 2,
                        Padding::Valid => 0,
                    };
                    side = side + 2 * pad - b.kernel + 1;
                    out.push(Planned::Conv {
                        cin: ch,
                        cout: b.filters,
                        k: b.kernel,
                        pad,
                        shape: [b.filters, side, side],
                        padding: b.padding,
                    });
                    ch = b.filters;
                    let shape = vec![ch, side, side];
                    if b.batch_norm {
                        out.push(Planned::BatchNorm {
                            c: ch,
                            shape: shape.clone(),
                        });
                    }
                    out.push(Planned::Act(c.activation, shape.clone()));
                    let mut shape = shape;
                    if let Some(p) = b.pool {
                        side /= p;
                        out.push(Planned::MaxPool(p, [ch, side, side]));
                        shape = vec![ch, side, side];
                    }
                    if b.dropout > 0.0 {
                        out.push(Planned::Dropout(b.dropout, shape));
                    }
                }
                let flat = ch * side * side;
                out.push(Planned::Flatten(flat));
                dense(&mut out, &c.head, flat);
            }
        }
        out
    }

    /// Builds the network's variables under `p` (call `tch::manual_seed`
    /// first for a seeded initialisation). Layers use libtorch's default
    /// initialisation. The spec should be valid ([`ModelSpec::validate`]).
    pub fn build(&self, p: &nn::Path) -> Net {
        let mut layers = Vec::new();
        let (mut nconv, mut nbn, mut nlin) = (0, 0, 0);
        for l in self.plan() {
            layers.push(match l {
                Planned::InputNorm(_) => Layer::InputNorm,
                Planned::Conv {
                    cin, cout, k, pad, ..
                } => {
                    nconv += 1;
                    let cfg = nn::ConvConfig {
                        padding: pad,
                        ..Default::default()
                    };
                    let conv = nn::conv2d(p / format!("conv{nconv}"), cin, cout, k, cfg);
                    if channels_last() {
                        // Same shape and values, NHWC storage: libtorch's
                        // oneDNN convolutions then run channels-last.
                        let mut w = conv.ws.shallow_clone();
                        let cl = exact_channels_last(&w);
                        tch::no_grad(|| w.set_data(&cl));
                    }
                    Layer::Conv(conv)
                }
                Planned::BatchNorm { c, shape } => {
                    nbn += 1;
                    let path = p / format!("bn{nbn}");
                    Layer::BatchNorm(if shape.len() == 3 {
                        nn::batch_norm2d(path, c, Default::default())
                    } else {
                        nn::batch_norm1d(path, c, Default::default())
                    })
                }
                Planned::Act(a, _) => Layer::Act(a),
                Planned::MaxPool(k, _) => Layer::MaxPool(k),
                Planned::Dropout(q, _) => Layer::Dropout(q),
                Planned::Flatten(_) => Layer::Flatten,
                Planned::Linear { fin, fout } => {
                    nlin += 1;
                    Layer::Linear(nn::linear(
                        p / format!("fc{nlin}"),
                        fin,
                        fout,
                        Default::default(),
                    ))
                }
            });
        }
        Net { layers }
    }

    /// A Keras-style summary: each layer with its output shape and
    /// parameter count, plus totals (batch norm counts 4 per channel, two of
    /// them non-trainable, as Keras does).
    pub fn summary(&self) -> Summary {
        let mut rows = Vec::new();
        for l in self.plan() {
            let (layer, output_shape, params, trainable) = match l {
                Planned::InputNorm(shape) => ("input_norm".to_string(), shape.to_vec(), 0, 0),
                Planned::Conv {
                    cin,
                    cout,
                    k,
                    shape,
                    padding,
                    ..
                } => {
                    let n = cin * cout * k * k + cout;
                    let pad = match padding {
                        Padding::Same => "same",
                        Padding::Valid => "valid",
                    };
                    (format!("conv2d {cout} {k}×{k} {pad}"), shape.to_vec(), n, n)
                }
                Planned::BatchNorm { c, shape } => ("batch_norm".to_string(), shape, 4 * c, 2 * c),
                Planned::Act(a, shape) => (a.name().to_string(), shape, 0, 0),
                Planned::MaxPool(k, shape) => (format!("max_pool {k}×{k}"), shape.to_vec(), 0, 0),
                Planned::Dropout(q, shape) => (format!("dropout {q}"), shape, 0, 0),
                Planned::Flatten(n) => ("flatten".to_string(), vec![n], 0, 0),
                Planned::Linear { fin, fout } => {
                    let n = fin * fout + fout;
                    (format!("dense {fout}"), vec![fout], n, n)
                }
            };
            rows.push(SummaryRow {
                layer,
                output_shape,
                params,
                trainable,
            });
        }
        let total_params = rows.iter().map(|r| r.params).sum();
        let trainable_params = rows.iter().map(|r| r.trainable).sum();
        Summary {
            rows,
            total_params,
            trainable_params,
            non_trainable_params: total_params - trainable_params,
        }
    }

    /// A short one-line description for run tables, e.g.
    /// `cnn 32-64 bn | dense 128 d0.3`.
    pub fn describe(&self) -> String {
        match self {
            ModelSpec::Dense(d) => d.describe(),
            ModelSpec::Cnn(c) => {
                let filters: Vec<String> = c.blocks.iter().map(|b| b.filters.to_string()).collect();
                let mut s = format!("cnn {}", filters.join("-"));
                let kernels: Vec<i64> = c.blocks.iter().map(|b| b.kernel).collect();
                if kernels.iter().any(|&k| k != 3) {
                    let k: Vec<String> = kernels.iter().map(|k| k.to_string()).collect();
                    s += &format!(" k{}", k.join("-"));
                }
                if c.blocks.iter().any(|b| b.padding == Padding::Valid) {
                    s += " valid";
                }
                if c.blocks.iter().any(|b| b.batch_norm) {
                    s += " bn";
                }
                if c.activation != Activation::Relu {
                    s += &format!(" {}", c.activation.name());
                }
                if c.input_norm {
                    s += " norm";
                }
                let drops: Vec<f64> = c
                    .blocks
                    .iter()
                    .map(|b| b.dropout)
                    .filter(|&d| d > 0.0)
                    .collect();
                if let Some(d) = drops.first() {
                    s += &format!(" d{}", fmt_p(*d));
                }
                format!("{s} | {}", c.head.describe())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    #[test]
    fn input_norm_standardises_each_image_and_shows_in_the_spec() {
        let mut spec = crate::presets::cnn2();
        if let ModelSpec::Cnn(c) = &mut spec {
            c.input_norm = true;
        }
        assert_eq!(spec.describe(), "cnn 32-64 bn norm | dense 128 d0.3");
        let summary = spec.summary();
        assert_eq!(summary.rows[0].layer, "input_norm");
        assert_eq!(
            summary.total_params,
            crate::presets::cnn2().summary().total_params
        );
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains(r#""input_norm":true"#), "{json}");
        assert_eq!(serde_json::from_str::<ModelSpec>(&json).unwrap(), spec);
        let x = Tensor::rand([4, 1, 28, 28], (Kind::Float, Device::Cpu));
        let z = standardise(&x);
        let mean = z.mean_dim([1i64, 2, 3].as_slice(), false, Kind::Float);
        let std = z.std_dim([1i64, 2, 3].as_slice(), false, false);
        assert!(mean.abs().max().double_value(&[]) < 1e-5);
        assert!((std - 1.0).abs().max().double_value(&[]) < 1e-2);
        // A network with it ignores brightness and contrast changes.
        let vs = VarStore::new(Device::Cpu);
        let net = spec.build(&vs.root());
        let (a, b) = (
            net.forward_t(&x, false),
            net.forward_t(&(&x * 0.5 + 0.2), false),
        );
        let diff = (&a - &b).abs().max().double_value(&[]);
        assert!(
            diff < 0.02 * a.abs().max().double_value(&[]).max(1.0),
            "{diff}"
        );
        let flat = Tensor::full([1, 1, 28, 28], 0.7, (Kind::Float, Device::Cpu));
        // A flat image gives (nearly) zeros, not NaN or huge values.
        let z = standardise(&flat).abs().max().double_value(&[]);
        assert!(z < 1e-3, "{z}");
    }

    #[test]
    fn invalid_specs_are_rejected() {
        let mut bad = crate::presets::cnn2();
        if let ModelSpec::Cnn(c) = &mut bad {
            c.blocks = vec![c.blocks[0].clone(); 5];
        }
        assert!(matches!(
            bad.validate(),
            Err(ModelError::MapTooSmall { block: 5, .. })
        ));
        let bad = ModelSpec::Dense(DenseSpec {
            hidden: vec![0],
            ..Default::default()
        });
        assert!(bad.validate().is_err());
        assert!(crate::presets::cnn2().validate().is_ok());
    }
}

#[cfg(test)]
mod weight_file_tests {
    use super::*;
    use tch::{nn::ModuleT, Device, Kind};

    /// The channels-last conversion gives exact channels-last strides, one
    /// channel included.
    #[test]
    fn channels_last_strides_are_exact() {
        let x = Tensor::zeros([5, 1, 28, 28], (Kind::Float, Device::Cpu));
        assert_eq!(exact_channels_last(&x).stride(), vec![784, 1, 28, 1]);
        let x = Tensor::zeros([5, 32, 14, 14], (Kind::Float, Device::Cpu));
        assert_eq!(
            to_channels_last(&x).stride(),
            vec![14 * 14 * 32, 1, 14 * 32, 32]
        );
    }

    /// The real CNN exports to TorchScript that works for other batch sizes
    /// than the traced one.
    #[test]
    fn cnn_exports_to_torchscript() {
        tch::manual_seed(2);
        let spec = crate::presets::cnn2();
        let vs = nn::VarStore::new(Device::Cpu);
        let net = spec.build(&vs.root());
        let dir = tempfile::tempdir().unwrap();
        let info = crate::export::export_model(dir.path(), &spec, &vs, &net).unwrap();
        assert!(info.max_abs_diff < 1e-4, "{}", info.max_abs_diff);
    }

    /// A CNN with input normalisation traces into TorchScript and passes the
    /// export's check on another batch size.
    #[test]
    fn input_norm_exports_to_torchscript() {
        tch::manual_seed(3);
        let mut spec = crate::presets::cnn2();
        if let ModelSpec::Cnn(c) = &mut spec {
            c.input_norm = true;
        }
        let vs = nn::VarStore::new(Device::Cpu);
        let net = spec.build(&vs.root());
        let dir = tempfile::tempdir().unwrap();
        let info = crate::export::export_model(dir.path(), &spec, &vs, &net).unwrap();
        assert!(info.max_abs_diff < 1e-4, "{}", info.max_abs_diff);
        let classifier = crate::export::Classifier::load(dir.path()).unwrap();
        let x = Tensor::rand([5, 1, 28, 28], (Kind::Float, Device::Cpu));
        let p = classifier.probabilities(&(&x * 0.5 + 0.3)).unwrap();
        let q = net.forward_t(&x, false).softmax(-1, Kind::Float);
        let diff = (&p - &q).abs().max().double_value(&[]);
        assert!(diff < 5e-3, "{diff}");
    }
}
