"""Convert signlang's TorchScript model (model.pt) to ONNX (model.onnx).

Run by signlang::onnx::export_onnx with the project venv's python:

    python scripts/export_onnx.py MODEL_PT MODEL_ONNX [KEY=VALUE ...]

Uses PyTorch's TorchScript-based exporter (torch.onnx.export(..., dynamo=False)):
the torch.export-based default cannot export a ScriptModule. The graph has one
input `images` (float32, batch x 1 x 28 x 28, batch dynamic) and one output
`logits` (batch x 24). Each KEY=VALUE goes into the model's metadata_props.
The file is checked with onnx.checker and compared with the TorchScript model
in ONNX Runtime on a batch of 7 images; the last line printed is JSON:
{"opset": 17, "max_abs_diff": ...}.
"""

import json
import math
import sys
import warnings

OPSET = 17


def fail(message):
    print(f"export_onnx.py: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) < 2:
        fail("usage: export_onnx.py MODEL_PT MODEL_ONNX [KEY=VALUE ...]")
    model_pt, model_onnx, pairs = argv[0], argv[1], argv[2:]
    metadata = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"metadata {pair!r} is not KEY=VALUE")
        metadata.append((key, value))
    try:
        import numpy as np
        import onnx
        import onnxruntime as ort
        import torch
    except ImportError as e:
        fail(
            f"{e.name} is not installed in {sys.executable}; install the pinned packages with "
            f"`{sys.executable} -m pip install -r scripts/requirements.txt` (or `make setup`)"
        )

    model = torch.jit.load(model_pt, map_location="cpu").eval()
    example = torch.zeros(1, 1, 28, 28)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            model_onnx,
            dynamo=False,
            opset_version=OPSET,
            input_names=["images"],
            output_names=["logits"],
            dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        )

    proto = onnx.load(model_onnx)
    del proto.metadata_props[:]
    for key, value in metadata:
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "signlang"
    onnx.checker.check_model(proto)
    onnx.save(proto, model_onnx)

    # Compare with the TorchScript model on another batch size.
    i = torch.arange(7 * 784, dtype=torch.float32)
    x = ((torch.sin(i * 0.731) + 1) / 2).view(7, 1, 28, 28)
    with torch.no_grad():
        want = model(x).numpy()
    session = ort.InferenceSession(model_onnx, providers=["CPUExecutionProvider"])
    got = session.run(["logits"], {"images": x.numpy()})[0]
    if got.shape != want.shape:
        fail(f"{model_onnx} outputs shape {got.shape} for a batch of 7, expected {want.shape}")
    diff = float(np.abs(got - want).max())
    if math.isnan(diff) or diff > 1e-4 * max(1.0, float(np.abs(want).max())):
        fail(f"{model_onnx} disagrees with {model_pt} (largest difference {diff:.3e})")
    print(json.dumps({"opset": OPSET, "max_abs_diff": diff}))


if __name__ == "__main__":
    main(sys.argv[1:])
