"""Extract MediaPipe's legacy hand models from the mediapipe wheel and convert them to ONNX.

Run by scripts/setup.sh with the project venv's python:

    python scripts/mediapipe_models.py WHEEL [--out DIR]   # extract, convert, check, write
    python scripts/mediapipe_models.py --check [--out DIR] # exit 0 when DIR is complete

WHEEL is mediapipe-0.10.21-*.whl (`python -m pip download --no-deps
--only-binary=:all: mediapipe==0.10.21`); DIR defaults to <project>/.models/mediapipe.
Writes palm_detection_full.{tflite,onnx}, hand_landmark_full.{tflite,onnx} and
MANIFEST.json (version, each file's bytes and SHA-256, each ONNX model's input and
output names, shapes and layouts). When MANIFEST.json is there and every file it
lists matches its hash, nothing is done. The ONNX models keep TFLite's NHWC input
and its output names and order (see scripts/tflite_to_onnx.py and OUTPUTS below).
"""

import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path

MEDIAPIPE_VERSION = "0.10.21"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / ".models" / "mediapipe"
MANIFEST = "MANIFEST.json"
DOWNLOAD = f"python -m pip download --no-deps --only-binary=:all: mediapipe=={MEDIAPIPE_VERSION}"

# name -> (path inside the wheel, bytes, SHA-256)
MODELS = {
    "palm_detection_full": ("mediapipe/modules/palm_detection/palm_detection_full.tflite", 2339846,
                            "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54"),
    "hand_landmark_full": ("mediapipe/modules/hand_landmark/hand_landmark_full.tflite", 5478917,
                           "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3"),
}
INPUT_LAYOUT = "NHWC [batch, y, x, channel], RGB scaled to [0, 1] (MediaPipe's ImageToTensorCalculator range 0..1)"
# (layout, meaning) of each output, in the TFLite (and ONNX) order.
OUTPUTS = {
    "palm_detection_full": [
        ("[batch, anchor, value]", "regressors: per anchor (2016 = 24*24*2 at stride 8, then 12*12*6 at stride 16) "
         "box x, y, w, h then 7 keypoints (x, y); 192-pixel units, x and y relative to the anchor centre"),
        ("[batch, anchor, 1]", "classificators: per anchor palm score logit (apply a sigmoid)"),
    ],
    "hand_landmark_full": [
        ("[batch, landmark * 3 + (x, y, z)]", "screen landmarks: 21 x (x, y, z) in 224-pixel units of the input"),
        ("[batch, 1]", "hand presence flag: probability (the model applies the sigmoid)"),
        ("[batch, 1]", "handedness: probability of 'Right' (the model applies the sigmoid)"),
        ("[batch, landmark * 3 + (x, y, z)]", "world landmarks: 21 x (x, y, z) in metres, origin near the hand's centre"),
    ],
}


def fail(message):
    """Print one line naming the problem and its fix, then exit 2."""
    print(f"mediapipe_models.py: {message}", file=sys.stderr)
    sys.exit(2)


def sha256(data):
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def is_complete(out):
    """True when out/MANIFEST.json exists and every file it lists matches its size and hash."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        files = manifest["files"]
        expected = {f"{n}.{ext}" for n in MODELS for ext in ("tflite", "onnx")}
        if manifest.get("mediapipe_version") != MEDIAPIPE_VERSION or {f["name"] for f in files} != expected:
            return False
        for entry in files:
            data = (out / entry["name"]).read_bytes()
            if len(data) != entry["bytes"] or sha256(data) != entry["sha256"]:
                return False
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def read_models(wheel):
    """The two .tflite files' bytes from the wheel, each checked against its size and SHA-256."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as e:
        fail(f"cannot open {wheel} as a wheel ({e}): download it again with `{DOWNLOAD}`")
    found = {}
    with archive:
        for name, (member, size, digest) in MODELS.items():
            try:
                data = archive.read(member)
            except KeyError:
                fail(f"{wheel} has no {member}: it is not mediapipe {MEDIAPIPE_VERSION}; get it with `{DOWNLOAD}`")
            if len(data) != size or sha256(data) != digest:
                fail(f"{member} in {wheel} has SHA-256 {sha256(data)} ({len(data)} bytes), expected {digest} "
                     f"({size} bytes): delete the wheel and download it again with `{DOWNLOAD}`")
            found[name] = data
    return found


