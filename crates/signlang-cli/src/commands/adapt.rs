//! `signlang adapt MODEL_DIR PHOTOS_DIR --out DIR`: adapt an exported model
//! to labelled photos (`<LETTER>_<source>_<version>.jpg`), print its
//! accuracy on held-out source photos before and after, and write a full
//! export to `DIR` (see `signlang::adapt::adapt_export`).

use std::path::PathBuf;

use clap::Args;
use signlang::adapt::{adapt_export, AdaptOptions, AdaptOutcome};
use signlang::evaluate::GroupedAccuracy;

/// Arguments of `signlang adapt`.
#[derive(Args)]
pub struct AdaptArgs {
    /// Directory of an exported model (with `spec.json` and `model.safetensors`).
    pub model_dir: PathBuf,
    /// Folder of labelled photos: the letter is the first character of each
    /// name, `<LETTER>_<source>_<version>.jpg` groups versions of one photo.
    pub photos_dir: PathBuf,
    /// Output folder for the adapted export (and its run ledger).
    #[arg(long)]
    pub out: PathBuf,
    /// Share of each letter's source photos held out to measure.
    #[arg(long, default_value_t = 0.25)]
    pub holdout: f64,
    /// Seed of the hold-out and of training.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Most epochs of fine-tuning (default 40, early stopping on the held-out photos).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Write over a non-empty --out folder.
    #[arg(long)]
    pub force: bool,
}

fn line(what: &str, a: &GroupedAccuracy) -> String {
    format!("{what}: {} {}", a.point(), a.group_text())
}

/// The printed summary of an adaptation.
pub fn summary(o: &AdaptOutcome) -> String {
    let run = if o.run.cached {
        format!("{} (recorded before, nothing trained)", o.run.id())
    } else {
        o.run.id().to_string()
    };
    [
        format!(
            "adapted on {} images of {} source photos, measured on {} held-out images of {} \
             source photos; run {run} in {}",
            o.train.0,
            o.train.1,
            o.held_out.0,
            o.held_out.1,
            o.study_dir.display()
        ),
        line("before (the exported model)", &o.before),
        line("after (adapted)", &o.after),
        format!(
            "wrote {} (calibration: temperature {:.3}, unsure below {:.3})",
            o.export.info.dir.display(),
            o.export.calibration.temperature,
            o.export.calibration.threshold
        ),
    ]
    .join("\n")
}

/// Runs `signlang adapt`.
pub fn run(args: AdaptArgs) -> anyhow::Result<()> {
    let options = AdaptOptions {
        holdout: args.holdout,
        seed: args.seed,
        epochs: args.epochs,
        force: args.force,
        ..Default::default()
    };
    let outcome = adapt_export(&args.model_dir, &args.photos_dir, &args.out, options)?;
    println!("{}", summary(&outcome));
    Ok(())
}
