"""Record what MediaPipe's legacy Hands does, step by step, as a small JSON fixture for Rust tests.

Runs in a throwaway venv with the reference packages (not the project's .venv):

    python3.11 -m venv .venv-mediapipe
    .venv-mediapipe/bin/pip install mediapipe==0.10.21 ai-edge-litert==2.3.0 onnxruntime==1.31.1
    .venv-mediapipe/bin/python scripts/record_mediapipe_fixture.py [--survey] [--compare]

Writes crates/signlang/tests/fixtures/mediapipe_hands.json (numbers only, no pixels):
  model_level   the TFLite interpreter's outputs of both models for a synthetic input defined in
                the file (first values, sum, min, max; the palm score argmax and its regressors)
  pipeline      for a few fixed crops, padded by PAD_RULE, MediaPipe's intermediate streams: palm
                candidates over the threshold, palm detections after NMS, the hand rect from the
                palm, the hand presence score, handedness and the 21 normalized landmarks
  constants     the calculator options of the expanded hand_landmark_tracking_cpu graph
  survey        (--survey) the detection rate on every crop of both folders, and CPU ms per image
--compare prints the ONNX (onnxruntime) vs TFLite max abs difference per output on synthetic,
random and real-photo inputs (needs .models/mediapipe/ from scripts/setup.sh).
Photo folders: $SIGNLANG_ADAPT_DIR (roboflow-train-handcrop) and $SIGNLANG_FIELD_DIR
(roboflow-handcrop), else ../shared/field/<name> beside the project.
"""

import json
import os
import sys
import time
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from ai_edge_litert.interpreter import Interpreter
from google.protobuf import json_format
from mediapipe.framework import calculator_pb2
from mediapipe.python._framework_bindings import validated_graph_config
from mediapipe.python.solution_base import SolutionBase
from mediapipe.python.solutions import hands as mp_hands

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "crates/signlang/tests/fixtures/mediapipe_hands.json"
MP_ROOT = Path(mp.__file__).resolve().parent.parent  # the folder holding mediapipe/
MODELS = {"palm_detection_full": "mediapipe/modules/palm_detection/palm_detection_full.tflite",
          "hand_landmark_full": "mediapipe/modules/hand_landmark/hand_landmark_full.tflite"}
FOLDERS = {"roboflow-train-handcrop": "SIGNLANG_ADAPT_DIR", "roboflow-handcrop": "SIGNLANG_FIELD_DIR"}
# The crops of the pipeline section: A_0_1 finds no palm; C_5_3's palm is rejected by the landmark
# model (presence 0.13); H_22_1 keeps two palms after NMS; G_15_1, W_10_1, Y_11_2 and A_3 are not
# square (letterbox); Q_2_1 is small (92 px); handedness both ways; two of the 190 field photos.
CROPS = [
    ("roboflow-train-handcrop", "A_0_1.jpg"), ("roboflow-train-handcrop", "C_5_3.jpg"),
    ("roboflow-train-handcrop", "H_22_1.jpg"), ("roboflow-train-handcrop", "G_15_1.jpg"),
    ("roboflow-train-handcrop", "Q_2_1.jpg"), ("roboflow-train-handcrop", "W_10_1.jpg"),
    ("roboflow-train-handcrop", "Y_11_2.jpg"), ("roboflow-train-handcrop", "B_13_1.jpg"),
    ("roboflow-handcrop", "A_3.jpg"), ("roboflow-handcrop", "E_1.jpg"),
]
PAD_RULE = ("pad = (max(width, height) + 2) // 4 pixels (25% of the longer side, halves rounded up) "
            "on each of the four sides, replicating the edge pixels (OpenCV BORDER_REPLICATE)")
DECODE_RULE = ("cv2.imread(path, IMREAD_COLOR) (OpenCV 4.11.0 / libjpeg-turbo), then BGR -> RGB; "
               "PIL gives identical pixels on all 1,558 crops; no crop has an EXIF orientation")
SYNTHETIC_RULE = "value[y][x][c] = float32((x*3 + y*7 + c*11) % 256) / float32(255), NHWC, batch 1"
HANDS_ARGS = dict(static_image_mode=True, max_num_hands=1, model_complexity=1,
                  min_detection_confidence=0.5, min_tracking_confidence=0.5)
STREAMS = ["palmdetectioncpu__unfiltered_detections", "all_palm_detections", "hand_rects_from_palm_detections",
           "handlandmarkcpu__hand_presence_score", "multi_handedness", "multi_hand_landmarks"]


