//! The short one-line description of a spec, e.g. `cnn 32-64 bn | dense 128 d0.3`.

use std::fmt;

use super::{Activation, DenseSpec, ModelSpec, Padding};
use crate::display::short_number as num;

fn fmt_p(p: f64) -> String {
    format!("{p}")
}

impl DenseSpec {
    fn describe(&self) -> String {
        let sizes: Vec<String> = self.hidden.iter().map(|h| h.to_string()).collect();
        let mut s = if sizes.is_empty() {
            // No hidden layer: one linear map to the letters (logistic regression).
            "linear".to_string()
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
        if let Some(inputs) = self.inputs {
            s += &format!(" on {inputs} features");
        }
        s
    }
}

impl ModelSpec {
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

/// The hidden sizes joined by `-`, then ` bn` and ` do<p>` when on.
fn dense_settings(d: &DenseSpec, prefix: &str) -> String {
    let sizes: Vec<String> = d.hidden.iter().map(|h| h.to_string()).collect();
    let mut s = format!("{prefix}{}", sizes.join("-"));
    if d.batch_norm {
        s += " bn";
    }
    if d.dropout > 0.0 {
        s += &format!(" do{}", num(d.dropout));
    }
    s
}

/// One conv block as `<filters>c<kernel>` with `v` (valid), `b` (batch
/// norm), `p<pool>` and `d<dropout>` when on.
fn block_settings(b: &super::ConvBlock) -> String {
    let mut s = format!("{}c{}", b.filters, b.kernel);
    if b.padding == Padding::Valid {
        s += "v";
    }
    if b.batch_norm {
        s += "b";
    }
    if let Some(p) = b.pool {
        s += &format!("p{p}");
    }
    if b.dropout > 0.0 {
        s += &format!("d{}", num(b.dropout));
    }
    s
}

/// Every setting of the spec on one line, as in the runs table, e.g.
/// `cnn 32c3bp2-64c3bp2 fc128 do0.3 relu` or `dense 512-256 relu`.
impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSpec::Dense(d) => {
                write!(f, "dense {} {}", dense_settings(d, ""), d.activation.name())
            }
            ModelSpec::Cnn(c) => {
                let blocks: Vec<String> = c.blocks.iter().map(block_settings).collect();
                let head = dense_settings(&c.head, "fc");
                write!(f, "cnn {} {head} {}", blocks.join("-"), c.activation.name())
            }
        }
    }
}
