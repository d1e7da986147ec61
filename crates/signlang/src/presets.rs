//! The reference models (`baseline_cnn`, `dense`, `cnn2`) with their
//! training setups. Built from [`crate::model`] and [`crate::train`], which
//! know nothing of each other.

use crate::model::{Activation, CnnSpec, ConvBlock, DenseSpec, ModelSpec, Padding};
use crate::train::{Optimizer, TrainConfig};

/// The names [`reference`] knows.
pub const NAMES: [&str; 3] = ["baseline_cnn", "dense", "cnn2"];

/// The course's baseline: Conv(32, 3×3, valid, relu) → MaxPool 2 →
/// Flatten → Dense(100, relu) → Dense(24).
pub fn baseline_cnn() -> ModelSpec {
    ModelSpec::Cnn(CnnSpec {
        blocks: vec![ConvBlock {
            filters: 32,
            kernel: 3,
            padding: Padding::Valid,
            batch_norm: false,
            pool: Some(2),
            dropout: 0.0,
        }],
        activation: Activation::Relu,
        input_norm: false,
        head: DenseSpec {
            hidden: vec![100],
            ..Default::default()
        },
    })
}

/// Flatten → Dense(512, relu) → Dense(256, relu) → Dense(24).
pub fn dense() -> ModelSpec {
    ModelSpec::Dense(DenseSpec {
        hidden: vec![512, 256],
        ..Default::default()
    })
}

/// Two conv blocks (32, 64; 3×3 same, batch norm, relu, max-pool 2) →
/// Flatten → Dense(128, relu) → Dropout 0.3 → Dense(24).
pub fn cnn2() -> ModelSpec {
    ModelSpec::Cnn(CnnSpec {
        blocks: vec![ConvBlock::pooled(32, 3), ConvBlock::pooled(64, 3)],
        activation: Activation::Relu,
        input_norm: false,
        head: DenseSpec {
            hidden: vec![128],
            dropout: 0.3,
            ..Default::default()
        },
    })
}

/// A reference model and its training setup, by name ([`NAMES`]):
/// `baseline_cnn` (SGD lr 0.01, momentum 0.9), `dense` and `cnn2` (Adam
/// 1e-3); all with the [`TrainConfig::default`] rest: batch 32, 10 epochs,
/// seed 0.
pub fn reference(name: &str) -> Option<(ModelSpec, TrainConfig)> {
    match name {
        "baseline_cnn" => Some((
            baseline_cnn(),
            TrainConfig {
                optimizer: Optimizer::Sgd {
                    momentum: 0.9,
                    nesterov: false,
                },
                lr: 0.01,
                ..Default::default()
            },
        )),
        "dense" => Some((dense(), TrainConfig::default())),
        "cnn2" => Some((cnn2(), TrainConfig::default())),
        _ => None,
    }
}

