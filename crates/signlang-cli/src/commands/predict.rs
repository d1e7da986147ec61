//! `signlang predict <model-dir> <image>...`: the top-3 letters with
//! probabilities for each image, from a model exported by
//! `signlang::export::export_model`.
//!
//! Images are PNG or JPEG of any size and colour; they are converted to
//! 28×28 greyscale like the dataset (see `signlang::export::preprocess`).
//! An unreadable image is reported by name and the others are still
//! classified; the command then exits non-zero.

use std::path::PathBuf;

use clap::Args;
use signlang::export::{Classifier, ExportError};

/// Arguments of `signlang predict`.
#[derive(Args)]
pub struct PredictArgs {
    /// Directory of an exported model (with `model.pt`), written by
    /// `signlang::export::export_model` from the notebook.
    pub model_dir: PathBuf,
    /// PNG or JPEG images of one hand each.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
}

/// One line of output: `path: A 91.2%  S 5.0%  E 1.1%`.
pub fn format_line(path: &std::path::Path, top: &[(char, f32)]) -> String {
    let ranked: Vec<String> = top
        .iter()
        .map(|(l, p)| format!("{l} {:.1}%", 100.0 * p))
        .collect();
    format!("{}: {}", path.display(), ranked.join("  "))
}

/// Runs `signlang predict`.
pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    let classifier = Classifier::load(&args.model_dir).map_err(|e| match e {
        ExportError::MissingModel { path } => anyhow::anyhow!(
            "no exported model at {}: export one from the notebook with \
             `signlang::export::export_model(dir, &spec, &vs, &net)` and pass that directory",
            path.display()
        ),
        other => anyhow::Error::new(other),
    })?;
    let mut failed = Vec::new();
    for path in &args.images {
        match classifier.predict_file(path) {
            Ok(top) => println!("{}", format_line(path, &top)),
            Err(e) => {
                eprintln!("signlang: {e}");
                failed.push(path.display().to_string());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{} of {} images could not be classified: {}",
            failed.len(),
            args.images.len(),
            failed.join(", ")
        ))
    }
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
        })
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("/nonexistent/model-dir"), "{msg}");
        assert!(msg.contains("export_model"), "{msg}");
    }
}
