//! `signlang runs <study-dir>`: the runs table, the budget line and the
//! test-split line of a study.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use signlang::study::{RunsTable, Study};

/// Arguments of `signlang runs`.
#[derive(Args)]
pub struct RunsArgs {
    /// The study folder (holds ledger.json), e.g. runs/main.
    pub dir: PathBuf,
    /// Show only the best K runs by validation accuracy.
    #[arg(long, value_name = "K")]
    pub best: Option<usize>,
}

/// Runs `signlang runs`.
pub fn run(args: RunsArgs) -> anyhow::Result<()> {
    let study = Study::open(&args.dir)
        .with_context(|| format!("cannot list the runs of {}", args.dir.display()))?;
    let table = match args.best {
        Some(k) => {
            let mut t = RunsTable::of(&study.best(k));
            t.caption = Some(format!("best {k} by validation accuracy"));
            t
        }
        None => study.table(),
    };
    print!("{table}");
    println!("{}", study.budget_line());
    println!("{}", study.test_line());
    Ok(())
}
