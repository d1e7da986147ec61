//! The field check's library side: truth from file names, folder listing,
//! the report (HTML and text) with failures, and the notebook's
//! `SIGNLANG_FIELD_DIR` entry point.

use std::path::{Path, PathBuf};

use signlang::export::export_model;
use signlang::field::{check_dir, check_from_env, list_images, truth_from_name, FIELD_DIR_ENV};
use signlang::infer::Classifier;
use signlang::model::{DenseSpec, ModelSpec};
use tch::{nn, Device};

#[test]
fn truth_comes_from_the_first_letter_of_the_name() {
    let t = |name: &str| truth_from_name(Path::new(name));
    assert_eq!(t("dir/A_1.jpg").unwrap(), 0);
    assert_eq!(t("b_2.png").unwrap(), 1);
    assert_eq!(t("K-hand.jpeg").unwrap(), 9); // J is skipped: K is class 9
    assert_eq!(t("y.png").unwrap(), 23);
    for bad in ["J_1.jpg", "z_3.png", "9_x.png", "_a.png"] {
        let msg = t(bad).unwrap_err().to_string();
        assert!(msg.contains(bad), "{msg}");
        assert!(msg.contains("<LETTER>_<n>.jpg"), "{msg}");
    }
}

fn export_linear(dir: &Path) {
    tch::manual_seed(1);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = nn::seq_t().add_fn(|x| x.flatten(1, -1)).add(nn::linear(
        vs.root() / "fc",
        784,
        24,
        Default::default(),
    ));
    export_model(dir, &ModelSpec::Dense(DenseSpec::default()), &vs, &net).unwrap();
}

#[test]
fn a_folder_is_scored_and_bad_files_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    export_linear(&model);
    let photos = tmp.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let img = image::GrayImage::from_fn(40, 30, |x, y| image::Luma([(x * 6 + y) as u8]));
    for name in ["B_2.png", "a_1.PNG", "C_3.jpeg", "j_4.png"] {
        img.save(photos.join(name)).unwrap();
    }
    std::fs::write(photos.join("D_5.jpg"), b"not a jpeg").unwrap();
    std::fs::write(photos.join("readme.txt"), b"skipped").unwrap();
    std::fs::create_dir(photos.join("E_sub.png")).unwrap();

    let names: Vec<String> = list_images(&photos)
        .unwrap()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["B_2.png", "C_3.jpeg", "D_5.jpg", "a_1.PNG", "j_4.png"]
    );

    let classifier = Classifier::load(&model).unwrap();
    let report = check_dir(&classifier, &photos).unwrap();
    assert_eq!(report.records.len(), 3);
    assert_eq!(report.truth(), vec![1, 2, 0]);
    let failed: Vec<PathBuf> = report.failures.iter().map(|f| f.file.clone()).collect();
    assert_eq!(failed, vec![photos.join("D_5.jpg"), photos.join("j_4.png")]);
    // The same image everywhere: one prediction, so at most one is right.
    let e = report.evaluation().unwrap();
    assert!(e.correct <= 1);
    assert!(report.abstain().is_none());
    let html = report.to_display().html;
    for needed in [
        "D_5.jpg",
        "j_4.png",
        "Per letter",
        "not independent",
        "source photo as the unit",
        "signers are unknown",
    ] {
        assert!(html.contains(needed), "{needed} missing");
    }
    assert!(report.to_text().contains("3 photos scored, 2 failed"));

    let missing = check_dir(&classifier, tmp.path().join("nope"));
    assert!(missing.unwrap_err().to_string().contains("nope"));
}

#[test]
fn the_notebook_entry_says_when_there_is_nothing_to_check() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    export_linear(&model);
    std::env::remove_var(FIELD_DIR_ENV);
    assert!(check_from_env(&model)
        .text
        .contains("SIGNLANG_FIELD_DIR is not set"));
    std::env::set_var(FIELD_DIR_ENV, tmp.path().join("absent"));
    let text = check_from_env(&model).text;
    assert!(
        text.contains("absent") && text.contains("not a folder"),
        "{text}"
    );
    let photos = tmp.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    image::GrayImage::from_pixel(28, 28, image::Luma([200]))
        .save(photos.join("L_1.png"))
        .unwrap();
    std::env::set_var(FIELD_DIR_ENV, &photos);
    let text = check_from_env(&model).text;
    assert!(text.contains("1 photos scored, 0 failed"), "{text}");
    std::env::remove_var(FIELD_DIR_ENV);
}
