//! Local probe (not committed): train one CNN with a given augmentation and export it.
use signlang::data;
use signlang::model::{Activation, CnnSpec, ConvBlock, DenseSpec, ModelSpec, Padding};
use signlang::train::{
    train, Augmentation, EarlyStopping, Optimizer, Schedule, TrainConfig, TrainOptions,
};

fn block(filters: i64) -> ConvBlock {
    ConvBlock {
        filters,
        kernel: 3,
        padding: Padding::Same,
        batch_norm: true,
        pool: Some(2),
        dropout: 0.0,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args[1].parse()?;
    let aug = match args[2].as_str() {
        "robust" => Augmentation::robust(),
        "mild" => Augmentation::mild(),
        _ => Augmentation::none(),
    };
    let norm = args[3] == "norm";
    let out = &args[4];
    let frac: usize = args.get(5).map(|s| s.parse().unwrap()).unwrap_or(1);
    let (train_d, _, _) = data::load_checked(data::data_path("sign_mnist_train.csv.gz"), "train")?;
    let (test_csv, _, _) = data::load_checked(data::data_path("sign_mnist_test.csv.gz"), "test")?;
    let split = data::split_by_group(&test_csv, &data::SplitConfig::default());
    let train_d = if frac > 1 {
        train_d.subset(
            "train",
            &(0..train_d.len()).step_by(frac).collect::<Vec<_>>(),
        )
    } else {
        train_d
    };
    let spec = ModelSpec::Cnn(CnnSpec {
        blocks: vec![block(32), block(64), block(128)],
        activation: Activation::Relu,
        input_norm: norm,
        head: DenseSpec {
            hidden: vec![256],
            dropout: 0.4,
            ..Default::default()
        },
    });
    let config = TrainConfig {
        optimizer: Optimizer::AdamW,
        lr: 2e-3,
        schedule: Schedule::OneCycle { warmup: 0.3 },
        batch_size: 64,
        epochs,
        weight_decay: 0.0,
        label_smoothing: 0.1,
        early_stopping: Some(EarlyStopping {
            patience: 3,
            min_delta: 0.0,
        }),
        augmentation: Some(aug),
        seed: 2026,
    };
    let t = train(
        &spec,
        &config,
        &train_d,
        &split.validation,
        TrainOptions::default(),
    )?;
    let info = signlang::export::export_model(out, &spec, &t.vs, &t.net)?;
    println!("exported to {out}, diff {:.1e}", info.max_abs_diff);
    Ok(())
}
