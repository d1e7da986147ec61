//! `signlang predict`.

use clap::Args;

/// Arguments of `signlang predict`.
#[derive(Args)]
pub struct PredictArgs {}

/// Runs `signlang predict`.
pub fn run(_args: PredictArgs) -> anyhow::Result<()> {
    anyhow::bail!("`signlang predict` is not available yet")
}
