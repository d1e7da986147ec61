//! `signlang::adapt` on generated photo folders: names and source photos,
//! grouped draws, adaptation as study runs (counted once, never trained
//! twice), the learning curve and its budget check, the adapted export, and
//! every bad input with its one-line error.

use std::path::Path;

use signlang::adapt::{
    adapt_export, draw, holdout, learning_curve, load_photos, parse_name, AdaptError, AdaptOptions,
    CurveConfig, PerLetter,
};
use signlang::study::Study;
use signlang::testing::{self, write_letter_photos};
use signlang::train::{Progress, TrainConfig, TrainOptions};

fn quiet(epochs: usize) -> AdaptOptions {
    AdaptOptions {
        epochs: Some(epochs),
        progress: Progress::Silent,
        ..Default::default()
    }
}

#[test]
fn configs_without_init_serialise_as_before() {
    let json = serde_json::to_string(&TrainConfig::default()).unwrap();
    assert!(!json.contains("init"), "{json}");
    let adapted = signlang::adapt::fine_tune_config(0);
    assert!(adapted.init.is_none(), "init is set per run, from the base");
}

#[test]
fn names_give_the_letter_and_the_source_photo() {
    let (c, g) = parse_name(Path::new("x/A_11_2.jpg")).unwrap();
    assert_eq!((c, g.as_str()), (0, "A_11"));
    let (c, g) = parse_name(Path::new("b_1.png")).unwrap();
    assert_eq!((c, g.as_str()), (1, "B_1"));
    let err = parse_name(Path::new("dir/J_1_1.jpg")).unwrap_err();
    assert!(
        matches!(err, AdaptError::UnknownLetter { found: 'J', .. }),
        "{err}"
    );
    assert!(err.to_string().contains("dir/J_1_1.jpg"), "{err}");
}

#[test]
fn draws_keep_source_photos_together_and_are_nested_and_seeded() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(write_letter_photos(tmp.path(), 4, 2), 192);
    let photos = load_photos(tmp.path()).unwrap();
    assert_eq!((photos.len(), photos.group_names.len()), (192, 96));
    let (kept, held) = holdout(&photos, 0.25, 3);
    assert_eq!(
        (kept.len(), held.len()),
        (72, 24),
        "one of 4 per letter held out"
    );
    assert!(
        kept.iter().all(|g| !held.contains(g)),
        "no source photo on both sides"
    );
    let (_, held_ids) = photos.select("held", &held);
    assert_eq!(held_ids.len(), 48, "both versions of each held-out photo");
    let one = draw(&photos, &kept, PerLetter::Count(1), 5);
    let two = draw(&photos, &kept, PerLetter::Count(2), 5);
    assert_eq!((one.len(), two.len()), (24, 48));
    assert!(
        one.iter().all(|g| two.contains(g)),
        "draws of one seed are nested"
    );
    assert_eq!(one, draw(&photos, &kept, PerLetter::Count(1), 5));
    assert_ne!(one, draw(&photos, &kept, PerLetter::Count(1), 6));
    assert_eq!(draw(&photos, &kept, PerLetter::All, 0), kept);
    let per_letter = photos.groups_by_letter();
    assert!(one
        .iter()
        .all(|g| per_letter.iter().filter(|l| l.contains(g)).count() == 1));
}

#[test]
fn adapting_an_export_is_one_counted_run_and_is_not_trained_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let (model, photos, out) = (
        tmp.path().join("m"),
        tmp.path().join("p"),
        tmp.path().join("o"),
    );
    testing::export_small(&model, 3);
    write_letter_photos(&photos, 4, 2);
    let first = adapt_export(&model, &photos, &out, quiet(2)).unwrap();
    assert!(!first.run.cached);
    assert_eq!((first.train, first.held_out), ((144, 72), (48, 24)));
    assert_eq!(first.after.groups, 24, "the interval counts source photos");
    for file in [
        "model.pt",
        "model.onnx",
        "model.safetensors",
        "spec.json",
        "calibration.json",
    ] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    let classifier = signlang::infer::Classifier::load(&out).unwrap();
    assert!(classifier.calibration().is_some());
    let again = adapt_export(&model, &photos, &out, quiet(2));
    assert!(matches!(again, Err(AdaptError::OutExists { .. })));
    let forced = adapt_export(
        &model,
        &photos,
        &out,
        AdaptOptions {
            force: true,
            ..quiet(2)
        },
    );
    let forced = forced.unwrap();
    assert!(forced.run.cached, "the recorded run is returned");
    assert_eq!(forced.run.id(), first.run.id());
    let study = Study::open(&first.study_dir).unwrap();
    assert_eq!(study.used(), 1, "one run counted");
    let config = &study.get(first.run.id()).unwrap().config;
    assert!(config.init.as_ref().unwrap().from.contains("m"));
}

