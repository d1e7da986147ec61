//! `signlang predict <model-dir> <image-or-folder>...`: the top-3 letters
//! with probabilities for each image, from a model exported by
//! `signlang::export::export_model`.
//!
//! Images are PNG or JPEG of any size and colour; they are converted to
//! 28×28 greyscale like the dataset (see `signlang::infer::preprocess`).
//! A folder stands for all its `.jpg`, `.jpeg` and `.png` files, sorted.
//! With a `calibration.json` in the model directory the probabilities are
//! calibrated and an image below its threshold is marked `unsure`.
//! `--truth-from-name` reads each true letter from the first character of
//! the file name and prints a field-check report (`signlang::field`);
//! `--json` prints one JSON object per image instead.
//! An unreadable image is reported by name and the others are still
//! classified; the command then exits non-zero.

use std::path::PathBuf;

use clap::Args;
use signlang::field::{self, Prediction};
use signlang::infer::{Classifier, InferError};

/// Arguments of `signlang predict`.
#[derive(Args)]
pub struct PredictArgs {
    /// Directory of an exported model (with `model.pt`), written by
    /// `signlang::export::export_model` from the notebook.
    pub model_dir: PathBuf,
    /// PNG or JPEG images of one hand each, or folders of them.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Take each image's true letter from the first character of its file
    /// name (`A_1.jpg`) and print a report: accuracy with a 95% interval,
    /// per letter, top confusions, coverage and accuracy of the abstain rule.
    #[arg(long)]
    pub truth_from_name: bool,
    /// Print one JSON object per image (file, truth, predicted, probability,
    /// top3, unsure) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One line of output: `path: A 91.2%  S 5.0%  E 1.1%`.
pub fn format_line(path: &std::path::Path, top: &[(char, f32)]) -> String {
    let ranked: Vec<String> = top
        .iter()
        .map(|(l, p)| format!("{l} {:.1}%", 100.0 * p))
        .collect();
    format!("{}: {}", path.display(), ranked.join("  "))
}

/// [`format_line`] of a prediction, with `  (score S)  [unsure]` when the
/// calibration's rule says "unsure" (S: the score it compared with its threshold).
pub fn prediction_line(p: &Prediction) -> String {
    let line = format_line(&p.file, &p.top3);
    if p.unsure {
        match p.unsure_score {
            Some(score) => format!("{line}  (score {score:.3})  [unsure]"),
            None => format!("{line}  [unsure]"),
        }
    } else {
        line
    }
}

/// Runs `signlang predict`.
pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    let classifier = Classifier::load(&args.model_dir).map_err(|e| match e {
        InferError::MissingModel { path } => anyhow::anyhow!(
            "no exported model at {}: export one from the notebook with \
             `signlang::export::export_model(dir, &spec, &vs, &net)` and pass that directory",
            path.display()
        ),
        other => anyhow::Error::new(other),
    })?;
    let files = field::expand_inputs(&args.images)?;
    if files.is_empty() {
        anyhow::bail!(
            "no .jpg, .jpeg or .png images in {}",
            args.images
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let failed = if args.truth_from_name {
        run_with_truth(&classifier, &files, &args)
    } else {
        run_plain(&classifier, &files, args.json)
    };
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{} of {} images could not be classified: {}",
            failed.len(),
            files.len(),
            failed.join(", ")
        ))
    }
}

/// Top-3 lines (or JSON objects) per image; returns the failed files.
fn run_plain(classifier: &Classifier, files: &[PathBuf], json: bool) -> Vec<String> {
    let mut failed = Vec::new();
    for path in files {
        match field::predict_file(classifier, path) {
            Ok(p) if json => println!("{}", p.to_json(None)),
            Ok(p) => println!("{}", prediction_line(&p)),
            Err(e) => {
                eprintln!("signlang: {e}");
                failed.push(path.display().to_string());
            }
        }
    }
    failed
}

/// The field-check report (or JSON objects with the truth); returns the
/// failed files.
fn run_with_truth(classifier: &Classifier, files: &[PathBuf], args: &PredictArgs) -> Vec<String> {
    let source = match args.images.as_slice() {
        [one] => one.display().to_string(),
        many => format!("{} paths", many.len()),
    };
    let report = field::check_files(classifier, files, &source);
    if args.json {
        for r in &report.records {
            println!("{}", r.prediction.to_json(Some(signlang::letter(r.truth))));
        }
    } else {
        println!("{}", report.to_text());
    }
    report
        .failures
        .iter()
        .map(|f| {
            eprintln!("signlang: {}", f.error);
            f.file.display().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_letters_with_percentages() {
        let line = format_line(
            std::path::Path::new("a.png"),
            &[('A', 0.912), ('S', 0.05), ('E', 0.011)],
        );
        assert_eq!(line, "a.png: A 91.2%  S 5.0%  E 1.1%");
    }

    #[test]
    fn a_missing_model_names_the_directory_and_the_fix() {
        let err = run(PredictArgs {
            model_dir: PathBuf::from("/nonexistent/model-dir"),
            images: vec![PathBuf::from("x.png")],
            truth_from_name: false,
            json: false,
        })
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("/nonexistent/model-dir"), "{msg}");
        // The CLI's own words (the library's error names export_model too).
        assert!(msg.contains("and pass that directory"), "{msg}");
    }
}
