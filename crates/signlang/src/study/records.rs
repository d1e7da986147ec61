//! The runs as flat records, one column per setting, for pandas, polars,
//! spreadsheets and scripts: [`RunRecord`] (written by
//! [`super::RunsTable`]'s `to_flat_dataframe`, `to_csv` and `to_json`).
//!
//! The column set ([`RUN_COLUMNS`]) is the same for dense and CNN runs:
//! a setting that does not apply (conv settings of a dense model, the
//! momentum of Adam, …) is empty in CSV and `null` in JSON. Per-block conv
//! settings are joined with `-` in block order (`conv_filters` =
//! `32-64-128`); for a CNN, `hidden`, `activation`, `batch_norm` and
//! `dropout` describe its dense head.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::RunEntry;
use crate::model::{Activation, DenseSpec, ModelSpec, Padding};
use crate::train::{Optimizer, Schedule};

/// The type of a column of [`RUN_COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Text.
    Text,
    /// Integer.
    Int,
    /// Floating point.
    Float,
    /// true / false.
    Bool,
}

/// One cell of a [`RunRecord`]; `None` where the setting does not apply.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(Option<String>),
    /// Integer.
    Int(Option<i64>),
    /// Floating point.
    Float(Option<f64>),
    /// true / false.
    Bool(Option<bool>),
}

impl Cell {
    /// The cell's type.
    pub fn kind(&self) -> CellKind {
        match self {
            Cell::Text(_) => CellKind::Text,
            Cell::Int(_) => CellKind::Int,
            Cell::Float(_) => CellKind::Float,
            Cell::Bool(_) => CellKind::Bool,
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(v) => v.serialize(s),
            Cell::Int(v) => v.serialize(s),
            Cell::Float(v) => v.filter(|x| x.is_finite()).serialize(s),
            Cell::Bool(v) => v.serialize(s),
        }
    }
}

use CellKind::{Bool, Float, Int, Text};

/// The columns of a [`RunRecord`], in order, with their types.
pub const RUN_COLUMNS: &[(&str, CellKind)] = &[
    ("id", Text),
    ("family", Text),
    ("status", Text),
    ("label", Text),
    ("settings", Text),
    ("conv_filters", Text),
    ("conv_kernels", Text),
    ("conv_padding", Text),
    ("conv_batch_norm", Text),
    ("conv_pool", Text),
    ("conv_dropout", Text),
    ("conv_activation", Text),
    ("hidden", Text),
    ("activation", Text),
    ("batch_norm", Bool),
    ("dropout", Float),
    ("optimizer", Text),
    ("momentum", Float),
    ("nesterov", Bool),
    ("lr", Float),
    ("schedule", Text),
    ("step_every", Int),
    ("step_gamma", Float),
    ("onecycle_warmup", Float),
    ("batch_size", Int),
    ("max_epochs", Int),
    ("weight_decay", Float),
    ("label_smoothing", Float),
    ("early_stopping_patience", Int),
    ("early_stopping_min_delta", Float),
    ("augmentation", Bool),
    ("aug_shift", Float),
    ("aug_rotate", Float),
    ("aug_zoom", Float),
    ("aug_brightness", Float),
    ("aug_contrast", Float),
    ("seed", Int),
    ("epochs", Int),
    ("best_val_accuracy", Float),
    ("best_val_loss", Float),
    ("val_accuracy", Float),
    ("val_loss", Float),
    ("seconds", Float),
    ("started_at", Text),
    ("finished_at", Text),
    ("test_touches", Int),
    ("message", Text),
];

/// One run as flat cells, aligned with [`RUN_COLUMNS`]. Serializes to a
/// JSON object with the columns as keys, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// The cells, one per column of [`RUN_COLUMNS`].
    pub cells: Vec<Cell>,
}

impl Serialize for RunRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.cells.len()))?;
        for ((name, _), cell) in RUN_COLUMNS.iter().zip(&self.cells) {
            map.serialize_entry(name, cell)?;
        }
        map.end()
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(Some(s.into()))
}

fn joined<T>(items: &[T], f: impl Fn(&T) -> String) -> Cell {
    text(items.iter().map(f).collect::<Vec<_>>().join("-"))
}

fn act(a: Activation) -> Cell {
    let name = serde_json::to_value(a).ok();
    Cell::Text(name.and_then(|v| v.as_str().map(str::to_string)))
}

