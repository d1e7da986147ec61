//! `signlang runs <study-dir>`: a study's runs as a table (with the budget
//! line and the test-split line), or as CSV / JSON with every setting in
//! its own column, for pandas, spreadsheets and scripts.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use signlang::study::{RunsTable, Study};

/// Output format of `signlang runs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A text table, the budget line and the test-split line.
    #[default]
    Table,
    /// CSV: a header, one line per run, every setting its own column.
    Csv,
    /// JSON: an array with one object per run, every setting its own key.
    Json,
}

/// Arguments of `signlang runs`.
#[derive(Args)]
pub struct RunsArgs {
    /// The study folder (holds ledger.json), e.g. runs/main.
    pub dir: PathBuf,
    /// Show only the best K runs by validation accuracy.
    #[arg(long, value_name = "K")]
    pub best: Option<usize>,
    /// Output format: table (default), csv or json.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `signlang runs`.
pub fn run(args: RunsArgs) -> anyhow::Result<()> {
    let study = Study::open(&args.dir)
        .with_context(|| format!("cannot list the runs of {}", args.dir.display()))?;
    let table = match args.best {
        Some(k) => {
            let mut t = RunsTable::of(&study.best(k)).with_test_touches(study.test_touches());
            t.caption = Some(format!("best {k} by validation accuracy"));
            t
        }
        None => {
            // The budget line follows the table once, not as its caption too.
            let mut t = study.table();
            t.caption = None;
            t
        }
    };
    match args.format {
        Format::Table => {
            print!("{table}");
            println!("{}", study.budget_line());
            println!("{}", study.test_line());
        }
        Format::Csv => print!("{}", table.to_csv()?),
        Format::Json => println!("{}", table.to_json()?),
    }
    Ok(())
}
