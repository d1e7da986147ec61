//! ONNX export of the TorchScript model, for apps that run ONNX Runtime
//! (Android, iOS, the web, C#, Java, …).
//!
//! [`export_onnx`] converts `model.pt` (written by
//! [`crate::export::export_model`]) to `model.onnx` with PyTorch's own
//! TorchScript-based exporter (`torch.onnx.export(..., dynamo=False)`; the
//! `torch.export`-based default of torch 2.13 cannot export a TorchScript
//! module), run by the project venv's Python ([`python`]). The script is
//! `scripts/export_onnx.py`, embedded in the library, so it runs from any
//! folder. It needs the pinned `torch`, `onnx` and `onnxruntime` of
//! `scripts/requirements.txt`.
//!
//! The graph (opset [`OPSET`]) has one input [`INPUT_NAME`] (float32,
//! `N×1×28×28`, pixels in `[0, 1]`, `N` dynamic) and one output
//! [`OUTPUT_NAME`] (`N×24` logits in the order of `labels.json`). Before the
//! file is kept, the script checks it with `onnx.checker` and compares it in
//! ONNX Runtime with the TorchScript model on a batch of 7 images.
//!
//! String metadata ([`ExportOptions::onnx_metadata`]) goes into the model's
//! `metadata_props`, readable in ONNX Runtime with
//! `session.get_modelmeta().custom_metadata_map`: that is where calibration
//! (a temperature, an abstain threshold) can travel inside `model.onnx`; a
//! `calibration.json` may also sit beside it in the export folder.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The ONNX file's name in an export folder.
pub const ONNX_FILE: &str = "model.onnx";
/// The ONNX opset of the exported graph.
pub const OPSET: i64 = 17;
/// Name of the graph's input (`N×1×28×28` float32 in `[0, 1]`).
pub const INPUT_NAME: &str = "images";
/// Name of the graph's output (`N×24` logits).
pub const OUTPUT_NAME: &str = "logits";

/// The exporter script (`scripts/export_onnx.py`), run with `python -c`.
const SCRIPT: &str = include_str!("../../../scripts/export_onnx.py");

/// Options of [`crate::export::export_model_with`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExportOptions {
    /// Write `model.onnx` too (default true; needs the project venv).
    pub onnx: bool,
    /// String metadata stored in `model.onnx`'s `metadata_props`, in order
    /// (e.g. `("temperature", "1.3")`). Keys must be non-empty and hold no `=`.
    pub onnx_metadata: Vec<(String, String)>,
    /// The Python interpreter to run the exporter with (default [`python`]).
    pub python: Option<PathBuf>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            onnx: true,
            onnx_metadata: Vec::new(),
            python: None,
        }
    }
}

/// Why the ONNX export failed.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// No Python interpreter where one was expected.
    #[error(
        "the ONNX export needs the project's Python venv, but {python} does not exist; run \
         `make setup` (creates .venv with the pinned packages), set VIRTUAL_ENV to a venv that \
         has them, or export without ONNX (ExportOptions {{ onnx: false, .. }})"
    )]
    NoPython {
        /// The interpreter looked for.
        python: PathBuf,
    },
    /// A metadata key or value cannot be passed on.
    #[error(
        "ONNX metadata {key:?}: keys must be non-empty and contain no '=', and neither keys nor \
         values may contain NUL characters"
    )]
    BadMetadata {
        /// The offending key.
        key: String,
    },
    /// The interpreter could not be started.
    #[error(
        "could not run `{command}`: {source}; check that the venv's python works (`make setup`)"
    )]
    Spawn {
        /// The command line.
        command: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The exporter script failed.
    #[error(
        "the ONNX export failed: `{command}` exited with {status}:\n{stderr}\nInstall the pinned \
         Python packages with `{python} -m pip install -r scripts/requirements.txt` (or \
         `make setup`), or export without ONNX (ExportOptions {{ onnx: false, .. }})"
    )]
    Failed {
        /// The command line.
        command: String,
        /// Exit status.
        status: String,
        /// The end of its error output.
        stderr: String,
        /// The interpreter.
        python: PathBuf,
    },
    /// The script ended without its result line.
    #[error("the ONNX export `{command}` printed no result line (got {stdout:?})")]
    NoResult {
        /// The command line.
        command: String,
        /// What it printed.
        stdout: String,
    },
}

