//! ONNX export: `model.onnx`, run in ONNX Runtime (the project venv's
//! pinned `onnxruntime`), gives the library's probabilities on real test
//! images, for any batch size, with the metadata it was given.

use std::path::{Path, PathBuf};
use std::process::Command;

use signlang::data::{data_path, load_dataset};
use signlang::export::{export_model_with, ExportError, ExportOptions};
use signlang::infer::Classifier;
use signlang::model::{Activation, CnnSpec, ConvBlock, DenseSpec, ModelSpec};
use signlang::onnx::OnnxError;
use tch::nn::{self, ModuleT, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// Test images compared (at least 300).
const N: i64 = 320;

fn venv_python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make setup` (this test needs onnxruntime from the project venv)",
        python.display()
    );
    python
}

/// A small CNN with batch norm and dropout in the blocks and the head.
fn spec() -> ModelSpec {
    let block = |filters, dropout| ConvBlock {
        dropout,
        ..ConvBlock::pooled(filters, 3)
    };
    ModelSpec::Cnn(CnnSpec {
        blocks: vec![block(8, 0.0), block(16, 0.1)],
        activation: Activation::Relu,
        head: DenseSpec {
            hidden: vec![32],
            activation: Activation::Relu,
            batch_norm: true,
            dropout: 0.2,
            inputs: None,
        },
        input_norm: false,
    })
}

/// Runs model.onnx in ONNX Runtime on `images` (raw little-endian f32,
/// N×1×28×28); returns the softmax probabilities and what the script printed.
fn onnx_runtime(dir: &Path, images: &[f32]) -> (Vec<f32>, serde_json::Value) {
    let input = dir.join("images.f32");
    let output = dir.join("probabilities.f32");
    let bytes: Vec<u8> = images.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&input, bytes).unwrap();
    let script = r#"
import json, sys, numpy as np, onnxruntime as ort
model, images, out = sys.argv[1:]
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
inp, outp = session.get_inputs()[0], session.get_outputs()[0]
x = np.fromfile(images, dtype="<f4").reshape(-1, 1, 28, 28)
logits = session.run([outp.name], {inp.name: x})[0]
p = np.exp(logits - logits.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
p.astype("<f4").tofile(out)
print(json.dumps({"input": inp.name, "input_shape": [str(d) for d in inp.shape],
    "output": outp.name, "output_shape": [str(d) for d in outp.shape],
    "metadata": session.get_modelmeta().custom_metadata_map}))
"#;
    let out = Command::new(venv_python())
        .arg("-c")
        .arg(script)
        .arg(dir.join("model.onnx"))
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let probs = std::fs::read(&output)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (probs, serde_json::from_str(stdout.trim()).unwrap())
}

fn argmax(row: &[f32]) -> usize {
    (0..row.len())
        .max_by(|&a, &b| row[a].total_cmp(&row[b]))
        .unwrap()
}

#[test]
fn onnx_runtime_gives_the_library_probabilities_on_real_images() {
    tch::manual_seed(11);
    let test = load_dataset(data_path("sign_mnist_test.csv.gz")).unwrap();
    let spec = spec();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    // A few training steps on other images, so batch-norm statistics and
    // weights are not the initial ones.
    let (x, y) = (test.images(), test.targets());
    let mut opt = nn::Adam::default().build(&vs, 3e-3).unwrap();
    for step in 0..30 {
        let start = 1000 + step * 64;
        let loss = net
            .forward_t(&x.narrow(0, start, 64), true)
            .cross_entropy_for_logits(&y.narrow(0, start, 64));
        opt.backward_step(&loss);
    }

    let dir = tempfile::tempdir().unwrap();
    let options = ExportOptions {
        onnx_metadata: vec![
            ("temperature".into(), "1.25".into()),
            ("abstain_threshold".into(), "0.6".into()),
        ],
        ..Default::default()
    };
    let info = export_model_with(dir.path(), &spec, &vs, &net, &options).unwrap();
    assert!(info.files.contains(&dir.path().join("model.onnx")));
    let check = info.onnx_max_abs_diff.expect("model.onnx written");
    assert!(check < 1e-4, "{check}");

    let images = x.narrow(0, 0, N);
    let library = Classifier::load(dir.path())
        .unwrap()
        .probabilities(&images)
        .unwrap();
    let network = tch::no_grad(|| net.forward_t(&images, false)).softmax(-1, Kind::Float);
    let flat = Vec::<f32>::try_from(&images.contiguous().view([-1])).unwrap();
    let (onnx, meta) = onnx_runtime(dir.path(), &flat);
    assert_eq!(onnx.len(), (N * 24) as usize);
    let onnx_t = Tensor::from_slice(&onnx).view([N, 24]);
    for (name, want) in [("Classifier", &library), ("network", &network)] {
        let diff = (&onnx_t - want).abs().max().double_value(&[]);
        println!("model.onnx vs {name} on {N} test images: max |Δp| = {diff:.3e}");
        assert!(diff <= 1e-5, "{name}: {diff}");
        let want = Vec::<f32>::try_from(&want.view([-1])).unwrap();
        let same = (0..N as usize)
            .filter(|&i| argmax(&onnx[i * 24..][..24]) == argmax(&want[i * 24..][..24]))
            .count();
        assert_eq!(same, N as usize, "{name}: argmax differs");
    }
    // The model is not constant: its predictions vary across letters.
    let letters: std::collections::BTreeSet<usize> = (0..N as usize)
        .map(|i| argmax(&onnx[i * 24..][..24]))
        .collect();
    assert!(letters.len() >= 4, "{letters:?}");

    assert_eq!(meta["input"], "images");
    assert_eq!(meta["output"], "logits");
    let shape = meta["input_shape"].as_array().unwrap();
    assert_eq!(shape[1..], ["1", "28", "28"]);
    let batch = shape[0].as_str().unwrap();
    assert!(batch.parse::<i64>().is_err(), "batch not dynamic: {batch}");
    assert_eq!(meta["output_shape"][1], "24");
    assert_eq!(meta["metadata"]["temperature"], "1.25");
    assert_eq!(meta["metadata"]["abstain_threshold"], "0.6");

    let readme = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    for needle in [
        "model.onnx",
        "import numpy as np, onnxruntime as ort",
        "ort.InferenceSession(\"model.onnx\")",
        "\"images\": x",
        "`temperature`, `abstain_threshold`",
        "calibration.json",
    ] {
        assert!(readme.contains(needle), "{needle} not in README:\n{readme}");
    }
}

#[test]
fn a_failing_python_step_is_a_typed_error() {
    tch::manual_seed(1);
    let spec = spec();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = spec.build(&vs.root());
    let dir = tempfile::tempdir().unwrap();
    let options = ExportOptions {
        python: Some(PathBuf::from("/bin/false")),
        ..Default::default()
    };
    let err = export_model_with(dir.path(), &spec, &vs, &net, &options).unwrap_err();
    assert!(
        matches!(err, ExportError::Onnx(OnnxError::Failed { .. })),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("/bin/false scripts/export_onnx.py"), "{msg}");
    assert!(
        msg.contains("-m pip install -r scripts/requirements.txt"),
        "{msg}"
    );
    assert!(!dir.path().join("model.onnx").exists());

    // Without ONNX, the rest is written.
    let options = ExportOptions {
        onnx: false,
        ..Default::default()
    };
    let info = export_model_with(dir.path(), &spec, &vs, &net, &options).unwrap();
    assert_eq!(info.onnx_max_abs_diff, None);
    assert!(dir.path().join("model.pt").is_file());
    assert!(!dir.path().join("model.onnx").exists());
}
