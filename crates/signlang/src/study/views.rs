//! Views of a study: the runs table (text, HTML, polars), best-k selection
//! on validation, and the budget line.

use std::cmp::Ordering;
use std::fmt;

use super::records::{Cell, RunRecord, RUN_COLUMNS};
use super::{EntryStatus, RunEntry, Study, TestTouch};
use crate::display::{Html, Table};
use crate::model::ModelSpec;
use crate::train::TrainConfig;

/// One row of the runs table.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Run id.
    pub id: String,
    /// "dense" or "cnn".
    pub family: String,
    /// Short summary of the model and config ([`settings_summary`]).
    pub settings: String,
    /// Status name.
    pub status: String,
    /// Epochs that finished.
    pub epochs: usize,
    /// Best validation accuracy over the epochs.
    pub best_val_accuracy: Option<f64>,
    /// Lowest validation loss over the epochs.
    pub best_val_loss: Option<f64>,
    /// Wall-clock seconds of training.
    pub seconds: Option<f64>,
}

impl RunRow {
    fn of(e: &RunEntry) -> Self {
        RunRow {
            id: e.id.clone(),
            family: e.family().to_string(),
            settings: match &e.label {
                Some(l) => format!("{} [{l}]", settings_summary(&e.spec, &e.config)),
                None => settings_summary(&e.spec, &e.config),
            },
            status: e.status.name().to_string(),
            epochs: e.epochs.len(),
            best_val_accuracy: e.validation.as_ref().map(|v| v.best_accuracy),
            best_val_loss: e.validation.as_ref().map(|v| v.best_loss),
            seconds: e.seconds,
        }
    }
}

/// A table of runs, one row per run; shows inline in evcxr, prints as text,
/// and converts to JSON ([`RunsTable::to_json`]) and, with the `polars`
/// feature (on by default), to a polars `DataFrame` and CSV
/// (`to_flat_dataframe`, `to_csv`): one flat record per run.
#[derive(Clone, Debug, Default)]
pub struct RunsTable {
    /// The rows.
    pub rows: Vec<RunRow>,
    /// The same runs as flat records (every setting its own column).
    pub records: Vec<RunRecord>,
    /// Caption (e.g. the budget line).
    pub caption: Option<String>,
}

impl RunsTable {
    /// The table of some runs.
    pub fn of(entries: &[RunEntry]) -> Self {
        let rows: Vec<RunRow> = entries.iter().map(RunRow::of).collect();
        let records = entries
            .iter()
            .zip(&rows)
            .map(|(e, r)| RunRecord::of(e, &r.settings, 0))
            .collect();
        RunsTable {
            rows,
            records,
            caption: None,
        }
    }

    /// Sets each record's `test_touches` to the number of `touches` of its run.
    pub fn with_test_touches(mut self, touches: &[TestTouch]) -> Self {
        let column = RUN_COLUMNS
            .iter()
            .position(|(n, _)| *n == "test_touches")
            .unwrap_or(0);
        for (row, record) in self.rows.iter().zip(&mut self.records) {
            let n = touches.iter().filter(|t| t.run_id == row.id).count();
            record.cells[column] = Cell::Int(i64::try_from(n).ok());
        }
        self
    }

    /// As a [`Table`].
    pub fn to_table(&self) -> Table {
        let mut t = Table::new([
            "id",
            "family",
            "settings",
            "status",
            "epochs",
            "best val acc",
            "best val loss",
            "seconds",
        ]);
        if let Some(c) = &self.caption {
            t = t.with_caption(c.clone());
        }
        let opt = |v: Option<f64>, digits: usize| {
            v.map(|x| format!("{x:.digits$}"))
                .unwrap_or_else(|| "-".into())
        };
        for r in &self.rows {
            t.push([
                r.id.clone(),
                r.family.clone(),
                r.settings.clone(),
                r.status.clone(),
                r.epochs.to_string(),
                opt(r.best_val_accuracy, 4),
                opt(r.best_val_loss, 4),
                opt(r.seconds, 1),
            ]);
        }
        t
    }

