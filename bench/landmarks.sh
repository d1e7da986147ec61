#!/usr/bin/env bash
# Landmarks: `signlang bench-landmarks` (MediaPipe's two hand models run from
# Rust with ONNX Runtime, one thread) against MediaPipe's own Python package
# (bench/landmarks_mediapipe.py, legacy Hands) on the same photos, in one
# session on this machine; prints the table for bench/README.md.
#
# Usage: bench/landmarks.sh [LIMIT (default 100)]
# Env: FOLDER (default $SIGNLANG_FIELD_DIR, else ../shared/field/roboflow-handcrop
#      beside the project), SIDE (resize every photo's longer side to SIDE pixels
#      first; default: as they are), OUT (folder for the JSON lines; default
#      bench/out-landmarks), ROUNDS (default 1): run both peers this many times,
#      one after the other; the table shows each peer's median over the rounds.
# The Python peer runs in .venv-mediapipe (git-ignored), created here with
# mediapipe==0.10.21 (the release the Rust front end's models come from) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${1:-100}
OUT=${OUT:-bench/out-landmarks}
ROUNDS=${ROUNDS:-1}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 1; }
[[ "$LIMIT" =~ ^[1-9][0-9]*$ ]] || { echo "LIMIT must be a positive integer, got '$LIMIT'" >&2; exit 1; }
# The main checkout (this may be a git worktree below it).
MAIN=$(cd "$(git rev-parse --git-common-dir)/.." && pwd)
FOLDER=${FOLDER:-${SIGNLANG_FIELD_DIR:-}}
if [ -z "$FOLDER" ]; then
  for d in ../shared/field/roboflow-handcrop "$MAIN/../shared/field/roboflow-handcrop"; do
    if [ -d "$d" ]; then FOLDER=$d; break; fi
  done
fi
[ -d "${FOLDER:-}" ] || { echo "no photo folder: set FOLDER to a folder of hand crops" >&2; exit 1; }

if [ ! -x .venv-mediapipe/bin/python ]; then
  echo "creating .venv-mediapipe (mediapipe 0.10.21)..." >&2
  python3.11 -m venv .venv-mediapipe
  .venv-mediapipe/bin/pip install -q "mediapipe==0.10.21"
fi
cargo build --release -q -p signlang-cli
BIN=${CARGO_TARGET_DIR:-target}/release/signlang
SIDE_ARGS=()
if [ -n "${SIDE:-}" ]; then SIDE_ARGS=(--side "$SIDE"); fi

mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
echo "# $(date -u +%FT%TZ)  $(nproc) cores  $ROUNDS round(s)  $LIMIT photos of $FOLDER  load: $(uptime | sed 's/.*load average: //')" | tee "$OUT/meta.txt" >&2
# Every JSON line gets its round number.
tag() { sed "s/^{/{\"round\":$round,/"; }
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS: signlang" >&2
  "$BIN" bench-landmarks "$FOLDER" --limit "$LIMIT" "${SIDE_ARGS[@]}" | tag | tee -a "$RESULTS" >&2
  echo "== round $round/$ROUNDS: mediapipe" >&2
  .venv-mediapipe/bin/python bench/landmarks_mediapipe.py "$FOLDER" --limit "$LIMIT" "${SIDE_ARGS[@]}" \
    | tag | tee -a "$RESULTS" >&2
done
echo "# load after: $(uptime | sed 's/.*load average: //')" | tee -a "$OUT/meta.txt" >&2
python3 bench/landmarks_table.py "$RESULTS"
