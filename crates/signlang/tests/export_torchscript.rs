//! Export: the TorchScript model, loaded by plain PyTorch, predicts exactly
//! as the library does on real test images; image files of any size and
//! colour are preprocessed to 28×28 greyscale; bad files are clear errors.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use signlang::data::{Dataset, PIXELS};
use signlang::evaluate::{evaluate, predict_classes};
use signlang::export::{export_model, ExportError};
use signlang::infer::{preprocess_image, Classifier, InferError};
use signlang::letters::class_of_label;
use signlang::model::{CnnSpec, ConvBlock, DenseSpec, ModelSpec, Padding};
use tch::nn::{self, Module, ModuleT, OptimizerConfig};
use tch::{Device, Kind};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The first `n` rows of a Sign Language MNIST CSV (test helper; the library
/// loader lives in `data`).
fn read_rows(path: &Path, n: usize) -> Dataset {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = BufReader::new(flate2::read::GzDecoder::new(file)).lines();
    let (mut pixels, mut classes, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    for (i, line) in lines.skip(1).take(n).enumerate() {
        let line = line.unwrap();
        let mut fields = line.trim_end().split(',');
        let label: i64 = fields.next().unwrap().parse().unwrap();
        classes.push(class_of_label(label).unwrap());
        pixels.extend(fields.map(|f| f.parse::<u8>().unwrap()));
        rows.push(i as u32 + 1);
    }
    assert_eq!(pixels.len(), classes.len() * PIXELS);
    Dataset {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        pixels,
        classes,
        rows,
    }
}

fn data_file(name: &str) -> PathBuf {
    // The data lives in the main checkout; worktrees are below it.
    workspace()
        .ancestors()
        .map(|p| p.join("data").join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found above {}", workspace().display()))
}

/// A stand-in for the models crate's `Net`: conv → relu → pool → dropout →
/// linear, with the spec that describes it.
fn stand_in(vs: &nn::VarStore) -> (nn::SequentialT, ModelSpec) {
    let p = vs.root();
    let net = nn::seq_t()
        .add(nn::conv2d(&p / "conv", 1, 8, 3, Default::default()))
        .add_fn(|x| x.relu().max_pool2d_default(2))
        .add_fn_t(|x, train| x.dropout(0.3, train))
        .add_fn(|x| x.flatten(1, -1))
        .add(nn::linear(&p / "fc", 8 * 13 * 13, 24, Default::default()));
    let spec = ModelSpec::Cnn(CnnSpec {
        blocks: vec![ConvBlock {
            filters: 8,
            kernel: 3,
            padding: Padding::Valid,
            batch_norm: false,
            pool: Some(2),
            dropout: 0.3,
        }],
        activation: Default::default(),
        input_norm: false,
        head: DenseSpec::default(),
    });
    (net, spec)
}

fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SIGNLANG_PYTHON") {
        return Some(PathBuf::from(p));
    }
    workspace()
        .ancestors()
        .map(|p| p.join(".venv/bin/python"))
        .find(|p| p.is_file())
}

/// A quickly trained stand-in exported to a temporary folder (its files
/// checked, the Rust classifier checked against the library), with the
/// real test rows it was checked on and the library's predictions.
fn exported_stand_in() -> (tempfile::TempDir, Dataset, Vec<u8>) {
    tch::manual_seed(7);
    let train = read_rows(&data_file("sign_mnist_train.csv.gz"), 2000);
    let test = read_rows(&data_file("sign_mnist_test.csv.gz"), 300);

    // A quickly trained stand-in, so predictions vary across letters.
    let vs = nn::VarStore::new(Device::Cpu);
    let (net, spec) = stand_in(&vs);
    let mut opt = nn::Adam::default().build(&vs, 3e-3).unwrap();
    let (x, y) = (train.images(), train.targets());
    for step in 0..60 {
        let start = (step * 250) % 1750;
        let loss = net
            .forward_t(&x.narrow(0, start, 250), true)
            .cross_entropy_for_logits(&y.narrow(0, start, 250));
        opt.backward_step(&loss);
    }
    let library = predict_classes(&net, &test, Device::Cpu).unwrap();
    let distinct: std::collections::BTreeSet<u8> = library.iter().copied().collect();
    assert!(
        distinct.len() >= 8,
        "stand-in predicts too few letters: {distinct:?}"
    );
    let eval = evaluate(&net, &test, Device::Cpu).unwrap();
    assert_eq!(eval.predicted, library);
    println!(
        "stand-in test accuracy on {} images: {:.3}",
        eval.n, eval.accuracy
    );
    if let Ok(dir) = std::env::var("SIGNLANG_PLOT_DIR") {
        // Figures of a real (weak) model on real images, for a look.
        std::fs::create_dir_all(&dir).unwrap();
        let dir = Path::new(&dir);
        let grid = signlang::plots::misclassified_grid_for(&test, &eval, 30);
        grid.save(dir.join("real_misclassified.svg")).unwrap();
        signlang::plots::confusion_matrix(&eval)
            .save(dir.join("real_confusion.svg"))
            .unwrap();
        signlang::plots::per_letter_accuracy(&eval)
            .save(dir.join("real_per_letter.svg"))
            .unwrap();
        println!("{}", eval.summary());
        println!("{}", eval.per_letter_table());
        let goals = signlang::evaluate::Goals::default();
        println!("{}", eval.goal_check(&goals).to_table());
        let report = signlang::evaluate::ClientReport::new(&eval, "model", goals);
        println!("{}", report.to_display().text);
    }

    let dir = tempfile::tempdir().unwrap();
    let info = export_model(dir.path(), &spec, &vs, &net).unwrap();
    // The weights are trainable again after the export.
    assert!(vs.trainable_variables().iter().all(|t| t.requires_grad()));
    assert_eq!(info.parameters, 8 * 9 + 8 + 8 * 13 * 13 * 24 + 24);
    assert!(info.max_abs_diff < 1e-5, "{}", info.max_abs_diff);
    for f in [
        "model.pt",
        "model.safetensors",
        "spec.json",
        "labels.json",
        "README.md",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    let spec_back: ModelSpec =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("spec.json")).unwrap())
            .unwrap();
    assert_eq!(spec_back, spec);
    let labels: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("labels.json")).unwrap())
            .unwrap();
    assert_eq!(labels.concat(), "ABCDEFGHIKLMNOPQRSTUVWXY");

    // The Rust classifier (TorchScript via tch) agrees.
    let classifier = Classifier::load(dir.path()).unwrap();
    assert_eq!(classifier.predict_classes(&test).unwrap(), library);

    // The safetensors weights rebuild the same network.
    let mut vs2 = nn::VarStore::new(Device::Cpu);
    let (net2, _) = stand_in(&vs2);
    vs2.load(dir.path().join("model.safetensors")).unwrap();
    assert_eq!(predict_classes(&net2, &test, Device::Cpu).unwrap(), library);
    (dir, test, library)
}

