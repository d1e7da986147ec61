//! `signlang predict` on the landmark route, end to end: a small export is
//! built here without the notebook (the landmarks of 36 shared training
//! crops, a logistic classifier trained for 20 epochs as a run of a
//! temporary study, `landmark_route::export_run`), then the binary reads
//! a few real crops with `--json` and `--truth-from-name`, and its answers
//! are checked against the library's own (hand found, letters, counts).
//! A missing export, missing models or ONNX Runtime, and a file that is not
//! an image each give one line naming the file and the fix.
//!
//! Needs the models and venv from `make setup` and the shared crops in
//! `../shared/field` beside the project (`SIGNLANG_ADAPT_DIR` and
//! `SIGNLANG_FIELD_DIR` name them elsewhere); a missing one fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use signlang::data::FeatureSet;
use signlang::field::list_images;
use signlang::landmark_route::classifier::{dense_on_landmarks, landmark_config};
use signlang::landmark_route::{export_run, MarginRule, RouteClassifier, RouteRun};
use signlang::landmarks::{FindOptions, Landmarker, FEATURE_LEN};
use signlang::study::Study;

/// A shared photo folder: `$env` when set, else `../shared/field/<name>`.
fn shared(name: &str, env: &str) -> PathBuf {
    let dir = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
        signlang::data::project_root()
            .join("../shared/field")
            .join(name)
    });
    assert!(
        dir.is_dir(),
        "{}: the shared photos (set {env})",
        dir.display()
    );
    dir
}

/// `n` files of `dir` evenly spaced over its sorted list, from `offset`.
fn spread(dir: &Path, n: usize, offset: usize) -> Vec<PathBuf> {
    let all = list_images(dir).unwrap();
    (0..n)
        .map(|i| all[(offset + i * all.len() / n) % all.len()].clone())
        .collect()
}

/// The landmark features of those `files` where a hand is found.
fn features(finder: &Landmarker, name: &str, files: &[PathBuf]) -> FeatureSet {
    let mut set = FeatureSet::empty(name, FEATURE_LEN);
    for f in files {
        let (class, _) = signlang::adapt::parse_name(f).unwrap();
        if let Some(v) = finder.find_file(f).unwrap().and_then(|h| h.features()) {
            set.push(&v, class);
        }
    }
    set
}

/// Trains a logistic classifier on 30 training crops (6 more held out) in a
/// study under `tmp` and exports it with a margin rule; returns the export.
fn build_export(tmp: &Path) -> PathBuf {
    let finder = Landmarker::load_default().unwrap_or_else(|e| panic!("{e}"));
    let crops = shared("roboflow-train-handcrop", "SIGNLANG_ADAPT_DIR");
    let train = features(&finder, "landmarks: 30 crops", &spread(&crops, 30, 0));
    let holdout = features(&finder, "landmarks: 6 crops", &spread(&crops, 6, 17));
    assert!(
        train.len() >= 20 && !holdout.is_empty(),
        "hands found in the crops"
    );
    let mut study = Study::create(tmp.join("study"), 50).unwrap();
    let spec = dense_on_landmarks(vec![], 0.0);
    let run = study
        .run_features(
            &spec,
            &landmark_config(20),
            &train,
            &holdout,
            Default::default(),
        )
        .unwrap();
    let find = FindOptions::default();
    let rule = RouteRun {
        run_id: run.id(),
        name: "logistic regression",
        find: &find,
        unsure: MarginRule {
            threshold: 0.05,
            target: 0.95,
        },
    };
    let dir = tmp.join("export-landmarks");
    let manifest = export_run(&study, &rule, &dir, &["a test export".into()]).unwrap();
    assert_eq!(manifest.run_id, run.id());
    assert!(dir.join("classifier.onnx").is_file() && dir.join("README.md").is_file());
    dir
}

