//! `signlang predict [--route landmarks|pixels] [--model DIR] IMAGES...`:
//! the top-3 letters with probabilities for each photo, read by one of the
//! study's two routes:
//!
//! - `landmarks` (the default, the best measured): MediaPipe's hand
//!   landmarks found in Rust, then the exported keypoint classifier
//!   (`signlang::landmark_route::predict`); a photo where no hand is found
//!   is answered "no hand found" and counts wrong in the report;
//! - `pixels`: the 28×28 greyscale network (`signlang::field`).
//!
//! The model is an export folder: `--model DIR`, else the study's export
//! for the route (`runs/assignment/export-landmarks` or
//! `runs/assignment/export` in the project; `-quick` in quick mode). The
//! old form `signlang predict MODEL_DIR IMAGES...` still works: an export
//! folder given first (it holds `route.json` or `model.pt`) is the model,
//! and its kind picks the route; a `--route` that contradicts it is an error.
//!
//! A folder stands for all its `.jpg`, `.jpeg` and `.png` files, sorted.
//! `--truth-from-name` reads each true letter from the file name and prints
//! a report; `--json` prints one JSON object per photo instead. An
//! unreadable photo is reported by name and the others are still read; the
//! command then exits non-zero.

mod landmarks;
mod pixels;

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use signlang::field;

use pixels::format_line;

/// Which route reads the photos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Route {
    /// Hand landmarks (MediaPipe's models), then the keypoint classifier.
    Landmarks,
    /// The 28×28 greyscale pixel network.
    Pixels,
}

impl Route {
    /// `"landmarks"` or `"pixels"`.
    pub fn name(self) -> &'static str {
        match self {
            Route::Landmarks => "landmarks",
            Route::Pixels => "pixels",
        }
    }

    /// The file that marks an export of this route.
    pub fn marker(self) -> &'static str {
        match self {
            Route::Landmarks => signlang::landmark_route::ROUTE_FILE,
            Route::Pixels => "model.pt",
        }
    }

    /// The study's export of this route, in the project.
    pub fn default_model(self) -> PathBuf {
        let study = signlang::study::Scale::from_env().study_dir("assignment");
        match self {
            Route::Landmarks => study.join("export-landmarks"),
            Route::Pixels => study.join("export"),
        }
    }
}