/// What [`export_onnx`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct OnnxInfo {
    /// The ONNX file.
    pub path: PathBuf,
    /// Largest absolute difference of logits between ONNX Runtime and the
    /// TorchScript model on the check batch (7 images).
    pub max_abs_diff: f64,
    /// Wall-clock seconds of the export (Python start, export, check).
    pub seconds: f64,
}

/// The Python interpreter of the project venv: `$VIRTUAL_ENV/bin/python`
/// when a venv is active, else `<project root>/.venv/bin/python`
/// ([`crate::data::project_root`]).
pub fn python() -> PathBuf {
    match std::env::var_os("VIRTUAL_ENV") {
        Some(venv) if !venv.is_empty() => PathBuf::from(venv).join("bin").join("python"),
        _ => crate::data::project_root()
            .join(".venv")
            .join("bin")
            .join("python"),
    }
}

/// Converts a TorchScript file to ONNX at `out` (see the module docs), with
/// `metadata` in its `metadata_props`, using `python` (default [`python()`]).
pub fn export_onnx(
    model_pt: &Path,
    out: &Path,
    metadata: &[(String, String)],
    python: Option<&Path>,
) -> Result<OnnxInfo, OnnxError> {
    let python = python.map_or_else(self::python, Path::to_path_buf);
    for (key, value) in metadata {
        if key.is_empty() || key.contains('=') || key.contains('\0') || value.contains('\0') {
            return Err(OnnxError::BadMetadata { key: key.clone() });
        }
    }
    if !python.exists() {
        return Err(OnnxError::NoPython { python });
    }
    let mut args: Vec<String> = vec![model_pt.display().to_string(), out.display().to_string()];
    args.extend(metadata.iter().map(|(k, v)| format!("{k}={v}")));
    let command = format!(
        "{} scripts/export_onnx.py {}",
        python.display(),
        args.join(" ")
    );
    let start = Instant::now();
    let output = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .args(&args)
        .output()
        .map_err(|source| OnnxError::Spawn {
            command: command.clone(),
            source,
        })?;
    if !output.status.success() {
        let _ = std::fs::remove_file(out);
        return Err(OnnxError::Failed {
            command,
            status: output.status.to_string(),
            stderr: tail(&String::from_utf8_lossy(&output.stderr), 12),
            python,
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let diff = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["max_abs_diff"].as_f64());
    let Some(max_abs_diff) = diff else {
        return Err(OnnxError::NoResult {
            command,
            stdout: tail(&stdout, 5),
        });
    };
    Ok(OnnxInfo {
        path: out.to_path_buf(),
        max_abs_diff,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The last `n` non-empty lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The export README's section on `model.onnx`.
pub(crate) fn readme_section(metadata: &[(String, String)]) -> String {
    let keys = if metadata.is_empty() {
        "none".to_string()
    } else {
        metadata
            .iter()
            .map(|(k, _)| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"
## ONNX (apps)

`model.onnx` (opset {OPSET}) runs in ONNX Runtime on any platform. Input
`{INPUT_NAME}`: float32 `N×1×28×28` in `[0, 1]` (any `N`); output `{OUTPUT_NAME}`:
`N×24` logits in the order of `labels.json`. String metadata in the model
(`metadata_props`; keys: {keys}) is read with
`session.get_modelmeta().custom_metadata_map`; a `calibration.json`, when
present, sits beside `model.onnx`.

```python
import numpy as np, onnxruntime as ort; from PIL import Image, ImageOps
session = ort.InferenceSession("model.onnx")
img = ImageOps.fit(Image.open("hand.jpg").convert("L"), (28, 28), Image.LANCZOS)
x = np.asarray(img, dtype=np.float32).reshape(1, 1, 28, 28) / 255
logits = session.run(["{OUTPUT_NAME}"], {{"{INPUT_NAME}": x}})[0]
p = np.exp(logits - logits.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
print("{letters}"[p.argmax(1)[0]], p.max())
```
"#,
        letters = crate::letters::LETTERS.iter().collect::<String>()
    ) + &unsure_section(metadata)
}

/// The README paragraph on the unsure rule, when the metadata carries one,
/// and what it was measured to do on real photos, when that is known.
fn unsure_section(metadata: &[(String, String)]) -> String {
    let get = |k: &str| {
        metadata
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let measured = get(crate::calibrate::REAL_PHOTOS_METADATA_KEY).map_or(String::new(), |s| {
        format!("\nMeasured on real photos of other people (never fitted on): {s}.\n")
    });
    let Some(usage) = get("unsure_usage") else {
        return if measured.is_empty() {
            measured
        } else {
            format!("\n## Unsure\n{measured}")
        };
    };
    format!(
        r#"
## Unsure

The model answers a letter for any input, also for noise, blank images and
photos unlike its training images. The export carries a rule, fitted on
validation images and synthetic non-hand images (never on field photos),
that says when the answer is not to be trusted: {usage}. The keys
`unsure_score`, `unsure_threshold` (and `unsure_std_min`,
`unsure_gradient_max`, `unsure_flat_max` when the rule has an input gate) are in the ONNX
metadata and in `calibration.json` (`unsure`); the input contract is
unchanged.
{measured}"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_metadata_and_missing_python_are_typed_errors() {
        let pt = Path::new("model.pt");
        let out = Path::new("model.onnx");
        let bad = [("a=b".to_string(), "1".to_string())];
        let err = export_onnx(pt, out, &bad, None).unwrap_err();
        assert!(matches!(err, OnnxError::BadMetadata { ref key } if key == "a=b"));
        let missing = Path::new("/nonexistent/venv/bin/python");
        let err = export_onnx(pt, out, &[], Some(missing)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, OnnxError::NoPython { .. }), "{msg}");
        assert!(msg.contains("/nonexistent/venv/bin/python") && msg.contains("make setup"));
    }

    #[test]
    fn a_failing_script_names_the_command_and_the_fix() {
        // `false` stands in for a python that fails.
        let err = export_onnx(
            Path::new("model.pt"),
            Path::new("/nonexistent/model.onnx"),
            &[],
            Some(Path::new("/bin/false")),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, OnnxError::Failed { .. }), "{msg}");
        assert!(
            msg.contains("/bin/false scripts/export_onnx.py model.pt"),
            "{msg}"
        );
        assert!(
            msg.contains("pip install -r scripts/requirements.txt"),
            "{msg}"
        );
    }

    #[test]
    fn the_readme_quotes_what_the_rule_does_on_real_photos() {
        let sentence = crate::calibrate::CANNOT_TELL_ON_REAL_PHOTOS;
        let key = crate::calibrate::REAL_PHOTOS_METADATA_KEY.to_string();
        let with_rule = [
            (
                "unsure_usage".to_string(),
                "answer 'unsure' when x".to_string(),
            ),
            (key.clone(), sentence.to_string()),
        ];
        let text = readme_section(&with_rule);
        assert!(text.contains("## Unsure") && text.contains("answer 'unsure' when x"));
        assert!(
            text.contains(&format!("(never fitted on): {sentence}.")),
            "{text}"
        );
        let alone = readme_section(&[(key, sentence.to_string())]);
        assert!(
            alone.contains("## Unsure") && alone.contains(sentence),
            "{alone}"
        );
        assert!(!readme_section(&[]).contains("## Unsure"));
    }
}
