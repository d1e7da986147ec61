//! Model descriptions ([`ModelSpec`]) and the tch networks built from them.
//!
//! A spec is plain data (serde, round-trips through JSON), so the study
//! ledger can store it and hash it. Two families: densely connected
//! ([`DenseSpec`]) and convolutional ([`CnnSpec`]: conv blocks, then a dense head).
//! Inputs are `N×1×28×28` float images in `[0, 1]` (or, for a dense network
//! with [`DenseSpec::inputs`], `N×inputs` feature vectors); outputs are 24 logits.

use serde::{Deserialize, Serialize};
use tch::Tensor;

/// Activation function of hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x), the only one the study uses.
    #[default]
    Relu,
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
    /// Inputs when the network reads a vector of features (e.g. the 85 of a
    /// hand's landmarks, [`crate::landmarks::FEATURE_LEN`]) instead of a
    /// 28×28 image; `None` = 784 pixels. Ignored in a CNN's head. Absent from
    /// the JSON when `None`, so older specs key the ledger as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<i64>,
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

impl ConvBlock {
    /// The block of the study's CNNs: `filters` `kernel`×`kernel`
    /// convolutions with same padding, batch norm, 2×2 max pooling, no dropout.
    pub fn pooled(filters: i64, kernel: i64) -> ConvBlock {
        ConvBlock {
            filters,
            kernel,
            padding: Padding::Same,
            batch_norm: true,
            pool: Some(2),
            dropout: 0.0,
        }
    }
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

mod describe;
mod net;
mod summary;
#[cfg(test)]
mod tests;

pub use net::Net;
pub use summary::{Summary, SummaryRow};

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
    pub(crate) fn apply(self, xs: &Tensor) -> Tensor {
        match self {
            Activation::Relu => xs.relu(),
        }
    }

    /// Whether max pooling gives the same values before or after this
    /// activation: true for a non-decreasing function such as ReLU.
    pub(crate) fn commutes_with_max_pool(self) -> bool {
        match self {
            Activation::Relu => true,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
        }
    }
}

impl DenseSpec {
    fn validate(&self, prefix: &str) -> Result<(), ModelError> {
        if let Some(inputs) = self.inputs.filter(|&n| n <= 0) {
            return Err(ModelError::NotPositive {
                what: format!("{prefix}inputs"),
                value: inputs,
            });
        }
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
}