/// Arguments of `signlang predict`.
#[derive(Args)]
pub struct PredictArgs {
    /// Which route reads the photos (default: landmarks, the best measured;
    /// or the kind of the export folder given).
    #[arg(long, value_enum)]
    pub route: Option<Route>,
    /// Export folder of the route (default: the study's,
    /// runs/assignment/export-landmarks or runs/assignment/export).
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// PNG or JPEG photos of one hand each, or folders of them. An export
    /// folder given first (old form: MODEL_DIR IMAGES...) is the model.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Take each photo's true letter from the first character of its file
    /// name (`A_1.jpg`, `A_11_2.jpg` for version 2 of source photo A_11)
    /// and print a report: accuracy with a 95% interval, per letter, top
    /// confusions, and what the unsure rule answers.
    #[arg(long)]
    pub truth_from_name: bool,
    /// Print one JSON object per photo (file, truth, predicted,
    /// probability, top3, unsure, …) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The route, model folder and photos a command line asks for.
#[derive(Debug, PartialEq)]
pub struct Resolved {
    /// The route.
    pub route: Route,
    /// The export folder.
    pub model: PathBuf,
    /// True when the model folder is the study's default.
    pub default_model: bool,
    /// The photos and folders to read.
    pub images: Vec<PathBuf>,
}

/// Prints one line, or one JSON object, per photo that `predict` reads, and
/// names each photo it cannot read on stderr; returns those photos.
fn print_each<P, E: std::fmt::Display>(
    files: &[PathBuf],
    json: bool,
    predict: impl Fn(&Path) -> Result<P, E>,
    to_json: impl Fn(&P) -> serde_json::Value,
    to_line: impl Fn(&P) -> String,
) -> Vec<String> {
    let mut failed = Vec::new();
    for path in files {
        match predict(path) {
            Ok(p) if json => println!("{}", to_json(&p)),
            Ok(p) => println!("{}", to_line(&p)),
            Err(e) => {
                eprintln!("signlang: {e}");
                failed.push(path.display().to_string());
            }
        }
    }
    failed
}

/// The kind of export `dir` holds, if any.
pub fn export_kind(dir: &Path) -> Option<Route> {
    [Route::Landmarks, Route::Pixels]
        .into_iter()
        .find(|r| dir.is_dir() && dir.join(r.marker()).is_file())
}

fn has_image_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        field::IMAGE_EXTENSIONS
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

/// Reads the route, the model folder and the photos from the arguments
/// (see the module docs); fails on a contradiction.
pub fn resolve(args: &PredictArgs) -> anyhow::Result<Resolved> {
    let first = &args.images[0];
    let (model, images) = match (&args.model, export_kind(first)) {
        (None, Some(_)) => (Some(first.clone()), args.images[1..].to_vec()),
        (model, _) => (model.clone(), args.images.clone()),
    };
    if model.is_none() && images.len() > 1 && !first.exists() && !has_image_extension(first) {
        anyhow::bail!(
            "{}: no such export folder; pass a folder written by `signlang::export::export_model` \
             or `landmark_route::export_route` (the notebooks write runs/assignment/export and \
             export-landmarks), first or with --model DIR",
            first.display()
        );
    }
    if images.is_empty() {
        anyhow::bail!(
            "{}: no photos given after the export folder; pass PNG or JPEG photos or folders of them",
            first.display()
        );
    }
    let kind = model.as_deref().and_then(export_kind);
    let route = match (args.route, kind) {
        (Some(asked), Some(found)) if asked != found => anyhow::bail!(
            "--route {} contradicts {}: it is a {} export (it holds {}); drop --route or pass a {} export",
            asked.name(),
            model.as_deref().unwrap_or(first).display(),
            found.name(),
            found.marker(),
            asked.name()
        ),
        (Some(route), _) | (None, Some(route)) => route,
        (None, None) => Route::Landmarks,
    };
    Ok(Resolved {
        route,
        default_model: model.is_none(),
        model: model.unwrap_or_else(|| route.default_model()),
        images,
    })
}

/// Runs `signlang predict`.
pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    let resolved = resolve(&args)?;
    let files = field::expand_inputs(&resolved.images)?;
    if files.is_empty() {
        anyhow::bail!(
            "no .jpg, .jpeg or .png images in {}",
            resolved
                .images
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let source = match resolved.images.as_slice() {
        [one] => one.display().to_string(),
        many => format!("{} paths", many.len()),
    };
    let failed = match resolved.route {
        Route::Landmarks => landmarks::run(&resolved, &files, &source, &args)?,
        Route::Pixels => pixels::run(&resolved, &files, &source, &args)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(route: Option<Route>, model: Option<&Path>, images: &[&Path]) -> PredictArgs {
        PredictArgs {
            route,
            model: model.map(Path::to_path_buf),
            images: images.iter().map(|p| p.to_path_buf()).collect(),
            truth_from_name: false,
            json: false,
        }
    }

    fn export(dir: &Path, route: Route) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(route.marker()), b"{}").unwrap();
    }

    #[test]
    fn an_export_folder_first_is_the_model_and_picks_the_route() {
        let tmp = tempfile::tempdir().unwrap();
        let (lm, px) = (tmp.path().join("lm"), tmp.path().join("px"));
        export(&lm, Route::Landmarks);
        export(&px, Route::Pixels);
        let photo = Path::new("A_1.jpg");
        let r = resolve(&args(None, None, &[&px, photo])).unwrap();
        assert_eq!((r.route, r.model.as_path()), (Route::Pixels, px.as_path()));
        assert_eq!(r.images, vec![photo.to_path_buf()]);
        let r = resolve(&args(None, None, &[&lm, photo])).unwrap();
        assert_eq!((r.route, r.default_model), (Route::Landmarks, false));
        let err = resolve(&args(Some(Route::Pixels), None, &[&lm, photo])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("--route pixels") && msg.contains("landmarks export"),
            "{msg}"
        );
        let err = resolve(&args(Some(Route::Landmarks), Some(&px), &[photo])).unwrap_err();
        assert!(err.to_string().contains(&px.display().to_string()), "{err}");
    }

    #[test]
    fn without_a_model_the_route_defaults_to_landmarks_and_its_study_export() {
        let r = resolve(&args(None, None, &[Path::new("A_1.jpg")])).unwrap();
        assert_eq!(r.route, Route::Landmarks);
        assert!(r.default_model);
        assert!(
            r.model.ends_with("export-landmarks"),
            "{}",
            r.model.display()
        );
        let r = resolve(&args(Some(Route::Pixels), None, &[Path::new("x.png")])).unwrap();
        assert!(r.model.ends_with("export"), "{}", r.model.display());
    }

    #[test]
    fn a_missing_model_folder_first_names_the_folder_and_the_fix() {
        let err = resolve(&args(
            None,
            None,
            &[Path::new("/nonexistent/model-dir"), Path::new("x.png")],
        ))
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("/nonexistent/model-dir"), "{msg}");
        assert!(msg.contains("--model DIR"), "{msg}");
    }
}
