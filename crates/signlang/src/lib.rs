//! # signlang
//!
//! A feasibility study for reading American Sign Language letters from
//! 28×28 greyscale hand images (Sign Language MNIST), as a reusable library.
//!
//! One module per stage of the study, in the order data flows (a module
//! uses only those above it; `make lint` checks there is no import cycle):
//!
//! | module | stage |
//! |---|---|
//! | [`letters`] | the 24 static letters A–Y without J |
//! | [`display`] | inline HTML / SVG for the evcxr notebook |
//! | [`cpu`] | the CPU, its SIMD level and libtorch's back-ends, recorded with every timing |
//! | [`cache`] | results kept on disk, keyed by everything they depend on (weights, data, parameters, the library's source) |
//! | [`runtime`] | denormal flushing, channels-last convolutions, evaluation batch sizes and the batching helper, their environment variables |
//! | [`data`] | load, check, fix, split by source photo, tensors |
//! | [`model`] | model specs (dense, CNN) and the networks built from them |
//! | [`weights`] | save weights as safetensors; in-memory snapshots and restore |
//! | [`evaluate`] | accuracy with source photos as the unit, clustered McNemar, goals, the client report |
//! | [`calibrate`] | calibration error, temperature scaling, an abstain threshold |
//! | [`infer`] | class probabilities; image preprocessing and the [`infer::Classifier`] of an exported model |
//! | [`landmarks`] | MediaPipe's hand models from Rust (ONNX Runtime): 21 keypoints per hand and the classifier's input vector |
//! | [`corrupt`] | corrupted copies of images (MNIST-C style) and robustness reports |
//! | [`train`] | training configs, the trainer (epoch loop, early stopping), learning histories |
//! | [`presets`] | the reference models (`baseline_cnn`, `dense`, `cnn2`) with their configs |
//! | [`export`], [`onnx`] | TorchScript / safetensors / ONNX export |
//! | [`study`] | the 50-run ledger, searches, the recipes, seeded finals, the recorded test split |
//! | [`plots`] | SVG figures |
//! | [`field`] | field check: score labelled photos with an exported model |
//! | [`readiness`] | would an app work: real photos, corruptions and abstaining, in words |
//! | [`diagnose`] | why real photos fail (probes, pixel statistics, input variants) and a fitted "unsure" rule |
//! | [`adapt`] | adapt a trained model to real photos: photo folders, draws, runs, the learning curve, the adapted export |
//! | [`landmark_route`] | the landmark route: hands of photo folders, a classifier trained in the study, its score, unsure rule, learning curve, export and prediction |
//! | [`report`] | the answer to the client's app question, from the measurements, in plain words |
//! | [`levers`] | training levers for real photos from Sign-MNIST alone, measured beside the chosen model |
//! | `testing` | shared test fixtures (feature `test-support`) |

pub mod adapt;
pub mod cache;
pub mod calibrate;
pub mod corrupt;
pub mod cpu;
pub mod data;
pub mod diagnose;
pub mod display;
pub mod evaluate;
pub mod export;
pub mod field;
pub mod infer;
pub mod landmark_route;
pub mod landmarks;
pub mod letters;
pub mod levers;
pub mod model;
pub mod onnx;
pub mod plots;
pub mod presets;
pub mod readiness;
pub mod report;
pub mod runtime;
pub mod study;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod train;
pub mod weights;

pub use letters::{letter, LETTERS, NUM_CLASSES};
