//! The landmark route of `signlang predict`: MediaPipe's hand landmarks
//! found in Rust, then the export's `classifier.onnx`
//! (`signlang::landmark_route::RouteClassifier`), one line per photo:
//! `file: A 91.2%  S 5.0%  E 1.1%`, `  (margin M)  [unsure]` when the
//! export's unsure rule refuses it, `file: no hand found [unsure]` when no
//! hand is found. `--truth-from-name` prints the route's report
//! (`signlang::landmark_route::RouteReport`, as the notebook shows it).

use std::path::{Path, PathBuf};

use signlang::landmark_route::{is_route_export, RouteClassifier, RoutePrediction, ROUTE_FILE};

use super::{format_line, PredictArgs, Resolved};

/// One line of output for a photo (see the module docs).
pub fn route_line(p: &RoutePrediction) -> String {
    if !p.hand {
        return format!("{}: no hand found [unsure]", p.file.display());
    }
    let line = format_line(&p.file, &p.top3);
    if p.unsure {
        format!("{line}  (margin {:.3})  [unsure]", p.margin)
    } else {
        line
    }
}

/// Loads the export in `dir`; the study's default folder, when missing,
/// gets its own one-line fix.
fn load(dir: &Path, default_model: bool) -> anyhow::Result<RouteClassifier> {
    if default_model && !is_route_export(dir) {
        anyhow::bail!(
            "{}: no landmark-route export there; run notebooks/app.ipynb (it exports the route \
             there), or pass --model DIR (or --route pixels)",
            dir.join(ROUTE_FILE).display()
        );
    }
    Ok(RouteClassifier::load(dir)?)
}

/// Reads `files` with the landmark route of `resolved`; returns the files
/// that failed (each already reported on stderr).
pub fn run(
    resolved: &Resolved,
    files: &[PathBuf],
    source: &str,
    args: &PredictArgs,
) -> anyhow::Result<Vec<String>> {
    let classifier = load(&resolved.model, resolved.default_model)?;
    if !args.truth_from_name {
        return Ok(run_plain(&classifier, files, args.json));
    }
    let check = classifier.check_files(files, source);
    if args.json {
        for r in &check.records {
            let truth = signlang::letter(r.truth);
            println!("{}", r.prediction.to_json(Some(truth)));
        }
    } else {
        println!("{}", check.report.to_text());
    }
    Ok(check
        .report
        .failures
        .iter()
        .map(|f| {
            eprintln!("signlang: {}", f.error);
            f.file.display().to_string()
        })
        .collect())
}

/// One line (or JSON object) per photo; returns the failed files.
fn run_plain(classifier: &RouteClassifier, files: &[PathBuf], json: bool) -> Vec<String> {
    let predict = |path: &Path| classifier.predict_file(path).map_err(|e| e.to_string());
    super::print_each(files, json, predict, |p| p.to_json(None), route_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_no_hand_and_unsure() {
        let mut p = RoutePrediction {
            file: PathBuf::from("a.jpg"),
            hand: true,
            top3: vec![('A', 0.912), ('S', 0.05), ('E', 0.011)],
            margin: 0.862,
            unsure: false,
        };
        assert_eq!(route_line(&p), "a.jpg: A 91.2%  S 5.0%  E 1.1%");
        p.unsure = true;
        assert_eq!(
            route_line(&p),
            "a.jpg: A 91.2%  S 5.0%  E 1.1%  (margin 0.862)  [unsure]"
        );
        p.hand = false;
        assert_eq!(route_line(&p), "a.jpg: no hand found [unsure]");
    }
}
