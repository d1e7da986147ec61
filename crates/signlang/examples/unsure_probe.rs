//! The unsure-rule table and the field diagnosis of a model, printed.
//!
//! `cargo run --release -p signlang --example unsure_probe -- [STUDY_DIR RUN_ID] [FIELD_DIR]`
//!
//! With a study folder and run id, the study is opened read-only (nothing is
//! trained or recorded). Without them (`-` as STUDY_DIR), a tiny throwaway
//! CNN with per-image input normalisation is trained for 3 epochs on every
//! 6th training image in a temporary folder: a smoke measurement only.

use std::path::{Path, PathBuf};

use signlang::data::{load_dataset, split_by_group, SplitConfig};
use signlang::diagnose::{self, Probes, UnsureStudy};
use signlang::model::{Activation, CnnSpec, ConvBlock, DenseSpec, ModelSpec, Padding};
use signlang::study::Study;
use signlang::train::{Progress, TrainOptions};

fn tiny_cnn() -> ModelSpec {
    let block = |filters| ConvBlock {
        filters,
        kernel: 3,
        padding: Padding::Same,
        batch_norm: true,
        pool: Some(2),
        dropout: 0.0,
    };
    ModelSpec::Cnn(CnnSpec {
        blocks: vec![block(16), block(32)],
        activation: Activation::Relu,
        input_norm: true,
        head: DenseSpec {
            hidden: vec![64],
            dropout: 0.3,
            ..Default::default()
        },
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    tch::set_num_threads(2);
    signlang::runtime::flush_denormals();
    let root = signlang::data::project_root();
    let train = load_dataset(root.join("data/sign_mnist_train.csv.gz"))?;
    let test_csv = load_dataset(root.join("data/sign_mnist_test.csv.gz"))?;
    let split = split_by_group(&test_csv, &SplitConfig::default());
    let field_dir = PathBuf::from(
        args.get(3)
            .map(String::as_str)
            .unwrap_or("/work/shared/field/roboflow-handcrop"),
    );
    let tmp = tempfile::tempdir()?;
    let (study, id) = match (args.get(1), args.get(2)) {
        (Some(dir), Some(id)) if dir != "-" => (Study::open(dir)?, id.clone()),
        _ => {
            let mut study = Study::create(tmp.path().join("study"), 1)?;
            let (_, mut config) =
                signlang::study::recipes::baseline(&signlang::study::Scale::from_env());
            config.epochs = 3;
            let sixth: Vec<usize> = (0..train.len()).step_by(6).collect();
            let small = train.subset("train/6", &sixth);
            let options = TrainOptions {
                device: tch::Device::Cpu,
                progress: Progress::Silent,
                stop: None,
            };
            let run = study.run(&tiny_cnn(), &config, &small, &split.validation, options)?;
            (study, run.id().to_string())
        }
    };
    let probes = Probes::generate(200, 1, &train);
    let unsure = UnsureStudy::measure(
        &study,
        &id,
        &split.validation,
        &split.validation_groups,
        &probes,
        Some(Path::new(&field_dir)),
    )?;
    println!("{}", unsure.table().to_text());
    println!("chosen rule: {:?}", unsure.calibration.unsure);
    let d = diagnose::diagnose(&study, &id, &train, &split.test, &probes, &field_dir)?;
    println!("{}", diagnose::readout_table(&d.readouts).to_text());
    println!("{}", diagnose::variants_table(&d.variants).to_text());
    println!(
        "{}",
        diagnose::pixel_stats_table(&[&split.validation, &d.field]).to_text()
    );
    println!(
        "nearest training image: test median {:.2} [{:.2}, {:.2}], field median {:.2} [{:.2}, {:.2}]",
        d.distances.0.median,
        d.distances.0.q05,
        d.distances.0.q95,
        d.distances.1.median,
        d.distances.1.q05,
        d.distances.1.q95
    );
    println!("{}", diagnose::explanation(&d.findings));
    Ok(())
}
