//! `signlang runs`.

use clap::Args;

/// Arguments of `signlang runs`.
#[derive(Args)]
pub struct RunsArgs {}

/// Runs `signlang runs`.
pub fn run(_args: RunsArgs) -> anyhow::Result<()> {
    anyhow::bail!("`signlang runs` is not available yet")
}
