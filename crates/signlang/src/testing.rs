//! Shared test fixtures, behind the `test-support` feature (the crate's own
//! tests and the CLI's tests enable it): generated data sets, a small model
//! and config, and the epochs and histories that fake trainers return.

use std::path::Path;

use tch::nn;

use crate::calibrate::Calibration;
use crate::data::{Dataset, PIXELS};
use crate::model::{DenseSpec, ModelSpec};
use crate::train::{EpochStats, History, RunStatus, TrainConfig};
use crate::NUM_CLASSES;

/// A generated data set of `n` images (deterministic in `seed`), classes
/// cycling through the 24 letters.
pub fn dataset(name: &str, n: usize, seed: u8) -> Dataset {
    Dataset {
        name: name.into(),
        pixels: (0..n * PIXELS)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect(),
        classes: (0..n).map(|i| (i % NUM_CLASSES) as u8).collect(),
        rows: (1..=n as u32).collect(),
    }
}

/// A small dense model (one hidden layer of 8).
pub fn small_spec() -> ModelSpec {
    ModelSpec::Dense(DenseSpec {
        hidden: vec![8],
        ..Default::default()
    })
}

/// A base config with `seed`: batches of 16, 3 epochs.
pub fn config(seed: u64) -> TrainConfig {
    TrainConfig {
        batch_size: 16,
        epochs: 3,
        seed,
        ..Default::default()
    }
}

/// An epoch whose training and validation accuracy are `accuracy` and
/// whose losses are `1 - accuracy`.
pub fn epoch(epoch: usize, accuracy: f64, lr: f64) -> EpochStats {
    EpochStats {
        epoch,
        train_loss: 1.0 - accuracy,
        train_accuracy: accuracy,
        val_loss: 1.0 - accuracy,
        val_accuracy: accuracy,
        lr,
        seconds: 0.0,
        images_per_sec: 0.0,
    }
}

/// A completed run of these epochs.
pub fn completed(epochs: Vec<EpochStats>) -> History {
    History {
        epochs,
        status: RunStatus::Completed,
    }
}

/// Exports an untrained linear model (flatten → 24 logits, seeded with
/// `seed`) to `dir`, for tests of prediction from an export.
pub fn export_linear(dir: &Path, seed: i64) {
    tch::manual_seed(seed);
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let net = nn::seq_t().add_fn(|x| x.flatten(1, -1)).add(nn::linear(
        vs.root() / "fc",
        784,
        24,
        Default::default(),
    ));
    let spec = ModelSpec::Dense(DenseSpec::default());
    crate::export::export_model(dir, &spec, &vs, &net).expect("export a linear model");
}

/// Exports [`small_spec`], built with seed `seed` (untrained), to `dir`:
/// an export whose `spec.json` rebuilds it, for adapting.
pub fn export_small(dir: &Path, seed: i64) {
    tch::manual_seed(seed);
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let spec = small_spec();
    let net = spec.build(&vs.root());
    crate::export::export_model(dir, &spec, &vs, &net).expect("export the small model");
}

/// The 28×28 pixels of a generated photo of letter class `class`: a bright
/// bar whose place and angle depend on the letter, on a background that
/// depends on `variant`.
pub fn letter_pixels(class: u8, variant: u32) -> Vec<u8> {
    let (c, v) = (u32::from(class), variant);
    (0..PIXELS as u32)
        .map(|i| {
            let (x, y) = (i % 28, i / 28);
            let bar = (x + c * y / 6 + 3 * c) % 28 < 5;
            let noise = (x * 7 + y * 13 + v * 29) % 40;
            if bar {
                215 + (noise % 40) as u8
            } else {
                (20 + noise) as u8
            }
        })
        .collect()
}

/// Writes generated photos of all 24 letters to `dir`:
/// `<LETTER>_<source>_<version>` for `sources` source photos per letter and
/// `versions` versions each, 56×56, PNG for even sources, JPEG for odd ones.
/// Returns the number written.
pub fn write_letter_photos(dir: &Path, sources: u32, versions: u32) -> usize {
    std::fs::create_dir_all(dir).expect("create the photo folder");
    let mut n = 0;
    for class in 0..NUM_CLASSES as u8 {
        for s in 0..sources {
            for v in 1..=versions {
                let grey = image::GrayImage::from_raw(28, 28, letter_pixels(class, s * 10 + v))
                    .expect("28×28");
                let big =
                    image::imageops::resize(&grey, 56, 56, image::imageops::FilterType::Triangle);
                let ext = if s % 2 == 0 { "png" } else { "jpg" };
                let name = format!("{}_{s}_{v}.{ext}", crate::letter(class));
                big.save(dir.join(name)).expect("save a photo");
                n += 1;
            }
        }
    }
    n
}

/// A calibration that changes nothing (temperature 1) and answers at
/// probability `threshold`, with no "unsure" rule of its own.
pub fn calibration(threshold: f64) -> Calibration {
    Calibration {
        temperature: 1.0,
        threshold,
        target_accuracy: 0.99,
        fitted_on: "test".into(),
        fitted_images: 1,
        ece_before: 0.0,
        ece_after: 0.0,
        usage: String::new(),
        unsure: None,
    }
}
