//! A Keras-style summary of a spec: layers, output shapes, parameters.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::net::Planned;
use super::{ModelSpec, Padding};
use crate::display::{Html, Table};

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
    /// Floating-point operations of one image's forward pass (a multiply-add
    /// counts 2; only convolutions and dense layers are counted, the rest is
    /// under 1% for these models).
    #[serde(default)]
    pub flops: i64,
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
    /// Floating-point operations of one image's forward pass.
    pub fn forward_flops(&self) -> i64 {
        self.rows.iter().map(|r| r.flops).sum()
    }

    /// Floating-point operations to train on one image: forward plus
    /// backward, counted as 3× the forward pass (the usual convention: the
    /// backward pass computes two products per layer, for the input's and the
    /// weights' gradients). Divide an epoch's operations by its seconds to get
    /// the training throughput that `signlang bench` reports.
    pub fn train_flops_per_image(&self) -> i64 {
        3 * self.forward_flops()
    }

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
        if i > 0 && (s.len() - i).is_multiple_of(3) {
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

impl ModelSpec {
    /// A Keras-style summary: each layer with its output shape and
    /// parameter count, plus totals (batch norm counts 4 per channel, two of
    /// them non-trainable, as Keras does).
    pub fn summary(&self) -> Summary {
        let mut rows = Vec::new();
        for l in self.plan() {
            let flops = match &l {
                Planned::Conv {
                    cin,
                    cout,
                    k,
                    shape,
                    ..
                } => 2 * cin * k * k * cout * shape[1] * shape[2],
                Planned::Linear { fin, fout } => 2 * fin * fout,
                _ => 0,
            };
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
                flops,
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
}
