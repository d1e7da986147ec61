//! The tch network built from a spec: a plan of layers with their shapes
//! (shared with the summary), the layers, and the forward pass.

use tch::nn::{self, ModuleT};
use tch::Tensor;

use super::{Activation, ConvBlock, DenseSpec, ModelSpec, Padding};
use crate::runtime::channels_last;
use crate::NUM_CLASSES;

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
            x = layer.apply(&x, train);
        }
        x
    }
}

impl Layer {
    fn apply(&self, x: &Tensor, train: bool) -> Tensor {
        match self {
            Layer::InputNorm => standardise(x),
            Layer::Conv(c) => x.apply(c),
            Layer::BatchNorm(b) => x.apply_t(b, train),
            Layer::Act(a) => a.apply(x),
            Layer::MaxPool(k) => x.max_pool2d([*k, *k], [*k, *k], [0, 0], [1, 1], false),
            Layer::Dropout(p) => x.dropout(*p, train),
            Layer::Flatten => x.flatten(1, -1),
            Layer::Linear(l) => x.apply(l),
        }
    }
}

impl Net {
    /// Index of the last linear layer (the layer count when there is none).
    fn last_linear(&self) -> usize {
        self.layers
            .iter()
            .rposition(|l| matches!(l, Layer::Linear(_)))
            .unwrap_or(self.layers.len())
    }

    /// The features the last linear layer reads (every layer before it),
    /// for adapters that refit only that layer ([`crate::adapt`]).
    pub fn features_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut x = xs.shallow_clone();
        for layer in &self.layers[..self.last_linear()] {
            x = layer.apply(&x, train);
        }
        x
    }

    /// Logits and penultimate features (the input of the last linear
    /// layer, flattened) of `xs` in eval mode: `(N×24, N×F)`.
    pub fn logits_and_features(&self, xs: &Tensor) -> (Tensor, Tensor) {
        let features = self.features_t(xs, false);
        let mut x = features.shallow_clone();
        for layer in &self.layers[self.last_linear()..] {
            x = layer.apply(&x, false);
        }
        (x, features.flatten(1, -1))
    }
}

/// Each image (all axes but the batch) to zero mean and unit variance;
/// a flat image becomes zeros. Traces into TorchScript for any batch size.
pub(super) fn standardise(x: &Tensor) -> Tensor {
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
pub(super) fn to_channels_last(x: &Tensor) -> Tensor {
    x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
}

/// The same 4-d tensor with channels-last strides set exactly, also for one
/// channel, whose stride libtorch reads to pick the memory format. Uses the
/// tensor's sizes as constants: for weights only, never in `forward`.
pub(super) fn exact_channels_last(x: &Tensor) -> Tensor {
    let s = x.size();
    let (c, h, w) = (s[1], s[2], s[3]);
    x.permute([0, 2, 3, 1]).contiguous().as_strided(
        [s[0], c, h, w],
        [h * w * c, 1, w * c, c],
        None::<i64>,
    )
}

/// What one layer of the plan is, with its shapes: used both to build the
/// net and to summarise it, so the two cannot disagree.
pub(super) enum Planned {
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

/// Plans dense layers from `fin` inputs: each hidden layer (with batch
/// norm, activation, dropout as set), then the 24 outputs.
fn plan_dense(out: &mut Vec<Planned>, d: &DenseSpec, mut fin: i64) {
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
}

/// Plans one convolution block on `ch` channels of `side`×`side` and
/// returns the channels and side after it.
fn plan_block(
    out: &mut Vec<Planned>,
    b: &ConvBlock,
    act: Activation,
    ch: i64,
    side: i64,
) -> (i64, i64) {
    let pad = match b.padding {
        Padding::Same => b.kernel / 2,
        Padding::Valid => 0,
    };
    let mut side = side + 2 * pad - b.kernel + 1;
    out.push(Planned::Conv {
        cin: ch,
        cout: b.filters,
        k: b.kernel,
        pad,
        shape: [b.filters, side, side],
        padding: b.padding,
    });
    let ch = b.filters;
    let mut shape = vec![ch, side, side];
    if b.batch_norm {
        out.push(Planned::BatchNorm {
            c: ch,
            shape: shape.clone(),
        });
    }
    out.push(Planned::Act(act, shape.clone()));
    if let Some(p) = b.pool {
        side /= p;
        out.push(Planned::MaxPool(p, [ch, side, side]));
        shape = vec![ch, side, side];
    }
    if b.dropout > 0.0 {
        out.push(Planned::Dropout(b.dropout, shape));
    }
    (ch, side)
}

impl ModelSpec {
    pub(super) fn plan(&self) -> Vec<Planned> {
        let mut out = Vec::new();
        match self {
            ModelSpec::Dense(d) => {
                let inputs = d.inputs.unwrap_or(784);
                out.push(Planned::Flatten(inputs));
                plan_dense(&mut out, d, inputs);
            }
            ModelSpec::Cnn(c) => {
                let (mut ch, mut side) = (1i64, 28i64);
                if c.input_norm {
                    out.push(Planned::InputNorm([1, 28, 28]));
                }
                for b in &c.blocks {
                    (ch, side) = plan_block(&mut out, b, c.activation, ch, side);
                }
                let flat = ch * side * side;
                out.push(Planned::Flatten(flat));
                plan_dense(&mut out, &c.head, flat);
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
        pool_before_activation(&mut layers);
        Net { layers }
    }
}

/// Runs each max pool before the activation that the plan puts in front of
/// it, where the two commute ([`Activation::commutes_with_max_pool`]):
/// `max(relu(a), relu(b)) = relu(max(a, b))` exactly, and the gradients
/// reach the same inputs with the same values, so training is unchanged.
/// The activation then runs on a quarter of the values, and on
/// channels-last maps libtorch's max-pool backward no longer receives an
/// NCHW gradient that it copies to and from the full-size layout (two
/// copies of the largest map per step; measured on `baseline_cnn`).
fn pool_before_activation(layers: &mut [Layer]) {
    for i in 1..layers.len() {
        if let [Layer::Act(a), Layer::MaxPool(_)] = &layers[i - 1..=i] {
            if a.commutes_with_max_pool() {
                layers.swap(i - 1, i);
            }
        }
    }
}