#[test]
fn bad_inputs_get_one_line_naming_the_file_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m");
    testing::export_small(&model, 1);
    let photos = tmp.path().join("p");
    write_letter_photos(&photos, 2, 1);
    let run = |photos: &Path, model: &Path| {
        let out = tmp.path().join("out-never");
        let e = adapt_export(model, photos, &out, quiet(1)).unwrap_err();
        assert!(!e.to_string().contains('\n'), "one line: {e}");
        assert!(!out.join("model.pt").exists());
        e
    };
    std::fs::remove_file(model.join("spec.json")).unwrap();
    let e = run(&photos, &model);
    assert!(matches!(e, AdaptError::NotAnExport { .. }) && e.to_string().contains("spec.json"));
    testing::export_small(&model, 1);
    std::fs::write(photos.join("B_9_1.png"), b"not a png").unwrap();
    let e = run(&photos, &model);
    assert!(matches!(e, AdaptError::Unreadable { .. }) && e.to_string().contains("B_9_1.png"));
    std::fs::remove_file(photos.join("B_9_1.png")).unwrap();
    std::fs::copy(photos.join("A_0_1.png"), photos.join("Z_0_1.png")).unwrap();
    let e = run(&photos, &model);
    assert!(
        matches!(e, AdaptError::UnknownLetter { found: 'Z', .. }),
        "{e}"
    );
    std::fs::remove_file(photos.join("Z_0_1.png")).unwrap();
    std::fs::remove_file(photos.join("C_1_1.jpg")).unwrap();
    let e = run(&photos, &model);
    assert!(
        matches!(
            e,
            AdaptError::TooFew {
                letter: 'C',
                found: 1,
                needed: 2,
                ..
            }
        ),
        "{e}"
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(matches!(
        run(&empty, &model),
        AdaptError::EmptyFolder { .. }
    ));
    let out = tmp.path().join("busy");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let e = adapt_export(&model, &photos, &out, quiet(1)).unwrap_err();
    assert!(matches!(e, AdaptError::OutExists { .. }) && e.to_string().contains("--force"));
}

/// A base run on generated 28×28 letters, in a study of `budget`.
fn base_study(dir: &Path, budget: usize) -> (Study, String) {
    let mut study = Study::create(dir, budget).unwrap();
    let mut data = testing::dataset("train", 96, 1);
    data.pixels = (0..96u32)
        .flat_map(|i| testing::letter_pixels((i % 24) as u8, i))
        .collect();
    let config = TrainConfig {
        epochs: 1,
        ..testing::config(0)
    };
    let options = TrainOptions {
        progress: Progress::Silent,
        device: tch::Device::Cpu,
        ..Default::default()
    };
    let run = study
        .run(&testing::small_spec(), &config, &data, &data, options)
        .unwrap();
    (study, run.id().to_string())
}

#[test]
fn the_learning_curve_counts_its_runs_once_and_exports_the_best() {
    let tmp = tempfile::tempdir().unwrap();
    let (train, measure) = (tmp.path().join("train"), tmp.path().join("measure"));
    write_letter_photos(&train, 3, 2);
    write_letter_photos(&measure, 1, 1);
    let (mut study, base) = base_study(&tmp.path().join("study"), 10);
    let config = CurveConfig {
        per_letter: vec![PerLetter::Count(1), PerLetter::All],
        draws: 1,
        class_means_draws: 1,
        holdout: 0.3,
        fine_tune: TrainConfig {
            epochs: 2,
            ..signlang::adapt::fine_tune_config(0)
        },
        ..Default::default()
    };
    assert_eq!(config.planned_runs(), 4);
    let curve = learning_curve(&mut study, &base, &train, &measure, &config).unwrap();
    assert_eq!(study.used(), 5, "base + 4 adapted runs");
    assert_eq!(curve.points.len(), 5);
    assert_eq!(curve.points[0].run_id, base);
    assert_eq!(curve.points[1].photos_per_letter, 1.0);
    assert_eq!(
        curve.points[3].photos_per_letter, 2.0,
        "all = 3 minus 1 held out"
    );
    assert!(curve.points.iter().all(|p| p.measured.groups == 24));
    let table = curve.table();
    assert_eq!(table.rows.len(), 5);
    assert_eq!(table.rows.iter().filter(|r| r[0] == "fine-tune").count(), 2);
    assert!(curve.plot().svg.contains("<svg"));
    let again = learning_curve(&mut study, &base, &train, &measure, &config).unwrap();
    assert_eq!(study.used(), 5, "nothing trained twice");
    assert!(again.points[1..].iter().all(|p| p.cached));
    let export = curve
        .export_best(&study, tmp.path().join("export-adapted"), false)
        .unwrap();
    assert_eq!(
        Some(export.run_id.as_str()),
        curve.best().map(|p| p.run_id.as_str())
    );
    assert!(export.calibration.fitted_on.contains("held-out"));
    let (mut small, base) = base_study(&tmp.path().join("small"), 3);
    let e = learning_curve(&mut small, &base, &train, &measure, &config).unwrap_err();
    assert!(
        matches!(
            e,
            AdaptError::Budget {
                needed: 4,
                left: 2,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(small.used(), 1, "refused before training");
}

#[test]
fn training_from_weights_needs_the_file_the_config_names() {
    let tmp = tempfile::tempdir().unwrap();
    testing::export_small(tmp.path(), 2);
    let base = signlang::adapt::Base::from_export(tmp.path()).unwrap();
    let data = testing::dataset("d", 24, 1);
    let spec = testing::small_spec();
    let silent = || TrainOptions {
        progress: Progress::Silent,
        device: tch::Device::Cpu,
        ..Default::default()
    };
    let mut config = TrainConfig {
        epochs: 1,
        init: Some(base.init(signlang::train::Adapter::FineTune)),
        ..testing::config(0)
    };
    let plain = signlang::train::train(&spec, &config, &data, &data, silent());
    assert!(matches!(plain, Err(signlang::train::TrainError::Init(_))));
    let ok = signlang::train::train_from(&spec, &config, &data, &data, silent(), &base.weights);
    assert_eq!(ok.unwrap().history.epochs.len(), 1);
    config.init.as_mut().unwrap().weights_sha256 = "0".repeat(64);
    let wrong = signlang::train::train_from(&spec, &config, &data, &data, silent(), &base.weights);
    let msg = wrong.unwrap_err().to_string();
    assert!(
        msg.contains("model.safetensors") && msg.contains("SHA-256"),
        "{msg}"
    );
}