#[test]
fn torchscript_export_predicts_like_the_library() {
    let (dir, test, library) = exported_stand_in();
    let classifier = Classifier::load(dir.path()).unwrap();
    // A real test image written as PNG is classified like the library does.
    let png = dir.path().join("hand.png");
    image::GrayImage::from_raw(28, 28, test.image(0).to_vec())
        .unwrap()
        .save(&png)
        .unwrap();
    let top = classifier.predict_file(&png).unwrap();
    assert_eq!(top.len(), 3);
    assert_eq!(top[0].0, signlang::letter(library[0]));
    assert!(top[0].1 >= top[1].1 && top[1].1 >= top[2].1);
    assert!(top.iter().all(|(_, p)| (0.0..=1.0).contains(p)));
}

#[test]
#[ignore = "needs the project venv's Python with torch; `make test` runs it"]
fn torchscript_in_pytorch_predicts_like_the_library() {
    let (dir, test, library) = exported_stand_in();
    // Plain PyTorch agrees, image by image.
    let python = python().expect("no SIGNLANG_PYTHON and no .venv/bin/python: run `make setup`");
    let raw = dir.path().join("images.u8");
    std::fs::write(&raw, &test.pixels).unwrap();
    let script = r#"
import sys, json, torch
model = torch.jit.load(sys.argv[1], map_location="cpu").eval()
data = open(sys.argv[2], "rb").read()
x = torch.frombuffer(bytearray(data), dtype=torch.uint8).view(-1, 1, 28, 28).float() / 255
with torch.no_grad():
    print(json.dumps(model(x).argmax(1).tolist()))
"#;
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(dir.path().join("model.pt"))
        .arg(&raw)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let torch_pred: Vec<u8> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(torch_pred.len(), test.len());
    let differ = (0..test.len())
        .filter(|&i| torch_pred[i] != library[i])
        .count();
    assert_eq!(
        differ, 0,
        "PyTorch and the library disagree on {differ} images"
    );
}