def num(x):
    """A float rounded to float32's 7 significant digits (keeps the JSON small)."""
    return float(f"{float(x):.7g}")


def nums(values):
    """A flat list of rounded floats."""
    return [num(v) for v in np.asarray(values).ravel()]


def folder(name):
    """The photo folder called name (roboflow-train-handcrop or roboflow-handcrop)."""
    env = os.environ.get(FOLDERS[name])
    path = Path(env) if env else ROOT.parent / "shared" / "field" / name
    if not path.is_dir():
        path = Path("/work/shared/field") / name
    if not path.is_dir():
        sys.exit(f"record_mediapipe_fixture.py: no folder {name}: set {FOLDERS[name]}")
    return path


def pad_width(width, height):
    """PAD_RULE's border width in pixels."""
    return (max(width, height) + 2) // 4


def load_padded(path):
    """The crop at path decoded per DECODE_RULE (RGB uint8) and padded per PAD_RULE."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        sys.exit(f"record_mediapipe_fixture.py: cannot decode {path}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    p = pad_width(rgb.shape[1], rgb.shape[0])
    return rgb, cv2.copyMakeBorder(rgb, p, p, p, p, cv2.BORDER_REPLICATE)


def synthetic(shape):
    """SYNTHETIC_RULE's input of the given NHWC shape."""
    _, h, w, c = shape
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return (((x * 3 + y * 7 + ch * 11) % 256).astype(np.float32) / np.float32(255))[None]


def run_tflite(name, x):
    """The TFLite interpreter's outputs of model name for input x, in the model's output order."""
    interp = Interpreter(model_path=str(MP_ROOT / MODELS[name]))
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return {d["name"]: interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()}


def summary(value):
    """First 12 values, sum (float64), min and max of one output."""
    flat = value.astype(np.float64).ravel()
    return {"shape": list(value.shape), "first12": nums(flat[:12]), "sum": num(flat.sum()),
            "min": num(flat.min()), "max": num(flat.max())}


def model_level():
    """Both models' TFLite outputs for the synthetic input, summarised."""
    out = {"input_rule": SYNTHETIC_RULE, "interpreter": "ai_edge_litert 2.3.0 Interpreter (default XNNPACK)"}
    for name, shape in (("palm_detection_full", (1, 192, 192, 3)), ("hand_landmark_full", (1, 224, 224, 3))):
        outputs = run_tflite(name, synthetic(shape))
        entry = {"input_shape": list(shape), "outputs": {k: summary(v) for k, v in outputs.items()}}
        if name == "palm_detection_full":
            best = int(np.argmax(outputs["Identity_1"].ravel()))
            entry["score_argmax"] = best
            entry["regressors_at_argmax"] = nums(outputs["Identity"][0, best])
        out[name] = entry
    return out


def graph_config():
    """The expanded (subgraphs inlined) hand_landmark_tracking_cpu graph of the mediapipe package."""
    validated = validated_graph_config.ValidatedGraphConfig()
    validated.initialize(binary_graph_path=str(MP_ROOT / mp_hands._BINARYPB_FILE_PATH))
    config = calculator_pb2.CalculatorGraphConfig()
    config.ParseFromString(validated.binary_config)
    return config


def constants():
    """The options (defaults included) of every calculator that shapes the numbers, by node name."""
    keep = ("ImageToTensor", "SsdAnchors", "TensorsToDetections", "NonMaxSuppression", "DetectionsToRects",
            "RectTransformation", "Thresholding", "TensorsToClassification", "TensorsToLandmarks")
    nodes = {}
    for node in graph_config().node:
        if not any(k in node.calculator for k in keep):
            continue
        for field, options in node.options.ListFields():
            nodes[node.name or node.calculator] = {"calculator": node.calculator, "options_type": field.full_name,
                                                   "options": json_format.MessageToDict(
                                                       options, preserving_proto_field_name=True,
                                                       including_default_value_fields=True)}
    labels = (MP_ROOT / "mediapipe/modules/hand_landmark/handedness.txt").read_text().split()
    return {
        "source": f"mediapipe {mp.__version__}: {mp_hands._BINARYPB_FILE_PATH} expanded by "
                  "ValidatedGraphConfig (subgraphs inlined); options printed with their defaults",
        "hands_overrides": "mp.solutions.hands.Hands sets palmdetectioncpu__TensorsToDetectionsCalculator."
                           "min_score_thresh = min_detection_confidence and handlandmarkcpu__Thresholding"
                           "Calculator.threshold = min_tracking_confidence (both 0.5 here, as in the graph)",
        "handedness_labels": labels,
        "notes": [
            "anchors: 24x24 cells at stride 8 with 2 anchors each, then 12x12 cells at stride 16 with 6 "
            "(layers of equal stride merge; each layer adds an aspect-1 anchor and an interpolated one); "
            "cell-major order; centre ((x + 0.5) / cells, (y + 0.5) / cells); fixed_anchor_size: w = h = 1",
            "decoding (reverse_output_order): x = raw[0] / 192 * anchor.w + anchor.x, y likewise, "
            "w = raw[2] / 192 * anchor.w, h = raw[3] / 192 * anchor.h; keypoint k at raw[4 + 2k], raw[5 + 2k]; "
            "score = sigmoid(clamp(logit, -100, 100))",
            "ImageToTensor border_mode BORDER_UNSPECIFIED means replicate on CPU; the palm input is "
            "letterboxed with zeros (BORDER_ZERO), keep_aspect_ratio true",
            "handedness: binary_classification gives 'Right' with score p and 'Left' with 1 - p "
            "(p = the landmark model's Identity_2); top_k 1 keeps the larger",
        ],
        "nodes": nodes,
    }


