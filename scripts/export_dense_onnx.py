"""Write a dense classifier of feature vectors as ONNX (opset 17).

Usage: export_dense_onnx.py WEIGHTS.safetensors OUT.onnx INPUTS

Reads the layers `fc1`, `fc2`, ... (weight `[out, in]`, bias `[out]`, float32)
that `signlang` saves for a dense network (`ModelSpec::Dense` with
`inputs`), and writes `features` (float32, `N x INPUTS`) -> Gemm -> Relu ->
... -> Gemm -> `logits` (`N x 24`). Dropout is the identity at inference, so
nothing else is needed. Checks the file with `onnx.checker`. numpy and onnx
only (the project venv's pins).
"""

import json
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_safetensors(path):
    """The float32 tensors of a safetensors file, by name."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected F32")
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(info["shape"])
    return tensors


def dense_graph(tensors, inputs):
    """Gemm (+ Relu between layers) for fc1, fc2, ... in order."""
    layers = sorted({k.split(".")[0] for k in tensors if k.startswith("fc")}, key=lambda k: int(k[2:]))
    if not layers:
        raise SystemExit("no fc1.weight in the weights: not a dense network")
    nodes, inits, current = [], [], "features"
    for i, layer in enumerate(layers):
        w, b = tensors[f"{layer}.weight"], tensors[f"{layer}.bias"]
        inits += [numpy_helper.from_array(w, f"{layer}.weight"), numpy_helper.from_array(b, f"{layer}.bias")]
        out = "logits" if i == len(layers) - 1 else f"{layer}.out"
        nodes.append(helper.make_node("Gemm", [current, f"{layer}.weight", f"{layer}.bias"], [out], transB=1))
        if out != "logits":
            nodes.append(helper.make_node("Relu", [out], [f"{layer}.relu"]))
            out = f"{layer}.relu"
        current = out
    classes = tensors[f"{layers[-1]}.weight"].shape[0]
    x = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", inputs])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])
    return helper.make_graph(nodes, "signlang-landmarks", [x], [y], inits)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    weights, out, inputs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    graph = dense_graph(read_safetensors(weights), inputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="signlang")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
