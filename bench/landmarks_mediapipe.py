"""MediaPipe's Python package on the photos `signlang bench-landmarks` times, the same way.

Usage: landmarks_mediapipe.py FOLDER [--limit N] [--side S]

Runs in .venv-mediapipe (mediapipe==0.10.21; bench/landmarks.sh creates it). The photos are the
folder's .jpg, .jpeg and .png files sorted by path; --limit N takes N of them evenly spaced (photo
floor(i * total / N) for i = 0..N), as the Rust side does. Each is decoded with OpenCV (BGR -> RGB)
and, with --side, resized so its longer side is S pixels (INTER_AREA), before any timing. Then
legacy Hands(static_image_mode=True, max_num_hands=1, model_complexity=1) - the graph whose two
models the Rust front end runs - with one untimed warm-up photo and one timed pass: each photo
padded by 25% of its longer side with replicated edges (as scripts/record_mediapipe_fixture.py
pads crops) and processed; found = landmarks returned. Prints one JSON line: photos, found, wall
and process CPU milliseconds per photo (time.process_time: all threads), and the CPU.
"""

import argparse
import json
import platform
import time
from pathlib import Path

import cv2
import mediapipe as mp

EXTENSIONS = {".jpg", ".jpeg", ".png"}


def cpu_name():
    """The first 'model name' of /proc/cpuinfo, or the platform's processor."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def photos(folder, limit):
    """The folder's photos sorted by path, N evenly spaced with a limit."""
    files = sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)
    if not files:
        raise SystemExit(f"{folder}: no .jpg, .jpeg or .png photos; pass a folder of hand photos")
    if limit is not None and limit < len(files):
        files = [files[i * len(files) // limit] for i in range(limit)]
    return files


def decode(path, side):
    """RGB pixels of the photo, resized so its longer side is `side` when given."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"{path}: cannot decode this photo; replace it with a PNG or JPEG")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if side:
        h, w = rgb.shape[:2]
        scale = side / max(w, h)
        size = (max(1, int(w * scale + 0.5)), max(1, int(h * scale + 0.5)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return rgb


def padded(rgb):
    """The photo padded by 25% of its longer side (halves rounded up), edges replicated."""
    p = (max(rgb.shape[0], rgb.shape[1]) + 2) // 4
    return cv2.copyMakeBorder(rgb, p, p, p, p, cv2.BORDER_REPLICATE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--side", type=int)
    args = ap.parse_args()
    images = [decode(p, args.side) for p in photos(args.folder, args.limit)]
    hands_args = dict(static_image_mode=True, max_num_hands=1, model_complexity=1,
                      min_detection_confidence=0.5)
    with mp.solutions.hands.Hands(**hands_args) as hands:
        hands.process(padded(images[0]))  # warm-up, untimed
        found = 0
        c0, w0 = time.process_time(), time.perf_counter()
        for rgb in images:
            found += hands.process(padded(rgb)).multi_hand_landmarks is not None
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    n = len(images)
    print(json.dumps({
        "peer": "mediapipe",
        "find": "pad 25% replicated, one pass",
        "version": mp.__version__,
        "folder": Path(args.folder).name,
        "photos": n,
        "found": found,
        "side": args.side,
        "wall_ms_per_photo": 1000 * wall / n,
        "cpu_ms_per_photo": 1000 * cpu / n,
        "cpu": cpu_name(),
    }))


if __name__ == "__main__":
    main()