fn signlang(args: &[&dyn AsRef<std::ffi::OsStr>], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signlang"));
    cmd.arg("predict").args(args.iter().map(|a| a.as_ref()));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `"(k/n)"` of the report row starting with `measure` (`"no photos"`: 0/0).
fn count(report: &str, measure: &str) -> (usize, usize) {
    let row = report
        .lines()
        .find(|l| l.starts_with(measure))
        .unwrap_or_else(|| panic!("no row {measure:?} in\n{report}"));
    if row.ends_with("no photos") {
        return (0, 0);
    }
    row.split('(')
        .filter_map(|part| {
            let (k, n) = part.split_once(')')?.0.split_once('/')?;
            Some((k.parse().ok()?, n.parse().ok()?))
        })
        .next()
        .unwrap_or_else(|| panic!("no (k/n) in {row:?}"))
}

#[test]
fn the_landmark_route_reads_crops_as_the_library_does_and_reports_them() {
    let tmp = tempfile::tempdir().unwrap();
    let export = build_export(tmp.path());
    let photos = spread(&shared("roboflow-handcrop", "SIGNLANG_FIELD_DIR"), 4, 3);
    let ours = RouteClassifier::load(&export).unwrap();
    let expected: Vec<_> = photos
        .iter()
        .map(|p| ours.predict_file(p).unwrap())
        .collect();
    assert!(
        expected.iter().any(|p| p.hand),
        "a hand in one of the 4 crops"
    );

    // --json: one object per photo, the library's answer exactly.
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--model", &export, &"--json"];
    args.extend(photos.iter().map(|p| p as &dyn AsRef<std::ffi::OsStr>));
    let out = signlang(&args, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), photos.len());
    for (line, p) in lines.iter().zip(&expected) {
        assert_eq!(line, &p.to_json(None));
        assert_eq!(line["route"], "landmarks");
        assert_eq!(line["predicted"].is_null(), !p.hand, "{line}");
        if p.hand {
            assert_eq!(line["top3"].as_array().unwrap().len(), 3);
            assert_eq!(line["probability"], line["top3"][0]["probability"]);
        } else {
            assert_eq!(line["unsure"], true);
        }
    }

    // --truth-from-name: the report, with a file that is not an image.
    let broken = tmp.path().join("B_broken.jpg");
    std::fs::write(&broken, "not a photo").unwrap();
    args.retain(|a| a.as_ref() != "--json");
    args.push(&"--truth-from-name");
    args.push(&broken);
    let out = signlang(&args, &[]);
    let (report, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "a broken file fails the command");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("B_broken.jpg"))
        .collect();
    assert_eq!(errors.len(), 2, "its error, then the summary: {stderr}");
    assert!(errors[0].contains("cannot read this photo") && errors[0].contains("PNG or JPEG"));
    let truth: Vec<char> = photos
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .chars()
                .next()
                .unwrap()
        })
        .collect();
    let found = expected.iter().filter(|p| p.hand).count();
    let right = expected
        .iter()
        .zip(&truth)
        .filter(|(p, t)| p.letter() == Some(**t))
        .count();
    let answered = expected.iter().filter(|p| !p.unsure).count();
    assert_eq!(count(&report, "hand found"), (found, 4), "{report}");
    assert_eq!(
        count(&report, "accuracy, no hand counted wrong"),
        (right, 4)
    );
    assert_eq!(count(&report, "answered by the rule"), (answered, 4));
    let (a, refused) = (
        count(&report, "accuracy of the answered"),
        count(&report, "accuracy of the refused"),
    );
    assert_eq!(
        (a.1 + refused.1, a.0 + refused.0),
        (4, right),
        "counts add up"
    );
    assert!(report.contains("4 photos scored, 1 failed"), "{report}");
    assert!(
        report.contains("exact Clopper–Pearson"),
        "one version per photo: {report}"
    );

    // Versions of one source photo count as one unit, with their truth in JSON.
    let crops = list_images(&shared("roboflow-train-handcrop", "SIGNLANG_ADAPT_DIR")).unwrap();
    let (_, first) = signlang::adapt::parse_name(&crops[0]).unwrap();
    let mut versions: Vec<&PathBuf> = crops
        .iter()
        .filter(|c| signlang::adapt::parse_name(c).unwrap().1 == first)
        .take(2)
        .collect();
    assert_eq!(versions.len(), 2, "two versions of {first}");
    versions.push(&crops[crops.len() / 2]);
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"--model", &export];
    args.extend(versions.iter().map(|p| *p as &dyn AsRef<std::ffi::OsStr>));
    args.push(&"--truth-from-name");
    let out = signlang(&args, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 source photos"),
        "{}",
        text(&out.stdout)
    );
    args.push(&"--json");
    let out = signlang(&args, &[]);
    for (line, file) in text(&out.stdout).lines().zip(&versions) {
        let line: Value = serde_json::from_str(line).unwrap();
        let name = file.file_name().unwrap().to_str().unwrap();
        assert_eq!(line["truth"], name[..1], "{line}");
        assert_eq!(line["file"], file.display().to_string());
    }
    assert_eq!(text(&out.stdout).lines().count(), 3);

    // The old form: the export first picks the route; --route pixels contradicts it.
    let out = signlang(&[&export, &photos[0]], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with(&format!("{}: ", photos[0].display())));
    let out = signlang(&[&"--route", &"pixels", &export, &photos[0]], &[]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--route pixels") && err.contains(&export.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_missing_export_models_or_runtime_give_one_line_naming_the_file_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let photo = spread(&shared("roboflow-handcrop", "SIGNLANG_FIELD_DIR"), 1, 0).remove(0);
    let one_line = |out: &Output, names: &str, fix: &str| {
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(names) && err.contains(fix),
            "{names} / {fix}: {err}"
        );
    };
    let nope = tmp.path().join("nope");
    one_line(
        &signlang(&[&"--model", &nope, &photo], &[]),
        "nope/route.json",
        "pass the folder the notebook exported",
    );
    // The study's default export, absent.
    let study = tmp.path().join("study");
    one_line(
        &signlang(&[&photo], &[("SIGNLANG_STUDY_DIR", &study)]),
        "export-landmarks/route.json",
        "run notebooks/app.ipynb",
    );
    // An export with an empty classifier, read without models, without
    // ONNX Runtime, then with both.
    let export = tmp.path().join("export-landmarks");
    std::fs::create_dir_all(&export).unwrap();
    write_manifest(&export);
    std::fs::write(export.join("classifier.onnx"), b"").unwrap();
    let bare = tmp.path().join("bare-project");
    std::fs::create_dir_all(&bare).unwrap();
    let args: &[&dyn AsRef<std::ffi::OsStr>] = &[&"--model", &export, &photo];
    one_line(
        &signlang(args, &[("SIGNLANG_ROOT", &bare)]),
        ".models/mediapipe/MANIFEST.json",
        "make setup",
    );
    let no_lib = tmp.path().join("libonnxruntime.so");
    one_line(
        &signlang(args, &[("ORT_DYLIB_PATH", &no_lib)]),
        "cannot load ONNX Runtime",
        "ORT_DYLIB_PATH",
    );
    one_line(
        &signlang(args, &[]),
        "classifier.onnx",
        "export the route again",
    );
}

/// A `route.json` as an export writes it (its values do not matter here).
fn write_manifest(dir: &Path) {
    use signlang::landmark_route::manifest::{RouteManifest, ROUTE_FORMAT};
    use signlang::landmarks::files::{HAND_TFLITE, MEDIAPIPE_VERSION, PALM_TFLITE};
    let m = RouteManifest {
        format_version: ROUTE_FORMAT,
        feature_layout: signlang::landmarks::FEATURE_LAYOUT.into(),
        feature_len: FEATURE_LEN,
        pairs: signlang::landmarks::features::PAIRS.to_vec(),
        labels: signlang::LETTERS.to_vec(),
        mediapipe_version: MEDIAPIPE_VERSION.into(),
        mediapipe_files: [PALM_TFLITE, HAND_TFLITE]
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect(),
        find: FindOptions::default(),
        unsure: MarginRule::default(),
        run_id: "r0001".into(),
        classifier: "none".into(),
        holdout_accuracy: 0.0,
    };
    std::fs::write(dir.join("route.json"), serde_json::to_string(&m).unwrap()).unwrap();
}
