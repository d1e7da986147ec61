//! The runs table ([`RunsTable`], [`Study::table`]): one row per run, shown
//! as text and HTML,
//! and the same runs as flat records ([`RunRecord`]) written as JSON and,
//! with the `polars` feature, as a polars `DataFrame` and CSV.

use std::fmt;
use std::path::Path;

#[cfg(feature = "polars")]
use polars::prelude::{Column, CsvWriter, DataFrame, NamedFrom, PolarsResult, SerWriter, Series};

#[cfg(feature = "polars")]
use super::records::CellKind::{Bool, Float, Int, Text};
use super::records::{Cell, RecordsError, RunRecord, RUN_COLUMNS};
use super::views::RunRow;
use super::{RunEntry, Study, TestTouch};
use crate::display::{Html, Table};

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
}

impl fmt::Display for Study {
    /// The runs table (captioned with the budget line) and the test line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.table(), self.test_line())
    }
}

#[cfg(feature = "polars")]
impl RunsTable {
    /// The runs as a polars `DataFrame` with the columns of [`RUN_COLUMNS`]
    /// (nulls where a setting does not apply), one row per run.
    pub fn to_flat_dataframe(&self) -> PolarsResult<DataFrame> {
        let columns = RUN_COLUMNS
            .iter()
            .enumerate()
            .map(|(j, &(name, kind))| {
                let cells = self.records.iter().map(|r| &r.cells[j]);
                match kind {
                    Text => column(name, cells, |c| match c {
                        Cell::Text(v) => v.clone(),
                        _ => None,
                    }),
                    Int => column(name, cells, |c| match c {
                        Cell::Int(v) => *v,
                        _ => None,
                    }),
                    Float => column(name, cells, |c| match c {
                        Cell::Float(v) => *v,
                        _ => None,
                    }),
                    Bool => column(name, cells, |c| match c {
                        Cell::Bool(v) => *v,
                        _ => None,
                    }),
                }
            })
            .collect();
        DataFrame::new(self.records.len(), columns)
    }

    /// The runs as CSV (header, one line per run, empty cells where a
    /// setting does not apply); `pandas.read_csv` reads it as it is.
    pub fn to_csv(&self) -> Result<String, RecordsError> {
        let mut df = self.to_flat_dataframe()?;
        let mut out = Vec::new();
        CsvWriter::new(&mut out).finish(&mut df)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Writes [`to_csv`](Self::to_csv) to a file.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<(), RecordsError> {
        write(path.as_ref(), &self.to_csv()?)
    }
}

impl RunsTable {
    /// The runs as a pretty-printed JSON array of objects with the columns
    /// of [`RUN_COLUMNS`] as keys (`null` where a setting does not apply).
    pub fn to_json(&self) -> Result<String, RecordsError> {
        Ok(serde_json::to_string_pretty(&self.records)?)
    }

    /// Writes [`to_json`](Self::to_json) to a file.
    pub fn write_json(&self, path: impl AsRef<Path>) -> Result<(), RecordsError> {
        write(path.as_ref(), &self.to_json()?)
    }
}

/// One polars column named `name`: `get` reads the value of each of `cells`
/// (`None`, a null, where the setting does not apply).
#[cfg(feature = "polars")]
fn column<'a, T>(
    name: &str,
    cells: impl Iterator<Item = &'a Cell>,
    get: impl Fn(&'a Cell) -> Option<T>,
) -> Column
where
    Series: NamedFrom<Vec<Option<T>>, [Option<T>]>,
{
    Column::new(name.into(), cells.map(get).collect::<Vec<_>>())
}

fn write(path: &Path, text: &str) -> Result<(), RecordsError> {
    std::fs::write(path, text).map_err(|source| RecordsError::Io {
        path: path.to_path_buf(),
        source,
    })
}
