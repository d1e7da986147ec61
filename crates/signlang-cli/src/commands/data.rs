//! `signlang data check`.

use clap::Subcommand;
use std::path::PathBuf;

/// `signlang data ...`
#[derive(Subcommand)]
pub enum DataCommand {
    /// Check a Sign Language MNIST CSV (plain or .gz) and print the report.
    Check {
        /// The CSV file.
        csv: PathBuf,
    },
}

/// Runs `signlang data ...`.
pub fn run(command: DataCommand) -> anyhow::Result<()> {
    match command {
        DataCommand::Check { csv } => {
            anyhow::bail!("checking {} is not available yet", csv.display())
        }
    }
}