    /// As HTML with a text fallback.
    pub fn to_display(&self) -> Html {
        self.to_table().to_display()
    }

    /// Shows the table inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_table().evcxr_display()
    }
}

impl fmt::Display for RunsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_table().fmt(f)
    }
}

/// Orders runs for selection: by validation accuracy of the kept weights
/// (higher first), then validation loss (lower first); runs without
/// validation metrics last.
pub(crate) fn by_validation(a: &RunEntry, b: &RunEntry) -> Ordering {
    match (&a.validation, &b.validation) {
        (Some(x), Some(y)) => y
            .accuracy
            .partial_cmp(&x.accuracy)
            .unwrap_or(Ordering::Equal)
            .then(x.loss.partial_cmp(&y.loss).unwrap_or(Ordering::Equal)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The one "best runs" ranking: the runs with weights (completed or
/// stopped early) among `items`, best first [`by_validation`].
pub(crate) fn best_first<T>(
    items: impl IntoIterator<Item = T>,
    entry: impl Fn(&T) -> &RunEntry,
) -> Vec<T> {
    let mut runs: Vec<T> = items
        .into_iter()
        .filter(|t| entry(t).status.has_weights())
        .collect();
    runs.sort_by(|a, b| by_validation(entry(a), entry(b)));
    runs
}

impl fmt::Display for Study {
    /// The runs table (captioned with the budget line) and the test line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.table(), self.test_line())
    }
}

impl Study {
    /// Shows the runs table inline in evcxr.
    pub fn evcxr_display(&self) {
        self.table().evcxr_display()
    }

    /// The runs table, captioned with the budget line.
    pub fn table(&self) -> RunsTable {
        let mut t = RunsTable::of(self.runs()).with_test_touches(self.test_touches());
        t.caption = Some(self.budget_line());
        t
    }

    /// The `k` best runs with weights (completed or stopped early), by
    /// validation accuracy of the kept weights, ties broken by validation
    /// loss. The test split is not involved.
    pub fn best(&self, k: usize) -> Vec<RunEntry> {
        let with_metrics = self.runs().iter().filter(|r| r.validation.is_some());
        best_first(with_metrics, |r| r)
            .into_iter()
            .take(k)
            .cloned()
            .collect()
    }

    /// "37 / 50 runs used (3 cached requests)", with interrupted and failed
    /// runs named when there are any.
    pub fn budget_line(&self) -> String {
        let count = |s: EntryStatus| self.runs().iter().filter(|r| r.status == s).count();
        let mut notes = Vec::new();
        for s in [
            EntryStatus::Running,
            EntryStatus::Interrupted,
            EntryStatus::Failed,
            EntryStatus::Diverged,
        ] {
            let n = count(s);
            if n > 0 {
                notes.push(format!("{n} {}", s.name()));
            }
        }
        let c = self.cached_requests();
        notes.push(format!(
            "{c} cached request{}",
            if c == 1 { "" } else { "s" }
        ));
        format!(
            "{} / {} runs used ({})",
            self.used(),
            self.budget(),
            notes.join(", ")
        )
    }

    /// "test split evaluated 2 times: r012, r015", for the notebook.
    pub fn test_line(&self) -> String {
        let touches = self.test_touches();
        if touches.is_empty() {
            return "test split not evaluated yet".into();
        }
        let ids: Vec<&str> = touches.iter().map(|t| t.run_id.as_str()).collect();
        format!(
            "test split evaluated {} time{}: {}",
            touches.len(),
            if touches.len() == 1 { "" } else { "s" },
            ids.join(", ")
        )
    }
}

/// A compact one-line summary of a model and its training config, e.g.
/// `cnn 32c3p2-64c3p2 fc128 relu | adam lr=0.001 bs=64 cosine 10ep seed=1`:
/// the [`ModelSpec`] and [`TrainConfig`] `Display`s joined by ` | `.
pub fn settings_summary(spec: &ModelSpec, config: &TrainConfig) -> String {
    format!("{spec} | {config}")
}