def hands_with_streams():
    """Hands(**HANDS_ARGS) built as mp_hands.Hands builds it, but observing STREAMS."""
    return SolutionBase(
        binary_graph_path=mp_hands._BINARYPB_FILE_PATH,
        side_inputs={"model_complexity": HANDS_ARGS["model_complexity"], "num_hands": HANDS_ARGS["max_num_hands"],
                     "use_prev_landmarks": not HANDS_ARGS["static_image_mode"]},
        calculator_params={
            "palmdetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": HANDS_ARGS["min_detection_confidence"],
            "handlandmarkcpu__ThresholdingCalculator.threshold": HANDS_ARGS["min_tracking_confidence"]},
        outputs=STREAMS)


def detection(d):
    """One palm detection: score, relative box and 7 relative keypoints."""
    loc = d.location_data
    box = loc.relative_bounding_box
    return {"score": num(d.score[0]), "box": nums([box.xmin, box.ymin, box.width, box.height]),
            "keypoints": [nums([k.x, k.y]) for k in loc.relative_keypoints]}


def rect(r):
    """A normalized rect."""
    return {"x_center": num(r.x_center), "y_center": num(r.y_center), "width": num(r.width),
            "height": num(r.height), "rotation": num(r.rotation)}


def pipeline_entry(graph, folder_name, file_name):
    """The record of one crop: image facts and every observed stream."""
    rgb, padded = load_padded(folder(folder_name) / file_name)
    r = graph.process(padded)
    candidates = r.palmdetectioncpu__unfiltered_detections or []
    entry = {
        "folder": folder_name, "file": file_name, "letter": file_name.split("_")[0],
        "width": rgb.shape[1], "height": rgb.shape[0], "pad": pad_width(rgb.shape[1], rgb.shape[0]),
        "padded_width": padded.shape[1], "padded_height": padded.shape[0],
        "padded_mean_rgb": nums(padded.reshape(-1, 3).mean(axis=0)),
        "candidates_over_threshold": len(candidates),
        "best_candidate_score": num(max((c.score[0] for c in candidates), default=0.0)),
        "palm_detections": [detection(d) for d in r.all_palm_detections or []],
        "hand_rects_from_palm": [rect(x) for x in r.hand_rects_from_palm_detections or []],
        "hand_presence": None if r.handlandmarkcpu__hand_presence_score is None
        else num(r.handlandmarkcpu__hand_presence_score),
        "hand": None,
    }
    if r.multi_hand_landmarks:
        c = r.multi_handedness[0].classification[0]
        entry["hand"] = {"handedness": {"label": c.label, "index": c.index, "score": num(c.score)},
                         "landmarks": [nums([p.x, p.y, p.z]) for p in r.multi_hand_landmarks[0].landmark]}
    return entry


def pipeline():
    """The pipeline section for CROPS."""
    graph = hands_with_streams()
    crops = [pipeline_entry(graph, f, n) for f, n in CROPS]
    graph.close()
    return {
        "decode": DECODE_RULE, "pad": PAD_RULE,
        "hands": "mp.solutions.hands.Hands(" + ", ".join(f"{k}={v}" for k, v in HANDS_ARGS.items()) + ")",
        "notes": {
            "coordinates": "x, y normalized to the padded image's width and height; landmark z in "
                           "MediaPipe's normalized units (about the scale of x); rotation in radians",
            "candidates_over_threshold": "palm candidates after the sigmoid and min_score_thresh, before "
                                         "NMS (stream palmdetectioncpu__unfiltered_detections)",
            "palm_detections": "after weighted NMS and letterbox removal, before clipping to max_num_hands "
                               "(stream all_palm_detections); box is [xmin, ymin, width, height]",
            "hand_rects_from_palm": "stream hand_rects_from_palm_detections (only the first palm: "
                                    "max_num_hands = 1); the landmark model's region of interest",
            "hand_presence": "the landmark model's hand flag (stream handlandmarkcpu__hand_presence_score); "
                             "null when no palm; hand is null when it is below 0.5",
        },
        "crops": crops,
    }


