//! Does robust training help on photos unlike the dataset's? Trains one
//! small CNN for a few epochs on every 3rd training image, with the study's
//! augmentation and with the robustness preset (`robust_augmentation`, with
//! and without per-image input normalisation), and reports for each:
//! validation accuracy, mean corruption accuracy on validation
//! (`signlang::corrupt`), and accuracy on a folder of field photos named
//! like `A_1.jpg` (measurement only: nothing is chosen on them).
//!
//! `cargo run --release -p signlang --example robust_compare -- [FIELD_DIR] [EPOCHS] [THREADS]`
//!
//! With `time` as the first argument it only times the robustness
//! evaluation of an (untrained) `cnn 32-64-128 | 256` on the validation half
//! (`time full` also runs the whole evaluation).

use std::path::Path;
use std::time::Instant;

use signlang::corrupt::{evaluate_robustness, evaluate_robustness_net};
use signlang::data::{load_dataset, split_by_group, Dataset, SplitConfig, PIXELS};
use signlang::model::{Activation, CnnSpec, ConvBlock, DenseSpec, ModelSpec, Padding};
use signlang::train::{
    self, robust_augmentation, Optimizer, Progress, Schedule, TrainConfig, TrainOptions,
};
use tch::Device;

fn cnn(filters: &[i64], head: i64, input_norm: bool) -> ModelSpec {
    let block = |filters| ConvBlock {
        filters,
        kernel: 3,
        padding: Padding::Same,
        batch_norm: true,
        pool: Some(2),
        dropout: 0.0,
    };
    ModelSpec::Cnn(CnnSpec {
        blocks: filters.iter().map(|&f| block(f)).collect(),
        activation: Activation::Relu,
        input_norm,
        head: DenseSpec {
            hidden: vec![head],
            dropout: 0.3,
            ..Default::default()
        },
    })
}

/// Field photos named `<letter>_<n>.<ext>`, preprocessed like the dataset.
fn field_photos(dir: &Path) -> Dataset {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    let mut data = Dataset {
        name: "field".into(),
        pixels: Vec::new(),
        classes: Vec::new(),
        rows: Vec::new(),
    };
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(class) = name
            .chars()
            .next()
            .and_then(|c| signlang::LETTERS.iter().position(|&l| l == c))
        else {
            continue;
        };
        if let Ok(px) = signlang::export::preprocess_image(&path) {
            data.pixels.extend_from_slice(&px);
            data.classes.push(class as u8);
            data.rows.push(data.rows.len() as u32 + 1);
        }
    }
    assert_eq!(data.pixels.len(), data.classes.len() * PIXELS);
    data
}

fn accuracy(net: &signlang::model::Net, data: &Dataset) -> f64 {
    let p = train::predict_proba(net, &data.images(), Device::Cpu);
    let hits = p
        .argmax(-1, false)
        .eq_tensor(&data.targets())
        .sum(tch::Kind::Int64);
    hits.int64_value(&[]) as f64 / data.len().max(1) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: i32 = args.get(3).and_then(|t| t.parse().ok()).unwrap_or(2);
    tch::set_num_threads(threads);
    signlang::runtime::flush_denormals();
    let root = signlang::data::project_root();
    let test_csv = load_dataset(root.join("data/sign_mnist_test.csv.gz")).expect("test CSV");
    let validation = split_by_group(&test_csv, &SplitConfig::default()).validation;
    if args.get(1).map(String::as_str) == Some("time") {
        // The corruptions alone (an identity "model"), then one pass of the
        // network over the clean images: the full evaluation costs the first
        // plus 61 of the second (mirror is evaluated once).
        let t0 = Instant::now();
        let ident = |x: &tch::Tensor| Ok::<_, String>(x.flatten(1, -1).narrow(1, 0, 24));
        evaluate_robustness("corruptions only", ident, &validation, 0, |_, _| {}).unwrap();
        let corrupt_s = t0.elapsed().as_secs_f64();
        let spec = cnn(&[32, 64, 128], 256, false);
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let net = spec.build(&vs.root());
        let t0 = Instant::now();
        let _ = train::predict_proba(&net, &validation.images(), Device::Cpu);
        let pass_s = t0.elapsed().as_secs_f64();
        println!(
            "{} images, {threads} threads: corruptions alone {corrupt_s:.1} s; one pass of {} \
             {pass_s:.2} s; full evaluation ≈ {:.0} s",
            validation.len(),
            spec.describe(),
            corrupt_s + 61.0 * pass_s
        );
        if args.get(2).map(String::as_str) == Some("full") {
            let t0 = Instant::now();
            evaluate_robustness_net("untrained", &net, Device::Cpu, &validation, 0).unwrap();
            println!(
                "full evaluation measured: {:.1} s",
                t0.elapsed().as_secs_f64()
            );
        }
        return;
    }
    let field_dir = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("/work/shared/field/roboflow-handcrop");
    let epochs: usize = args.get(2).and_then(|e| e.parse().ok()).unwrap_or(3);
    let full = load_dataset(root.join("data/sign_mnist_train.csv.gz")).expect("train CSV");
    let every_third: Vec<usize> = (0..full.len()).step_by(3).collect();
    let train_set = full.subset("train/3", &every_third);
    let field = field_photos(Path::new(field_dir));
    // Corruptions on every 3rd validation image, to keep the run short.
    let third: Vec<usize> = (0..validation.len()).step_by(3).collect();
    let val_third = validation.subset("validation/3", &third);
    println!(
        "train {} images, validation {}, field {} photos, {epochs} epochs, {threads} threads",
        train_set.len(),
        validation.len(),
        field.len()
    );
    let config = |augmentation| TrainConfig {
        optimizer: Optimizer::AdamW,
        lr: 2e-3,
        schedule: Schedule::OneCycle { warmup: 0.3 },
        batch_size: 64,
        epochs,
        label_smoothing: 0.1,
        augmentation: Some(augmentation),
        seed: 2026,
        ..Default::default()
    };
    let variants = [
        (
            "study augmentation",
            cnn(&[32, 64], 128, false),
            signlang::study::recipes::augmentation(),
        ),
        (
            "robust preset",
            cnn(&[32, 64], 128, false),
            robust_augmentation(),
        ),
        (
            "robust preset + input norm",
            cnn(&[32, 64], 128, true),
            robust_augmentation(),
        ),
    ];
    println!("| variant | train s | validation | mean corruption (every 3rd validation image) | field photos |");
    println!("|---|---|---|---|---|");
    for (name, spec, aug) in variants {
        let t0 = Instant::now();
        let options = TrainOptions {
            device: Device::Cpu,
            progress: Progress::Silent,
            stop: None,
        };
        let trained = train::train(&spec, &config(aug), &train_set, &validation, options).unwrap();
        let secs = t0.elapsed().as_secs_f64();
        let val = accuracy(&trained.net, &validation);
        let report = evaluate_robustness(
            name,
            |x: &tch::Tensor| Ok::<_, String>(train::predict_proba(&trained.net, x, Device::Cpu)),
            &val_third,
            0,
            |_, _| {},
        )
        .unwrap();
        let field_acc = accuracy(&trained.net, &field);
        println!(
            "| {name} | {secs:.0} | {:.1}% | {:.1}% | {:.1}% ({} / {}) |",
            100.0 * val,
            100.0 * report.mean_corruption_accuracy(),
            100.0 * field_acc,
            (field_acc * field.len() as f64).round(),
            field.len()
        );
        eprintln!("{report}");
    }
}
