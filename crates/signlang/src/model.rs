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
