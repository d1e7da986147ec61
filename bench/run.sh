#!/usr/bin/env bash
# Benchmarks `signlang bench` against its Keras and PyTorch peers on the three
# reference models, in one session on this machine, and prints the table for
# bench/README.md.
#
# Usage: bench/run.sh [EPOCHS (default 3)] [THREADS (default 2)]
# Env: DATA (default data/sign_mnist_train.csv.gz), MODELS (default all three),
#      ISA=avx2 caps every peer's kernels at AVX2 (oneDNN, ATen, MKL), to time an
#      AVX-512 machine as an AVX2-only one; the peak is then AVX2's,
#      TORCH_PYTHON (python with torch + pandas; default the project's .venv),
#      OUT (folder for the JSON lines; default bench/out),
#      ROUNDS (default 1): run every model's three peers this many times, round
#      after round, so each peer is timed at several moments of a noisy machine;
#      the table pools each peer's steady epochs over the rounds and shows the
#      range of the per-round speed-ups.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-3}
THREADS=${2:-2}
DATA=${DATA:-data/sign_mnist_train.csv.gz}
MODELS=${MODELS:-"baseline_cnn dense cnn2"}
OUT=${OUT:-bench/out}
ROUNDS=${ROUNDS:-1}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 1; }
# The main checkout (this may be a git worktree below it).
MAIN=$(cd "$(git rev-parse --git-common-dir)/.." && pwd)
[ -f "$DATA" ] || DATA="$MAIN/$DATA"
TORCH_PYTHON=${TORCH_PYTHON:-}
if [ -z "$TORCH_PYTHON" ]; then
  for p in .venv/bin/python "$MAIN/.venv/bin/python"; do
    if [ -x "$p" ]; then TORCH_PYTHON=$p; break; fi
  done
fi
[ -n "$TORCH_PYTHON" ] || { echo "no python with torch: run scripts/setup.sh or set TORCH_PYTHON" >&2; exit 1; }

# Keras: TensorFlow (current stable, CPU build) in its own venv.
if [ ! -x .venv-bench/bin/python ]; then
  echo "creating .venv-bench (TensorFlow, pandas)..." >&2
  python3.11 -m venv .venv-bench
  .venv-bench/bin/pip install -q "tensorflow-cpu==2.21.0" pandas
fi

export PATH="$(dirname "$TORCH_PYTHON"):$PATH"
case "${ISA:-}" in
  "") ;;
  avx2|AVX2) export ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ;;
  *) echo "ISA must be avx2 or unset, got '$ISA'" >&2; exit 1 ;;
esac
cargo build --release -q -p signlang-cli
BIN=${CARGO_TARGET_DIR:-target}/release/signlang

mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
echo "# $(date -u +%FT%TZ)  $(nproc) cores  $ROUNDS round(s)  ISA cap: ${ONEDNN_MAX_CPU_ISA:-none}  load: $(uptime | sed 's/.*load average: //')" | tee "$OUT/meta.txt" >&2
# Every JSON line gets its round number.
tag() { sed "s/^{/{\"round\":$round,/"; }
for round in $(seq 1 "$ROUNDS"); do
  for m in $MODELS; do
    echo "== round $round/$ROUNDS, $m: signlang" >&2
    "$BIN" bench --model "$m" --epochs "$EPOCHS" --threads "$THREADS" --data "$DATA" --quiet \
      | sed 's/^{/{"peer":"signlang",/' | tag | tee -a "$RESULTS" >&2
    echo "== round $round/$ROUNDS, $m: keras" >&2
    .venv-bench/bin/python bench/keras_bench.py --model "$m" --epochs "$EPOCHS" --threads "$THREADS" --data "$DATA" \
      | tag | tee -a "$RESULTS" >&2
    echo "== round $round/$ROUNDS, $m: pytorch" >&2
    "$TORCH_PYTHON" bench/torch_bench.py --model "$m" --epochs "$EPOCHS" --threads "$THREADS" --data "$DATA" \
      | tag | tee -a "$RESULTS" >&2
  done
done
echo "# load after: $(uptime | sed 's/.*load average: //')" | tee -a "$OUT/meta.txt" >&2
"$TORCH_PYTHON" bench/table.py "$RESULTS"