def io_entry(value, layout, meaning=None):
    """One ONNX input/output described for the manifest."""
    shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
    entry = {"name": value.name, "shape": shape, "dtype": "float32", "layout": layout}
    if meaning:
        entry["meaning"] = meaning
    return entry


def smoke_test(name, onnx_bytes):
    """Run the model once in onnxruntime on a mid-grey image; check output names, shapes, finiteness."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    outputs = session.run(None, {inp.name: np.full(inp.shape, 0.5, np.float32)})
    for meta, value in zip(session.get_outputs(), outputs):
        if list(value.shape) != list(meta.shape) or not np.isfinite(value).all():
            fail(f"{name}.onnx: output {meta.name} has shape {value.shape} or non-finite values; "
                 "the converter (scripts/tflite_to_onnx.py) is wrong for this model")


def convert_one(name, tflite_bytes):
    """Convert, check and smoke-test one model; returns (ONNX bytes, manifest description)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import tflite_to_onnx

    proto = tflite_to_onnx.convert(tflite_bytes, graph_name=name)  # runs onnx.checker
    data = proto.SerializeToString()
    smoke_test(name, data)
    (inp,) = proto.graph.input
    description = {
        "opset": tflite_to_onnx.OPSET,
        "inputs": [io_entry(inp, INPUT_LAYOUT)],
        "outputs": [io_entry(v, *lm) for v, lm in zip(proto.graph.output, OUTPUTS[name], strict=True)],
    }
    return data, description


def write_atomic(path, data):
    """Write bytes to path through a temporary file, so a killed run leaves no half file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build(wheel, out):
    """Extract, convert and write the four model files and the manifest into out."""
    models = read_models(wheel)
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    files, onnx_info = [], {}
    for name, tflite_bytes in models.items():
        onnx_bytes, onnx_info[f"{name}.onnx"] = convert_one(name, tflite_bytes)
        for ext, data in (("tflite", tflite_bytes), ("onnx", onnx_bytes)):
            write_atomic(out / f"{name}.{ext}", data)
            files.append({"name": f"{name}.{ext}", "bytes": len(data), "sha256": sha256(data)})
    manifest = {
        "mediapipe_version": MEDIAPIPE_VERSION,
        "source": f"{Path(wheel).name}: " + ", ".join(m for m, _, _ in MODELS.values()),
        "converter": "scripts/tflite_to_onnx.py (float16 weights dequantized to float32)",
        "files": files,
        "onnx": onnx_info,
    }
    write_atomic(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())


def main(argv):
    """Parse WHEEL / --check / --out and run."""
    args, out = list(argv), DEFAULT_OUT
    if "--out" in args:
        i = args.index("--out")
        if i + 1 >= len(args):
            fail("--out needs a folder")
        out = Path(args.pop(i + 1)).resolve()
        args.pop(i)
    if args == ["--check"]:
        return 0 if is_complete(out) else 1
    if len(args) != 1 or args[0].startswith("-"):
        fail("usage: mediapipe_models.py WHEEL [--out DIR] | --check [--out DIR]")
    if is_complete(out):
        print(f"mediapipe_models.py: {out} is up to date")
        return 0
    try:
        import numpy, onnx, onnxruntime, tflite  # noqa: F401
    except ImportError as e:
        fail(f"{e.name} is not installed in {sys.executable}: run "
             f"`{sys.executable} -m pip install -r scripts/requirements.txt` (or make setup)")
    build(args[0], out)
    print(f"mediapipe_models.py: wrote {out} (palm_detection_full, hand_landmark_full: .tflite, .onnx)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
