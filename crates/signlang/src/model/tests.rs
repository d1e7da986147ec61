//! Tests of specs, networks and their TorchScript export.

use super::net::{exact_channels_last, standardise, to_channels_last};
use super::*;
use tch::nn::ModuleT;
use tch::Tensor;
use tch::{nn::VarStore, Device, Kind};

#[test]
fn input_norm_standardises_each_image_and_shows_in_the_spec() {
    let _rng = crate::runtime::torch_rng_lock();
    let mut spec = crate::presets::cnn2();
    if let ModelSpec::Cnn(c) = &mut spec {
        c.input_norm = true;
    }
    assert_eq!(spec.describe(), "cnn 32-64 bn norm | dense 128 d0.3");
    let summary = spec.summary();
    assert_eq!(summary.rows[0].layer, "input_norm");
    assert_eq!(
        summary.total_params,
        crate::presets::cnn2().summary().total_params
    );
    let json = serde_json::to_string(&spec).unwrap();
    assert!(json.contains(r#""input_norm":true"#), "{json}");
    assert_eq!(serde_json::from_str::<ModelSpec>(&json).unwrap(), spec);
    let x = Tensor::rand([4, 1, 28, 28], (Kind::Float, Device::Cpu));
    let z = standardise(&x);
    let mean = z.mean_dim([1i64, 2, 3].as_slice(), false, Kind::Float);
    let std = z.std_dim([1i64, 2, 3].as_slice(), false, false);
    assert!(mean.abs().max().double_value(&[]) < 1e-5);
    assert!((std - 1.0).abs().max().double_value(&[]) < 1e-2);
    // A network with it ignores brightness and contrast changes.
    let vs = VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    let (a, b) = (
        net.forward_t(&x, false),
        net.forward_t(&(&x * 0.5 + 0.2), false),
    );
    let diff = (&a - &b).abs().max().double_value(&[]);
    assert!(
        diff < 0.02 * a.abs().max().double_value(&[]).max(1.0),
        "{diff}"
    );
    let flat = Tensor::full([1, 1, 28, 28], 0.7, (Kind::Float, Device::Cpu));
    // A flat image gives (nearly) zeros, not NaN or huge values.
    let z = standardise(&flat).abs().max().double_value(&[]);
    assert!(z < 1e-3, "{z}");
}

#[test]
fn invalid_specs_are_rejected() {
    let _rng = crate::runtime::torch_rng_lock();
    let mut bad = crate::presets::cnn2();
    if let ModelSpec::Cnn(c) = &mut bad {
        c.blocks = vec![c.blocks[0].clone(); 5];
    }
    assert!(matches!(
        bad.validate(),
        Err(ModelError::MapTooSmall { block: 5, .. })
    ));
    let bad = ModelSpec::Dense(DenseSpec {
        hidden: vec![0],
        ..Default::default()
    });
    assert!(bad.validate().is_err());
    assert!(crate::presets::cnn2().validate().is_ok());
}

/// The channels-last conversion gives exact channels-last strides, one
/// channel included.
#[test]
fn channels_last_strides_are_exact() {
    let _rng = crate::runtime::torch_rng_lock();
    let x = Tensor::zeros([5, 1, 28, 28], (Kind::Float, Device::Cpu));
    assert_eq!(exact_channels_last(&x).stride(), vec![784, 1, 28, 1]);
    let x = Tensor::zeros([5, 32, 14, 14], (Kind::Float, Device::Cpu));
    assert_eq!(
        to_channels_last(&x).stride(),
        vec![14 * 14 * 32, 1, 14 * 32, 32]
    );
}

/// The real CNN exports to TorchScript that works for other batch sizes
/// than the traced one.
#[test]
fn cnn_exports_to_torchscript() {
    let _rng = crate::runtime::torch_rng_lock();
    tch::manual_seed(2);
    let spec = crate::presets::cnn2();
    let vs = VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    let dir = tempfile::tempdir().unwrap();
    let info = crate::export::export_model(dir.path(), &spec, &vs, &net).unwrap();
    assert!(info.max_abs_diff < 1e-4, "{}", info.max_abs_diff);
}

/// A CNN with input normalisation traces into TorchScript and passes the
/// export's check on another batch size.
#[test]
fn input_norm_exports_to_torchscript() {
    let _rng = crate::runtime::torch_rng_lock();
    tch::manual_seed(3);
    let mut spec = crate::presets::cnn2();
    if let ModelSpec::Cnn(c) = &mut spec {
        c.input_norm = true;
    }
    let vs = VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    let dir = tempfile::tempdir().unwrap();
    let info = crate::export::export_model(dir.path(), &spec, &vs, &net).unwrap();
    assert!(info.max_abs_diff < 1e-4, "{}", info.max_abs_diff);
    let classifier = crate::infer::Classifier::load(dir.path()).unwrap();
    let x = Tensor::rand([5, 1, 28, 28], (Kind::Float, Device::Cpu));
    let p = classifier.probabilities(&(&x * 0.5 + 0.3)).unwrap();
    let q = net.forward_t(&x, false).softmax(-1, Kind::Float);
    let diff = (&p - &q).abs().max().double_value(&[]);
    assert!(diff < 5e-3, "{diff}");
}

#[test]
fn flops_are_counted_by_hand_for_cnn2_and_dense() {
    // cnn2: conv 1→32 3×3 same on 28×28, conv 32→64 3×3 same on 14×14,
    // dense 7·7·64→128, dense 128→24; 2 operations per multiply-add.
    let cnn2 = crate::presets::cnn2().summary();
    let want = 2 * (9 * 32 * 28 * 28 + 32 * 9 * 64 * 14 * 14 + 3136 * 128 + 128 * 24);
    assert_eq!(cnn2.forward_flops(), want);
    assert_eq!(cnn2.train_flops_per_image(), 3 * want);
    let (dense, _) = crate::presets::reference("dense").expect("dense preset");
    let dense = dense.summary();
    assert_eq!(
        dense.forward_flops(),
        2 * (784 * 512 + 512 * 256 + 256 * 24)
    );
}

/// The built net runs each max pool before its ReLU, and that changes
/// neither the outputs nor the gradients: the reference below applies the
/// plan's order (conv → relu → pool) to the same variables.
#[test]
fn pooling_before_relu_keeps_outputs_and_gradients() {
    let _rng = crate::runtime::torch_rng_lock();
    tch::manual_seed(3);
    let (spec, _) = crate::presets::reference("baseline_cnn").unwrap();
    let vs = VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    let layers = format!("{net:?}");
    assert!(layers.contains("MaxPool(2), Act(Relu)"), "{layers}");
    let var = |name: &str| vs.variables()[name].shallow_clone();
    // Values below zero in every window too, so the ReLU has work to do.
    let x = Tensor::rand([6, 1, 28, 28], (Kind::Float, Device::Cpu)) - 0.5;
    let reference = x
        .conv2d(
            &var("conv1.weight"),
            Some(&var("conv1.bias")),
            [1, 1],
            [0, 0],
            [1, 1],
            1,
        )
        .relu()
        .max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)
        .flatten(1, -1)
        .linear(&var("fc1.weight"), Some(&var("fc1.bias")))
        .relu()
        .linear(&var("fc2.weight"), Some(&var("fc2.bias")));
    let out = net.forward_t(&x, true);
    assert!(out.equal(&reference), "outputs differ");
    let grads = |y: &Tensor| {
        for mut v in vs.trainable_variables() {
            v.zero_grad();
        }
        y.sum(Kind::Float).backward();
        ["conv1.weight", "conv1.bias", "fc1.weight"].map(|n| var(n).grad().copy())
    };
    let (ours, theirs) = (grads(&out), grads(&reference));
    for (a, b) in ours.iter().zip(&theirs) {
        let diff = (a - b).abs().max().double_value(&[]);
        assert!(diff <= 1e-6 * b.abs().max().double_value(&[]), "{diff}");
    }
}
