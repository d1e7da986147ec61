//! `signlang robustness <model-dir> <csv>`: the accuracy of an exported
//! model on the images of a Sign Language MNIST CSV as they are and under 13
//! corruptions at severities 1–5 (see `signlang::corrupt`), as a table.
//!
//! Meant for the validation data or new data: the study's test split is
//! evaluated only through the study (`Study::robustness_on_test`), which
//! records it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use signlang::corrupt::evaluate_robustness;
use signlang::infer::Classifier;

/// Arguments of `signlang robustness`.
#[derive(Args)]
pub struct RobustnessArgs {
    /// Directory of an exported model (with `model.pt`), written by
    /// `signlang::export::export_model`.
    pub model_dir: PathBuf,
    /// A Sign Language MNIST CSV (optionally gzip-compressed): label, 784 pixels.
    pub csv: PathBuf,
    /// Seed of the corruptions' random draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `signlang robustness`.
pub fn run(args: RobustnessArgs) -> anyhow::Result<()> {
    let classifier = Classifier::load(&args.model_dir)?;
    let data = signlang::data::load_dataset(&args.csv)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("robustness [{bar:30}] {pos}/{len} evaluations {eta}")
            .context("progress template")?
            .progress_chars("=> "),
    );
    let model = args.model_dir.display().to_string();
    let report = evaluate_robustness(
        &model,
        |x| classifier.probabilities(x),
        &data,
        args.seed,
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}
