"""A small TFLite -> ONNX converter for MediaPipe's float16 hand models.

Reads the flatbuffer with the `tflite` package and writes a float32 ONNX graph
(opset 17) with `onnx`. It knows only the operators that MediaPipe's legacy
palm detector and hand landmark model use: CONV_2D, DEPTHWISE_CONV_2D, ADD,
PRELU, LOGISTIC, MAX_POOL_2D, PAD, RESIZE_BILINEAR, RESHAPE,
CONCATENATION, MEAN, FULLY_CONNECTED and DEQUANTIZE (float16 weights, folded
into float32 initializers); fused RELU/RELU6 activations become Relu/Clip.

Layout: the ONNX graph keeps TFLite's input and output names and layouts
(NHWC input). Inside, every 4-D activation is stored NCHW: one Transpose after
the input, and one before any operator that reads a 4-D tensor as NHWC
(RESHAPE, FULLY_CONNECTED) or before a 4-D graph output. Other operators
(RESIZE_NEAREST_NEIGHBOR, standalone RELU, ...) raise NotImplementedError.

    model = convert(tflite_bytes)   # -> onnx.ModelProto
"""

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
TO_NCHW, TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]
NHWC_AXIS_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}
OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
NUMPY_TYPES = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
               tflite.TensorType.INT32: np.int32, tflite.TensorType.INT64: np.int64}


class Graph:
    """Conversion state: the TFLite subgraph, its folded constants, the ONNX nodes."""

    def __init__(self, model):
        """Read the first subgraph and every tensor that has constant data."""
        self.model, self.sub = model, model.Subgraphs(0)
        self.nodes, self.inits, self.consts, self.scalars = [], [], {}, {}
        self.nchw = set()  # TFLite tensor indices whose ONNX value is stored NCHW
        for i in range(self.sub.TensorsLength()):
            data = self.buffer(i)
            if data is not None:
                self.consts[i] = data

    def buffer(self, i):
        """The constant data of tensor i as a numpy array, or None for activations."""
        t = self.sub.Tensors(i)
        buf = self.model.Buffers(t.Buffer())
        if buf.DataLength() == 0:
            return None
        raw = buf.DataAsNumpy().tobytes()
        return np.frombuffer(raw, NUMPY_TYPES[t.Type()]).reshape(self.shape(i))

    def shape(self, i):
        """The static TFLite shape of tensor i, as a list of ints."""
        return [int(d) for d in self.sub.Tensors(i).ShapeAsNumpy()]

    def name(self, i):
        """The ONNX value name of TFLite tensor i inside the graph."""
        return f"t{i}"

    def tflite_name(self, i):
        """TFLite's own name for tensor i (kept for the graph's inputs and outputs)."""
        return self.sub.Tensors(i).Name().decode()

    def const(self, array, hint):
        """Add an initializer and return its name."""
        name = f"c{len(self.inits)}_{hint}"
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def scalar(self, value):
        """A shared float32 scalar initializer (for Clip bounds)."""
        if value not in self.scalars:
            self.scalars[value] = self.const(np.float32(value), "scalar")
        return self.scalars[value]

    def node(self, op, inputs, outputs, **attrs):
        """Append one ONNX node."""
        self.nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def temp(self, hint):
        """A fresh intermediate value name."""
        return f"v{len(self.nodes)}_{hint}"

    def as_nhwc(self, i):
        """The ONNX name of tensor i in TFLite's own layout (transposing if stored NCHW)."""
        if i not in self.nchw:
            return self.name(i)
        out = self.temp("nhwc")
        self.node("Transpose", [self.name(i)], [out], perm=TO_NHWC)
        return out

    def emit(self, op, inputs, out_index, act=tflite.ActivationFunctionType.NONE, **attrs):
        """Append `op` writing tensor out_index, followed by a fused activation if any."""
        kinds = tflite.ActivationFunctionType
        out = self.name(out_index)
        if act == kinds.NONE:
            self.node(op, inputs, [out], **attrs)
            return
        value = self.temp(op)
        self.node(op, inputs, [value], **attrs)
        if act == kinds.RELU:
            self.node("Relu", [value], [out])
        elif act == kinds.RELU6:
            self.node("Clip", [value, self.scalar(0.0), self.scalar(6.0)], [out])
        else:
            raise NotImplementedError(f"fused activation {act}")


def options(op, cls):
    """The builtin options table of an operator, read as class cls."""
    opts, table = cls(), op.BuiltinOptions()
    opts.Init(table.Bytes, table.Pos)
    return opts