impl RunRecord {
    /// The record of a run; `test_touches` is how often the test split was
    /// evaluated with it.
    pub fn of(e: &RunEntry, settings: &str, test_touches: usize) -> RunRecord {
        let mut cells = vec![
            text(&e.id),
            text(e.family()),
            text(e.status.name()),
            Cell::Text(e.label.clone()),
            text(settings),
        ];
        cells.extend(model_cells(&e.spec));
        cells.extend(config_cells(&e.config));
        let v = e.validation.as_ref();
        let int = |n: usize| Cell::Int(i64::try_from(n).ok());
        cells.extend([
            Cell::Int(i64::try_from(e.seed).ok()),
            int(e.epochs.len()),
            Cell::Float(v.map(|v| v.best_accuracy)),
            Cell::Float(v.map(|v| v.best_loss)),
            Cell::Float(v.map(|v| v.accuracy)),
            Cell::Float(v.map(|v| v.loss)),
            Cell::Float(e.seconds),
            text(&e.started_at),
            Cell::Text(e.finished_at.clone()),
            int(test_touches),
            Cell::Text(e.message.clone()),
        ]);
        RunRecord { cells }
    }

    /// The cell of a column, by name.
    pub fn get(&self, column: &str) -> Option<&Cell> {
        let i = RUN_COLUMNS.iter().position(|(n, _)| *n == column)?;
        self.cells.get(i)
    }
}

/// conv_filters … dropout (11 cells).
fn model_cells(spec: &ModelSpec) -> Vec<Cell> {
    let head = |d: &DenseSpec| {
        [
            joined(&d.hidden, |h| h.to_string()),
            act(d.activation),
            Cell::Bool(Some(d.batch_norm)),
            Cell::Float(Some(d.dropout)),
        ]
    };
    match spec {
        ModelSpec::Dense(d) => {
            let mut cells = vec![Cell::Text(None); 7];
            cells.extend(head(d));
            cells
        }
        ModelSpec::Cnn(c) => {
            let b = &c.blocks;
            let mut cells = vec![
                joined(b, |b| b.filters.to_string()),
                joined(b, |b| b.kernel.to_string()),
                joined(b, |b| match b.padding {
                    Padding::Same => "same".into(),
                    Padding::Valid => "valid".into(),
                }),
                joined(b, |b| b.batch_norm.to_string()),
                joined(b, |b| b.pool.map_or("none".into(), |p| p.to_string())),
                joined(b, |b| b.dropout.to_string()),
                act(c.activation),
            ];
            cells.extend(head(&c.head));
            cells
        }
    }
}

/// optimizer … aug_contrast (20 cells).
fn config_cells(c: &crate::train::TrainConfig) -> Vec<Cell> {
    let (optimizer, momentum, nesterov) = match &c.optimizer {
        Optimizer::Sgd { momentum, nesterov } => ("sgd", Some(*momentum), Some(*nesterov)),
        Optimizer::Adam => ("adam", None, None),
        Optimizer::AdamW => ("adamw", None, None),
    };
    let (schedule, every, gamma, warmup) = match &c.schedule {
        Schedule::Constant => ("constant", None, None, None),
        Schedule::Step { every, gamma } => ("step", i64::try_from(*every).ok(), Some(*gamma), None),
        Schedule::Cosine => ("cosine", None, None, None),
        Schedule::OneCycle { warmup } => ("one_cycle", None, None, Some(*warmup)),
    };
    let es = c.early_stopping.as_ref();
    let aug = c.augmentation.as_ref();
    let aug_f = |f: fn(&crate::train::Augmentation) -> f64| Cell::Float(aug.map(f));
    vec![
        text(optimizer),
        Cell::Float(momentum),
        Cell::Bool(nesterov),
        Cell::Float(Some(c.lr)),
        text(schedule),
        Cell::Int(every),
        Cell::Float(gamma),
        Cell::Float(warmup),
        Cell::Int(i64::try_from(c.batch_size).ok()),
        Cell::Int(i64::try_from(c.epochs).ok()),
        Cell::Float(Some(c.weight_decay)),
        Cell::Float(Some(c.label_smoothing)),
        Cell::Int(es.and_then(|e| i64::try_from(e.patience).ok())),
        Cell::Float(es.map(|e| e.min_delta)),
        Cell::Bool(Some(aug.is_some())),
        aug_f(|a| a.shift),
        aug_f(|a| a.rotate),
        aug_f(|a| a.zoom),
        aug_f(|a| a.brightness),
        aug_f(|a| a.contrast),
    ]
}

/// Errors of writing the runs out.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// Building or writing the table failed.
    #[cfg(feature = "polars")]
    #[error("writing the runs table: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// Writing JSON failed.
    #[error("writing the runs as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