def machine():
    """The CPU model, core count and load average, for the survey's timings."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, load average {load} when the survey started"


def survey():
    """Detection rate and CPU/wall ms per image of plain Hands(**HANDS_ARGS) on every crop."""
    result = {"pad": "PAD_RULE (pipeline.pad), decoded per pipeline.decode; detected = landmarks returned",
              "timing": "time.process_time (all threads) and wall time around Hands.process only; " + machine()}
    with mp_hands.Hands(**HANDS_ARGS) as hands:
        hands.process(load_padded(next(folder("roboflow-handcrop").glob("*.jpg")))[1])  # warm-up
        for name in FOLDERS:
            paths = sorted(folder(name).glob("*.jpg"))
            found, cpu, wall = 0, 0.0, 0.0
            for path in paths:
                padded = load_padded(path)[1]
                c0, w0 = time.process_time(), time.perf_counter()
                found += hands.process(padded).multi_hand_landmarks is not None
                cpu, wall = cpu + time.process_time() - c0, wall + time.perf_counter() - w0
            result[name] = {"photos": len(paths), "detected": found, "rate": num(found / len(paths)),
                            "cpu_ms_per_image": round(1000 * cpu / len(paths), 1),
                            "wall_ms_per_image": round(1000 * wall / len(paths), 1)}
            print(f"survey {name}: {result[name]}", file=sys.stderr)
    return result


def compact(value, indent=0):
    """JSON with lists of numbers on one line (so landmarks stay readable and the file small)."""
    pad = " " * indent
    if isinstance(value, dict):
        items = [f'{pad} {json.dumps(k)}: {compact(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) and not is_flat(v) for v in value):
        return "[\n" + ",\n".join(f"{pad} {compact(v, indent + 1)}" for v in value) + f"\n{pad}]"
    return json.dumps(value)


def is_flat(value):
    """A list of numbers (or lists of numbers)."""
    return isinstance(value, list) and all(isinstance(v, (int, float)) or is_flat(v) for v in value)


def compare():
    """Print ONNX vs TFLite max abs differences per output (synthetic, random and photo inputs)."""
    import onnxruntime as ort

    photos = [folder(f) / n for f, n in CROPS]
    for name, size in (("palm_detection_full", 192), ("hand_landmark_full", 224)):
        session = ort.InferenceSession(str(ROOT / ".models/mediapipe" / f"{name}.onnx"),
                                       providers=["CPUExecutionProvider"])
        inputs = [synthetic((1, size, size, 3))]
        inputs += [np.random.default_rng(s).random((1, size, size, 3), dtype=np.float32) for s in range(3)]
        inputs += [(cv2.resize(load_padded(p)[1], (size, size), interpolation=cv2.INTER_AREA)
                    .astype(np.float32) / 255)[None] for p in photos]
        worst = {}
        for x in inputs:
            want = run_tflite(name, x)
            got = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input_1": x})))
            for k, v in want.items():
                diff, scale = float(np.abs(v - got[k]).max()), float(np.abs(v).max())
                worst[k] = (max(worst.get(k, (0, 0))[0], diff), max(worst.get(k, (0, 0))[1], scale))
        for k, (diff, scale) in worst.items():
            print(f"compare {name} {k}: max abs diff {diff:.3g} over {len(inputs)} inputs (max |value| {scale:.4g})")


def main(argv):
    """Write the fixture; --survey adds the survey, --compare only prints the ONNX comparison."""
    if "--compare" in argv:
        compare()
        return 0
    fixture = {
        "about": "MediaPipe's legacy Hands step by step, recorded by scripts/record_mediapipe_fixture.py "
                 f"with mediapipe {mp.__version__} (palm_detection_full + hand_landmark_full)",
        "model_level": model_level(),
        "pipeline": pipeline(),
        "constants": constants(),
    }
    if "--survey" in argv:
        fixture["survey"] = survey()
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(compact(fixture) + "\n")
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