def same_pads(in_hw, kernel, strides, dilations):
    """TensorFlow 'SAME' padding as ONNX pads [top, left, bottom, right]."""
    begin, end = [], []
    for size, k, s, d in zip(in_hw, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return begin + end


def window_attrs(g, x, kernel, opts):
    """Strides and explicit pads shared by convolutions and pooling."""
    strides = [opts.StrideH(), opts.StrideW()]
    dil = [opts.DilationHFactor(), opts.DilationWFactor()] if hasattr(opts, "DilationHFactor") else [1, 1]
    pads = [0, 0, 0, 0]
    if opts.Padding() == tflite.Padding.SAME:
        pads = same_pads(g.shape(x)[1:3], kernel, strides, dil)
    return dict(strides=strides, pads=pads, dilations=dil)


def conv(g, op, ins, outs, depthwise):
    """CONV_2D (weights OHWI) and DEPTHWISE_CONV_2D (weights 1HWC) -> Conv."""
    opts = options(op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
    w = g.consts[ins[1]].astype(np.float32)
    w = w.transpose(3, 0, 1, 2) if depthwise else w.transpose(0, 3, 1, 2)
    attrs = window_attrs(g, ins[0], list(w.shape[2:]), opts)
    if depthwise:
        attrs["group"] = g.shape(ins[0])[3]
    inputs = [g.name(ins[0]), g.const(w, "w")]
    if len(ins) > 2 and ins[2] >= 0:
        inputs.append(g.const(g.consts[ins[2]].astype(np.float32), "b"))
    g.emit("Conv", inputs, outs[0], opts.FusedActivationFunction(), **attrs)
    g.nchw.add(outs[0])


def add(g, op, ins, outs):
    """ADD of two activations of the same layout, with a fused activation."""
    layouts = {i in g.nchw for i in ins}
    if len(layouts) > 1 or any(i in g.consts for i in ins):
        raise NotImplementedError("ADD of mixed layouts or with a constant")
    g.emit("Add", [g.name(i) for i in ins], outs[0], options(op, tflite.AddOptions).FusedActivationFunction())
    if ins[0] in g.nchw:
        g.nchw.add(outs[0])


def prelu(g, op, ins, outs):
    """PRELU with a per-channel slope (TFLite shape 1x1xC) -> PRelu with slope Cx1x1."""
    slope = g.consts[ins[1]].astype(np.float32).reshape(-1, 1, 1)
    g.node("PRelu", [g.name(ins[0]), g.const(slope, "slope")], [g.name(outs[0])])
    g.nchw.add(outs[0])


def logistic(g, op, ins, outs):
    """LOGISTIC -> Sigmoid (layout unchanged)."""
    g.node("Sigmoid", [g.name(ins[0])], [g.name(outs[0])])
    if ins[0] in g.nchw:
        g.nchw.add(outs[0])


def max_pool(g, op, ins, outs):
    """MAX_POOL_2D -> MaxPool (padding cells never win, as in TFLite)."""
    opts = options(op, tflite.Pool2DOptions)
    kernel = [opts.FilterHeight(), opts.FilterWidth()]
    attrs = window_attrs(g, ins[0], kernel, opts)
    del attrs["dilations"]
    g.emit("MaxPool", [g.name(ins[0])], outs[0], opts.FusedActivationFunction(), kernel_shape=kernel, **attrs)
    g.nchw.add(outs[0])


def pad(g, op, ins, outs):
    """PAD with constant zeros; paddings (NHWC, 4x2) are reordered to NCHW."""
    p = g.consts[ins[1]].astype(np.int64)[TO_NCHW]
    pads = g.const(np.concatenate([p[:, 0], p[:, 1]]), "pads")
    g.node("Pad", [g.name(ins[0]), pads], [g.name(outs[0])], mode="constant")
    g.nchw.add(outs[0])


def resize_bilinear(g, op, ins, outs):
    """RESIZE_BILINEAR -> Resize (linear) to the output tensor's static size."""
    opts = options(op, tflite.ResizeBilinearOptions)
    mode = "asymmetric"
    if opts.AlignCorners():
        mode = "align_corners"
    elif opts.HalfPixelCenters():
        mode = "half_pixel"
    n, h, w, c = g.shape(outs[0])
    sizes = g.const(np.array([n, c, h, w], np.int64), "sizes")
    g.node("Resize", [g.name(ins[0]), "", "", sizes], [g.name(outs[0])],
           mode="linear", coordinate_transformation_mode=mode)
    g.nchw.add(outs[0])


def reshape(g, op, ins, outs):
    """RESHAPE (in TFLite layout) to the output tensor's static shape."""
    shape = g.const(np.array(g.shape(outs[0]), np.int64), "shape")
    g.node("Reshape", [g.as_nhwc(ins[0]), shape], [g.name(outs[0])])


def concat(g, op, ins, outs):
    """CONCATENATION along one axis (remapped when the inputs are stored NCHW)."""
    opts = options(op, tflite.ConcatenationOptions)
    axis = opts.Axis() % len(g.shape(outs[0]))
    nchw = ins[0] in g.nchw
    if nchw:
        axis = NHWC_AXIS_TO_NCHW[axis]
        g.nchw.add(outs[0])
    inputs = [g.name(i) if nchw else g.as_nhwc(i) for i in ins]
    g.emit("Concat", inputs, outs[0], opts.FusedActivationFunction(), axis=axis)


def mean(g, op, ins, outs):
    """MEAN over constant axes -> ReduceMean (axes remapped when stored NCHW)."""
    axes = [int(a) % len(g.shape(ins[0])) for a in g.consts[ins[1]].ravel()]
    keep = bool(options(op, tflite.ReducerOptions).KeepDims())
    if ins[0] in g.nchw:
        axes = [NHWC_AXIS_TO_NCHW[a] for a in axes]
        if keep:
            g.nchw.add(outs[0])
    g.node("ReduceMean", [g.name(ins[0])], [g.name(outs[0])], axes=sorted(axes), keepdims=int(keep))


def fully_connected(g, op, ins, outs):
    """FULLY_CONNECTED (weights [out, in]) -> Gemm on the input flattened to [-1, in]."""
    opts = options(op, tflite.FullyConnectedOptions)
    w = g.consts[ins[1]].astype(np.float32)
    flat = g.temp("flat")
    g.node("Reshape", [g.as_nhwc(ins[0]), g.const(np.array([-1, w.shape[1]], np.int64), "shape")], [flat])
    inputs = [flat, g.const(w, "w")]
    if len(ins) > 2 and ins[2] >= 0:
        inputs.append(g.const(g.consts[ins[2]].astype(np.float32), "b"))
    g.emit("Gemm", inputs, outs[0], opts.FusedActivationFunction(), transB=1)


def dequantize(g, op, ins, outs):
    """DEQUANTIZE of a float16 constant: folded into a float32 constant, no node."""
    g.consts[outs[0]] = g.consts[ins[0]].astype(np.float32)


HANDLERS = {
    "CONV_2D": lambda g, op, i, o: conv(g, op, i, o, depthwise=False),
    "DEPTHWISE_CONV_2D": lambda g, op, i, o: conv(g, op, i, o, depthwise=True),
    "RESIZE_BILINEAR": resize_bilinear,
    "ADD": add, "PRELU": prelu, "LOGISTIC": logistic, "MAX_POOL_2D": max_pool, "PAD": pad,
    "RESHAPE": reshape, "CONCATENATION": concat, "MEAN": mean,
    "FULLY_CONNECTED": fully_connected, "DEQUANTIZE": dequantize,
}


def value_info(g, i, name):
    """A float32 graph input/output with tensor i's static TFLite shape."""
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, g.shape(i))


def convert(tflite_bytes, graph_name="model"):
    """Convert a single-subgraph float TFLite model to a float32 ONNX ModelProto."""
    model = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    g = Graph(model)
    inputs, outputs = list(g.sub.InputsAsNumpy()), list(g.sub.OutputsAsNumpy())
    for i in inputs:  # the graph input keeps TFLite's name and NHWC layout
        g.node("Transpose", [g.tflite_name(i)], [g.name(i)], perm=TO_NCHW)
        g.nchw.add(i)
    for k in range(g.sub.OperatorsLength()):
        op = g.sub.Operators(k)
        code = model.OperatorCodes(op.OpcodeIndex())
        op_name = OP_NAMES[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        if op_name not in HANDLERS:
            raise NotImplementedError(f"TFLite operator {op_name} (operator {k})")
        HANDLERS[op_name](g, op, [int(i) for i in op.InputsAsNumpy()], [int(i) for i in op.OutputsAsNumpy()])
    for i in outputs:  # so do the outputs
        g.node("Identity", [g.as_nhwc(i)], [g.tflite_name(i)])
    graph = helper.make_graph(
        g.nodes, graph_name,
        [value_info(g, i, g.tflite_name(i)) for i in inputs],
        [value_info(g, i, g.tflite_name(i)) for i in outputs], g.inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="signlang")
    proto.ir_version = 8
    onnx.checker.check_model(proto, full_check=True)
    return proto
