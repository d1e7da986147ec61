use signlang::data::*;
use signlang::study::{recipes, Scale};
use signlang::train::*;
fn main() {
    flush_denormals();
    let train = load_dataset("data/sign_mnist_train.csv.gz").unwrap();
    let test = load_dataset("data/sign_mnist_test.csv.gz").unwrap();
    let split = split_by_group(&test, &SplitConfig::default());
    let scale = Scale { quick: false };
    let which: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    for (i, c) in recipes::cnn_candidates(&scale).into_iter().enumerate() {
        if !which.contains(&i) {
            continue;
        }
        let mut cfg = c.config.clone();
        cfg.epochs = 1;
        let t = std::time::Instant::now();
        let r = signlang::train::train(
            &c.spec,
            &cfg,
            &train,
            &split.validation,
            TrainOptions {
                progress: Progress::Silent,
                ..Default::default()
            },
        )
        .unwrap();
        let e = &r.history.epochs[0];
        println!(
            "{i} {}: {:.1}s total, val acc {:.4}",
            c.label,
            t.elapsed().as_secs_f64(),
            e.val_accuracy
        );
    }
}
