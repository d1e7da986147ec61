//! `diagnose::unsure_evidence` with a real small run: the rule judged on
//! the test half (photos as the unit), on corrupted copies of test photos
//! and on a folder of photos; each call recorded as a test touch.

use signlang::calibrate::Population;
use signlang::data::{Dataset, TestSplit};
use signlang::model::{DenseSpec, ModelSpec};
use signlang::study::{Progress, Study, TrainOptions};
use signlang::testing::{calibration, letter_pixels, write_letter_photos};
use signlang::train::TrainConfig;

/// `n` images of the generated letters, 4 of each source photo.
fn dataset(name: &str, n: usize, variant: u32) -> Dataset {
    let classes: Vec<u8> = (0..n).map(|i| (i / 4 % 24) as u8).collect();
    let pixels = (0..n)
        .flat_map(|i| letter_pixels(classes[i], variant + i as u32 % 4))
        .collect();
    Dataset {
        name: name.into(),
        pixels,
        classes,
        rows: (1..=n as u32).collect(),
    }
}

#[test]
fn the_rule_is_judged_on_every_population_and_the_test_touch_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = (dataset("train", 480, 0), dataset("validation", 96, 40));
    let test_data = dataset("test", 96, 80);
    let groups: Vec<u32> = (0..96).map(|i| i / 4).collect();
    let test = TestSplit::seal_with_groups(test_data, groups);
    let spec = ModelSpec::Dense(DenseSpec {
        hidden: vec![32],
        ..Default::default()
    });
    let config = TrainConfig {
        lr: 1e-2,
        epochs: 3,
        seed: 1,
        ..Default::default()
    };
    let options = TrainOptions {
        device: tch::Device::Cpu,
        progress: Progress::Silent,
        stop: None,
    };
    let mut study = Study::create(dir.path().join("study"), 2).unwrap();
    let id = study
        .run(&spec, &config, &train, &val, options)
        .unwrap()
        .id()
        .to_string();
    let photos = dir.path().join("photos");
    let files = write_letter_photos(&photos, 1, 1);

    let cal = calibration(0.5);
    let rows =
        signlang::diagnose::unsure_evidence(&mut study, &id, "m", &cal, &test, Some(&photos))
            .unwrap();
    let populations: Vec<Population> = rows.iter().map(|r| r.population).collect();
    let expected = [
        Population::TestHalf,
        Population::CorruptedTest,
        Population::RealPhotos,
    ];
    assert_eq!(populations, expected);
    let sizes: Vec<(usize, usize)> = rows.iter().map(|r| (r.test.n, r.test.photos)).collect();
    // 13 corruptions of 3 images of each of the 24 test photos.
    assert_eq!(sizes, [(96, 24), (13 * 72, 24), (files, files)]);
    assert_eq!(rows[2].test.design_effect, 1.0, "one image per photo");
    for r in &rows {
        assert_eq!(r.curve.n, r.test.n);
        assert!(r.test.answered + r.test.refused() == r.test.n);
    }
    assert_eq!(study.test_touches().len(), 1);
    let again =
        signlang::diagnose::unsure_evidence(&mut study, &id, "m", &cal, &test, Some(&photos))
            .unwrap();
    assert_eq!(again, rows, "the same evidence, from the cache");
    assert_eq!(
        study.test_touches().len(),
        2,
        "every look at the test half counts"
    );
    let table = signlang::calibrate::evidence_table(&rows).to_text();
    assert!(table.contains("corrupted test copies") && table.contains("24 real photos"));
}