impl ModelSpec {
    /// The same as [`reference`] (kept for callers that name it through
    /// the spec type; lives here so that `model` imports nothing from
    /// `train`).
    pub fn reference(name: &str) -> Option<(ModelSpec, TrainConfig)> {
        reference(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::{ModuleT, VarStore};
    use tch::{Device, Kind, Tensor};

    #[test]
    fn summary_counts_match_keras_for_the_reference_models() {
        let _rng = crate::runtime::torch_rng_lock();
        let base = baseline_cnn().summary();
        assert_eq!(
            base.total_params,
            320 + 13 * 13 * 32 * 100 + 100 + 100 * 24 + 24
        );
        assert_eq!(base.total_params, 543_644);
        assert_eq!(base.rows[0].output_shape, vec![32, 26, 26]);
        let dense = dense().summary();
        assert_eq!(
            dense.total_params,
            784 * 512 + 512 + 512 * 256 + 256 + 256 * 24 + 24
        );
        let cnn2 = cnn2().summary();
        let keras =
            320 + 4 * 32 + (32 * 9 * 64 + 64) + 4 * 64 + (7 * 7 * 64 * 128 + 128) + 128 * 24 + 24;
        assert_eq!(cnn2.total_params, keras);
        assert_eq!(cnn2.non_trainable_params, 2 * (32 + 64));
        assert!(cnn2.to_string().contains("423,832"), "{cnn2}");
    }

    #[test]
    fn built_nets_have_the_summarised_trainable_parameters_and_output() {
        let _rng = crate::runtime::torch_rng_lock();
        for name in NAMES {
            let (spec, _) = reference(name).unwrap();
            let vs = VarStore::new(Device::Cpu);
            let net = spec.build(&vs.root());
            let n: i64 = vs
                .trainable_variables()
                .iter()
                .map(|t| t.numel() as i64)
                .sum();
            assert_eq!(n, spec.summary().trainable_params, "{name}");
            let y = net.forward_t(
                &Tensor::zeros([3, 1, 28, 28], (Kind::Float, Device::Cpu)),
                false,
            );
            assert_eq!(y.size(), vec![3, 24], "{name}");
        }
    }

    #[test]
    fn references_round_trip_through_json_and_describe_themselves() {
        let _rng = crate::runtime::torch_rng_lock();
        for name in NAMES {
            let (spec, config) = reference(name).unwrap();
            let json = serde_json::to_string(&spec).unwrap();
            assert_eq!(serde_json::from_str::<ModelSpec>(&json).unwrap(), spec);
            let json = serde_json::to_string(&config).unwrap();
            assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), config);
        }
        assert_eq!(cnn2().describe(), "cnn 32-64 bn | dense 128 d0.3");
        assert_eq!(dense().describe(), "dense 512-256");
        assert_eq!(baseline_cnn().describe(), "cnn 32 valid | dense 100");
        assert!(reference("nope").is_none());
        assert_eq!(ModelSpec::reference("cnn2"), reference("cnn2"));
    }

    /// The reference configs serialise byte for byte as when they were
    /// hand-written literals: the study ledger keys runs by this JSON.
    #[test]
    fn reference_configs_keep_their_json() {
        let _rng = crate::runtime::torch_rng_lock();
        let json = |name| serde_json::to_string(&reference(name).unwrap().1).unwrap();
        let rest = r#""schedule":{"kind":"constant"},"batch_size":32,"epochs":10,"weight_decay":0.0,"label_smoothing":0.0,"early_stopping":null,"augmentation":null,"seed":0}"#;
        assert_eq!(
            json("baseline_cnn"),
            format!(
                r#"{{"optimizer":{{"kind":"sgd","momentum":0.9,"nesterov":false}},"lr":0.01,{rest}"#
            )
        );
        assert_eq!(
            json("cnn2"),
            format!(r#"{{"optimizer":{{"kind":"adam"}},"lr":0.001,{rest}"#)
        );
    }

    /// Specs and configs written before the robustness options (input
    /// normalisation, new augmentation settings) read back and serialise
    /// byte for byte as before: the study ledger keys runs by this JSON.
    #[test]
    fn older_spec_and_config_json_round_trips_unchanged() {
        let _rng = crate::runtime::torch_rng_lock();
        let spec = r#"{"family":"cnn","blocks":[{"filters":32,"kernel":3,"padding":"same","batch_norm":true,"pool":2,"dropout":0.0},{"filters":64,"kernel":3,"padding":"same","batch_norm":true,"pool":2,"dropout":0.0}],"activation":"relu","head":{"hidden":[128],"activation":"relu","batch_norm":false,"dropout":0.3}}"#;
        assert_eq!(serde_json::to_string(&cnn2()).unwrap(), spec);
        let parsed: ModelSpec = serde_json::from_str(spec).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), spec);
        let config = r#"{"optimizer":{"kind":"adam_w"},"lr":0.002,"schedule":{"kind":"one_cycle","warmup":0.3},"batch_size":64,"epochs":6,"weight_decay":0.0,"label_smoothing":0.1,"early_stopping":null,"augmentation":{"shift":2.0,"rotate":10.0,"zoom":0.1,"brightness":0.1,"contrast":0.15},"seed":2026}"#;
        let parsed: TrainConfig = serde_json::from_str(config).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), config);
        let mut on = parsed.clone();
        on.augmentation = Some(crate::train::Augmentation::robust());
        let json = serde_json::to_string(&on).unwrap();
        assert!(json.contains(r#""mirror":true"#), "{json}");
        assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), on);
    }
}
