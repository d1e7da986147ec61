//! `signlang predict MODEL DIR --truth-from-name` end to end on a generated
//! folder: real test-CSV images scaled up and saved as PNG and JPEG, named
//! so that the accuracy is known (4 of 6 named after the model's answer),
//! plus a corrupt file and badly named ones; then `--json`, and
//! `calibration.json` marking images `unsure`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use signlang::calibrate::Calibration;
use signlang::data::{load_dataset, PIXELS};
use signlang::evaluate::grouped::group_interval;
use signlang::export::export_model;
use signlang::field::predict_file;
use signlang::infer::Classifier;
use signlang::model::{DenseSpec, ModelSpec};
use signlang::{letter, LETTERS};
use tch::{nn, Device};

fn signlang(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_signlang"))
        .args(args)
        .output()
        .unwrap()
}

/// A 28×28 dataset image scaled up to 112×112, as RGB.
fn scaled_up(pixels: &[u8]) -> image::RgbImage {
    let grey = image::GrayImage::from_raw(28, 28, pixels.to_vec()).unwrap();
    let big = image::imageops::resize(&grey, 112, 112, image::imageops::FilterType::Triangle);
    image::DynamicImage::ImageLuma8(big).to_rgb8()
}

fn export_sharp_linear(dir: &Path) {
    tch::manual_seed(11);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = nn::seq_t()
        .add_fn(|x| x.flatten(1, -1))
        .add(nn::linear(vs.root() / "fc", 784, 24, Default::default()))
        .add_fn(|x| x * 30.0);
    export_model(dir, &ModelSpec::Dense(DenseSpec::default()), &vs, &net).unwrap();
}

/// Six images from the test CSV in `dir`: 4 named after the model's answer,
/// 2 after another letter (one in lower case). Returns the files.
fn write_photos(model: &Path, dir: &Path) -> Vec<PathBuf> {
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/sign_mnist_test.csv.gz"
    );
    let data = load_dataset(csv).expect("the test CSV in data/");
    let classifier = Classifier::load(model).unwrap();
    let mut files = Vec::new();
    for i in 0..6 {
        let img = scaled_up(&data.image(i * 50)[..PIXELS]);
        let ext = if i % 2 == 0 { "png" } else { "jpg" };
        let tmp = dir.join(format!("tmp.{ext}"));
        img.save(&tmp).unwrap();
        let predicted = predict_file(&classifier, &tmp).unwrap().predicted;
        let name = if i < 4 {
            letter(predicted).to_string()
        } else {
            let other = LETTERS[(predicted as usize + 1) % LETTERS.len()];
            other.to_ascii_lowercase().to_string()
        };
        let file = dir.join(format!("{name}_{i}.{ext}"));
        std::fs::rename(&tmp, &file).unwrap();
        files.push(file);
    }
    files
}

#[test]
fn truth_from_name_scores_a_folder_and_names_bad_files() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    export_sharp_linear(&model);
    let photos = tmp.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let good = write_photos(&model, &photos);
    std::fs::write(photos.join("C_9.png"), b"\x89PNG broken").unwrap();
    let valid = scaled_up(&[128u8; PIXELS]);
    valid.save(photos.join("9_hand.png")).unwrap();
    valid.save(photos.join("z_2.JPG")).unwrap();
    std::fs::write(photos.join("notes.txt"), "not an image, not read").unwrap();

    let out = signlang(&[
        Path::new("predict"),
        &model,
        &photos,
        Path::new("--truth-from-name"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "bad files must fail the command");
    // One image per source photo: the library's per-photo interval of 4 of 6.
    let counts = [(1, 1), (1, 1), (1, 1), (1, 1), (1, 0), (1, 0)];
    let ci = group_interval(&counts).0.percent();
    assert!(
        stdout.contains(&format!("66.7% (4/6) {ci} on 6 source photos")),
        "{stdout}"
    );
    assert!(stdout.contains("6 photos scored, 3 failed"), "{stdout}");
    assert!(stdout.contains("no calibration.json"), "{stdout}");
    for bad in ["C_9.png", "9_hand.png", "z_2.JPG"] {
        assert!(stderr.contains(bad), "{bad} not named: {stderr}");
        assert!(stdout.contains(bad), "{bad} not in the report: {stdout}");
    }
    assert!(
        stderr.contains("3 of 9 images could not be classified"),
        "{stderr}"
    );
    assert!(!stderr.contains("notes.txt"), "{stderr}");

    // --json: one object per scored image, with the truth from the name.
    let out = signlang(&[
        Path::new("predict"),
        &model,
        &photos,
        Path::new("--truth-from-name"),
        Path::new("--json"),
    ]);
    assert!(!out.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    let right = rows.iter().filter(|r| r["truth"] == r["predicted"]).count();
    assert_eq!(right, 4);
    let files: Vec<&str> = rows.iter().map(|r| r["file"].as_str().unwrap()).collect();
    let mut want: Vec<String> = good.iter().map(|p| p.display().to_string()).collect();
    want.sort();
    assert_eq!(files, want);
    assert!(rows
        .iter()
        .all(|r| r["top3"].as_array().unwrap().len() == 3));
    assert!(rows.iter().all(|r| r["unsure"] == false));
}

#[test]
fn calibration_json_marks_unsure_images() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    export_sharp_linear(&model);
    let photos = tmp.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let files = write_photos(&model, &photos);

    // Temperature 2, then a threshold between the 3rd and 4th confidence.
    let mut cal = Calibration {
        temperature: 2.0,
        threshold: 0.0,
        target_accuracy: 0.99,
        fitted_on: "test".into(),
        fitted_images: 0,
        ece_before: 0.0,
        ece_after: 0.0,
        usage: String::new(),
        unsure: None,
    };
    cal.save(&model).unwrap();
    let classifier = Classifier::load(&model).unwrap();
    let conf: Vec<f32> = files
        .iter()
        .map(|f| predict_file(&classifier, f).unwrap().confidence)
        .collect();
    let mut sorted = conf.clone();
    sorted.sort_by(f32::total_cmp);
    assert!(sorted[2] < sorted[3], "{sorted:?}");
    cal.threshold = f64::from(sorted[2] + sorted[3]) / 2.0;
    cal.save(&model).unwrap();

    let out = signlang(&[Path::new("predict"), &model, &photos, Path::new("--json")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let file = PathBuf::from(row["file"].as_str().unwrap());
        let i = files.iter().position(|f| *f == file).unwrap();
        let p = row["probability"].as_f64().unwrap();
        assert!((p - f64::from(conf[i])).abs() < 1e-6, "{p} vs {}", conf[i]);
        assert_eq!(row["unsure"], f64::from(conf[i]) < cal.threshold, "{row}");
        assert_eq!(row["truth"], serde_json::Value::Null);
    }

    let out = signlang(&[Path::new("predict"), &model, &photos]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.ends_with("[unsure]")).count(),
        3,
        "{stdout}"
    );

    let out = signlang(&[
        Path::new("predict"),
        &model,
        &photos,
        Path::new("--truth-from-name"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("coverage 50.0% (3/6)"), "{stdout}");
}
