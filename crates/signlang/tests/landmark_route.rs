//! The landmark route end to end on a few shared crops: hands found, the
//! three candidates trained as study runs and chosen on held-out crops, a
//! score on measuring photos, the export, and prediction from the export
//! agreeing with the score. Needs the models from `make setup` and the
//! shared crops beside the project (both are there in CI).

use std::path::{Path, PathBuf};

use signlang::adapt::load_photos;
use signlang::landmark_route::{self as route, RouteClassifier, RouteConfig, NO_HAND};
use signlang::study::Study;

fn shared(folder: &str) -> PathBuf {
    let dir = signlang::data::project_root()
        .join("../shared/field")
        .join(folder);
    assert!(
        dir.is_dir(),
        "{}: the shared photos must sit beside the project",
        dir.display()
    );
    dir
}

/// Copies the files of `folder` whose names `keep` accepts into `to`.
fn copy_some(folder: &str, to: &Path, keep: impl Fn(&str) -> bool) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(shared(folder)).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if keep(&name) {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
            n += 1;
        }
    }
    n
}

#[test]
fn the_route_trains_in_the_study_scores_exports_and_predicts_alike() {
    let tmp = tempfile::tempdir().unwrap();
    // The first 3 source photos of every letter (all their versions) to train and hold out.
    let train_dir = tmp.path().join("train");
    let mut sources: Vec<(char, u32)> = std::fs::read_dir(shared("roboflow-train-handcrop"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let parts: Vec<&str> = name.split('_').collect();
            Some((parts[0].chars().next()?, parts.get(1)?.parse().ok()?))
        })
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let first3: Vec<String> = sources
        .iter()
        .filter(|(l, n)| sources.iter().filter(|(m, k)| m == l && k < n).count() < 3)
        .map(|(l, n)| format!("{l}_{n}_"))
        .collect();
    copy_some("roboflow-train-handcrop", &train_dir, |n| {
        first3.iter().any(|p| n.starts_with(p.as_str()))
    });
    // One measuring photo per letter.
    let field_dir = tmp.path().join("field");
    assert_eq!(
        copy_some("roboflow-handcrop", &field_dir, |n| n.ends_with("_1.jpg")),
        24
    );

    let mut study = Study::create(tmp.path().join("study"), 50).unwrap();
    let photos = load_photos(&train_dir).unwrap();
    let models = signlang::landmarks::default_models_dir();
    let config = RouteConfig {
        epochs: 15,
        ..RouteConfig::default()
    };
    let lm = route::build(&mut study, &photos, &models, &config, None).unwrap();
    assert_eq!(
        (lm.trained.len(), study.used()),
        (3, 3),
        "three candidates, three runs"
    );
    let best = lm
        .trained
        .iter()
        .map(|t| t.holdout_accuracy())
        .fold(f64::MIN, f64::max);
    assert_eq!(
        lm.chosen().holdout_accuracy(),
        best,
        "chosen on the held-out crops"
    );
    assert!(
        lm.train.detected() * 10 >= lm.train.len() * 7,
        "hands in most crops: {}/{}",
        lm.train.detected(),
        lm.train.len()
    );
    assert!(lm.unsure.threshold.is_finite() && lm.unsure.threshold >= 0.0);

    let field = load_photos(&field_dir).unwrap();
    let hands = route::hands_in_photos(&field, None, &models, &config.find, None).unwrap();
    let score = lm.score_on(&study, &hands, "24 real photos").unwrap();
    assert_eq!(score.len(), 24);
    let found = score.predicted.iter().filter(|&&p| p != NO_HAND).count();
    assert_eq!(found, hands.detected());
    assert!(
        score.accuracy().correct > 2,
        "better than guessing (1 in 24): {}",
        score.accuracy().point()
    );

    let export = tmp.path().join("export");
    let manifest = route::export_route(&lm, &study, &export, &["a measured line".into()]).unwrap();
    assert_eq!(manifest.run_id, lm.chosen().run.id());
    let readme = std::fs::read_to_string(export.join("README.md")).unwrap();
    assert!(readme.contains("a measured line") && readme.contains(&manifest.mediapipe_files[0].1));
    let app = RouteClassifier::load(&export).unwrap();
    for (i, file) in field.files.iter().enumerate() {
        let p = app.predict_file(file).unwrap();
        let ours = (score.predicted[i] != NO_HAND).then(|| signlang::letter(score.predicted[i]));
        assert_eq!(p.letter(), ours, "{}", file.display());
        assert_eq!(p.hand, ours.is_some());
    }

    // Asking again trains nothing.
    route::build(&mut study, &photos, &models, &config, None).unwrap();
    assert_eq!(study.used(), 3);
}
