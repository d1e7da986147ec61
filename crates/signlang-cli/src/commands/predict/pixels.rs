//! The pixel route of `signlang predict`: the top-3 letters with
//! probabilities for each image, from a model exported by
//! `signlang::export::export_model`.
//!
//! Images are PNG or JPEG of any size and colour; they are converted to
//! 28×28 greyscale like the dataset (see `signlang::infer::preprocess`).
//! With a `calibration.json` in the model directory the probabilities are
//! calibrated and an image below its threshold is marked `unsure`.
//! `--truth-from-name` prints a field-check report (`signlang::field`).

use std::path::PathBuf;

use signlang::field::{self, Prediction};
use signlang::infer::{Classifier, InferError};

use super::{PredictArgs, Resolved};

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

/// Reads `files` with the pixel model of `resolved`; returns the files
/// that failed (each already reported on stderr).
pub fn run(
    resolved: &Resolved,
    files: &[PathBuf],
    source: &str,
    args: &PredictArgs,
) -> anyhow::Result<Vec<String>> {
    let classifier = Classifier::load(&resolved.model).map_err(|e| match e {
        InferError::MissingModel { path } if resolved.default_model => anyhow::anyhow!(
            "{}: no exported pixel model there; run notebooks/app.ipynb (it exports the \
             study's model there), or pass --model DIR",
            path.display()
        ),
        InferError::MissingModel { path } => anyhow::anyhow!(
            "no exported model at {}: export one from the notebook with \
             `signlang::export::export_model(dir, &spec, &vs, &net)` and pass that directory",
            path.display()
        ),
        other => anyhow::Error::new(other),
    })?;
    Ok(if args.truth_from_name {
        run_with_truth(&classifier, files, source, args.json)
    } else {
        run_plain(&classifier, files, args.json)
    })
}

/// Top-3 lines (or JSON objects) per image; returns the failed files.
fn run_plain(classifier: &Classifier, files: &[PathBuf], json: bool) -> Vec<String> {
    let predict = |path: &std::path::Path| field::predict_file(classifier, path);
    super::print_each(files, json, predict, |p| p.to_json(None), prediction_line)
}

/// The field-check report (or JSON objects with the truth); returns the
/// failed files.
fn run_with_truth(
    classifier: &Classifier,
    files: &[PathBuf],
    source: &str,
    json: bool,
) -> Vec<String> {
    let report = field::check_files(classifier, files, source);
    if json {
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
}
