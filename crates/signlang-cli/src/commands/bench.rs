//! `signlang bench`.

use clap::Args;

/// Arguments of `signlang bench`.
#[derive(Args)]
pub struct BenchArgs {}

/// Runs `signlang bench`.
pub fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("`signlang bench` is not available yet")
}
