//! Views of a study: the rows of the runs table, best-k selection on
//! validation, and the budget line.

use std::cmp::Ordering;

use super::{EntryStatus, RunEntry, Study};
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
    pub(super) fn of(e: &RunEntry) -> Self {
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

impl Study {
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