#[test]
fn images_of_any_size_and_colour_become_28x28_greyscale() {
    let dir = tempfile::tempdir().unwrap();
    // Wide RGB: black side bands, an orange centre square → crop keeps only orange.
    let wide = image::RgbImage::from_fn(100, 50, |x, _| {
        if (25..75).contains(&x) {
            image::Rgb([200, 100, 50])
        } else {
            image::Rgb([0, 0, 0])
        }
    });
    let p = dir.path().join("wide.png");
    wide.save(&p).unwrap();
    let px = preprocess_image(&p).unwrap();
    // Rec. 709 luma of (200, 100, 50) = 117.6.
    assert!(px.iter().all(|&v| (117..=119).contains(&v)), "{px:?}");

    // Tall JPEG with a vertical gradient: the centre crop spans rows 27..64
    // of 91, so the top row of the result is darker than the bottom one.
    let tall = image::RgbImage::from_fn(37, 91, |_, y| {
        let v = (y * 255 / 90) as u8;
        image::Rgb([v, v / 2, 255 - v])
    });
    let p = dir.path().join("tall.jpg");
    tall.save(&p).unwrap();
    let px = preprocess_image(&p).unwrap();
    let (top, bottom) = (px[14] as i32, px[27 * 28 + 14] as i32);
    assert!(bottom - top > 30, "top {top}, bottom {bottom}");

    // A JPEG saved under a .png name still decodes (format from content).
    let renamed = dir.path().join("actually_jpeg.png");
    std::fs::copy(&p, &renamed).unwrap();
    assert_eq!(preprocess_image(&renamed).unwrap(), px);

    // Fully transparent RGBA flattens to white; 16-bit grey works too.
    let clear = image::RgbaImage::from_pixel(30, 30, image::Rgba([0, 0, 0, 0]));
    let p = dir.path().join("clear.png");
    clear.save(&p).unwrap();
    assert!(preprocess_image(&p).unwrap().iter().all(|&v| v == 255));
    let deep = image::ImageBuffer::<image::Luma<u16>, _>::from_pixel(56, 56, image::Luma([32768]));
    let p = dir.path().join("deep.png");
    deep.save(&p).unwrap();
    assert!(preprocess_image(&p)
        .unwrap()
        .iter()
        .all(|&v| (127..=129).contains(&v)));

    // A 28×28 greyscale image passes through unchanged.
    let exact: Vec<u8> = (0..PIXELS).map(|i| (i * 7 % 256) as u8).collect();
    let p = dir.path().join("exact.png");
    image::GrayImage::from_raw(28, 28, exact.clone())
        .unwrap()
        .save(&p)
        .unwrap();
    assert_eq!(preprocess_image(&p).unwrap().to_vec(), exact);
}

#[test]
fn unreadable_images_and_missing_models_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("notes.png");
    std::fs::write(&junk, "this is not an image").unwrap();
    let err = preprocess_image(&junk).unwrap_err();
    assert!(matches!(err, InferError::Image { .. }));
    assert!(err.to_string().contains("notes.png"), "{err}");

    // A truncated PNG.
    let cut = dir.path().join("cut.png");
    let mut bytes = Vec::new();
    image::GrayImage::from_pixel(40, 40, image::Luma([9]))
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = preprocess_image(&cut).unwrap_err();
    assert!(err.to_string().contains("cut.png"), "{err}");

    let missing = dir.path().join("missing.jpg");
    let err = preprocess_image(&missing).unwrap_err();
    assert!(err.to_string().contains("missing.jpg"), "{err}");

    let err = Classifier::load(dir.path().join("no-such-model")).unwrap_err();
    assert!(matches!(err, InferError::MissingModel { .. }));
    assert!(err.to_string().contains("no-such-model"), "{err}");
    assert!(err.to_string().contains("export_model"), "{err}");
    let err = Classifier::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("model.pt"), "{err}");
}

#[test]
fn a_batch_size_dependent_network_is_refused() {
    // Reshaping with the traced batch size bakes "1" into the TorchScript graph.
    let vs = nn::VarStore::new(Device::Cpu);
    let lin = nn::linear(vs.root() / "fc", PIXELS as i64, 24, Default::default());
    let net = nn::seq_t().add_fn(move |x| {
        let n = x.size()[0];
        lin.forward(&x.reshape([n, PIXELS as i64]))
            .to_kind(Kind::Float)
    });
    let spec = ModelSpec::Dense(DenseSpec::default());
    let dir = tempfile::tempdir().unwrap();
    let err = export_model(dir.path(), &spec, &vs, &net).unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::Mismatch { batch: 7, .. } | ExportError::Torch { .. }
        ),
        "{err}"
    );
}
